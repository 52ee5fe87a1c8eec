/**
 * The metrics repository against both SQL adapters — real PostgreSQL and embedded PGlite run the same
 * SQL: writes (parts, duplicates, late samples), selection by label matchers, partition maintenance and
 * retention, SLO alert-state transitions, and migration 4 going down with run-time partitions present.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, type AgentMetrics } from '../src/contracts/index.js';
import { MIGRATIONS, SqlMetricRepository, createStore, type Store } from '../src/adapters/store/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { splitMetrics } from '../src/core/agent-metrics/index.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

const DAY = 86_400_000;
const MIN = 60_000;
const T = Date.parse('2025-09-30T10:00:00Z');

function message(clusterId: string, at: number, pods = 3, memory = (i: number) => 100 + i): AgentMetrics {
  return {
    schema_version: 1,
    cluster_id: clusterId,
    timestamp: new Date(at).toISOString(),
    cluster_metrics: { total_nodes: 1, ready_nodes: 1, total_pods: pods, running_pods: pods, cpu_usage_percent: 12.5 },
    node_metrics: [{ name: 'n1', ready: true, pod_count: pods, conditions: { Ready: 'True', DiskPressure: 'False' } }],
    pod_metrics: Array.from({ length: pods }, (_, i) => ({ namespace: 'shop', name: `cart-7d9f8b6c4-p${String(i).padStart(4, '0')}`, node: 'n1', phase: i === 0 ? 'Pending' : 'Running', ready: i !== 0, restarts: i, memory_usage_bytes: memory(i) })),
    namespace_metrics: [{ namespace: 'shop', total_pods: pods, running_pods: pods - 1 }],
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function contract(name: string, make: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  describe(`metric repository: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let repo: SqlMetricRepository;

    beforeAll(async () => {
      ({ store, cleanup } = await make());
      await store.migrations.up();
      repo = new SqlMetricRepository(store.sql);
    }, 60_000);

    afterAll(async () => {
      await cleanup?.();
    });

    it('stores the parts of a collection as the whole, skipping duplicates, and selects by matchers', async () => {
      const whole = message('c1', T, 50);
      const parts = splitMetrics(whole, 'x', 4096).map((p) => JSON.parse(p) as AgentMetrics);
      expect(parts.length).toBeGreaterThan(2);
      const first = await repo.write(parts);
      // 1 cluster + 1 node + 50 pods + 1 namespace rows; the cluster row repeated by every part is skipped.
      expect(first).toEqual({ rows: 53, duplicates: parts.length - 1 });
      expect(await repo.write([whole])).toEqual({ rows: 0, duplicates: 53 });

      const all = await repo.select({ name: 'pod_memory_usage_bytes', matchers: [{ label: 'cluster', op: '=', value: 'c1' }], startMs: T - MIN, endMs: T, maxSamples: 1000 });
      expect(all).toHaveLength(50);
      expect(all[0]?.labels).toMatchObject({ __name__: 'pod_memory_usage_bytes', cluster: 'c1', namespace: 'shop', node: 'n1' });
      const some = await repo.select({ name: undefined, matchers: [{ label: '__name__', op: '=~', value: 'pod_(ready|phase)' }, { label: 'pod', op: '=~', value: 'cart-.*-p000[01]' }, { label: 'phase', op: '!=', value: 'Running' }], startMs: T - MIN, endMs: T, maxSamples: 1000 });
      // pod_ready for both pods (no phase label: "" != "Running"), pod_phase only for the Pending one.
      expect(some.map((s) => [s.labels['__name__'], s.labels['pod'], s.labels['phase'] ?? '', s.v[0]]).sort()).toEqual([
        ['pod_phase', 'cart-7d9f8b6c4-p0000', 'Pending', 1],
        ['pod_ready', 'cart-7d9f8b6c4-p0000', '', 0],
        ['pod_ready', 'cart-7d9f8b6c4-p0001', '', 1],
      ]);
      const conditions = await repo.select({ name: 'node_condition', matchers: [], startMs: T - MIN, endMs: T, maxSamples: 10 });
      expect(conditions.map((s) => [s.labels['condition'], s.v[0]]).sort()).toEqual([['DiskPressure', 0], ['Ready', 1]]);
      expect(await repo.select({ name: 'pod_ready', matchers: [{ label: 'container', op: '=', value: 'x' }], startMs: T - MIN, endMs: T, maxSamples: 10 })).toEqual([]);
      expect(await repo.select({ name: 'no_such_metric', matchers: [], startMs: T - MIN, endMs: T, maxSamples: 10 })).toEqual([]);
    });

    it('refuses selections over the sample limit and regexes the database cannot compile, naming the field', async () => {
      const over = await rejection(repo.select({ name: 'pod_ready', matchers: [], startMs: T - MIN, endMs: T, maxSamples: 10, path: 'metric' }));
      expect(over).toBeInstanceOf(InputError);
      expect((over as InputError).issues).toEqual([{ path: 'metric', message: 'selects more than 10 samples' }]);
      const regex = await rejection(repo.select({ name: 'pod_ready', matchers: [{ label: 'pod', op: '=~', value: 'a{2,1}' }], startMs: T - MIN, endMs: T, maxSamples: 10 }));
      expect(regex).toBeInstanceOf(InputError);
      expect((regex as InputError).issues[0]?.path).toBe('query');
    });

    it('returns stored samples per entity for anomaly catch-up', async () => {
      for (let i = 1; i <= 3; i++) await repo.write([message('c2', T + i * MIN, 2, () => 1000 * i)]);
      const one = await repo.select({ name: 'pod_memory_usage_bytes', matchers: [{ label: 'cluster', op: '=', value: 'c2' }, { label: 'pod', op: '=', value: 'cart-7d9f8b6c4-p0001' }], startMs: T, endMs: T + 10 * MIN, maxSamples: 100 });
      expect(one[0]?.v).toEqual([1000, 2000, 3000]);
      expect(await repo.samplesOf('pod', [], [], 0, 0)).toEqual([]);
      const ids = await store.sql.query<{ id: string }>(`SELECT id::text AS id FROM metric_entities WHERE cluster_id = 'c2' AND kind = 'pod' ORDER BY name`);
      const { METRICS } = await import('../src/core/metric-series/index.js');
      const samples = await repo.samplesOf('pod', ids.rows.map((r) => r.id), METRICS.filter((d) => d.name === 'pod_memory_usage_bytes'), T + MIN, T + 3 * MIN);
      // Ordered by entity, then time within each entity.
      expect(samples.map((s) => [s.labels['pod'], s.t - T, s.value]).sort()).toEqual([
        ['cart-7d9f8b6c4-p0000', 2 * MIN, 2000],
        ['cart-7d9f8b6c4-p0000', 3 * MIN, 3000],
        ['cart-7d9f8b6c4-p0001', 2 * MIN, 2000],
        ['cart-7d9f8b6c4-p0001', 3 * MIN, 3000],
      ]);
    });

    it('counts pod availability: not running, not ready or restarted since the last sample is bad', async () => {
      const [r] = await repo.podAvailability({ cluster_id: 'c2', namespace: 'shop', podPattern: '^cart-[a-z0-9]{1,10}-[a-z0-9]{5}$', windowsMs: [MIN, 10 * MIN], nowMs: T + 3 * MIN });
      // Pod 0 is Pending (bad); pod 1 is Ready with a constant restart count (good).
      expect(r?.cluster_id).toBe('c2');
      expect(r?.windows.get(10 * MIN)).toEqual({ bad: 3, total: 6 });
      expect(r?.windows.get(MIN)).toEqual({ bad: 1, total: 2 });
      expect(await repo.podAvailability({ cluster_id: 'c2', namespace: 'shop', podPattern: '^nothing$', windowsMs: [MIN], nowMs: T + 3 * MIN })).toEqual([]);
    });

    it('reports each SLO alert transition once', async () => {
      const at = new Date(T);
      const key = { slo: 's', cluster_id: 'c1', alert: '1h/5m', burn_rate: 20, at };
      expect(await repo.setSloAlertState({ ...key, firing: true })).toBe(true);
      expect(await repo.setSloAlertState({ ...key, firing: true })).toBe(false);
      expect(await repo.setSloAlertState({ ...key, firing: false })).toBe(true);
      expect(await repo.setSloAlertState({ ...key, firing: false })).toBe(false);
    });

    it('creates day partitions on demand and drops whole days past retention', async () => {
      const old = T - 10 * DAY;
      await repo.write([message('c3', old)]);
      await repo.ensurePartitions(T, T + 2 * DAY);
      await repo.ensurePartitions(T, T + 2 * DAY);
      const before = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'metric_pod_samples_p%'`);
      expect(before.rows[0]?.n).toBeGreaterThanOrEqual(4);
      const result = await repo.applyRetention(new Date(T - 5 * DAY));
      // The old day's four tables (cluster, node, pod, namespace) go; its entities too.
      expect(result).toEqual({ partitions: 4, entities: 6 });
      expect(await repo.select({ name: 'pod_ready', matchers: [{ label: 'cluster', op: '=', value: 'c3' }], startMs: old - DAY, endMs: old + DAY, maxSamples: 10 })).toEqual([]);
      expect((await repo.select({ name: 'pod_ready', matchers: [{ label: 'cluster', op: '=', value: 'c1' }], startMs: T - MIN, endMs: T, maxSamples: 100 })).length).toBe(50);
      // A late sample for a dropped day recreates its partition.
      expect((await repo.write([message('c3', old)])).rows).toBe(6);
      // A second repository (another replica) that never saw a partition writes into it too.
      expect((await new SqlMetricRepository(store.sql).write([message('c4', T)])).rows).toBe(6);
    });

    it('migration 4 goes down with run-time partitions present, and up again', async () => {
      const above = MIGRATIONS.filter((m) => m.version >= 4).length;
      const reverted = await store.migrations.down(above);
      expect(reverted.at(-1)).toBe(4);
      const left = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'metric\\_%' OR relname = 'slo_alert_states'`);
      expect(left.rows[0]?.n).toBe(0);
      await store.migrations.up();
      const fresh = new SqlMetricRepository(store.sql);
      expect((await fresh.write([message('c5', T)])).rows).toBe(6);
    });
  });
}

contract('postgres', async () => {
  const db: TestDatabase = await createTestDatabase('aet_metric_repo');
  const store = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});

contract('pglite', async () => {
  const store = await createStore({ kind: 'pglite' });
  return { store, cleanup: () => store.close() };
});

describe('metric repository on postgres: replicas writing overlapping collections at once', () => {
  it('stores every row once without deadlocks', { timeout: 30_000 }, async () => {
    const db = await createTestDatabase('aet_metric_race');
    const stores = await Promise.all([1, 2, 3].map(() => createStore({ kind: 'postgres', url: db.url, logger: silentLogger() })));
    try {
      await stores[0]?.migrations.up();
      const repos = stores.map((s) => new SqlMetricRepository(s.sql));
      const messages = Array.from({ length: 12 }, (_, i) => message('race', T + i * MIN, 200));
      // Every replica writes every message (redeliveries), in a different order.
      await Promise.all(repos.map((r, k) => (async () => {
        for (const m of k % 2 ? [...messages].reverse() : messages) await r.write([m]);
      })()));
      const n = await stores[0]?.sql.query<{ n: number }>(`SELECT count(*) AS n FROM metric_pod_samples`);
      expect(n?.rows[0]?.n).toBe(12 * 200);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.drop();
    }
  });
});
