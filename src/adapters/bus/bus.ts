/**
 * The message bus behind one small interface. Two adapters implement it: `NatsBus` (real NATS with
 * JetStream) and `MemoryBus` (in-process, the embedded default). One contract suite
 * (test/bus-contract.ts) runs unchanged against both; semantics are recorded in
 * docs/adr/0002-bus-semantics.md.
 *
 * Subjects used by application code are exactly the architecture's (`aetherius.agent.{cluster_id}.event`);
 * an adapter may map them onto a namespace on the wire (`BusOptions.namespace`) so that test runs and
 * tenants sharing one NATS server never collide.
 */

export type Headers = Readonly<Record<string, string>>;

/** What can be published: raw bytes, a UTF-8 string, or any other value (JSON-encoded). */
export type Payload = Uint8Array | string | object;

export interface BusMessage {
  /** The application subject (without any namespace). */
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Headers;
  /** UTF-8 text of `data`. */
  string(): string;
  /**
   * `data` parsed as JSON.
   * @throws InputError when the payload is not valid JSON.
   */
  json(): unknown;
  /** True when the sender waits for a reply (request/reply). */
  readonly replyable: boolean;
  /**
   * Answers a request. A no-op returning false when the message expects no reply.
   */
  respond(payload: Payload, options?: { headers?: Headers }): boolean;
}

/** A message delivered from a durable stream: it must be settled (ack, nak or term). */
export interface DurableMessage extends BusMessage {
  readonly stream: string;
  /** Position in the stream, starting at 1. */
  readonly seq: number;
  /** 1 on the first delivery, 2 on the first redelivery, ... */
  readonly deliveryCount: number;
  readonly redelivered: boolean;
  /** Done: never deliver again to this consumer. */
  ack(): void;
  /** Not done: deliver again, after `delayMs` if given. */
  nak(delayMs?: number): void;
  /** Never deliver again, and do not count it as done. */
  term(reason?: string): void;
  /** Still working: extends the ack deadline. */
  working(): void;
}

/** A message read back from a stream (`Bus.lastMessage`): replying to it does nothing. */
export interface StoredBusMessage extends BusMessage {
  readonly stream: string;
  readonly seq: number;
  /** When the stream stored it, ms since the epoch. */
  readonly storedAt: number;
}

export interface StreamDefinition {
  /** Logical name, e.g. `EVENTS`; adapters may prefix it with the namespace. */
  name: string;
  /** Application subjects captured (wildcards `*` and `>` allowed). */
  subjects: string[];
  description?: string;
  /** Discard messages older than this (0 = keep forever). */
  maxAgeMs?: number;
  /** Cap on stored messages (0 or undefined = unlimited). */
  maxMsgs?: number;
  /** Window in which a repeated `msgId` is dropped as a duplicate. Default 2 minutes. */
  duplicateWindowMs?: number;
}

export interface PublishOptions {
  headers?: Headers;
  /**
   * Idempotency key: a second publish with the same id within the stream's duplicate window is
   * acknowledged but not stored again. Setting it makes the publish durable: it resolves only once a
   * stream stored the message, and fails (NoRespondersError) when no stream captures the subject —
   * never silently falls back to a fire-and-forget publish.
   */
  msgId?: string;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to exactly one member of the group. */
  queue?: string;
  /**
   * Handlers running at once (default 1: one after the other, in order). More lets a handler that
   * waits on a database keep up with thousands of agents; order is then not kept. Adapters may run fewer.
   */
  concurrency?: number;
}

