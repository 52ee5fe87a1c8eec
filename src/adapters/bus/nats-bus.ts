/**
 * The bus on real NATS: core NATS for pub/sub and request/reply, JetStream for durable streams and
 * durable pull consumers. Transport errors are converted here, once, into BusError, TimeoutError,
 * NoRespondersError or UnavailableError, keeping the original as `cause`.
 *
 * With a `namespace`, application subject `a.b` travels as `{namespace}.a.b` and stream `EVENTS` is
 * `{NAMESPACE}_EVENTS` on the server; handlers always see application subjects and logical stream names.
 */
import { readFile } from 'node:fs/promises';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JetStreamPublishOptions,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  errors as natsErrors,
  headers as natsHeaders,
  nanos,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NodeConnectionOptions,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import { BusError, ConfigError, NoRespondersError, PayloadTooLargeError, TimeoutError, UnavailableError, errorMessage, type ValidationIssue } from '../../contracts/errors.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
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
import { checkedHeaders, decodeJson, decodeText, EMPTY_HEADERS } from './message.js';
import { assertName, assertSubject, subjectMatches } from './subject-match.js';

export interface NatsBusOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`; several for a cluster. */
  servers: string | readonly string[];
  /**
   * Prefix isolating this deployment (or test run) on a shared server: one token of letters, digits,
   * `_` or `-`. Default: none (subjects go on the wire exactly as the architecture names them).
   */
  namespace?: string;
  /** Client name shown in the server's monitoring. Default `aetherius`. */
  name?: string;
  /** TLS: PEM file paths. Setting this object (even empty) requires TLS. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** A NATS `.creds` file (JWT + nkey seed). Exclusive with the other ways to authenticate. */
  credentialsFile?: string;
  /**
   * A file holding an NKey user seed (`SU…`, as `nk -gen user` prints it); the server's authorization
   * lists the matching public key (`U…`). Exclusive with the other ways to authenticate.
   */
  nkeySeedFile?: string;
  user?: string;
  password?: string;
  token?: string;
  /**
   * Prefix of this connection's reply subjects (default `_INBOX`). Give each agent its own
   * (`_INBOX_<cluster_id>`) so its NATS user may subscribe to its own replies only, not to every
   * `_INBOX.>` (docs/security.md). One or more subject tokens, no wildcards.
   */
  inboxPrefix?: string;
  /** Base delay between reconnect attempts, doubled per failed attempt up to 30s. Default 1000 ms. */
  reconnectTimeWaitMs?: number;
  /** Reconnect attempts per server before giving up; -1 = forever (default). */
  maxReconnectAttempts?: number;
  /** Initial connection handshake timeout. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long `ping()` waits for the server. Default 2000 ms. */
  pingTimeoutMs?: number;
  /** Connection status and handler failures are logged here. Default: silent. */
  logger?: Logger;
  /** Reconnections and connection state are counted here when given. */
  metrics?: Metrics;
}

export const DEFAULT_RECONNECT_TIME_WAIT_MS = 1000;
/** A NATS server's default `max_payload`, used until the server's INFO says otherwise. */
export const DEFAULT_NATS_MAX_PAYLOAD_BYTES = 1024 * 1024;
export const MAX_RECONNECT_DELAY_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_PING_TIMEOUT_MS = 2000;
/** Messages a process pulls ahead of its handler unless `ConsumeOptions.prefetch` says otherwise. Kept small: ack wait runs while they wait. */
export const NATS_PULL_BATCH = 32;

const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const INBOX_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,3}$/;

/** The JetStream name of logical stream `name` under `namespace`. */
export function natsStreamName(name: string, namespace?: string): string {
  return namespace ? `${namespace.toUpperCase()}_${name}` : name;
}

/**
 * Deletes every stream of `namespace` on the server (benchmarks and tests clean up after themselves).
 * @throws BusError when the server cannot be reached.
 */
export async function deleteNamespaceStreams(servers: string, namespace: string): Promise<void> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers });
  } catch (err) {
    throw new BusError(`cannot connect to NATS at ${servers}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = natsStreamName('', namespace);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(prefix)) names.push(name);
    await Promise.all(names.map((name) => jsm.streams.delete(name)));
  } finally {
    await nc.close();
  }
}

