/**
 * Failure prediction from metric trends (issue 6; docs/prediction.md): memory growing towards a
 * container's limit (`MemoryLeak`), a volume filling (`DiskFull`), a node's memory or disk heading for
 * pressure (`NodeMemoryPressure`, `NodeDiskPressure`) and restarts accelerating into a storm
 * (`ApplicationCrash`: the taxonomy has no restart-storm id, and a crash is what a storm of restarts is).
 *
 * Each usage series is fitted by Holt–Winters when it has a season (a daily pattern), else by Theil–Sen
 * over the samples since its last reset; the fitted trend is extrapolated to the limit. A prediction is
 * made only when the fit explains the data (`minFitQuality`), the event falls within the horizon and
 * the confidence — fit quality × sample count × how far the extrapolation reaches beyond the data —
 * reaches `minConfidence`. Predictions open low-severity incidents, so a missed weak trend costs less
 * than a page for a wiggle.
 *
 * Pure and deterministic: the same series and options give the same predictions on every replica.
 */
import { MEDIUM_WINDOW_MAX_S, predictionWindowFor, type Prediction, type PredictionModel, type PredictionResource, type RootCauseType } from '../../contracts/index.js';
import type { MetricSeries } from '../rca/snapshot.js';
import { DEFAULT_INTERVAL_Z, DEFAULT_MIN_SEASON_ACF, detectSeason, fitHoltWinters, forecastHoltWinters, type Forecast, type SeasonDetection } from './holt-winters.js';
import { theilSen, valueAt, type LinearFit } from './theil-sen.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Samples a series needs before any verdict (10 minutes at the agents' 60 s interval). */
export const DEFAULT_MIN_SAMPLES = 10;
/** Time a series must cover before any verdict, so a fast scrape cannot warm up in seconds. */
export const DEFAULT_MIN_SPAN_MS = 5 * MINUTE;
/** Least share of the variance the fitted trend must explain (R²). */
export const DEFAULT_MIN_FIT_QUALITY = 0.6;
/** Least confidence of a prediction that is reported. */
export const DEFAULT_MIN_CONFIDENCE = 0.3;
/** Samples from which the sample count no longer lowers the confidence. */
export const DEFAULT_FULL_CONFIDENCE_SAMPLES = 30;
/** Trailing windows fitted besides the whole history: a leak that began an hour ago hides in a day of flat data. */
export const DEFAULT_FIT_WINDOWS_MS: readonly number[] = Object.freeze([HOUR, 6 * HOUR]);
/** A sample below this share of the one before it is a reset (an OOM kill's restart, a clean-up): the fit starts there. */
export const DEFAULT_DROP_RATIO = 0.5;
/** A series whose newest sample is older than this (before the evaluation time) is not judged: its object is likely gone. */
export const DEFAULT_STALE_AFTER_MS = 15 * MINUTE;
/** Seasons looked for; each needs two whole seasons of history. */
export const DEFAULT_SEASON_CANDIDATES_MS: readonly number[] = Object.freeze([24 * HOUR]);
/** The horizon when none is given, and the longest: the medium window ends at 24 h. */
export const DEFAULT_HORIZON_MS = MEDIUM_WINDOW_MAX_S * 1000;
/** Node memory pressure is predicted when usage reaches this share of allocatable. */
export const DEFAULT_NODE_MEMORY_PRESSURE_RATIO = 1;
/** Node disk pressure: the kubelet's default hard eviction threshold is `nodefs.available < 10%`. */
export const DEFAULT_NODE_DISK_PRESSURE_RATIO = 0.9;
/** Restarts per hour that make a storm: one every 10 minutes, as fast as CrashLoopBackOff's 5-minute cap allows a crash loop to settle at twice. */
export const DEFAULT_RESTART_STORM_PER_HOUR = 6;
/** Window over which the restart rate is measured. */
export const DEFAULT_RESTART_RATE_WINDOW_MS = HOUR;
/** Restarts the history must hold before their rate is fitted. */
export const DEFAULT_MIN_RESTARTS = 3;

export interface PredictOptions {
  minSamples: number;
  minSpanMs: number;
  /** 0–1. */
  minFitQuality: number;
  /** 0–1. */
  minConfidence: number;
  fullConfidenceSamples: number;
  fitWindowsMs: readonly number[];
  /** 0–1. */
  dropRatio: number;
  staleAfterMs: number;
  seasonCandidatesMs: readonly number[];
  /** Autocorrelation at the season's lag from which a series is seasonal. */
  minSeasonAcf: number;
  nodeMemoryPressureRatio: number;
  nodeDiskPressureRatio: number;
  restartStormPerHour: number;
  restartRateWindowMs: number;
  minRestarts: number;
}

