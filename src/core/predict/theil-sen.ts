/**
 * Theil–Sen robust linear regression: the slope is the median of the slopes between pairs of points,
 * the intercept the median of what the slope leaves. Up to 29% of the points can be arbitrarily wrong
 * (a scrape of a half-started container, a GC spike) without moving the line, where one such point pulls
 * a least-squares line as far as it likes — and a trend extrapolated hours ahead magnifies any pull.
 *
 * With many points the pairs are subsampled (seeded, so the same points give the same line on every
 * replica): the median of a few thousand random pairs is as good as all of them for a trend, and keeps
 * the cost at a sort of `maxPairs` numbers.
 */
import { seededRandom } from '../random.js';

/** Pairs whose slopes are taken at most; below it (n ≤ 63) every pair is used. */
export const DEFAULT_THEIL_SEN_MAX_PAIRS = 2_000;
/** A residual farther than this many robust standard deviations is an outlier, left out of `r2`. */
export const DEFAULT_OUTLIER_SIGMAS = 3.5;
/** Scales a median absolute deviation to the standard deviation of normal noise. */
export const MAD_TO_SIGMA = 1.4826;

export interface TheilSenOptions {
  maxPairs?: number;
  /** Seed of the pair subsampling (default: the number of points). */
  seed?: number;
  outlierSigmas?: number;
}

/** `y = intercept + slope × (x − origin)`. */
export interface LinearFit {
  slope: number;
  /** The line's value at `origin`. */
  intercept: number;
  /** The smallest x: keeps the arithmetic away from epoch-sized numbers. */
  origin: number;
  /** Points fitted (finite ones). */
  n: number;
  /** Slopes the median was taken over. */
  pairs: number;
  /** Median absolute deviation of the residuals. */
  mad: number;
  /** Robust standard deviation of the residuals, `MAD_TO_SIGMA × mad`: the noise around the line. */
  sigma: number;
  /** Share of the inliers' variance the line explains, 0–1 (0 for flat data: nothing to explain). */
  r2: number;
  /** Points left out of `r2` as outliers. */
  outliers: number;
}

/** The fitted line's value at `x`. */
export function valueAt(fit: Pick<LinearFit, 'slope' | 'intercept' | 'origin'>, x: number): number {
  return fit.intercept + fit.slope * (x - fit.origin);
}

/** Median of the numbers (sorted copy); NaN for none. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Fits a line through `[x, y]` points in any order; points with a non-finite coordinate are skipped.
 * Returns undefined when fewer than two distinct x remain. Never throws.
 */
export function theilSen(points: readonly (readonly [number, number])[], options: TheilSenOptions = {}): LinearFit | undefined {
  // Sorted, so the subsampled pairs — and the line — do not depend on the order the points came in.
  const sorted = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const xs = sorted.map(([x]) => x);
  const ys = sorted.map(([, y]) => y);
  const n = xs.length;
  if (n < 2) return undefined;
  const origin = xs[0] as number;
  for (let i = 0; i < n; i++) xs[i] = (xs[i] as number) - origin;

  const slopes = pairSlopes(xs, ys, Math.max(1, Math.floor(options.maxPairs ?? DEFAULT_THEIL_SEN_MAX_PAIRS)), options.seed ?? n);
  if (slopes.length === 0) return undefined;
  const slope = median(slopes);
  const intercept = median(ys.map((y, i) => y - slope * (xs[i] as number)));

  const residuals = ys.map((y, i) => y - intercept - slope * (xs[i] as number));
  const mad = median(residuals.map((r) => Math.abs(r)));
  const sigma = MAD_TO_SIGMA * mad;
  // With more than half the points exactly on the line the MAD is 0; only float noise is then "on" it.
  let scale = 1;
  for (const y of ys) scale = Math.max(scale, Math.abs(y));
  const tolerance = Math.max((options.outlierSigmas ?? DEFAULT_OUTLIER_SIGMAS) * sigma, 1e-9 * scale);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(residuals[i] as number) <= tolerance) {
      count++;
      sum += ys[i] as number;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const r = residuals[i] as number;
    if (Math.abs(r) > tolerance) continue;
    ssRes += r * r;
    ssTot += ((ys[i] as number) - mean) ** 2;
  }
  const r2 = ssTot > 0 ? Math.min(1, Math.max(0, 1 - ssRes / ssTot)) : 0;
  return { slope, intercept, origin, n, pairs: slopes.length, mad, sigma, r2, outliers: n - count };
}

function pairSlopes(xs: readonly number[], ys: readonly number[], maxPairs: number, seed: number): Float64Array {
  const n = xs.length;
  const slope = (i: number, j: number): number | undefined => {
    const dx = (xs[j] as number) - (xs[i] as number);
    return dx === 0 ? undefined : ((ys[j] as number) - (ys[i] as number)) / dx;
  };
  if ((n * (n - 1)) / 2 <= maxPairs) {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const s = slope(i, j);
        if (s !== undefined) out.push(s);
      }
    }
    return Float64Array.from(out);
  }
  const random = seededRandom(seed);
  const out = new Float64Array(maxPairs);
  let found = 0;
  // Bounded: points sharing one x give no slope, and a degenerate input must not loop for ever.
  for (let attempt = 0; attempt < 4 * maxPairs && found < maxPairs; attempt++) {
    const i = Math.floor(random() * n);
    const j = Math.floor(random() * n);
    const s = i === j ? undefined : slope(i, j);
    if (s !== undefined) out[found++] = s;
  }
  return out.subarray(0, found);
}
