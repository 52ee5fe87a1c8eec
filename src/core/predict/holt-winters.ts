/**
 * Additive Holt–Winters (triple exponential smoothing): a level, a trend and one additive seasonal
 * offset per position in the season. A daily pattern — memory that climbs with the day's traffic and
 * falls at night — fools a straight line fitted to the morning's rise into predicting that the limit
 * will be crossed by evening; Holt–Winters forecasts the evening as the previous evenings went, plus
 * whatever trend runs beneath the season.
 *
 * The model needs samples on a regular grid (`regularGrid`) and at least two whole seasons: one to
 * initialise the seasonal offsets, one to learn. `detectSeason` decides whether a series has a season
 * at all, by the autocorrelation of its detrended values at the candidate lag.
 *
 * Smoothing parameters are chosen from a small grid by the smallest one-step-ahead squared error,
 * deterministically. Prediction intervals are the classical ones for additive Holt–Winters (Hyndman
 * et al., "Forecasting with Exponential Smoothing", class 1 variance), assuming normal one-step errors.
 */
import { median, theilSen } from './theil-sen.js';

/** Autocorrelation at the season's lag from which a series is seasonal. */
export const DEFAULT_MIN_SEASON_ACF = 0.5;
/** Points a grid is reduced to at most (the step grows): bounds the cost of fitting to O(points × grid). */
export const DEFAULT_GRID_MAX_POINTS = 2_000;
/** z of a 95% two-sided prediction interval. */
export const DEFAULT_INTERVAL_Z = 1.96;

export interface HoltWintersParams {
  /** Level smoothing, 0–1. */
  alpha: number;
  /** Trend smoothing, 0–1 (0 keeps the initial trend). */
  beta: number;
  /** Seasonal smoothing, 0–1. */
  gamma: number;
}

/** The parameters tried when none are given (27 fits per series). */
export const DEFAULT_HOLT_WINTERS_GRID: readonly HoltWintersParams[] = Object.freeze(
  [0.05, 0.2, 0.5].flatMap((alpha) => [0, 0.02, 0.1].flatMap((beta) => [0.05, 0.2, 0.5].map((gamma) => ({ alpha, beta, gamma })))),
);

export interface HoltWintersModel extends HoltWintersParams {
  /** Season length in grid steps. */
  period: number;
  /** Values fitted. */
  n: number;
  /** State after the last value. */
  level: number;
  /** Per grid step. */
  trend: number;
  /** `season[(h − 1) % period]` is the offset `h` steps after the last value. */
  season: number[];
  /** Standard deviation of the one-step-ahead errors. */
  sigma: number;
  /** Share of the variance the one-step-ahead forecasts explain, 0–1. */
  r2: number;
}

export interface Forecast {
  /** Steps after the last fitted value, from 1. */
  step: number;
  value: number;
  lower: number;
  upper: number;
}

/** Samples on a regular grid: `values[i]` stands for time `start + i × step`. */
export interface RegularGrid {
  start: number;
  step: number;
  values: number[];
}

export interface RegularGridOptions {
  /** Grid step, ms (default: the median gap between samples, grown to respect `maxPoints`). */
  step?: number;
  maxPoints?: number;
}

/**
 * Puts `[t, value]` samples (any order; non-finite ones skipped) on a regular grid: samples falling in
 * one cell are averaged, empty cells interpolated linearly. Undefined for fewer than two distinct times.
 */
export function regularGrid(samples: readonly (readonly [number, number])[], options: RegularGridOptions = {}): RegularGrid | undefined {
  const clean = samples.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)).sort((a, b) => a[0] - b[0]);
  const first = clean[0];
  const last = clean[clean.length - 1];
  if (!first || !last || last[0] <= first[0]) return undefined;
  const span = last[0] - first[0];
  const gaps: number[] = [];
  for (let i = 1; i < clean.length; i++) {
    const gap = (clean[i] as readonly [number, number])[0] - (clean[i - 1] as readonly [number, number])[0];
    if (gap > 0) gaps.push(gap);
  }
  const maxPoints = Math.max(2, Math.floor(options.maxPoints ?? DEFAULT_GRID_MAX_POINTS));
  const step = Math.max(options.step !== undefined && options.step > 0 ? options.step : median(gaps), span / (maxPoints - 1));
  const cells = Math.min(maxPoints, Math.round(span / step) + 1);
  const sums = new Float64Array(cells);
  const counts = new Uint32Array(cells);
  for (const [t, v] of clean) {
    const i = Math.min(cells - 1, Math.round((t - first[0]) / step));
    sums[i] = (sums[i] as number) + v;
    counts[i] = (counts[i] as number) + 1;
  }
  const values = new Array<number>(cells);
  let prev = -1;
  for (let i = 0; i < cells; i++) {
    if ((counts[i] as number) === 0) continue;
    values[i] = (sums[i] as number) / (counts[i] as number);
    if (prev >= 0 && i - prev > 1) {
      const from = values[prev] as number;
      const to = values[i] as number;
      for (let k = prev + 1; k < i; k++) values[k] = from + ((to - from) * (k - prev)) / (i - prev);
    }
    prev = i;
  }
  return { start: first[0], step, values };
}

