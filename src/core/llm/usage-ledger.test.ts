import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/index.js';
import { MemoryUsageLedger, type UsageEntry } from './usage-ledger.js';

const DAY = 24 * 3_600_000;
const t0 = Date.parse('2025-06-10T12:00:00Z');

function entry(over: Partial<UsageEntry> = {}): UsageEntry {
  return { at: t0, model: 'gpt-4o', task: 'inc-1', prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.01, ...over };
}

describe('MemoryUsageLedger', () => {
  it('sums calls, tokens and cost since a time, overall and per model', async () => {
    const ledger = new MemoryUsageLedger();
    await ledger.record(entry({ at: t0 - 2 * DAY, cost_usd: 5 }));
    await ledger.record(entry());
    await ledger.record(entry({ model: 'llama3.1:8b', prompt_tokens: 300, completion_tokens: 40, cost_usd: 0 }));
    await ledger.record(entry({ task: 'inc-2', cost_usd: 0.02 }));

    const today = await ledger.totals(t0 - 1000);
    expect(today).toMatchObject({ calls: 3, prompt_tokens: 500, completion_tokens: 80 });
    expect(today.cost_usd).toBeCloseTo(0.03, 10);
    expect(today.by_model['gpt-4o']).toMatchObject({ calls: 2, prompt_tokens: 200 });
    expect(today.by_model['llama3.1:8b']).toEqual({ calls: 1, prompt_tokens: 300, completion_tokens: 40, cost_usd: 0 });

    expect((await ledger.totals(0)).cost_usd).toBeCloseTo(5.03, 10);
    expect((await ledger.totals(0, { task: 'inc-2' })).cost_usd).toBeCloseTo(0.02, 10);
    expect((await ledger.totals(t0 + 1)).calls).toBe(0);
  });

  it('refuses an entry with a negative or missing figure, naming the field', async () => {
    const ledger = new MemoryUsageLedger();
    await expect(ledger.record(entry({ cost_usd: -1 }))).rejects.toThrow(InputError);
    await expect(ledger.record(entry({ prompt_tokens: Number.NaN }))).rejects.toThrow(/prompt_tokens/);
    await expect(ledger.record(entry({ model: '' }))).rejects.toThrow(/model/);
    expect((await ledger.totals(0)).calls).toBe(0);
  });

  it('forgets entries older than its retention, so memory stays bounded', async () => {
    const ledger = new MemoryUsageLedger({ retentionMs: 10 * DAY });
    await ledger.record(entry({ at: t0 - 20 * DAY }));
    await ledger.record(entry({ at: t0 - 5 * DAY }));
    await ledger.record(entry({ at: t0 }));
    expect((await ledger.totals(0)).calls).toBe(2);
  });

  it('keeps a model called __proto__ as an ordinary key', async () => {
    const ledger = new MemoryUsageLedger();
    await ledger.record(entry({ model: '__proto__' }));
    const totals = await ledger.totals(0);
    expect(Object.keys(totals.by_model)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['calls']).toBeUndefined();
  });
});
