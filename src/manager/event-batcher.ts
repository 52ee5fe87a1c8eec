/**
 * Accepted events wait here until a batch fills or the flush interval passes, then go to the database
 * in one statement. A message is acked only after its batch is stored, so a crash or a database error
 * loses nothing: unacked messages are redelivered and duplicates are dropped by event id.
 */
import type { AgentEvent } from '../contracts/index.js';
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
      const { inserted, duplicates } = await this.#events.insertMany(batch.map((p) => p.event));
      for (const p of batch) p.msg.ack();
      this.#metrics.storedEvents.inc({ result: 'inserted' }, inserted);
      if (duplicates) this.#metrics.storedEvents.inc({ result: 'duplicate' }, duplicates);
      this.#logger.debug({ inserted, duplicates }, 'event batch stored');
    } catch (err) {
      for (const p of batch) p.msg.nak(Math.min(30_000, 500 * p.msg.deliveryCount));
      this.#logger.error({ err, size: batch.length }, 'event batch not stored; messages will be redelivered');
      span.recordException(err as Error);
    } finally {
      span.end();
    }
  }
}
