/**
 * `GET /api/v1/metrics/query` (a PromQL instant query) and `GET /api/v1/metrics/range` (a series over
 * time, by metric name and cluster/namespace/node/pod, or a PromQL range query). Answers use the
 * Prometheus HTTP API's body, `{"status":"success","data":{"resultType":...,"result":[...]}}`, so any
 * Prometheus client library reads them.
 *
 * With `prometheus.url` set, both are answered by that Prometheus (which the manager remote-writes our
 * series to); otherwise from PostgreSQL with the PromQL subset of src/core/promql (docs/metrics.md).
 * Header `x-aetherius-source` says which (`prometheus` or `postgresql`).
 */
import { z } from 'zod';
import { InputError, clusterId } from '../contracts/index.js';
import { prometheusFromConfig, type PrometheusClient } from '../adapters/prometheus/index.js';
import { SqlMetricRepository, type MetricRepository, type Store } from '../adapters/store/index.js';
import type { Config } from '../core/config/index.js';
import { METRICS, metricDefinition } from '../core/metric-series/index.js';
import {
  MAX_QUERY_LENGTH,
  instantQuery,
  parsePromDuration,
  parsePromQL,
  quote,
  rangeQuery,
  type EvalOptions,
  type Expr,
  type Matcher,
  type QueryData,
  type SelectFn,
} from '../core/promql/index.js';
import type { ApiRoutes } from './route-registry.js';

export interface MetricRouteOptions {
  store: Store;
  /** Query limits (`metrics.query_*`). */
  metrics: Pick<Config['metrics'], 'query_max_samples' | 'query_lookback' | 'query_max_steps'>;
  /** With `url` set, queries go to Prometheus. */
  prometheus: Config['prometheus'];
  now?: () => number;
}

const TIME_MESSAGE = 'must be an RFC 3339 timestamp (2025-09-30T10:15:30Z) or unix seconds (1759227330.5)';

/** RFC 3339 or unix seconds, as Prometheus accepts; parsed to unix ms. */
const time = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const seconds = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Number.NaN;
    const rfc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text) ? Date.parse(text) : Number.NaN;
    const ms = Number.isFinite(seconds) ? seconds : rfc;
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
      ctx.addIssue({ code: 'custom', message: TIME_MESSAGE });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: TIME_MESSAGE });

