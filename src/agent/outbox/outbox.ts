/**
 * The agent's outbound buffer: everything the agent publishes (events, metrics, command results) goes
 * through here, so that a bus outage of any length loses nothing but what an operator allowed to be
 * dropped. Items wait in memory up to `memoryCapacity`, beyond that in an on-disk journal, and are
 * published in enqueue order with a pipeline of unacknowledged publishes; delivery is at least once, and
 * each item's id is its JetStream msgId so that the stream drops the duplicates a resend causes.
 * Design, ordering rule, drop policy, fsync policy and recovery: docs/adr/0006-agent-outbox.md.
 */
import { AetheriusError, InputError, TimeoutError, errorMessage, type Severity, type ValidationIssue } from '../../contracts/index.js';
import { silentLogger, type Logger } from '../../adapters/telemetry/index.js';
import { Deque } from './deque.js';
import { Journal } from './journal.js';
import { encodeRecord, type EncodedRecord } from './journal-record.js';
import { DROP_ORDER, dropRank, type OutboxItem, type SequencedItem } from './outbox-item.js';

export interface OutboxOptions {
  /** Items kept in memory (`agent.buffer_size`); beyond that they go to the journal. */
  memoryCapacity: number;
  /** Directory of the journal (`agent.journal_dir`), created when missing. One per cluster id and process. */
  journalDir: string;
  /** Largest size of the journal (`agent.journal_max_bytes`); at the limit the least severe, oldest items are dropped. */
  journalMaxBytes: number;
  /** Publishes one item (bus.publish with msgId = item.id); resolves once stored, rejects when the bus is down. */
  publish: (item: OutboxItem) => Promise<void>;
  /** Published items awaiting their acknowledgement at once. Default 256: JetStream acks take a round trip each. */
  maxInFlight?: number;
  /** Back-off between attempts while publishing fails. Default 100 ms doubling to 5 s. */
  retry?: { initialMs: number; maxMs: number };
  /** A publish that has not settled after this long counts as failed (and is sent again). Default 30 s. */
  publishTimeoutMs?: number;
  /** How long `close` waits for publishes in flight before writing them to the journal. Default 5 s. */
  closeTimeoutMs?: number;
  /** Size at which a new journal segment starts. Default journalMaxBytes / 8, within 4 KiB–8 MiB. */
  segmentBytes?: number;
  /** Journal appends are fdatasync'ed and the checkpoint written at most this often. Default 100 ms. */
  syncIntervalMs?: number;
  logger?: Logger;
  /** Clock for `enqueuedAt` (epoch milliseconds). */
  now?: () => number;
  /**
   * Called for each item dropped: `journal_full` (the journal was at its limit), or `bus_rejected` (the
   * bus refused it for good, e.g. larger than the server's max_payload — resending could never succeed
   * and would hold up everything behind it).
   */
  onDrop?: (item: Pick<OutboxItem, 'id' | 'severity' | 'subject'>, reason: 'journal_full' | 'bus_rejected') => void;
}

