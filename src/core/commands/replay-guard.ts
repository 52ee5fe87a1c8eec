/**
 * Remembers approval nonces and command ids until their tokens expire, so a token works once. Memory is
 * bounded: when full of unexpired entries it refuses new ones (fails closed) rather than forgetting an
 * entry that could then be replayed.
 */

export const DEFAULT_REPLAY_GUARD_ENTRIES = 10_000;

export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

export class ReplayGuard {
  /** key → expiry (ms); a Map keeps insertion order, which is close to expiry order. */
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;

  /** @throws RangeError when maxEntries is not a positive integer. */
  constructor(maxEntries = DEFAULT_REPLAY_GUARD_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Records every key (e.g. `nonce:…` and `command:…`) as used until `expiresAtMs`, unless one of them is
   * already recorded and unexpired (`replayed`) or memory is full (`full`); then nothing is recorded.
   */
  use(keys: readonly string[], expiresAtMs: number, nowMs: number): ReplayVerdict {
    this.prune(nowMs);
    for (const key of keys) {
      const until = this.seen.get(key);
      if (until !== undefined && until >= nowMs) return 'replayed';
    }
    if (this.seen.size + keys.length > this.maxEntries) return 'full';
    for (const key of keys) this.seen.set(key, expiresAtMs);
    return 'fresh';
  }

  private prune(nowMs: number): void {
    for (const [key, until] of this.seen) if (until < nowMs) this.seen.delete(key);
  }
}
