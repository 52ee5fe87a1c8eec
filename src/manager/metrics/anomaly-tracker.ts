/**
 * Anomaly detection over the stored series (src/core/anomaly/ewma.ts), one detector state per watched
 * series, kept in this manager's memory as a cache of a deterministic function of the stored samples:
 *
 * - Before judging a message's samples, the tracker reads from the store every sample of those series
 *   it has not learned yet — those other replicas stored (replicas share the metrics consumer, so each
 *   sees only some messages of a cluster), and, for a series it has no state for (this manager just
 *   started, or the series is new to it), up to `history` of them. So every replica learns every sample
 *   in time order and reaches the same verdicts.
 * - Only the samples of the message at hand are judged for publication: each sample is judged by the
 *   replica that received its message. The event id is derived from the series and the sample time, and
 *   is the publish msgId, so should two replicas both judge one sample the stream keeps one event.
 * - Detector states are committed only after their anomalies are published: a message whose publish
 *   failed is redelivered and judged again identically.
 */
import { createHash } from 'node:crypto';
import { INTERNAL_SUBJECTS, SCHEMA_VERSION, anomalyEvent, formatDuration, parseWith, type AgentMetrics, type AnomalyEvent } from '../../contracts/index.js';
import type { Bus } from '../../adapters/bus/index.js';
import type { MetricRepository } from '../../adapters/store/index.js';
import type { Logger } from '../../adapters/telemetry/index.js';
import { detect, type AnomalyOptions, type DetectorState } from '../../core/anomaly/index.js';
import { metricDefinition, type EntityKind, type FlatSample, type MetricDefinition } from '../../core/metric-series/index.js';
import type { PipelineCounters } from './pipeline-counters.js';

export interface AnomalyTrackerOptions {
  repo: MetricRepository;
  bus: Bus;
  logger: Logger;
  counters: PipelineCounters;
  detector: AnomalyOptions;
  /** Metric names watched. */
  metrics: readonly string[];
  /** How far back a missing state is rebuilt from, ms. */
  historyMs: number;
  /** Most states held; the least recently updated go first. */
  maxSeries: number;
}

const KIND_LABEL: Record<EntityKind, string> = { cluster: 'Cluster', node: 'Node', pod: 'Pod', namespace: 'Namespace' };

function seriesKey(s: FlatSample): string {
  return `${s.entity}|${s.metric}`;
}

export class AnomalyTracker {
  readonly #o: AnomalyTrackerOptions;
  readonly #watched: Map<string, MetricDefinition>;
  /** Insertion order = least recently updated first. */
  readonly #states = new Map<string, DetectorState>();

