/**
 * `aetherius bench metrics`: the metrics store on a large cluster's worth of samples (docs/adr on the
 * metrics store quotes it). Writes `--days` UTC days of collections (one every `--interval` minutes) of
 * a `--pods`-pod cluster through the repository — one statement per collection, as the pipeline does —
 * and measures, in the same run:
 *
 * - write rate (pod rows/s) and time per collection; the baseline is a raw `COPY` of the same pod rows
 *   into an unpartitioned table with the same columns and primary key, and the same INSERT statement
 *   into that plain table;
 * - bytes per pod row (table + indexes) of one day's partition;
 * - retention: dropping one day's partitions versus deleting the same rows from the plain table in
 *   batches of 10,000 (as the event retention job does);
 * - query latency through the PromQL evaluator: one pod over 24 h, a namespace sum over every pod, and
 *   `rate()` over every pod for an hour;
 * - the same write on the embedded database (PGlite), for a smaller cluster.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { errorMessage, type AgentMetrics, type PodMetrics } from '../contracts/index.js';
import { SqlMetricRepository, createStore, type Store } from '../adapters/store/index.js';
import { silentLogger } from '../adapters/telemetry/index.js';
import { instantQuery, parsePromQL, rangeQuery, type SelectFn } from '../core/promql/index.js';
import { seededRandom } from '../core/random.js';
import { copyIn, createThrowawayDatabase, machine, quantile } from './bench-support.js';

export interface BenchMetricsOptions {
  pods: number;
  days: number;
  /** Minutes between collections. */
  interval: number;
  databaseUrl: string;
  json?: boolean;
}

const DAY = 86_400_000;
const MIN = 60_000;
const CLUSTER = 'bench';

function collection(pods: number, at: number, rand: () => number): AgentMetrics {
  const podMetrics: PodMetrics[] = [];
  for (let i = 0; i < pods; i++) {
    podMetrics.push({
      namespace: `ns-${i % 50}`,
      name: `app-${i % 500}-7d9f8b6c4-${String(i).padStart(5, '0')}`,
      node: `node-${i % 50}`,
      phase: 'Running',
      ready: true,
      restarts: Math.floor(at / 3_600_000) % 7,
      cpu_usage_millicores: Math.round(50 + rand() * 200),
      memory_usage_bytes: Math.round(100e6 + rand() * 50e6),
      cpu_request_millicores: 100,
      memory_request_bytes: 128e6,
      memory_limit_bytes: 256e6,
    });
  }
  return {
    schema_version: 1,
    cluster_id: CLUSTER,
    timestamp: new Date(at).toISOString(),
    cluster_metrics: { total_nodes: 50, ready_nodes: 50, total_pods: pods, running_pods: pods, cpu_usage_percent: 40, memory_usage_percent: 55 },
    node_metrics: Array.from({ length: 50 }, (_, n) => ({ name: `node-${n}`, ready: true, pod_count: Math.ceil(pods / 50), conditions: { Ready: 'True', MemoryPressure: 'False' }, cpu_usage_percent: 40, memory_usage_percent: 55 })),
    pod_metrics: podMetrics,
    namespace_metrics: Array.from({ length: 50 }, (_, n) => ({ namespace: `ns-${n}`, total_pods: Math.ceil(pods / 50), running_pods: Math.ceil(pods / 50) })),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(fn)).ms);
  times.sort((a, b) => a - b);
  return round(quantile(times, 0.5));
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const PLAIN = `CREATE TABLE plain_pod_samples (LIKE metric_pod_samples INCLUDING DEFAULTS, PRIMARY KEY (entity_id, ts))`;

/** Pod rows as COPY text, the way the repository would store them. */
function copyText(rows: { id: string; ts: string; p: PodMetrics }[]): Buffer {
  const cell = (v: string | number | boolean | null | undefined) => (v === undefined || v === null ? '\\N' : String(v));
  return Buffer.from(
    rows
      .map(({ id, ts, p }) => [id, ts, p.phase, cell(p.ready), p.restarts, cell(p.cpu_usage_millicores), cell(p.memory_usage_bytes), cell(p.cpu_request_millicores), cell(p.cpu_limit_millicores), cell(p.memory_request_bytes), cell(p.memory_limit_bytes)].join('\t'))
      .join('\n') + '\n',
  );
}