/** A duration (`30s`, `5m`, `1h`) or seconds (`15`, `0.5`); parsed to ms. */
const step = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : (parsePromDuration(text) ?? Number.NaN);
    if (!Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive duration (30s, 5m, 1h) or a number of seconds' });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'a positive duration (30s, 5m, 1h) or a number of seconds' });

const labelValue = z.string().min(1).max(253);

const queryParams = z.strictObject({
  query: z.string().min(1).max(MAX_QUERY_LENGTH).meta({ description: 'PromQL (the subset in docs/metrics.md unless prometheus.url is set)' }),
  time: time.optional(),
});

const rangeParams = z
  .strictObject({
    metric: z
      .string()
      .max(256)
      .regex(/^[A-Za-z_:][A-Za-z0-9_:]*$/, 'must be a metric name such as pod_memory_usage_bytes')
      .optional()
      .meta({ description: 'metric name (docs/metrics.md); or give query' }),
    query: z.string().min(1).max(MAX_QUERY_LENGTH).optional().meta({ description: 'PromQL instead of metric and the selectors' }),
    cluster_id: clusterId.optional(),
    namespace: labelValue.optional(),
    node: labelValue.optional(),
    pod: labelValue.optional(),
    start: time,
    end: time,
    step,
  })
  .superRefine((q, ctx) => {
    if ((q.metric === undefined) === (q.query === undefined)) {
      ctx.addIssue({ code: 'custom', path: [q.metric === undefined ? 'metric' : 'query'], message: 'give exactly one of metric (with cluster_id, namespace, node, pod) or query' });
    }
    if (q.query !== undefined) {
      for (const k of ['cluster_id', 'namespace', 'node', 'pod'] as const) {
        if (q[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'goes with metric; with query, write the matcher in the query' });
      }
    }
  });

type RangeParams = z.output<typeof rangeParams>;

/** The selector `metric{cluster="...",namespace="...",...}` the range parameters describe. */
function rangeMatchers(q: RangeParams): Matcher[] {
  const matchers: Matcher[] = [];
  if (q.cluster_id !== undefined) matchers.push({ label: 'cluster', op: '=', value: q.cluster_id });
  if (q.namespace !== undefined) matchers.push({ label: 'namespace', op: '=', value: q.namespace });
  if (q.node !== undefined) matchers.push({ label: 'node', op: '=', value: q.node });
  if (q.pod !== undefined) matchers.push({ label: 'pod', op: '=', value: q.pod });
  return matchers;
}

function selectorText(name: string, matchers: readonly Matcher[]): string {
  return matchers.length ? `${name}{${matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(',')}}` : name;
}

export function addMetricRoutes(routes: ApiRoutes, o: MetricRouteOptions): void {
  const now = o.now ?? Date.now;
  const prometheus: PrometheusClient | undefined = prometheusFromConfig(o.prometheus, 'aetherius-api');
  const repo: MetricRepository = new SqlMetricRepository(o.store.sql);
  const evalOptions = (path: string): Partial<EvalOptions> => ({ lookbackMs: o.metrics.query_lookback, maxSteps: o.metrics.query_max_steps, path });
  const select =
    (path: string): SelectFn =>
    (req) =>
      repo.select({ ...req, maxSamples: o.metrics.query_max_samples, path });
  const source = prometheus ? 'prometheus' : 'postgresql';
  const answer = (data: QueryData) => ({ status: 'success' as const, data });

  routes.add(
    {
      method: 'GET',
      path: '/api/v1/metrics/query',
      tag: 'metrics',
      summary: 'PromQL instant query (answered by Prometheus when configured, else from PostgreSQL)',
      query: queryParams,
      responses: { 200: '{ status: "success", data: { resultType: "vector" | "scalar" | "matrix", result } } (Prometheus HTTP API format)', 400: 'invalid parameter or query (the message names the problem and its position)', 503: 'Prometheus unreachable', 504: 'Prometheus timed out' },
    },
    async ({ query, reply }) => {
      const at = query.time ?? now();
      void reply.header('x-aetherius-source', source);
      if (prometheus) return answer(await prometheus.query(query.query, at));
      return answer(await instantQuery(parsePromQL(query.query), at, select('query'), evalOptions('query')));
    },
  );

  routes.add(
    {
      method: 'GET',
      path: '/api/v1/metrics/range',
      tag: 'metrics',
      summary: 'A series over time: a metric by cluster_id/namespace/node/pod, or a PromQL range query, from start to end every step',
      query: rangeParams,
      responses: { 200: '{ status: "success", data: { resultType: "matrix", result: [{ metric, values: [[unix_seconds, "value"]] }] } }', 400: 'invalid parameter or query', 503: 'Prometheus unreachable', 504: 'Prometheus timed out' },
    },
    async ({ query: q, reply }) => {
      if (q.end < q.start) throw new InputError('invalid range: end is before start', [{ path: 'end', message: 'must not be before start' }]);
      const steps = Math.floor((q.end - q.start) / q.step) + 1;
      if (steps > o.metrics.query_max_steps) {
        throw new InputError(`invalid range: ${steps} points per series is more than ${o.metrics.query_max_steps}; use a larger step or a shorter range`, [
          { path: 'step', message: `gives ${steps} points per series, more than ${o.metrics.query_max_steps}` },
        ]);
      }
      void reply.header('x-aetherius-source', source);
      const matchers = rangeMatchers(q);
      if (prometheus) {
        const text = q.query ?? selectorText(q.metric ?? '', matchers);
        return answer(await prometheus.queryRange(text, q.start, q.end, q.step));
      }
      if (q.query !== undefined) return answer(await rangeQuery(parsePromQL(q.query), q.start, q.end, q.step, select('query'), evalOptions('query')));
      const name = q.metric ?? '';
      if (!metricDefinition(name)) {
        throw new InputError(`unknown metric ${JSON.stringify(name)}`, [{ path: 'metric', message: `must be one of ${METRICS.map((d) => d.name).join(', ')}` }]);
      }
      const expr: Expr = { type: 'selector', name, matchers, rangeMs: undefined, pos: 0 };
      return answer(await rangeQuery(expr, q.start, q.end, q.step, select('metric'), evalOptions('metric')));
    },
  );
}
