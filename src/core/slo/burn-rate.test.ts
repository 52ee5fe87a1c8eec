import { describe, expect, it } from 'vitest';
import { DEFAULT_BURN_RATE_ALERTS, alertKey, burnRate, errorBudgetRemaining, evaluateBurnRateAlerts, formatWindow, windowsNeeded, type WindowCounts } from './burn-rate.js';
import { isWorkloadPod, workloadPodPattern } from './workload.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('burnRate', () => {
  it('is the error ratio over the error budget', () => {
    // 99.9%: a budget of 0.1%; 1.44% errors burn it 14.4 times too fast.
    expect(burnRate({ bad: 144, total: 10_000 }, 0.999)).toBeCloseTo(14.4, 9);
    expect(burnRate({ bad: 0, total: 50 }, 0.99)).toBe(0);
    expect(burnRate({ bad: 50, total: 50 }, 0.99)).toBeCloseTo(100, 9);
  });

  it('has no value without data and refuses objectives that leave no budget', () => {
    expect(burnRate({ bad: 0, total: 0 }, 0.99)).toBeUndefined();
    expect(burnRate(undefined, 0.99)).toBeUndefined();
    expect(() => burnRate({ bad: 1, total: 2 }, 1)).toThrow(RangeError);
    expect(() => burnRate({ bad: 1, total: 2 }, 0)).toThrow(RangeError);
  });
});

describe('evaluateBurnRateAlerts (SRE workbook table)', () => {
  const counts = (entries: [number, WindowCounts][]) => new Map(entries);

  it('pages when both the 1h and the 5m windows burn at 14.4x', () => {
    const verdicts = evaluateBurnRateAlerts(
      counts([
        [HOUR, { bad: 20, total: 600 }], // 3.3% errors at 99.9% → 33x
        [5 * MIN, { bad: 5, total: 50 }], // 10% → 100x
      ]),
      0.999,
    );
    expect(verdicts[0]).toMatchObject({ firing: true, alert: { severity: 'critical' } });
    expect(verdicts[0]?.longBurn).toBeCloseTo(33.33, 1);
    // No data for the 6h/30m and 3d/6h windows: nothing to judge, not firing.
    expect(verdicts.slice(1).map((v) => v.firing)).toEqual([false, false]);
  });

  it('does not fire on a burst that is over (long window high, short window clean)', () => {
    const v = evaluateBurnRateAlerts(counts([[HOUR, { bad: 100, total: 600 }], [5 * MIN, { bad: 0, total: 50 }]]), 0.999);
    expect(v[0]).toMatchObject({ firing: false, shortBurn: 0 });
  });

  it('does not fire on a short blip that the long window does not confirm', () => {
    const v = evaluateBurnRateAlerts(counts([[HOUR, { bad: 5, total: 600 }], [5 * MIN, { bad: 5, total: 50 }]]), 0.999);
    expect(v[0]?.longBurn).toBeCloseTo(8.33, 1);
    expect(v[0]?.firing).toBe(false);
  });

  it('names windows as Go and Prometheus both read them', () => {
    expect(DEFAULT_BURN_RATE_ALERTS.map(alertKey)).toEqual(['1h/5m', '6h/30m', '72h/6h']);
    expect(formatWindow(90 * MIN + 1500)).toBe('1h30m1s500ms');
    expect(formatWindow(720 * HOUR)).toBe('720h');
  });

  it('lists the windows it needs', () => {
    expect(windowsNeeded(DEFAULT_BURN_RATE_ALERTS, 720 * HOUR)).toEqual([5 * MIN, 30 * MIN, HOUR, 6 * HOUR, 72 * HOUR, 720 * HOUR]);
  });
});

describe('errorBudgetRemaining', () => {
  it('spends the budget in proportion to the bad events expected over the period', () => {
    // 30 days observed, 0.05% errors at 99.9%: half the budget left.
    expect(errorBudgetRemaining({ bad: 5, total: 10_000 }, 0.999, 720 * HOUR, 720 * HOUR)).toBeCloseTo(0.5, 9);
    // The same events in the first day of the period: the period will see ~30 times the traffic, so
    // those 5 bad events are 1/60 of its budget.
    expect(errorBudgetRemaining({ bad: 5, total: 10_000 }, 0.999, 24 * HOUR, 720 * HOUR)).toBeCloseTo(1 - 1 / 60, 9);
    // An hour of total outage spends 1/7.2 of a 30-day 99% budget (7.2 hours); a day spends it all.
    expect(errorBudgetRemaining({ bad: 100, total: 100 }, 0.99, HOUR, 720 * HOUR)).toBeCloseTo(1 - 1 / 7.2, 9);
    expect(errorBudgetRemaining({ bad: 2400, total: 2400 }, 0.99, 24 * HOUR, 720 * HOUR)).toBe(0);
    expect(errorBudgetRemaining(undefined, 0.99, HOUR, 720 * HOUR)).toBe(1);
  });
});

describe('workload pods', () => {
  it('recognises the pods each controller names', () => {
    expect(isWorkloadPod('Deployment', 'checkout', 'checkout-7d9f8b6c4-x2x9k')).toBe(true);
    expect(isWorkloadPod('Deployment', 'checkout', 'checkout-x2x9k')).toBe(false);
    expect(isWorkloadPod('StatefulSet', 'postgres', 'postgres-0')).toBe(true);
    expect(isWorkloadPod('StatefulSet', 'postgres', 'postgres-exporter-0')).toBe(false);
    expect(isWorkloadPod('DaemonSet', 'fluentd', 'fluentd-4kz2p')).toBe(true);
    expect(isWorkloadPod('CronJob', 'backup', 'backup-29000000-abcde')).toBe(true);
    expect(isWorkloadPod('Pod', 'debug', 'debug')).toBe(true);
  });

  it('does not let a workload claim the pods of a longer-named one', () => {
    expect(isWorkloadPod('Deployment', 'api', 'api-gateway-7d9f8b6c4-x2x9k')).toBe(false);
    expect(isWorkloadPod('Deployment', 'api', 'api-7d9f8b6c4-x2x9k')).toBe(true);
  });

  it('escapes names so that a dot matches only a dot', () => {
    expect(workloadPodPattern('Pod', 'a.b')).toBe('^a\\.b$');
    expect(isWorkloadPod('Pod', 'a.b', 'axb')).toBe(false);
  });
});
