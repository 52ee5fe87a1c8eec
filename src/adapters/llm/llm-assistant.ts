/**
 * The optional LLM in the loop, as issue 6 scopes it: it phrases a summary of an analysis, and it
 * reorders root-cause candidates when no rule scored above `rankBelowConfidence`. It never decides
 * anything alone: every answer has a deterministic twin, used when the LLM is off, over budget,
 * unreachable or unhelpful, with a note saying which.
 *
 * Before each call: every string sent is redacted (src/core/llm/redact.ts) and the budget is checked
 * against the usage ledger with the call's estimated cost. After it: tokens and cost are recorded.
 */
import { errorMessage, type RootCauseCandidate } from '../../contracts/index.js';
import {
  DEFAULT_BUDGET_LIMITS,
  addRedactionCounts,
  completionCost,
  decideBudget,
  deterministicSummary,
  emptyCounts,
  estimateTokens,
  parseRanking,
  rankByConfidence,
  rankMessages,
  redact,
  summaryMessages,
  utcDayStart,
  utcMonthStart,
  type AssistantAnalysis,
  type BudgetDecision,
  type BudgetLimits,
  type ChatMessage,
  type ModelPricing,
  type RankContext,
  type RedactionKind,
  type UsageEntry,
  type UsageLedger,
} from '../../core/llm/index.js';
import { DEFAULT_LLM_MAX_TOKENS, LlmProtocolError, type ChatCompletion, type ChatCompletionRequest } from './chat-completions-client.js';

/** What the assistant needs of a client; ChatCompletionsClient is one. */
export interface ChatCompleter {
  readonly model: string;
  complete(request: ChatCompletionRequest): Promise<ChatCompletion>;
}

/** Things worth a log line or a metric; the assistant itself logs nothing. */
export type LlmAssistantEvent =
  | { type: 'usage'; entry: UsageEntry; redactions: Record<RedactionKind, number> }
  | { type: 'budget_warning'; decision: BudgetDecision }
  | { type: 'skipped'; purpose: LlmPurpose; reason: string }
  | { type: 'failed'; purpose: LlmPurpose; error: unknown };

export type LlmPurpose = 'summarize' | 'rank';

export const DEFAULT_RANK_BELOW_CONFIDENCE = 0.5;
/** Longest summary kept from the model; a runaway answer is cut. */
const MAX_SUMMARY_CHARS = 2000;

export interface LlmAssistantOptions {
  /** Undefined: the LLM is off and every answer is deterministic (with no note). */
  client?: ChatCompleter;
  ledger: UsageLedger;
  pricing?: ModelPricing;
  budget?: BudgetLimits;
  /** `max_tokens` asked for, and assumed by the budget check. Default 512. */
  maxTokens?: number;
  /** Rank with the LLM only when the best rule score is below this. Default 0.5. */
  rankBelowConfidence?: number;
  /** Epoch milliseconds; budget days and months are UTC. Default Date.now. */
  now?: () => number;
  onEvent?: (event: LlmAssistantEvent) => void;
}

export interface AssistantCallOptions {
  /** The incident or workflow this call serves: the per-task budget and the ledger entry use it. */
  task?: string;
  signal?: AbortSignal;
}

export interface SummaryResult {
  text: string;
  used_llm: boolean;
  /** Why the LLM was not used, or a budget warning when it was. */
  note?: string;
  budget?: BudgetDecision;
}

export interface RankResult<T extends RootCauseCandidate = RootCauseCandidate> {
  /** Every candidate once, most likely first. Confidences are the rules' scores, unchanged. */
  ranking: T[];
  used_llm: boolean;
  note?: string;
  budget?: BudgetDecision;
}

type Asked = { ok: true; completion: ChatCompletion; budget: BudgetDecision; note?: string } | { ok: false; note?: string; budget?: BudgetDecision };

export class LlmAssistant {
  readonly #o: LlmAssistantOptions;
  readonly #now: () => number;

  constructor(options: LlmAssistantOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#o.client !== undefined;
  }

  /**
   * A one-paragraph summary of the analysis: the LLM's wording when it may and does answer, else the
   * deterministic sentence. Never throws for LLM or budget trouble; `note` says what happened.
   */
  async summarize(analysis: Readonly<AssistantAnalysis>, options: AssistantCallOptions = {}): Promise<SummaryResult> {
    const fallback = deterministicSummary(analysis);
    const asked = await this.#ask('summarize', summaryMessages(analysis), options);
    if (!asked.ok) return withExtras({ text: fallback, used_llm: false }, asked.note, asked.budget);
    const text = asked.completion.content.replace(/\s+/g, ' ').trim().slice(0, MAX_SUMMARY_CHARS);
    if (text === '') return withExtras({ text: fallback, used_llm: false }, note('LLM answer was empty; deterministic summary used', asked.note), asked.budget);
    return withExtras({ text, used_llm: true }, asked.note, asked.budget);
  }

