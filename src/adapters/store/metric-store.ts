/**
 * The metrics store: agent metrics messages kept as samples in PostgreSQL (either adapter, same SQL),
 * read back as series for the query API, anomaly detection and SLOs. Design and figures:
 * docs/adr/ (metrics store) and docs/metrics.md.
 */
import type { AgentMetrics } from '../../contracts/index.js';
import type { EntityKind, FlatSample, MetricDefinition } from '../../core/metric-series/index.js';
import type { Matcher, RawSeries } from '../../core/promql/index.js';

export interface MetricWriteResult {
  /** Sample rows stored (one per entity and collection time). */
  rows: number;
  /** Rows already stored (a redelivered message, or the cluster row every part repeats). */
  duplicates: number;
}

export interface SeriesQuery {
  /** A metric of the catalog; an unknown name matches nothing. Undefined: every metric the `__name__` matchers select. */
  name: string | undefined;
  /** PromQL label matchers (`cluster`, `namespace`, `pod`, `node`, `phase`, `condition`, `__name__`). */
  matchers: readonly Matcher[];
  /** Exclusive, unix ms. */
  startMs: number;
  /** Inclusive, unix ms. */
  endMs: number;
  /** Refuse (InputError) a selection of more samples than this. */
  maxSamples: number;
  /** Field named by the InputError when the selection is too large or a regex is invalid (default `query`). */
  path?: string;
}

/** Bad and total pod samples of a workload in one window. */
export interface AvailabilityCounts {
  bad: number;
  total: number;
}

export interface AvailabilityQuery {
  /** Empty: every cluster where the workload's pods are seen (one result each). */
  cluster_id: string;
  namespace: string;
  /** Anchored regular expression for the pods' names (src/core/slo/workload.ts). */
  podPattern: string;
  /** Window lengths, ms. */
  windowsMs: readonly number[];
  nowMs: number;
}

export interface AvailabilityResult {
  cluster_id: string;
  /** Counts by window length (ms). */
  windows: Map<number, AvailabilityCounts>;
  /** Oldest sample inside the longest window (unix ms). */
  firstSampleMs: number;
}

export interface SloAlertStateChange {
  slo: string;
  cluster_id: string;
  /** The alert of the burn-rate table, e.g. `1h/5m`. */
  alert: string;
  firing: boolean;
  burn_rate: number | null;
  at: Date;
}

export interface MetricRetentionResult {
  /** Daily partitions dropped (summed over the sample tables). */
  partitions: number;
  /** Entities not seen since the cut-off, deleted. */
  entities: number;
}

export interface MetricRepository {
  /**
   * Stores messages (parts of a split collection may come separately, in any order) in one statement:
   * entities upserted, one row per entity and collection time, rows already stored skipped. Creates the
   * day partitions the messages need first.
   * @throws InputError when the database rejects a value (e.g. a count beyond 32 bits); nothing is stored.
   * @throws StoreError when the database fails.
   */
  write(messages: readonly AgentMetrics[]): Promise<MetricWriteResult>;
  /**
   * The series a selector matches, with their samples in (startMs, endMs], oldest first; labels include
   * `__name__`.
   * @throws InputError (path `query.path`) when more than `maxSamples` samples match or a regex is invalid.
   */
  select(query: SeriesQuery): Promise<RawSeries[]>;
  /**
   * The stored samples of the given metrics for the given entities of one kind in (sinceMs, untilMs],
   * ordered by entity, then time (anomaly detection catching up on what other replicas stored).
   */
  samplesOf(kind: EntityKind, entityIds: readonly string[], metrics: readonly MetricDefinition[], sinceMs: number, untilMs: number): Promise<FlatSample[]>;
  /** Pod-readiness counts of a workload per window and cluster (the `pods_ready` SLI, docs/metrics.md). */
  podAvailability(query: AvailabilityQuery): Promise<AvailabilityResult[]>;
  /**
   * Records an SLO alert's state; true when this call changed it (or created it), so that exactly one
   * of several replicas evaluating at once sees each transition.
   */
  setSloAlertState(change: SloAlertStateChange): Promise<boolean>;
  /** Creates the daily partitions covering [fromMs, toMs] that do not exist yet. Idempotent, safe across replicas. */
  ensurePartitions(fromMs: number, toMs: number): Promise<void>;
  /** Drops the day partitions that end at or before `before` and the entities last seen before it. */
  applyRetention(before: Date): Promise<MetricRetentionResult>;
}
