import { describe, expect, it } from 'vitest';
import { seededRandom as rng } from '../random.js';
import { DEFAULT_ANOMALY_OPTIONS, detect, ewmaUpdate, validateAnomalyOptions, type Anomaly, type AnomalyOptions, type DetectorState } from './ewma.js';

const MINUTE = 60_000;


function run(values: number[], o: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS): { anomalies: (Anomaly & { index: number })[]; state: DetectorState | undefined } {
  let state: DetectorState | undefined;
  const anomalies: (Anomaly & { index: number })[] = [];
  values.forEach((v, index) => {
    const r = detect(state, v, index * MINUTE, o);
    state = r.state;
    if (r.anomaly) anomalies.push({ ...r.anomaly, index });
  });
  return { anomalies, state };
}

describe('ewmaUpdate', () => {
  it('starts at the first sample and converges to a constant', () => {
    let s = ewmaUpdate(undefined, 10, 0.1);
    expect(s).toEqual({ n: 1, mean: 10, variance: 0 });
    for (let i = 0; i < 200; i++) s = ewmaUpdate(s, 20, 0.1);
    expect(s.mean).toBeCloseTo(20, 6);
    expect(s.variance).toBeLessThan(1e-6);
  });

  it('learns the variance of a series alternating around its mean', () => {
    let s = ewmaUpdate(undefined, 100, 0.05);
    for (let i = 0; i < 2000; i++) s = ewmaUpdate(s, i % 2 === 0 ? 90 : 110, 0.05);
    expect(s.mean).toBeCloseTo(100, 0);
    // The samples are ±10 from the mean: a variance near 100.
    expect(Math.sqrt(s.variance)).toBeGreaterThan(9);
    expect(Math.sqrt(s.variance)).toBeLessThan(11);
  });
});

describe('detect', () => {
  const noisy = (n: number, level: number, spread: number, seed = 7) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => level + (r() - 0.5) * 2 * spread);
  };

  it('reports a step change once, after warm-up, upward with the expectation it broke', () => {
    const values = [...noisy(40, 100e6, 2e6), ...Array.from({ length: 30 }, () => 300e6)];
    const { anomalies } = run(values);
    expect(anomalies).toHaveLength(1);
    const [a] = anomalies;
    expect(a).toMatchObject({ index: 40, direction: 'up', value: 300e6, severity: 'high' });
    expect(a?.expected).toBeGreaterThan(95e6);
    expect(a?.expected).toBeLessThan(105e6);
    expect(a?.z).toBeGreaterThan(DEFAULT_ANOMALY_OPTIONS.zHigh);
    expect(a?.windowMs).toBe(19 * MINUTE);
  });

  it('reports a drop as direction down with a negative z-score', () => {
    const { anomalies } = run([...noisy(30, 500, 10), 100]);
    expect(anomalies).toEqual([expect.objectContaining({ direction: 'down', index: 30 })]);
    expect(anomalies[0]?.z).toBeLessThan(0);
  });

  it('stays silent on noise, however long it runs', () => {
    expect(run(noisy(2000, 100, 20, 3)).anomalies).toEqual([]);
    // Heavier noise with occasional moderate bumps (2.5 sigma) never reaches the threshold either.
    const r = rng(11);
    const bumpy = Array.from({ length: 1000 }, (_, i) => 100 + (r() - 0.5) * 10 + (i % 97 === 0 ? 7 : 0));
    expect(run(bumpy).anomalies).toEqual([]);
  });

  it('says nothing during warm-up, even for a wild change', () => {
    const values = [100, 101, 99, 100, 5000, 100];
    expect(run(values).anomalies).toEqual([]);
    expect(run(values, { ...DEFAULT_ANOMALY_OPTIONS, warmupSamples: 4 }).anomalies).toEqual([expect.objectContaining({ index: 4 })]);
  });

  // A detector that barely learns (tiny alpha, std set by the floor of 10) isolates the guards.
  const rigid: AnomalyOptions = { ...DEFAULT_ANOMALY_OPTIONS, alpha: 0.001, minStd: 10, minStdRatio: 0, warmupSamples: 5 };
  const flat = Array.from({ length: 10 }, () => 100);

  it('fires once for a flapping series within the cool-down, and again only after it', () => {
    // A spike (z = 30) every other minute for 20 minutes.
    const flapping = [...flat, ...Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 400 : 100))];
    expect(run(flapping, { ...rigid, cooldownMs: 0 }).anomalies).toHaveLength(10);
    expect(run(flapping, { ...rigid, cooldownMs: 60 * MINUTE }).anomalies).toHaveLength(1);
    const spaced = run(flapping, { ...rigid, cooldownMs: 4 * MINUTE }).anomalies.map((a) => a.index);
    expect(spaced).toEqual([10, 14, 18, 22, 26]);
    // With the default learning rate the detector learns the flapping as variance and goes quiet.
    expect(run([...noisy(30, 100, 1), ...Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 400 : 100))], { ...DEFAULT_ANOMALY_OPTIONS, cooldownMs: 0 }).anomalies.length).toBeLessThan(5);
  });

  it('holds the alarm until |z| falls below z_resolve (hysteresis)', () => {
    const o = { ...rigid, cooldownMs: 0 };
    // z = 4.1 enters the alarm; 3.5 is below the threshold but above z_resolve (2): still alarmed, so
    // the next 4.1 is not a new anomaly. 1.5 resolves it; the following 4.1 is.
    const { anomalies, state } = run([...flat, 141, 135, 141, 135, 141], o);
    expect(anomalies.map((a) => a.index)).toEqual([10]);
    expect(state?.alarm).toBe('up');
    expect(run([...flat, 141, 135, 141, 115, 141], o).anomalies.map((a) => a.index)).toEqual([10, 14]);
  });

  it('ignores samples older than what it learned and non-finite values', () => {
    const first = detect(undefined, 10, 5 * MINUTE);
    expect(detect(first.state, 99, 5 * MINUTE)).toMatchObject({ learned: false, state: first.state });
    expect(detect(first.state, 99, 4 * MINUTE).learned).toBe(false);
    expect(detect(first.state, Number.NaN, 6 * MINUTE).learned).toBe(false);
    expect(detect(first.state, 11, 6 * MINUTE).learned).toBe(true);
  });

  it('does not call a change on a flat series anomalous when it is within the floor', () => {
    // 10 pods for an hour, then 11: the std floor (1 unit, 5% of the mean) keeps z at 1.
    expect(run([...Array.from({ length: 60 }, () => 10), 11]).anomalies).toEqual([]);
    // From 0 to 50 is a real change even on a flat series.
    expect(run([...Array.from({ length: 60 }, () => 0), 50]).anomalies).toHaveLength(1);
  });

  it('is deterministic: replaying the same samples gives the same verdicts', () => {
    const values = [...noisy(50, 10, 1, 5), 40, ...noisy(50, 10, 1, 6), 50];
    expect(run(values).anomalies).toEqual(run(values).anomalies);
  });
});

describe('validateAnomalyOptions', () => {
  it('accepts the defaults and names each bad option', () => {
    expect(validateAnomalyOptions(DEFAULT_ANOMALY_OPTIONS)).toEqual([]);
    const issues = validateAnomalyOptions({ ...DEFAULT_ANOMALY_OPTIONS, alpha: 0, zResolve: 9, zHigh: 1, warmupSamples: 1 });
    expect(issues.map((i) => i.path)).toEqual(['alpha', 'warmup_samples', 'z_resolve', 'z_high']);
  });
});
