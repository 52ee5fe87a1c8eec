/**
 * The metrics store end to end on real NATS (JetStream) and real PostgreSQL: agent metrics messages —
 * whole and split into parts, duplicated, out of order — published on `aetherius.agent.{cluster}.metrics`
 * are stored by the manager's metrics pipeline and answered by the REST API; a step change after
 * warm-up publishes `internal.event.anomaly` and noise does not; a workload whose pods are not ready
 * breaches its SLO (`internal.event.slo_breach`) and a healthy one does not. Two pipelines share the
 * durable consumer throughout, as two manager replicas do: each sees only some of the messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INTERNAL_SUBJECTS,
  agentSubject,
  anomalyEvent,
  sloBreachEvent,
  type AgentMetrics,
  type AnomalyEvent,
  type PodMetrics,
  type SloBreachEvent,
} from '../src/contracts/index.js';
import { NatsBus, deleteNamespaceStreams, type Bus } from '../src/adapters/bus/index.js';
import { createHttpServer, type HttpServer } from '../src/adapters/http/index.js';
import { createStore, SqlMetricRepository, type Store } from '../src/adapters/store/index.js';
import { Health, Metrics, silentLogger } from '../src/adapters/telemetry/index.js';
import { ApiRoutes } from '../src/api/route-registry.js';
import { addMetricRoutes } from '../src/api/metric-routes.js';
import { resolveConfig, type Config } from '../src/core/config/index.js';
import { splitMetrics } from '../src/core/agent-metrics/index.js';
import { startMetricsPipeline, type MetricsPipeline } from '../src/manager/metrics/index.js';
import { eventually } from './support/cli.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';


/** The parts of an API answer these tests read (a query result or an error). */
interface ApiBody {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string]; values: [number, string][] }[] };
  error: { code: string; message: string; issues: { path: string; message: string }[] };
}

const MIN = 60_000;
const SPLIT = 'split-cluster';
const ANOMALY = 'anomaly-cluster';
const SLO = 'slo-cluster';

const CONFIG_YAML = `
manager:
  consumer_name: metrics-test
metrics:
  anomaly:
    metrics: [pod_memory_usage_bytes, namespace_memory_usage_bytes]
  slo:
    evaluation_interval: 1h   # evaluated on demand by the test
    objectives:
      - name: checkout-availability
        workload: { kind: Deployment, name: checkout, namespace: shop }
        objective: 0.99
      - name: catalog-availability
        workload: { kind: Deployment, name: catalog, namespace: shop }
        objective: 0.99
`;

function collection(clusterId: string, at: number, pods: PodMetrics[], more: Partial<AgentMetrics> = {}): AgentMetrics {
  const running = pods.filter((p) => p.phase === 'Running').length;
  return {
    schema_version: 1,
    cluster_id: clusterId,
    timestamp: new Date(at).toISOString(),
    cluster_metrics: { total_nodes: 2, ready_nodes: 2, total_pods: pods.length, running_pods: running },
    node_metrics: [],
    pod_metrics: pods,
    namespace_metrics: [],
    ...more,
  };
}

