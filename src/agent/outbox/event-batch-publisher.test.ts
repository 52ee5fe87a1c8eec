import { describe, expect, it, vi } from 'vitest';
import { PayloadTooLargeError, UnavailableError } from '../../contracts/index.js';
import { EventBatchPublisher, type EventBatchPublisherOptions } from './event-batch-publisher.js';
import type { OutboxItem } from './outbox-item.js';

const EVENT = 'aetherius.agent.c1.event';
const BATCH = 'aetherius.agent.c1.events';

interface Sent {
  subject: string;
  body: string;
  msgId: string;
}

function publisher(overrides: Partial<EventBatchPublisherOptions> = {}, fail?: (sent: Sent) => Error | undefined) {
  const sent: Sent[] = [];
  const p = new EventBatchPublisher({
    eventSubject: EVENT,
    batchSubject: BATCH,
    clusterId: 'c1',
    agentId: 'agent-1',
    maxBytes: () => 1024 * 1024,
    send: (subject, body, msgId) => {
      const s = { subject, body, msgId };
      sent.push(s);
      const err = fail?.(s);
      return err ? Promise.reject(err) : Promise.resolve();
    },
    ...overrides,
  });
  return { p, sent };
}

function item(n: number, subject = EVENT, pad = 0): OutboxItem {
  return { id: `e-${n}`, subject, body: JSON.stringify({ id: `e-${n}`, pad: 'x'.repeat(pad) }), severity: 'high' };
}

describe('EventBatchPublisher', () => {
  it('sends the events handed over in one pass as one envelope, in order, and settles each item', async () => {
    const { p, sent } = publisher();
    await Promise.all([1, 2, 3].map((n) => p.publish(item(n))));
    expect(sent).toHaveLength(1);
    const [msg] = sent;
    expect(msg?.subject).toBe(BATCH);
    expect(JSON.parse(msg?.body ?? '')).toEqual({ schema_version: 1, cluster_id: 'c1', agent_id: 'agent-1', events: [{ id: 'e-1', pad: '' }, { id: 'e-2', pad: '' }, { id: 'e-3', pad: '' }] });
  });

  it('gives a resent batch the same msgId, so JetStream drops the duplicate', async () => {
    const a = publisher();
    const b = publisher();
    await Promise.all([1, 2].map((n) => a.p.publish(item(n))));
    await Promise.all([1, 2].map((n) => b.p.publish(item(n))));
    await Promise.all([1, 3].map((n) => b.p.publish(item(n))));
    expect(a.sent[0]?.msgId).toBe(b.sent[0]?.msgId);
    expect(b.sent[1]?.msgId).not.toBe(b.sent[0]?.msgId);
  });

  it('keeps a lone event on the single-event subject with its own id, as the architecture shows it', async () => {
    const { p, sent } = publisher();
    await p.publish(item(7));
    expect(sent).toEqual([{ subject: EVENT, body: item(7).body, msgId: 'e-7' }]);
  });

  it('never batches other kinds of message', async () => {
    const { p, sent } = publisher();
    await Promise.all([p.publish(item(1, 'aetherius.agent.c1.metrics')), p.publish(item(2, 'aetherius.agent.c1.metrics'))]);
    expect(sent.map((s) => s.subject)).toEqual(['aetherius.agent.c1.metrics', 'aetherius.agent.c1.metrics']);
  });

  it('splits at maxEvents and at maxBytes', async () => {
    const byCount = publisher({ maxEvents: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => byCount.p.publish(item(n))));
    expect(byCount.sent.map((s) => (s.subject === BATCH ? (JSON.parse(s.body) as { events: unknown[] }).events.length : 1))).toEqual([2, 2, 1]);

    const bySize = publisher({ maxBytes: () => 2500 });
    await Promise.all([1, 2, 3, 4].map((n) => bySize.p.publish(item(n, EVENT, 1000))));
    for (const s of bySize.sent) expect(Buffer.byteLength(s.body)).toBeLessThanOrEqual(2500);
    expect(bySize.sent).toHaveLength(2);
  });

  it('with a linger, events queued a few ms apart share one message; a full batch does not wait', async () => {
    vi.useFakeTimers();
    try {
      const { p, sent } = publisher({ lingerMs: 20, maxEvents: 3 });
      const first = p.publish(item(1));
      await vi.advanceTimersByTimeAsync(5);
      const second = p.publish(item(2));
      expect(sent).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(20);
      await Promise.all([first, second]);
      expect(sent.map((s) => s.subject)).toEqual([BATCH]);
      const full = [3, 4, 5].map((n) => p.publish(item(n)));
      await vi.advanceTimersByTimeAsync(0);
      await Promise.all(full);
      expect(sent).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('batching off (maxEvents 1) sends every event alone', async () => {
    const { p, sent } = publisher({ maxEvents: 1 });
    await Promise.all([1, 2].map((n) => p.publish(item(n))));
    expect(sent.map((s) => [s.subject, s.msgId])).toEqual([[EVENT, 'e-1'], [EVENT, 'e-2']]);
  });

  it('fails every item of a batch the bus did not store, so the outbox resends them', async () => {
    const { p } = publisher({}, () => new UnavailableError('nats down'));
    const results = await Promise.allSettled([1, 2, 3].map((n) => p.publish(item(n))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('falls back to one message per event when the bus refuses a batch for good', async () => {
    const { p, sent } = publisher({}, (s) => (s.subject === BATCH ? new PayloadTooLargeError('too large') : s.msgId === 'e-2' ? new PayloadTooLargeError('too large') : undefined));
    const results = await Promise.allSettled([1, 2, 3].map((n) => p.publish(item(n))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(sent.filter((s) => s.subject === EVENT).map((s) => s.msgId)).toEqual(['e-1', 'e-2', 'e-3']);
  });
});