export async function runBenchMetrics(o: BenchMetricsOptions): Promise<number> {
  const db = await createThrowawayDatabase(o.databaseUrl, 'aet_bench_metrics');
  let store: Store | undefined;
  const raw = new pg.Client({ connectionString: db.url });
  try {
    store = await createStore({ kind: 'postgres', url: db.url, statementTimeoutMs: 0, logger: silentLogger() });
    await store.migrations.up();
    await raw.connect();
    const repo = new SqlMetricRepository(store.sql);
    const rand = seededRandom(7);
    const end = Math.floor(Date.now() / DAY) * DAY; // midnight UTC today: the data fills the days before
    const start = end - o.days * DAY;
    const times: number[] = [];
    for (let t = start; t < end; t += o.interval * MIN) times.push(t);

    // ---- writes -------------------------------------------------------------------------------------
    await repo.ensurePartitions(start, end);
    const perCollection: number[] = [];
    let rows = 0;
    const writeStart = performance.now();
    for (const t of times) {
      const msg = collection(o.pods, t, rand);
      const { ms, value } = await timed(() => repo.write([msg]));
      perCollection.push(ms);
      rows += value.rows;
    }
    const writeMs = performance.now() - writeStart;
    const podRows = o.pods * times.length;
    perCollection.sort((a, b) => a - b);

    // ---- baselines: COPY and the same INSERT into an unpartitioned table ------------------------------
    await raw.query(PLAIN);
    const ids = await raw.query<{ id: string; name: string; namespace: string }>(`SELECT id::text AS id, name, namespace FROM metric_entities WHERE kind = 'pod'`);
    const idOf = new Map(ids.rows.map((r) => [`${r.namespace}/${r.name}`, r.id]));
    let copyMs = 0;
    for (const t of times) {
      const msg = collection(o.pods, t, rand);
      const data = copyText(msg.pod_metrics.map((p) => ({ id: idOf.get(`${p.namespace}/${p.name}`) ?? '0', ts: msg.timestamp, p })));
      copyMs += (await timed(() => copyIn(raw, 'COPY plain_pod_samples FROM STDIN', data))).ms;
    }
    // The repository's statement against the plain table: the partitioning's own cost.
    await raw.query('CREATE TABLE plain_insert (LIKE metric_pod_samples INCLUDING DEFAULTS, PRIMARY KEY (entity_id, ts))');
    const sample = times.slice(0, Math.min(times.length, 20));
    let plainInsertMs = 0;
    let partInsertMs = 0;
    for (const t of sample) {
      const msg = collection(o.pods, t + 1000, rand);
      const json = JSON.stringify(msg.pod_metrics.map((p) => ({ entity_id: idOf.get(`${p.namespace}/${p.name}`) ?? '0', ts: msg.timestamp, ...p })));
      const insert = (table: string) =>
        raw.query(`INSERT INTO ${table} (entity_id, ts, phase, ready, restarts, cpu_usage_millicores, memory_usage_bytes, cpu_request_millicores, cpu_limit_millicores, memory_request_bytes, memory_limit_bytes)
          SELECT x.entity_id, x.ts, x.phase, x.ready, x.restarts, x.cpu_usage_millicores, x.memory_usage_bytes, x.cpu_request_millicores, x.cpu_limit_millicores, x.memory_request_bytes, x.memory_limit_bytes
            FROM jsonb_to_recordset($1::jsonb) AS x(entity_id bigint, ts timestamptz, phase text, ready boolean, restarts integer, cpu_usage_millicores double precision, memory_usage_bytes double precision, cpu_request_millicores double precision, cpu_limit_millicores double precision, memory_request_bytes double precision, memory_limit_bytes double precision)
          ON CONFLICT DO NOTHING`, [json]);
      plainInsertMs += (await timed(() => insert('plain_insert'))).ms;
      partInsertMs += (await timed(() => insert('metric_pod_samples'))).ms;
    }
    await raw.query('VACUUM ANALYZE');

    // ---- size ---------------------------------------------------------------------------------------
    const day = new Date(start).toISOString().slice(0, 10).replace(/-/g, '');
    const size = await raw.query<{ bytes: string; n: string }>(`SELECT pg_total_relation_size('metric_pod_samples_p${day}') AS bytes, (SELECT count(*) FROM metric_pod_samples_p${day}) AS n`);
    const plainSize = await raw.query<{ bytes: string; n: string }>(`SELECT pg_total_relation_size('plain_pod_samples') AS bytes, (SELECT count(*) FROM plain_pod_samples) AS n`);
    const bytesPerRow = Number(size.rows[0]?.bytes) / Number(size.rows[0]?.n);

    // ---- queries ------------------------------------------------------------------------------------
    const select: SelectFn = (req) => repo.select({ ...req, maxSamples: 50_000_000 });
    const last = times.at(-1) ?? end;
    const pod = 'app-7-7d9f8b6c4-00007';
    const queries = {
      one_pod_24h_step_5m: await median(5, () => rangeQuery(parsePromQL(`pod_memory_usage_bytes{cluster="${CLUSTER}",namespace="ns-7",pod="${pod}"}`), last - DAY + MIN, last, 5 * MIN, select)),
      sum_by_namespace_all_pods_instant: await median(5, () => instantQuery(parsePromQL(`sum by (namespace) (pod_memory_usage_bytes{cluster="${CLUSTER}"})`), last, select)),
      rate_all_pods_1h_step_5m: await median(3, () => rangeQuery(parsePromQL(`sum by (namespace) (rate(pod_restarts_total{cluster="${CLUSTER}"}[30m]))`), last - 3_600_000, last, 5 * MIN, select)),
      one_namespace_6h_step_10m: await median(3, () => rangeQuery(parsePromQL(`avg(pod_cpu_usage_millicores{cluster="${CLUSTER}",namespace="ns-3"})`), last - 6 * 3_600_000, last, 10 * MIN, select)),
    };

    // ---- retention: drop a day's partitions vs delete its rows ----------------------------------------
    const dropMs = (await timed(() => repo.applyRetention(new Date(start + DAY)))).ms;
    const deleteMs = (
      await timed(async () => {
        for (;;) {
          const r = await raw.query(`DELETE FROM plain_pod_samples WHERE ctid IN (SELECT ctid FROM plain_pod_samples WHERE ts < $1 LIMIT 10000)`, [new Date(start + DAY).toISOString()]);
          if ((r.rowCount ?? 0) < 10_000) break;
        }
      })
    ).ms;

    // ---- PGlite -------------------------------------------------------------------------------------
    const lite = await createStore({ kind: 'pglite' });
    let liteRowsPerS = 0;
    try {
      await lite.migrations.up();
      const liteRepo = new SqlMetricRepository(lite.sql);
      const litePods = Math.min(o.pods, 1000);
      await liteRepo.ensurePartitions(start, end);
      const n = 30;
      const liteMs = (await timed(async () => {
        for (let i = 0; i < n; i++) await liteRepo.write([collection(litePods, start + i * o.interval * MIN, rand)]);
      })).ms;
      liteRowsPerS = Math.round((litePods * n) / (liteMs / 1000));
    } finally {
      await lite.close();
    }

    const result = {
      pods: o.pods,
      collections: times.length,
      rows_stored: rows,
      write_pod_rows_per_s: Math.round(podRows / (writeMs / 1000)),
      write_ms_per_collection_p50: round(quantile(perCollection, 0.5)),
      write_ms_per_collection_p99: round(quantile(perCollection, 0.99)),
      copy_pod_rows_per_s: Math.round(podRows / (copyMs / 1000)),
      ratio_to_copy: round(podRows / (writeMs / 1000) / (podRows / (copyMs / 1000)), 2),
      insert_ms_partitioned_vs_plain: [round(partInsertMs / sample.length), round(plainInsertMs / sample.length)],
      bytes_per_pod_row: Math.round(bytesPerRow),
      bytes_per_pod_row_plain_table: Math.round(Number(plainSize.rows[0]?.bytes) / Number(plainSize.rows[0]?.n)),
      mb_per_day_at_60s: round((bytesPerRow * o.pods * 1440) / 1e6, 0),
      retention_one_day_drop_ms: round(dropMs),
      retention_one_day_delete_ms: round(deleteMs),
      query_ms: queries,
      pglite_write_pod_rows_per_s: liteRowsPerS,
      machine: machine(),
      date: new Date().toISOString().slice(0, 10),
    };
    if (o.json) console.log(JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
    return 0;
  } catch (err) {
    console.error(`bench metrics failed: ${errorMessage(err)}`);
    return 1;
  } finally {
    await raw.end().catch(() => undefined);
    await store?.close();
    await db.drop().catch(() => undefined);
  }
}
