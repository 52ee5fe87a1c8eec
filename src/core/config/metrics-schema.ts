/**
 * The `metrics:` and `prometheus:` sections of the configuration (the metrics store, its query API,
 * anomaly detection and SLOs; docs/metrics.md). Kept beside schema.ts, which composes them.
 */
import { z } from 'zod';
import { CLUSTER_ID_PATTERN, DURATION_PATTERN, parseDuration } from '../../contracts/index.js';
import { METRICS } from '../metric-series/catalog.js';
import { WORKLOAD_KINDS } from '../slo/workload.js';

const DURATION_MESSAGE = 'must be a duration such as 30s, 1m30s or 500ms';

const durationText = z.string({ error: DURATION_MESSAGE }).regex(DURATION_PATTERN, DURATION_MESSAGE);
const durationMs = durationText.transform((text) => parseDuration(text));

function durationKey(defaultValue: string, description: string) {
  return durationMs.prefault(defaultValue).meta({ description, kind: 'duration' });
}

/** Metrics worth watching for anomalies by default: usage gauges, not counters, flags or static sizes. */
export const DEFAULT_ANOMALY_METRICS = [
  'pod_cpu_usage_millicores',
  'pod_memory_usage_bytes',
  'node_cpu_usage_percent',
  'node_memory_usage_percent',
  'namespace_cpu_usage_millicores',
  'namespace_memory_usage_bytes',
  'cluster_cpu_usage_percent',
  'cluster_memory_usage_percent',
] as const;

const ANOMALY_METRIC_NAMES = METRICS.filter((d) => d.value === 'number' || d.value === 'bool').map((d) => d.name);

const sloName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');

const sloDefinition = z.strictObject({
  name: sloName,
  cluster_id: z
    .string()
    .refine((s) => s === '' || CLUSTER_ID_PATTERN.test(s), 'must be empty (every cluster) or a cluster id')
    .default(''),
  workload: z.strictObject({
    kind: z.enum(WORKLOAD_KINDS),
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes object name').max(253),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name').max(63),
  }),
  /** Target share of good events, strictly between 0 and 1 (0.999 = "three nines"). */
  objective: z.number().gt(0, 'must be greater than 0').lt(1, 'must be less than 1: an objective of 1 leaves no error budget'),
  window: durationMs.prefault('720h'),
  sli: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('pods_ready') }),
      z.strictObject({
        type: z.literal('latency'),
        /** PromQL for the rate of good events over `$window`, e.g. requests faster than the threshold. */
        good_query: z.string().min(1).max(4096).refine((q) => q.includes('$window'), 'must contain $window (replaced by each alert window, e.g. 5m)'),
        /** PromQL for the rate of all events over `$window`. */
        total_query: z.string().min(1).max(4096).refine((q) => q.includes('$window'), 'must contain $window (replaced by each alert window, e.g. 5m)'),
      }),
    ])
    .prefault({ type: 'pods_ready' }),
});
export type SloDefinition = z.output<typeof sloDefinition>;

const burnRateAlert = z
  .strictObject({
    long_window: durationMs,
    short_window: durationMs,
    burn_rate: z.number().positive(),
    severity: z.enum(['critical', 'high', 'medium', 'low']),
  })
  .refine((a) => a.short_window < a.long_window, { path: ['short_window'], message: 'must be shorter than long_window' });