/**
 * Checks options before any I/O, naming every problem.
 * @throws ConfigError listing each bad or conflicting option.
 */
export function checkNatsBusOptions(options: NatsBusOptions): void {
  const issues: ValidationIssue[] = [];
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
  if (!servers || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.trim() === '')) {
    issues.push({ path: 'servers', message: 'at least one NATS server URL is required, e.g. nats://127.0.0.1:4222' });
  }
  if (options.namespace !== undefined && !NAMESPACE_PATTERN.test(options.namespace)) {
    issues.push({ path: 'namespace', message: 'must be one token of 1-64 letters, digits, "_" or "-"' });
  }
  const auth = [
    options.credentialsFile !== undefined && 'credentialsFile',
    options.nkeySeedFile !== undefined && 'nkeySeedFile',
    (options.user !== undefined || options.password !== undefined) && 'user/password',
    options.token !== undefined && 'token',
  ].filter(Boolean);
  if (auth.length > 1) issues.push({ path: 'credentials', message: `use one way to authenticate, not ${auth.join(' and ')}` });
  if (options.password !== undefined && options.user === undefined) issues.push({ path: 'user', message: 'a password needs a user' });
  if (options.inboxPrefix !== undefined && !INBOX_PREFIX_PATTERN.test(options.inboxPrefix)) {
    issues.push({ path: 'inboxPrefix', message: 'must be subject tokens of letters, digits, "_" or "-" separated by ".", e.g. _INBOX_prod-us-west' });
  }
  if (options.tls && (options.tls.certFile === undefined) !== (options.tls.keyFile === undefined)) {
    issues.push({ path: 'tls', message: 'a client certificate needs both certFile and keyFile' });
  }
  for (const key of ['reconnectTimeWaitMs', 'connectTimeoutMs', 'pingTimeoutMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) issues.push({ path: key, message: 'must be a positive number of milliseconds' });
  }
  if (options.maxReconnectAttempts !== undefined && !(Number.isInteger(options.maxReconnectAttempts) && options.maxReconnectAttempts >= -1)) {
    issues.push({ path: 'maxReconnectAttempts', message: 'must be an integer >= 0, or -1 to retry forever' });
  }
  if (issues.length) throw new ConfigError(`invalid NATS bus options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #logger: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #namespace: string | undefined;
  readonly #pingTimeoutMs: number;
  /** Application subject patterns captured by streams: publishes on them wait for the stream's ack. */
  readonly #durable = new Map<string, readonly string[]>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #consumers = new Set<NatsConsumerRunner>();
  readonly #statusLoop: Promise<void>;
  #closing: Promise<void> | undefined;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, options: NatsBusOptions, logger: Logger, attempts: { failed: number }) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#logger = logger;
    this.#metrics = options.metrics;
    this.#metrics?.busConnected.set(1);
    this.#namespace = options.namespace;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    this.#statusLoop = this.#watchStatus(attempts);
  }

  /**
   * Connects, checks JetStream and learns which subjects existing streams capture.
   * @throws ConfigError when the options are invalid or a credentials file cannot be read.
   * @throws BusError when the server cannot be reached or JetStream is not enabled.
   */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    checkNatsBusOptions(options);
    const logger = options.logger ?? silentLogger();
    const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
    const base = options.reconnectTimeWaitMs ?? DEFAULT_RECONNECT_TIME_WAIT_MS;
    // nats.js calls the delay handler on every pass of its dial loop, not once per attempt, so the
    // handler must not count calls: attempts are counted from 'reconnecting' statuses instead.
    const attempts = { failed: 0 };
    const connection: NodeConnectionOptions = {
      servers,
      name: options.name ?? 'aetherius',
      timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: base,
      reconnectDelayHandler: () => Math.min(base * 2 ** Math.min(attempts.failed, 16), MAX_RECONNECT_DELAY_MS),
    };
    if (options.tls) connection.tls = { ...options.tls };
    if (options.user !== undefined) {
      connection.user = options.user;
      if (options.password !== undefined) connection.pass = options.password;
    }
    if (options.token !== undefined) connection.token = options.token;
    if (options.inboxPrefix !== undefined) connection.inboxPrefix = options.inboxPrefix;
    if (options.credentialsFile !== undefined) {
      try {
        connection.authenticator = credsAuthenticator(await readFile(options.credentialsFile));
      } catch (err) {
        throw new ConfigError(`cannot read NATS credentials file ${options.credentialsFile}: ${errorMessage(err)}`, [{ path: 'credentialsFile', message: errorMessage(err) }], { cause: err });
      }
    }
    if (options.nkeySeedFile !== undefined) {
      let seed: Uint8Array;
      try {
        seed = new TextEncoder().encode((await readFile(options.nkeySeedFile, 'utf8')).trim());
      } catch (err) {
        throw new ConfigError(`cannot read NATS NKey seed file ${options.nkeySeedFile}: ${errorMessage(err)}`, [{ path: 'nkeySeedFile', message: errorMessage(err) }], { cause: err });
      }
      if (!/^SU[A-Z2-7]{56}$/.test(new TextDecoder().decode(seed))) {
        throw new ConfigError(`NATS NKey seed file ${options.nkeySeedFile} does not hold a user seed (one line starting with SU)`, [{ path: 'nkeySeedFile', message: 'must hold an NKey user seed (SU…)' }]);
      }
      connection.authenticator = nkeyAuthenticator(seed);
    }
    let nc: NatsConnection;
    try {
      nc = await connect(connection);
    } catch (err) {
      throw new BusError(`cannot connect to NATS at ${servers.join(', ')}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      const jsm = await jetstreamManager(nc);
      const bus = new NatsBus(nc, jsm, options, logger, attempts);
      await bus.#learnStreams().catch((err: unknown) => {
        // Not fatal: ensureStreams teaches the bus its durable subjects as well.
        logger.warn({ err }, 'bus could not list existing JetStream streams');
      });
      logger.info({ server: nc.getServer(), namespace: options.namespace }, 'bus connected to NATS');
      return bus;
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw new BusError(`NATS at ${servers.join(', ')} has no usable JetStream: ${errorMessage(err)}`, { cause: err });
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  async ensureStreams(streams: readonly StreamDefinition[]): Promise<void> {
    this.#assertOpen();
    for (const def of streams) await this.#ensureStream(def);
  }

  async #ensureStream(def: StreamDefinition): Promise<void> {
    assertName(def.name, 'stream name');
    if (def.subjects.length === 0) throw new BusError(`stream ${def.name} needs at least one subject`);
    for (const subject of def.subjects) assertSubject(subject, 'subscribe');
    const name = natsStreamName(def.name, this.#namespace);
    const maxAgeMs = def.maxAgeMs && def.maxAgeMs > 0 ? def.maxAgeMs : 0;
    const windowMs = def.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    const wanted = {
      subjects: def.subjects.map((s) => this.#wire(s)),
      description: def.description ?? '',
      max_age: nanos(maxAgeMs),
      max_msgs: def.maxMsgs && def.maxMsgs > 0 ? def.maxMsgs : -1,
      // NATS refuses a duplicate window longer than max age.
      duplicate_window: nanos(maxAgeMs > 0 ? Math.min(windowMs, maxAgeMs) : windowMs),
      discard: DiscardPolicy.Old,
    } satisfies Partial<StreamConfig>;
    try {
      const current = await this.#streamConfig(name);
      if (!current) {
        try {
          await this.#jsm.streams.add({ name, storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 1, ...wanted });
        } catch (err) {
          // Another replica created it between our lookup and our add: converge with an update.
          if (!(err instanceof JetStreamApiError) || !/already in use/i.test(err.message)) throw err;
          await this.#jsm.streams.update(name, wanted);
        }
      } else if (!sameStreamConfig(current, wanted)) {
        await this.#jsm.streams.update(name, wanted);
      }
    } catch (err) {
      throw new BusError(`cannot create or update stream ${name}: ${errorMessage(err)}`, { cause: err });
    }
    this.#durable.set(def.name, [...def.subjects]);
  }

  async #streamConfig(name: string): Promise<StreamConfig | undefined> {
    try {
      return (await this.#jsm.streams.info(name)).config;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw err;
    }
  }

  /** Streams created earlier (by any replica) capture subjects too: learn them at connect. */
  async #learnStreams(): Promise<void> {
    const prefix = this.#namespace ? natsStreamName('', this.#namespace) : '';
    for await (const info of this.#jsm.streams.list()) {
      const { name, subjects } = info.config;
      if (!name.startsWith(prefix)) continue;
      const app = (subjects ?? []).map((s) => this.#fromWire(s)).filter((s): s is string => s !== undefined);
      if (app.length) this.#durable.set(name.slice(prefix.length), app);
    }
  }

  get maxPayloadBytes(): number {
    return this.#nc.info?.max_payload ?? DEFAULT_NATS_MAX_PAYLOAD_BYTES;
  }

  async publish(subject: string, payload: Payload, options: PublishOptions = {}): Promise<void> {
    this.#assertOpen();
    assertSubject(subject, 'publish');
    const headers = toNatsHeaders(checkedHeaders(options.headers));
    const data = encodePayload(payload);
    if (data.byteLength > this.maxPayloadBytes) {
      throw new PayloadTooLargeError(`message on ${subject} is ${data.byteLength} bytes, over the server's max_payload of ${this.maxPayloadBytes}`);
    }
    const wire = this.#wire(subject);
    if (this.#isDurable(subject) || options.msgId !== undefined) {
      const opts: Partial<JetStreamPublishOptions> = {};
      if (headers) opts.headers = headers;
      if (options.msgId !== undefined) opts.msgID = options.msgId;
      try {
        await this.#js.publish(wire, data, opts);
      } catch (err) {
        // nats.js reports a JetStream publish nobody answered as JetStreamNotEnabled: on a server with
        // JetStream that means no stream captures the subject.
        if (err instanceof Error && (/no responders/i.test(err.message) || err.name === 'JetStreamNotEnabled' || err.constructor.name === 'JetStreamNotEnabled')) {
          throw new NoRespondersError(`no stream captures ${subject} (or JetStream is not enabled): ${errorMessage(err)}`, { cause: err });
        }
        throw new BusError(`stream did not store message on ${subject}: ${errorMessage(err)}`, { cause: err });
      }
      return;
    }
    try {
      this.#nc.publish(wire, data, headers ? { headers } : undefined);
    } catch (err) {
      throw new BusError(`cannot publish on ${subject}: ${errorMessage(err)}`, { cause: err });
    }
  }

  subscribe(subject: string, handler: MessageHandler, options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    assertSubject(subject, 'subscribe');
    if (options.queue !== undefined) assertName(options.queue, 'queue group');
    let sub: NatsSubscription;
    try {
      sub = this.#nc.subscribe(this.#wire(subject), options.queue !== undefined ? { queue: options.queue } : {});
    } catch (err) {
      throw new BusError(`cannot subscribe to ${subject}: ${errorMessage(err)}`, { cause: err });
    }
    const limit = Math.max(1, Math.floor(options.concurrency ?? 1));
    const running = new Set<Promise<void>>();
    const handle = async (msg: BusMessage): Promise<void> => {
      try {
        await handler(msg);
      } catch (err) {
        this.#logger.error({ err, subject: msg.subject }, 'bus subscription handler failed');
      }
    };
    const loop = (async () => {
      for await (const m of sub) {
        const msg = this.#coreMessage(m);
        if (limit === 1) {
          await handle(msg);
          continue;
        }
        const p: Promise<void> = handle(msg).finally(() => running.delete(p));
        running.add(p);
        if (running.size >= limit) await Promise.race(running);
      }
      await Promise.all(running);
    })();
    let stopping: Promise<void> | undefined;
    const subscription: Subscription = {
      subject,
      unsubscribe: () => {
        stopping ??= (async () => {
          if (!sub.isClosed() && !sub.isDraining()) await sub.drain().catch(() => sub.unsubscribe());
          await loop;
          this.#subscriptions.delete(subscription);
        })();
        return stopping;
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async consume(options: ConsumeOptions, handler: DurableHandler): Promise<Subscription> {
    this.#assertOpen();
    assertName(options.durable, 'durable name');
    if (options.filterSubject !== undefined) assertSubject(options.filterSubject, 'subscribe');
    const runner = new NatsConsumerRunner({
      js: this.#js,
      stream: natsStreamName(options.stream, this.#namespace),
      options,
      handler,
      logger: this.#logger,
      upsert: () => this.#upsertConsumer(options),
      toMessage: (m, settled) => this.#durableMessage(m, options.stream, settled),
      onStop: () => this.#consumers.delete(runner),
    });
    await runner.start();
    this.#consumers.add(runner);
    return runner;
  }

  /** Creates the durable consumer, or updates it to the latest options (create-or-update). */
  async #upsertConsumer(options: ConsumeOptions): Promise<void> {
    const stream = natsStreamName(options.stream, this.#namespace);
    const wanted = {
      ack_wait: nanos(options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
      max_deliver: options.maxDeliver ?? DEFAULT_MAX_DELIVER,
      max_ack_pending: options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
      filter_subject: options.filterSubject === undefined ? '' : this.#wire(options.filterSubject),
    } satisfies Partial<ConsumerConfig>;
    try {
      let current: ConsumerConfig | undefined;
      try {
        current = (await this.#jsm.consumers.info(stream, options.durable)).config;
      } catch (err) {
        if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.ConsumerNotFound) throw err;
      }
      if (!current) {
        await this.#jsm.consumers.add(stream, {
          ...wanted,
          filter_subject: wanted.filter_subject || undefined,
          durable_name: options.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
        });
      } else if (
        current.ack_wait !== wanted.ack_wait ||
        current.max_deliver !== wanted.max_deliver ||
        current.max_ack_pending !== wanted.max_ack_pending ||
        (current.filter_subject ?? '') !== wanted.filter_subject
      ) {
        await this.#jsm.consumers.update(stream, options.durable, wanted);
      }
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
        throw new BusError(`stream ${options.stream} does not exist; call ensureStreams first`, { cause: err });
      }
      throw new BusError(`cannot create or update consumer ${options.durable} on stream ${options.stream}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async request(subject: string, payload: Payload, options: RequestOptions): Promise<BusMessage> {
    this.#assertOpen();
    assertSubject(subject, 'publish');
    const headers = toNatsHeaders(checkedHeaders(options.headers));
    try {
      const reply = await this.#nc.request(this.#wire(subject), encodePayload(payload), headers ? { timeout: options.timeoutMs, headers } : { timeout: options.timeoutMs });
      return this.#coreMessage(reply);
    } catch (err) {
      if (err instanceof natsErrors.TimeoutError) throw new TimeoutError(`request on ${subject} got no reply within ${options.timeoutMs}ms`, { cause: err });
      if (err instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders())) {
        throw new NoRespondersError(`no responders on ${subject}`, { cause: err });
      }
      throw new BusError(`request on ${subject} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  async lastMessage(stream: string, subject: string): Promise<StoredBusMessage | undefined> {
    this.#assertOpen();
    assertName(stream, 'stream name');
    assertSubject(subject, 'publish');
    let stored: Awaited<ReturnType<JetStreamManager['streams']['getMessage']>>;
    try {
      stored = await this.#jsm.streams.getMessage(natsStreamName(stream, this.#namespace), { last_by_subj: this.#wire(subject) });
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.NoMessageFound)) return undefined;
      throw new BusError(`cannot read the last message on ${subject} from stream ${stream}: ${errorMessage(err)}`, { cause: err });
    }
    if (!stored) return undefined;
    const app = this.#fromWire(stored.subject) ?? stored.subject;
    const data = stored.data;
    return {
      subject: app,
      data,
      headers: fromNatsHeaders(stored.header),
      replyable: false,
      string: () => decodeText(data),
      json: () => decodeJson(data, app),
      respond: () => false,
      stream,
      seq: stored.seq,
      storedAt: stored.time.getTime(),
    };
  }

  async ping(): Promise<void> {
    if (this.closed || this.#nc.isClosed()) throw new UnavailableError('bus is closed');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#nc.flush(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.#pingTimeoutMs}ms`)), this.#pingTimeoutMs);
        }),
      ]);
    } catch (err) {
      throw new UnavailableError(`NATS did not answer a ping: ${errorMessage(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#consumers].map((c) => c.unsubscribe()));
    await Promise.all([...this.#subscriptions].map((s) => s.unsubscribe()));
    if (!this.#nc.isClosed()) {
      try {
        await this.#nc.drain();
      } catch (err) {
        this.#logger.warn({ err }, 'bus drain failed; closing');
        await this.#nc.close().catch(() => undefined);
      }
    }
    await this.#statusLoop;
  }

  async #watchStatus(attempts: { failed: number }): Promise<void> {
    try {
      for await (const s of this.#nc.status()) {
        switch (s.type) {
          case 'disconnect':
            this.#metrics?.busConnected.set(0);
            this.#logger.warn({ server: s.server }, 'bus disconnected from NATS');
            break;
          case 'reconnecting':
            attempts.failed++;
            this.#logger.debug({ attempt: attempts.failed }, 'bus reconnecting to NATS');
            break;
          case 'reconnect':
            attempts.failed = 0;
            this.#metrics?.busReconnects.inc();
            this.#metrics?.busConnected.set(1);
            this.#logger.info({ server: s.server }, 'bus reconnected to NATS');
            break;
          case 'ldm':
            this.#logger.warn({ server: s.server }, 'NATS server entering lame duck mode');
            break;
          case 'error':
            this.#logger.error({ err: s.error }, 'NATS connection error');
            break;
          case 'staleConnection':
            this.#logger.warn('NATS connection stale');
            break;
          case 'slowConsumer':
            this.#logger.warn({ subject: s.sub.getSubject(), pending: s.pending }, 'NATS slow consumer');
            break;
          default:
            break;
        }
      }
    } catch (err) {
      this.#logger.debug({ err }, 'bus status watch ended');
    }
  }

  #assertOpen(): void {
    if (this.closed) throw new BusError('bus is closed');
  }

  #wire(subject: string): string {
    return this.#namespace ? `${this.#namespace}.${subject}` : subject;
  }

  /** The application subject of a wire subject; undefined when it lies outside the namespace. */
  #fromWire(wire: string): string | undefined {
    if (!this.#namespace) return wire;
    const prefix = `${this.#namespace}.`;
    return wire.startsWith(prefix) ? wire.slice(prefix.length) : undefined;
  }

  #isDurable(subject: string): boolean {
    for (const patterns of this.#durable.values()) {
      if (patterns.some((p) => subjectMatches(p, subject))) return true;
    }
    return false;
  }

  #coreMessage(m: Msg): BusMessage {
    const subject = this.#fromWire(m.subject) ?? m.subject;
    const data = m.data;
    return {
      subject,
      data,
      headers: fromNatsHeaders(m.headers),
      replyable: Boolean(m.reply),
      string: () => decodeText(data),
      json: () => decodeJson(data, subject),
      respond: (payload: Payload, options?: { headers?: Headers }) => {
        if (!m.reply) return false;
        const h = toNatsHeaders(checkedHeaders(options?.headers));
        try {
          return m.respond(encodePayload(payload), h ? { headers: h } : undefined);
        } catch (err) {
          throw new BusError(`cannot reply on ${subject}: ${errorMessage(err)}`, { cause: err });
        }
      },
    };
  }

  #durableMessage(m: JsMsg, stream: string, settled: { value: boolean }): DurableMessage {
    const subject = this.#fromWire(m.subject) ?? m.subject;
    const data = m.data;
    const settle = (what: string, fn: () => void) => {
      if (settled.value) return;
      settled.value = true;
      try {
        fn();
      } catch (err) {
        // The connection is gone: the server redelivers after the ack wait.
        this.#logger.warn({ err, subject, seq: m.seq }, `bus could not ${what} a message`);
      }
    };
    return {
      subject,
      data,
      headers: fromNatsHeaders(m.headers),
      stream,
      seq: m.seq,
      deliveryCount: m.info.deliveryCount,
      redelivered: m.redelivered,
      replyable: false,
      string: () => decodeText(data),
      json: () => decodeJson(data, subject),
      respond: () => false,
      ack: () => settle('ack', () => m.ack()),
      nak: (delayMs?: number) => settle('nak', () => m.nak(delayMs)),
      term: (reason?: string) => settle('term', () => m.term(reason)),
      working: () => {
        if (settled.value) return;
        try {
          m.working();
        } catch (err) {
          this.#logger.warn({ err, subject, seq: m.seq }, 'bus could not extend the ack wait');
        }
      },
    };
  }
}

