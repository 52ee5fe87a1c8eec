/**
 * The one contract every Bus adapter must pass, run unchanged against MemoryBus and NatsBus
 * (test/bus.test.ts). What it checks is what docs/adr/0002-bus-semantics.md promises.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus, NatsBus, deleteNamespaceStreams as deleteStreamsOf, type Bus, type BusMessage, type DurableMessage } from '../src/adapters/bus/index.js';
import { BusError, InputError, NoRespondersError, PayloadTooLargeError, TimeoutError, UnavailableError } from '../src/contracts/errors.js';
import { TEST_NATS_URL, uniqueName } from './support/services.js';

export interface BusFixture {
  bus: Bus;
  cleanup: () => Promise<void>;
  /** NATS only: the namespace this bus lives in. */
  namespace?: string;
}

export function memoryFixture(): Promise<BusFixture> {
  const bus = new MemoryBus();
  return Promise.resolve({ bus, cleanup: () => bus.close() });
}

/** A NatsBus in a namespace of its own; cleanup closes it and deletes every stream it made. */
export async function natsFixture(): Promise<BusFixture> {
  const namespace = uniqueName('bus');
  const bus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: `test-${namespace}` });
  return {
    bus,
    namespace,
    cleanup: async () => {
      await bus.close();
      await deleteNamespaceStreams(namespace);
    },
  };
}

