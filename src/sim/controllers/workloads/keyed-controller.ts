/**
 * The controller-runtime loop in miniature: store changes map to keys, each key is reconciled at most
 * once per simulated instant (bursts coalesce into one 0 ms timer), a reconcile re-reads current state
 * and may ask to run again later (`requeueAfter`). Nothing acts inside the store's subscribe callback,
 * so a controller never re-enters itself while another write is half done.
 */
import type { Timer } from '../../clock.js';
import type { Change } from '../../store/object-store.js';
import type { Controller, SimContext } from '../../sim-context.js';

/** What a reconcile returns: milliseconds until it wants to run again, or nothing. */
export type ReconcileResult = number | undefined | void;

const MAX_BACKOFF_MS = 5 * 60_000;
/** Reconciles of one key at one simulated instant before the loop is assumed not to converge. */
const MAX_SAME_INSTANT = 100;

export abstract class KeyedController implements Controller {
  abstract readonly name: string;
  protected readonly ctx: SimContext;
  readonly #timers = new Map<string, Timer>();
  readonly #failures = new Map<string, number>();
  readonly #sameInstant = new Map<string, { at: number; n: number }>();
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: SimContext) {
    this.ctx = ctx;
  }

  /** Keys to reconcile because of `change`. */
  protected abstract keysFor(change: Change): Iterable<string>;
  /** Keys to reconcile when the controller starts (every existing primary object). */
  protected abstract initialKeys(): Iterable<string>;
  /** Brings the world for `key` one step closer to its spec. Throwing retries with back-off. */
  protected abstract reconcile(key: string): ReconcileResult;

  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.ctx.store.subscribe((change) => {
      for (const key of this.keysFor(change)) this.enqueue(key);
    });
    for (const key of this.initialKeys()) this.enqueue(key);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const t of this.#timers.values()) this.ctx.clock.clearTimer(t);
    this.#timers.clear();
  }

  /** Schedules a reconcile of `key` after `delayMs`, unless one is already due sooner. */
  enqueue(key: string, delayMs = 0): void {
    if (!this.#unsubscribe) return;
    const due = this.ctx.clock.now() + Math.max(0, delayMs);
    const existing = this.#timers.get(key);
    if (existing && !existing.cancelled && existing.due <= due) return;
    this.ctx.clock.clearTimer(existing);
    this.#timers.set(key, this.ctx.clock.setTimer(delayMs, () => this.#run(key)));
  }

  #run(key: string): void {
    this.#timers.delete(key);
    if (!this.#unsubscribe) return;
    const now = this.ctx.clock.now();
    const seen = this.#sameInstant.get(key);
    const n = seen && seen.at === now ? seen.n + 1 : 1;
    this.#sameInstant.set(key, { at: now, n });
    if (n > MAX_SAME_INSTANT) {
      this.ctx.logger.warn({ controller: this.name, key }, 'reconcile does not converge; slowing down');
      this.enqueue(key, 1000);
      return;
    }
    let after: ReconcileResult;
    try {
      after = this.reconcile(key);
      this.#failures.delete(key);
    } catch (err) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      this.ctx.logger.debug({ controller: this.name, key, err }, 'reconcile failed; retrying');
      after = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 20));
    }
    if (typeof after === 'number' && Number.isFinite(after)) this.enqueue(key, Math.max(after, 1));
    // Forget keys with nothing pending (the GC's keys are uids of deleted objects: unbounded otherwise).
    if (!this.#timers.has(key)) this.#sameInstant.delete(key);
  }
}

/** `namespace/name` */
export function nsKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** @throws RangeError for a key without a slash (a bug). */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  if (i < 0) throw new RangeError(`bad key ${key}`);
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
