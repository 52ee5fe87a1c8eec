/**
 * A client of the OpenAI-compatible chat-completions API (`POST {base_url}/chat/completions`), which
 * hosted services and local servers (vLLM, llama.cpp's llama-server, Ollama) all speak. Non-streaming,
 * temperature 0. Errors are converted once, keeping `cause`:
 *
 * - the server cannot be reached, times out, or answers an HTTP error → LlmUnavailableError
 *   (`retryable` for network errors, timeouts, 429 and 5xx);
 * - the server answers 2xx with a body that is not a chat completion → LlmProtocolError.
 *
 * At most one retry, and only after 429 or 5xx, waiting what `Retry-After` asks when that is within
 * `maxRetryWaitMs`; the whole call, retry included, stays within `timeoutMs`. The API key goes in the
 * Authorization header only and never into an error message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AetheriusError, errorMessage, type AetheriusErrorOptions } from '../../contracts/index.js';
import { estimateTokens, type ChatMessage } from '../../core/llm/index.js';

export const DEFAULT_LLM_TIMEOUT_MS = 20_000;
export const DEFAULT_LLM_MAX_TOKENS = 512;
/** The longest Retry-After honoured; a server asking for more is not retried. */
export const DEFAULT_MAX_RETRY_WAIT_MS = 5_000;
/** Wait before the retry when a 429 or 5xx says nothing about when to come back. */
export const DEFAULT_RETRY_WAIT_MS = 500;

export interface ChatCompletionsClientOptions {
  /** Base URL up to and including the API version, e.g. `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when not empty. */
  apiKey?: string;
  /** Bound of the whole call, retry included. Default DEFAULT_LLM_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Default `max_tokens` of a completion. Default DEFAULT_LLM_MAX_TOKENS. */
  maxTokens?: number;
  maxRetryWaitMs?: number;
  retryWaitMs?: number;
  userAgent?: string;
}

export interface ChatCompletionRequest {
  messages: readonly ChatMessage[];
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface ChatCompletion {
  content: string;
  /** The model the server says answered (may be more specific than the one asked for). */
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  /** True when the server sent no usage and the counts are estimated from the text. */
  usage_estimated: boolean;
  finish_reason?: string;
  /** 1 when the answer came after one retry. */
  retries: number;
}

/** The LLM server could not be reached, timed out, or answered an HTTP error. */
export class LlmUnavailableError extends AetheriusError {
  readonly code = 'AETHERIUS_E_LLM_UNAVAILABLE';
  override readonly retryable: boolean;
  /** HTTP status; 0 when no answer came (network error or timeout). */
  readonly status: number;
  readonly timedOut: boolean;

  constructor(message: string, status: number, options?: AetheriusErrorOptions & { timedOut?: boolean }) {
    super(message, options);
    this.status = status;
    this.timedOut = options?.timedOut ?? false;
    this.retryable = status === 0 || status === 429 || status >= 500;
  }
}

/** The server answered, but not with a chat completion this client understands. Retrying will not help. */
export class LlmProtocolError extends AetheriusError {
  readonly code = 'AETHERIUS_E_LLM_PROTOCOL';
}

const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative().optional(),
});

const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ role: z.string().optional(), content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1, 'must hold at least one choice'),
  usage: usageSchema.nullable().optional(),
});

const errorBodySchema = z.object({ error: z.union([z.string(), z.object({ message: z.string().optional() })]) });

export class ChatCompletionsClient {
  readonly #url: string;
  readonly #o: ChatCompletionsClientOptions;
  readonly #timeoutMs: number;