export const DEFAULT_PREDICT_OPTIONS: Readonly<PredictOptions> = Object.freeze({
  minSamples: DEFAULT_MIN_SAMPLES,
  minSpanMs: DEFAULT_MIN_SPAN_MS,
  minFitQuality: DEFAULT_MIN_FIT_QUALITY,
  minConfidence: DEFAULT_MIN_CONFIDENCE,
  fullConfidenceSamples: DEFAULT_FULL_CONFIDENCE_SAMPLES,
  fitWindowsMs: DEFAULT_FIT_WINDOWS_MS,
  dropRatio: DEFAULT_DROP_RATIO,
  staleAfterMs: DEFAULT_STALE_AFTER_MS,
  seasonCandidatesMs: DEFAULT_SEASON_CANDIDATES_MS,
  minSeasonAcf: DEFAULT_MIN_SEASON_ACF,
  nodeMemoryPressureRatio: DEFAULT_NODE_MEMORY_PRESSURE_RATIO,
  nodeDiskPressureRatio: DEFAULT_NODE_DISK_PRESSURE_RATIO,
  restartStormPerHour: DEFAULT_RESTART_STORM_PER_HOUR,
  restartRateWindowMs: DEFAULT_RESTART_RATE_WINDOW_MS,
  minRestarts: DEFAULT_MIN_RESTARTS,
});

