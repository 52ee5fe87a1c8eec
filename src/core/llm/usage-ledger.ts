/**
 * Where LLM token usage and cost are recorded, per model and task, so budgets can be checked and
 * spending reported. Asynchronous because the production ledger is a database table; the in-memory
 * one serves tests, the embedded single-process mode and a ledger that cannot be reached yet.
 */
import { InputError } from '../../contracts/index.js';

export interface UsageEntry {
  /** When the completion finished, epoch milliseconds. */
  at: number;
  model: string;
  /** What the call was for: an incident or workflow id, or a purpose such as `summarize`. */
  task: string;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

export interface UsageFigures {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

export interface UsageTotals extends UsageFigures {
  by_model: Record<string, UsageFigures>;
}

export interface UsageFilter {
  /** Only this task's entries. */
  task?: string;
}

export interface UsageLedger {
  /**
   * Records one completed call.
   * @throws InputError when the entry has a negative or non-finite figure or an empty model.
   */
  record(entry: Readonly<UsageEntry>): Promise<void>;
  /** Sums of the entries at or after `sinceMs` (epoch milliseconds), overall and per model. */
  totals(sinceMs: number, filter?: Readonly<UsageFilter>): Promise<UsageTotals>;
}

/** The longest window a budget looks back over (a 31-day month), plus a day of slack for clock skew. */
export const DEFAULT_USAGE_RETENTION_MS = 32 * 24 * 3_600_000;

export interface MemoryUsageLedgerOptions {
  /** Entries older than this, measured from the newest entry, are forgotten. */
  retentionMs?: number;
}

/**
 * @throws InputError naming the first bad field.
 */
export function validateUsageEntry(entry: Readonly<UsageEntry>): void {
  const bad = (path: string, message: string) => new InputError(`invalid usage entry: ${path} ${message}`, [{ path, message }]);
  if (!Number.isFinite(entry.at)) throw bad('at', 'must be a time in epoch milliseconds');
  if (typeof entry.model !== 'string' || entry.model === '') throw bad('model', 'must not be empty');
  if (typeof entry.task !== 'string') throw bad('task', 'must be a string');
  for (const key of ['prompt_tokens', 'completion_tokens', 'cost_usd'] as const) {
    if (!Number.isFinite(entry[key]) || entry[key] < 0) throw bad(key, 'must be a non-negative number');
  }
}

export class MemoryUsageLedger implements UsageLedger {
  readonly #entries: UsageEntry[] = [];
  readonly #retentionMs: number;
  #newest = -Infinity;

  constructor(options: MemoryUsageLedgerOptions = {}) {
    this.#retentionMs = options.retentionMs ?? DEFAULT_USAGE_RETENTION_MS;
  }

  /** @throws InputError for an invalid entry. */
  record(entry: Readonly<UsageEntry>): Promise<void> {
    try {
      validateUsageEntry(entry);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.#entries.push({ ...entry });
    this.#newest = Math.max(this.#newest, entry.at);
    this.#prune();
    return Promise.resolve();
  }

  totals(sinceMs: number, filter: Readonly<UsageFilter> = {}): Promise<UsageTotals> {
    const all = zero();
    const byModel = new Map<string, UsageFigures>();
    for (const e of this.#entries) {
      if (e.at < sinceMs || (filter.task !== undefined && e.task !== filter.task)) continue;
      add(all, e);
      let m = byModel.get(e.model);
      if (!m) byModel.set(e.model, (m = zero()));
      add(m, e);
    }
    // fromEntries, not assignment: a model called "__proto__" must stay an ordinary key.
    return Promise.resolve({ ...all, by_model: Object.fromEntries(byModel) });
  }

  #prune(): void {
    const cutoff = this.#newest - this.#retentionMs;
    // Entries mostly arrive in time order, so the old ones sit at the front.
    let drop = 0;
    while (drop < this.#entries.length && (this.#entries[drop]?.at ?? Infinity) < cutoff) drop++;
    if (drop > 0) this.#entries.splice(0, drop);
  }
}

function zero(): UsageFigures {
  return { calls: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 };
}

function add(to: UsageFigures, e: Readonly<UsageEntry>): void {
  to.calls += 1;
  to.prompt_tokens += e.prompt_tokens;
  to.completion_tokens += e.completion_tokens;
  to.cost_usd += e.cost_usd;
}
