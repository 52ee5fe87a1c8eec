/**
 * The manager's event batcher against real PostgreSQL: what it hands to `onStored` (the incident engine's
 * hook), when it acks, and that neither a failing nor a hanging hook can lose, block or crash anything.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../src/contracts/index.js';
import type { DurableMessage } from '../src/adapters/bus/index.js';
import { createStore, type Store } from '../src/adapters/store/index.js';
import { Metrics, silentLogger } from '../src/adapters/telemetry/index.js';
import { EventBatcher } from '../src/manager/event-batcher.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

type Settled = 'ack' | 'nak' | 'term' | undefined;

/** A delivered message that records how it was settled (the bus side is not under test here). */
function message(): DurableMessage & { settled: () => Settled } {
  let settled: Settled;
  const settle = (how: Settled) => () => {
    settled ??= how;
  };
  return {
    subject: 'aetherius.agent.c.event',
    data: new Uint8Array(),
    headers: {},
    string: () => '',
    json: () => ({}),
    replyable: false,
    respond: () => false,
    stream: 'EVENTS',
    seq: 1,
    deliveryCount: 1,
    redelivered: false,
    ack: settle('ack'),
    nak: settle('nak'),
    term: settle('term'),
    working: () => undefined,
    settled: () => settled,
  };
}

function event(clusterId: string, overrides: Partial<AgentEvent> = {}): AgentEvent {
  return {
    schema_version: 1,
    id: `evt-${randomBytes(5).toString('hex')}`,
    cluster_id: clusterId,
    timestamp: new Date().toISOString(),
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'high',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    namespace: 'shop',
    labels: { kind: 'Pod', name: `cart-${randomBytes(3).toString('hex')}` },
    raw_data: { count: 1, first_timestamp: new Date().toISOString(), last_timestamp: new Date().toISOString() },
    ...overrides,
  };
}

function counter(metrics: Metrics, outcome: string): Promise<number> {
  return metrics.handledMessages.get().then((m) => m.values.filter((v) => v.labels['outcome'] === outcome).reduce((n, v) => n + v.value, 0));
}

describe('event batcher', () => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase('aet_batcher');
    store = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
    await store.migrations.up();
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('hands onStored the new events of each batch (no duplicates) after they are stored and before the ack', async () => {
    const seen: string[][] = [];
    const stateAtHook: { stored: boolean; acked: boolean }[] = [];
    const msgs: ReturnType<typeof message>[] = [];
    const batcher = new EventBatcher(
      store.events,
      {
        batchSize: 4,
        flushIntervalMs: 10_000,
        concurrency: 2,
        onStored: async (events) => {
          seen.push(events.map((e) => e.id));
          const first = events[0];
          stateAtHook.push({ stored: first ? (await store.events.get(first.id)) !== undefined : false, acked: msgs.some((m) => m.settled() === 'ack') });
        },
      },
      silentLogger(),
      new Metrics({ collectDefault: false }),
    );
    const events = Array.from({ length: 6 }, () => event('batcher-a'));
    const [e0, e1] = events as [AgentEvent, AgentEvent];
    // Batch 1: four new events. Batch 2 (on flush): two new ones and two redeliveries of batch 1.
    for (const e of [...events.slice(0, 4), ...events.slice(4), e0, e1]) {
      const m = message();
      msgs.push(m);
      batcher.add(e, m);
    }
    await batcher.flush();
    expect(seen.flat().sort()).toEqual(events.map((e) => e.id).sort());
    expect(stateAtHook).toEqual([
      { stored: true, acked: false },
      { stored: true, acked: expect.any(Boolean) as boolean },
    ]);
    expect(msgs.map((m) => m.settled())).toEqual(Array(8).fill('ack'));
  });

  it('acks a stored batch even when onStored rejects or hangs, and counts both', async () => {
    const metrics = new Metrics({ collectDefault: false });
    const run = async (onStored: (events: readonly AgentEvent[]) => Promise<void>) => {
      const batcher = new EventBatcher(store.events, { batchSize: 100, flushIntervalMs: 10_000, onStored, onStoredTimeoutMs: 200 }, silentLogger(), metrics);
      const items = Array.from({ length: 3 }, () => ({ e: event('batcher-b'), m: message() }));
      for (const { e, m } of items) batcher.add(e, m);
      await batcher.flush();
      for (const { e } of items) expect(await store.events.get(e.id)).toBeDefined();
      expect(items.map(({ m }) => m.settled())).toEqual(['ack', 'ack', 'ack']);
    };
    await run(() => Promise.reject(new Error('incident engine down')));
    expect(await counter(metrics, 'on_stored_failed')).toBe(3);
    await run(() => {
      throw new Error('thrown synchronously');
    });
    expect(await counter(metrics, 'on_stored_failed')).toBe(6);
    // A hook that never settles holds the ack back for its timeout only (else flush would never resolve).
    await run(() => new Promise<void>(() => undefined));
    expect(await counter(metrics, 'on_stored_timeout')).toBe(3);
  });

  it('drops only the event the database refuses, and hands onStored the rest', async () => {
    const seen: string[] = [];
    const metrics = new Metrics({ collectDefault: false });
    const batcher = new EventBatcher(
      store.events,
      { batchSize: 100, flushIntervalMs: 10_000, onStored: (events) => Promise.resolve(void seen.push(...events.map((e) => e.id))) },
      silentLogger(),
      metrics,
    );
    // Year 0 passes the wire schema but not PostgreSQL.
    const good = [event('batcher-c'), event('batcher-c')];
    const bad = event('batcher-c', { timestamp: '0000-01-01T00:00:00Z' });
    const m = [message(), message(), message()];
    batcher.add(good[0] as AgentEvent, m[0] as DurableMessage);
    batcher.add(bad, m[1] as DurableMessage);
    batcher.add(good[1] as AgentEvent, m[2] as DurableMessage);
    await batcher.flush();
    expect(m.map((x) => x.settled())).toEqual(['ack', 'term', 'ack']);
    expect(seen.sort()).toEqual(good.map((e) => e.id).sort());
  });

  it('naks the whole batch for redelivery when the database is unavailable', async () => {
    const other = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
    await other.close();
    let called = false;
    const batcher = new EventBatcher(other.events, { batchSize: 100, flushIntervalMs: 10_000, onStored: () => Promise.resolve(void (called = true)) }, silentLogger(), new Metrics({ collectDefault: false }));
    const m = [message(), message()];
    batcher.add(event('batcher-d'), m[0] as DurableMessage);
    batcher.add(event('batcher-d'), m[1] as DurableMessage);
    await batcher.flush();
    expect(m.map((x) => x.settled())).toEqual(['nak', 'nak']);
    expect(called).toBe(false);
  });
});
