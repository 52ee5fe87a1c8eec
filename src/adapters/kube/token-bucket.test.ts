import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../contracts/errors.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a burst through at once, then paces callers at qps in arrival order', async () => {
    const bucket = new TokenBucket({ qps: 10, burst: 3 });
    const granted: [number, number][] = [];
    const start = Date.now();
    const all = Array.from({ length: 6 }, (_, i) => bucket.take().then(() => granted.push([i, Date.now() - start])));
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(bucket.waiting).toBe(3);
    await vi.advanceTimersByTimeAsync(99);
    expect(granted).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted[3]).toEqual([3, 100]);
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(all);
    expect(granted.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(granted.map(([, t]) => t)).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('refills up to burst only, after a quiet period', async () => {
    const bucket = new TokenBucket({ qps: 2, burst: 2 });
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('an aborted waiter leaves the queue without using a token; the next one keeps its turn', async () => {
    const bucket = new TokenBucket({ qps: 1, burst: 1 });
    await bucket.take();
    const controller = new AbortController();
    const aborted = bucket.take(controller.signal);
    let secondAt = -1;
    const start = Date.now();
    const second = bucket.take().then(() => {
      secondAt = Date.now() - start;
    });
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    await vi.advanceTimersByTimeAsync(1000);
    await second;
    expect(secondAt).toBe(1000);
    await expect(bucket.take(controller.signal)).rejects.toThrow('caller gave up');
  });

  it('rejects a bad configuration naming the key', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(InputError);
    const err = (() => {
      try {
        new TokenBucket({ qps: 5, burst: 1.5 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues).toEqual([{ path: 'kube.burst', message: 'must be an integer of at least 1, got 1.5' }]);
  });
});
