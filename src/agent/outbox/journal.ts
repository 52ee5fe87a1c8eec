/**
 * The outbox's on-disk journal: append-only segment files of newline-delimited, CRC-checked records
 * (see journal-record.ts) plus a checkpoint naming the highest sequence number below which everything
 * was acknowledged. Design and trade-offs: docs/adr/0006-agent-outbox.md.
 *
 * Every operation runs on one serial chain, so the reader, the appender, compaction and clean-up never
 * see each other's half-done work; the outbox calls in without waiting for one call to finish first.
 *
 * Ordering rests on one invariant the outbox keeps: no segment's sequence range [first, last] contains
 * the sequence number of an item that was never journaled. Segment files are named after their first
 * sequence number, so listing them by name lists every record in enqueue order, including the segments
 * `insert` writes at shutdown for items that were only in memory.
 */
import { type FileHandle, mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, UnavailableError, errorMessage } from '../../contracts/index.js';
import type { Severity } from '../../contracts/index.js';
import type { Logger } from '../../adapters/telemetry/index.js';
import { DROP_ORDER, dropRank, type SequencedItem } from './outbox-item.js';
import { decodeRecord, type EncodedRecord } from './journal-record.js';

export interface JournalOptions {
  /** Directory of this journal (created when missing). One process per directory. */
  dir: string;
  /** A new segment file starts once the current one reaches this size (a soft limit: records are not split). */
  segmentBytes: number;
  /** Appended data is fdatasync'ed, and the checkpoint written, at most this often. */
  syncIntervalMs: number;
  logger: Logger;
}

/** Where the journal stood when it was opened. */
export interface JournalRecovery {
  /** Everything with a sequence number up to this was acknowledged before the journal was last closed. */
  ackedSeq: number;
  /** The highest sequence number ever used here (0 for a new journal); new items must go above it. */
  maxSeq: number;
  /** Records found waiting to be sent. */
  records: number;
  segments: number;
  /** Torn or corrupt records that were skipped. */
  corrupt: number;
}

interface Segment {
  /** From the file name: the first sequence number written to it. */
  readonly firstSeq: number;
  readonly path: string;
  bytes: number;
  /** Highest sequence number still in the file. */
  lastSeq: number;
  /** Records before this byte offset were read (handed to the outbox) or acknowledged before the last restart. */
  readOffset: number;
  /** Sequence number of the last record before `readOffset` (0 when none). */
  lastReadSeq: number;
  /** Unread records, indexed by drop rank. */
  readonly unreadCount: number[];
  /** Written by this process: a bad record in it is news (older ones were counted when the journal opened). */
  readonly fresh: boolean;
}

export interface AppendResult {
  /** Records appended, a prefix of those given. */
  appended: number;
  /** Why the rest were not (undefined when all were). */
  error: unknown;
}

interface ActiveSegment {
  segment: Segment;
  handle: FileHandle;
}

export const CHECKPOINT_FILE = 'checkpoint.json';
const CHECKPOINT_FORMAT = 1;
const SEGMENT_NAME = /^segment-(\d{20})\.jsonl$/;
/** Bytes read per call while scanning or reading a segment; a longer record doubles it as needed. */
const READ_CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

