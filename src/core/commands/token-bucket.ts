/**
 * A token bucket: `capacity` tokens, refilled continuously at `perMinute` a minute. Pure arithmetic on an
 * injected clock; the command executor's rate limit uses it directly and the Kubernetes client's
 * QPS limiter (src/adapters/kube/token-bucket.ts) queues waiters on top of it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly now: () => number;

  /** @throws RangeError when perMinute is not a positive number. */
  constructor(perMinute: number, now: () => number, capacity = perMinute) {
    if (!(perMinute > 0) || !(capacity >= 1)) throw new RangeError(`perMinute and capacity must be positive, got ${perMinute} and ${capacity}`);
    this.capacity = capacity;
    this.perMs = perMinute / 60_000;
    this.now = now;
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  private refill(): void {
    const t = this.now();
    // A clock that steps back must not mint tokens, so only forward time refills.
    if (t > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.perMs);
      this.last = t;
    }
  }
}
