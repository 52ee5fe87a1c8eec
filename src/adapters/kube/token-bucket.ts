/**
 * Client-side rate limit for API requests, as client-go's: a token bucket refilled at `qps` per second
 * holding at most `burst` tokens. Callers that find it empty wait in arrival order (FIFO), so a burst of
 * informer relists cannot starve a diagnostic command queued before them. Waiting is abortable.
 */
import { InputError, type ValidationIssue } from '../../contracts/errors.js';
import { TokenBucket as Bucket } from '../../core/commands/token-bucket.js';

export interface TokenBucketOptions {
  /** Tokens added per second (> 0). */
  qps: number;
  /** Bucket size: requests allowed at once after a quiet period (integer ≥ 1). The bucket starts full. */
  burst: number;
  /** Clock, ms. Default Date.now (fake timers in tests replace it). */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * @throws InputError naming `qps` / `burst` when they are out of range.
 */
export function checkRateLimit(qps: number, burst: number, prefix = 'kube.'): void {
  const issues: ValidationIssue[] = [];
  if (typeof qps !== 'number' || !Number.isFinite(qps) || qps <= 0) issues.push({ path: `${prefix}qps`, message: `must be a positive number, got ${String(qps)}` });
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) issues.push({ path: `${prefix}burst`, message: `must be an integer of at least 1, got ${String(burst)}` });
  if (issues.length) throw new InputError(`invalid rate limit: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  /** The arithmetic (refill, take, time to next token) is core's; this class adds the FIFO of waiters. */
  readonly #bucket: Bucket;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** @throws InputError when qps or burst is out of range. */
  constructor(options: TokenBucketOptions) {
    checkRateLimit(options.qps, options.burst);
    this.qps = options.qps;
    this.burst = options.burst;
    this.#bucket = new Bucket(options.qps * 60, options.now ?? Date.now, options.burst);
  }

  /** Callers waiting for a token. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Takes a token if one is free and nobody is queued; never waits. */
  tryTake(): boolean {
    return this.#queue.length === 0 && this.#bucket.tryTake();
  }

  /**
   * Resolves when the caller may send its request.
   * @throws the signal's reason when `signal` aborts first (the token is not consumed).
   */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(abortReason(signal));
          this.#schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  #drain(): void {
    this.#timer = undefined;
    while (this.#queue.length && this.#bucket.tryTake()) {
      const waiter = this.#queue.shift() as Waiter;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#queue.length) return;
    this.#timer = setTimeout(() => this.#drain(), this.#bucket.waitMs());
  }
}

/** The signal's reason as an Error (an AbortError when it has none). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? `aborted: ${reason}` : 'aborted');
  err.name = 'AbortError';
  return err;
}
