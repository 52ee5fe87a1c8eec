/**
 * The metrics pipeline's own Prometheus series, registered on the process's registry (once: a second
 * pipeline in the same process, as in tests, shares them).
 */
import { Counter, type Registry } from 'prom-client';
import type { Metrics } from '../../adapters/telemetry/index.js';

export interface PipelineCounters {
  /** Sample rows (one per entity and collection) stored, by result `inserted` or `duplicate`. */
  rows: Counter<'result'>;
  /** Metrics messages not stored, by reason `future` (clock skew), `expired` (past retention), `store_rejected`. */
  dropped: Counter<'reason'>;
  anomalies: Counter<'metric' | 'severity'>;
  sloBreaches: Counter<'slo' | 'severity'>;
  /** Samples remote-written to Prometheus, by result `sent`, `queue_full`, `rejected`, `shutdown`. */
  remoteWrite: Counter<'result'>;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function pipelineCounters(metrics: Metrics): PipelineCounters {
  const r = metrics.registry;
  return {
    rows: counter(r, 'aetherius_metric_rows_stored_total', 'Metric sample rows (one per entity and collection) stored, by result (inserted or duplicate)', ['result']),
    dropped: counter(r, 'aetherius_metric_messages_dropped_total', 'Agent metrics messages not stored, by reason (future, expired, store_rejected)', ['reason']),
    anomalies: counter(r, 'aetherius_anomalies_total', 'Anomalies published on internal.event.anomaly, by metric and severity', ['metric', 'severity']),
    sloBreaches: counter(r, 'aetherius_slo_breaches_total', 'SLO burn-rate alerts that started firing (published on internal.event.slo_breach), by SLO and severity', ['slo', 'severity']),
    remoteWrite: counter(r, 'aetherius_remote_write_samples_total', 'Samples remote-written to Prometheus, by result (sent, queue_full, rejected, shutdown)', ['result']),
  };
}
