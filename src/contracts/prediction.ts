/**
 * `POST /api/v1/analyze/predict`: failure prediction from metric trends (docs/prediction.md). The
 * request names a cluster and optionally narrows it to a namespace or one resource; the answer lists the
 * failures the trends predict within the horizon, soonest first, each with a root-cause taxonomy id
 * (`MemoryLeak`, `DiskFull`, `NodeMemoryPressure`, `NodeDiskPressure`, `ApplicationCrash` for a restart
 * storm), a time to the event and a confidence.
 *
 * Series normally come from the metrics store; `series` carries them inline instead, for offline use
 * (a dump, a test, another metrics system). Inline samples are `[ms since the epoch, value]`, the
 * shape of `MetricSeries` in src/core/rca/snapshot.ts, not the query API's `[unix seconds, "string"]`.
 */
import { z } from 'zod';
import { DURATION_PATTERN, clusterId, duration, parseDuration, stringMap, timestamp } from './common.js';
import { rootCauseType } from './root-cause-taxonomy.js';

/** The default and the largest horizon: predictions reach one day ahead at most. */
export const DEFAULT_PREDICT_HORIZON = '24h';
/** Upper bound of the short window: an event within 30 minutes (issue 6 says 5–30 min; sooner counts as short too). */
export const SHORT_WINDOW_MAX_S = 30 * 60;
/** Upper bound of the medium window (1–24 h; 30–60 min counts as medium too). */
export const MEDIUM_WINDOW_MAX_S = 24 * 3600;

/** Bounds of inline series, those of the metrics query API (`metrics.query_max_steps`, `query_max_samples`). */
export const MAX_PREDICT_SERIES = 10_000;
export const MAX_PREDICT_SAMPLES_PER_SERIES = 11_000;
export const MAX_PREDICT_SAMPLES = 500_000;

const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;

const name = z.string().min(1, 'must not be empty').max(253, 'must be at most 253 characters');

export const predictionResource = z.object({
  kind: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  name,
  /** Absent for cluster-scoped objects (Nodes). */
  namespace: name.optional(),
});
export type PredictionResource = z.infer<typeof predictionResource>;

/** `short`: within 30 minutes; `medium`: from 30 minutes to 24 hours. */
export const predictionWindow = z.enum(['short', 'medium'], { error: 'must be short or medium' });
export type PredictionWindow = z.infer<typeof predictionWindow>;

export const predictionModel = z.enum(['theil-sen', 'holt-winters'], { error: 'must be theil-sen or holt-winters' });
export type PredictionModel = z.infer<typeof predictionModel>;

/** The window an event `timeToEventS` seconds away falls in; undefined beyond the medium window. */
export function predictionWindowFor(timeToEventS: number): PredictionWindow | undefined {
  if (!(timeToEventS >= 0)) return undefined;
  if (timeToEventS <= SHORT_WINDOW_MAX_S) return 'short';
  return timeToEventS <= MEDIUM_WINDOW_MAX_S ? 'medium' : undefined;
}

const sampleTime = z.number({ error: 'must be a time in ms since the epoch' }).nonnegative('must be a time in ms since the epoch');
const sampleValue = z.number({ error: 'must be a finite number' });

/** One inline series: a metric name, its labels and `[ms since the epoch, value]` samples. */
export const metricSeriesInput = z.object({
  name: z.string().max(256, 'must be at most 256 characters').regex(METRIC_NAME, 'must be a metric name such as pod_memory_usage_bytes'),
  labels: stringMap.default({}),
  samples: z
    .array(z.tuple([sampleTime, sampleValue], { error: 'must be [ms since the epoch, value]' }))
    .max(MAX_PREDICT_SAMPLES_PER_SERIES, `must have at most ${MAX_PREDICT_SAMPLES_PER_SERIES} samples`),
});
export type MetricSeriesInput = z.infer<typeof metricSeriesInput>;

const horizon = duration.refine(
  (text) => {
    // zod runs this check after a failed pattern too; that problem is already reported.
    if (!DURATION_PATTERN.test(text)) return true;
    const ms = parseDuration(text);
    return ms > 0 && ms <= MEDIUM_WINDOW_MAX_S * 1000;
  },
  'must be more than 0 and at most 24h: predictions reach one day ahead',
);

export const predictRequest = z
  .object({
    cluster_id: clusterId,
    /** Only resources in this namespace; cluster-scoped ones (Nodes) are then left out. */
    namespace: name.optional(),
    /** Only this resource: a Pod, a PersistentVolumeClaim or a Node. */
    resource: predictionResource.optional(),
    /** How far ahead to predict. */
    horizon: horizon.default(DEFAULT_PREDICT_HORIZON),
    /** Evaluate as of this time (default: now for the store; the newest sample for inline series). */
    at: timestamp.optional(),
    /** Inline series instead of the metrics store, limits and capacities included. */
    series: z
      .array(metricSeriesInput)
      .max(MAX_PREDICT_SERIES, `must have at most ${MAX_PREDICT_SERIES} series`)
      .refine((all) => all.reduce((n, s) => n + s.samples.length, 0) <= MAX_PREDICT_SAMPLES, `must have at most ${MAX_PREDICT_SAMPLES} samples in all`)
      .optional(),
  })
  .refine((r) => r.namespace === undefined || r.resource?.namespace === undefined || r.namespace === r.resource.namespace, {
    path: ['namespace'],
    message: 'must be the namespace of resource when both are given',
  });
export type PredictRequest = z.infer<typeof predictRequest>;

export const prediction = z
  .object({
    /** Root-cause taxonomy id of the failure predicted. */
    type: rootCauseType,
    /** The object that will fail: a Pod, a PersistentVolumeClaim, a Node. */
    resource: predictionResource,
    /** The metric whose trend predicts it, and the labels of its series. */
    metric: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    labels: stringMap.default({}),
    /** Seconds from the evaluation time to the predicted event. */
    time_to_event_s: z.number().nonnegative('must not be negative'),
    /** When the event is predicted to happen, ms since the epoch. */
    predicted_at: z.number().int('must be whole milliseconds').nonnegative('must be a time in ms since the epoch'),
    window: predictionWindow,
    confidence: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
    /** Sentences a person can check: the fit, its quality, the limit and when it is reached. */
    evidence: z.array(z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters')).max(64, 'must have at most 64 entries').default([]),
    model: predictionModel,
  })
  .refine((p) => predictionWindowFor(p.time_to_event_s) === p.window, {
    path: ['window'],
    message: `must be short for an event within ${SHORT_WINDOW_MAX_S} s and medium up to ${MEDIUM_WINDOW_MAX_S} s`,
  });
export type Prediction = z.infer<typeof prediction>;

export const predictResponse = z.object({
  /** Soonest first. */
  predictions: z
    .array(prediction)
    .refine((all) => all.every((p, i) => i === 0 || p.time_to_event_s >= (all[i - 1]?.time_to_event_s ?? 0)), 'must be ordered by time_to_event_s, soonest first'),
  /** Usage and restart series examined (limit and capacity series not counted). */
  evaluated_series: z.number().int('must be a whole number').nonnegative('must not be negative'),
});
export type PredictResponse = z.infer<typeof predictResponse>;
