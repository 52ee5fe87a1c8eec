/**
 * The scenario clock. Controllers never read the wall clock: they ask `now()` and schedule with
 * `setTimer`, so a 15-minute incident can play in seconds (speed N = N simulated seconds per wall
 * second) or as fast as the CPU allows (`runFor`, used by tests and benchmarks), always in the same
 * order for the same inputs.
 */

export interface Timer {
  readonly due: number;
  cancelled: boolean;
}

export interface Clock {
  /** Simulated time, epoch milliseconds. */
  now(): number;
  /** Simulated time as an RFC 3339 string with seconds precision, as Kubernetes writes timestamps. */
  isoNow(): string;
  /** Runs `fn` after `delayMs` of simulated time. */
  setTimer(delayMs: number, fn: () => void): Timer;
  clearTimer(timer: Timer | undefined): void;
}

interface Entry extends Timer {
  seq: number;
  fn: () => void;
}

export interface SimClockOptions {
  /** Simulated start, epoch ms. Default: the wall clock at construction, rounded to the second. */
  start?: number;
  /** Called when a timer callback throws; the clock goes on. */
  onError?: (err: unknown) => void;
}

export class SimClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #heap: Entry[] = [];
  readonly #onError: (err: unknown) => void;
  #realtime: NodeJS.Timeout | undefined;
  #advancing: Promise<void> = Promise.resolve();

  constructor(options: SimClockOptions = {}) {
    this.#now = options.start ?? Math.floor(Date.now() / 1000) * 1000;
    this.#onError = options.onError ?? ((err) => queueMicrotask(() => { throw err; }));
  }

  now(): number {
    return this.#now;
  }

  isoNow(): string {
    return new Date(Math.floor(this.#now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const entry: Entry = { due: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn, cancelled: false };
    this.#push(entry);
    return entry;
  }

  clearTimer(timer: Timer | undefined): void {
    if (timer) timer.cancelled = true;
  }

  /** Pending (not cancelled) timers. */
  get pending(): number {
    return this.#heap.filter((e) => !e.cancelled).length;
  }

  /**
   * Runs every timer due up to `now + durationMs` in order, as fast as possible, yielding to the event
   * loop now and then so HTTP clients and watches keep flowing. Calls are serialised.
   */
  runFor(durationMs: number, options: { yieldEvery?: number } = {}): Promise<void> {
    const target = this.#now + durationMs;
    this.#advancing = this.#advancing.then(() => this.#advanceTo(target, options.yieldEvery ?? 200));
    return this.#advancing;
  }

  /**
   * Plays in real time at `speed` simulated seconds per wall second until `stop()`. The target is
   * computed from wall time since the start, so simulated time never drifts behind; a tick that finds
   * the previous advance still running is skipped instead of queueing a backlog.
   */
  start(speed: number, tickMs = 50): void {
    this.stop();
    const wallStart = performance.now();
    const simStart = this.#now;
    let busy = false;
    this.#realtime = setInterval(() => {
      if (busy) return;
      const target = simStart + (performance.now() - wallStart) * speed;
      if (target <= this.#now) return;
      busy = true;
      this.#advancing = this.#advancing.then(() => this.#advanceTo(target, 200));
      void this.#advancing.finally(() => {
        busy = false;
      });
    }, tickMs);
    this.#realtime.unref?.();
  }

  stop(): void {
    if (this.#realtime) clearInterval(this.#realtime);
    this.#realtime = undefined;
  }

  async #advanceTo(target: number, yieldEvery: number): Promise<void> {
    let ran = 0;
    for (;;) {
      const next = this.#heap[0];
      if (!next || next.due > target) break;
      this.#pop();
      if (next.cancelled) continue;
      if (next.due > this.#now) this.#now = next.due;
      try {
        next.fn();
      } catch (err) {
        this.#onError(err);
      }
      if (++ran % yieldEvery === 0) await new Promise((r) => setImmediate(r));
    }
    if (target > this.#now) this.#now = target;
  }

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i] as Entry, h[p] as Entry)) break;
      [h[i], h[p]] = [h[p] as Entry, h[i] as Entry];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l] as Entry, h[m] as Entry)) m = l;
      if (r < h.length && less(h[r] as Entry, h[m] as Entry)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Entry, h[i] as Entry];
      i = m;
    }
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