interface RunnerDeps {
  js: JetStreamClient;
  stream: string;
  options: ConsumeOptions;
  handler: DurableHandler;
  logger: Logger;
  upsert: () => Promise<void>;
  toMessage: (m: JsMsg, settled: { value: boolean }) => DurableMessage;
  onStop: () => void;
}

/**
 * Keeps one pull consumer running: handles messages one at a time and, when `consume()` ends with an
 * error while the bus is open (consumer or stream deleted, server restarted), recreates the consumer
 * and resumes with back-off.
 */
class NatsConsumerRunner implements Subscription {
  readonly subject: string;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #wakeSleep: (() => void) | undefined;

  constructor(private readonly deps: RunnerDeps) {
    this.subject = deps.options.filterSubject ?? '>';
  }

  /** Creates or updates the consumer and starts pulling. @throws BusError when either fails. */
  async start(): Promise<void> {
    await this.deps.upsert();
    this.#messages = await this.#open();
    this.#loop = this.#run(this.#messages);
  }

  async #open(): Promise<ConsumerMessages> {
    const { js, stream, options } = this.deps;
    try {
      const consumer = await js.consumers.get(stream, options.durable);
      return await consumer.consume({
        max_messages: Math.max(1, Math.min(options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING, options.prefetch ?? NATS_PULL_BATCH)),
        abort_on_missing_resource: true,
      });
    } catch (err) {
      throw new BusError(`cannot consume ${options.durable} on stream ${options.stream}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async #run(first: ConsumerMessages): Promise<void> {
    const { options, logger } = this.deps;
    let messages: ConsumerMessages | undefined = first;
    for (let attempt = 0; !this.#stopped; ) {
      if (messages) {
        let reason: unknown;
        try {
          for await (const m of messages) {
            attempt = 0;
            if (this.#stopped) {
              m.nak(); // pulled but never handled: release it to other members now
              continue;
            }
            await this.#handle(m);
          }
          reason = await messages.closed();
        } catch (err) {
          reason = err;
        }
        if (this.#stopped) break;
        logger.warn({ err: reason || undefined, stream: options.stream, durable: options.durable }, 'bus consumer stopped; restarting');
      }
      messages = undefined;
      await this.#sleep(nakBackoffMs(++attempt));
      if (this.#stopped) break;
      try {
        await this.deps.upsert();
        messages = this.#messages = await this.#open();
        if (this.#stopped) await messages.close();
      } catch (err) {
        logger.warn({ err, stream: options.stream, durable: options.durable, attempt }, 'bus consumer restart failed; retrying');
      }
    }
  }

  async #handle(m: JsMsg): Promise<void> {
    const { handler, options, logger, toMessage } = this.deps;
    const settled = { value: false };
    const msg = toMessage(m, settled);
    try {
      await handler(msg);
      if ((options.ack ?? 'auto') === 'auto') msg.ack();
    } catch (err) {
      const delayMs = nakBackoffMs(msg.deliveryCount);
      logger.error({ err, subject: msg.subject, seq: msg.seq, deliveryCount: msg.deliveryCount, retryInMs: settled.value ? undefined : delayMs }, 'bus consumer handler failed');
      msg.nak(delayMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleep = done;
    });
  }

  unsubscribe(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      this.#wakeSleep?.();
      await this.#messages?.close().catch(() => undefined);
      await this.#loop;
      this.deps.onStop();
    })();
    return this.#stopping;
  }
}

function toNatsHeaders(headers: Headers): MsgHdrs | undefined {
  const names = Object.keys(headers);
  if (names.length === 0) return undefined;
  const out = natsHeaders();
  for (const name of names) out.set(name, headers[name] ?? '');
  return out;
}

/** Application headers only: the server's own `Nats-*` headers (msg id, status) are not part of the contract. */
function fromNatsHeaders(h: MsgHdrs | undefined): Headers {
  if (!h) return EMPTY_HEADERS;
  const out: Record<string, string> = {};
  for (const name of h.keys()) {
    if (/^nats-/i.test(name)) continue;
    out[name] = h.last(name);
  }
  return Object.freeze(out);
}

function sameStreamConfig(current: StreamConfig, wanted: Partial<StreamConfig>): boolean {
  return (
    JSON.stringify([...(current.subjects ?? [])].sort()) === JSON.stringify([...(wanted.subjects ?? [])].sort()) &&
    (current.description ?? '') === wanted.description &&
    current.max_age === wanted.max_age &&
    current.max_msgs === wanted.max_msgs &&
    current.duplicate_window === wanted.duplicate_window &&
    current.discard === wanted.discard
  );
}
