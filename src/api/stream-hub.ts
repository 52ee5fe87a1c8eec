/**
 * The live stream behind `GET /api/v1/stream`: agent events and incident changes, as Server-Sent Events,
 * to any number of HTTP clients of one API process.
 *
 * - One core (non-durable) bus subscription per kind — `aetherius.agent.*.event`,
 *   `internal.incident.changed` — shared by every client that wants that kind, made when the first such
 *   client arrives and dropped when the last leaves. Each message is validated once with the boundary's
 *   checks (the manager's, incl. "cluster_id equals the subject's"), serialised once, then filtered per
 *   client. An invalid message is skipped here; the manager counts and dead-letters it.
 * - A slow client never grows memory without bound: frames wait in the client's socket buffer up to
 *   `maxBufferedBytes`; beyond that new frames are dropped and counted, and once the buffer drains the
 *   client gets one `event: dropped` frame saying how many it missed (then fetches them from
 *   `GET /api/v1/events`). A client that stays over the limit for `stuckMs` is disconnected.
 * - A comment line every `heartbeatMs` keeps proxies from closing an idle stream and lets the server
 *   notice a client that went away.
 * - At most `maxClients` streams at once; more are refused before any byte is sent.
 */
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  INTERNAL_SUBJECTS,
  RateLimitedError,
  agentSubjectAllClusters,
  errorMessage,
  parseAgentSubject,
  splitEventBatch,
  type AgentEvent,
  type AgentEventBatch,
  type IncidentChange,
  type IncidentSeverity,
  type Severity,
} from '../contracts/index.js';
import { checkMessage, sameClusterLookup, type Bus, type BusMessage, type Subscription } from '../adapters/bus/index.js';
import type { Logger, Metrics } from '../adapters/telemetry/index.js';

export type StreamKind = 'events' | 'incidents';

export interface StreamFilter {
  kinds: ReadonlySet<StreamKind>;
  clusterId?: string | undefined;
  namespace?: string | undefined;
  /** Lowest severity sent; incidents map P0→critical, P1→high, P2→medium, P3→low. */
  minSeverity: Severity;
}

/** What a stream writes to: an HTTP response (or any writable with the same few members, in tests). */
export type StreamSink = Pick<ServerResponse, 'write' | 'end' | 'destroy' | 'on' | 'off' | 'writableLength' | 'writableEnded' | 'destroyed'>;

export interface StreamHubOptions {
  bus: Bus;
  logger: Logger;
  metrics?: Metrics | undefined;
  maxClients: number;
  /** Default 15 s. */
  heartbeatMs?: number;
  /** Bytes a client's socket buffer may hold before frames are dropped. Default 256 KiB. */
  maxBufferedBytes?: number;
  /** A client over the limit this long is disconnected. Default 60 s. */
  stuckMs?: number;
  /** Reconnect delay suggested to clients (`retry:`). Default 3 s. */
  retryMs?: number;
  now?: () => number;
}

export const DEFAULT_STREAM_HEARTBEAT_MS = 15_000;
export const DEFAULT_STREAM_MAX_BUFFERED_BYTES = 256 * 1024;
export const DEFAULT_STREAM_STUCK_MS = 60_000;
export const DEFAULT_STREAM_RETRY_MS = 3_000;

/** Severity rank, higher is worse. */
const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const INCIDENT_RANK: Record<IncidentSeverity, number> = { P3: 0, P2: 1, P1: 2, P0: 3 };
/** Events come one per message or batched (ADR 0016). */
const SUBJECTS: Record<StreamKind, readonly string[]> = {
  events: [agentSubjectAllClusters('event'), agentSubjectAllClusters('events')],
  incidents: [INTERNAL_SUBJECTS.incidentChanged],
};

interface Frame {
  kind: StreamKind;
  clusterId: string;
  namespace: string | undefined;
  rank: number;
  text: string;
}

type CloseReason = 'client' | 'slow' | 'shutdown';

class StreamTelemetry {
  readonly open: Gauge;
  readonly dropped: Counter;
  readonly refused: Counter;
  readonly closed: Counter<'reason'>;

  constructor(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    const existing = <T>(name: string): T | undefined => registry?.getSingleMetric(name) as T | undefined;
    this.open = existing<Gauge>('aetherius_api_streams_open') ?? new Gauge({ name: 'aetherius_api_streams_open', help: 'Live streams (GET /api/v1/stream) open in this process', registers });
    this.dropped =
      existing<Counter>('aetherius_api_stream_frames_dropped_total') ??
      new Counter({ name: 'aetherius_api_stream_frames_dropped_total', help: 'Stream frames not sent because the client read too slowly (it is told how many)', registers });
    this.refused =
      existing<Counter>('aetherius_api_streams_refused_total') ?? new Counter({ name: 'aetherius_api_streams_refused_total', help: 'Streams refused because server.max_streams were open', registers });
    this.closed =
      existing<Counter<'reason'>>('aetherius_api_streams_closed_total') ??
      new Counter({ name: 'aetherius_api_streams_closed_total', help: 'Streams ended, by reason: client (went away), slow (over the buffer limit too long), shutdown', labelNames: ['reason'] as const, registers });
  }
}

