/**
 * In-process bus: the embedded default when no NATS URL is configured, and the fast double in unit
 * tests. It emulates the NATS semantics the contract suite (test/bus-contract.ts) checks: wildcard
 * subjects, queue groups, JetStream-like streams (limits retention, msgId de-duplication, overlap
 * refusal) and durable consumers (shared by name, ack/nak/term/working, ack-wait redelivery,
 * max deliver, max ack pending). Nothing survives the process.
 *
 * Delivery is always asynchronous (scheduled with `setImmediate`), never inside `publish`. Each
 * subscription and each consumer member runs one handler at a time, so one subscriber sees a subject's
 * messages in publish order.
 */
import { BusError, NoRespondersError, PayloadTooLargeError, TimeoutError } from '../../contracts/errors.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { nakBackoffMs } from './backoff.js';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_ACK_PENDING,
  DEFAULT_MAX_DELIVER,
  encodePayload,
  type Bus,
  type BusMessage,
  type ConsumeOptions,
  type DurableHandler,
  type DurableMessage,
  type Headers,
  type MessageHandler,
  type Payload,
  type PublishOptions,
  type RequestOptions,
  type StoredBusMessage,
  type StreamDefinition,
  type SubscribeOptions,
  type Subscription,
} from './bus.js';
import { checkedHeaders, decodeJson, decodeText } from './message.js';
import { assertName, assertSubject, subjectMatches, subjectsOverlap } from './subject-match.js';

export interface MemoryBusOptions {
  /** Where handler failures and redelivery give-ups are logged. Default: silent. */
  logger?: Logger;
  /** Largest message accepted, like a NATS server's `max_payload`. Default 1 MiB (the NATS default). */
  maxPayloadBytes?: number;
}

