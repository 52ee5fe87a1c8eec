/**
 * Migration 4: the metrics store (docs/adr/ — "metrics store: daily partitions"; docs/metrics.md).
 *
 * - `metric_entities`: what a series is about (a cluster, node, pod or namespace), keyed by a
 *   deterministic 64-bit id (src/core/metric-series/flatten.ts `entityId`), with the labels queries
 *   select on. `last_seen` is refreshed at most hourly (and when a pod changes node).
 * - One samples table per entity kind, one row per entity and collection time, one column per field of
 *   the agent's message. Each is partitioned by range of `ts`, one partition per UTC day, created at
 *   run time by the repository (`ensurePartitions`) and dropped whole by retention — no DELETE of
 *   millions of rows, no vacuum debt.
 * - `slo_alert_states`: the firing state of each SLO burn-rate alert, so that one replica — the one
 *   whose update flips it — publishes each transition.
 */
import type { Migration } from './migrations.js';

export const METRIC_SAMPLE_TABLES = {
  cluster: 'metric_cluster_samples',
  node: 'metric_node_samples',
  pod: 'metric_pod_samples',
  namespace: 'metric_namespace_samples',
} as const;

export const metricsMigration: Migration = {
  version: 4,
  name: 'metrics_store',
  up: `
CREATE TABLE metric_entities (
  id         bigint PRIMARY KEY,
  cluster_id text NOT NULL,
  kind       text NOT NULL CONSTRAINT metric_entities_kind_check CHECK (kind IN ('cluster', 'node', 'pod', 'namespace')),
  namespace  text NOT NULL DEFAULT '',
  name       text NOT NULL,
  node       text NOT NULL DEFAULT '',
  first_seen timestamptz NOT NULL,
  last_seen  timestamptz NOT NULL
);
CREATE INDEX metric_entities_lookup_idx ON metric_entities (kind, cluster_id, namespace, name);
CREATE INDEX metric_entities_node_idx ON metric_entities (kind, node) WHERE node <> '';
CREATE INDEX metric_entities_last_seen_idx ON metric_entities (last_seen);

CREATE TABLE metric_cluster_samples (
  entity_id            bigint NOT NULL,
  ts                   timestamptz NOT NULL,
  total_nodes          integer,
  ready_nodes          integer,
  total_pods           integer,
  running_pods         integer,
  pending_pods         integer,
  failed_pods          integer,
  cpu_usage_percent    double precision,
  memory_usage_percent double precision,
  PRIMARY KEY (entity_id, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE metric_node_samples (
  entity_id                  bigint NOT NULL,
  ts                         timestamptz NOT NULL,
  ready                      boolean,
  pod_count                  integer,
  cpu_usage_percent          double precision,
  memory_usage_percent       double precision,
  cpu_usage_millicores       double precision,
  memory_usage_bytes         double precision,
  cpu_allocatable_millicores double precision,
  memory_allocatable_bytes   double precision,
  conditions                 jsonb,
  PRIMARY KEY (entity_id, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE metric_pod_samples (
  entity_id              bigint NOT NULL,
  ts                     timestamptz NOT NULL,
  phase                  text,
  ready                  boolean,
  restarts               integer,
  cpu_usage_millicores   double precision,
  memory_usage_bytes     double precision,
  cpu_request_millicores double precision,
  cpu_limit_millicores   double precision,
  memory_request_bytes   double precision,
  memory_limit_bytes     double precision,
  PRIMARY KEY (entity_id, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE metric_namespace_samples (
  entity_id            bigint NOT NULL,
  ts                   timestamptz NOT NULL,
  total_pods           integer,
  running_pods         integer,
  pending_pods         integer,
  failed_pods          integer,
  restarts             integer,
  cpu_usage_millicores double precision,
  memory_usage_bytes   double precision,
  PRIMARY KEY (entity_id, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE slo_alert_states (
  slo        text NOT NULL,
  cluster_id text NOT NULL,
  alert      text NOT NULL,
  firing     boolean NOT NULL,
  burn_rate  double precision,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (slo, cluster_id, alert)
);
`,
  // Dropping a partitioned table drops its partitions.
  down: `
DROP TABLE slo_alert_states;
DROP TABLE metric_namespace_samples;
DROP TABLE metric_pod_samples;
DROP TABLE metric_node_samples;
DROP TABLE metric_cluster_samples;
DROP TABLE metric_entities;
`,
};
