/**
 * Accepted events wait here until a batch fills or the flush interval passes, then go to the database
 * in one statement (which also folds repeats into aggregates, see the event repository). Up to
 * `concurrency` batches are written at once, each on its own connection. A message is acked only after
 * its batch is stored (and `onStored` has seen the new events), so a crash or a database error loses
 * nothing: unacked messages are redelivered and duplicates are dropped by event id.
 */
import { InputError, errorMessage, type AgentEvent } from '../contracts/index.js';
import type { DurableMessage } from '../adapters/bus/index.js';
import type { EventRepository } from '../adapters/store/index.js';
import type { Logger, Metrics } from '../adapters/telemetry/index.js';
import { tracer } from '../adapters/telemetry/index.js';

export interface EventBatcherOptions {
  /** Events per statement (`manager.ingest_batch_size`). */
  batchSize: number;
  /** Longest wait for a batch to fill (`manager.ingest_flush_interval`). */
  flushIntervalMs: number;
  /** Batches written at once (`manager.ingest_concurrency`). Default 1. */
  concurrency?: number;
  /** Repeats within windows of this length fold into one stored event (`manager.event_aggregation_window`). Default 10 min. */
  aggregationWindowMs?: number;
  /**
   * Called with the events of a batch that were new (not duplicates), after the batch is stored and
   * before its messages are acked; batches written at once may call it concurrently and in any order.
   * A rejection is logged and counted and the messages are acked anyway (the events are stored); a call
   * that takes longer than `onStoredTimeoutMs` stops holding the ack back.
   */
  onStored?: (events: readonly AgentEvent[]) => Promise<void>;
  /** Default 10 s, below the consumer's ack wait. */
  onStoredTimeoutMs?: number;
  /**
   * Events held (waiting or being written) above which `room()` waits: the consumer's handler awaits
   * it, so a process never takes more than it can store soon. Default batchSize × (concurrency + 2) × 2.
   */
  maxHeldEvents?: number;
  /**
   * Every this often, messages still held are marked in progress (`working()`), so that a backlog
   * being worked through is not redelivered while a dead process's messages still are after the ack
   * wait. Default 10 s (a third of the default ack wait); 0 turns it off.
   */
  progressIntervalMs?: number;
}

export const DEFAULT_ON_STORED_TIMEOUT_MS = 10_000;
const EVENT_SUBJECT = 'aetherius.agent.*.event';

interface Pending {
  event: AgentEvent;
  msg: DurableMessage;
}

export class EventBatcher {
  readonly #events: EventRepository;
  readonly #options: EventBatcherOptions;
  readonly #concurrency: number;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Batches taken and not yet settled. */
  readonly #inFlight = new Set<Promise<void>>();
  #writing = 0;
  readonly #slotWaiters: (() => void)[] = [];
  /** Events taken and not yet settled (pending plus in batches being written). */
  #held = 0;
  readonly #heldMessages = new Map<DurableMessage, number>();
  readonly #maxHeld: number;
  readonly #roomWaiters: (() => void)[] = [];
  #progressTimer: NodeJS.Timeout | undefined;