export const DEFAULT_MEMORY_MAX_PAYLOAD_BYTES = 1024 * 1024;

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly #logger: Logger;
  readonly #maxPayloadBytes: number;
  readonly #subscriptions = new Set<CoreSubscription>();
  readonly #queueCursor = new Map<string, number>();
  readonly #streams = new Map<string, MemoryStream>();
  readonly #requests = new Set<PendingRequest>();
  #closing: Promise<void> | undefined;
  #inboxSeq = 0;

  constructor(options: MemoryBusOptions = {}) {
    this.#logger = options.logger ?? silentLogger();
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MEMORY_MAX_PAYLOAD_BYTES;
  }

  get maxPayloadBytes(): number {
    return this.#maxPayloadBytes;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  async ensureStreams(streams: readonly StreamDefinition[]): Promise<void> {
    this.#assertOpen();
    for (const def of streams) this.#ensureStream(def);
    await Promise.resolve();
  }

  #ensureStream(def: StreamDefinition): void {
    assertName(def.name, 'stream name');
    if (def.subjects.length === 0) throw new BusError(`stream ${def.name} needs at least one subject`);
    for (const subject of def.subjects) assertSubject(subject, 'subscribe');
    for (const other of this.#streams.values()) {
      if (other.def.name === def.name) continue;
      for (const a of def.subjects) {
        for (const b of other.def.subjects) {
          if (subjectsOverlap(a, b)) {
            throw new BusError(`stream ${def.name}: subject ${a} overlaps with ${b} of stream ${other.def.name}`);
          }
        }
      }
    }
    const existing = this.#streams.get(def.name);
    if (existing) existing.update(def);
    else this.#streams.set(def.name, new MemoryStream(def));
  }

  async publish(subject: string, payload: Payload, options: PublishOptions = {}): Promise<void> {
    this.#assertOpen();
    assertSubject(subject, 'publish');
    const headers = checkedHeaders(options.headers);
    const data = this.#encode(subject, payload);
    const stream = this.#streamFor(subject);
    if (!stream && options.msgId !== undefined) throw new NoRespondersError(`no stream captures ${subject}; a publish with a msgId must be stored`);
    // A duplicate msgId is acknowledged but not stored again; core subscribers still see it, as on NATS.
    if (stream?.append(subject, data, headers, options.msgId, Date.now())) {
      for (const consumer of stream.consumers.values()) consumer.schedule();
    }
    for (const sub of this.#route(subject)) sub.enqueue(coreMessage(subject, data, headers));
    await Promise.resolve();
  }

  subscribe(subject: string, handler: MessageHandler, options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    assertSubject(subject, 'subscribe');
    if (options.queue !== undefined) assertName(options.queue, 'queue group');
    const sub = new CoreSubscription(subject, options.queue, handler, this.#logger, () => this.#subscriptions.delete(sub));
    this.#subscriptions.add(sub);
    return sub;
  }

  async consume(options: ConsumeOptions, handler: DurableHandler): Promise<Subscription> {
    this.#assertOpen();
    assertName(options.durable, 'durable name');
    if (options.filterSubject !== undefined) assertSubject(options.filterSubject, 'subscribe');
    const stream = this.#streams.get(options.stream);
    if (!stream) throw new BusError(`stream ${options.stream} does not exist; call ensureStreams first`);
    const filter = options.filterSubject;
    if (filter !== undefined && !stream.def.subjects.some((s) => subjectsOverlap(s, filter))) {
      throw new BusError(`filter subject ${filter} is outside the subjects of stream ${stream.def.name}`);
    }
    let consumer = stream.consumers.get(options.durable);
    if (consumer) consumer.configure(options);
    else {
      consumer = new MemoryConsumer(stream, options, this.#logger);
      stream.consumers.set(options.durable, consumer);
    }
    await Promise.resolve();
    return consumer.join(handler, options.ack ?? 'auto');
  }

  async request(subject: string, payload: Payload, options: RequestOptions): Promise<BusMessage> {
    this.#assertOpen();
    assertSubject(subject, 'publish');
    const headers = checkedHeaders(options.headers);
    const data = this.#encode(subject, payload);
    const targets = this.#route(subject);
    if (targets.length === 0) throw new NoRespondersError(`no responders on ${subject}`);
    const inbox = `_INBOX.memory.${++this.#inboxSeq}`;
    return new Promise<BusMessage>((resolve, reject) => {
      const pending: PendingRequest = {
        timer: setTimeout(() => {
          this.#requests.delete(pending);
          reject(new TimeoutError(`request on ${subject} got no reply within ${options.timeoutMs}ms`));
        }, options.timeoutMs),
        reject,
      };
      this.#requests.add(pending);
      const respond = (reply: Payload, replyOptions?: { headers?: Headers }): boolean => {
        const answer = coreMessage(inbox, encodePayload(reply).slice(), checkedHeaders(replyOptions?.headers));
        if (!this.#requests.delete(pending)) return true; // a later reply, or after the timeout: dropped, as NATS does
        clearTimeout(pending.timer);
        resolve(answer);
        return true;
      };
      for (const sub of targets) sub.enqueue(coreMessage(subject, data, headers, respond));
    });
  }

  async lastMessage(stream: string, subject: string): Promise<StoredBusMessage | undefined> {
    this.#assertOpen();
    assertName(stream, 'stream name');
    assertSubject(subject, 'publish');
    await Promise.resolve();
    const stored = this.#streams.get(stream)?.last(subject);
    if (!stored) return undefined;
    return { ...coreMessage(stored.subject, stored.data, stored.headers), stream, seq: stored.seq, storedAt: stored.time };
  }

  ping(): Promise<void> {
    return this.closed ? Promise.reject(new BusError('bus is closed')) : Promise.resolve();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const pending of this.#requests) {
      clearTimeout(pending.timer);
      pending.reject(new BusError('bus closed before the reply arrived'));
    }
    this.#requests.clear();
    const stops: Promise<void>[] = [...this.#subscriptions].map((sub) => sub.unsubscribe());
    for (const stream of this.#streams.values()) for (const consumer of stream.consumers.values()) stops.push(consumer.stop());
    await Promise.all(stops);
  }

  /** A private copy of the payload (publishers may reuse their buffer), within the size limit. */
  #encode(subject: string, payload: Payload): Uint8Array {
    const data = encodePayload(payload).slice();
    if (data.byteLength > this.#maxPayloadBytes) {
      throw new PayloadTooLargeError(`message on ${subject} is ${data.byteLength} bytes, over the ${this.#maxPayloadBytes} byte limit`);
    }
    return data;
  }

  #assertOpen(): void {
    if (this.closed) throw new BusError('bus is closed');
  }

  #streamFor(subject: string): MemoryStream | undefined {
    for (const stream of this.#streams.values()) {
      if (stream.def.subjects.some((pattern) => subjectMatches(pattern, subject))) return stream;
    }
    return undefined;
  }

  /** Subscriptions that get a message on `subject`: every plain one, and one member per queue group. */
  #route(subject: string): CoreSubscription[] {
    const out: CoreSubscription[] = [];
    const groups = new Map<string, CoreSubscription[]>();
    for (const sub of this.#subscriptions) {
      if (!sub.active || !subjectMatches(sub.subject, subject)) continue;
      if (sub.queue === undefined) out.push(sub);
      else {
        const members = groups.get(sub.queue);
        if (members) members.push(sub);
        else groups.set(sub.queue, [sub]);
      }
    }
    for (const [queue, members] of groups) {
      const n = this.#queueCursor.get(queue) ?? 0;
      this.#queueCursor.set(queue, n + 1);
      const chosen = members[n % members.length];
      if (chosen) out.push(chosen);
    }
    return out;
  }
}