/** Pearson correlation between the series and itself `lag` steps later; 0 when undefined. */
export function lagCorrelation(values: readonly number[], lag: number): number {
  const m = values.length - lag;
  if (lag < 1 || m < 2) return 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < m; i++) {
    sa += values[i] as number;
    sb += values[i + lag] as number;
  }
  const ma = sa / m;
  const mb = sb / m;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < m; i++) {
    const a = (values[i] as number) - ma;
    const b = (values[i + lag] as number) - mb;
    cov += a * b;
    va += a * a;
    vb += b * b;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

export interface SeasonDetection {
  /** The candidate season that matched, ms. */
  periodMs: number;
  /** The same in grid steps. */
  period: number;
  /** Autocorrelation of the detrended series at that lag. */
  acf: number;
  /** The grid it was measured on, for fitting. */
  grid: RegularGrid;
}

export interface DetectSeasonOptions extends RegularGridOptions {
  minAcf?: number;
}

/**
 * Whether the series repeats with one of the candidate seasons (ms, e.g. `[86_400_000]` for daily):
 * the strongest candidate whose detrended autocorrelation reaches `minAcf` and beats that at half the
 * lag (a slow wave or a step would otherwise correlate with itself at any lag). A candidate needs two
 * whole seasons of data. Undefined when none matches. Never throws.
 */
export function detectSeason(samples: readonly (readonly [number, number])[], candidatesMs: readonly number[], options: DetectSeasonOptions = {}): SeasonDetection | undefined {
  const minAcf = options.minAcf ?? DEFAULT_MIN_SEASON_ACF;
  let span = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [t] of samples) {
    if (!Number.isFinite(t)) continue;
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  span = hi - lo;
  const usable = candidatesMs.filter((c) => c > 0 && span >= 2 * c);
  if (usable.length === 0) return undefined;
  const grid = regularGrid(samples, options);
  if (!grid) return undefined;
  const fit = theilSen(grid.values.map((v, i) => [i, v] as const));
  const detrended = fit ? grid.values.map((v, i) => v - fit.intercept - fit.slope * i) : grid.values;
  let best: SeasonDetection | undefined;
  for (const periodMs of usable) {
    const period = Math.round(periodMs / grid.step);
    if (period < 2 || grid.values.length < 2 * period) continue;
    const acf = lagCorrelation(detrended, period);
    if (acf < minAcf || acf <= lagCorrelation(detrended, Math.round(period / 2))) continue;
    if (!best || acf > best.acf) best = { periodMs, period, acf, grid };
  }
  return best;
}

/**
 * Fits additive Holt–Winters with a season of `period` steps to regular values; with `params`
 * undefined, the grid's best by one-step squared error. Undefined when there are fewer than two
 * seasons of values, `period` is under 2 or a value is not finite. Never throws.
 */
export function fitHoltWinters(values: readonly number[], period: number, params?: HoltWintersParams | readonly HoltWintersParams[]): HoltWintersModel | undefined {
  if (!Number.isInteger(period) || period < 2 || values.length < 2 * period || !values.every(Number.isFinite)) return undefined;
  const tries: readonly HoltWintersParams[] = params === undefined ? DEFAULT_HOLT_WINTERS_GRID : Array.isArray(params) ? params : [params as HoltWintersParams];
  let best: HoltWintersModel | undefined;
  let bestSse = Infinity;
  for (const p of tries) {
    const run = smooth(values, period, p);
    if (run.sse < bestSse) {
      bestSse = run.sse;
      best = run.model;
    }
  }
  return best;
}

function smooth(y: readonly number[], m: number, p: HoltWintersParams): { model: HoltWintersModel; sse: number } {
  const { alpha, beta, gamma } = p;
  let mean1 = 0;
  let mean2 = 0;
  for (let i = 0; i < m; i++) {
    mean1 += y[i] as number;
    mean2 += y[i + m] as number;
  }
  mean1 /= m;
  mean2 /= m;
  let trend = (mean2 - mean1) / m;
  // State at the end of the first season; its offsets are what the first season left around its trend line.
  let level = mean1 + (trend * (m - 1)) / 2;
  const season = Array.from({ length: m }, (_, i) => (y[i] as number) - (mean1 + trend * (i - (m - 1) / 2)));
  let sse = 0;
  let sum = 0;
  let sumSq = 0;
  const count = y.length - m;
  for (let t = m; t < y.length; t++) {
    const yt = y[t] as number;
    const s = season[t % m] as number;
    const err = yt - (level + trend + s);
    sse += err * err;
    sum += yt;
    sumSq += yt * yt;
    const nextLevel = alpha * (yt - s) + (1 - alpha) * (level + trend);
    trend = beta * (nextLevel - level) + (1 - beta) * trend;
    season[t % m] = gamma * (yt - nextLevel) + (1 - gamma) * s;
    level = nextLevel;
  }
  const sst = sumSq - (sum * sum) / count;
  const n = y.length;
  return {
    sse,
    model: {
      alpha,
      beta,
      gamma,
      period: m,
      n,
      level,
      trend,
      season: Array.from({ length: m }, (_, k) => season[(n + k) % m] as number),
      sigma: Math.sqrt(sse / count),
      r2: sst > 0 ? Math.min(1, Math.max(0, 1 - sse / sst)) : 0,
    },
  };
}

/** Forecasts `steps` steps after the last fitted value, with intervals at `z` standard deviations. */
export function forecastHoltWinters(model: HoltWintersModel, steps: number, z: number = DEFAULT_INTERVAL_Z): Forecast[] {
  const out: Forecast[] = [];
  const { alpha, beta, gamma, period } = model;
  let spread = 0;
  for (let h = 1; h <= steps; h++) {
    if (h > 1) {
      const j = h - 1;
      const c = alpha * (1 + j * beta) + (j % period === 0 ? gamma : 0);
      spread += c * c;
    }
    const value = model.level + h * model.trend + (model.season[(h - 1) % period] as number);
    const half = z * model.sigma * Math.sqrt(1 + spread);
    out.push({ step: h, value, lower: value - half, upper: value + half });
  }
  return out;
}