export interface ConsumeOptions {
  /** Logical stream name (as in `StreamDefinition.name`). */
  stream: string;
  /**
   * Durable consumer name. Every process consuming with the same name shares the work: each message
   * is delivered to one of them (and redelivered to any of them if not acked).
   */
  durable: string;
  /** Only messages on this application subject (wildcards allowed). Default: the whole stream. */
  filterSubject?: string;
  /**
   * `auto` (default): the adapter acks when the handler resolves and naks (with back-off) when it
   * throws, unless the handler settled the message itself. `manual`: the handler must settle; a
   * message left unsettled is redelivered after `ackWaitMs` (a handler that throws still gets its
   * unsettled message nak'ed with back-off). Either way one subscription runs one handler at a time.
   */
  ack?: 'auto' | 'manual';
  /** How long a delivered message may stay unsettled before redelivery. Default 30s. */
  ackWaitMs?: number;
  /** Give up after this many deliveries (the message is then dropped from this consumer). Default 10. */
  maxDeliver?: number;
  /**
   * Delivered but unsettled messages allowed at once for this durable consumer (all processes sharing
   * it together); deliveries pause at the limit. Default 256.
   */
  maxAckPending?: number;
  /**
   * Messages one process asks the server for ahead of its handler (at most `maxAckPending`). Larger
   * batches cost fewer round trips per message (a high-rate consumer that settles in batches wants
   * hundreds); smaller ones spread work more evenly over processes. Default 32.
   */
  prefetch?: number;
  /** Where a new durable consumer starts. Default `all`. */
  deliverPolicy?: 'all' | 'new';
}

export interface RequestOptions {
  /** Reject with TimeoutError after this long. */
  timeoutMs: number;
  headers?: Headers;
}

export interface Subscription {
  /** The subscribed subject; for a durable consumer its filter subject, or `>` for the whole stream. */
  readonly subject: string;
  /** Stops delivery; in-flight handlers finish first. */
  unsubscribe(): Promise<void>;
}

export type MessageHandler = (msg: BusMessage) => void | Promise<void>;
export type DurableHandler = (msg: DurableMessage) => void | Promise<void>;

export interface Bus {
  readonly kind: 'nats' | 'memory';
  /** Largest message the bus accepts (a NATS server's `max_payload`); publishing more throws PayloadTooLargeError. */
  readonly maxPayloadBytes: number;
  /**
   * Creates the streams, or updates them to match, idempotently. Safe to call from every replica at
   * start.
   * @throws BusError when the server refuses (e.g. overlapping subjects with a foreign stream).
   */
  ensureStreams(streams: readonly StreamDefinition[]): Promise<void>;
  /**
   * Publishes one message. On a subject captured by a durable stream the promise resolves only once
   * the stream has stored it; elsewhere it resolves once the message is handed to the transport.
   * @throws InputError when the subject (wildcards, empty tokens, spaces) or a header is invalid.
   * @throws PayloadTooLargeError when the message is over `maxPayloadBytes` (not retryable).
   * @throws NoRespondersError when `msgId` is set and no stream captures the subject.
   * @throws BusError when the message cannot be published or stored, or the bus is closed.
   */
  publish(subject: string, payload: Payload, options?: PublishOptions): Promise<void>;
  /**
   * Core (non-durable) subscription; handler errors are logged, never thrown back.
   * @throws InputError when the subject is invalid; BusError when the bus is closed.
   */
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): Subscription;
  /**
   * Consumes a durable stream through a named durable consumer (created if missing).
   * @throws BusError (asynchronously, via the returned promise) when the stream does not exist.
   */
  consume(options: ConsumeOptions, handler: DurableHandler): Promise<Subscription>;
  /**
   * Sends a request and waits for the first reply.
   * @throws TimeoutError when no reply arrives within `timeoutMs`.
   * @throws NoRespondersError when nobody subscribes to the subject.
   */
  request(subject: string, payload: Payload, options: RequestOptions): Promise<BusMessage>;
  /**
   * The newest message `stream` holds on `subject` (no wildcards), read without a consumer; undefined
   * when the stream holds none there or does not exist. For "what is the latest state" questions
   * (e.g. a cluster's last metrics message).
   * @throws InputError when the stream name or subject is invalid; BusError when the bus fails or is closed.
   */
  lastMessage(stream: string, subject: string): Promise<StoredBusMessage | undefined>;
  /**
   * Round trip to the server (readiness).
   * @throws UnavailableError when the bus does not answer.
   */
  ping(): Promise<void>;
  /** Drains subscriptions, waits for in-flight handlers, closes the connection. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 10;
export const DEFAULT_MAX_ACK_PENDING = 256;
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/** Encodes a payload the same way in every adapter. */
export function encodePayload(payload: Payload): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') return textEncoder.encode(payload);
  return textEncoder.encode(JSON.stringify(payload));
}

const textEncoder = new TextEncoder();
