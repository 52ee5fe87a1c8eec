import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusError, InputError, PayloadTooLargeError, type Severity } from '../../contracts/index.js';
import { MemoryBus } from '../../adapters/bus/index.js';
import { STREAMS } from '../../contracts/subjects.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import type { OutboxItem } from './outbox-item.js';
import { encodeRecord } from './journal-record.js';

/**
 * A bus double that stores a publish when it is called while "up" (as a JetStream server stores in
 * arrival order) and answers after a short, varying delay, so acknowledgements overlap as they do
 * over a real connection. While "down" every publish is refused.
 */
class FakeBus {
  up = true;
  /** Probability that a publish made while up fails anyway (without being stored). */
  flakiness = 0;
  hang = false;
  readonly stored: OutboxItem[] = [];
  calls = 0;
  #seed = 42;

  readonly publish = (item: OutboxItem): Promise<void> => {
    this.calls++;
    if (this.hang) return new Promise(() => undefined);
    const ok = this.up && this.#random() >= this.flakiness;
    if (ok) this.stored.push(item);
    const delay = Math.floor(this.#random() * 3);
    return new Promise((resolve, reject) => {
      const settle = (): void => (ok ? resolve() : reject(new BusError('bus down')));
      if (delay === 0) setImmediate(settle);
      else setTimeout(settle, delay);
    });
  };

  /** Ids of stored items, duplicates removed (first occurrence kept), as the stream's msgId dedup does. */
  uniqueIds(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const item of this.stored) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      out.push(item.id);
    }
    return out;
  }

  #random(): number {
    // Deterministic, so a failing run can be replayed.
    this.#seed = (this.#seed * 1103515245 + 12345) % 2 ** 31;
    return this.#seed / 2 ** 31;
  }
}

const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
const PAD = 120;

function item(i: number, severity: Severity = SEVERITIES[i % 4] as Severity, bodyBytes = 40): OutboxItem {
  return { id: `ev-${String(i).padStart(6, '0')}`, subject: 'aetherius.agent.c1.event', body: JSON.stringify({ i, pad: 'x'.repeat(bodyBytes) }), severity };
}

/** Journal size of one test item with `PAD` bytes of padding (ids have a fixed width). */
const RECORD_BYTES = encodeRecord(1, { ...item(1, 'critical', PAD), enqueuedAt: Date.now() }).bytes;

function ids(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(item(i).id);
  return out;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('segment-')).sort();
}

let dir: string;
const opened: Outbox[] = [];