interface PendingRequest {
  timer: NodeJS.Timeout;
  reject: (err: Error) => void;
}

type Responder = (payload: Payload, options?: { headers?: Headers }) => boolean;

function coreMessage(subject: string, data: Uint8Array, headers: Headers, responder?: Responder): BusMessage {
  return {
    subject,
    data,
    headers,
    replyable: responder !== undefined,
    string: () => decodeText(data),
    json: () => decodeJson(data, subject),
    respond: (payload, options) => (responder ? responder(payload, options) : false),
  };
}

/** A core subscription: its own queue, drained one handler at a time. */
class CoreSubscription implements Subscription {
  active = true;
  readonly #pending: BusMessage[] = [];
  #running = false;
  #idle: (() => void)[] = [];
  #stopping: Promise<void> | undefined;

  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
    private readonly handler: MessageHandler,
    private readonly logger: Logger,
    private readonly detach: () => void,
  ) {}

  enqueue(msg: BusMessage): void {
    this.#pending.push(msg);
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#drain());
    }
  }

  async #drain(): Promise<void> {
    for (let msg = this.#pending.shift(); msg; msg = this.#pending.shift()) {
      try {
        await this.handler(msg);
      } catch (err) {
        this.logger.error({ err, subject: msg.subject }, 'bus subscription handler failed');
      }
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  unsubscribe(): Promise<void> {
    this.#stopping ??= (async () => {
      this.active = false;
      this.detach();
      // Like a NATS drain: messages already delivered to this subscription are still handled.
      if (this.#running) await new Promise<void>((resolve) => this.#idle.push(resolve));
    })();
    return this.#stopping;
  }
}

interface StoredMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  headers: Headers;
  time: number;
}

class MemoryStream {
  def: StreamDefinition;
  readonly consumers = new Map<string, MemoryConsumer>();
  /** Contiguous by `seq`: retention only ever removes the oldest. */
  readonly #messages: StoredMessage[] = [];
  #lastSeq = 0;
  /** msgId → time stored; insertion order is time order. */
  readonly #dedup = new Map<string, number>();

  constructor(def: StreamDefinition) {
    this.def = { ...def, subjects: [...def.subjects] };
  }

