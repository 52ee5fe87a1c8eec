/**
 * Publishes the outbox's event items several to a message (ADR 0016): the items the outbox hands over
 * in one pump pass are coalesced, in order, into envelopes on `aetherius.agent.{cluster_id}.events`
 * of at most `maxEvents` events and `maxBytes` bytes, and each item's promise settles with its
 * envelope's acknowledgement. The outbox keeps its per-item bookkeeping (order, resend, journal):
 * a failed envelope fails every item in it, and they are resent (perhaps grouped differently — the
 * manager drops the duplicates by event id).
 *
 * A lone event goes out as it always did, on the single-event subject with its id as msgId: a quiet
 * cluster keeps the architecture's format, and an item too large to share a message is refused (or
 * not) by the bus on its own.
 */
import { createHash } from 'node:crypto';
import { AetheriusError, SCHEMA_VERSION } from '../../contracts/index.js';
import type { OutboxItem } from './outbox-item.js';

export const DEFAULT_MAX_EVENTS_PER_MESSAGE = 500;

export interface EventBatchPublisherOptions {
  /** The single-event subject whose items may share a message (`aetherius.agent.{id}.event`). */
  eventSubject: string;
  /** Where batches go (`aetherius.agent.{id}.events`). */
  batchSubject: string;
  clusterId: string;
  agentId?: string;
  /** Events per message; 1 turns batching off. Default 500. */
  maxEvents?: number;
  /**
   * How long the first queued event may wait for others before its message goes (Kafka's `linger.ms`):
   * a few milliseconds turn a steady trickle into batches. 0 (default): only the events handed over in
   * one pass share a message. A full batch never waits.
   */
  lingerMs?: number;
  /** Largest envelope in bytes, below the bus's max payload. Read at each flush (the bus learns its limit on connect). */
  maxBytes: () => number;
  /** Publishes one message durably (msgId set); resolves once a stream stored it. */
  send: (subject: string, body: string, msgId: string) => Promise<void>;
  /** Each item, once its message is stored (for counters). */
  onSent?: (item: OutboxItem) => void;
}

interface Waiting {
  item: OutboxItem;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class EventBatchPublisher {
  readonly #o: EventBatchPublisherOptions;
  readonly #maxEvents: number;
  readonly #prefix: string;
  readonly #lingerMs: number;
  #queue: Waiting[] = [];
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: EventBatchPublisherOptions) {
    this.#o = options;
    this.#maxEvents = Math.max(1, Math.floor(options.maxEvents ?? DEFAULT_MAX_EVENTS_PER_MESSAGE));
    this.#lingerMs = Math.max(0, options.lingerMs ?? 0);
    const head = { schema_version: SCHEMA_VERSION, cluster_id: options.clusterId, ...(options.agentId ? { agent_id: options.agentId } : {}) };
    // Event bodies are already JSON: the envelope is assembled as text, without re-encoding them.
    this.#prefix = `${JSON.stringify(head).slice(0, -1)},"events":[`;
  }

  /** The outbox's `publish`: resolves once the item's message is stored. */
  publish = (item: OutboxItem): Promise<void> => {
    if (item.subject !== this.#o.eventSubject || this.#maxEvents === 1) return this.#single(item);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#scheduled) return;
      if (this.#lingerMs > 0 && this.#queue.length < this.#maxEvents) {
        this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
        return;
      }
      this.#scheduled = true;
      // The outbox hands over a whole pipeline's worth in one synchronous pass.
      queueMicrotask(() => this.#flush());
    });
  };

  #single(item: OutboxItem): Promise<void> {
    return this.#o.send(item.subject, item.body, item.id).then(() => this.#o.onSent?.(item));
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const queue = this.#queue;
    this.#queue = [];
    const maxBytes = this.#o.maxBytes();
    let chunk: Waiting[] = [];
    let bytes = this.#prefix.length + 2;
    for (const w of queue) {
      const size = Buffer.byteLength(w.item.body) + 1;
      if (chunk.length > 0 && (chunk.length >= this.#maxEvents || bytes + size > maxBytes)) {
        this.#sendChunk(chunk);
        chunk = [];
        bytes = this.#prefix.length + 2;
      }
      chunk.push(w);
      bytes += size;
    }
    if (chunk.length > 0) this.#sendChunk(chunk);
  }

  #sendChunk(chunk: Waiting[]): void {
    const only = chunk.length === 1 ? chunk[0] : undefined;
    if (only) {
      this.#single(only.item).then(only.resolve, only.reject);
      return;
    }
    const hash = createHash('sha256');
    for (const w of chunk) hash.update(w.item.id).update('\n');
    const msgId = `batch-${hash.digest('hex').slice(0, 40)}`;
    const body = `${this.#prefix}${chunk.map((w) => w.item.body).join(',')}]}`;
    this.#o.send(this.#o.batchSubject, body, msgId).then(
      () => {
        for (const w of chunk) {
          this.#o.onSent?.(w.item);
          w.resolve();
        }
      },
      (err: unknown) => {
        // Refused for good (too large for a server whose limit is below what we were told): each event
        // on its own, so the bus judges them one by one and none is dropped for its neighbours' sake.
        if (err instanceof AetheriusError && !err.retryable) {
          for (const w of chunk) this.#single(w.item).then(w.resolve, w.reject);
        } else {
          for (const w of chunk) w.reject(err);
        }
      },
    );
  }
}
