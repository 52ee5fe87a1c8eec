import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { DEFAULT_THEIL_SEN_MAX_PAIRS, median, theilSen, valueAt } from './theil-sen.js';

/** Ordinary least squares, the estimator Theil–Sen is meant to beat on dirty data. */
function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxy / sxx;
}

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('theilSen', () => {
  it('recovers an exact line at epoch-sized x, with R² 1 and no residual spread', { timeout: 2_000 }, () => {
    const t0 = Date.UTC(2025, 8, 30, 9);
    const points = Array.from({ length: 20 }, (_, i) => [t0 + i * 60_000, 1e8 + 2_000 * i * 60] as const);
    const fit = theilSen(points);
    expect(fit).toBeDefined();
    if (!fit) return;
    expect(fit.slope).toBeCloseTo(2, 9); // bytes per ms
    expect(valueAt(fit, t0 + 30 * 60_000)).toBeCloseTo(1e8 + 2_000 * 30 * 60, 3);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(fit.sigma).toBeCloseTo(0, 6);
    expect(fit.outliers).toBe(0);
  });

  it('ignores outliers that drag least squares far off the trend', { timeout: 2_000 }, () => {
    const r = seededRandom(42);
    const trueSlope = 3;
    const points: [number, number][] = Array.from({ length: 60 }, (_, i) => [i, 100 + trueSlope * i + (r() - 0.5) * 10]);
    // Eight late spikes, as a memory series shows while a batch job runs next to the leak.
    for (const i of [50, 52, 53, 55, 56, 57, 58, 59]) points[i] = [i, 2_000];
    const fit = theilSen(points);
    const ols = leastSquaresSlope(points);
    expect(fit).toBeDefined();
    if (!fit) return;
    expect(Math.abs(fit.slope - trueSlope) / trueSlope).toBeLessThan(0.05);
    expect(Math.abs(ols - trueSlope) / trueSlope).toBeGreaterThan(1);
    expect(fit.outliers).toBe(8);
    // The inliers are explained well: the outliers do not ruin the fit quality.
    expect(fit.r2).toBeGreaterThan(0.95);
  });

  it('subsamples pairs for long series, deterministically and still on the trend', { timeout: 5_000 }, () => {
    const r = seededRandom(3);
    const points = Array.from({ length: 5_000 }, (_, i) => [i * 15_000, 5e8 + 1_000 * i + (r() - 0.5) * 20_000] as const);
    const a = theilSen(points);
    const b = theilSen([...points].reverse());
    expect(a?.pairs).toBe(DEFAULT_THEIL_SEN_MAX_PAIRS);
    expect(a?.slope).toBe(b?.slope);
    expect(Math.abs((a?.slope ?? 0) * 15_000 - 1_000) / 1_000).toBeLessThan(0.02);
    expect(a?.r2).toBeGreaterThan(0.99);
  });

  it('reports no trend for flat data and explains nothing of pure noise', { timeout: 2_000 }, () => {
    expect(theilSen(Array.from({ length: 10 }, (_, i) => [i, 7] as const))).toMatchObject({ slope: 0, intercept: 7, r2: 0 });
    const r = seededRandom(9);
    const noise = theilSen(Array.from({ length: 200 }, (_, i) => [i, 100 + (r() - 0.5) * 20] as const));
    expect(Math.abs(noise?.slope ?? 1)).toBeLessThan(0.05);
    expect(noise?.r2).toBeLessThan(0.1);
  });

  it('skips non-finite points and needs two distinct x', { timeout: 2_000 }, () => {
    const fit = theilSen([
      [0, 0],
      [1, Number.NaN],
      [Number.POSITIVE_INFINITY, 5],
      [2, 4],
      [3, 6],
    ]);
    expect(fit?.n).toBe(3);
    expect(fit?.slope).toBe(2);
    expect(theilSen([[1, 1]])).toBeUndefined();
    expect(theilSen([
      [1, 1],
      [1, 5],
    ])).toBeUndefined();
    expect(theilSen([])).toBeUndefined();
  });
});
