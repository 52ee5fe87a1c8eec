/**
 * With `prometheus.url` set: the manager remote-writes stored series (remote write 1.0: protobuf +
 * snappy), retrying what a retry can cure; the API proxies PromQL to Prometheus's HTTP API and maps its
 * errors; latency SLOs read their SLI from it. "Prometheus" here is a PROTOCOL FAKE
 * (test/support/prometheus-fake.ts): a local server speaking the wire protocols and decoding what it
 * receives — no Prometheus runs on this machine. Metrics messages travel over real NATS into real
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_SUBJECTS, agentSubject, sloBreachEvent, type AgentMetrics, type SloBreachEvent } from '../src/contracts/index.js';
import { NatsBus, deleteNamespaceStreams, type Bus } from '../src/adapters/bus/index.js';
import { createHttpServer, type HttpServer } from '../src/adapters/http/index.js';
import { createStore, type Store } from '../src/adapters/store/index.js';
import { Health, Metrics, silentLogger } from '../src/adapters/telemetry/index.js';
import { ApiRoutes } from '../src/api/route-registry.js';
import { addMetricRoutes } from '../src/api/metric-routes.js';
import { resolveConfig, type Config } from '../src/core/config/index.js';
import { startMetricsPipeline, type MetricsPipeline } from '../src/manager/metrics/index.js';
import { eventually } from './support/cli.js';
import { startPrometheusFake, type PrometheusFake } from './support/prometheus-fake.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';


/** The parts of an API answer these tests read (a query result or an error). */
interface ApiBody {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string]; values: [number, string][] }[] };
  error: { code: string; message: string; issues: { path: string; message: string }[] };
}

const CLUSTER = 'prom-cluster';

function collection(at: number, memory: number): AgentMetrics {
  return {
    schema_version: 1,
    cluster_id: CLUSTER,
    timestamp: new Date(at).toISOString(),
    cluster_metrics: { total_nodes: 1, ready_nodes: 1, total_pods: 1, running_pods: 1 },
    node_metrics: [{ name: 'node-a', ready: true, pod_count: 1, conditions: { Ready: 'True' } }],
    pod_metrics: [{ namespace: 'web', name: 'api-6d5f7c8b9-k2x7p', node: 'node-a', phase: 'Running', ready: true, restarts: 0, memory_usage_bytes: memory }],
    namespace_metrics: [],
  };
}

