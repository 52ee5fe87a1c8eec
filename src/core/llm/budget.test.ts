import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET_LIMITS, completionCost, decideBudget, estimateTokens, utcDayStart, utcMonthStart, type BudgetLimits } from './budget.js';

const limits: BudgetLimits = { daily_usd: 10, monthly_usd: 200, per_task_usd: 0.5, warning_ratio: 0.8, throttle_ratio: 0.95 };
const nothing = { day_usd: 0, month_usd: 0, task_usd: 0 };

describe('decideBudget', () => {
  it('allows a call well within every limit', () => {
    const d = decideBudget(limits, { day_usd: 1, month_usd: 20, task_usd: 0.01 }, 0.01);
    expect(d).toMatchObject({ allow: true, level: 'ok' });
  });

  it('warns from 80% of the daily limit but still allows the call', () => {
    const d = decideBudget(limits, { ...nothing, day_usd: 7.9 }, 0.2);
    expect(d).toMatchObject({ allow: true, level: 'warning', window: 'daily' });
    expect(d.ratio).toBeCloseTo(0.81, 5);
    expect(d.reason).toContain('daily budget 81% used');
  });

  it('throttles from 95%: the call is not made', () => {
    const d = decideBudget(limits, { ...nothing, day_usd: 9.45 }, 0.1);
    expect(d).toMatchObject({ allow: false, level: 'throttled', window: 'daily' });
    expect(d.reason).toMatch(/^daily budget 95% used \(\$9\.55 of \$10\.00 with this call\)/);
  });

  it('refuses a call that would pass a limit, and one made after the limit was reached', () => {
    expect(decideBudget(limits, { ...nothing, day_usd: 9.9 }, 0.2)).toMatchObject({ allow: false, level: 'exceeded', window: 'daily' });
    expect(decideBudget(limits, { ...nothing, day_usd: 10 }, 0)).toMatchObject({ allow: false, level: 'exceeded' });
    expect(decideBudget(limits, { ...nothing, day_usd: 10.01 }, 0).allow).toBe(false);
  });

  it('judges the monthly and per-task limits too, and the worst window decides', () => {
    expect(decideBudget(limits, { day_usd: 1, month_usd: 199.8, task_usd: 0 }, 0.3)).toMatchObject({ allow: false, level: 'exceeded', window: 'monthly' });
    expect(decideBudget(limits, { day_usd: 1, month_usd: 1, task_usd: 0.45 }, 0.04)).toMatchObject({ allow: false, level: 'throttled', window: 'per_task' });
    const d = decideBudget(limits, { day_usd: 8.5, month_usd: 1, task_usd: 0.49 }, 0.02);
    expect(d).toMatchObject({ level: 'exceeded', window: 'per_task' });
    expect(d.reason).toContain('per-task budget exceeded');
    // a single call dearer than the per-task limit is refused even for a fresh task
    expect(decideBudget(limits, nothing, 0.6)).toMatchObject({ allow: false, level: 'exceeded', window: 'per_task' });
  });

  it('treats a limit of 0 as no limit', () => {
    const unlimited = { ...limits, daily_usd: 0, monthly_usd: 0, per_task_usd: 0 };
    expect(decideBudget(unlimited, { day_usd: 1e6, month_usd: 1e6, task_usd: 1e6 }, 100)).toMatchObject({ allow: true, level: 'ok' });
  });

  it('uses the ratios it is given', () => {
    const strict = { ...limits, warning_ratio: 0.5, throttle_ratio: 0.6 };
    expect(decideBudget(strict, { ...nothing, day_usd: 5 }, 0.1).level).toBe('warning');
    expect(decideBudget(strict, { ...nothing, day_usd: 6 }, 0.1).level).toBe('throttled');
    expect(decideBudget(DEFAULT_BUDGET_LIMITS, { ...nothing, day_usd: 9.5 }, 0).level).toBe('throttled');
  });
});

describe('pricing', () => {
  const pricing = { 'gpt-4o': { input_per_1k_tokens: 0.0025, output_per_1k_tokens: 0.01 } };

  it('prices prompt and completion tokens separately, per 1,000', () => {
    expect(completionCost(pricing, 'gpt-4o', { prompt_tokens: 2000, completion_tokens: 500 })).toBeCloseTo(0.005 + 0.005, 10);
  });

  it('charges nothing for a model without a price (a local server), even one named like an Object key', () => {
    expect(completionCost(pricing, 'llama3.1:8b', { prompt_tokens: 1e6, completion_tokens: 1e6 })).toBe(0);
    expect(completionCost(pricing, 'toString', { prompt_tokens: 10, completion_tokens: 10 })).toBe(0);
  });

  it('estimates tokens from text length, never below the text length / 4', () => {
    const text = 'x'.repeat(4000);
    expect(estimateTokens([text])).toBeGreaterThanOrEqual(1000);
    expect(estimateTokens([text, text])).toBeGreaterThan(estimateTokens([text]));
  });
});

describe('UTC windows', () => {
  it('starts days and months at midnight UTC, whatever the local time zone', () => {
    const t = Date.parse('2025-03-31T23:59:59.999Z');
    expect(new Date(utcDayStart(t)).toISOString()).toBe('2025-03-31T00:00:00.000Z');
    expect(new Date(utcMonthStart(t)).toISOString()).toBe('2025-03-01T00:00:00.000Z');
    const next = t + 1;
    expect(new Date(utcDayStart(next)).toISOString()).toBe('2025-04-01T00:00:00.000Z');
    expect(new Date(utcMonthStart(next)).toISOString()).toBe('2025-04-01T00:00:00.000Z');
  });
});