export interface OutboxStats {
  /** Items waiting in memory (not in flight). */
  memory_depth: number;
  /** Items waiting in the journal, or being written to it. */
  journal_depth: number;
  /** Of those, the items not yet written (a write in progress, or failing). */
  journal_writing: number;
  /** Size of the journal's files. */
  journal_bytes: number;
  /** Publishes awaiting their acknowledgement. */
  in_flight: number;
  /** Publishes acknowledged (a resent item counts each time). */
  sent: number;
  /** Publishes that failed. */
  publish_failures: number;
  /** Items dropped because the journal was full, by severity. */
  dropped: Record<Severity, number>;
  /** Items written to the journal. */
  spilled: number;
  /** The last publish succeeded (true before the first one). */
  connected: boolean;
  /** Torn or corrupt journal records skipped (after a crash or disk damage). */
  corrupt_records: number;
  /** Items refused by `enqueue`: malformed, or sent after `close`. */
  rejected: number;
  /** Items the bus refused for good (not retryable, e.g. over max_payload), dropped instead of resent. */
  bus_rejected: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 256;
export const DEFAULT_RETRY = Object.freeze({ initialMs: 100, maxMs: 5_000 });
export const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_SYNC_INTERVAL_MS = 100;
export const MIN_JOURNAL_MAX_BYTES = 1024;
const MIN_SEGMENT_BYTES = 4 * 1024;
const MAX_SEGMENT_BYTES = 8 * 1024 * 1024;
/** Records read from the journal per read, at most (memoryCapacity bounds it too). */
const READ_BATCH = 1024;
const READ_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Items kept waiting for the journal while its writes fail; beyond that they are dropped, least severe
 * first, so a broken disk cannot exhaust memory. (While writes succeed, the journal limit bounds them.)
 */
const MIN_PENDING_CAP = 4096;
const DROP_LOG_INTERVAL_MS = 10_000;
const IO_RETRY_MAX_MS = 5_000;

const QUEUED = 0;
const IN_FLIGHT = 1;
const ACKED = 2;
const FAILED = 3;

interface Entry extends SequencedItem {
  /** Also in the journal, so nothing needs writing at shutdown. */
  journaled: boolean;
  state: typeof QUEUED | typeof IN_FLIGHT | typeof ACKED | typeof FAILED;
  /** Incremented per send: an answer to an earlier send is ignored. */
  attempt: number;
  sentAt: number;
}

interface Waiter {
  resolve: (idle: boolean) => void;
  timer: NodeJS.Timeout;
}

interface ResolvedOptions {
  memoryCapacity: number;
  journalDir: string;
  journalMaxBytes: number;
  publish: (item: OutboxItem) => Promise<void>;
  maxInFlight: number;
  retry: { initialMs: number; maxMs: number };
  publishTimeoutMs: number;
  closeTimeoutMs: number;
  segmentBytes: number;
  syncIntervalMs: number;
  logger: Logger;
  now: () => number;
  onDrop: OutboxOptions['onDrop'];
}

export class Outbox {
  readonly #o: ResolvedOptions;
  readonly #journal: Journal;
  readonly #log: Logger;
  /** Not journaled, not yet sent; all older than anything unread in the journal. */
  readonly #mem = new Deque<Entry>();
  /** Read from the journal, not yet sent. */
  readonly #readAhead = new Deque<Entry>();
  /** Sent, failed, due again before anything else. */
  #resend = new Deque<Entry>();
  /** Sent, in send order, up to the first not acknowledged: its front bounds the frontier. */
  readonly #window = new Deque<Entry>();
  #windowUnacked = 0;
  #inFlight = 0;
  /** Waiting to be appended to the journal, in sequence order. */
  #pending: EncodedRecord[] = [];
  #pendingBytes = 0;
  #writing = 0;
  #nextSeq: number;
  /** Every item up to this sequence number is acknowledged or dropped. */
  #frontier: number;

  #pumpScheduled = false;
  #failing = false;
  #probing = false;
  #retryAttempts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #readRetryTimer: NodeJS.Timeout | undefined;
  #readFailures = 0;
  #flushing: Promise<void> | undefined;
  #wakeWriter: (() => void) | undefined;
  #writeFailures = 0;
  #stopping = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #onInFlightDrained: (() => void) | undefined;
  readonly #waiters = new Set<Waiter>();

  #sent = 0;
  #publishFailures = 0;
  #spilled = 0;
  #rejected = 0;
  #connected = true;
  #outageStartedAt = 0;
  readonly #dropped: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  #busRejected = 0;
  #droppedSinceLog: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  #lastDropLogAt = Number.NEGATIVE_INFINITY;
  #warnedClosed = false;

