import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../contracts/index.js';
import { silentLogger } from '../../adapters/telemetry/index.js';
import { CHECKPOINT_FILE, Journal, segmentFileName } from './journal.js';
import { decodeRecord, encodeRecord, type EncodedRecord } from './journal-record.js';
import type { SequencedItem } from './outbox-item.js';

function rec(seq: number, severity: Severity = 'medium'): EncodedRecord {
  return encodeRecord(seq, { id: `id-${seq}`, subject: 'aetherius.agent.c1.event', body: JSON.stringify({ seq, text: 'héllo "quoted"\nline' }), severity, enqueuedAt: 1_700_000_000_000 + seq });
}

let dir: string;
const journals: Journal[] = [];

async function openJournal(segmentBytes = 1024) {
  const opened = await Journal.open({ dir, segmentBytes, syncIntervalMs: 5, logger: silentLogger() });
  journals.push(opened.journal);
  return opened;
}

async function readAll(journal: Journal, max = 1_000_000): Promise<SequencedItem[]> {
  const out: SequencedItem[] = [];
  await journal.read(max, Number.MAX_SAFE_INTEGER, (records) => out.push(...records));
  return out;
}

async function segments(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('segment-')).sort();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aetherius-journal-'));
});

afterEach(async () => {
  await Promise.all(journals.splice(0).map((j) => j.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('journal records', () => {
  it('round-trip, with any body text', () => {
    const r = rec(7, 'critical');
    expect(r.line.endsWith('\n')).toBe(true);
    expect(r.bytes).toBe(Buffer.byteLength(r.line));
    expect(decodeRecord(Buffer.from(r.line.slice(0, -1)))).toEqual({ seq: 7, item: r.item });
  });

  it('reject a torn line, a flipped byte and a line that is not a record', () => {
    const line = Buffer.from(rec(7).line.slice(0, -1));
    expect(decodeRecord(line.subarray(0, line.length - 5))).toBeUndefined();
    const flipped = Buffer.from(line);
    flipped[40] = (flipped[40] ?? 0) ^ 0x01;
    expect(decodeRecord(flipped)).toBeUndefined();
    expect(decodeRecord(Buffer.from('garbage'))).toBeUndefined();
    expect(decodeRecord(Buffer.from(''))).toBeUndefined();
  });
});

describe('Journal', () => {
  it('appends across segments and reads back in order, in bounded batches', async () => {
    const { journal, recovery } = await openJournal(1024);
    expect(recovery).toMatchObject({ ackedSeq: 0, maxSeq: 0, records: 0 });
    const records = Array.from({ length: 100 }, (_, i) => rec(i + 1));
    expect(await journal.append(records.slice(0, 60))).toEqual({ appended: 60, error: undefined });
    expect(await journal.append(records.slice(60))).toEqual({ appended: 40, error: undefined });
    expect(journal.unread).toBe(100);
    expect(journal.segmentCount).toBeGreaterThan(5);
    const firstBatch = await readAll(journal, 30);
    expect(firstBatch.map((r) => r.seq)).toEqual(records.slice(0, 30).map((r) => r.seq));
    expect(journal.unread).toBe(70);
    const rest = await readAll(journal);
    expect(rest.map((r) => r.seq)).toEqual(records.slice(30).map((r) => r.seq));
    expect(journal.unread).toBe(0);
  });

  it('resumes after the checkpoint on reopen and deletes fully acknowledged segments', async () => {
    const { journal } = await openJournal(1024);
    await journal.append(Array.from({ length: 50 }, (_, i) => rec(i + 1)));
    const before = (await segments()).length;
    await readAll(journal, 30);
    journal.acknowledge(30);
    await journal.close();
    expect((await segments()).length).toBeLessThan(before);
    expect(JSON.parse(await readFile(join(dir, CHECKPOINT_FILE), 'utf8'))).toEqual({ format: 1, acked_seq: 30 });

    const { journal: again, recovery } = await openJournal(1024);
    expect(recovery).toMatchObject({ ackedSeq: 30, maxSeq: 50, records: 20, corrupt: 0 });
    expect((await readAll(again)).map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 31));
  });

  it('skips and counts a corrupt record and a torn tail, keeping everything else', async () => {
    const { journal } = await openJournal(1_000_000);
    await journal.append(Array.from({ length: 10 }, (_, i) => rec(i + 1)));
    await journal.close();
    const [name] = await segments();
    const file = join(dir, name as string);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[3] = (lines[3] as string).replace('id-4', 'id-X');
    const text = lines.join('\n');
    await writeFile(file, text.slice(0, text.length - 20));

    const { journal: again, recovery } = await openJournal();
    expect(recovery.corrupt).toBe(2);
    expect(again.corrupt).toBe(2);
    expect((await readAll(again)).map((r) => r.seq)).toEqual([1, 2, 3, 5, 6, 7, 8, 9]);
  });

  it('resends everything when the checkpoint is unreadable', async () => {
    const { journal } = await openJournal();
    await journal.append([rec(1), rec(2)]);
    await journal.close();
    await writeFile(join(dir, CHECKPOINT_FILE), '{"format":1,"acked_');
    const { journal: again, recovery } = await openJournal();
    expect(recovery.ackedSeq).toBe(0);
    expect((await readAll(again)).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('drops the oldest unread records of one severity, never ones already read', async () => {
    const { journal } = await openJournal(100_000);
    const sev: Severity[] = ['low', 'high', 'low', 'low', 'high', 'low', 'low'];
    await journal.append(sev.map((s, i) => rec(i + 1, s)));
    // Record 1 (a low) is read: it is in memory now, not the journal's to drop.
    expect((await readAll(journal, 1)).map((r) => r.seq)).toEqual([1]);
    const bytesBefore = journal.bytes;
    const dropped: number[] = [];
    const size = rec(3, 'low').bytes;
    const freed = await journal.dropOldest('low', 2 * size - 1, (r) => dropped.push(r.seq));
    expect(dropped).toEqual([3, 4]);
    expect(freed).toBe(2 * size);
    expect(journal.bytes).toBe(bytesBefore - freed);
    expect(journal.unread).toBe(4);
    expect(journal.unreadOf('low')).toBe(2);
    expect((await readAll(journal)).map((r) => r.seq)).toEqual([2, 5, 6, 7]);
  });

  it('inserts never-journaled records before and after existing segments so names keep enqueue order', async () => {
    const { journal } = await openJournal(1_000_000);
    await journal.append([rec(10), rec(11), rec(12)]);
    journal.roll();
    await journal.append([rec(20), rec(21)]);
    await journal.insert([rec(3), rec(4), rec(15), rec(16), rec(30)]);
    await journal.close();
    expect(await segments()).toEqual([3, 10, 15, 20, 30].map(segmentFileName));
    const { journal: again } = await openJournal();
    expect((await readAll(again)).map((r) => r.seq)).toEqual([3, 4, 10, 11, 12, 15, 16, 20, 21, 30]);
  });

  it('refuses nothing to read: reads of an empty journal hand over nothing', async () => {
    const { journal } = await openJournal();
    expect(await readAll(journal)).toEqual([]);
    expect(journal.unread).toBe(0);
  });
});
