import { describe, expect, it } from 'vitest';
import { SimClock } from './clock.js';

describe('SimClock', () => {
  it('runs timers in due order, then insertion order, advancing simulated time', async () => {
    const clock = new SimClock({ start: 0 });
    const seen: string[] = [];
    clock.setTimer(300, () => seen.push(`c@${clock.now()}`));
    clock.setTimer(100, () => seen.push(`a@${clock.now()}`));
    clock.setTimer(100, () => {
      seen.push(`b@${clock.now()}`);
      clock.setTimer(50, () => seen.push(`d@${clock.now()}`));
    });
    const cancelled = clock.setTimer(200, () => seen.push('never'));
    clock.clearTimer(cancelled);
    await clock.runFor(250);
    expect(seen).toEqual(['a@100', 'b@100', 'd@150']);
    expect(clock.now()).toBe(250);
    await clock.runFor(100);
    expect(seen).toEqual(['a@100', 'b@100', 'd@150', 'c@300']);
  });

  it('plays 10 simulated minutes of a 1s ticker in well under a second of wall time', async () => {
    const clock = new SimClock({ start: 0 });
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.setTimer(1000, tick);
    };
    clock.setTimer(1000, tick);
    await clock.runFor(600_000);
    expect(ticks).toBe(600);
  });

  it('keeps going when a timer throws, reporting the error', async () => {
    const errors: unknown[] = [];
    const clock = new SimClock({ start: 0, onError: (e) => errors.push(e) });
    let after = false;
    clock.setTimer(1, () => {
      throw new Error('boom');
    });
    clock.setTimer(2, () => (after = true));
    await clock.runFor(10);
    expect(errors).toHaveLength(1);
    expect(after).toBe(true);
  });

  it('formats timestamps as Kubernetes does (seconds, Z)', () => {
    expect(new SimClock({ start: Date.UTC(2025, 8, 30, 10, 15, 30, 456) }).isoNow()).toBe('2025-09-30T10:15:30Z');
  });

  it('in real time, skips ticks while an advance runs and still keeps simulated time at wall time × speed', async () => {
    const clock = new SimClock({ start: 0 });
    let fired = 0;
    // A 1 ms ticker: each wall tick runs hundreds of timers and yields mid-way, so ticks arrive while one runs.
    const tick = () => {
      fired++;
      clock.setTimer(1, tick);
    };
    clock.setTimer(1, tick);
    const wallStart = performance.now();
    clock.start(200, 5);
    await new Promise((r) => setTimeout(r, 400));
    const wall = performance.now() - wallStart;
    clock.stop();
    await clock.runFor(0);
    expect(clock.now()).toBeGreaterThan(wall * 200 * 0.8);
    expect(clock.now()).toBeLessThanOrEqual(wall * 200 + 1000);
    expect(fired).toBe(Math.floor(clock.now()));
  });

  it('in real time with cheap timers, simulated time tracks wall time × speed', async () => {
    const clock = new SimClock({ start: 0 });
    const wallStart = performance.now();
    clock.start(100, 10);
    await new Promise((r) => setTimeout(r, 300));
    const wall = performance.now() - wallStart;
    clock.stop();
    expect(clock.now()).toBeGreaterThan((wall - 60) * 100);
    expect(clock.now()).toBeLessThanOrEqual(wall * 100);
  });
});