  /**
   * The candidates, most likely first: by rule score, or in the LLM's order when no rule reached
   * `rankBelowConfidence` and the LLM may and does answer with a usable ranking.
   */
  async rank<T extends RootCauseCandidate>(candidates: readonly T[], context: Readonly<RankContext> = {}, options: AssistantCallOptions = {}): Promise<RankResult<T>> {
    const deterministic = rankByConfidence(candidates);
    const best = deterministic[0]?.confidence ?? 0;
    if (candidates.length < 2 || best >= (this.#o.rankBelowConfidence ?? DEFAULT_RANK_BELOW_CONFIDENCE)) return { ranking: deterministic, used_llm: false };
    const asked = await this.#ask('rank', rankMessages(deterministic, context), options);
    if (!asked.ok) return withExtras({ ranking: deterministic, used_llm: false }, asked.note, asked.budget);
    const ranking = parseRanking(asked.completion.content, deterministic);
    if (!ranking) {
      this.#emit({ type: 'failed', purpose: 'rank', error: new LlmProtocolError('LLM answer was not a ranking of the given candidates') });
      return withExtras({ ranking: deterministic, used_llm: false }, note('LLM answer was not a ranking of the candidates; rule order used', asked.note), asked.budget);
    }
    return withExtras({ ranking, used_llm: true }, asked.note, asked.budget);
  }

  async #ask(purpose: LlmPurpose, messages: readonly ChatMessage[], options: AssistantCallOptions): Promise<Asked> {
    const client = this.#o.client;
    if (!client) return { ok: false };

    let redactions = emptyCounts();
    const safe = messages.map((m) => {
      const r = redact(m.content);
      redactions = addRedactionCounts(redactions, r.counts);
      return { role: m.role, content: r.text };
    });

    const maxTokens = this.#o.maxTokens ?? DEFAULT_LLM_MAX_TOKENS;
    const pricing = this.#o.pricing ?? {};
    const estimate = completionCost(pricing, client.model, { prompt_tokens: estimateTokens(safe.map((m) => m.content)), completion_tokens: maxTokens });
    const now = this.#now();
    let budget: BudgetDecision;
    try {
      const [day, month, task] = await Promise.all([
        this.#o.ledger.totals(utcDayStart(now)),
        this.#o.ledger.totals(utcMonthStart(now)),
        options.task === undefined ? undefined : this.#o.ledger.totals(0, { task: options.task }),
      ]);
      budget = decideBudget(this.#o.budget ?? DEFAULT_BUDGET_LIMITS, { day_usd: day.cost_usd, month_usd: month.cost_usd, task_usd: task?.cost_usd ?? 0 }, estimate);
    } catch (err) {
      // Spending blind could break the budget: no ledger, no call.
      const reason = `LLM skipped: usage ledger unavailable (${errorMessage(err)})`;
      this.#emit({ type: 'skipped', purpose, reason });
      return { ok: false, note: reason };
    }
    if (!budget.allow) {
      const reason = `LLM skipped: ${budget.reason}`;
      this.#emit({ type: 'skipped', purpose, reason });
      return { ok: false, note: reason, budget };
    }
    if (budget.level === 'warning') this.#emit({ type: 'budget_warning', decision: budget });

    let completion: ChatCompletion;
    try {
      completion = await client.complete({ messages: safe, maxTokens, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (err) {
      this.#emit({ type: 'failed', purpose, error: err });
      const what = err instanceof LlmProtocolError ? 'LLM answer unusable' : 'LLM unavailable';
      return { ok: false, note: `${what}: ${errorMessage(err)}; deterministic answer used`, budget };
    }

    const entry: UsageEntry = {
      at: this.#now(),
      model: client.model,
      task: options.task ?? purpose,
      prompt_tokens: completion.usage.prompt_tokens,
      completion_tokens: completion.usage.completion_tokens,
      cost_usd: completionCost(pricing, client.model, completion.usage),
    };
    let recordNote: string | undefined;
    try {
      await this.#o.ledger.record(entry);
      this.#emit({ type: 'usage', entry, redactions });
    } catch (err) {
      recordNote = `LLM usage could not be recorded: ${errorMessage(err)}`;
      this.#emit({ type: 'failed', purpose, error: err });
    }
    const warning = budget.level === 'warning' ? `LLM budget warning: ${budget.reason}` : undefined;
    const combined = note(warning, recordNote);
    return { ok: true, completion, budget, ...(combined ? { note: combined } : {}) };
  }

  #emit(event: LlmAssistantEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // An observer's bug must not change the answer.
    }
  }
}

function note(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  return present.length ? present.join('; ') : undefined;
}

function withExtras<R extends object>(result: R, text: string | undefined, budget: BudgetDecision | undefined): R & { note?: string; budget?: BudgetDecision } {
  return { ...result, ...(text ? { note: text } : {}), ...(budget ? { budget } : {}) };
}