/** One open stream. */
class StreamClient {
  dropped = 0;
  /** Removes the listeners put on the sink. */
  detach: () => void = () => undefined;
  #congestedSince: number | undefined;
  #droppedSince: string | undefined;

  constructor(
    readonly filter: StreamFilter,
    readonly sink: StreamSink,
    private readonly hub: { maxBufferedBytes: number; now: () => number; telemetry: StreamTelemetry },
  ) {}

  wants(frame: Frame): boolean {
    const f = this.filter;
    if (!f.kinds.has(frame.kind)) return false;
    if (f.clusterId !== undefined && frame.clusterId !== f.clusterId) return false;
    if (f.namespace !== undefined && frame.namespace !== f.namespace) return false;
    return frame.rank >= RANK[f.minSeverity];
  }

  get congested(): boolean {
    return this.sink.writableLength > this.hub.maxBufferedBytes;
  }

  /** How long the client has been over the limit, ms (0 when it is not). */
  congestedFor(now: number): number {
    return this.#congestedSince === undefined ? 0 : now - this.#congestedSince;
  }

  send(text: string): void {
    if (this.sink.writableEnded || this.sink.destroyed) return;
    if (this.congested) {
      this.#congestedSince ??= this.hub.now();
      this.#droppedSince ??= new Date(this.hub.now()).toISOString();
      this.dropped++;
      this.hub.telemetry.dropped.inc();
      return;
    }
    this.#congestedSince = undefined;
    this.flushDropped();
    this.sink.write(text);
  }

  /** Tells the client what it missed, once there is room again. */
  flushDropped(): void {
    if (this.dropped === 0 || this.congested || this.sink.writableEnded || this.sink.destroyed) return;
    this.sink.write(`event: dropped\ndata: ${JSON.stringify({ dropped: this.dropped, since: this.#droppedSince })}\n\n`);
    this.dropped = 0;
    this.#droppedSince = undefined;
    this.#congestedSince = undefined;
  }
}

