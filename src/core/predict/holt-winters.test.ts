import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { detectSeason, fitHoltWinters, forecastHoltWinters, lagCorrelation, regularGrid } from './holt-winters.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A daily wave around `base` (+`trendPerDay`), one sample every `stepMin` minutes, with noise. */
function daily(days: number, stepMin: number, base: number, amplitude: number, trendPerDay = 0, noise = 0, seed = 1): [number, number][] {
  const r = seededRandom(seed);
  const n = Math.round((days * DAY) / (stepMin * MINUTE));
  return Array.from({ length: n }, (_, i) => {
    const t = i * stepMin * MINUTE;
    return [t, base + amplitude * Math.sin((2 * Math.PI * t) / DAY) + (trendPerDay * t) / DAY + (r() - 0.5) * 2 * noise];
  });
}

describe('regularGrid', () => {
  it('averages samples sharing a cell and interpolates the missing ones', () => {
    const grid = regularGrid([
      [0, 10],
      [60_000, 20],
      [60_500, 30],
      [240_000, 40],
      [120_000, Number.NaN],
    ]);
    expect(grid?.step).toBe(60_000);
    expect(grid?.values).toEqual([10, 25, 30, 35, 40]);
  });

  it('grows the step so the grid stays within maxPoints', () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => [i * 1_000, i] as [number, number]);
    const grid = regularGrid(samples, { maxPoints: 100 });
    expect(grid?.values.length).toBeLessThanOrEqual(100);
    expect(grid?.step).toBeGreaterThanOrEqual(99_990);
  });

  it('is undefined without two distinct times', () => {
    expect(regularGrid([[5, 1]])).toBeUndefined();
    expect(regularGrid([])).toBeUndefined();
  });
});

describe('detectSeason', () => {
  it('finds a daily pattern under noise and a trend', { timeout: 5_000 }, () => {
    const found = detectSeason(daily(3, 5, 400, 100, 30, 15), [DAY]);
    expect(found?.periodMs).toBe(DAY);
    expect(found?.period).toBe(288);
    expect(found?.acf).toBeGreaterThan(0.8);
  });

  it('finds none in a trend with noise, nor with less than two seasons of data', { timeout: 5_000 }, () => {
    const r = seededRandom(5);
    const leak = Array.from({ length: 900 }, (_, i) => [i * 5 * MINUTE, 100 + i + (r() - 0.5) * 40] as [number, number]);
    expect(detectSeason(leak, [DAY])).toBeUndefined();
    expect(detectSeason(daily(1.5, 5, 400, 100), [DAY])).toBeUndefined();
  });

  it('is not fooled by a wave slower than the candidate season', { timeout: 5_000 }, () => {
    // One wave every 2 days, sampled for 4: at a 1-day lag it anticorrelates.
    const slow = Array.from({ length: 1152 }, (_, i) => [i * 5 * MINUTE, 100 + 50 * Math.sin((2 * Math.PI * i * 5 * MINUTE) / (2 * DAY))] as [number, number]);
    expect(detectSeason(slow, [DAY])).toBeUndefined();
  });
});

describe('lagCorrelation', () => {
  it('is 1 for a series repeating at the lag and 0 for a constant', () => {
    expect(lagCorrelation([1, 5, 2, 1, 5, 2, 1, 5, 2], 3)).toBeCloseTo(1, 9);
    expect(lagCorrelation([3, 3, 3, 3], 1)).toBe(0);
  });
});

describe('fitHoltWinters and forecastHoltWinters', () => {
  it('forecasts the next day of a seasonal series with a trend, inside its intervals', { timeout: 5_000 }, () => {
    const history = daily(4, 10, 400, 100, 20, 5, 2); // 576 points
    const future = daily(5, 10, 400, 100, 20, 0).slice(history.length); // the noise-free truth of day 5
    const model = fitHoltWinters(history.map(([, v]) => v), 144);
    expect(model).toBeDefined();
    if (!model) return;
    expect(model.r2).toBeGreaterThan(0.95);
    expect(model.trend * 144).toBeGreaterThan(10); // per day, the true trend being 20
    expect(model.trend * 144).toBeLessThan(30);
    const forecast = forecastHoltWinters(model, future.length);
    let worst = 0;
    let inside = 0;
    forecast.forEach((f, i) => {
      const truth = (future[i] as [number, number])[1];
      worst = Math.max(worst, Math.abs(f.value - truth));
      if (truth >= f.lower && truth <= f.upper) inside++;
    });
    expect(worst).toBeLessThan(25); // against a 200-wide daily swing
    expect(inside / forecast.length).toBeGreaterThan(0.9);
    const first = forecast[0];
    const last = forecast[forecast.length - 1];
    expect((last?.upper ?? 0) - (last?.lower ?? 0)).toBeGreaterThan((first?.upper ?? 0) - (first?.lower ?? 0));
  });

  it('needs two seasons of finite values and a period of at least 2', () => {
    expect(fitHoltWinters([1, 2, 3, 4, 5], 3)).toBeUndefined();
    expect(fitHoltWinters([1, 2, 3, 4, Number.NaN, 6], 3)).toBeUndefined();
    expect(fitHoltWinters([1, 2, 3, 4], 1)).toBeUndefined();
    expect(fitHoltWinters([1, 2, 3, 1, 2, 3], 3, { alpha: 0.5, beta: 0, gamma: 0.5 })).toMatchObject({ period: 3, alpha: 0.5 });
  });
});