  update(def: StreamDefinition): void {
    this.def = { ...def, subjects: [...def.subjects] };
    this.trim(Date.now());
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get(seq: number): StoredMessage | undefined {
    const first = this.#messages[0];
    return first ? this.#messages[seq - first.seq] : undefined;
  }

  /** The newest message on `subject`, after retention. */
  last(subject: string): StoredMessage | undefined {
    this.trim(Date.now());
    for (let i = this.#messages.length - 1; i >= 0; i--) {
      const m = this.#messages[i];
      if (m?.subject === subject) return m;
    }
    return undefined;
  }

  /** Stores a message; undefined when `msgId` was already seen within the duplicate window. */
  append(subject: string, data: Uint8Array, headers: Headers, msgId: string | undefined, now: number): StoredMessage | undefined {
    const window = this.#duplicateWindowMs();
    for (const [id, time] of this.#dedup) {
      if (now - time < window) break;
      this.#dedup.delete(id);
    }
    if (msgId !== undefined) {
      if (this.#dedup.has(msgId)) return undefined;
      this.#dedup.set(msgId, now);
    }
    const stored: StoredMessage = { seq: ++this.#lastSeq, subject, data, headers, time: now };
    this.#messages.push(stored);
    this.trim(now);
    return stored;
  }

  /** Applies limits retention: drops the oldest beyond `maxMsgs` or older than `maxAgeMs`. */
  trim(now: number): void {
    const { maxMsgs, maxAgeMs } = this.def;
    if (maxMsgs && maxMsgs > 0 && this.#messages.length > maxMsgs) this.#messages.splice(0, this.#messages.length - maxMsgs);
    if (maxAgeMs && maxAgeMs > 0) {
      let drop = 0;
      while (drop < this.#messages.length && now - (this.#messages[drop]?.time ?? now) >= maxAgeMs) drop++;
      if (drop) this.#messages.splice(0, drop);
    }
  }

  #duplicateWindowMs(): number {
    const window = this.def.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    // NATS refuses a duplicate window longer than max age; clamp the same way ensureStreams does on NATS.
    return this.def.maxAgeMs && this.def.maxAgeMs > 0 ? Math.min(window, this.def.maxAgeMs) : window;
  }
}

interface ConsumerConfig {
  filterSubject: string | undefined;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
}

interface InFlight {
  token: object;
  timer: NodeJS.Timeout;
}

/** A durable consumer: one cursor and one set of unsettled messages, shared by every member. */
class MemoryConsumer {
  #config: ConsumerConfig;
  /** Next stream sequence never delivered yet. */
  #cursor: number;
  /** Deliveries so far of every message not yet done (acked, termed or given up on). */
  readonly #deliveries = new Map<number, number>();
  readonly #inFlight = new Map<number, InFlight>();
  /** seq → earliest time of the next delivery. */
  readonly #redeliver = new Map<number, number>();
  readonly #members: Member[] = [];
  #turn = 0;
  #scheduled = false;
  #wake: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly stream: MemoryStream,
    options: ConsumeOptions,
    private readonly logger: Logger,
  ) {
    this.#config = toConfig(options);
    this.#cursor = options.deliverPolicy === 'new' ? stream.lastSeq + 1 : 1;
  }

  /** Create-or-update, as on NATS: the latest options win; the start position is kept. */
  configure(options: ConsumeOptions): void {
    this.#config = toConfig(options);
    this.schedule();
  }

  join(handler: DurableHandler, mode: 'auto' | 'manual'): Subscription {
    this.#stopped = false;
    const member = new Member(this, handler, mode, this.logger);
    this.#members.push(member);
    this.schedule();
    return {
      subject: this.#config.filterSubject ?? '>',
      unsubscribe: async () => {
        const index = this.#members.indexOf(member);
        if (index !== -1) this.#members.splice(index, 1);
        await member.stop();
      },
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#members.splice(0).map((m) => m.stop()));
    for (const flight of this.#inFlight.values()) clearTimeout(flight.timer);
    this.#inFlight.clear();
    if (this.#wake) clearTimeout(this.#wake);
    this.#wake = undefined;
  }

  schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = Date.now();
    this.stream.trim(now);
    while (this.#inFlight.size < this.#config.maxAckPending) {
      const member = this.#idleMember();
      if (!member) break;
      const next = this.#next(now);
      if (!next) break;
      this.#deliver(member, next);
    }
    this.#armWake(now);
  }

  #idleMember(): Member | undefined {
    const n = this.#members.length;
    for (let i = 0; i < n; i++) {
      const member = this.#members[(this.#turn + i) % n];
      if (member && member.idle) {
        this.#turn = (this.#turn + i + 1) % n;
        return member;
      }
    }
    return undefined;
  }

  /** Redeliveries that are due first (lowest sequence), then the next new message. */
  #next(now: number): StoredMessage | undefined {
    let due: number | undefined;
    for (const [seq, notBefore] of this.#redeliver) {
      if (notBefore <= now && (due === undefined || seq < due)) due = seq;
    }
    while (due !== undefined) {
      this.#redeliver.delete(due);
      const stored = this.stream.get(due);
      if (stored) return stored;
      this.#deliveries.delete(due); // removed by retention meanwhile
      due = undefined;
      for (const [seq, notBefore] of this.#redeliver) {
        if (notBefore <= now && (due === undefined || seq < due)) due = seq;
      }
    }
    const filter = this.#config.filterSubject;
    while (this.#cursor <= this.stream.lastSeq) {
      const stored = this.stream.get(this.#cursor++);
      if (stored && (filter === undefined || subjectMatches(filter, stored.subject))) return stored;
    }
    return undefined;
  }

  #armWake(now: number): void {
    let earliest: number | undefined;
    for (const notBefore of this.#redeliver.values()) {
      if (notBefore > now && (earliest === undefined || notBefore < earliest)) earliest = notBefore;
    }
    if (this.#wake) clearTimeout(this.#wake);
    this.#wake = undefined;
    if (earliest !== undefined) {
      this.#wake = setTimeout(() => this.schedule(), earliest - now);
      this.#wake.unref();
    }
  }

  #deliver(member: Member, stored: StoredMessage): void {
    const deliveryCount = (this.#deliveries.get(stored.seq) ?? 0) + 1;
    this.#deliveries.set(stored.seq, deliveryCount);
    const token = {};
    this.#inFlight.set(stored.seq, { token, timer: this.#ackTimer(stored.seq, token) });
    member.run(this.#message(stored, deliveryCount, token));
  }

  #ackTimer(seq: number, token: object): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.#inFlight.get(seq)?.token !== token) return;
      this.#inFlight.delete(seq);
      this.#retry(seq, Date.now(), 'ack wait expired');
    }, this.#config.ackWaitMs);
    timer.unref();
    return timer;
  }

  #retry(seq: number, notBefore: number, why: string): void {
    const count = this.#deliveries.get(seq) ?? 0;
    if (count >= this.#config.maxDeliver) {
      this.logger.warn({ stream: this.stream.def.name, seq, deliveries: count, why }, 'bus message dropped after max deliveries');
      this.#deliveries.delete(seq);
    } else {
      this.#redeliver.set(seq, notBefore);
    }
    this.schedule();
  }

  #done(seq: number): void {
    this.#deliveries.delete(seq);
    this.#redeliver.delete(seq);
    this.schedule();
  }

  /** Applies a settlement from the delivery identified by `token`, unless a later delivery superseded it. */
  #settle(seq: number, token: object, kind: 'ack' | 'nak' | 'term' | 'working', delayMs?: number): void {
    const flight = this.#inFlight.get(seq);
    if (!flight || flight.token !== token) {
      // The ack wait expired first. A late ack or term still counts if nobody got the message again yet.
      if ((kind === 'ack' || kind === 'term') && this.#redeliver.has(seq)) this.#done(seq);
      return;
    }
    clearTimeout(flight.timer);
    if (kind === 'working') {
      flight.timer = this.#ackTimer(seq, token);
      return;
    }
    this.#inFlight.delete(seq);
    if (kind === 'nak') this.#retry(seq, Date.now() + Math.max(0, delayMs ?? 0), 'nak');
    else this.#done(seq);
  }

  #message(stored: StoredMessage, deliveryCount: number, token: object): DurableMessage & { readonly settled: boolean } {
    const { seq, subject, data, headers } = stored;
    let settled = false;
    const settle = (kind: 'ack' | 'nak' | 'term', delayMs?: number) => {
      if (settled) return;
      settled = true;
      this.#settle(seq, token, kind, delayMs);
    };
    return {
      subject,
      data,
      headers,
      stream: this.stream.def.name,
      seq,
      deliveryCount,
      redelivered: deliveryCount > 1,
      replyable: false,
      get settled() {
        return settled;
      },
      string: () => decodeText(data),
      json: () => decodeJson(data, subject),
      respond: () => false,
      ack: () => settle('ack'),
      nak: (delayMs?: number) => settle('nak', delayMs),
      term: () => settle('term'),
      working: () => {
        if (!settled) this.#settle(seq, token, 'working');
      },
    };
  }