export function segmentFileName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(20, '0')}.jsonl`;
}

export class Journal {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #syncIntervalMs: number;
  readonly #logger: Logger;
  readonly #segments: Segment[] = [];
  /** Records up to this were acknowledged before the journal opened; the reader steps over them. */
  readonly #skipUpTo: number;
  #active: ActiveSegment | undefined;
  #rollRequested = false;
  #bytes = 0;
  #unread = 0;
  #corrupt = 0;
  #frontier: number;
  #checkpointed: number;
  #unsynced = false;
  #dirUnsynced = false;
  #tail: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: JournalOptions, ackedSeq: number) {
    this.#dir = options.dir;
    this.#segmentBytes = options.segmentBytes;
    this.#syncIntervalMs = options.syncIntervalMs;
    this.#logger = options.logger;
    this.#skipUpTo = ackedSeq;
    this.#frontier = ackedSeq;
    this.#checkpointed = ackedSeq;
  }

  /**
   * Opens (creating it if needed) the journal in `options.dir` and scans what a previous run left:
   * segments fully acknowledged are deleted, torn and corrupt records are counted and skipped, and an
   * unreadable checkpoint means everything is sent again (duplicates, never loss).
   * @throws InputError (issue path `journalDir`) when the directory cannot be created or written.
   * @throws UnavailableError when reading the existing journal fails.
   */
  static async open(options: JournalOptions): Promise<{ journal: Journal; recovery: JournalRecovery }> {
    await prepareDir(options.dir);
    const ackedSeq = await readCheckpoint(options.dir, options.logger);
    const journal = new Journal(options, ackedSeq);
    try {
      const recovery = await journal.#recover();
      return { journal, recovery };
    } catch (err) {
      throw new UnavailableError(`cannot read the outbox journal in ${options.dir}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Bytes of all segment files. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records on disk not yet handed to the outbox. */
  get unread(): number {
    return this.#unread;
  }

  /** Torn or corrupt records skipped since the journal opened. */
  get corrupt(): number {
    return this.#corrupt;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  unreadOf(severity: Severity): number {
    const rank = dropRank(severity);
    let n = 0;
    for (const seg of this.#segments) n += seg.unreadCount[rank] ?? 0;
    return n;
  }

  /** The next append starts a new segment (the outbox queued items in memory in between). */
  roll(): void {
    if (this.#active) this.#rollRequested = true;
  }

  /**
   * Appends records (in sequence order, above everything appended before), starting new segments as
   * they fill. One write call per segment touched; no fsync here (see `syncIntervalMs`). Never
   * rejects: resolves to how many records (a prefix of `records`) were appended, and the error that
   * stopped it short, so the caller can keep exactly the rest.
   */
  append(records: readonly EncodedRecord[]): Promise<AppendResult> {
    return this.#run(async () => {
      let i = 0;
      try {
        await this.#appendFrom(records, (n) => (i = n));
      } catch (err) {
        return { appended: i, error: err };
      }
      return { appended: i, error: undefined };
    });
  }

  async #appendFrom(records: readonly EncodedRecord[], progress: (appended: number) => void): Promise<void> {
    {
      let i = 0;
      while (i < records.length) {
        const first = records[i] as EncodedRecord;
        const active = await this.#writable(first.seq);
        const seg = active.segment;
        const lines: string[] = [];
        let size = 0;
        let j = i;
        for (; j < records.length; j++) {
          const rec = records[j] as EncodedRecord;
          if (seg.bytes + size > 0 && seg.bytes + size + rec.bytes > this.#segmentBytes) break;
          lines.push(rec.line);
          size += rec.bytes;
        }
        if (lines.length === 0) {
          await this.#seal();
          continue;
        }
        try {
          await writeAll(active.handle, Buffer.from(lines.join('')));
        } catch (err) {
          // The file may now end in part of this batch; it is never appended to again, and the reader
          // stops at `seg.bytes`, so the fragment is only ever seen (and skipped) by a later replay. A
          // segment that holds nothing else is forgotten at once, so its name can be used again.
          await this.#seal().catch(() => undefined);
          if (seg.bytes === 0) {
            this.#segments.splice(this.#segments.indexOf(seg), 1);
            await unlink(seg.path).catch(() => undefined);
          }
          throw new UnavailableError(`cannot append to the outbox journal ${seg.path}: ${errorMessage(err)}`, { cause: err });
        }
        for (let k = i; k < j; k++) {
          const rec = records[k] as EncodedRecord;
          const rank = dropRank(rec.item.severity);
          seg.unreadCount[rank] = (seg.unreadCount[rank] ?? 0) + 1;
          seg.lastSeq = rec.seq;
        }
        seg.bytes += size;
        this.#bytes += size;
        this.#unread += j - i;
        this.#unsynced = true;
        this.#scheduleTick();
        i = j;
        progress(i);
      }
    }
  }

  /**
   * Hands the next unread records (at most `maxRecords`, stopping once `maxBytes` are reached) to
   * `sink`, in order, in the same step that marks them read, so they are never counted in both places.
   * @throws UnavailableError when reading fails; records read before the failure still reach `sink`.
   */
  read(maxRecords: number, maxBytes: number, sink: (records: SequencedItem[]) => void): Promise<void> {
    return this.#run(async () => {
      const out: SequencedItem[] = [];
      let bytes = 0;
      try {
        for (const seg of this.#segments) {
          if (out.length >= maxRecords || bytes >= maxBytes) break;
          if (seg.readOffset >= seg.bytes) continue;
          const fh = await open(seg.path, 'r');
          try {
            const result = await readLines(fh, seg.readOffset, seg.bytes, (line, start, end) => {
              const rec = decodeRecord(line);
              if (!rec) this.#corruptAtRuntime(seg, start);
              else if (rec.seq > this.#skipUpTo) {
                const rank = dropRank(rec.item.severity);
                seg.unreadCount[rank] = (seg.unreadCount[rank] ?? 0) - 1;
                out.push(rec);
                bytes += end - start;
              }
              if (rec) seg.lastReadSeq = rec.seq;
              seg.readOffset = end;
              return out.length < maxRecords && bytes < maxBytes;
            });
            if (result.torn) {
              if (seg.fresh) this.#corruptAtRuntime(seg, seg.readOffset);
              seg.readOffset = seg.bytes;
            }
          } finally {
            await fh.close();
          }
          if (seg.readOffset >= seg.bytes) this.#settleCounts(seg);
        }
      } catch (err) {
        throw new UnavailableError(`cannot read the outbox journal in ${this.#dir}: ${errorMessage(err)}`, { cause: err });
      } finally {
        // `unread` drops only as the records reach the sink: until then the outbox must go on
        // treating them as waiting on disk (an item queued in memory meanwhile would overtake them).
        this.#unread -= out.length;
        if (out.length > 0) sink(out);
      }
    });
  }

  /**
   * Frees at least `budgetBytes` (when there is that much) by removing unread records of `severity`,
   * oldest first, rewriting each affected segment without them. Records already read are never
   * removed: they are in memory or in flight. `onDropped` hears of each record removed, after the
   * rewrite that removed it succeeded. Resolves to the bytes freed.
   * @throws UnavailableError when a rewrite fails (the segment is then left as it was).
   */
  dropOldest(severity: Severity, budgetBytes: number, onDropped: (record: SequencedItem) => void): Promise<number> {
    const rank = dropRank(severity);
    return this.#run(async () => {
      let freed = 0;
      for (const seg of [...this.#segments]) {
        if (freed >= budgetBytes) break;
        if ((seg.unreadCount[rank] ?? 0) <= 0) continue;
        try {
          freed += await this.#rewriteWithout(seg, rank, budgetBytes - freed, onDropped);
        } catch (err) {
          throw new UnavailableError(`cannot compact the outbox journal ${seg.path}: ${errorMessage(err)}`, { cause: err });
        }
      }
      return freed;
    });
  }

  /**
   * Everything up to `seq` is acknowledged: the checkpoint will say so and segments wholly below it
   * are deleted, both at the next tick.
   */
  acknowledge(seq: number): void {
    if (seq <= this.#frontier) return;
    this.#frontier = seq;
    if (this.#segments.length > 0) this.#scheduleTick();
  }

  /**
   * Writes records that were never journaled (the memory part of the outbox at shutdown) into segments
   * of their own, split wherever an existing segment falls between them, so that listing segments by
   * name still yields enqueue order.
   * @throws UnavailableError when a write fails.
   */
  insert(records: readonly EncodedRecord[]): Promise<void> {
    return this.#run(async () => {
      const sorted = [...records].sort((a, b) => a.seq - b.seq);
      const runs: EncodedRecord[][] = [];
      let runKey = -1;
      for (const rec of sorted) {
        const key = this.#segments.filter((s) => s.firstSeq < rec.seq).length;
        if (key !== runKey || runs.length === 0) runs.push([]);
        runKey = key;
        runs[runs.length - 1]?.push(rec);
      }
      for (const run of runs) {
        const first = run[0];
        if (!first) continue;
        const file = path.join(this.#dir, segmentFileName(first.seq));
        const data = Buffer.from(run.map((r) => r.line).join(''));
        try {
          await writeDurably(file, data, 'wx');
        } catch (err) {
          throw new UnavailableError(`cannot write the outbox journal ${file}: ${errorMessage(err)}`, { cause: err });
        }
        const seg = newSegment(first.seq, file, true);
        for (const rec of run) {
          const rank = dropRank(rec.item.severity);
          seg.unreadCount[rank] = (seg.unreadCount[rank] ?? 0) + 1;
          seg.lastSeq = rec.seq;
        }
        seg.bytes = data.length;
        this.#bytes += data.length;
        this.#unread += run.length;
        this.#segments.push(seg);
        this.#segments.sort((a, b) => a.firstSeq - b.firstSeq);
        this.#dirUnsynced = true;
      }
    });
  }

  /**
   * Syncs what was appended, writes the checkpoint, deletes acknowledged segments and closes the files.
   * Idempotent.
   * @throws UnavailableError when the final sync or checkpoint fails.
   */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    return this.#run(async () => {
      try {
        await this.#tick();
      } finally {
        await this.#seal();
      }
    });
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async #recover(): Promise<JournalRecovery> {
    const names = await readdir(this.#dir);
    const found: { firstSeq: number; file: string }[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        // A rewrite or checkpoint interrupted before its rename: the original is intact.
        await unlink(path.join(this.#dir, name)).catch(() => undefined);
        continue;
      }
      const m = SEGMENT_NAME.exec(name);
      if (m?.[1]) found.push({ firstSeq: Number(m[1]), file: path.join(this.#dir, name) });
    }
    found.sort((a, b) => a.firstSeq - b.firstSeq);
    let maxSeq = this.#skipUpTo;
    for (const { firstSeq, file } of found) {
      const seg = newSegment(firstSeq, file, false);
      const size = (await stat(file)).size;
      seg.bytes = size;
      let sawUnread = false;
      let corrupt = 0;
      const fh = await open(file, 'r');
      try {
        const result = await readLines(fh, 0, size, (line, start, end) => {
          const rec = decodeRecord(line);
          if (!rec) {
            corrupt++;
            return true;
          }
          maxSeq = Math.max(maxSeq, rec.seq);
          seg.lastSeq = Math.max(seg.lastSeq, rec.seq);
          if (rec.seq <= this.#skipUpTo) {
            if (!sawUnread) {
              seg.readOffset = end;
              seg.lastReadSeq = rec.seq;
            }
            return true;
          }
          if (!sawUnread) seg.readOffset = start;
          sawUnread = true;
          const rank = dropRank(rec.item.severity);
          seg.unreadCount[rank] = (seg.unreadCount[rank] ?? 0) + 1;
          return true;
        });
        if (result.torn) corrupt++;
      } finally {
        await fh.close();
      }
      this.#corrupt += corrupt;
      if (corrupt > 0) this.#logger.warn({ segment: file, corrupt }, 'outbox journal records unreadable; skipped');
      const unread = seg.unreadCount.reduce((a, b) => a + b, 0);
      if (unread === 0) {
        await unlink(file);
        continue;
      }
      this.#segments.push(seg);
      this.#bytes += seg.bytes;
      this.#unread += unread;
    }
    return { ackedSeq: this.#skipUpTo, maxSeq, records: this.#unread, segments: this.#segments.length, corrupt: this.#corrupt };
  }

  /** The segment to append to, opening a new one (named after `firstSeq`) when needed. */
  async #writable(firstSeq: number): Promise<ActiveSegment> {
    if (this.#active && (this.#rollRequested || this.#active.segment.bytes >= this.#segmentBytes)) await this.#seal();
    this.#rollRequested = false;
    if (this.#active) return this.#active;
    const file = path.join(this.#dir, segmentFileName(firstSeq));
    let handle: FileHandle;
    try {
      handle = await open(file, 'wx');
    } catch (err) {
      if (!isCode(err, 'EEXIST')) throw new UnavailableError(`cannot create the outbox journal segment ${file}: ${errorMessage(err)}`, { cause: err });
      // Sequence numbers are never reused, so a file by this name that is not one of our segments is
      // the remains of a failed write (see append): nothing in it is needed.
      this.#logger.warn({ segment: file }, 'outbox journal segment left by a failed write; overwriting');
      handle = await open(file, 'w');
    }
    const segment = newSegment(firstSeq, file, true);
    this.#segments.push(segment);
    this.#active = { segment, handle };
    this.#dirUnsynced = true;
    return this.#active;
  }

  /** Closes the segment being appended to; the next append starts a new one. */
  async #seal(): Promise<void> {
    const active = this.#active;
    if (!active) return;
    this.#active = undefined;
    try {
      if (this.#unsynced) await active.handle.datasync();
      this.#unsynced = false;
    } finally {
      await active.handle.close();
    }
  }

  async #rewriteWithout(seg: Segment, rank: number, budget: number, onDropped: (record: SequencedItem) => void): Promise<number> {
    if (this.#active?.segment === seg) await this.#seal();
    const data = await readFile(seg.path);
    const keep: Buffer[] = [data.subarray(0, seg.readOffset)];
    const dropped: SequencedItem[] = [];
    const count = [0, 0, 0, 0];
    let removed = 0;
    let lastSeq = seg.lastReadSeq;
    let pos = seg.readOffset;
    while (pos < data.length) {
      const nl = data.indexOf(NEWLINE, pos);
      if (nl === -1) {
        // A torn tail past the read position: nothing there can be sent.
        removed += data.length - pos;
        break;
      }
      const line = data.subarray(pos, nl);
      const size = nl + 1 - pos;
      const rec = decodeRecord(line);
      if (!rec) removed += size;
      else if (dropRank(rec.item.severity) === rank && removed < budget) {
        removed += size;
        dropped.push(rec);
      } else {
        const r = dropRank(rec.item.severity);
        count[r] = (count[r] ?? 0) + 1;
        lastSeq = Math.max(lastSeq, rec.seq);
        keep.push(data.subarray(pos, nl + 1));
      }
      pos = nl + 1;
    }
    const next = Buffer.concat(keep);
    if (next.length === 0) {
      await unlink(seg.path);
      this.#segments.splice(this.#segments.indexOf(seg), 1);
    } else {
      const tmp = `${seg.path}.tmp`;
      await writeDurably(tmp, next, 'w');
      await rename(tmp, seg.path);
    }
    this.#dirUnsynced = true;
    this.#bytes -= seg.bytes - next.length;
    this.#unread -= seg.unreadCount.reduce((a, b) => a + b, 0) - count.reduce((a, b) => a + b, 0);
    seg.bytes = next.length;
    seg.lastSeq = lastSeq;
    for (let r = 0; r < DROP_ORDER.length; r++) seg.unreadCount[r] = count[r] ?? 0;
    for (const rec of dropped) onDropped(rec);
    return removed;
  }

  /** Once a segment is read to its end its unread counters must be zero; make them so. */
  #settleCounts(seg: Segment): void {
    const left = seg.unreadCount.reduce((a, b) => a + b, 0);
    if (left !== 0) this.#unread -= left;
    seg.unreadCount.fill(0);
  }

  #corruptAtRuntime(seg: Segment, offset: number): void {
    // Bad records in segments from a previous run were counted when the journal opened.
    if (!seg.fresh) return;
    this.#corrupt++;
    this.#logger.warn({ segment: seg.path, offset }, 'outbox journal record unreadable; skipped');
  }

  #scheduleTick(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run(() => this.#tick()).catch((err: unknown) => this.#logger.error({ err, dir: this.#dir }, 'outbox journal sync failed; retrying'));
    }, this.#syncIntervalMs);
    this.#timer.unref();
  }

  /** Durability work batched per interval: sync data, then the checkpoint, then delete what it covers. */
  async #tick(): Promise<void> {
    try {
      if (this.#active && this.#unsynced) {
        await this.#active.handle.datasync();
        this.#unsynced = false;
      }
      if (this.#dirUnsynced) {
        await syncDir(this.#dir);
        this.#dirUnsynced = false;
      }
      const frontier = this.#frontier;
      if (frontier > this.#checkpointed && this.#segments.length > 0) {
        await writeCheckpoint(this.#dir, frontier);
        this.#checkpointed = frontier;
      }
      for (const seg of [...this.#segments]) {
        if (seg.lastSeq > frontier || seg.readOffset < seg.bytes) continue;
        if (this.#active?.segment === seg) await this.#seal();
        await unlink(seg.path);
        this.#segments.splice(this.#segments.indexOf(seg), 1);
        this.#bytes -= seg.bytes;
      }
    } catch (err) {
      if (!this.#closed) this.#scheduleTick();
      throw new UnavailableError(`cannot sync the outbox journal in ${this.#dir}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

function newSegment(firstSeq: number, file: string, fresh: boolean): Segment {
  return { firstSeq, path: file, bytes: 0, lastSeq: 0, readOffset: 0, lastReadSeq: 0, unreadCount: [0, 0, 0, 0], fresh };
}

/**
 * Calls `visit(line, start, end)` for each complete line between byte offsets `from` and `to` (`end`
 * is past the newline) until `visit` returns false. `torn` is true when the range ends in a partial
 * line (a write cut short by a crash). Reads in chunks, so a segment is never held whole in memory.
 */
async function readLines(
  fh: FileHandle,
  from: number,
  to: number,
  visit: (line: Buffer, start: number, end: number) => boolean,
): Promise<{ offset: number; torn: boolean }> {
  let pos = from;
  let chunk = READ_CHUNK;
  while (pos < to) {
    const want = Math.min(chunk, to - pos);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, pos);
    if (bytesRead === 0) return { offset: pos, torn: true };
    const data = buf.subarray(0, bytesRead);
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, start);
      if (nl === -1) break;
      const more = visit(data.subarray(start, nl), pos + start, pos + nl + 1);
      start = nl + 1;
      if (!more) return { offset: pos + start, torn: false };
    }
    if (start === 0) {
      if (pos + bytesRead >= to) return { offset: pos, torn: true };
      chunk *= 2;
      continue;
    }
    pos += start;
    chunk = READ_CHUNK;
  }
  return { offset: pos, torn: false };
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await handle.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

async function writeDurably(file: string, data: Buffer, flags: 'w' | 'wx'): Promise<void> {
  const fh = await open(file, flags);
  try {
    await writeAll(fh, data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes new and renamed files survive a power loss; some platforms cannot fsync a directory.
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!isCode(err, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')) throw err;
  } finally {
    await fh?.close();
  }
}

async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    // Fail now, not at the first outage, when the directory cannot be written.
    const probe = path.join(dir, `.probe-${process.pid}.tmp`);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError(`the outbox journal directory ${dir} cannot be used: ${errorMessage(err)}`, [
      { path: 'journalDir', message: `cannot be created or written (${code})` },
    ], { cause: err });
  }
}

async function readCheckpoint(dir: string, logger: Logger): Promise<number> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return 0;
    throw new UnavailableError(`cannot read the outbox checkpoint ${file}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown; acked_seq?: unknown };
    if (parsed.format === CHECKPOINT_FORMAT && Number.isSafeInteger(parsed.acked_seq) && (parsed.acked_seq as number) >= 0) {
      return parsed.acked_seq as number;
    }
  } catch {
    // Falls through: treated like an unknown format.
  }
  // Without a checkpoint every record is sent again: duplicates, which ids absorb, rather than loss.
  logger.warn({ file }, 'outbox checkpoint unreadable; resending the whole journal');
  return 0;
}

async function writeCheckpoint(dir: string, ackedSeq: number): Promise<void> {
  const file = path.join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  await writeDurably(tmp, Buffer.from(JSON.stringify({ format: CHECKPOINT_FORMAT, acked_seq: ackedSeq })), 'w');
  await rename(tmp, file);
}

function isCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}
