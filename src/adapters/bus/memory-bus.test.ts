import { afterEach, describe, expect, it } from 'vitest';
import { BusError } from '../../contracts/errors.js';
import type { DurableMessage } from './bus.js';
import { MemoryBus } from './memory-bus.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const idx = (m: DurableMessage) => (m.json() as { i: number }).i;

describe('MemoryBus specifics', () => {
  let bus = new MemoryBus();
  afterEach(async () => {
    await bus.close();
    bus = new MemoryBus();
  });

  async function stream(extra: { maxMsgs?: number; maxAgeMs?: number } = {}) {
    await bus.ensureStreams([{ name: 'S', subjects: ['s.>'], ...extra }]);
  }

  it('never delivers inside publish', async () => {
    const got: unknown[] = [];
    bus.subscribe('x', (m) => void got.push(m));
    const published = bus.publish('x', 'hello');
    expect(got).toHaveLength(0);
    await published;
    await waitFor(() => got.length === 1, 'delivery');
  });

  it('keeps delivering after a core handler throws', async () => {
    const got: string[] = [];
    bus.subscribe('x', (m) => {
      got.push(m.string());
      if (got.length === 1) throw new Error('boom');
    });
    await bus.publish('x', 'a');
    await bus.publish('x', 'b');
    await waitFor(() => got.length === 2, 'both messages');
  });

  it('keeps only the newest maxMsgs messages', async () => {
    await stream({ maxMsgs: 3 });
    for (let i = 0; i < 5; i++) await bus.publish('s.a', { i });
    const got: DurableMessage[] = [];
    await bus.consume({ stream: 'S', durable: 'd' }, (m) => void got.push(m));
    await waitFor(() => got.length === 3, 'three messages');
    expect(got.map(idx)).toEqual([2, 3, 4]);
    expect(got.map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  it('drops messages older than maxAgeMs', async () => {
    await stream({ maxAgeMs: 100 });
    await bus.publish('s.a', { i: 1 });
    await sleep(150);
    await bus.publish('s.a', { i: 2 });
    const got: number[] = [];
    await bus.consume({ stream: 'S', durable: 'd' }, (m) => void got.push(idx(m)));
    await waitFor(() => got.length === 1, 'the fresh message');
    await sleep(50);
    expect(got).toEqual([2]);
  });

  it('gives up after maxDeliver deliveries without blocking later messages', async () => {
    await stream();
    const got: [number, number][] = [];
    await bus.consume({ stream: 'S', durable: 'd', ack: 'manual', maxDeliver: 3 }, (m) => {
      got.push([idx(m), m.deliveryCount]);
      if (idx(m) === 1) m.nak();
      else m.ack();
    });
    await bus.publish('s.a', { i: 1 });
    await bus.publish('s.a', { i: 2 });
    await waitFor(() => got.length === 4, 'four deliveries');
    await sleep(50);
    expect(got.filter(([i]) => i === 1).map(([, n]) => n)).toEqual([1, 2, 3]);
    expect(got.filter(([i]) => i === 2)).toEqual([[2, 1]]);
  });

  it('holds back deliveries beyond maxAckPending until something settles', async () => {
    await stream();
    const got: DurableMessage[] = [];
    await bus.consume({ stream: 'S', durable: 'd', ack: 'manual', maxAckPending: 2 }, (m) => void got.push(m));
    for (let i = 0; i < 5; i++) await bus.publish('s.a', { i });
    await waitFor(() => got.length === 2, 'two deliveries');
    await sleep(50);
    expect(got).toHaveLength(2);
    got[0]?.ack();
    await waitFor(() => got.length === 3, 'a third delivery');
    expect(got.map(idx)).toEqual([0, 1, 2]);
  });

  it('never redelivers a termed message, nor one settled twice', async () => {
    await stream();
    const got: DurableMessage[] = [];
    await bus.consume({ stream: 'S', durable: 'd', ack: 'manual', ackWaitMs: 50 }, (m) => {
      got.push(m);
      if (idx(m) === 1) m.term('not for us');
      else {
        m.ack();
        m.nak(); // ignored: already settled
      }
    });
    await bus.publish('s.a', { i: 1 });
    await bus.publish('s.a', { i: 2 });
    await waitFor(() => got.length === 2, 'two deliveries');
    await sleep(200);
    expect(got).toHaveLength(2);
  });

  it('honours a nak delay and extends the ack wait on working()', async () => {
    await stream();
    const times: number[] = [];
    const start = Date.now();
    await bus.consume({ stream: 'S', durable: 'd', ack: 'manual', ackWaitMs: 150 }, async (m) => {
      times.push(Date.now() - start);
      if (m.deliveryCount === 1) return m.nak(300);
      for (let i = 0; i < 4; i++) {
        await sleep(80);
        m.working();
      }
      m.ack();
    });
    await bus.publish('s.a', { i: 1 });
    await waitFor(() => times.length === 2, 'the delayed redelivery');
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(280);
    await sleep(500);
    expect(times).toHaveLength(2); // working() kept the 320 ms handler within its 150 ms ack wait
  });

  it('filters by subject and refuses a filter outside the stream', async () => {
    await stream();
    const got: string[] = [];
    await bus.consume({ stream: 'S', durable: 'd', filterSubject: 's.keep.*' }, (m) => void got.push(m.subject));
    await bus.publish('s.drop.1', 'x');
    await bus.publish('s.keep.1', 'x');
    await waitFor(() => got.length === 1, 'the filtered message');
    await sleep(30);
    expect(got).toEqual(['s.keep.1']);
    await expect(bus.consume({ stream: 'S', durable: 'e', filterSubject: 'other.>' }, () => undefined)).rejects.toBeInstanceOf(BusError);
  });

  it('stops redelivery timers on close', async () => {
    await stream();
    const got: DurableMessage[] = [];
    await bus.consume({ stream: 'S', durable: 'd', ack: 'manual', ackWaitMs: 50 }, (m) => void got.push(m));
    await bus.publish('s.a', { i: 1 });
    await waitFor(() => got.length === 1, 'a delivery');
    await bus.close();
    await sleep(150);
    expect(got).toHaveLength(1);
  });

  it('rejects pending requests when closed', async () => {
    bus.subscribe('rpc', () => undefined);
    const pending = bus.request('rpc', 'x', { timeoutMs: 5000 });
    await sleep(10);
    await bus.close();
    await expect(pending).rejects.toBeInstanceOf(BusError);
  });
});