  constructor(events: EventRepository, options: EventBatcherOptions, logger: Logger, metrics: Metrics) {
    this.#events = events;
    this.#options = options;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.#maxHeld = Math.max(1, options.maxHeldEvents ?? options.batchSize * (this.#concurrency + 2) * 2);
    this.#logger = logger;
    this.#metrics = metrics;
    const every = options.progressIntervalMs ?? 10_000;
    if (every > 0) {
      this.#progressTimer = setInterval(() => {
        for (const msg of this.#heldMessages.keys()) msg.working();
      }, every);
      this.#progressTimer.unref();
    }
  }

  /** Resolves once fewer than `maxHeldEvents` events are held (at once when there is room). */
  room(): Promise<void> {
    if (this.#held < this.#maxHeld) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Stops the progress timer; what is held stays until flushed. */
  close(): void {
    clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
  }

  #hold(msg: DurableMessage): void {
    this.#held++;
    this.#heldMessages.set(msg, (this.#heldMessages.get(msg) ?? 0) + 1);
  }

  #release(batch: readonly Pending[]): void {
    for (const p of batch) {
      this.#held--;
      const n = (this.#heldMessages.get(p.msg) ?? 1) - 1;
      if (n <= 0) this.#heldMessages.delete(p.msg);
      else this.#heldMessages.set(p.msg, n);
    }
    while (this.#held < this.#maxHeld && this.#roomWaiters.length) this.#roomWaiters.shift()?.();
  }

  add(event: AgentEvent, msg: DurableMessage): void {
    this.#hold(msg);
    this.#pending.push({ event, msg });
    if (this.#pending.length >= this.#options.batchSize) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Writes what is pending; resolves when every batch taken so far is settled. Never rejects. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      const done: Promise<void> = this.#run(batch).finally(() => this.#inFlight.delete(done));
      this.#inFlight.add(done);
    }
    return Promise.all([...this.#inFlight]).then(() => undefined);
  }

  async #run(batch: Pending[]): Promise<void> {
    await this.#acquire();
    try {
      await this.#write(batch);
    } catch (err) {
      // #write settles every message itself; this is a last guard so that a bug cannot leave a batch
      // unsettled until the ack wait, nor reject flush().
      this.#logger.error({ err, size: batch.length }, 'event batch failed unexpectedly; messages will be redelivered');
      for (const p of batch) p.msg.nak(Math.min(30_000, 500 * p.msg.deliveryCount));
    } finally {
      this.#releaseSlot();
      this.#release(batch);
    }
  }

  #acquire(): Promise<void> {
    if (this.#writing < this.#concurrency) {
      this.#writing++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#slotWaiters.push(resolve));
  }

  #releaseSlot(): void {
    const next = this.#slotWaiters.shift();
    if (next) next();
    else this.#writing--;
  }

  async #write(batch: Pending[]): Promise<void> {
    const span = tracer().startSpan('manager.events.insert_batch', { attributes: { 'aetherius.batch.size': batch.length } });
    try {
      const stored = await this.#insert(batch);
      await this.#notify(stored);
      for (const p of batch) p.msg.ack();
    } catch (err) {
      span.recordException(err as Error);
      if (err instanceof InputError) {
        // The database refused a value the schema let through: find the culprits one by one so that
        // one bad event cannot hold the rest of its batch hostage.
        await this.#isolate(batch);
      } else {
        for (const p of batch) p.msg.nak(Math.min(30_000, 500 * p.msg.deliveryCount));
        this.#logger.error({ err, size: batch.length }, 'event batch not stored; messages will be redelivered');
      }
    } finally {
      span.end();
    }
  }

  /** Stores the batch; returns its new events. @throws what insertMany throws. */
  async #insert(batch: readonly Pending[]): Promise<AgentEvent[]> {
    const window = this.#options.aggregationWindowMs;
    const { inserted, duplicates, stored } = await this.#events.insertMany(
      batch.map((p) => p.event),
      window === undefined ? undefined : { aggregationWindowMs: window },
    );
    this.#metrics.storedEvents.inc({ result: 'inserted' }, inserted);
    if (duplicates) this.#metrics.storedEvents.inc({ result: 'duplicate' }, duplicates);
    this.#logger.debug({ inserted, duplicates }, 'event batch stored');
    return stored;
  }

  async #isolate(batch: Pending[]): Promise<void> {
    const stored: AgentEvent[] = [];
    const done: Pending[] = [];
    for (const p of batch) {
      try {
        stored.push(...(await this.#insert([p])));
        done.push(p);
      } catch (err) {
        if (err instanceof InputError) {
          p.msg.term(err.message);
          this.#metrics.rejectedMessages.inc({ subject: EVENT_SUBJECT, reason: 'store_rejected' });
          this.#logger.warn({ err, eventId: p.event.id, clusterId: p.event.cluster_id }, 'event refused by the database; dropped');
        } else {
          p.msg.nak(Math.min(30_000, 500 * p.msg.deliveryCount));
          this.#logger.error({ err, eventId: p.event.id }, 'event not stored; it will be redelivered');
        }
      }
    }
    await this.#notify(stored);
    for (const p of done) p.msg.ack();
  }

  /** Hands the new events to `onStored`; never throws, never waits past the timeout. */
  async #notify(stored: readonly AgentEvent[]): Promise<void> {
    const hook = this.#options.onStored;
    if (!hook || stored.length === 0) return;
    const timeoutMs = this.#options.onStoredTimeoutMs ?? DEFAULT_ON_STORED_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    let call: Promise<void>;
    try {
      call = Promise.resolve(hook(stored));
    } catch (err) {
      call = Promise.reject(err instanceof Error ? err : new Error(errorMessage(err)));
    }
    try {
      const outcome = await Promise.race([call.then(() => 'ok' as const), timedOut]);
      if (outcome === 'timeout') {
        this.#metrics.handledMessages.inc({ subject: EVENT_SUBJECT, outcome: 'on_stored_timeout' }, stored.length);
        this.#logger.warn({ events: stored.length, timeoutMs }, 'onStored took too long; acking the stored batch anyway');
        // Its eventual failure still gets logged, once.
        call.catch((err: unknown) => this.#logger.error({ err: errorMessage(err), events: stored.length }, 'onStored failed after its timeout'));
      }
    } catch (err) {
      this.#metrics.handledMessages.inc({ subject: EVENT_SUBJECT, outcome: 'on_stored_failed' }, stored.length);
      this.#logger.error({ err: errorMessage(err), events: stored.length }, 'onStored failed; the events are stored and acked');
    } finally {
      clearTimeout(timer);
    }
  }
}