  private constructor(options: ResolvedOptions, journal: Journal, maxSeq: number, ackedSeq: number) {
    this.#o = options;
    this.#log = options.logger;
    this.#journal = journal;
    this.#nextSeq = maxSeq + 1;
    this.#frontier = ackedSeq;
  }

  /**
   * Opens the outbox and its journal. Items a previous run left in the journal (after a crash or a
   * restart) are sent first, before anything enqueued now.
   * @throws InputError when an option is invalid (each issue names the option) or `journalDir` cannot
   *   be created or written.
   * @throws UnavailableError when the existing journal cannot be read.
   */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const resolved = resolveOptions(options);
    const { journal, recovery } = await Journal.open({
      dir: resolved.journalDir,
      segmentBytes: resolved.segmentBytes,
      syncIntervalMs: resolved.syncIntervalMs,
      logger: resolved.logger,
    });
    const outbox = new Outbox(resolved, journal, recovery.maxSeq, recovery.ackedSeq);
    if (recovery.records > 0 || recovery.corrupt > 0) {
      resolved.logger.info(
        { journalDir: resolved.journalDir, records: recovery.records, segments: recovery.segments, corrupt: recovery.corrupt },
        'outbox journal replaying',
      );
    }
    outbox.#schedulePump();
    return outbox;
  }

  /** Everything not yet acknowledged: in memory, in the journal, in flight. */
  get depth(): number {
    return (
      this.#mem.length +
      this.#readAhead.length +
      this.#resend.length +
      this.#windowUnacked +
      this.#pending.length +
      this.#writing +
      this.#journal.unread
    );
  }

