/**
 * The tracker over a real embedded PostgreSQL (PGlite) and the in-process bus: two trackers standing
 * for two replicas that each receive every other collection agree on the anomaly, and a publish that
 * fails leaves nothing committed, so the redelivered message is judged again with the same event id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_SUBJECTS, STREAMS, type AgentMetrics } from '../../contracts/index.js';
import { MemoryBus } from '../../adapters/bus/index.js';
import { SqlMetricRepository, createStore, type Store } from '../../adapters/store/index.js';
import { Metrics, silentLogger } from '../../adapters/telemetry/index.js';
import { DEFAULT_ANOMALY_OPTIONS } from '../../core/anomaly/index.js';
import { flattenMetrics } from '../../core/metric-series/index.js';
import { AnomalyTracker } from './anomaly-tracker.js';
import { pipelineCounters } from './pipeline-counters.js';

const MIN = 60_000;
const T0 = Date.parse('2025-09-30T10:00:00Z');

function collection(i: number, memory: number): AgentMetrics {
  return {
    schema_version: 1,
    cluster_id: 'c1',
    timestamp: new Date(T0 + i * MIN).toISOString(),
    cluster_metrics: { total_nodes: 1, ready_nodes: 1, total_pods: 1, running_pods: 1 },
    node_metrics: [],
    pod_metrics: [{ namespace: 'shop', name: 'cart-7d9f8b6c4-x2x9k', phase: 'Running', ready: true, restarts: 0, memory_usage_bytes: memory }],
    namespace_metrics: [],
  };
}

const memoryAt = (i: number) => (i >= 30 ? 500e6 : 100e6 + ((i * 7919) % 13) * 1e6);

describe('AnomalyTracker', () => {
  let store: Store;
  let repo: SqlMetricRepository;

  beforeAll(async () => {
    store = await createStore({ kind: 'pglite' });
    await store.migrations.up();
    repo = new SqlMetricRepository(store.sql);
  }, 30_000);

  afterAll(async () => {
    await store?.close();
  });

  it('two replicas taking turns learn each other\'s samples from the store and agree on one anomaly', { timeout: 30_000 }, async () => {
    const bus = new MemoryBus({ logger: silentLogger() });
    await bus.ensureStreams([{ ...STREAMS.internal, subjects: [...STREAMS.internal.subjects] }]);
    const published: string[] = [];
    bus.subscribe(INTERNAL_SUBJECTS.eventAnomaly, (m) => void published.push((m.json() as { id: string }).id));
    const make = () => new AnomalyTracker({ repo, bus, logger: silentLogger(), counters: pipelineCounters(new Metrics({ collectDefault: false })), detector: DEFAULT_ANOMALY_OPTIONS, metrics: ['pod_memory_usage_bytes'], historyMs: 2 * 3_600_000, maxSeries: 100 });
    const replicas = [make(), make()];
    const events: string[] = [];
    for (let i = 0; i < 40; i++) {
      const msg = collection(i, memoryAt(i));
      await repo.write([msg]);
      const tracker = replicas[i % 2];
      for (const e of (await tracker?.observe(msg, flattenMetrics(msg))) ?? []) events.push(`${i} ${e.series.metric} ${e.direction}`);
    }
    expect(events).toEqual(['30 pod_memory_usage_bytes up']);
    await new Promise((r) => setTimeout(r, 50));
    expect(published).toHaveLength(1);
    await bus.close();
  });

  it('commits nothing when the publish fails, so a redelivery publishes the same event', { timeout: 30_000 }, async () => {
    const bus = new MemoryBus({ logger: silentLogger() });
    const tracker = new AnomalyTracker({ repo, bus, logger: silentLogger(), counters: pipelineCounters(new Metrics({ collectDefault: false })), detector: DEFAULT_ANOMALY_OPTIONS, metrics: ['pod_memory_usage_bytes'], historyMs: 2 * 3_600_000, maxSeries: 100 });
    // The store already holds this series' samples 0..39 (previous test); a cold tracker rebuilds from them.
    const msg = collection(70, 5e9); // past the cool-down of the anomaly at 30
    await repo.write([msg]);
    // No stream captures internal.event.anomaly yet: a publish with a msgId fails.
    await expect(tracker.observe(msg, flattenMetrics(msg))).rejects.toThrow();
    expect(tracker.size).toBe(0);
    await bus.ensureStreams([{ ...STREAMS.internal, subjects: [...STREAMS.internal.subjects] }]);
    const again = await tracker.observe(msg, flattenMetrics(msg));
    const third = await new AnomalyTracker({ repo, bus, logger: silentLogger(), counters: pipelineCounters(new Metrics({ collectDefault: false })), detector: DEFAULT_ANOMALY_OPTIONS, metrics: ['pod_memory_usage_bytes'], historyMs: 2 * 3_600_000, maxSeries: 100 }).observe(msg, flattenMetrics(msg));
    expect(again).toHaveLength(1);
    expect(third.map((e) => e.id)).toEqual(again.map((e) => e.id));
    expect(tracker.size).toBe(1);
    await bus.close();
  });
});