/** A limit or capacity known from elsewhere (the Pod spec, the PVC): a constant series. */
export interface Capacity {
  /** The limit metric it stands for, e.g. `container_spec_memory_limit_bytes`. */
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface PredictScope {
  /** Evaluation time, ms since the epoch (default: the newest sample of any usage series). */
  now?: number;
  /** Default and maximum 24 h. */
  horizonMs?: number;
  /** Only resources in this namespace (Nodes are then left out). */
  namespace?: string;
  /** Only this resource. */
  resource?: PredictionResource;
  /** Limits and capacities given as values; they win over limit series with the same labels. */
  capacities?: readonly Capacity[];
}

/** Why a series gave a prediction or none; `predicted` when it gave one. */
export type VerdictOutcome = 'predicted' | 'warming_up' | 'stale' | 'no_limit' | 'at_limit' | 'not_rising' | 'poor_fit' | 'beyond_horizon' | 'low_confidence';

export interface SeriesVerdict {
  metric: string;
  labels: Readonly<Record<string, string>>;
  resource: PredictionResource;
  outcome: VerdictOutcome;
  /** The model that judged it, once there were enough samples to fit. */
  model?: PredictionModel;
  /** A sentence for a person (the fit, the limit, the peak). */
  detail?: string;
}

export interface PredictResult {
  /** Soonest first; one per resource and failure (and container). */
  predictions: Prediction[];
  /** Usage and restart series examined (limits not counted). */
  evaluatedSeries: number;
  /** One per examined series. */
  verdicts: SeriesVerdict[];
}

type Labels = Readonly<Record<string, string>>;

interface GaugeRule {
  kind: 'gauge';
  type: Extract<RootCauseType, 'MemoryLeak' | 'DiskFull' | 'NodeMemoryPressure' | 'NodeDiskPressure'>;
  usage: string;
  /** The limit metric, or a constant limit in the usage's unit. */
  limit: string | number;
  /** Share of the limit at which the failure happens. */
  ratio: (o: PredictOptions) => number;
  /** Labels naming the object; all must be present and non-empty. */
  identity: readonly string[];
  unit: 'bytes' | 'percent';
  limitWord: string;
  resource: (l: Labels) => PredictionResource;
  subject: (l: Labels) => string;
}

interface CounterRule {
  kind: 'counter';
  type: Extract<RootCauseType, 'ApplicationCrash'>;
  usage: string;
  identity: readonly string[];
  resource: (l: Labels) => PredictionResource;
  subject: (l: Labels) => string;
}

type Rule = GaugeRule | CounterRule;

const pod = (l: Labels): PredictionResource => ({ kind: 'Pod', name: l['pod'] ?? '', namespace: l['namespace'] ?? '' });
const node = (l: Labels): PredictionResource => ({ kind: 'Node', name: l['node'] ?? '' });
const podName = (l: Labels) => `${l['namespace']}/${l['pod']}`;

/** What is predicted from which series (docs/prediction.md has the table). */
const RULES: readonly Rule[] = [
  {
    kind: 'gauge',
    type: 'MemoryLeak',
    usage: 'container_memory_working_set_bytes',
    limit: 'container_spec_memory_limit_bytes',
    ratio: () => 1,
    identity: ['namespace', 'pod', 'container'],
    unit: 'bytes',
    limitWord: 'memory limit',
    resource: pod,
    subject: (l) => `memory of container ${l['container']} in pod ${podName(l)}`,
  },
  {
    kind: 'gauge',
    type: 'MemoryLeak',
    usage: 'pod_memory_usage_bytes',
    limit: 'pod_memory_limit_bytes',
    ratio: () => 1,
    identity: ['namespace', 'pod'],
    unit: 'bytes',
    limitWord: 'memory limit',
    resource: pod,
    subject: (l) => `memory of pod ${podName(l)}`,
  },
  {
    kind: 'gauge',
    type: 'DiskFull',
    usage: 'kubelet_volume_stats_used_bytes',
    limit: 'kubelet_volume_stats_capacity_bytes',
    ratio: () => 1,
    identity: ['namespace', 'persistentvolumeclaim'],
    unit: 'bytes',
    limitWord: 'capacity',
    resource: (l) => ({ kind: 'PersistentVolumeClaim', name: l['persistentvolumeclaim'] ?? '', namespace: l['namespace'] ?? '' }),
    subject: (l) => `usage of volume ${l['namespace']}/${l['persistentvolumeclaim']}`,
  },
  {
    kind: 'gauge',
    type: 'NodeMemoryPressure',
    usage: 'node_memory_usage_bytes',
    limit: 'node_memory_allocatable_bytes',
    ratio: (o) => o.nodeMemoryPressureRatio,
    identity: ['node'],
    unit: 'bytes',
    limitWord: 'allocatable',
    resource: node,
    subject: (l) => `memory of node ${l['node']}`,
  },
  {
    kind: 'gauge',
    type: 'NodeMemoryPressure',
    usage: 'node_memory_usage_percent',
    limit: 100,
    ratio: (o) => o.nodeMemoryPressureRatio,
    identity: ['node'],
    unit: 'percent',
    limitWord: 'allocatable',
    resource: node,
    subject: (l) => `memory of node ${l['node']}`,
  },
  {
    kind: 'gauge',
    type: 'NodeDiskPressure',
    usage: 'node_fs_used_bytes',
    limit: 'node_fs_capacity_bytes',
    ratio: (o) => o.nodeDiskPressureRatio,
    identity: ['node'],
    unit: 'bytes',
    limitWord: 'capacity',
    resource: node,
    subject: (l) => `disk of node ${l['node']}`,
  },
  {
    kind: 'counter',
    type: 'ApplicationCrash',
    usage: 'kube_pod_container_status_restarts_total',
    identity: ['namespace', 'pod', 'container'],
    resource: pod,
    subject: (l) => `restarts of container ${l['container']} in pod ${podName(l)}`,
  },
  {
    kind: 'counter',
    type: 'ApplicationCrash',
    usage: 'pod_restarts_total',
    identity: ['namespace', 'pod'],
    resource: pod,
    subject: (l) => `restarts of pod ${podName(l)}`,
  },
];

const RULE_BY_USAGE = new Map(RULES.map((r) => [r.usage, r]));
const LIMIT_METRICS = new Set(RULES.flatMap((r) => (r.kind === 'gauge' && typeof r.limit === 'string' ? [r.limit] : [])));

/** Every metric the predictors read, usage and limits: what to fetch from the store or Prometheus. */
export const PREDICTION_METRICS: readonly string[] = Object.freeze([...new Set([...RULES.map((r) => r.usage), ...LIMIT_METRICS])]);

type Sample = readonly [number, number];

/**
 * Predicts failures from metric series: usage series (and restart counters) matched to their limits by
 * labels. Bad data never throws: non-finite samples are dropped, samples sorted, a repeated timestamp
 * keeps its last value. Never throws.
 */
export function predictFailures(series: readonly MetricSeries[], scope: PredictScope = {}, options: PredictOptions = DEFAULT_PREDICT_OPTIONS): PredictResult {
  const limits = new Map<string, number>();
  for (const s of series) {
    if (!LIMIT_METRICS.has(s.name)) continue;
    const value = lastValue(s.samples, scope.now);
    if (value !== undefined && value > 0) limits.set(limitKey(s.name, s.labels), value);
  }
  for (const c of scope.capacities ?? []) if (Number.isFinite(c.value) && c.value > 0) limits.set(limitKey(c.name, c.labels), c.value);

  const work: { rule: Rule; series: MetricSeries; resource: PredictionResource; samples: Sample[] }[] = [];
  for (const s of series) {
    const rule = RULE_BY_USAGE.get(s.name);
    if (!rule || !hasIdentity(rule, s.labels)) continue;
    const resource = rule.resource(s.labels);
    if (!inScope(resource, scope)) continue;
    work.push({ rule, series: s, resource, samples: cleanSamples(s.samples, scope.now) });
  }
  let now = scope.now;
  if (now === undefined || !Number.isFinite(now)) {
    now = -Infinity;
    for (const w of work) now = Math.max(now, w.samples[w.samples.length - 1]?.[0] ?? -Infinity);
  }
  const horizonMs = Math.min(scope.horizonMs !== undefined && scope.horizonMs > 0 ? scope.horizonMs : DEFAULT_HORIZON_MS, DEFAULT_HORIZON_MS);

  const verdicts: SeriesVerdict[] = [];
  const found: Prediction[] = [];
  for (const w of work) {
    const ctx: Context = { now, horizonMs, o: options, subject: w.rule.subject(w.series.labels) };
    const base = { metric: w.series.name, labels: w.series.labels, resource: w.resource };
    const judged: Judgement =
      w.rule.kind === 'gauge' ? judgeGauge(w.rule, w.samples, limits.get(limitKeyFor(w.rule, w.series.labels)), ctx) : judgeCounter(w.samples, ctx);
    if (judged.outcome !== 'predicted') {
      verdicts.push({ ...base, outcome: judged.outcome, ...(judged.model ? { model: judged.model } : {}), ...(judged.detail !== undefined ? { detail: judged.detail } : {}) });
      continue;
    }
    const { hit } = judged;
    const timeToEventS = Math.round(hit.tteMs / 1000);
    const window = predictionWindowFor(timeToEventS);
    if (window === undefined) {
      verdicts.push({ ...base, outcome: 'beyond_horizon', model: hit.model });
      continue;
    }
    verdicts.push({ ...base, outcome: 'predicted', model: hit.model, detail: hit.evidence[0] ?? '' });
    found.push({
      type: w.rule.type,
      resource: w.resource,
      metric: w.series.name,
      labels: { ...w.series.labels },
      time_to_event_s: timeToEventS,
      predicted_at: Math.round(now + hit.tteMs),
      window,
      confidence: Math.round(hit.confidence * 1000) / 1000,
      evidence: hit.evidence,
      model: hit.model,
    });
  }
  return { predictions: dedupe(found), evaluatedSeries: work.length, verdicts };
}

interface Context {
  now: number;
  horizonMs: number;
  o: PredictOptions;
  subject: string;
}

interface Hit {
  tteMs: number;
  confidence: number;
  model: PredictionModel;
  evidence: string[];
}

type Judgement = { outcome: 'predicted'; hit: Hit } | { outcome: Exclude<VerdictOutcome, 'predicted'>; model?: PredictionModel; detail?: string };

function judgeGauge(rule: GaugeRule, samples: Sample[], limit: number | undefined, ctx: Context): Judgement {
  const { o, now } = ctx;
  const warm = warmUp(samples, ctx);
  if (warm) return warm;
  const limitValue = typeof rule.limit === 'number' ? rule.limit : limit;
  if (limitValue === undefined || !(limitValue > 0)) return { outcome: 'no_limit', detail: `no ${rule.limitWord} known for ${ctx.subject}` };
  const threshold = limitValue * rule.ratio(o);
  const fmt = (v: number) => formatValue(v, rule.unit);
  const limitText =
    rule.unit === 'percent'
      ? `${fmt(threshold)} of ${rule.limitWord}`
      : rule.ratio(o) === 1
        ? `${fmt(limitValue)} ${rule.limitWord}`
        : `${round(rule.ratio(o) * 100, 1)}% of the ${fmt(limitValue)} ${rule.limitWord}`;
  const last = samples[samples.length - 1] as Sample;
  if (last[1] >= threshold) return { outcome: 'at_limit', detail: `${ctx.subject} is at ${fmt(last[1])}, already at the ${limitText}` };

  const season = detectSeason(samples, o.seasonCandidatesMs, { minAcf: o.minSeasonAcf });
  if (season) return judgeSeasonal(season, threshold, limitText, rule, ctx);

  const segment = sinceLastDrop(samples, o.dropRatio);
  if (segment.samples.length < o.minSamples || span(segment.samples) < o.minSpanMs) {
    return { outcome: 'warming_up', detail: `${ctx.subject} reset ${formatSpan(now - (segment.samples[0]?.[0] ?? now))} ago; too few samples since` };
  }
  const fits = trailingWindows(segment.samples, ctx).map((points) => {
    const fit = theilSen(points);
    return { points, fit, judgement: fit ? judgeLine(fit, points, threshold, ctx) : undefined };
  });
  let best: { points: Sample[]; fit: LinearFit; hit: Hit } | undefined;
  for (const f of fits) {
    if (f.fit && f.judgement?.outcome === 'predicted' && (!best || f.judgement.hit.confidence > best.hit.confidence)) best = { points: f.points, fit: f.fit, hit: f.judgement.hit };
  }
  if (!best) {
    const whole = fits[fits.length - 1];
    const j = whole?.judgement;
    if (!whole?.fit || !j || j.outcome === 'predicted') return { outcome: 'not_rising', model: 'theil-sen' };
    return { ...j, detail: `${ctx.subject}: ${describeLine(whole.fit, whole.points.length, rule.unit, HOUR)} towards the ${limitText}` };
  }
  const { fit, points, hit } = best;
  const perMs = hit.tteMs <= MEDIUM_START_MS ? MINUTE : HOUR;
  const current = valueAt(fit, now);
  hit.evidence = [
    `${ctx.subject} grows ${describeLine(fit, points.length, rule.unit, perMs)}; ${limitText} reached in ~${formatSpan(hit.tteMs)}`,
    `now at about ${fmt(current)}, ${round((current / threshold) * 100, 0)}% of the way to the ${limitText}`,
  ];
  const segmentSpan = span(segment.samples);
  if (span(points) < segmentSpan - 1) hit.evidence.push(`fitted over the last ${formatSpan(span(points))} of ${formatSpan(segmentSpan)} of samples, where the trend is clearest`);
  if (segment.drop) {
    hit.evidence.push(
      `fitted from ${new Date(segment.drop.at).toISOString()}, after a drop from ${fmt(segment.drop.from)} to ${fmt(segment.drop.to)} (a restart or a clean-up); ${segment.skipped} earlier samples left out`,
    );
  }
  return { outcome: 'predicted', hit };
}

/** The end of the short window, ms: rates of events within it read per minute, later ones per hour. */
const MEDIUM_START_MS = 30 * MINUTE;

function judgeLine(fit: LinearFit, points: readonly Sample[], threshold: number, ctx: Context): Judgement {
  const { o, now } = ctx;
  if (!(fit.slope > 0)) return { outcome: 'not_rising', model: 'theil-sen' };
  if (fit.r2 < o.minFitQuality) return { outcome: 'poor_fit', model: 'theil-sen' };
  const current = valueAt(fit, now);
  if (current >= threshold) return { outcome: 'at_limit', model: 'theil-sen' };
  const tteMs = (threshold - current) / fit.slope;
  if (tteMs > ctx.horizonMs) return { outcome: 'beyond_horizon', model: 'theil-sen' };
  const c = confidence(fit.r2, points.length, tteMs, span(points), o);
  if (c < o.minConfidence) return { outcome: 'low_confidence', model: 'theil-sen' };
  return { outcome: 'predicted', hit: { tteMs, confidence: c, model: 'theil-sen', evidence: [] } };
}

function judgeSeasonal(season: SeasonDetection, threshold: number, limitText: string, rule: GaugeRule, ctx: Context): Judgement {
  const { o, now } = ctx;
  const { grid, period } = season;
  const model = fitHoltWinters(grid.values, period);
  const pattern = `${season.periodMs === 24 * HOUR ? 'a daily' : `a ${formatSpan(season.periodMs)}`} pattern (autocorrelation ${round(season.acf, 2)})`;
  if (!model) return { outcome: 'poor_fit', model: 'holt-winters' };
  const fmt = (v: number) => formatValue(v, rule.unit);
  const fitText = `Holt–Winters over ${grid.values.length} points at ${formatSpan(grid.step)}, R²=${round(model.r2, 2)}`;
  if (model.r2 < o.minFitQuality) return { outcome: 'poor_fit', model: 'holt-winters', detail: `${ctx.subject} follows ${pattern} (${fitText})` };
  const lastT = grid.start + (grid.values.length - 1) * grid.step;
  const steps = Math.max(1, Math.ceil((now + ctx.horizonMs - lastT) / grid.step));
  let prevT = lastT;
  let prevV = grid.values[grid.values.length - 1] as number;
  let peak: Forecast | undefined;
  let cross: { t: number; lower: number; upper: number } | undefined;
  for (const f of forecastHoltWinters(model, steps)) {
    const t = lastT + f.step * grid.step;
    if (t > now + ctx.horizonMs) break;
    if (t > now && (!peak || f.value > peak.value)) peak = f;
    if (t > now && !cross && f.value >= threshold) {
      // Linear between the grid points, never before now.
      const at = prevV < threshold ? prevT + ((threshold - prevV) / (f.value - prevV)) * (t - prevT) : t;
      cross = { t: Math.max(at, now), lower: f.lower, upper: f.upper };
    }
    prevT = t;
    prevV = f.value;
  }
  const trend = `${formatRate(model.trend / grid.step, rule.unit, HOUR)} beneath it`;
  if (!cross || !peak) {
    return {
      outcome: 'beyond_horizon',
      model: 'holt-winters',
      detail: `${ctx.subject} follows ${pattern} with a trend of ${trend} (${fitText}); the forecast peaks at ${peak ? fmt(peak.value) : 'nothing'} within ${formatSpan(ctx.horizonMs)}, under the ${limitText}`,
    };
  }
  const tteMs = cross.t - now;
  // One-step errors say little about hours ahead; the interval at the peak says how sure the crossing is.
  const sigma = (peak.upper - peak.value) / DEFAULT_INTERVAL_Z;
  const exceed = sigma > 0 ? normalCdf((peak.value - threshold) / sigma) : 1;
  const c = confidence(model.r2, grid.values.length, tteMs, grid.step * (grid.values.length - 1), o) * exceed;
  if (c < o.minConfidence) return { outcome: 'low_confidence', model: 'holt-winters' };
  return {
    outcome: 'predicted',
    hit: {
      tteMs,
      confidence: c,
      model: 'holt-winters',
      evidence: [
        `${ctx.subject} follows ${pattern} with a trend of ${trend} (${fitText}); ${limitText} reached in ~${formatSpan(tteMs)}`,
        `95% forecast interval at that time: ${fmt(cross.lower)} to ${fmt(cross.upper)}; the forecast peak of ${fmt(peak.value)} exceeds the ${limitText} with probability ${round(exceed, 2)}`,
      ],
    },
  };
}

function judgeCounter(samples: Sample[], ctx: Context): Judgement {
  const { o, now } = ctx;
  const warm = warmUp(samples, ctx);
  if (warm) return warm;
  // Cumulative restarts; a counter that goes down was reset (the pod recreated), as Prometheus reads it.
  const cumulative: Sample[] = [];
  let total = 0;
  let prev: number | undefined;
  for (const [t, v] of samples) {
    if (prev !== undefined) total += v >= prev ? v - prev : v;
    prev = v;
    cumulative.push([t, total]);
  }
  if (total < o.minRestarts) return { outcome: 'not_rising', detail: `${ctx.subject}: ${total} restarts in ${formatSpan(span(samples))}` };
  const rates: Sample[] = [];
  let j = 0;
  for (let i = 0; i < cumulative.length; i++) {
    const [t, c] = cumulative[i] as Sample;
    while (j + 1 < i && (cumulative[j + 1] as Sample)[0] <= t - o.restartRateWindowMs) j++;
    const [tj, cj] = cumulative[j] as Sample;
    if (tj > t - o.restartRateWindowMs || tj >= t) continue;
    // Dated at the window's middle, so the rate does not lag the trend by half a window.
    rates.push([(t + tj) / 2, ((c - cj) / (t - tj)) * HOUR]);
  }
  if (rates.length < o.minSamples || span(rates) < o.minSpanMs) {
    return { outcome: 'warming_up', detail: `${ctx.subject}: a restart rate over ${formatSpan(o.restartRateWindowMs)} needs more history` };
  }
  const fit = theilSen(rates);
  const threshold = o.restartStormPerHour;
  const stormText = `a restart storm (${round(threshold, 1)}/h)`;
  if (!fit) return { outcome: 'not_rising', model: 'theil-sen' };
  const lastRate = (rates[rates.length - 1] as Sample)[1];
  if (lastRate >= threshold) return { outcome: 'at_limit', model: 'theil-sen', detail: `${ctx.subject}: ${round(lastRate, 1)}/h, already ${stormText}` };
  const judged = judgeLine(fit, rates, threshold, ctx);
  if (judged.outcome !== 'predicted') return judged;
  const { hit } = judged;
  const first = valueAt(fit, (rates[0] as Sample)[0]);
  const current = valueAt(fit, now);
  hit.evidence = [
    `${ctx.subject} accelerate from ${round(Math.max(first, 0), 1)}/h to ${round(current, 1)}/h, +${round(fit.slope * HOUR, 2)}/h per hour (Theil–Sen over ${rates.length} rates over ${formatSpan(o.restartRateWindowMs)}, R²=${round(fit.r2, 2)}); ${stormText} reached in ~${formatSpan(hit.tteMs)}`,
    `${total} restarts in the last ${formatSpan(span(samples))}`,
  ];
  return { outcome: 'predicted', hit };
}

function warmUp(samples: readonly Sample[], ctx: Context): Judgement | undefined {
  const last = samples[samples.length - 1];
  if (!last || samples.length < ctx.o.minSamples || span(samples) < ctx.o.minSpanMs) {
    return { outcome: 'warming_up', detail: `${ctx.subject}: ${samples.length} samples over ${formatSpan(span(samples))}; at least ${ctx.o.minSamples} over ${formatSpan(ctx.o.minSpanMs)} are needed` };
  }
  if (ctx.now - last[0] > ctx.o.staleAfterMs) return { outcome: 'stale', detail: `${ctx.subject}: newest sample ${formatSpan(ctx.now - last[0])} old` };
  return undefined;
}

/**
 * Confidence 0–1: the fit quality, times the sample count's share of `fullConfidenceSamples` (square
 * root: the error of a fitted slope shrinks with √n), times how far the extrapolation reaches: 1 up to
 * the fitted span, then 2 / (1 + reach / span) — half at three times the span.
 */
export function confidence(fitQuality: number, samples: number, reachMs: number, spanMs: number, o: Pick<PredictOptions, 'fullConfidenceSamples'> = DEFAULT_PREDICT_OPTIONS): number {
  if (!(spanMs > 0) || !(samples > 0)) return 0;
  const quality = Math.min(1, Math.max(0, fitQuality));
  const count = Math.min(1, Math.sqrt(samples / Math.max(1, o.fullConfidenceSamples)));
  const reach = Math.min(1, 2 / (1 + Math.max(0, reachMs) / spanMs));
  const c = quality * count * reach;
  return Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0;
}

/** Finite samples up to `now`, oldest first; of samples sharing a timestamp the last given wins. */
export function cleanSamples(samples: readonly (readonly [number, number])[], now?: number): Sample[] {
  const limit = now !== undefined && Number.isFinite(now) ? now : Infinity;
  const kept = samples.filter((s) => Array.isArray(s) && Number.isFinite(s[0]) && Number.isFinite(s[1]) && s[0] <= limit);
  // Stable sort keeps the input order of equal timestamps, so "last given" is well defined.
  const sorted = kept.map((s) => [s[0], s[1]] as const).sort((a, b) => a[0] - b[0]);
  const out: Sample[] = [];
  for (const s of sorted) {
    if (out.length > 0 && (out[out.length - 1] as Sample)[0] === s[0]) out[out.length - 1] = s;
    else out.push(s);
  }
  return out;
}

/** The samples since the last drop below `ratio` of the previous sample (the whole series without one). */
export function sinceLastDrop(samples: readonly Sample[], ratio: number): { samples: Sample[]; drop?: { at: number; from: number; to: number }; skipped: number } {
  for (let i = samples.length - 1; i > 0; i--) {
    const before = (samples[i - 1] as Sample)[1];
    const [at, to] = samples[i] as Sample;
    if (before > 0 && to < before * ratio) return { samples: samples.slice(i), drop: { at, from: before, to }, skipped: i };
  }
  return { samples: samples.slice(), skipped: 0 };
}

/** The trailing windows to fit, shortest first, ending with the whole segment; each distinct and warm. */
function trailingWindows(samples: Sample[], ctx: Context): Sample[][] {
  const lastT = (samples[samples.length - 1] as Sample)[0];
  const out: Sample[][] = [];
  for (const w of [...ctx.o.fitWindowsMs].sort((a, b) => a - b)) {
    const from = samples.findIndex(([t]) => t >= lastT - w);
    const part = samples.slice(Math.max(0, from));
    if (part.length === samples.length) break;
    if (part.length >= ctx.o.minSamples && span(part) >= ctx.o.minSpanMs && part.length !== out[out.length - 1]?.length) out.push(part);
  }
  out.push(samples);
  return out;
}

function span(samples: readonly Sample[]): number {
  const first = samples[0];
  const last = samples[samples.length - 1];
  return first && last ? last[0] - first[0] : 0;
}

function lastValue(samples: readonly (readonly [number, number])[], now?: number): number | undefined {
  const clean = cleanSamples(samples, now);
  return clean[clean.length - 1]?.[1];
}

function hasIdentity(rule: Rule, labels: Labels): boolean {
  // cAdvisor also reports the pod's cgroup (container "") and the pause container ("POD").
  return rule.identity.every((k) => (labels[k] ?? '') !== '') && labels['container'] !== 'POD';
}

function limitKey(metric: string, labels: Labels): string {
  const rule = RULES.find((r) => r.kind === 'gauge' && r.limit === metric);
  return `${metric}\u0000${(rule?.identity ?? []).map((k) => labels[k] ?? '').join('\u0000')}`;
}

function limitKeyFor(rule: GaugeRule, labels: Labels): string {
  return typeof rule.limit === 'string' ? limitKey(rule.limit, labels) : '';
}

function inScope(resource: PredictionResource, scope: PredictScope): boolean {
  if (scope.namespace !== undefined && resource.namespace !== scope.namespace) return false;
  const want = scope.resource;
  return want === undefined || (want.kind === resource.kind && want.name === resource.name && (want.namespace ?? undefined) === (resource.namespace ?? undefined));
}

/**
 * One prediction per failure, resource and container — the most confident — and a pod-level one only
 * when no container of that pod has its own (both series of one pod say the same thing). Soonest first.
 */
function dedupe(predictions: Prediction[]): Prediction[] {
  const key = (p: Prediction) => `${p.type}\u0000${p.resource.kind}\u0000${p.resource.namespace ?? ''}\u0000${p.resource.name}`;
  const best = new Map<string, Prediction>();
  const withContainer = new Set<string>();
  for (const p of predictions) {
    const container = p.labels['container'];
    if (container !== undefined) withContainer.add(key(p));
    const k = `${key(p)}\u0000${container ?? ''}`;
    const seen = best.get(k);
    if (!seen || p.confidence > seen.confidence) best.set(k, p);
  }
  return [...best.values()]
    .filter((p) => p.labels['container'] !== undefined || !withContainer.has(key(p)))
    .sort((a, b) => a.time_to_event_s - b.time_to_event_s || b.confidence - a.confidence);
}

// ---- wording ----------------------------------------------------------------------------------

function describeLine(fit: LinearFit, n: number, unit: GaugeRule['unit'], perMs: number): string {
  const outliers = fit.outliers > 0 ? `, ${fit.outliers} outlier${fit.outliers === 1 ? '' : 's'} set aside` : '';
  return `${formatRate(fit.slope, unit, perMs)} (Theil–Sen over ${n} samples${outliers}, R²=${round(fit.r2, 2)})`;
}

function formatRate(perMsValue: number, unit: GaugeRule['unit'], perMs: number): string {
  const v = perMsValue * perMs;
  const per = perMs === MINUTE ? 'min' : 'h';
  return unit === 'percent' ? `${round(v, 2)} points/${per}` : `${formatBytes(v)}/${per}`;
}

function formatValue(v: number, unit: GaugeRule['unit']): string {
  return unit === 'percent' ? `${round(v, 1)}%` : formatBytes(v);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `128 MiB`, `20.1 MiB`, `1.5 GiB`; binary units, as Kubernetes quantities are usually written. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${bytes < 0 ? '-' : ''}${round(v, 1)} ${BYTE_UNITS[u]}`;
}

/** `45s`, `6m`, `1h20m`, `36h`, `2d3h`: how long until, to a person's precision. */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  // Hours up to two days: "24h" and "36h" read better than "1d" and "1d12h" for a horizon.
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
}

/** Standard normal cumulative distribution (Abramowitz–Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  if (!Number.isFinite(z)) return z > 0 ? 1 : 0;
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Checks the options.
 * @returns the problems, each with the option name; empty when they are valid.
 */
export function validatePredictOptions(o: PredictOptions): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const share = (v: number, path: string) => {
    if (!(v >= 0 && v <= 1)) issues.push({ path, message: 'must be between 0 and 1' });
  };
  if (!(Number.isInteger(o.minSamples) && o.minSamples >= 3)) issues.push({ path: 'min_samples', message: 'must be an integer of at least 3' });
  if (!(o.minSpanMs >= 0)) issues.push({ path: 'min_span', message: 'must not be negative' });
  share(o.minFitQuality, 'min_fit_quality');
  share(o.minConfidence, 'min_confidence');
  if (!(o.fullConfidenceSamples >= 1)) issues.push({ path: 'full_confidence_samples', message: 'must be at least 1' });
  if (!o.fitWindowsMs.every((w) => w > 0)) issues.push({ path: 'fit_windows', message: 'must all be positive durations' });
  if (!(o.dropRatio > 0 && o.dropRatio < 1)) issues.push({ path: 'drop_ratio', message: 'must be greater than 0 and less than 1' });
  if (!(o.staleAfterMs > 0)) issues.push({ path: 'stale_after', message: 'must be positive' });
  if (!o.seasonCandidatesMs.every((w) => w > 0)) issues.push({ path: 'season_candidates', message: 'must all be positive durations' });
  if (!(o.minSeasonAcf > 0 && o.minSeasonAcf <= 1)) issues.push({ path: 'min_season_acf', message: 'must be greater than 0 and at most 1' });
  if (!(o.nodeMemoryPressureRatio > 0 && o.nodeMemoryPressureRatio <= 1)) issues.push({ path: 'node_memory_pressure_ratio', message: 'must be greater than 0 and at most 1' });
  if (!(o.nodeDiskPressureRatio > 0 && o.nodeDiskPressureRatio <= 1)) issues.push({ path: 'node_disk_pressure_ratio', message: 'must be greater than 0 and at most 1' });
  if (!(o.restartStormPerHour > 0)) issues.push({ path: 'restart_storm_per_hour', message: 'must be positive' });
  if (!(o.restartRateWindowMs > 0)) issues.push({ path: 'restart_rate_window', message: 'must be positive' });
  if (!(Number.isInteger(o.minRestarts) && o.minRestarts >= 1)) issues.push({ path: 'min_restarts', message: 'must be an integer of at least 1' });
  return issues;
}