/** Removes a test namespace's streams from the test server. */
export function deleteNamespaceStreams(namespace: string, url: string = TEST_NATS_URL): Promise<void> {
  return deleteStreamsOf(url, namespace);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition` holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(10);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const indexOf = (msg: BusMessage) => (msg.json() as { i: number }).i;

export function busContract(name: string, makeBus: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${name}`, () => {
    let fx: BusFixture;
    let bus: Bus;
    beforeEach(async () => {
      fx = await makeBus();
      bus = fx.bus;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    const ordersStream = { name: 'ORDERS', subjects: ['test.orders.>'], description: 'contract test' };

    it('delivers 1000 core messages on one subject in publish order', { timeout: 10_000 }, async () => {
      const seen: number[] = [];
      bus.subscribe('test.seq.core', (msg) => {
        seen.push(indexOf(msg));
      });
      for (const i of range(1000)) await bus.publish('test.seq.core', { i });
      await waitFor(() => seen.length >= 1000, '1000 core messages');
      expect(seen).toEqual(range(1000));
    });

    it('delivers 1000 durable messages on one subject in publish order to one consumer', { timeout: 15_000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      const seen: DurableMessage[] = [];
      await bus.consume({ stream: 'ORDERS', durable: 'ordered' }, (msg) => {
        seen.push(msg);
      });
      for (const i of range(1000)) await bus.publish('test.orders.eu', { i });
      await waitFor(() => seen.length >= 1000, '1000 durable messages', 10_000);
      expect(seen.map(indexOf)).toEqual(range(1000));
      expect(seen.map((m) => m.seq)).toEqual(range(1000).map((i) => i + 1));
      expect(seen.every((m) => m.deliveryCount === 1 && !m.redelivered && m.stream === 'ORDERS' && m.subject === 'test.orders.eu')).toBe(true);
    });

    it('gives each message of a queue group to exactly one member', { timeout: 10_000 }, async () => {
      const perMember: number[][] = [[], [], []];
      for (const got of perMember) {
        bus.subscribe(
          'test.work.*',
          (msg) => {
            got.push(indexOf(msg));
          },
          { queue: 'workers' },
        );
      }
      for (const i of range(300)) await bus.publish(`test.work.${i % 5}`, { i });
      await waitFor(() => perMember.flat().length >= 300, '300 queue-group messages');
      await sleep(100);
      expect(perMember.flat().sort((a, b) => a - b)).toEqual(range(300));
      for (const got of perMember) expect(got.length).toBeGreaterThan(0);
    });

    it('matches wildcards: * is one token, > one or more trailing tokens', { timeout: 5000 }, async () => {
      const star: string[] = [];
      const tail: string[] = [];
      bus.subscribe('test.wild.*', (m) => void star.push(m.subject));
      bus.subscribe('test.wild.>', (m) => void tail.push(m.subject));
      for (const s of ['test.wild', 'test.wild.a', 'test.wild.a.b', 'test.other.a']) await bus.publish(s, 'x');
      await waitFor(() => tail.length >= 2, 'wildcard deliveries');
      await sleep(100);
      expect(star).toEqual(['test.wild.a']);
      expect(tail).toEqual(['test.wild.a', 'test.wild.a.b']);
    });

    it('carries headers and refuses invalid subjects with InputError', { timeout: 5000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      const core: BusMessage[] = [];
      const durable: DurableMessage[] = [];
      bus.subscribe('test.hdr', (m) => void core.push(m));
      await bus.consume({ stream: 'ORDERS', durable: 'hdr' }, (m) => void durable.push(m));
      await bus.publish('test.hdr', 'plain', { headers: { 'x-trace': 'abc' } });
      await bus.publish('test.orders.hdr', { i: 1 }, { headers: { 'x-trace': 'def' }, msgId: 'hdr-1' });
      await waitFor(() => core.length === 1 && durable.length === 1, 'header messages');
      expect(core[0]?.headers).toEqual({ 'x-trace': 'abc' });
      expect(core[0]?.string()).toBe('plain');
      expect(durable[0]?.headers).toEqual({ 'x-trace': 'def' });
      await expect(bus.publish('test..bad', 'x')).rejects.toBeInstanceOf(InputError);
      await expect(bus.publish('test.*', 'x')).rejects.toBeInstanceOf(InputError);
      expect(() => bus.subscribe('test.>.bad', () => undefined)).toThrow(InputError);
      // Over the server's max payload (1 MiB by default): refused for good, not truncated, not retryable.
      expect(bus.maxPayloadBytes).toBe(1024 * 1024);
      const tooLarge = bus.publish('test.hdr', new Uint8Array(1024 * 1024 + 1024));
      await expect(tooLarge).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(tooLarge).rejects.toMatchObject({ retryable: false });
    });

    it('stores a publish with a msgId or refuses it: never a silent fire-and-forget', { timeout: 5000 }, async () => {
      // No stream captures test.nostream: a durable publish must fail, so a caller such as the agent's
      // outbox keeps the message and retries instead of counting it as sent.
      await expect(bus.publish('test.nostream.a', { i: 1 }, { msgId: 'lost-1' })).rejects.toBeInstanceOf(NoRespondersError);
      await bus.ensureStreams([{ name: 'NOSTREAM', subjects: ['test.nostream.>'] }]);
      const got: DurableMessage[] = [];
      await bus.consume({ stream: 'NOSTREAM', durable: 'nostream' }, (m) => void got.push(m));
      await bus.publish('test.nostream.a', { i: 1 }, { msgId: 'lost-1' });
      await waitFor(() => got.length === 1, 'the retried publish stored');
    });

    it('redelivers an unsettled manual-ack message after the ack wait, then not after ack', { timeout: 10_000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      const deliveries: DurableMessage[] = [];
      await bus.consume({ stream: 'ORDERS', durable: 'manual', ack: 'manual', ackWaitMs: 500 }, (msg) => {
        deliveries.push(msg);
        if (msg.deliveryCount >= 2) msg.ack(); // the first delivery is left unsettled
      });
      await bus.publish('test.orders.manual', { i: 7 });
      await waitFor(() => deliveries.length >= 2, 'a redelivery', 5000);
      const [first, second] = deliveries;
      expect(first?.deliveryCount).toBe(1);
      expect(first?.redelivered).toBe(false);
      expect(second?.deliveryCount).toBe(2);
      expect(second?.redelivered).toBe(true);
      expect(second?.seq).toBe(first?.seq);
      expect(second && indexOf(second)).toBe(7);
      await sleep(800);
      expect(deliveries).toHaveLength(2);
    });

    it('redelivers with back-off when an auto-ack handler throws', { timeout: 10_000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      const deliveries: DurableMessage[] = [];
      await bus.consume({ stream: 'ORDERS', durable: 'auto' }, (msg) => {
        deliveries.push(msg);
        if (msg.deliveryCount === 1) throw new Error('transient failure');
      });
      await bus.publish('test.orders.auto', { i: 1 });
      await waitFor(() => deliveries.length >= 2, 'a redelivery after a throw', 5000);
      expect(deliveries[1]?.deliveryCount).toBe(2);
      expect(deliveries[1]?.redelivered).toBe(true);
      await sleep(400);
      expect(deliveries).toHaveLength(2); // acked automatically once the handler resolved
    });

    it('splits work between consumers sharing a durable name, each message handled once', { timeout: 10_000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      const a: number[] = [];
      const b: number[] = [];
      const handler = (into: number[]) => async (msg: DurableMessage) => {
        into.push(indexOf(msg));
        await sleep(2);
      };
      await bus.consume({ stream: 'ORDERS', durable: 'shared', maxAckPending: 8 }, handler(a));
      await bus.consume({ stream: 'ORDERS', durable: 'shared', maxAckPending: 8 }, handler(b));
      for (const i of range(200)) await bus.publish('test.orders.split', { i });
      await waitFor(() => a.length + b.length >= 200, '200 shared messages', 8000);
      await sleep(300);
      expect([...a, ...b].sort((x, y) => x - y)).toEqual(range(200));
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
    });

    it('answers requests, and fails them with TimeoutError or NoRespondersError', { timeout: 5000 }, async () => {
      bus.subscribe('test.rpc.echo', (msg) => {
        expect(msg.replyable).toBe(true);
        msg.respond({ echo: msg.json() }, { headers: { 'x-reply': 'yes' } });
      });
      bus.subscribe('test.rpc.silent', () => undefined);
      const reply = await bus.request('test.rpc.echo', { q: 1 }, { timeoutMs: 2000 });
      expect(reply.json()).toEqual({ echo: { q: 1 } });
      expect(reply.headers['x-reply']).toBe('yes');
      const started = Date.now();
      await expect(bus.request('test.rpc.silent', 'x', { timeoutMs: 200 })).rejects.toBeInstanceOf(TimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      await expect(bus.request('test.rpc.nobody', 'x', { timeoutMs: 2000 })).rejects.toBeInstanceOf(NoRespondersError);
      // A plain publish carries no reply address.
      const plain: BusMessage[] = [];
      bus.subscribe('test.rpc.plain', (m) => void plain.push(m));
      await bus.publish('test.rpc.plain', 'x');
      await waitFor(() => plain.length === 1, 'a plain message');
      expect(plain[0]?.replyable).toBe(false);
      expect(plain[0]?.respond('no')).toBe(false);
    });

    it('ensures streams idempotently and refuses subjects overlapping another stream', { timeout: 5000 }, async () => {
      const defs = [ordersStream, { name: 'AUDIT', subjects: ['test.audit.*'], maxMsgs: 1000, maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 }];
      await bus.ensureStreams(defs);
      await bus.ensureStreams(defs);
      await bus.ensureStreams([{ ...ordersStream, maxMsgs: 500 }]); // an update
      await expect(bus.ensureStreams([{ name: 'CLASH', subjects: ['test.orders.eu'] }])).rejects.toBeInstanceOf(BusError);
      await expect(bus.consume({ stream: 'MISSING', durable: 'x' }, () => undefined)).rejects.toBeInstanceOf(BusError);
      const got: number[] = [];
      await bus.consume({ stream: 'AUDIT', durable: 'audit' }, (m) => void got.push(indexOf(m)));
      await bus.publish('test.audit.x', { i: 1 });
      await waitFor(() => got.length === 1, 'a message on the ensured stream');
    });

    it('drops a repeated msgId within the duplicate window', { timeout: 5000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      const got: number[] = [];
      const core: number[] = [];
      await bus.consume({ stream: 'ORDERS', durable: 'dedup' }, (m) => void got.push(indexOf(m)));
      bus.subscribe('test.orders.dedup', (m) => void core.push(indexOf(m)));
      await bus.publish('test.orders.dedup', { i: 1 }, { msgId: 'event-1' });
      await bus.publish('test.orders.dedup', { i: 2 }, { msgId: 'event-1' });
      await bus.publish('test.orders.dedup', { i: 3 }, { msgId: 'event-2' });
      await bus.publish('test.orders.dedup', { i: 4 }, { msgId: 'event-1' });
      await waitFor(() => got.length >= 2 && core.length >= 4, 'two stored and four core messages');
      await sleep(300);
      expect(got).toEqual([1, 3]);
      // De-duplication is the stream's: core subscribers on the same subject see every publish.
      expect(core).toEqual([1, 2, 3, 4]);
    });

    it('keeps durable messages published before any consumer exists', { timeout: 5000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      for (const i of range(5)) await bus.publish('test.orders.early', { i });
      const got: number[] = [];
      await bus.consume({ stream: 'ORDERS', durable: 'late' }, (m) => void got.push(indexOf(m)));
      await waitFor(() => got.length >= 5, 'the early messages');
      expect(got).toEqual(range(5));
      // deliverPolicy 'new' starts after what is already stored.
      const fresh: number[] = [];
      await bus.consume({ stream: 'ORDERS', durable: 'fresh', deliverPolicy: 'new' }, (m) => void fresh.push(indexOf(m)));
      await bus.publish('test.orders.early', { i: 99 });
      await waitFor(() => fresh.length >= 1, 'a new message');
      await sleep(100);
      expect(fresh).toEqual([99]);
    });

    it('close() waits for in-flight handlers, stops delivery and is idempotent', { timeout: 10_000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      let finished = 0;
      let durableStarted = false;
      const core: number[] = [];
      bus.subscribe('test.close', async (m) => {
        core.push(indexOf(m));
        await sleep(200);
        finished++;
      });
      await bus.consume({ stream: 'ORDERS', durable: 'closing' }, async () => {
        durableStarted = true;
        await sleep(200);
        finished++;
      });
      await bus.publish('test.close', { i: 1 });
      await bus.publish('test.orders.close', { i: 1 });
      await waitFor(() => core.length === 1 && durableStarted, 'both handlers in flight');
      await Promise.all([bus.close(), bus.close()]);
      expect(finished).toBe(2);
      await bus.close();
      await expect(bus.publish('test.close', { i: 2 })).rejects.toBeInstanceOf(BusError);
      expect(() => bus.subscribe('test.close', () => undefined)).toThrow(BusError);
      await expect(bus.ping()).rejects.toBeInstanceOf(UnavailableError);
      await sleep(100);
      expect(core).toEqual([1]);
    });

    it('answers ping while open', { timeout: 5000 }, async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });

    it('reads back the newest message a stream holds on a subject, without a consumer', { timeout: 5000 }, async () => {
      await bus.ensureStreams([ordersStream]);
      expect(await bus.lastMessage('ORDERS', 'test.orders.last')).toBeUndefined();
      expect(await bus.lastMessage('NO_SUCH_STREAM', 'test.orders.last')).toBeUndefined();
      const before = Date.now();
      for (const i of [1, 2, 3]) await bus.publish('test.orders.last', { i }, { headers: { 'x-i': String(i) } });
      await bus.publish('test.orders.other', { i: 99 });
      const last = await bus.lastMessage('ORDERS', 'test.orders.last');
      expect(last?.json()).toEqual({ i: 3 });
      expect(last).toMatchObject({ subject: 'test.orders.last', stream: 'ORDERS', headers: { 'x-i': '3' }, replyable: false });
      expect(last?.storedAt).toBeGreaterThanOrEqual(before - 1000);
      await expect(bus.lastMessage('ORDERS', 'test.orders.*')).rejects.toBeInstanceOf(InputError);
    });
  });
}
