/**
 * The validating boundary against both adapters: bad messages are counted, dead-lettered with their
 * reason and acked; the valid message after them is still handled.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ORIGINAL_SUBJECT_HEADER,
  REJECT_DETAIL_HEADER,
  REJECT_REASON_HEADER,
  consumeValidated,
  subscribeValidated,
  type Bus,
  type BusMessage,
  type SchemaLookup,
} from '../src/adapters/bus/index.js';
import { silentLogger } from '../src/adapters/telemetry/logger.js';
import { Metrics } from '../src/adapters/telemetry/metrics.js';
import { deadLetterSubject } from '../src/contracts/subjects.js';
import { memoryFixture, natsFixture, sleep, waitFor, type BusFixture } from './bus-contract.js';

const order = z.object({ schema_version: z.literal(1), order_id: z.string(), amount: z.number().int() });
type Order = z.infer<typeof order>;
const lookup: SchemaLookup = (subject) => (/^aetherius\.agent\.[^.]+\.event$/.test(subject) || subject === 'test.orders.rpc' ? order : undefined);

const INPUT = 'aetherius.agent.c-1.event';
const valid = (id: string): Order => ({ schema_version: 1, order_id: id, amount: 3 });

async function rejected(metrics: Metrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.rejectedMessages.get()).values) out[`${v.labels.subject}|${v.labels.reason}`] = v.value;
  return out;
}

function boundaryTests(name: string, makeBus: () => Promise<BusFixture>): void {
  describe(`bus boundary: ${name}`, () => {
    let fx: BusFixture;
    let bus: Bus;
    let metrics: Metrics;
    let deadLetters: BusMessage[];
    beforeEach(async () => {
      fx = await makeBus();
      bus = fx.bus;
      metrics = new Metrics({ collectDefault: false });
      deadLetters = [];
      bus.subscribe('aetherius.deadletter.>', (m) => void deadLetters.push(m));
      await bus.ensureStreams([{ name: 'EVENTS', subjects: ['aetherius.agent.*.event'] }]);
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('rejects malformed JSON, schema violations and a wrong schema_version, then handles the valid message', { timeout: 10_000 }, async () => {
      const handled: Order[] = [];
      await consumeValidated<Order>(bus, { stream: 'EVENTS', durable: 'boundary' }, lookup, (value) => void handled.push(value), {
        logger: silentLogger(),
        metrics,
      });
      await bus.publish(INPUT, '{"schema_version": 1, "order_id": ');
      await bus.publish(INPUT, { schema_version: 1, order_id: 42, amount: 'three' });
      await bus.publish(INPUT, { schema_version: 2, order_id: 'o-2', amount: 1 });
      await bus.publish(INPUT, valid('o-ok'));
      await waitFor(() => handled.length === 1 && deadLetters.length === 3, 'the valid message and three dead letters');

      expect(handled).toEqual([valid('o-ok')]);
      expect(deadLetters.map((m) => m.headers[REJECT_REASON_HEADER])).toEqual(['invalid_json', 'schema_invalid', 'unsupported_schema_version']);
      for (const m of deadLetters) {
        expect(m.subject).toBe(deadLetterSubject(INPUT));
        expect(m.headers[ORIGINAL_SUBJECT_HEADER]).toBe(INPUT);
      }
      expect(deadLetters[0]?.string()).toBe('{"schema_version": 1, "order_id": ');
      expect(deadLetters[1]?.headers[REJECT_DETAIL_HEADER]).toMatch(/order_id: .*amount: /);
      expect(deadLetters[2]?.headers[REJECT_DETAIL_HEADER]).toMatch(/^schema_version: /);
      expect(await rejected(metrics)).toEqual({
        'aetherius.agent.*.event|invalid_json': 1,
        'aetherius.agent.*.event|schema_invalid': 1,
        'aetherius.agent.*.event|unsupported_schema_version': 1,
      });
      expect(await metrics.registry.getSingleMetricAsString('aetherius_rejected_messages_total')).toContain(
        'aetherius_rejected_messages_total{subject="aetherius.agent.*.event",reason="invalid_json"} 1',
      );

      // Rejected messages were acked: nothing comes back, and the consumer is still alive.
      await sleep(400);
      expect(deadLetters).toHaveLength(3);
      await bus.publish(INPUT, valid('o-later'));
      await waitFor(() => handled.length === 2, 'a later valid message');
    });

    it('redelivers a valid message whose handler throws, without dead-lettering it', { timeout: 10_000 }, async () => {
      const attempts: number[] = [];
      await consumeValidated<Order>(
        bus,
        { stream: 'EVENTS', durable: 'flaky' },
        lookup,
        (_value, msg) => {
          attempts.push(msg.deliveryCount);
          if (msg.deliveryCount === 1) throw new Error('database briefly down');
        },
        { logger: silentLogger(), metrics },
      );
      await bus.publish(INPUT, valid('o-1'));
      await waitFor(() => attempts.length === 2, 'a redelivery');
      await sleep(300);
      expect(attempts).toEqual([1, 2]);
      expect(deadLetters).toHaveLength(0);
      expect(await rejected(metrics)).toEqual({});
    });

    it('guards core subscriptions too: unknown subjects and oversized payloads are rejected', { timeout: 10_000 }, async () => {
      const handled: Order[] = [];
      subscribeValidated<Order>(bus, 'test.orders.>', lookup, (value, msg) => {
        handled.push(value);
        msg.respond({ ok: true });
      }, {}, { logger: silentLogger(), metrics, maxPayloadBytes: 200 });
      await bus.publish('test.orders.unknown', valid('o-x'));
      await bus.publish('test.orders.rpc', { ...valid('o-big'), order_id: 'x'.repeat(300) });
      const reply = await bus.request('test.orders.rpc', valid('o-rpc'), { timeoutMs: 2000 });
      expect(reply.json()).toEqual({ ok: true });
      await waitFor(() => deadLetters.length === 2, 'two dead letters');
      expect(handled).toEqual([valid('o-rpc')]);
      expect(deadLetters.map((m) => [m.subject, m.headers[REJECT_REASON_HEADER]])).toEqual([
        [deadLetterSubject('test.orders.unknown'), 'unknown_subject'],
        [deadLetterSubject('test.orders.rpc'), 'payload_too_large'],
      ]);
      expect(await rejected(metrics)).toEqual({ 'test.orders.unknown|unknown_subject': 1, 'test.orders.rpc|payload_too_large': 1 });
    });
  });
}

boundaryTests('MemoryBus', memoryFixture);
boundaryTests('NatsBus', natsFixture);