export class StreamHub {
  readonly #o: Required<Omit<StreamHubOptions, 'metrics'>>;
  readonly #telemetry: StreamTelemetry;
  readonly #clients = new Set<StreamClient>();
  readonly #subscriptions = new Map<StreamKind, Subscription[]>();
  readonly #lookup = sameClusterLookup();
  #reserved = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: StreamHubOptions) {
    this.#o = {
      heartbeatMs: DEFAULT_STREAM_HEARTBEAT_MS,
      maxBufferedBytes: DEFAULT_STREAM_MAX_BUFFERED_BYTES,
      stuckMs: DEFAULT_STREAM_STUCK_MS,
      retryMs: DEFAULT_STREAM_RETRY_MS,
      now: Date.now,
      ...options,
    };
    this.#telemetry = new StreamTelemetry(options.metrics?.registry);
  }

  /** Streams open now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Kinds with a live bus subscription now. */
  get subscribedKinds(): StreamKind[] {
    return [...this.#subscriptions.keys()];
  }

  /**
   * Takes one of the `maxClients` slots; call before answering, so a refusal is a plain error response.
   * Give it back with `release()` or hand it to `open()`.
   * @throws RateLimitedError when every slot is taken (or the hub is closing).
   */
  reserve(): void {
    if (this.#closed || this.#clients.size + this.#reserved >= this.#o.maxClients) {
      this.#telemetry.refused.inc();
      throw new RateLimitedError(`${this.#o.maxClients} live streams are open on this server (server.max_streams); retry later or close another stream`);
    }
    this.#reserved++;
  }

  release(): void {
    if (this.#reserved > 0) this.#reserved--;
  }

  /**
   * Opens a reserved stream on `sink` (whose headers are already sent): subscribes to what it needs,
   * waits until the bus has the subscription, then writes `retry:` and a `: open` comment. Resolves
   * once the stream is live; it ends when the client goes away or the hub closes.
   */
  async open(filter: StreamFilter, sink: StreamSink): Promise<void> {
    this.release();
    const client = new StreamClient(filter, sink, { maxBufferedBytes: this.#o.maxBufferedBytes, now: this.#o.now, telemetry: this.#telemetry });
    if (this.#closed) {
      sink.end();
      return;
    }
    this.#clients.add(client);
    this.#telemetry.open.set(this.#clients.size);
    const onDrain = () => client.flushDropped();
    const onClose = () => this.#remove(client, 'client');
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    client.detach = () => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
    };
    for (const kind of filter.kinds) this.#subscribe(kind);
    // Core subscriptions reach the server asynchronously: a round trip makes sure they are in place
    // before the client is told the stream is open.
    await this.#o.bus.ping().catch((err: unknown) => this.#o.logger.warn({ err: errorMessage(err) }, 'stream: bus did not answer a ping; the stream opens anyway'));
    if (!this.#clients.has(client)) return;
    sink.write(`retry: ${this.#o.retryMs}\n: open ${new Date(this.#o.now()).toISOString()}\n\n`);
    this.#timer ??= this.#startHeartbeat();
  }

  /** Ends every stream and drops the subscriptions; later opens end at once. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const client of [...this.#clients]) {
      this.#remove(client, 'shutdown');
      client.sink.end();
    }
    await this.#unsubscribeIdle();
  }

  #subscribe(kind: StreamKind): void {
    if (this.#subscriptions.has(kind)) return;
    this.#subscriptions.set(
      kind,
      SUBJECTS[kind].map((subject) => this.#o.bus.subscribe(subject, (msg) => this.#deliver(kind, msg))),
    );
  }

  #deliver(kind: StreamKind, msg: BusMessage): void {
    if (this.#clients.size === 0) return;
    const verdict = checkMessage<AgentEvent | AgentEventBatch | IncidentChange>(msg, this.#lookup, this.#o.bus.maxPayloadBytes);
    if (!verdict.ok) {
      this.#o.logger.debug({ subject: msg.subject, reason: verdict.reason }, 'stream: invalid message skipped');
      return;
    }
    let frames: Frame[];
    if (kind === 'incidents') frames = [incidentFrame(verdict.value as IncidentChange)];
    else if (parseAgentSubject(msg.subject)?.kind === 'events') frames = splitEventBatch(verdict.value as AgentEventBatch).valid.map(eventFrame);
    else frames = [eventFrame(verdict.value as AgentEvent)];
    for (const frame of frames) for (const client of this.#clients) if (client.wants(frame)) client.send(frame.text);
  }

  #remove(client: StreamClient, reason: CloseReason): void {
    if (!this.#clients.delete(client)) return;
    client.detach();
    this.#telemetry.open.set(this.#clients.size);
    this.#telemetry.closed.inc({ reason });
    if (this.#clients.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    void this.#unsubscribeIdle();
  }

  /** Drops the subscriptions no open stream needs any more. */
  async #unsubscribeIdle(): Promise<void> {
    const needed = new Set<StreamKind>();
    for (const c of this.#clients) for (const k of c.filter.kinds) needed.add(k);
    const idle = [...this.#subscriptions].filter(([kind]) => !needed.has(kind));
    for (const [kind] of idle) this.#subscriptions.delete(kind);
    await Promise.all(
      idle.flatMap(([kind, subs]) => subs.map((sub) => sub.unsubscribe().catch((err: unknown) => this.#o.logger.warn({ kind, err: errorMessage(err) }, 'stream: unsubscribe failed')))),
    );
  }

  #startHeartbeat(): NodeJS.Timeout {
    const timer = setInterval(() => {
      const now = this.#o.now();
      for (const client of [...this.#clients]) {
        if (client.congestedFor(now) > this.#o.stuckMs) {
          this.#o.logger.info({ dropped: client.dropped }, 'stream: client over its buffer limit too long; disconnected');
          this.#remove(client, 'slow');
          client.sink.destroy();
          continue;
        }
        client.flushDropped();
        if (!client.congested) client.sink.write(`: heartbeat ${new Date(now).toISOString()}\n\n`);
      }
    }, this.#o.heartbeatMs);
    timer.unref();
    return timer;
  }
}

/** SSE `id:` may not hold line breaks; such ids are left out. */
function idLine(id: string): string {
  return /[\r\n\0]/.test(id) ? '' : `id: ${id}\n`;
}

function eventFrame(e: AgentEvent): Frame {
  return { kind: 'events', clusterId: e.cluster_id, namespace: e.namespace, rank: RANK[e.severity], text: `event: k8s_event\n${idLine(e.id)}data: ${JSON.stringify(e)}\n\n` };
}

function incidentFrame(c: IncidentChange): Frame {
  const i = c.incident;
  return {
    kind: 'incidents',
    clusterId: i.cluster_id,
    namespace: i.namespace,
    rank: INCIDENT_RANK[i.severity],
    text: `event: incident\n${idLine(`${i.id}@${i.updated_at}`)}data: ${JSON.stringify({ change: c.change, incident: i })}\n\n`,
  };
}

/** Parses `types=events,incidents` (already validated); both kinds when absent. */
export function streamKinds(text: string | undefined): Set<StreamKind> {
  if (!text) return new Set(['events', 'incidents']);
  return new Set(text.split(',').map((t) => t.trim()) as StreamKind[]);
}