describe('Prometheus: remote write, query proxy and latency SLOs (against a protocol fake)', () => {
  const namespace = uniqueName('prom');
  let fake: PrometheusFake;
  let db: TestDatabase;
  let store: Store;
  let bus: Bus;
  let config: Config;
  let metrics: Metrics;
  let pipeline: MetricsPipeline;
  let http: HttpServer;
  let base: string;
  const breaches: SloBreachEvent[] = [];

  const api = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, source: res.headers.get('x-aetherius-source'), body: (await res.json()) as ApiBody };
  };

  beforeAll(async () => {
    fake = await startPrometheusFake();
    fake.onQuery((q) => {
      const text = q.params['query'] ?? '';
      // The latency SLO's SLI: 90% of requests under the threshold — a 10x burn at 99%.
      if (text.includes('_bucket')) return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.9'] }] } } };
      if (text.includes('_count')) return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } } };
      if (text.startsWith('broken')) return { status: 400, body: { status: 'error', errorType: 'bad_data', error: '1:7: parse error: unexpected end of input' } };
      if (q.path.endsWith('query_range')) return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'x' }, values: [[Number(q.params['start']), '1']] }] } } };
      return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'x' }, value: [Number(q.params['time']), '1'] }] } } };
    });
    db = await createTestDatabase('aet_prom');
    store = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
    await store.migrations.up();
    bus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, logger: silentLogger() });
    ({ config } = resolveConfig({
      yamlText: `
manager: { consumer_name: prom-test }
prometheus: { url: "${fake.url}", bearer_token: test-token, remote_write_max_samples: 3 }
metrics:
  anomaly: { enabled: false }
  slo:
    evaluation_interval: 1h
    objectives:
      - name: api-latency
        cluster_id: ${CLUSTER}
        workload: { kind: Deployment, name: api, namespace: web }
        objective: 0.99
        sli:
          type: latency
          good_query: 'sum(rate(http_request_duration_seconds_bucket{job="api",le="0.3"}[$window]))'
          total_query: 'sum(rate(http_request_duration_seconds_count{job="api"}[$window]))'
`,
      env: {},
    }));
    bus.subscribe(INTERNAL_SUBJECTS.eventSloBreach, (m) => void breaches.push(sloBreachEvent.parse(m.json())));
    metrics = new Metrics({ collectDefault: false });
    pipeline = await startMetricsPipeline({ config, bus, store, logger: silentLogger(), metrics });
    http = createHttpServer({ logger: silentLogger(), metrics, health: new Health(metrics) });
    addMetricRoutes(new ApiRoutes(http), { store, metrics: config.metrics, prometheus: config.prometheus });
    await http.listen({ host: '127.0.0.1', port: 0 });
    const address = http.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await pipeline?.stop();
    await http?.close();
    await bus?.close();
    await store?.close();
    await fake?.close();
    await deleteNamespaceStreams(TEST_NATS_URL, namespace).catch(() => undefined);
    await db?.drop();
  });

  it('remote-writes stored series as protobuf + snappy, retrying a 503, each sample once and in order', { timeout: 30_000 }, async () => {
    const t0 = Date.now() - 3 * 60_000;
    fake.failNextWrites([503]);
    for (let i = 0; i < 3; i++) await bus.publish(agentSubject(CLUSTER, 'metrics'), collection(t0 + i * 60_000, 1000 + i));
    const memory = () => fake.writes.flatMap((w) => w.series).filter((s) => s.labels['__name__'] === 'pod_memory_usage_bytes');
    await eventually(() => Promise.resolve(memory().flatMap((s) => s.samples).length >= 3 ? true : undefined), 20_000, 'pod memory samples remote-written');
    expect(fake.violations).toEqual([]);
    expect(memory()[0]?.labels).toEqual({ __name__: 'pod_memory_usage_bytes', cluster: CLUSTER, namespace: 'web', node: 'node-a', pod: 'api-6d5f7c8b9-k2x7p' });
    expect(memory().flatMap((s) => s.samples)).toEqual([
      [t0, 1000],
      [t0 + 60_000, 1001],
      [t0 + 120_000, 1002],
    ]);
    const all = fake.writes.flatMap((w) => w.series);
    expect(all.find((s) => s.labels['__name__'] === 'node_condition')?.labels).toMatchObject({ condition: 'Ready', node: 'node-a' });
    expect(all.filter((s) => s.labels['__name__'] === 'cluster_pods').flatMap((s) => s.samples)).toHaveLength(3);
    // At most remote_write_max_samples per request, with the configured credentials.
    for (const w of fake.writes) {
      expect(w.series.reduce((n, s) => n + s.samples.length, 0)).toBeLessThanOrEqual(3);
      expect(w.headers['authorization']).toBe('Bearer test-token');
    }
    const text = (await metrics.exposition()).body;
    expect(text).toMatch(/aetherius_remote_write_samples_total\{result="sent"[^}]*\} \d+/);
  });

  it('proxies instant and range queries to Prometheus and passes its answer through', async () => {
    const at = Date.parse('2025-09-30T10:15:30Z');
    const instant = await api(`/api/v1/metrics/query?query=up&time=${new Date(at).toISOString()}`);
    expect(instant).toMatchObject({ status: 200, source: 'prometheus', body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'x' }, value: [at / 1000, '1'] }] } } });
    expect(fake.queries.at(-1)).toMatchObject({ path: '/api/v1/query', params: { query: 'up', time: String(at / 1000) }, headers: { authorization: 'Bearer test-token' } });

    const range = await api(`/api/v1/metrics/range?metric=pod_memory_usage_bytes&cluster_id=${CLUSTER}&pod=api-6d5f7c8b9-k2x7p&start=1759227300&end=1759227600&step=1m`);
    expect(range).toMatchObject({ status: 200, body: { data: { resultType: 'matrix' } } });
    expect(fake.queries.at(-1)).toMatchObject({
      path: '/api/v1/query_range',
      params: { query: `pod_memory_usage_bytes{cluster="${CLUSTER}",pod="api-6d5f7c8b9-k2x7p"}`, start: '1759227300', end: '1759227600', step: '60' },
    });
  });

  it("maps Prometheus's refusals and absence to the API's errors", async () => {
    const refused = await api('/api/v1/metrics/query?query=broken(');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'AETHERIUS_E_INPUT', issues: [{ path: 'query', message: expect.stringContaining('parse error') as unknown }] });
    // Our own validation still runs first.
    expect((await api('/api/v1/metrics/range?query=up&start=1&end=2')).status).toBe(400);

    const unreachable = createHttpServer({ logger: silentLogger(), metrics, health: new Health(metrics) });
    addMetricRoutes(new ApiRoutes(unreachable), { store, metrics: config.metrics, prometheus: { ...config.prometheus, url: 'http://127.0.0.1:1' } });
    await unreachable.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = unreachable.server.address();
      const res = await fetch(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/metrics/query?query=up`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AETHERIUS_E_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });

  it('evaluates a latency SLO from Prometheus and breaches the 6h/30m alert at a 10x burn', { timeout: 20_000 }, async () => {
    await pipeline.evaluateSlos();
    await eventually(() => Promise.resolve(breaches.length ? true : undefined), 10_000, 'latency SLO breach');
    await new Promise((r) => setTimeout(r, 300));
    // 10% slow at 99%: burn 10 — above 6 (6h/30m, high) and 1 (72h/6h, medium), below 14.4 (1h/5m).
    expect(breaches.map((b) => [b.long_window, b.severity]).sort()).toEqual([
      ['6h', 'high'],
      ['72h', 'medium'],
    ]);
    expect(breaches[0]).toMatchObject({ cluster_id: CLUSTER, slo: { name: 'api-latency', objective: 0.99 } });
    expect(breaches[0]?.burn_rate).toBeCloseTo(10, 6);
    const windows = fake.queries.filter((q) => q.params['query']?.includes('_bucket')).map((q) => /\[(\w+)\]/.exec(q.params['query'] ?? '')?.[1]);
    expect(new Set(windows)).toEqual(new Set(['5m', '30m', '1h', '6h', '72h', '720h']));
  });
});
