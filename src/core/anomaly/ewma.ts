/**
 * Anomaly detection for one metric series: an exponentially weighted moving mean and variance (EWMA)
 * learns what the series normally looks like; a sample whose z-score — its distance from the mean in
 * standard deviations — reaches a threshold is an anomaly. Three guards keep it quiet where a person
 * would not want a page:
 *
 * - **warm-up**: no verdict before `warmupSamples` samples have been learned;
 * - **hysteresis**: a series enters the alarm state at |z| ≥ `zThreshold` and leaves it only once
 *   |z| < `zResolve`, so a value hovering around the threshold fires once, not on every sample;
 * - **cool-down**: after an anomaly, the series stays silent for `cooldownMs` (a flapping series
 *   produces at most one anomaly per cool-down).
 *
 * The standard deviation has a floor (`minStdRatio` of the mean's magnitude and `minStd` in the
 * metric's unit): a series that has been perfectly flat would otherwise call any change, however
 * small, infinitely anomalous.
 *
 * Every function here is pure and deterministic: the state after a sequence of samples depends only on
 * that sequence, so two replicas replaying the same stored samples agree on every verdict.
 */
import type { Severity } from '../../contracts/index.js';

export interface AnomalyOptions {
  /** Weight of the newest sample in the mean and variance, 0 < alpha ≤ 1 (0.1 ≈ the last 19 samples). */
  alpha: number;
  /** Samples learned before any verdict. */
  warmupSamples: number;
  /** |z| at which a series enters the alarm state (and, outside its cool-down, raises an anomaly). */
  zThreshold: number;
  /** |z| below which an alarmed series returns to normal; at most zThreshold. */
  zResolve: number;
  /** |z| from which an anomaly is `high` rather than `medium`. */
  zHigh: number;
  /** Silence after an anomaly, ms. */
  cooldownMs: number;
  /** Floor of the standard deviation as a share of |mean|. */
  minStdRatio: number;
  /** Floor of the standard deviation in the metric's unit. */
  minStd: number;
}

export const DEFAULT_ANOMALY_OPTIONS: Readonly<AnomalyOptions> = Object.freeze({
  alpha: 0.1,
  warmupSamples: 20,
  zThreshold: 4,
  zResolve: 2,
  zHigh: 6,
  cooldownMs: 30 * 60_000,
  minStdRatio: 0.05,
  minStd: 1,
});

export interface EwmaState {
  /** Samples learned. */
  n: number;
  mean: number;
  variance: number;
}

/** The EWMA after learning `x` (West's incremental form; the first sample sets the mean). */
export function ewmaUpdate(s: EwmaState | undefined, x: number, alpha: number): EwmaState {
  if (!s || s.n === 0) return { n: 1, mean: x, variance: 0 };
  const diff = x - s.mean;
  const incr = alpha * diff;
  return { n: s.n + 1, mean: s.mean + incr, variance: (1 - alpha) * (s.variance + diff * incr) };
}

export interface DetectorState {
  ewma: EwmaState;
  /** Time of the newest sample learned (unix ms); older or equal samples are ignored. */
  lastT: number;
  firstT: number;
  /** EWMA of the gap between samples, ms (0 until two samples). */
  intervalMs: number;
  /** Set while the series is in the alarm state. */
  alarm: 'up' | 'down' | undefined;
  /** Time of the last anomaly raised. */
  lastAnomalyT: number | undefined;
}

export interface Anomaly {
  value: number;
  expected: number;
  /** Signed: positive above the expectation. */
  z: number;
  direction: 'up' | 'down';
  severity: Severity;
  /** The span of history the expectation stands for, ms (about 2/alpha − 1 sample intervals). */
  windowMs: number;
}

export interface DetectResult {
  state: DetectorState;
  /** Set when this sample is an anomaly to report. */
  anomaly?: Anomaly;
  /** False when the sample was older than the state (ignored). */
  learned: boolean;
}

/**
 * Checks `x` (at time `t`) against the series' state, then learns it. Returns the new state; the input
 * state is not modified. A non-finite value or time is ignored. Never throws.
 */
export function detect(state: DetectorState | undefined, x: number, t: number, o: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS): DetectResult {
  if (!Number.isFinite(x) || !Number.isFinite(t)) return { state: state ?? fresh(x, t), learned: false };
  if (!state) return { state: fresh(x, t), learned: true };
  if (t <= state.lastT) return { state, learned: false };

  const { ewma } = state;
  const std = Math.max(Math.sqrt(Math.max(ewma.variance, 0)), o.minStdRatio * Math.abs(ewma.mean), o.minStd, Number.MIN_VALUE);
  const z = (x - ewma.mean) / std;
  const dt = t - state.lastT;
  const next: DetectorState = {
    ewma: ewmaUpdate(ewma, x, o.alpha),
    lastT: t,
    firstT: state.firstT,
    intervalMs: state.intervalMs === 0 ? dt : state.intervalMs + o.alpha * (dt - state.intervalMs),
    alarm: state.alarm,
    lastAnomalyT: state.lastAnomalyT,
  };
  if (ewma.n < o.warmupSamples) return { state: next, learned: true };

  const direction = z >= 0 ? 'up' : 'down';
  const abs = Math.abs(z);
  let anomaly: Anomaly | undefined;
  if (next.alarm !== undefined && (abs < o.zResolve || (abs >= o.zThreshold && direction !== next.alarm))) next.alarm = undefined;
  if (next.alarm === undefined && abs >= o.zThreshold) {
    next.alarm = direction;
    if (state.lastAnomalyT === undefined || t - state.lastAnomalyT >= o.cooldownMs) {
      next.lastAnomalyT = t;
      anomaly = {
        value: x,
        expected: ewma.mean,
        z,
        direction,
        severity: abs >= o.zHigh ? 'high' : 'medium',
        windowMs: Math.min(t - state.firstT, Math.round((2 / o.alpha - 1) * next.intervalMs)),
      };
    }
  }
  return anomaly ? { state: next, anomaly, learned: true } : { state: next, learned: true };
}

function fresh(x: number, t: number): DetectorState {
  return { ewma: { n: Number.isFinite(x) ? 1 : 0, mean: Number.isFinite(x) ? x : 0, variance: 0 }, lastT: Number.isFinite(t) ? t : 0, firstT: t, intervalMs: 0, alarm: undefined, lastAnomalyT: undefined };
}

/**
 * Checks the options.
 * @returns the problems, each with the option name; empty when they are valid.
 */
export function validateAnomalyOptions(o: AnomalyOptions): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (!(o.alpha > 0 && o.alpha <= 1)) issues.push({ path: 'alpha', message: 'must be greater than 0 and at most 1' });
  if (!(Number.isInteger(o.warmupSamples) && o.warmupSamples >= 2)) issues.push({ path: 'warmup_samples', message: 'must be an integer of at least 2' });
  if (!(o.zThreshold > 0)) issues.push({ path: 'z_threshold', message: 'must be greater than 0' });
  if (!(o.zResolve >= 0 && o.zResolve <= o.zThreshold)) issues.push({ path: 'z_resolve', message: 'must be between 0 and z_threshold' });
  if (!(o.zHigh >= o.zThreshold)) issues.push({ path: 'z_high', message: 'must be at least z_threshold' });
  if (!(o.cooldownMs >= 0)) issues.push({ path: 'cooldown', message: 'must not be negative' });
  if (!(o.minStdRatio >= 0)) issues.push({ path: 'min_std_ratio', message: 'must not be negative' });
  if (!(o.minStd >= 0)) issues.push({ path: 'min_std', message: 'must not be negative' });
  return issues;
}