  /**
   * Queues an item. Synchronous and cheap: publishing and journal writes happen in the background.
   * Never throws; a malformed item, or one arriving after `close`, is logged and counted in `rejected`.
   */
  enqueue(item: OutboxItem): void {
    if (this.#stopping) {
      this.#rejected++;
      if (!this.#warnedClosed) {
        this.#warnedClosed = true;
        this.#log.warn({ id: describeId(item) }, 'outbox closed; item not queued');
      }
      return;
    }
    const issue = itemIssue(item);
    if (issue) {
      this.#rejected++;
      this.#log.warn({ id: describeId(item), field: issue.path, problem: issue.message }, 'outbox item rejected');
      return;
    }
    const seq = this.#nextSeq++;
    const full = { id: item.id, subject: item.subject, body: item.body, severity: item.severity, enqueuedAt: item.enqueuedAt ?? this.#o.now() };
    // Memory only while nothing older waits on disk: an item in memory never overtakes a journaled one.
    if (
      this.#pending.length === 0 &&
      this.#writing === 0 &&
      this.#journal.unread === 0 &&
      this.#mem.length + this.#readAhead.length < this.#o.memoryCapacity
    ) {
      this.#mem.push({ seq, item: full, journaled: false, state: QUEUED, attempt: 0, sentAt: 0 });
      // The next spill starts a new segment, so no segment's range ever spans an in-memory item.
      this.#journal.roll();
    } else {
      this.#spill(encodeRecord(seq, full));
    }
    this.#schedulePump();
  }

  stats(): OutboxStats {
    return {
      memory_depth: this.#mem.length + this.#readAhead.length + this.#resend.length + (this.#windowUnacked - this.#inFlight),
      journal_depth: this.#journal.unread + this.#pending.length + this.#writing,
      journal_writing: this.#pending.length + this.#writing,
      journal_bytes: this.#journal.bytes,
      in_flight: this.#inFlight,
      sent: this.#sent,
      publish_failures: this.#publishFailures,
      dropped: { ...this.#dropped },
      bus_rejected: this.#busRejected,
      spilled: this.#spilled,
      connected: this.#connected,
      corrupt_records: this.#journal.corrupt,
      rejected: this.#rejected,
    };
  }

  /** Resolves true once everything is acknowledged (depth 0), false after `timeoutMs` or on close. */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.depth === 0) return Promise.resolve(true);
    if (this.#stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(false);
        }, Math.max(0, timeoutMs)),
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Stops publishing and saves what is left: waits (up to `closeTimeoutMs`) for publishes in flight,
   * then writes every unacknowledged item that is only in memory to the journal, so the next `open`
   * sends it. Idempotent; never rejects (failures are logged).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#stopping = true;
    for (const timer of [this.#retryTimer, this.#readRetryTimer]) if (timer) clearTimeout(timer);
    this.#retryTimer = undefined;
    this.#readRetryTimer = undefined;
    // An answer arriving now still counts: what is acknowledged need not be written and sent again.
    await this.#inFlightDrained(this.#o.closeTimeoutMs);
    this.#closed = true;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#wakeWriter?.();
    await this.#flushing;
    await this.#reading;

    const unsent = [...this.#window, ...this.#resend, ...this.#mem].filter((e) => e.state !== ACKED && !e.journaled);
    await this.#makeRoom().catch((err: unknown) => this.#log.error({ err, journalDir: this.#o.journalDir }, 'outbox journal compaction failed; appending anyway'));
    try {
      const pending = this.#takePending();
      const result = await this.#journal.append(pending);
      this.#writing = 0;
      this.#spilled += result.appended;
      if (result.error !== undefined) {
        this.#log.error({ err: result.error, lost: pending.length - result.appended }, 'outbox could not save queued items at shutdown');
      }
      await this.#journal.insert(unsent.map((e) => encodeRecord(e.seq, e.item)));
      this.#spilled += unsent.length;
    } catch (err) {
      this.#log.error({ err, lost: unsent.length }, 'outbox could not save queued items at shutdown');
    }
    this.#journal.acknowledge(this.#frontier);
    try {
      await this.#journal.close();
    } catch (err) {
      this.#log.error({ err }, 'outbox journal close failed');
    }
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.#waiters.clear();
  }

  // ---- publishing ----

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#stopping) return;
    this.#pumpScheduled = true;
    // A burst of enqueues is handled in one pass, after the caller's synchronous work.
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#stopping) return;
    if (!this.#failing && !this.#retryTimer) {
      // After a failure one publish probes the bus; the pipeline reopens when it succeeds.
      const limit = this.#probing ? 1 : this.#o.maxInFlight;
      while (this.#window.length < limit) {
        const entry = this.#takeNext();
        if (!entry) break;
        this.#send(entry);
      }
    }
    this.#maybeRead();
  }

  /** The queued item with the lowest sequence number, wherever it waits. */
  #takeNext(): Entry | undefined {
    let best: Deque<Entry> | undefined;
    for (const queue of [this.#resend, this.#readAhead, this.#mem]) {
      const head = queue.peek();
      if (head && (!best || head.seq < (best.peek() as Entry).seq)) best = queue;
    }
    return best?.shift();
  }

  #send(entry: Entry): void {
    entry.state = IN_FLIGHT;
    entry.sentAt = Date.now();
    const attempt = ++entry.attempt;
    this.#window.push(entry);
    this.#windowUnacked++;
    this.#inFlight++;
    let sent: Promise<void>;
    try {
      sent = Promise.resolve(this.#o.publish(entry.item));
    } catch (err) {
      sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    sent.then(
      () => this.#settle(entry, attempt, undefined),
      (err: unknown) => this.#settle(entry, attempt, err ?? new Error('publish rejected')),
    );
    this.#armWatchdog();
  }

  #settle(entry: Entry, attempt: number, err: unknown): void {
    if (this.#closed || entry.attempt !== attempt || entry.state !== IN_FLIGHT) return;
    // The bus refused this item for good (too large): settled like an acknowledged one so the frontier
    // moves on, but counted as dropped, not sent, and never resent.
    const refused = err !== undefined && isPermanent(err);
    if (refused) {
      this.#busRejected++;
      this.#log.error({ err: errorMessage(err), id: entry.item.id, subject: entry.item.subject, severity: entry.item.severity }, 'bus refused an outbox item for good; dropped');
      this.#reportDrop(entry.item, 'bus_rejected');
    }
    this.#inFlight--;
    if (err === undefined || refused) {
      entry.state = ACKED;
      this.#windowUnacked--;
      if (!refused) this.#sent++;
      if (!this.#connected) {
        this.#log.info({ outageMs: Date.now() - this.#outageStartedAt, failures: this.#publishFailures, depth: this.depth }, 'outbox publishing again');
      }
      this.#connected = true;
      this.#probing = false;
      this.#retryAttempts = 0;
      let frontier = this.#frontier;
      while (this.#window.peek()?.state === ACKED) frontier = (this.#window.shift() as Entry).seq;
      if (frontier > this.#frontier) {
        this.#frontier = frontier;
        this.#journal.acknowledge(frontier);
      }
    } else {
      entry.state = FAILED;
      this.#publishFailures++;
      if (!this.#failing && this.#connected) {
        this.#outageStartedAt = Date.now();
        this.#log.warn({ err: errorMessage(err), id: entry.item.id, subject: entry.item.subject }, 'outbox publish failed; resending with back-off');
      }
      this.#failing = true;
      this.#connected = false;
    }
    if (this.#inFlight === 0) this.#onInFlightDrained?.();
    if (this.#failing && this.#inFlight === 0) this.#recover();
    else this.#schedulePump();
    this.#notifyIfIdle();
  }

  /**
   * After a failure, once nothing is in flight: everything from the first unacknowledged item on goes
   * back to the front, in order — acknowledged ones after it included (their ids absorb the duplicate)
   * — and is sent again after a back-off. Sending always restarts from one point, so an item is never
   * overtaken by more than `maxInFlight` others, however often publishes fail.
   */
  #recover(): void {
    this.#failing = false;
    const again = this.#window.drain();
    for (const e of again) e.state = QUEUED;
    this.#windowUnacked = 0;
    const resend = new Deque<Entry>(again.length + this.#resend.length);
    for (const e of again) resend.push(e);
    for (const e of this.#resend) resend.push(e);
    this.#resend = resend;
    if (this.#stopping) return;
    const delay = Math.min(this.#o.retry.maxMs, this.#o.retry.initialMs * 2 ** Math.min(this.#retryAttempts, 30));
    this.#retryAttempts++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#probing = true;
      this.#pump();
    }, delay);
    this.#retryTimer.unref();
  }

  /** A publish that never settles must not stall the pipeline forever. */
  #armWatchdog(): void {
    if (this.#watchdog || this.#closed) return;
    this.#watchdog = setTimeout(() => {
      this.#watchdog = undefined;
      const cutoff = Date.now() - this.#o.publishTimeoutMs;
      const hung = [...this.#window].filter((e) => e.state === IN_FLIGHT && e.sentAt <= cutoff);
      for (const e of hung) {
        this.#settle(e, e.attempt, new TimeoutError(`publish of ${e.item.id} not acknowledged within ${this.#o.publishTimeoutMs}ms`));
      }
      if (this.#inFlight > 0) this.#armWatchdog();
    }, Math.max(10, Math.floor(this.#o.publishTimeoutMs / 2)));
    this.#watchdog.unref();
  }

  #inFlightDrained(timeoutMs: number): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#onInFlightDrained = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#onInFlightDrained = done;
    });
  }

  #notifyIfIdle(): void {
    if (this.#waiters.size === 0 || this.depth !== 0) return;
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
    this.#waiters.clear();
  }

  // ---- the journal ----

  #maybeRead(): void {
    if (this.#reading || this.#readRetryTimer || this.#stopping || this.#journal.unread === 0) return;
    const batch = Math.min(READ_BATCH, this.#o.memoryCapacity);
    const room = this.#o.memoryCapacity - this.#mem.length - this.#readAhead.length;
    if (room <= 0 || this.#readAhead.length >= Math.max(1, batch >> 1)) return;
    const want = Math.min(room, batch - this.#readAhead.length);
    this.#reading = this.#journal
      .read(want, READ_MAX_BYTES, (records) => {
        for (const r of records) this.#readAhead.push({ seq: r.seq, item: r.item, journaled: true, state: QUEUED, attempt: 0, sentAt: 0 });
      })
      .then(
        () => {
          this.#readFailures = 0;
        },
        (err: unknown) => {
          if (this.#readFailures++ === 0) this.#log.error({ err, journalDir: this.#o.journalDir }, 'outbox journal read failed; retrying');
          this.#readRetryTimer = setTimeout(() => {
            this.#readRetryTimer = undefined;
            this.#schedulePump();
          }, ioRetryDelay(this.#readFailures));
          this.#readRetryTimer.unref();
        },
      )
      .finally(() => {
        this.#reading = undefined;
        this.#schedulePump();
      });
  }

  #spill(record: EncodedRecord): void {
    if (record.bytes > this.#o.journalMaxBytes) {
      this.#countDrop(record.item);
      this.#logDrops();
      return;
    }
    if (this.#writeFailures > 0 && this.#pending.length >= Math.max(MIN_PENDING_CAP, this.#o.memoryCapacity)) {
      // The journal cannot be written: the least severe, oldest waiting item (the new one included) goes.
      const victim = leastSevereOldest(this.#pending);
      if (!victim || dropRank(record.item.severity) < dropRank(victim.record.item.severity)) {
        this.#countDrop(record.item);
        this.#logDrops();
        return;
      }
      this.#pending.splice(victim.index, 1);
      this.#pendingBytes -= victim.record.bytes;
      this.#countDrop(victim.record.item);
      this.#logDrops();
    }
    this.#pending.push(record);
    this.#pendingBytes += record.bytes;
    this.#startWriter();
  }

  #startWriter(): void {
    this.#flushing ??= this.#writeLoop()
      .catch((err: unknown) => this.#log.error({ err, journalDir: this.#o.journalDir }, 'outbox journal writer failed; restarting'))
      .finally(() => {
        this.#flushing = undefined;
        // Items may have arrived after the loop's last look.
        if (this.#pending.length > 0 && !this.#closed) this.#startWriter();
      });
  }

  async #writeLoop(): Promise<void> {
    // Let a burst of enqueues accumulate so that it becomes one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#pending.length > 0 && !this.#closed) {
      try {
        await this.#makeRoom();
      } catch (err) {
        this.#log.error({ err, journalDir: this.#o.journalDir }, 'outbox journal compaction failed; appending anyway');
      }
      const batch = this.#takePending();
      if (batch.length === 0) break;
      const result = await this.#journal.append(batch);
      this.#writing = 0;
      this.#spilled += result.appended;
      if (result.error === undefined) {
        this.#writeFailures = 0;
        this.#schedulePump();
        continue;
      }
      // Keep exactly what was not written, ahead of anything newer.
      const rest = batch.slice(result.appended);
      this.#pending = rest.concat(this.#pending);
      this.#pendingBytes = this.#pending.reduce((n, r) => n + r.bytes, 0);
      if (this.#writeFailures++ === 0) this.#log.error({ err: result.error, journalDir: this.#o.journalDir }, 'outbox journal write failed; retrying');
      this.#schedulePump();
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#wakeWriter = undefined;
          resolve();
        };
        const timer = setTimeout(wake, ioRetryDelay(this.#writeFailures));
        this.#wakeWriter = wake;
      });
    }
  }

  #takePending(): EncodedRecord[] {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = batch.length;
    return batch;
  }

  /**
   * Keeps the journal within `journalMaxBytes` (the pending items counted as if written): gives up
   * unread items, least severe first and oldest first within a severity — journaled ones (older)
   * before pending ones. Freeing a segment means rewriting it, so the journal frees 1/16 of its limit
   * beyond what is needed — but never moves to a more severe level just for that margin.
   */
  async #makeRoom(): Promise<void> {
    const slack = Math.floor(this.#o.journalMaxBytes / 16);
    for (const severity of DROP_ORDER) {
      const over = this.#journal.bytes + this.#pendingBytes - this.#o.journalMaxBytes;
      if (over <= 0) break;
      if (this.#journal.unreadOf(severity) > 0) {
        await this.#journal.dropOldest(severity, over + slack, (record) => this.#countDrop(record.item));
      }
      const still = this.#journal.bytes + this.#pendingBytes - this.#o.journalMaxBytes;
      if (still > 0) this.#dropPending(severity, still);
    }
    this.#logDrops();
    this.#notifyIfIdle();
  }

  #dropPending(severity: Severity, needBytes: number): void {
    let freed = 0;
    const kept: EncodedRecord[] = [];
    for (const record of this.#pending) {
      if (freed < needBytes && record.item.severity === severity) {
        freed += record.bytes;
        this.#countDrop(record.item);
      } else kept.push(record);
    }
    this.#pending = kept;
    this.#pendingBytes -= freed;
  }

  #countDrop(item: OutboxItem): void {
    this.#dropped[item.severity]++;
    this.#droppedSinceLog[item.severity]++;
    this.#reportDrop(item, 'journal_full');
  }

  #reportDrop(item: OutboxItem, reason: 'journal_full' | 'bus_rejected'): void {
    if (!this.#o.onDrop) return;
    try {
      this.#o.onDrop({ id: item.id, severity: item.severity, subject: item.subject }, reason);
    } catch (err) {
      this.#log.error({ err, id: item.id }, 'outbox onDrop callback failed');
    }
  }

  /** One line per burst of drops (at most every 10 s), not one per item. */
  #logDrops(): void {
    const since = this.#droppedSinceLog;
    if (since.low + since.medium + since.high + since.critical === 0) return;
    const now = Date.now();
    if (now - this.#lastDropLogAt < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLogAt = now;
    this.#log.warn(
      { dropped: since, journalBytes: this.#journal.bytes, journalMaxBytes: this.#o.journalMaxBytes },
      'outbox journal full; dropping the oldest least-severe items',
    );
    this.#droppedSinceLog = { critical: 0, high: 0, medium: 0, low: 0 };
  }
}

function ioRetryDelay(failures: number): number {
  return Math.min(IO_RETRY_MAX_MS, 100 * 2 ** Math.min(Math.max(0, failures - 1), 10));
}

function leastSevereOldest(records: readonly EncodedRecord[]): { index: number; record: EncodedRecord } | undefined {
  let best: { index: number; record: EncodedRecord } | undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as EncodedRecord;
    if (!best || dropRank(record.item.severity) < dropRank(best.record.item.severity)) best = { index: i, record };
    if (dropRank(best.record.item.severity) === 0) break;
  }
  return best;
}

function describeId(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id.slice(0, 256) : undefined;
}

const SEVERITIES: ReadonlySet<unknown> = new Set(DROP_ORDER);

/** The first problem with an item, or undefined. */
function itemIssue(item: unknown): ValidationIssue | undefined {
  if (typeof item !== 'object' || item === null) return { path: '', message: 'must be an object' };
  const i = item as Record<string, unknown>;
  if (typeof i.id !== 'string' || i.id === '') return { path: 'id', message: 'must be a non-empty string' };
  if (typeof i.subject !== 'string' || i.subject === '') return { path: 'subject', message: 'must be a non-empty string' };
  if (typeof i.body !== 'string') return { path: 'body', message: 'must be a string (encoded JSON)' };
  if (!SEVERITIES.has(i.severity)) return { path: 'severity', message: `must be one of ${DROP_ORDER.join(', ')}` };
  if (i.enqueuedAt !== undefined && (typeof i.enqueuedAt !== 'number' || !Number.isFinite(i.enqueuedAt))) {
    return { path: 'enqueuedAt', message: 'must be a finite number of epoch milliseconds' };
  }
  return undefined;
}

/**
 * Applies defaults and checks every option, reporting all problems at once.
 * @throws InputError naming each invalid option.
 */
function resolveOptions(options: OutboxOptions): ResolvedOptions {
  const issues: ValidationIssue[] = [];
  const int = (path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      issues.push({ path, message: `must be an integer from ${min} to ${max}, got ${show(value)}` });
      return min;
    }
    return value;
  };
  const fn = <F>(path: string, value: unknown, required: boolean): F | undefined => {
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'function') issues.push({ path, message: `must be a function, got ${show(value)}` });
    return value as F;
  };
  if (typeof options !== 'object' || options === null) throw new InputError('outbox options must be an object', [{ path: '', message: 'must be an object' }]);
  const memoryCapacity = int('memoryCapacity', options.memoryCapacity, 1, 10_000_000);
  if (typeof options.journalDir !== 'string' || options.journalDir.trim() === '') {
    issues.push({ path: 'journalDir', message: `must be a non-empty path, got ${show(options.journalDir)}` });
  }
  const journalMaxBytes = int('journalMaxBytes', options.journalMaxBytes, MIN_JOURNAL_MAX_BYTES);
  const publish = fn<ResolvedOptions['publish']>('publish', options.publish, true);
  const maxInFlight = options.maxInFlight === undefined ? DEFAULT_MAX_IN_FLIGHT : int('maxInFlight', options.maxInFlight, 1, 100_000);
  const retry = options.retry ?? DEFAULT_RETRY;
  const initialMs = int('retry.initialMs', retry.initialMs, 1, 3_600_000);
  const maxMs = int('retry.maxMs', retry.maxMs, 1, 3_600_000);
  if (maxMs < initialMs) issues.push({ path: 'retry.maxMs', message: `must be at least retry.initialMs (${initialMs}), got ${maxMs}` });
  const publishTimeoutMs = options.publishTimeoutMs === undefined ? DEFAULT_PUBLISH_TIMEOUT_MS : int('publishTimeoutMs', options.publishTimeoutMs, 1, 3_600_000);
  const closeTimeoutMs = options.closeTimeoutMs === undefined ? DEFAULT_CLOSE_TIMEOUT_MS : int('closeTimeoutMs', options.closeTimeoutMs, 0, 3_600_000);
  const segmentBytes =
    options.segmentBytes === undefined
      ? Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(journalMaxBytes / 8)))
      : int('segmentBytes', options.segmentBytes, 256, 1024 * 1024 * 1024);
  const syncIntervalMs = options.syncIntervalMs === undefined ? DEFAULT_SYNC_INTERVAL_MS : int('syncIntervalMs', options.syncIntervalMs, 1, 60_000);
  const now = fn<() => number>('now', options.now, false);
  const onDrop = fn<OutboxOptions['onDrop']>('onDrop', options.onDrop, false);
  if (issues.length > 0) {
    throw new InputError(`invalid outbox options: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  return {
    memoryCapacity,
    journalDir: options.journalDir,
    journalMaxBytes,
    publish: publish as ResolvedOptions['publish'],
    maxInFlight,
    retry: { initialMs, maxMs },
    publishTimeoutMs,
    closeTimeoutMs,
    segmentBytes,
    syncIntervalMs,
    logger: options.logger ?? silentLogger(),
    now: now ?? Date.now,
    onDrop,
  };
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64));
  try {
    return String(JSON.stringify(value)).slice(0, 64);
  } catch {
    return typeof value;
  }
}

/** An error no resend can cure: the bus refused this message itself (too large, invalid). */
function isPermanent(err: unknown): boolean {
  return err instanceof AetheriusError && !err.retryable;
}
