/**
 * Accepted events wait here until a batch fills or the flush interval passes, then go to the database
 * in one statement. A message is acked only after its batch is stored, so a crash or a database error
 * loses nothing: unacked messages are redelivered and duplicates are dropped by event id.
 */
import { InputError, type AgentEvent } from '../contracts/index.js';
import type { DurableMessage } from '../adapters/bus/index.js';
import type { EventRepository } from '../adapters/store/index.js';
import type { Logger, Metrics } from '../adapters/telemetry/index.js';
import { tracer } from '../adapters/telemetry/index.js';

export interface EventBatcherOptions {
  batchSize: number;
  flushIntervalMs: number;
}

interface Pending {
  event: AgentEvent;
  msg: DurableMessage;
}

export class EventBatcher {
  readonly #events: EventRepository;
  readonly #options: EventBatcherOptions;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(events: EventRepository, options: EventBatcherOptions, logger: Logger, metrics: Metrics) {
    this.#events = events;
    this.#options = options;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  add(event: AgentEvent, msg: DurableMessage): void {
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
    if (this.#pending.length === 0) return this.#flushing;
    const batch = this.#pending;
    this.#pending = [];
    // One batch at a time keeps statements from competing for the same rows.
    this.#flushing = this.#flushing.then(() => this.#write(batch));
    return this.#flushing;
  }

  async #write(batch: Pending[]): Promise<void> {
    const span = tracer().startSpan('manager.events.insert_batch', { attributes: { 'aetherius.batch.size': batch.length } });
    try {
      await this.#insert(batch);
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

  async #insert(batch: Pending[]): Promise<void> {
    const { inserted, duplicates } = await this.#events.insertMany(batch.map((p) => p.event));
    for (const p of batch) p.msg.ack();
    this.#metrics.storedEvents.inc({ result: 'inserted' }, inserted);
    if (duplicates) this.#metrics.storedEvents.inc({ result: 'duplicate' }, duplicates);
    this.#logger.debug({ inserted, duplicates }, 'event batch stored');
  }

  async #isolate(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        await this.#insert([p]);
      } catch (err) {
        if (err instanceof InputError) {
          p.msg.term(err.message);
          this.#metrics.rejectedMessages.inc({ subject: 'aetherius.agent.*.event', reason: 'store_rejected' });
          this.#logger.warn({ err, eventId: p.event.id, clusterId: p.event.cluster_id }, 'event refused by the database; dropped');
        } else {
          p.msg.nak(Math.min(30_000, 500 * p.msg.deliveryCount));
          this.#logger.error({ err, eventId: p.event.id }, 'event not stored; it will be redelivered');
        }
      }
    }
  }
}