  constructor(o: AnomalyTrackerOptions) {
    this.#o = o;
    this.#watched = new Map(o.metrics.flatMap((name) => {
      const d = metricDefinition(name);
      return d ? [[name, d] as const] : [];
    }));
  }

  /** Series whose state is held. */
  get size(): number {
    return this.#states.size;
  }

  /**
   * Judges a stored message's samples (flattenMetrics of it) and publishes its anomalies.
   * @returns the anomalies published.
   * @throws StoreError / BusError: nothing is committed then, and a redelivery judges the message again.
   */
  async observe(msg: AgentMetrics, samples: readonly FlatSample[]): Promise<AnomalyEvent[]> {
    const current = samples.filter((s) => this.#watched.has(s.metric));
    if (current.length === 0) return [];
    const t = Date.parse(msg.timestamp);
    const currentKeys = new Set(current.map(seriesKey));
    const pending = new Map<string, DetectorState | undefined>();
    for (const s of current) pending.set(seriesKey(s), this.#states.get(seriesKey(s)));

    // What the store has that these states have not learned, per entity kind: warm series from their
    // newest learned sample, cold ones from `history` back.
    const byKind = new Map<EntityKind, { warm: Set<string>; cold: Set<string>; since: number }>();
    for (const s of current) {
      const kind = this.#watched.get(s.metric)?.entity;
      if (!kind) continue;
      const group = byKind.get(kind) ?? { warm: new Set<string>(), cold: new Set<string>(), since: t };
      const state = pending.get(seriesKey(s));
      if (state) {
        group.warm.add(s.entity);
        group.since = Math.min(group.since, state.lastT);
      } else group.cold.add(s.entity);
      byKind.set(kind, group);
    }
    const stored: FlatSample[] = [];
    for (const [kind, g] of byKind) {
      const defs = [...this.#watched.values()].filter((d) => d.entity === kind);
      const cold = [...g.cold].filter((id) => !g.warm.has(id));
      if (g.warm.size) stored.push(...(await this.#o.repo.samplesOf(kind, [...g.warm], defs, Math.max(g.since, t - this.#o.historyMs), t)));
      if (cold.length) stored.push(...(await this.#o.repo.samplesOf(kind, cold, defs, t - this.#o.historyMs, t)));
    }
    // The message's own samples are in the store (written just before); keep them even if a read raced.
    const all = [...stored, ...current].filter((s) => currentKeys.has(seriesKey(s)));
    all.sort((a, b) => a.t - b.t);

    const events: AnomalyEvent[] = [];
    for (const s of all) {
      const key = seriesKey(s);
      const r = detect(pending.get(key), s.value, s.t, this.#o.detector);
      pending.set(key, r.state);
      if (r.anomaly && s.t === t) events.push(this.#event(msg.cluster_id, s, r.anomaly));
    }
    for (const e of events) {
      await this.#o.bus.publish(INTERNAL_SUBJECTS.eventAnomaly, e, { msgId: e.id });
      this.#o.counters.anomalies.inc({ metric: e.series.metric, severity: e.severity });
      this.#o.logger.info({ clusterId: e.cluster_id, metric: e.series.metric, labels: e.series.labels, value: e.value, expected: e.expected, z: e.z_score }, 'metric anomaly');
    }
    for (const [key, state] of pending) {
      if (!state) continue;
      this.#states.delete(key);
      this.#states.set(key, state);
    }
    while (this.#states.size > this.#o.maxSeries) {
      const oldest = this.#states.keys().next().value;
      if (oldest === undefined) break;
      this.#states.delete(oldest);
    }
    return events;
  }

  #event(clusterId: string, s: FlatSample, a: NonNullable<ReturnType<typeof detect>['anomaly']>): AnomalyEvent {
    const d = this.#watched.get(s.metric);
    const kind = d?.entity ?? 'pod';
    const name = kind === 'cluster' ? clusterId : kind === 'node' ? (s.labels['node'] ?? '') : kind === 'namespace' ? (s.labels['namespace'] ?? '') : (s.labels['pod'] ?? '');
    const labels: Record<string, string> = { kind: KIND_LABEL[kind], name };
    if (kind === 'pod' || kind === 'namespace') labels['namespace'] = s.labels['namespace'] ?? '';
    if (s.labels['node'] && kind === 'pod') labels['node'] = s.labels['node'];
    const digest = createHash('sha256').update(`${clusterId}\u0000${s.metric}\u0000${s.entity}\u0000${s.t}`).digest('hex').slice(0, 24);
    const o = this.#o.detector;
    return parseWith(
      anomalyEvent,
      {
        schema_version: SCHEMA_VERSION,
        id: `anomaly-${digest}`,
        cluster_id: clusterId,
        timestamp: new Date(s.t).toISOString(),
        series: { metric: s.metric, labels },
        value: a.value,
        expected: a.expected,
        z_score: a.z,
        direction: a.direction,
        severity: a.severity,
        window: formatDuration(Math.max(0, a.windowMs)),
        detector: 'ewma_zscore',
        details: { z_threshold: o.zThreshold, alpha: o.alpha, warmup_samples: o.warmupSamples, cooldown: formatDuration(o.cooldownMs) },
      },
      'anomaly event',
    );
  }
}
