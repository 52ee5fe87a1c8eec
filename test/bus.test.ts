import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { NatsBus, natsStreamName } from '../src/adapters/bus/index.js';
import { BusError } from '../src/contracts/errors.js';
import { busContract, memoryFixture, natsFixture, waitFor } from './bus-contract.js';
import { TEST_NATS_URL } from './support/services.js';

busContract('MemoryBus', memoryFixture);
busContract('NatsBus', natsFixture);

describe('NatsBus specifics', () => {
  it('fails to connect with a BusError naming the server', { timeout: 10_000 }, async () => {
    await expect(NatsBus.connect({ servers: 'nats://127.0.0.1:1', connectTimeoutMs: 1000, maxReconnectAttempts: 0 })).rejects.toThrow(
      /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/,
    );
    await expect(NatsBus.connect({ servers: 'nats://127.0.0.1:1', connectTimeoutMs: 1000 })).rejects.toBeInstanceOf(BusError);
  });

  it('puts the namespace on the wire and strips it for handlers', { timeout: 10_000 }, async () => {
    const fx = await natsFixture();
    const other = await natsFixture();
    const raw = await connect({ servers: TEST_NATS_URL });
    try {
      const ns = fx.namespace ?? '';
      const wire: string[] = [];
      raw.subscribe(`${ns}.>`, { callback: (_err, m) => void wire.push(m.subject) });
      await raw.flush();
      const seen: string[] = [];
      const leaked: string[] = [];
      fx.bus.subscribe('test.ns.>', (m) => void seen.push(m.subject));
      other.bus.subscribe('test.ns.>', (m) => void leaked.push(m.subject));
      await fx.bus.publish('test.ns.a', 'x');
      await waitFor(() => seen.length === 1 && wire.length === 1, 'the namespaced message');
      expect(seen).toEqual(['test.ns.a']);
      expect(wire).toEqual([`${ns}.test.ns.a`]);
      await fx.bus.ensureStreams([{ name: 'NS', subjects: ['test.ns.>'] }]);
      const jsm = await jetstreamManager(raw);
      const info = await jsm.streams.info(natsStreamName('NS', ns));
      expect(info.config.name).toBe(`${ns.toUpperCase()}_NS`);
      expect(info.config.subjects).toEqual([`${ns}.test.ns.>`]);
      expect(leaked).toEqual([]);
    } finally {
      await raw.close();
      await other.cleanup();
      await fx.cleanup();
    }
  });

  it('runs up to `concurrency` handlers of a subscription at once, and one at a time by default', { timeout: 10_000 }, async () => {
    const fx = await natsFixture();
    try {
      const peak = { one: 0, many: 0 };
      const now = { one: 0, many: 0 };
      const done = { one: 0, many: 0 };
      const slow = (k: 'one' | 'many') => async () => {
        now[k]++;
        peak[k] = Math.max(peak[k], now[k]);
        await new Promise((r) => setTimeout(r, 50));
        now[k]--;
        done[k]++;
      };
      fx.bus.subscribe('test.conc.one', slow('one'));
      fx.bus.subscribe('test.conc.many', slow('many'), { concurrency: 8 });
      for (let i = 0; i < 16; i++) {
        await fx.bus.publish('test.conc.one', 'x');
        await fx.bus.publish('test.conc.many', 'x');
      }
      await waitFor(() => done.one === 16 && done.many === 16, 'all handled');
      expect(peak.one).toBe(1);
      expect(peak.many).toBe(8);
    } finally {
      await fx.cleanup();
    }
  });

  it('recreates its durable consumer when it is deleted under it', { timeout: 15_000 }, async () => {
    const fx = await natsFixture();
    const raw = await connect({ servers: TEST_NATS_URL });
    try {
      const { bus } = fx;
      await bus.ensureStreams([{ name: 'HEAL', subjects: ['test.heal.>'] }]);
      const got: number[] = [];
      await bus.consume({ stream: 'HEAL', durable: 'healer' }, (m) => void got.push((m.json() as { i: number }).i));
      await bus.publish('test.heal.a', { i: 1 });
      await waitFor(() => got.length === 1, 'the first message');
      const jsm = await jetstreamManager(raw);
      await jsm.consumers.delete(natsStreamName('HEAL', fx.namespace), 'healer');
      await bus.publish('test.heal.a', { i: 2 });
      await waitFor(() => got.includes(2), 'a message after the consumer was recreated', 10_000);
    } finally {
      await raw.close();
      await fx.cleanup();
    }
  });
});