export const metricsConfigSchema = z
  .strictObject({
    retention: durationKey('168h', 'How long metric samples are kept (by sample time). Samples live in one partition per UTC day; a day is dropped whole once all of it is older than this, so up to one more day is kept. 0s: keep forever.'),
    maintenance_interval: durationKey('1h', 'How often the manager creates the next days\' partitions and applies metrics.retention.'),
    max_clock_skew: durationKey('1h', 'Metrics messages stamped further than this in the future (by the manager\'s clock) are dropped and counted: a wrong agent clock must not create partitions years ahead.'),
    query_max_samples: z.number().int().min(1000).max(50_000_000).default(500_000).meta({ description: 'Largest number of samples one query (GET /api/v1/metrics/query or /range) may read from PostgreSQL; more is refused with 400.' }),
    query_lookback: durationKey('5m', 'How far back an instant selector looks for a series\' latest sample (Prometheus\'s lookback delta).'),
    query_max_steps: z.number().int().min(1).max(100_000).default(11_000).meta({ description: 'Most points per series a range query may return ((end − start) / step + 1).' }),
    anomaly: z
      .strictObject({
        enabled: z.boolean().default(true).meta({ description: 'Detect anomalies per metric series (EWMA mean and variance, z-score) and publish internal.event.anomaly.' }),
        metrics: z
          .array(z.enum(ANOMALY_METRIC_NAMES as [string, ...string[]]))
          .default([...DEFAULT_ANOMALY_METRICS])
          .meta({ description: 'Metric names watched for anomalies (docs/metrics.md lists every metric).' }),
        alpha: z.number().gt(0).max(1).default(0.1).meta({ description: 'EWMA weight of the newest sample (0.1: the expectation follows about the last 19 samples).' }),
        warmup_samples: z.number().int().min(2).max(100_000).default(20).meta({ description: 'Samples a series must have before it can raise an anomaly.' }),
        z_threshold: z.number().positive().default(4).meta({ description: 'Standard deviations from the expectation at which a sample is anomalous and the series enters the alarm state.' }),
        z_resolve: z.number().min(0).default(2).meta({ description: 'Standard deviations below which an alarmed series returns to normal (hysteresis; at most z_threshold).' }),
        z_high: z.number().positive().default(6).meta({ description: 'Standard deviations from which an anomaly has severity high (else medium).' }),
        cooldown: durationKey('30m', 'After an anomaly, the same series raises no other for this long (a flapping series cannot spam).'),
        min_std_ratio: z.number().min(0).max(10).default(0.05).meta({ description: 'Floor of the standard deviation as a share of the expectation, so a series that was flat does not call a small change anomalous.' }),
        min_std: z.number().min(0).default(1).meta({ description: 'Floor of the standard deviation in the metric\'s own unit (1 millicore, 1 byte, 1 percent point).' }),
        history: durationKey('2h', 'How much stored history a replica replays to rebuild a series\' detector state it does not have (at start, or for series another replica handled).'),
        max_series: z.number().int().min(1).max(10_000_000).default(200_000).meta({ description: 'Series whose detector state one manager keeps in memory (least recently updated dropped first; about 200 bytes each).' }),
      })
      .refine((a) => a.z_resolve <= a.z_threshold, { path: ['z_resolve'], message: 'must be at most z_threshold' })
      .refine((a) => a.z_high >= a.z_threshold, { path: ['z_high'], message: 'must be at least z_threshold' })
      .prefault({}),
    slo: z
      .strictObject({
        evaluation_interval: durationKey('1m', 'How often the manager evaluates every SLO\'s burn rates.'),
        objectives: z.array(sloDefinition).max(1000).default([]).meta({
          description:
            'SLO definitions (YAML only): name, cluster_id (empty: each cluster), workload {kind, name, namespace}, objective (e.g. 0.999), window (default 720h), sli {type: pods_ready} or {type: latency, good_query, total_query} (PromQL with $window, needs prometheus.url). See docs/metrics.md.',
        }),
        burn_rate_alerts: z
          .array(burnRateAlert)
          .min(1)
          .max(16)
          .prefault([
            { long_window: '1h', short_window: '5m', burn_rate: 14.4, severity: 'critical' },
            { long_window: '6h', short_window: '30m', burn_rate: 6, severity: 'high' },
            { long_window: '72h', short_window: '6h', burn_rate: 1, severity: 'medium' },
          ])
          .meta({ description: 'Multi-window burn-rate alerts (Google SRE workbook): an SLO breaches when both windows burn its error budget at least burn_rate times too fast (YAML only).' }),
      })
      .superRefine((s, ctx) => {
        const seen = new Set<string>();
        s.objectives.forEach((o, i) => {
          if (seen.has(o.name)) ctx.addIssue({ code: 'custom', path: ['objectives', i, 'name'], message: `duplicate SLO name ${JSON.stringify(o.name)}` });
          seen.add(o.name);
          if (o.sli.type === 'latency' && o.cluster_id === '') ctx.addIssue({ code: 'custom', path: ['objectives', i, 'cluster_id'], message: 'a latency SLO reads its own PromQL and must name its cluster' });
        });
      })
      .prefault({}),
  })
  .prefault({});

export const prometheusConfigSchema = z
  .strictObject({
    url: z
      .string()
      .refine((s) => s === '' || /^https?:\/\/[^\s/]+/.test(s), 'must be empty or an http:// or https:// URL')
      .default('')
      .meta({ description: 'Prometheus (or a compatible server: Thanos, Mimir, VictoriaMetrics) base URL, e.g. http://prometheus:9090. Set: /api/v1/metrics/query and /range are answered by its HTTP API, and our series are remote-written to it. Empty: answered from PostgreSQL.' }),
    timeout: durationKey('30s', 'Longest wait for Prometheus to answer a query or accept a remote write.'),
    bearer_token: z.string().default('').meta({ description: 'Bearer token sent to Prometheus (queries and remote write). Prefer the environment variable.', secret: true }),
    remote_write: z.boolean().default(true).meta({ description: 'Remote-write every stored sample to Prometheus when prometheus.url is set (Prometheus needs --web.enable-remote-write-receiver).' }),
    remote_write_url: z
      .string()
      .refine((s) => s === '' || /^https?:\/\/[^\s/]+/.test(s), 'must be empty or an http:// or https:// URL')
      .default('')
      .meta({ description: 'Remote-write endpoint. Empty: prometheus.url + /api/v1/write.' }),
    remote_write_max_samples: z.number().int().min(1).max(100_000).default(2000).meta({ description: 'Samples per remote-write request.' }),
    remote_write_queue: z.number().int().min(100).max(10_000_000).default(100_000).meta({ description: 'Samples waiting to be remote-written; past it the oldest are dropped and counted (PostgreSQL keeps them).' }),
  })
  .prefault({});
