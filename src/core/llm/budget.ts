/**
 * The LLM spending policy of the operations guide (§5.1, "AI 服务成本控制"): daily, monthly and per-task
 * limits in US dollars, a warning from 80% and throttling from 95% of any of them. Pure: the caller
 * passes the clock, what was spent and what the next call would cost.
 */

export interface BudgetLimits {
  /** Per UTC day. 0: no daily limit. */
  daily_usd: number;
  /** Per UTC calendar month. 0: no monthly limit. */
  monthly_usd: number;
  /** Per task (one incident or workflow). 0: no per-task limit. */
  per_task_usd: number;
  /** Share of a limit from which calls still go out but are flagged (0.8). */
  warning_ratio: number;
  /** Share of a limit from which calls are no longer made (0.95). */
  throttle_ratio: number;
}

export const DEFAULT_BUDGET_LIMITS: Readonly<BudgetLimits> = Object.freeze({
  daily_usd: 10,
  monthly_usd: 200,
  per_task_usd: 0.5,
  warning_ratio: 0.8,
  throttle_ratio: 0.95,
});

/** What was already spent in each window, in US dollars. */
export interface BudgetSpend {
  day_usd: number;
  month_usd: number;
  /** Spent by the task the next call belongs to; 0 when the call names no task. */
  task_usd: number;
}

export type BudgetLevel = 'ok' | 'warning' | 'throttled' | 'exceeded';
export type BudgetWindow = 'daily' | 'monthly' | 'per_task';

export interface BudgetDecision {
  /** False for `throttled` and `exceeded`: make no call and answer deterministically. */
  allow: boolean;
  level: BudgetLevel;
  /** The sentence to show, e.g. "daily budget at 96% ($9.60 of $10.00 with this call)". */
  reason: string;
  /** The window that decided the level; absent when every window is ok or unlimited. */
  window?: BudgetWindow;
  /** Share of that window's limit used once the call is made. */
  ratio: number;
}

const LEVEL_RANK: Record<BudgetLevel, number> = { ok: 0, warning: 1, throttled: 2, exceeded: 3 };
const WINDOW_NAME: Record<BudgetWindow, string> = { daily: 'daily', monthly: 'monthly', per_task: 'per-task' };

/**
 * Decides whether a call estimated to cost `estimateUsd` may be made. Every window is judged on what
 * it would hold after the call: over its limit (or already used up) → `exceeded`; from `throttle_ratio` → `throttled`; from
 * `warning_ratio` → `warning`. The worst window decides; on equal levels the fuller one.
 */
export function decideBudget(limits: Readonly<BudgetLimits>, spent: Readonly<BudgetSpend>, estimateUsd: number): BudgetDecision {
  const estimate = Math.max(0, estimateUsd);
  const windows: [BudgetWindow, number, number][] = [
    ['daily', limits.daily_usd, spent.day_usd],
    ['monthly', limits.monthly_usd, spent.month_usd],
    ['per_task', limits.per_task_usd, spent.task_usd],
  ];
  let worst: BudgetDecision = { allow: true, level: 'ok', reason: 'within budget', ratio: 0 };
  for (const [window, limit, used] of windows) {
    if (!(limit > 0)) continue;
    const after = used + estimate;
    const ratio = after / limit;
    const level: BudgetLevel = after > limit || used >= limit ? 'exceeded' : ratio >= limits.throttle_ratio ? 'throttled' : ratio >= limits.warning_ratio ? 'warning' : 'ok';
    if (LEVEL_RANK[level] < LEVEL_RANK[worst.level] || (LEVEL_RANK[level] === LEVEL_RANK[worst.level] && ratio <= worst.ratio)) continue;
    worst = { allow: level === 'ok' || level === 'warning', level, window, ratio, reason: describe(window, level, after, limit, ratio, limits) };
  }
  return worst;
}

function describe(window: BudgetWindow, level: BudgetLevel, after: number, limit: number, ratio: number, limits: Readonly<BudgetLimits>): string {
  const name = WINDOW_NAME[window];
  const figures = `${usd(after)} of ${usd(limit)} with this call`;
  switch (level) {
    case 'exceeded':
      return `${name} budget exceeded (${figures})`;
    case 'throttled':
      return `${name} budget ${percent(ratio)} used (${figures}); calls stop at ${percent(limits.throttle_ratio)}`;
    case 'warning':
      return `${name} budget ${percent(ratio)} used (${figures}); warning from ${percent(limits.warning_ratio)}`;
    default:
      return `${name} budget ${percent(ratio)} used`;
  }
}

function usd(n: number): string {
  return `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
}

function percent(ratio: number): string {
  return `${Math.floor(ratio * 100)}%`;
}

// ---- pricing -----------------------------------------------------------------------------------------

export interface ModelPrice {
  input_per_1k_tokens: number;
  output_per_1k_tokens: number;
}

/** Prices by model name, as configured in `llm.pricing`. */
export type ModelPricing = Readonly<Record<string, ModelPrice>>;

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * The cost in US dollars of a completion from its token counts. A model without a price costs 0: a
 * local server (vLLM, llama.cpp, Ollama) has no per-token bill.
 */
export function completionCost(pricing: ModelPricing, model: string, usage: Readonly<TokenUsage>): number {
  const price = Object.hasOwn(pricing, model) ? pricing[model] : undefined;
  if (!price) return 0;
  return (Math.max(0, usage.prompt_tokens) / 1000) * price.input_per_1k_tokens + (Math.max(0, usage.completion_tokens) / 1000) * price.output_per_1k_tokens;
}

/**
 * A cautious token count for text not yet sent: about four characters per token for English and
 * code, rounded up, plus a few tokens of per-message framing. Used only to estimate a call's cost.
 */
export function estimateTokens(texts: readonly string[]): number {
  return texts.reduce((sum, t) => sum + Math.ceil(t.length / 4) + 4, 0);
}

// ---- windows -----------------------------------------------------------------------------------------

/** Start of the UTC day holding `nowMs`. */
export function utcDayStart(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** Start of the UTC calendar month holding `nowMs`. */
export function utcMonthStart(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
