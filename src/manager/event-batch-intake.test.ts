import { describe, expect, it } from 'vitest';
import type { AgentEvent, AgentEventBatch } from '../contracts/index.js';
import { MemoryBus, type BusMessage, type DurableMessage } from '../adapters/bus/index.js';
import { silentLogger } from '../adapters/telemetry/index.js';
import { BATCH_INDEX_HEADER, shareMessage, takeEventBatch } from './event-batch-intake.js';

type Settled = { how: 'ack' | 'nak' | 'term'; delay?: number }[];

function message(): DurableMessage & { settled: Settled } {
  const settled: Settled = [];
  return {
    subject: 'aetherius.agent.c1.events',
    data: new Uint8Array(),
    headers: { 'aetherius-agent-id': 'agent-1' },
    string: () => '',
    json: () => ({}),
    replyable: false,
    respond: () => false,
    stream: 'AETHERIUS_EVENTS',
    seq: 9,
    deliveryCount: 2,
    redelivered: true,
    ack: () => settled.push({ how: 'ack' }),
    nak: (delay?: number) => settled.push({ how: 'nak', ...(delay !== undefined ? { delay } : {}) }),
    term: () => settled.push({ how: 'term' }),
    working: () => undefined,
    settled,
  };
}

function event(id: string, overrides: Partial<AgentEvent> = {}): AgentEvent {
  return {
    schema_version: 1,
    id,
    cluster_id: 'c1',
    timestamp: '2026-11-22T10:00:00.000Z',
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'high',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    namespace: 'shop',
    labels: { kind: 'Pod', name: 'cart-1' },
    raw_data: { count: 1, first_timestamp: '2026-11-22T10:00:00.000Z', last_timestamp: '2026-11-22T10:00:00.000Z' },
    ...overrides,
  };
}

describe('shareMessage', () => {
  it('acks the message once every share is done (ack or term), not before', () => {
    const msg = message();
    const shares = shareMessage(msg, 3);
    shares[0]?.ack();
    shares[1]?.term('refused by the database');
    expect(msg.settled).toEqual([]);
    shares[2]?.ack();
    expect(msg.settled).toEqual([{ how: 'ack' }]);
    shares[2]?.ack();
    expect(msg.settled).toHaveLength(1);
    expect(shares[0]?.deliveryCount).toBe(2);
  });

  it('naks the whole message at the first share that fails, once, and ignores later settlements', () => {
    const msg = message();
    const shares = shareMessage(msg, 3);
    shares[0]?.ack();
    shares[1]?.nak(500);
    shares[2]?.nak(800);
    shares[2]?.ack();
    expect(msg.settled).toEqual([{ how: 'nak', delay: 500 }]);
  });
});

describe('takeEventBatch', () => {
  it('stores the valid events and dead-letters each invalid one alone, with its index and the field at fault', async () => {
    const bus = new MemoryBus();
    const letters: BusMessage[] = [];
    bus.subscribe('aetherius.deadletter.>', (m) => {
      letters.push(m);
    });
    const batch: AgentEventBatch = {
      schema_version: 1,
      cluster_id: 'c1',
      events: [event('a'), { ...event('b'), severity: 'urgent' }, event('c'), event('d', { cluster_id: 'c2' })],
    };
    const msg = message();
    const added: [AgentEvent, DurableMessage][] = [];
    const result = await takeEventBatch(bus, batch, msg, (e, share) => added.push([e, share]), { logger: silentLogger() });
    expect(result).toEqual({ accepted: 2, rejected: 2 });
    expect(added.map(([e]) => e.id)).toEqual(['a', 'c']);
    await new Promise((r) => setTimeout(r, 10));
    expect(letters.map((l) => l.headers[BATCH_INDEX_HEADER])).toEqual(['1', '3']);
    expect(letters[0]?.headers['aetherius-reject-detail']).toMatch(/^events\[1\]\.severity: /);
    expect(letters[1]?.headers['aetherius-reject-detail']).toMatch(/events\[3\]\.cluster_id: must equal the batch's cluster id/);
    expect((letters[0]?.json() as { id: string }).id).toBe('b');
    // The message waits for its stored events.
    expect(msg.settled).toEqual([]);
    for (const [, share] of added) share.ack();
    expect(msg.settled).toEqual([{ how: 'ack' }]);
    await bus.close();
  });

  it('acks at once a batch with nothing valid in it', async () => {
    const bus = new MemoryBus();
    const msg = message();
    const result = await takeEventBatch(bus, { schema_version: 1, cluster_id: 'c1', events: [{ nonsense: true }] }, msg, () => undefined, { logger: silentLogger() });
    expect(result).toEqual({ accepted: 0, rejected: 1 });
    expect(msg.settled).toEqual([{ how: 'ack' }]);
    await bus.close();
  });
});
