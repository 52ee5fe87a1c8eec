/**
 * A bounded queue in front of remote write: ingestion pushes samples and moves on; one request at a
 * time drains them in order (Prometheus refuses a series' samples out of order). A failure a retry may
 * cure (5xx, 429, network, timeout) is retried with back-off, holding the queue; a request the receiver
 * refuses for good is dropped and counted. When the queue is full the oldest samples are dropped and
 * counted: PostgreSQL keeps every sample whatever happens here.
 */
import { errorMessage, isAetheriusError } from '../../contracts/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { RemoteWriteSeries } from './remote-write.js';

export interface QueuedSample {
  /** Including `__name__`. */
  labels: Record<string, string>;
  /** Unix ms. */
  t: number;
  v: number;
}

export type RemoteWriteDropReason = 'queue_full' | 'rejected' | 'shutdown';

export interface RemoteWriteQueueOptions {
  client: { remoteWrite(series: readonly RemoteWriteSeries[]): Promise<void> };
  /** Samples held at most. */
  capacity: number;
  /** Samples per request. */
  maxSamplesPerRequest: number;
  logger: Logger;
  onSent?: (samples: number) => void;
  onDropped?: (samples: number, reason: RemoteWriteDropReason) => void;
  /** First retry delay, doubled per failure up to retryMaxMs. Defaults 1 s and 30 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export class RemoteWriteQueue {
  readonly #o: RemoteWriteQueueOptions;
  #queue: QueuedSample[] = [];
  #head = 0;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(o: RemoteWriteQueueOptions) {
    this.#o = o;
  }

  /** Samples waiting (not counting a request in flight). */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  push(samples: readonly QueuedSample[]): void {
    if (this.#stopped || samples.length === 0) return;
    for (const s of samples) this.#queue.push(s);
    const over = this.size - this.#o.capacity;
    if (over > 0) {
      this.#head += over;
      this.#o.onDropped?.(over, 'queue_full');
      this.#o.logger.warn({ dropped: over, capacity: this.#o.capacity }, 'remote-write queue full: oldest samples dropped');
    }
    this.#compact();
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves once everything pushed so far was sent or dropped (or the queue was stopped). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops sending; a request in flight finishes; what is still queued is dropped (counted). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
    if (this.size > 0) this.#o.onDropped?.(this.size, 'shutdown');
    this.#queue = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  async #drain(): Promise<void> {
    let delay = this.#o.retryMinMs ?? 1000;
    while (!this.#stopped && this.size > 0) {
      const n = Math.min(this.size, this.#o.maxSamplesPerRequest);
      // Taken off the queue while in flight, so overflow drops only what waits behind it.
      const batch = this.#queue.slice(this.#head, this.#head + n);
      this.#head += n;
      this.#compact();
      try {
        await this.#o.client.remoteWrite(toSeries(batch));
        this.#o.onSent?.(batch.length);
        delay = this.#o.retryMinMs ?? 1000;
      } catch (err) {
        if (isAetheriusError(err) && !err.retryable) {
          this.#o.onDropped?.(batch.length, 'rejected');
          this.#o.logger.warn({ err: errorMessage(err), samples: batch.length }, 'remote write refused; samples dropped');
          continue;
        }
        // Back at the front, in order, to be retried first.
        this.#queue = [...batch, ...this.#queue.slice(this.#head)];
        this.#head = 0;
        this.#o.logger.warn({ err: errorMessage(err), samples: batch.length, retryInMs: delay }, 'remote write failed; retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          timer.unref();
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        delay = Math.min(delay * 2, this.#o.retryMaxMs ?? 30_000);
      }
    }
  }
}

/** Groups samples into series (labels sorted by the encoder), each series' samples in time order. */
export function toSeries(samples: readonly QueuedSample[]): RemoteWriteSeries[] {
  const bySeries = new Map<string, RemoteWriteSeries>();
  for (const s of samples) {
    const key = JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let series = bySeries.get(key);
    if (!series) {
      series = { labels: s.labels, samples: [] };
      bySeries.set(key, series);
    }
    series.samples.push([s.t, s.v]);
  }
  for (const s of bySeries.values()) s.samples.sort((a, b) => a[0] - b[0]);
  return [...bySeries.values()];
}
