/**
 * The batcher's flow control, with a repository whose writes the test releases by hand (the SQL side
 * is covered against real PostgreSQL in test/event-batcher.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../contracts/index.js';
import type { DurableMessage } from '../adapters/bus/index.js';
import type { EventRepository } from '../adapters/store/index.js';
import { Metrics, silentLogger } from '../adapters/telemetry/index.js';
import { EventBatcher } from './event-batcher.js';

function gatedRepository() {
  const gates: (() => void)[] = [];
  const repo = {
    insertMany: (events: readonly AgentEvent[]) =>
      new Promise((resolve) => gates.push(() => resolve({ inserted: events.length, duplicates: 0, stored: [...events] }))),
  } as unknown as EventRepository;
  return { repo, release: () => gates.splice(0).forEach((g) => g()), writes: () => gates.length };
}

function message(log: string[], name: string): DurableMessage {
  return {
    subject: 'aetherius.agent.c.event', data: new Uint8Array(), headers: {}, string: () => '', json: () => ({}), replyable: false, respond: () => false,
    stream: 'S', seq: 1, deliveryCount: 1, redelivered: false,
    ack: () => log.push(`${name}:ack`), nak: () => log.push(`${name}:nak`), term: () => log.push(`${name}:term`), working: () => log.push(`${name}:working`),
  };
}

const event = (id: string) => ({ id }) as AgentEvent;

describe('EventBatcher flow control', () => {
  it('makes the consumer wait while it holds maxHeldEvents, and lets it go on once they are stored', async () => {
    const { repo, release } = gatedRepository();
    const batcher = new EventBatcher(repo, { batchSize: 2, flushIntervalMs: 5, maxHeldEvents: 3, progressIntervalMs: 0 }, silentLogger(), new Metrics({ collectDefault: false }));
    const log: string[] = [];
    for (const n of [1, 2, 3]) batcher.add(event(`e${n}`), message(log, `m${n}`));
    let roomy = false;
    const room = batcher.room().then(() => (roomy = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(roomy).toBe(false);
    release();
    await new Promise((r) => setTimeout(r, 30));
    release();
    await room;
    await batcher.flush();
    expect(roomy).toBe(true);
    expect(log.filter((l) => l.endsWith(':ack')).sort()).toEqual(['m1:ack', 'm2:ack', 'm3:ack']);
    batcher.close();
  });

  it('marks the messages it holds as in progress, once per message, so a long backlog is not redelivered', async () => {
    const { repo, release } = gatedRepository();
    const batcher = new EventBatcher(repo, { batchSize: 10, flushIntervalMs: 1, progressIntervalMs: 20 }, silentLogger(), new Metrics({ collectDefault: false }));
    const log: string[] = [];
    const shared = message(log, 'batch');
    batcher.add(event('a'), shared);
    batcher.add(event('b'), shared);
    batcher.add(event('c'), message(log, 'single'));
    await new Promise((r) => setTimeout(r, 50));
    const ticks = log.filter((l) => l === 'batch:working').length;
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(log.filter((l) => l === 'single:working').length).toBe(ticks);
    release();
    await batcher.flush();
    const after = log.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(log.length, 'nothing held, nothing marked').toBe(after);
    batcher.close();
  });
});
