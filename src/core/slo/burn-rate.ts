/**
 * Multi-window, multi-burn-rate SLO alerting, as in the Google SRE workbook ("Alerting on SLOs",
 * approach 6). The error budget is `1 − objective`; the burn rate over a window is the window's error
 * ratio divided by the budget (1 spends exactly the budget over the SLO period). An alert fires when
 * both its long window and its short window burn at least its rate: the long window proves the burn is
 * significant, the short one that it is still going on (so the alert resets soon after a recovery).
 *
 * The default table is the workbook's for a 30-day SLO: 2% of the budget in 1 h (14.4×, checked also
 * over 5 min) pages, 5% in 6 h (6×, with 30 min) pages, 10% in 3 days (1×, with 6 h) is a ticket.
 */
import type { Severity } from '../../contracts/index.js';

export interface BurnRateAlert {
  /** ms */
  longWindowMs: number;
  /** ms; shorter than the long window (the workbook uses 1/12 of it). */
  shortWindowMs: number;
  /** Burn rate both windows must reach. */
  burnRate: number;
  severity: Severity;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

export const DEFAULT_BURN_RATE_ALERTS: readonly BurnRateAlert[] = Object.freeze([
  { longWindowMs: HOUR, shortWindowMs: 5 * MINUTE, burnRate: 14.4, severity: 'critical' },
  { longWindowMs: 6 * HOUR, shortWindowMs: 30 * MINUTE, burnRate: 6, severity: 'high' },
  { longWindowMs: 72 * HOUR, shortWindowMs: 6 * HOUR, burnRate: 1, severity: 'medium' },
]);

/** Bad and total events (or samples) seen in one window. */
export interface WindowCounts {
  bad: number;
  total: number;
}

/**
 * The burn rate of a window; undefined when the window holds no events (nothing to judge).
 * @throws RangeError when the objective is not strictly between 0 and 1.
 */
export function burnRate(counts: WindowCounts | undefined, objective: number): number | undefined {
  checkObjective(objective);
  if (!counts || !(counts.total > 0)) return undefined;
  const errorRatio = Math.min(1, Math.max(0, counts.bad / counts.total));
  return errorRatio / (1 - objective);
}

export interface AlertVerdict {
  alert: BurnRateAlert;
  longBurn: number | undefined;
  shortBurn: number | undefined;
  /** Both windows have data and burn at least the alert's rate. */
  firing: boolean;
}

/**
 * Judges every alert of the table from per-window counts (keyed by window length in ms).
 * @throws RangeError when the objective is not strictly between 0 and 1.
 */
export function evaluateBurnRateAlerts(counts: ReadonlyMap<number, WindowCounts>, objective: number, alerts: readonly BurnRateAlert[] = DEFAULT_BURN_RATE_ALERTS): AlertVerdict[] {
  return alerts.map((alert) => {
    const longBurn = burnRate(counts.get(alert.longWindowMs), objective);
    const shortBurn = burnRate(counts.get(alert.shortWindowMs), objective);
    const firing = longBurn !== undefined && shortBurn !== undefined && longBurn >= alert.burnRate && shortBurn >= alert.burnRate;
    return { alert, longBurn, shortBurn, firing };
  });
}

/**
 * Share of the SLO period's error budget still left, in [0, 1]: the bad events seen over the budget the
 * period allows. When fewer than `windowMs` of data have been observed (a new SLO, or retention shorter
 * than the period), the period's traffic is extrapolated from what was seen:
 * spent = bad / ((1 − objective) × total × windowMs / observedMs).
 * @throws RangeError when the objective is not strictly between 0 and 1.
 */
export function errorBudgetRemaining(counts: WindowCounts | undefined, objective: number, observedMs: number, windowMs: number): number {
  checkObjective(objective);
  if (!counts || !(counts.total > 0) || !(windowMs > 0)) return 1;
  const span = Math.min(Math.max(observedMs, 1), windowMs);
  const expectedTotal = counts.total * (windowMs / span);
  const spent = counts.bad / ((1 - objective) * expectedTotal);
  return Math.min(1, Math.max(0, 1 - spent));
}

/** The window lengths (ms) a table of alerts needs counts for, ascending, without duplicates. */
export function windowsNeeded(alerts: readonly BurnRateAlert[], sloWindowMs?: number): number[] {
  const set = new Set<number>();
  for (const a of alerts) set.add(a.longWindowMs).add(a.shortWindowMs);
  if (sloWindowMs !== undefined) set.add(sloWindowMs);
  return [...set].sort((a, b) => a - b);
}

/**
 * A window as the shortest duration text both Go and Prometheus read: `5m`, `1h30m`, `720h`, `90s`,
 * `250ms` (hours are the largest unit: Go durations have no days).
 */
export function formatWindow(ms: number): string {
  if (!(ms > 0) || !Number.isFinite(ms)) return '0s';
  let left = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}

/** A stable key for an alert of the table: `1h/5m`. */
export function alertKey(a: BurnRateAlert): string {
  return `${formatWindow(a.longWindowMs)}/${formatWindow(a.shortWindowMs)}`;
}

function checkObjective(objective: number): void {
  if (!(objective > 0 && objective < 1)) throw new RangeError(`objective ${objective} must be strictly between 0 and 1`);
}