  memberIdle(): void {
    this.schedule();
  }
}

function toConfig(options: ConsumeOptions): ConsumerConfig {
  return {
    filterSubject: options.filterSubject,
    ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    maxDeliver: options.maxDeliver ?? DEFAULT_MAX_DELIVER,
    maxAckPending: options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
  };
}

/** One `consume()` call: runs one handler at a time and applies the ack mode. */
class Member {
  #busy = false;
  #active = true;
  #idle: (() => void)[] = [];

  constructor(
    private readonly consumer: MemoryConsumer,
    private readonly handler: DurableHandler,
    private readonly mode: 'auto' | 'manual',
    private readonly logger: Logger,
  ) {}

  get idle(): boolean {
    return this.#active && !this.#busy;
  }

  run(msg: DurableMessage & { readonly settled: boolean }): void {
    this.#busy = true;
    void this.#run(msg);
  }

  async #run(msg: DurableMessage & { readonly settled: boolean }): Promise<void> {
    try {
      await this.handler(msg);
      if (this.mode === 'auto') msg.ack();
    } catch (err) {
      const delayMs = nakBackoffMs(msg.deliveryCount);
      this.logger.error({ err, subject: msg.subject, seq: msg.seq, deliveryCount: msg.deliveryCount, retryInMs: msg.settled ? undefined : delayMs }, 'bus consumer handler failed');
      msg.nak(delayMs);
    } finally {
      this.#busy = false;
      for (const resolve of this.#idle.splice(0)) resolve();
      this.consumer.memberIdle();
    }
  }

  async stop(): Promise<void> {
    this.#active = false;
    if (this.#busy) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