/** A deterministic noise source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('metrics store, anomalies and SLOs on NATS and PostgreSQL', () => {
  const namespace = uniqueName('metrics');
  let db: TestDatabase;
  let store: Store;
  let replicaStore: Store;
  let bus: Bus;
  let config: Config;
  let pipeline: MetricsPipeline;
  let replica: MetricsPipeline;
  let http: HttpServer;
  let base: string;
  const metricsA = new Metrics({ collectDefault: false });
  const metricsB = new Metrics({ collectDefault: false });
  const anomalies: AnomalyEvent[] = [];
  const breaches: SloBreachEvent[] = [];
  const now = Date.now();

  const api = async (path: string): Promise<{ status: number; body: ApiBody }> => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as ApiBody };
  };
  const query = async (q: string): Promise<ApiBody> => (await api(`/api/v1/metrics/query?query=${encodeURIComponent(q)}`)).body;
  const publish = (m: AgentMetrics | string, clusterId = typeof m === 'string' ? '' : m.cluster_id) => bus.publish(agentSubject(clusterId, 'metrics'), m);

  beforeAll(async () => {
    db = await createTestDatabase('aet_metrics');
    store = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
    await store.migrations.up();
    bus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, logger: silentLogger() });
    ({ config } = resolveConfig({ yamlText: CONFIG_YAML, env: {} }));
    bus.subscribe(INTERNAL_SUBJECTS.eventAnomaly, (m) => void anomalies.push(anomalyEvent.parse(m.json())));
    bus.subscribe(INTERNAL_SUBJECTS.eventSloBreach, (m) => void breaches.push(sloBreachEvent.parse(m.json())));
    pipeline = await startMetricsPipeline({ config, bus, store, logger: silentLogger(), metrics: metricsA });
    // A second replica: its own store connection, the same durable consumer.
    replicaStore = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
    replica = await startMetricsPipeline({ config, bus, store: replicaStore, logger: silentLogger(), metrics: metricsB });
    const metrics = new Metrics({ collectDefault: false });
    http = createHttpServer({ logger: silentLogger(), metrics, health: new Health(metrics) });
    addMetricRoutes(new ApiRoutes(http), { store, metrics: config.metrics, prometheus: config.prometheus });
    await http.listen({ host: '127.0.0.1', port: 0 });
    const address = http.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await pipeline?.stop();
    await replica?.stop();
    await replicaStore?.close();
    await http?.close();
    await bus?.close();
    await store?.close();
    await deleteNamespaceStreams(TEST_NATS_URL, namespace).catch(() => undefined);
    await db?.drop();
  });

  it('stores a collection split into parts — duplicated and out of order — as one, and serves it over the API', { timeout: 30_000 }, async () => {
    const at = now - 2 * MIN;
    const pods: PodMetrics[] = Array.from({ length: 400 }, (_, i) => ({
      namespace: i % 2 ? 'shop' : 'ops',
      name: `web-7d9f8b6c4-${String(i).padStart(5, '0')}`,
      node: `node-${i % 2}`,
      phase: 'Running',
      ready: true,
      restarts: i % 3,
      memory_usage_bytes: 1_000_000 + i,
      cpu_usage_millicores: 10 + (i % 7),
      memory_limit_bytes: 4_000_000,
    }));
    const message = collection(SPLIT, at, pods, {
      node_metrics: [
        { name: 'node-0', ready: true, pod_count: 200, conditions: { Ready: 'True', MemoryPressure: 'False' }, cpu_usage_percent: 40 },
        { name: 'node-1', ready: false, pod_count: 200, conditions: { Ready: 'False', MemoryPressure: 'Unknown' } },
      ],
      namespace_metrics: [
        { namespace: 'ops', total_pods: 200, running_pods: 200, memory_usage_bytes: 200_000_000 },
        { namespace: 'shop', total_pods: 200, running_pods: 200, memory_usage_bytes: 200_100_000 },
      ],
    });
    const parts = splitMetrics(message, 'collection-1', 16 * 1024);
    expect(parts.length).toBeGreaterThan(3);
    // Out of order, part 0 last, and one part delivered twice (an agent retry).
    for (const body of [...parts.slice(1).reverse(), parts[1] ?? '', parts[0] ?? '']) await publish(body, SPLIT);

    await eventually(async () => {
      const r = await query(`count(pod_memory_usage_bytes{cluster="${SPLIT}"})`);
      return r.data?.result?.[0]?.value?.[1] === '400' ? true : undefined;
    }, 20_000, 'all 400 pods of the split collection stored');

    // Exactly one cluster series and one sample of it, whatever the parts repeated.
    const clusterPods = await query(`count_over_time(cluster_pods{cluster="${SPLIT}"}[10m])`);
    expect(clusterPods.data.result).toEqual([{ metric: { cluster: SPLIT }, value: [expect.any(Number), '1'] }]);
    expect((await query(`sum by (namespace) (namespace_memory_usage_bytes{cluster="${SPLIT}"})`)).data.result).toHaveLength(2);
    expect((await query(`node_ready{cluster="${SPLIT}"} == 0`)).data.result.map((s) => s.metric['node'])).toEqual(['node-1']);
    expect((await query(`node_condition{cluster="${SPLIT}",condition="MemoryPressure"}`)).data.result).toHaveLength(1);
    const ratio = await query(`max(pod_memory_usage_bytes{cluster="${SPLIT}",namespace="shop"} / pod_memory_limit_bytes{cluster="${SPLIT}",namespace="shop"})`);
    expect(Number(ratio.data.result[0]?.value[1])).toBeCloseTo(1_000_399 / 4_000_000, 9);
    const res = await fetch(`${base}/api/v1/metrics/query?query=${encodeURIComponent(`sum(pod_restarts_total{cluster="${SPLIT}"})`)}`);
    expect(res.headers.get('x-aetherius-source')).toBe('postgresql');
    expect(await res.json()).toMatchObject({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [expect.any(Number), String(pods.reduce((n, p) => n + p.restarts, 0))] }] } });

    // The range API by metric name and selectors.
    const pod = pods[7]?.name ?? '';
    const range = await api(`/api/v1/metrics/range?metric=pod_memory_usage_bytes&cluster_id=${SPLIT}&namespace=shop&pod=${pod}&start=${(at - MIN) / 1000}&end=${new Date(at + MIN).toISOString()}&step=1m`);
    expect(range.status).toBe(200);
    expect(range.body.data).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'pod_memory_usage_bytes', cluster: SPLIT, namespace: 'shop', pod, node: 'node-1' },
          values: [[at / 1000, '1000007'], [(at + MIN) / 1000, '1000007']],
        },
      ],
    });

    // Stored once: one row per pod, entity and time, in PostgreSQL.
    const rows = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM metric_pod_samples s JOIN metric_entities e ON e.id = s.entity_id WHERE e.cluster_id = $1`, [SPLIT]);
    expect(rows.rows[0]?.n).toBe(400);
  });

  it('refuses malformed queries with 400 naming the field and the problem', async () => {
    const bad = await api(`/api/v1/metrics/query?query=${encodeURIComponent('pod_ready{namespace="shop"')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'AETHERIUS_E_INPUT', issues: [{ path: 'query', message: expect.stringMatching(/at character 27/) as unknown }] });
    expect((await api('/api/v1/metrics/query?query=rate(pod_ready)')).body.error.message).toMatch(/rate needs a range selector/);
    expect((await api('/api/v1/metrics/range?metric=pod_ready&start=1&end=2')).body.error.issues).toEqual([expect.objectContaining({ path: 'step' })]);
    expect((await api('/api/v1/metrics/range?metric=nonsense&start=1&end=2&step=1')).body.error.issues).toEqual([expect.objectContaining({ path: 'metric' })]);
    expect((await api('/api/v1/metrics/range?metric=pod_ready&start=2&end=1&step=1')).body.error.issues).toEqual([expect.objectContaining({ path: 'end' })]);
    expect((await api('/api/v1/metrics/range?metric=pod_ready&start=0&end=86400&step=1')).body.error.issues).toEqual([expect.objectContaining({ path: 'step' })]);
    expect((await api('/api/v1/metrics/range?query=pod_ready&pod=x&start=1&end=2&step=1')).body.error.issues).toEqual([expect.objectContaining({ path: 'pod' })]);
    expect((await api('/api/v1/metrics/range?start=1&end=2&step=1')).status).toBe(400);
    expect((await api('/api/v1/metrics/query?query=pod_ready&time=yesterday')).body.error.issues).toEqual([expect.objectContaining({ path: 'time' })]);
    // A regex PostgreSQL cannot compile is the client's error too.
    expect((await api(`/api/v1/metrics/query?query=${encodeURIComponent('pod_ready{pod=~"a{2,1}"}')}`)).status).toBe(400);
  });

  it('publishes one anomaly for a step change after warm-up, and none for noise', { timeout: 60_000 }, async () => {
    const noise = rng(42);
    const start = now - 45 * MIN;
    const stored = async (n: number) => {
      const r = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM metric_cluster_samples s JOIN metric_entities e ON e.id = s.entity_id WHERE e.cluster_id = $1`, [ANOMALY]);
      return r.rows[0]?.n === n ? true : undefined;
    };
    for (let i = 0; i < 45; i++) {
      // One collection at a time, as an agent sends them (one a minute): the two replicas take turns
      // and each learns the other's samples from the store.
      if (i > 0) await eventually(() => stored(i), 10_000, `collection ${i} stored`);
      const wobble = () => 100e6 * (1 + (noise() - 0.5) * 0.2);
      const leak = i >= 35 ? 400e6 : wobble();
      const steady = wobble();
      await publish(
        collection(ANOMALY, start + i * MIN, [
          { namespace: 'payments', name: 'ledger-5c8d7f9b6-abcde', phase: 'Running', ready: true, restarts: 0, memory_usage_bytes: leak },
          { namespace: 'search', name: 'indexer-6f7d8c9b5-fghij', phase: 'Running', ready: true, restarts: 0, memory_usage_bytes: steady },
        ], {
          namespace_metrics: [
            { namespace: 'payments', total_pods: 1, running_pods: 1, memory_usage_bytes: leak },
            { namespace: 'search', total_pods: 1, running_pods: 1, memory_usage_bytes: steady },
          ],
        }),
      );
    }
    await eventually(async () => {
      const r = await query(`count_over_time(pod_memory_usage_bytes{cluster="${ANOMALY}",pod="indexer-6f7d8c9b5-fghij"}[1h])`);
      return r.data?.result?.[0]?.value?.[1] === '45' ? true : undefined;
    }, 30_000, 'all 45 collections stored');
    await eventually(() => Promise.resolve(anomalies.filter((a) => a.cluster_id === ANOMALY).length >= 2 ? true : undefined), 10_000, 'anomalies published');
    // Let any stray event arrive before asserting there is none for the steady series.
    await new Promise((r) => setTimeout(r, 500));
    const mine = anomalies.filter((a) => a.cluster_id === ANOMALY);
    expect(mine.map((a) => [a.series.metric, a.series.labels.kind, a.series.labels.name]).sort()).toEqual([
      ['namespace_memory_usage_bytes', 'Namespace', 'payments'],
      ['pod_memory_usage_bytes', 'Pod', 'ledger-5c8d7f9b6-abcde'],
    ]);
    const pod = mine.find((a) => a.series.metric === 'pod_memory_usage_bytes');
    expect(pod).toMatchObject({ direction: 'up', value: 400e6, severity: 'high', detector: 'ewma_zscore', timestamp: new Date(start + 35 * MIN).toISOString(), series: { labels: { namespace: 'payments' } } });
    expect(pod?.expected).toBeGreaterThan(90e6);
    expect(pod?.expected).toBeLessThan(110e6);
    expect(pod?.z_score).toBeGreaterThan(6);
    // Both replicas did part of the work.
    for (const m of [metricsA, metricsB]) expect((await m.exposition()).body).toMatch(/aetherius_metric_rows_stored_total\{result="inserted"\} [1-9]/);
  });

  it('fires an SLO breach for a workload whose pods are not ready, not for a healthy one, and only once', { timeout: 60_000 }, async () => {
    const start = now - 59 * MIN;
    for (let i = 0; i < 60; i++) {
      const pods: PodMetrics[] = [0, 1, 2].flatMap((n) => [
        // checkout crash-loops: running, never ready, restarting.
        { namespace: 'shop', name: `checkout-7f9b8c6d5-pod${n}x`, phase: 'Running', ready: false, restarts: i },
        { namespace: 'shop', name: `catalog-5d6c7b8a9-pod${n}y`, phase: 'Running', ready: true, restarts: 1 },
      ]);
      await publish(collection(SLO, start + i * MIN, pods));
    }
    await eventually(async () => {
      const r = await query(`count_over_time(cluster_pods{cluster="${SLO}"}[2h])`);
      return r.data?.result?.[0]?.value?.[1] === '60' ? true : undefined;
    }, 30_000, 'all 60 collections stored');

    // Both replicas evaluate at once; the database lets one of them see each transition.
    await Promise.all([pipeline.evaluateSlos(), replica.evaluateSlos()]);
    await eventually(() => Promise.resolve(breaches.some((b) => b.cluster_id === SLO) ? true : undefined), 10_000, 'SLO breach published');
    await new Promise((r) => setTimeout(r, 300));
    const mine = breaches.filter((b) => b.cluster_id === SLO);
    // 100% bad: all three alerts of the table fire, each once, all for checkout.
    expect(mine.map((b) => `${b.slo.name} ${b.long_window}/${b.short_window} ${b.severity}`).sort()).toEqual([
      'checkout-availability 1h/5m critical',
      'checkout-availability 6h/30m high',
      'checkout-availability 72h/6h medium',
    ]);
    const page = mine.find((b) => b.long_window === '1h');
    expect(page).toMatchObject({
      severity: 'critical',
      short_window: '5m',
      slo: { name: 'checkout-availability', workload: { kind: 'Deployment', name: 'checkout', namespace: 'shop' }, objective: 0.99, window: '720h' },
    });
    // Every sample bad at 99%: burning the budget 100 times too fast; an hour of it spends 1/7.2 of 30 days' budget.
    expect(page?.burn_rate).toBeCloseTo(100, 6);
    expect(page?.error_budget_remaining).toBeGreaterThan(0.8);
    expect(page?.error_budget_remaining).toBeLessThan(0.9);

    // A second evaluation while still burning publishes nothing new: only transitions are events.
    const before = breaches.length;
    await Promise.all([pipeline.evaluateSlos(), replica.evaluateSlos()]);
    await new Promise((r) => setTimeout(r, 300));
    expect(breaches.length).toBe(before);

    // A pod sample counts as bad when it restarted since the previous one, even if Ready at the instant.
    const repo = new SqlMetricRepository(store.sql);
    const [healthy] = await repo.podAvailability({ cluster_id: SLO, namespace: 'shop', podPattern: '^catalog-[a-z0-9]{1,10}-[a-z0-9]{5}$', windowsMs: [3_600_000], nowMs: Date.now() });
    expect(healthy?.windows.get(3_600_000)).toEqual({ bad: 0, total: 180 });
  });
});