async function openOutbox(bus: FakeBus | Pick<FakeBus, 'publish'>, options: Partial<OutboxOptions> = {}): Promise<Outbox> {
  const outbox = await Outbox.open({
    memoryCapacity: 1000,
    journalDir: dir,
    journalMaxBytes: 64 * 1024 * 1024,
    publish: bus.publish,
    retry: { initialMs: 5, maxMs: 20 },
    syncIntervalMs: 5,
    ...options,
  });
  opened.push(outbox);
  return outbox;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aetherius-outbox-'));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('Outbox', () => {
  it('publishes in enqueue order while the bus is up, without touching the disk', async () => {
    const bus = new FakeBus();
    const outbox = await openOutbox(bus);
    for (let i = 0; i < 500; i++) outbox.enqueue(item(i));
    expect(await outbox.flush(5_000)).toBe(true);
    expect(bus.stored.map((x) => x.id)).toEqual(ids(0, 500));
    const s = outbox.stats();
    expect(s).toMatchObject({ sent: 500, spilled: 0, memory_depth: 0, journal_depth: 0, in_flight: 0, connected: true, publish_failures: 0 });
    expect(outbox.depth).toBe(0);
    expect(await segmentFiles(dir)).toEqual([]);
  });

  it('keeps order and loses nothing across a long outage, spilling beyond memory to the journal', async () => {
    const bus = new FakeBus();
    const outbox = await openOutbox(bus, { memoryCapacity: 1000, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 300; i++) outbox.enqueue(item(i));
    await until(() => bus.stored.length >= 300);
    bus.up = false;
    for (let i = 300; i < 20_300; i++) {
      outbox.enqueue(item(i));
      // The watcher enqueues in bursts between I/O turns, not in one synchronous loop.
      if (i % 2000 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => outbox.stats().journal_writing === 0 && outbox.stats().spilled >= 18_000);
    const during = outbox.stats();
    expect(during.connected).toBe(false);
    expect(during.publish_failures).toBeGreaterThan(0);
    // Only memoryCapacity items (plus what the failed pipeline holds) stay in memory.
    expect(during.memory_depth + during.in_flight).toBeLessThanOrEqual(1000 + 256);
    expect(outbox.depth).toBe(20_000);
    expect((await segmentFiles(dir)).length).toBeGreaterThan(1);

    bus.up = true;
    expect(await outbox.flush(20_000)).toBe(true);
    expect(bus.uniqueIds()).toEqual(ids(0, 20_300));
    expect(outbox.stats()).toMatchObject({ connected: true, journal_depth: 0, memory_depth: 0, dropped: { low: 0, medium: 0, high: 0, critical: 0 } });
    // Fully acknowledged segments are deleted.
    await until(() => outbox.stats().journal_bytes === 0);
    expect(await segmentFiles(dir)).toEqual([]);
  }, 30_000);

  it('delivers every id at least once, and once after de-duplication, when publishes fail at random', async () => {
    const bus = new FakeBus();
    bus.flakiness = 0.05;
    const maxInFlight = 32;
    const outbox = await openOutbox(bus, { memoryCapacity: 200, maxInFlight, segmentBytes: 16 * 1024 });
    for (let i = 0; i < 5000; i++) {
      outbox.enqueue(item(i));
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await outbox.flush(20_000)).toBe(true);
    const unique = bus.uniqueIds();
    expect([...unique].sort()).toEqual(ids(0, 5000));
    expect(outbox.stats().publish_failures).toBeGreaterThan(0);
    // A failure reorders only within the window of unacknowledged publishes, never for good.
    const position = new Map(unique.map((id, i) => [id, i]));
    for (let i = 0; i < 5000; i++) expect(Math.abs((position.get(item(i).id) ?? -1) - i)).toBeLessThanOrEqual(maxInFlight);
  }, 30_000);

  it('resends a failed pipeline from the first unacknowledged item, in order', async () => {
    const bus = new FakeBus();
    const outbox = await openOutbox(bus, { maxInFlight: 64 });
    bus.up = false;
    for (let i = 0; i < 200; i++) outbox.enqueue(item(i));
    await until(() => outbox.stats().publish_failures >= 64);
    expect(bus.stored).toEqual([]);
    bus.up = true;
    expect(await outbox.flush(5_000)).toBe(true);
    expect(bus.stored.map((x) => x.id)).toEqual(ids(0, 200));
  });

  it('after close and reopen, sends what was pending and (almost) nothing acknowledged before', async () => {
    const bus = new FakeBus();
    const maxInFlight = 16;
    const first = await openOutbox(bus, { memoryCapacity: 300, maxInFlight, segmentBytes: 16 * 1024 });
    for (let i = 0; i < 500; i++) first.enqueue(item(i));
    await until(() => bus.stored.length >= 500);
    expect(await first.flush(5_000)).toBe(true);
    bus.up = false;
    for (let i = 500; i < 3000; i++) first.enqueue(item(i));
    await until(() => first.stats().journal_depth >= 2000 && first.stats().publish_failures > 0);
    await first.close();
    expect(first.stats().rejected).toBe(0);
    first.enqueue(item(99_999));
    expect(first.stats().rejected).toBe(1);
    expect((await segmentFiles(dir)).length).toBeGreaterThan(0);

    const stored = bus.stored.length;
    bus.up = true;
    const second = await openOutbox(bus, { memoryCapacity: 300, maxInFlight, segmentBytes: 16 * 1024 });
    expect(second.depth).toBe(2500);
    for (let i = 3000; i < 3100; i++) second.enqueue(item(i));
    expect(await second.flush(10_000)).toBe(true);
    const resent = bus.stored.slice(stored).map((x) => x.id);
    // Pending items first, in order, then the new ones; acknowledged ones are not sent again.
    expect(resent).toEqual(ids(500, 3100));
    expect(bus.uniqueIds()).toEqual(ids(0, 3100));
  }, 20_000);

  it('writes items still in flight at close to the journal; duplicates stay within the in-flight window', async () => {
    const slow: OutboxItem[] = [];
    let answer: (() => void)[] = [];
    const hanging = {
      publish: (x: OutboxItem): Promise<void> => {
        slow.push(x);
        return new Promise<void>((resolve) => answer.push(resolve));
      },
    };
    const maxInFlight = 8;
    const first = await openOutbox(hanging, { maxInFlight, closeTimeoutMs: 50 });
    for (let i = 0; i < 100; i++) first.enqueue(item(i));
    await until(() => slow.length === maxInFlight);
    // Half the window is acknowledged before close, the other half never is.
    for (const resolve of answer.slice(0, 4)) resolve();
    answer = [];
    await first.close();

    const bus = new FakeBus();
    const second = await openOutbox(bus);
    expect(await second.flush(5_000)).toBe(true);
    expect(bus.stored.map((x) => x.id)).toEqual(ids(4, 100));
  });

  it('after a crash recovers every journaled item before a torn record, and counts the torn one', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const crashed = await openOutbox(bus, { memoryCapacity: 100, segmentBytes: 32 * 1024 });
    for (let i = 0; i < 3000; i++) crashed.enqueue(item(i));
    // Everything beyond memory is on disk; then the process "dies": no close.
    await until(() => crashed.stats().spilled === 2900);
    const segments = await segmentFiles(dir);
    const last = join(dir, segments[segments.length - 1] as string);
    const size = (await stat(last)).size;
    await truncate(last, size - 30);

    const bus2 = new FakeBus();
    const recovered = await openOutbox(bus2, { memoryCapacity: 100, segmentBytes: 32 * 1024 });
    expect(recovered.stats().corrupt_records).toBe(1);
    expect(recovered.depth).toBe(2899);
    recovered.enqueue(item(5000));
    expect(await recovered.flush(10_000)).toBe(true);
    // Items 0..99 were only in the crashed process's memory; 2999 was torn.
    expect(bus2.stored.map((x) => x.id)).toEqual([...ids(100, 2999), item(5000).id]);
  }, 20_000);

  it('when the journal is full drops the oldest low-severity items first, counting them', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const drops: { id: string; severity: Severity }[] = [];
    const n = 320;
    // Room for 240 of the 320 items, alternating low and high: only lows may go, the oldest ones.
    const journalMaxBytes = 240 * RECORD_BYTES;
    // One item in memory and one publish at a time, so exactly items 0 and 1 are off the journal.
    const outbox = await openOutbox(bus, {
      memoryCapacity: 1,
      maxInFlight: 1,
      journalMaxBytes,
      segmentBytes: 16 * RECORD_BYTES,
      onDrop: (x, reason) => {
        expect(reason).toBe('journal_full');
        drops.push({ id: x.id, severity: x.severity });
      },
    });
    for (let i = 0; i < n; i++) {
      outbox.enqueue(item(i, i % 2 === 0 ? 'low' : 'high', PAD));
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
      expect(outbox.stats().journal_bytes).toBeLessThanOrEqual(journalMaxBytes);
    }
    await until(() => outbox.stats().journal_writing === 0);
    const s = outbox.stats();
    expect(s.journal_bytes).toBeLessThanOrEqual(journalMaxBytes);
    expect(s.dropped).toMatchObject({ high: 0, medium: 0, critical: 0 });
    expect(s.dropped.low).toBeGreaterThanOrEqual(70);
    expect(drops.length).toBe(s.dropped.low);
    expect(drops.every((d) => d.severity === 'low')).toBe(true);
    expect(outbox.depth + drops.length).toBe(n);

    bus.up = true;
    expect(await outbox.flush(10_000)).toBe(true);
    const delivered = bus.uniqueIds();
    const droppedIds = new Set(drops.map((d) => d.id));
    // Nothing both dropped and delivered, nothing lost unannounced, and order kept among survivors.
    expect(delivered.filter((id) => droppedIds.has(id))).toEqual([]);
    expect(delivered.length + drops.length).toBe(n);
    expect(delivered).toEqual([...delivered].sort());
    // The dropped lows are the oldest lows on disk (item 0 was in memory, which is never dropped).
    const lows = ids(0, n).filter((_, i) => i % 2 === 0 && i > 0);
    expect(drops.map((d) => d.id)).toEqual(lows.slice(0, drops.length));
  }, 20_000);

  it('drops medium only once no low is left, never high before medium, critical last', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const journalMaxBytes = 80 * RECORD_BYTES;
    const outbox = await openOutbox(bus, { memoryCapacity: 1, maxInFlight: 1, journalMaxBytes, segmentBytes: 8 * RECORD_BYTES });
    const settle = () => until(() => outbox.stats().journal_writing === 0);
    // 60 medium and high fit; then 40 lows do not all fit: some lows go, nothing else.
    for (let i = 0; i < 60; i++) outbox.enqueue(item(i, i % 2 === 0 ? 'medium' : 'high', PAD));
    await settle();
    expect(outbox.stats().dropped).toEqual({ low: 0, medium: 0, high: 0, critical: 0 });
    for (let i = 60; i < 100; i++) outbox.enqueue(item(i, 'low', PAD));
    await settle();
    let s = outbox.stats();
    expect(s.dropped).toMatchObject({ medium: 0, high: 0, critical: 0 });
    expect(s.dropped.low).toBeGreaterThanOrEqual(19);
    expect(s.dropped.low).toBeLessThan(40);
    // Then 40 criticals: every remaining low goes, then the oldest mediums; no high, no critical.
    for (let i = 100; i < 140; i++) outbox.enqueue(item(i, 'critical', PAD));
    await settle();
    s = outbox.stats();
    expect(s.journal_bytes).toBeLessThanOrEqual(journalMaxBytes);
    expect(s.dropped).toMatchObject({ low: 40, high: 0, critical: 0 });
    expect(s.dropped.medium).toBeGreaterThan(0);
    expect(s.dropped.medium).toBeLessThan(30);

    bus.up = true;
    expect(await outbox.flush(5_000)).toBe(true);
    const delivered = new Set(bus.uniqueIds());
    const mediums = ids(0, 60).filter((_, i) => i % 2 === 0);
    const deliveredMediums = mediums.filter((id) => delivered.has(id));
    expect(deliveredMediums.length).toBe(30 - s.dropped.medium);
    // Item 0 was in memory; of the journaled mediums the newest survive.
    expect(deliveredMediums.slice(1)).toEqual(mediums.slice(mediums.length - deliveredMediums.length + 1));
    for (let i = 1; i < 60; i += 2) expect(delivered.has(item(i).id)).toBe(true);
    for (let i = 100; i < 140; i++) expect(delivered.has(item(i).id)).toBe(true);
  }, 20_000);

  it('takes 50k enqueues in bursts while publishing and spilling, and delivers them all in order', async () => {
    const bus = new FakeBus();
    const outbox = await openOutbox(bus, { memoryCapacity: 1000 });
    for (let i = 0; i < 50_000; i++) {
      outbox.enqueue(item(i, 'medium', 10));
      if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await outbox.flush(30_000)).toBe(true);
    expect(bus.uniqueIds()).toEqual(ids(0, 50_000));
    expect(bus.stored.length).toBe(50_000);
  }, 40_000);

  it('publishes through a real MemoryBus stream, de-duplicated by id, across an outage', async () => {
    const bus = new MemoryBus();
    await bus.ensureStreams([{ ...STREAMS.events, subjects: [...STREAMS.events.subjects] }]);
    let down = false;
    const outbox = await openOutbox(
      {
        publish: async (x: OutboxItem) => {
          if (down) throw new BusError('connection closed');
          await bus.publish(x.subject, x.body, { msgId: x.id });
        },
      },
      { memoryCapacity: 50, segmentBytes: 8 * 1024 },
    );
    const got: string[] = [];
    await bus.consume({ stream: STREAMS.events.name, durable: 'test' }, (m) => {
      got.push(`ev-${String((m.json() as { i: number }).i).padStart(6, '0')}`);
    });
    for (let i = 0; i < 400; i++) outbox.enqueue(item(i));
    down = true;
    for (let i = 400; i < 1500; i++) outbox.enqueue(item(i));
    await until(() => outbox.stats().publish_failures > 0 && outbox.stats().journal_depth > 1000);
    down = false;
    expect(await outbox.flush(10_000)).toBe(true);
    await until(() => got.length >= 1500);
    expect(got).toEqual(ids(0, 1500));
    await bus.close();
  }, 20_000);

  it('treats a publish that never settles as failed and sends it again', async () => {
    const bus = new FakeBus();
    bus.hang = true;
    const outbox = await openOutbox(bus, { publishTimeoutMs: 30, maxInFlight: 4 });
    for (let i = 0; i < 10; i++) outbox.enqueue(item(i));
    await until(() => outbox.stats().publish_failures >= 4);
    bus.hang = false;
    expect(await outbox.flush(5_000)).toBe(true);
    expect(bus.stored.map((x) => x.id)).toEqual(ids(0, 10));
  });

  it('drops an item the bus refuses for good (over max_payload) instead of resending it forever', async () => {
    const stored: string[] = [];
    const dropped: string[] = [];
    const outbox = await openOutbox(
      {
        publish: (x: OutboxItem) => {
          if (x.id === item(3).id) return Promise.reject(new PayloadTooLargeError('message is 1300000 bytes, over the server max_payload of 1048576'));
          stored.push(x.id);
          return Promise.resolve();
        },
      },
      { onDrop: (x, reason) => dropped.push(`${x.id}:${reason}`) },
    );
    for (let i = 0; i < 10; i++) outbox.enqueue(item(i));
    expect(await outbox.flush(5_000)).toBe(true);
    expect(stored).toEqual(ids(0, 10).filter((id) => id !== item(3).id));
    expect(dropped).toEqual([`${item(3).id}:bus_rejected`]);
    expect(outbox.stats()).toMatchObject({ bus_rejected: 1, sent: 9, publish_failures: 0 });
  });

  it('survives a publish function that throws synchronously', async () => {
    let throwing = true;
    const stored: string[] = [];
    const outbox = await openOutbox({
      publish: (x: OutboxItem) => {
        if (throwing) throw new Error('not connected');
        stored.push(x.id);
        return Promise.resolve();
      },
    });
    for (let i = 0; i < 20; i++) outbox.enqueue(item(i));
    await until(() => outbox.stats().publish_failures > 0);
    throwing = false;
    expect(await outbox.flush(5_000)).toBe(true);
    expect(stored).toEqual(ids(0, 20));
  });

  it('rejects malformed items without throwing, and counts them', async () => {
    const bus = new FakeBus();
    const outbox = await openOutbox(bus);
    const bad = [null, {}, { id: 'a', subject: 's', body: '{}', severity: 'urgent' }, { id: 'a', subject: '', body: '{}', severity: 'low' }, { ...item(1), enqueuedAt: Number.NaN }];
    for (const b of bad) expect(() => outbox.enqueue(b as unknown as OutboxItem)).not.toThrow();
    outbox.enqueue(item(1));
    expect(await outbox.flush(2_000)).toBe(true);
    expect(outbox.stats().rejected).toBe(bad.length);
    expect(bus.stored.map((x) => x.id)).toEqual([item(1).id]);
  });

  it('flush resolves false when the bus stays down', async () => {
    const bus = new FakeBus();
    bus.up = false;
    const outbox = await openOutbox(bus);
    outbox.enqueue(item(0));
    expect(await outbox.flush(50)).toBe(false);
    expect(outbox.depth).toBe(1);
  });

  it('refuses invalid options, naming each', async () => {
    const bad = { memoryCapacity: 0, journalDir: '', journalMaxBytes: 10, publish: 'no', maxInFlight: 1.5, retry: { initialMs: 100, maxMs: 10 } };
    const err = await Outbox.open(bad as unknown as OutboxOptions).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues.map((i) => i.path).sort()).toEqual(['journalDir', 'journalMaxBytes', 'maxInFlight', 'memoryCapacity', 'publish', 'retry.maxMs']);
  });

  it('refuses a journal directory that cannot be created', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const err = await Outbox.open({ memoryCapacity: 10, journalDir: join(file, 'journal'), journalMaxBytes: 4096, publish: () => Promise.resolve() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues[0]?.path).toBe('journalDir');
  });
});