  /** @throws TypeError when `baseUrl` is not an http(s) URL. */
  constructor(options: ChatCompletionsClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`LLM base URL must be http:// or https://, got ${base.protocol}`);
    this.#o = options;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
  }

  get model(): string {
    return this.#o.model;
  }

  /** The endpoint called, without credentials. */
  get url(): string {
    const u = new URL(this.#url);
    u.username = '';
    u.password = '';
    return u.toString();
  }

  /**
   * One chat completion.
   * @throws LlmUnavailableError; LlmProtocolError.
   */
  async complete(request: ChatCompletionRequest): Promise<ChatCompletion> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const body = JSON.stringify({
      model: this.#o.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      temperature: 0,
      max_tokens: request.maxTokens ?? this.#o.maxTokens ?? DEFAULT_LLM_MAX_TOKENS,
      stream: false,
    });
    let retries = 0;
    for (;;) {
      const res = await this.#post(body, signal, timeout);
      const text = await res.text().catch((err: unknown) => {
        throw this.#converted(err, signal, timeout);
      });
      if (res.ok) return { ...this.#parse(text, request.messages), retries };
      const retryable = res.status === 429 || res.status >= 500;
      const wait = retryable && retries === 0 ? this.#retryWait(res.headers.get('retry-after')) : undefined;
      if (wait === undefined) throw new LlmUnavailableError(`LLM server answered HTTP ${res.status}${retries ? ' again after a retry' : ''}: ${this.#detail(text)}`, res.status);
      retries += 1;
      try {
        await sleep(wait, undefined, { signal });
      } catch (err) {
        throw this.#converted(err, signal, timeout);
      }
    }
  }

  async #post(body: string, signal: AbortSignal, timeout: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': this.#o.userAgent ?? 'aetherius' };
    if (this.#o.apiKey) headers['authorization'] = `Bearer ${this.#o.apiKey}`;
    try {
      return await fetch(this.#url, { method: 'POST', headers, body, signal });
    } catch (err) {
      throw this.#converted(err, signal, timeout);
    }
  }

  #converted(err: unknown, signal: AbortSignal, timeout: AbortSignal): LlmUnavailableError {
    if (timeout.aborted) return new LlmUnavailableError(`LLM server did not answer within ${this.#timeoutMs} ms`, 0, { cause: err, timedOut: true });
    if (signal.aborted) return new LlmUnavailableError('LLM call was cancelled', 0, { cause: err });
    return new LlmUnavailableError(`LLM server at ${this.url} cannot be reached: ${this.#scrub(errorMessage(err))}`, 0, { cause: err });
  }

  /** Milliseconds to wait before the retry, or undefined when the server asks for longer than allowed. */
  #retryWait(header: string | null): number | undefined {
    const cap = this.#o.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    let wait = this.#o.retryWaitMs ?? DEFAULT_RETRY_WAIT_MS;
    if (header !== null && header.trim() !== '') {
      const seconds = Number(header.trim());
      const date = Date.parse(header);
      if (Number.isFinite(seconds) && seconds >= 0) wait = seconds * 1000;
      else if (Number.isFinite(date)) wait = Math.max(0, date - Date.now());
    }
    return wait <= cap ? wait : undefined;
  }

  #parse(text: string, messages: readonly ChatMessage[]): Omit<ChatCompletion, 'retries'> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new LlmProtocolError(`LLM server answered with a body that is not JSON: ${this.#detail(text)}`, { cause: err });
    }
    const parsed = completionSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LlmProtocolError(`LLM server answered with something that is not a chat completion: ${issue ? `${issue.path.join('.') || '(body)'} ${issue.message}` : 'unexpected shape'}`, { cause: parsed.error });
    }
    const choice = parsed.data.choices[0];
    const content = choice?.message.content;
    if (typeof content !== 'string') throw new LlmProtocolError('LLM server answered a chat completion without message content');
    const usage = parsed.data.usage;
    return {
      content,
      model: parsed.data.model ?? this.#o.model,
      // Some local servers leave usage out; estimate so budgets still count the call.
      usage: usage ?? { prompt_tokens: estimateTokens(messages.map((m) => m.content)), completion_tokens: Math.ceil(content.length / 4) },
      usage_estimated: !usage,
      ...(choice?.finish_reason ? { finish_reason: choice.finish_reason } : {}),
    };
  }

  /** The server's own error message when it sent one, else the start of the body; never the key. */
  #detail(text: string): string {
    let detail = text.slice(0, 200);
    try {
      const body = errorBodySchema.safeParse(JSON.parse(text));
      if (body.success) detail = typeof body.data.error === 'string' ? body.data.error : (body.data.error.message ?? detail);
    } catch {
      // not JSON: the start of the body says enough
    }
    return this.#scrub(detail.slice(0, 200)) || '(empty body)';
  }

  #scrub(text: string): string {
    const key = this.#o.apiKey;
    return key ? text.split(key).join('[REDACTED]') : text;
  }
}
