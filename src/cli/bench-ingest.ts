/**
 * `aetherius bench ingest`: the control plane's event ingest, end to end — synthetic agents publishing
 * through real NATS JetStream into real manager processes (`aetherius start --target manager`, as
 * deployed) and real PostgreSQL (a throwaway database, dropped afterwards).
 *
 * - Each synthetic agent is what a real agent is on the wire: its own NATS connection, a registration,
 *   and an Outbox (src/agent/outbox, the agent's own) publishing through the agent's
 *   EventBatchPublisher: up to `--event-batch` events per message on `aetherius.agent.{id}.events`
 *   (ADR 0016; `--event-batch 1`: one event per message, each with its id as msgId), with the
 *   agent's pipeline of unacknowledged publishes.
 * - The agents together offer `--rate` events per second for `--duration` seconds (`--rate 0`: as fast
 *   as their outboxes publish). `--repeat` is the share of events that repeat a recent object and
 *   reason of their agent (what aggregation folds); 0, the default, makes every event its own row.
 * - `events_per_s`: events stored divided by the time from the first publish until the managers'
 *   `aetherius_events_stored_total` reached them all (sustained: it includes draining any backlog).
 * - `p50_ms` / `p99_ms`: publish-to-stored latency of a sample of events (about 500 per second): from
 *   the agent queueing the event to the moment a reader sees its id in PostgreSQL (polled every 20 ms).
 * - `lost`: ids published but absent from the database when reading back everything at the end.
 * - `copy_rows_per_s`: the baseline, measured in the same run after the managers stopped: the rows
 *   the managers stored are exported with `COPY … TO STDOUT` and `COPY`ed back into a fresh table of
 *   the same DDL (`LIKE events INCLUDING ALL`, same storage options: same indexes, same generated
 *   search column). `ratio_to_copy` = events_per_s / copy_rows_per_s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { NatsBus, deleteNamespaceStreams } from '../adapters/bus/index.js';
import { createLogger } from '../adapters/telemetry/index.js';
import { STREAMS, SCHEMA_VERSION, agentSubject, errorMessage, type AgentEvent, type Severity } from '../contracts/index.js';
import { DEFAULT_MAX_EVENTS_PER_MESSAGE, EventBatchPublisher, Outbox } from '../agent/outbox/index.js';
import {
  copyIn,
  copyOut,
  cpuMsOf,
  pidsNamed,
  createThrowawayDatabase,
  machine,
  procStats,
  quantile,
  startManagerProcess,
  waitUntil,
  type ManagerProcess,
  type ThrowawayDatabase,
} from './bench-support.js';
import { seededRandom } from '../core/random.js';
import { resolveConfig } from '../core/config/index.js';

/** The agent's configured default, so the benchmark measures what an agent does out of the box. */
const DEFAULT_AGENT_LINGER_MS = resolveConfig({ env: {} }).config.agent.event_batch_linger;

export interface BenchIngestOptions {
  /** Synthetic agents (one cluster and one NATS connection each). */
  agents: number;
  /** Events per second offered by all agents together; 0: as fast as they publish. */
  rate: number;
  /** Seconds of publishing. */
  duration: number;
  /** Share (0–1) of events repeating a recent object and reason of their agent. */
  repeat: number;
  /** Manager processes sharing the durable consumer. */
  managers: number;
  /** Events per message (agent.event_batch_max); 1: one per message. Default: the agent's default. */
  eventBatch?: number;
  /** agent.event_batch_linger in ms. Default: the agent's default. */
  linger?: number;
  /**
   * Publish everything first, then start the managers and measure how fast they drain the stream: the
   * control plane's own rate, without the synthetic agents competing for the same cores (no latency).
   */
  prefill?: boolean;
  /** manager.ingest_batch_size, manager.ingest_flush_interval, manager.ingest_concurrency, manager.event_aggregation_window: the config's defaults unless given. */
  batchSize?: number;
  flushInterval?: string;
  concurrency?: number;
  window?: string;
  natsUrl: string;
  /** A PostgreSQL URL whose user may create databases; the benchmark creates and drops its own. */
  databaseUrl: string;
  json?: boolean;
}

export interface BenchIngestResult {
  events_per_s: number;
  /** Null with --prefill (nothing is in flight while it is measured). */
  p50_ms: number | null;
  p99_ms: number | null;
  copy_rows_per_s: number;
  ratio_to_copy: number;
  lost: number;
  events: number;
  stored_rows: number;
  agents: number;
  managers: number;
  offered_rate: number | 'max';
  mode: 'live' | 'prefill';
  /** Most events per NATS message the agents sent. */
  event_batch: number;
  event_linger_ms: number;
  published_per_s: number;
  repeat: number;
  duration_s: number;
  latency_samples: number;
  manager: { batch_size: string; flush_interval: string; concurrency: string; aggregation_window: string; cpu_pct: number; rss_mb: number };
  /**
   * CPU time per 1,000 events stored, by process, over the measured span: what the figures cost whatever
   * else the machine was doing. `postgres`: the backends serving the managers; `nats_server`: every
   * local nats-server process (shared with anything else using it); `agents`: this process.
   */
  cpu_ms_per_1k_events: { agents: number; manager: number; postgres: number; nats_server: number };
  outbox_dropped: number;
  machine: ReturnType<typeof machine>;
  date: string;
}

const REASONS: readonly { reason: string; severity: Severity; message: string; category: NonNullable<AgentEvent['category']> }[] = [
  { reason: 'BackOff', severity: 'high', message: 'Back-off restarting failed container app in pod', category: 'pod_failure' },
  { reason: 'Unhealthy', severity: 'medium', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503 for pod', category: 'pod_failure' },
  { reason: 'FailedMount', severity: 'high', message: 'MountVolume.SetUp failed for volume "config" : configmap "app-config" not found; pod', category: 'storage' },
  { reason: 'OOMKilled', severity: 'critical', message: 'Container app was OOM killed (exit code 137); memory limit 256Mi; pod', category: 'pod_failure' },
  { reason: 'FailedScheduling', severity: 'high', message: '0/50 nodes are available: 50 Insufficient memory; pod', category: 'scheduling' },
];
const SAMPLES_PER_S = 500;
const RECENT_OBJECTS = 32;

interface SyntheticAgent {
  index: number;
  clusterId: string;
  bus: NatsBus;
  outbox: Outbox;
  seq: number;
  /** Objects of recent events: a repeat reuses one, with its message (a Kubernetes Event repeats its own). */
  recent: RecentObject[];
  random: () => number;
}

interface RecentObject {
  pod: string;
  ns: string;
  r: number;
  node: string;
  message: string;
}

function buildEvent(agent: SyntheticAgent, runTag: string, repeat: number, now: number): AgentEvent {
  const seq = agent.seq++;
  let obj: RecentObject | undefined;
  const recent = agent.recent;
  if (recent.length > 0 && agent.random() < repeat) obj = recent[Math.floor(agent.random() * recent.length)];
  if (!obj) {
    const k = Math.floor(agent.random() * 1e9);
    const pod = `svc-${k % 400}-${k.toString(36)}`;
    const r = k % REASONS.length;
    obj = { pod, ns: `team-${k % 20}`, r, node: `node-${k % 50}`, message: `${REASONS[r]?.message ?? ''} ${pod} (${agent.index}-${seq})` };
    recent.push(obj);
    if (recent.length > RECENT_OBJECTS) recent.shift();
  }
  const kind = REASONS[obj.r] ?? REASONS[0];
  const ts = new Date(now).toISOString();
  const node = obj.node;
  const owner = obj.pod.replace(/-[^-]+$/, '');
  return {
    schema_version: SCHEMA_VERSION,
    id: `${runTag}-${agent.index}-${seq}`,
    cluster_id: agent.clusterId,
    timestamp: ts,
    type: 'k8s_event',
    source: 'kubelet',
    severity: kind?.severity ?? 'high',
    reason: kind?.reason ?? 'BackOff',
    message: obj.message,
    namespace: obj.ns,
    labels: { kind: 'Pod', name: obj.pod, node },
    raw_data: { count: 1 + (seq % 7), first_timestamp: ts, last_timestamp: ts, component: 'kubelet', host: node, type: 'Warning' },
    ...(kind ? { category: kind.category } : {}),
    involved_object: { kind: 'Pod', name: obj.pod, namespace: obj.ns, uid: `uid-${agent.index}-${obj.pod}`, api_version: 'v1' },
    owners: [
      { kind: 'ReplicaSet', name: `${owner}-7d9f`, namespace: obj.ns, uid: `rs-${owner}` },
      { kind: 'Deployment', name: owner, namespace: obj.ns, uid: `dep-${owner}` },
    ],
  };
}

function per1k(cpuMs: number, events: number): number {
  return events > 0 ? Math.round((cpuMs / events) * 1000 * 10) / 10 : 0;
}

/** Sum of `aetherius_events_stored_total{result="inserted"}` over the managers. */
async function storedCount(managers: readonly ManagerProcess[]): Promise<number> {
  let total = 0;
  for (const m of managers) {
    const text = await (await fetch(`${m.url}/metrics`)).text();
    for (const match of text.matchAll(/^aetherius_events_stored_total\{[^}]*result="inserted"[^}]*\} (\d+)/gm)) total += Number(match[1]);
  }
  return total;
}

/**
 * Runs the benchmark and prints the figures.
 * @throws Error when NATS or PostgreSQL cannot be reached or a manager does not start.
 */
export async function runBenchIngest(options: BenchIngestOptions): Promise<number> {
  const say = (text: string) => {
    if (!options.json) process.stderr.write(`${text}\n`);
  };
  const logger = createLogger({ level: 'warn' });
  const runTag = `ing${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const namespace = `bench_${runTag}`;
  const dir = await mkdtemp(join(os.tmpdir(), 'aetherius-bench-ingest-'));
  const agents: SyntheticAgent[] = [];
  const managers: ManagerProcess[] = [];
  let db: ThrowawayDatabase | undefined;
  let reader: pg.Client | undefined;
  try {
    db = await createThrowawayDatabase(options.databaseUrl, 'aet_bench_ingest');
    const env: Record<string, string> = {
      AETHERIUS_DATABASE_URL: db.url,
      AETHERIUS_BUS_URL: options.natsUrl,
      AETHERIUS_BUS_NAMESPACE: namespace,
      ...(options.batchSize !== undefined ? { AETHERIUS_MANAGER_INGEST_BATCH_SIZE: String(options.batchSize) } : {}),
      ...(options.flushInterval !== undefined ? { AETHERIUS_MANAGER_INGEST_FLUSH_INTERVAL: options.flushInterval } : {}),
      ...(options.concurrency !== undefined ? { AETHERIUS_MANAGER_INGEST_CONCURRENCY: String(options.concurrency) } : {}),
      ...(options.window !== undefined ? { AETHERIUS_MANAGER_EVENT_AGGREGATION_WINDOW: options.window } : {}),
    };
    const startManagers = async () => {
      say(`starting ${options.managers} manager process(es)`);
      // One at a time: the first applies the migrations.
      for (let i = 0; i < options.managers; i++) managers.push(await startManagerProcess(env));
    };
    if (!options.prefill) await startManagers();

    const eventBatch = options.eventBatch ?? DEFAULT_MAX_EVENTS_PER_MESSAGE;
    say(`connecting ${options.agents} synthetic agents (up to ${eventBatch} events per message)`);
    for (let i = 0; i < options.agents; i++) {
      let bus: NatsBus;
      try {
        bus = await NatsBus.connect({ servers: options.natsUrl, namespace, name: `bench-agent-${i}`, logger });
      } catch (err) {
        throw new Error(`the ingest benchmark needs NATS with JetStream (--nats-url ${options.natsUrl}): ${errorMessage(err)}`, { cause: err });
      }
      if (i === 0) await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));
      const clusterId = `bench-${i}`;
      const outbox = await Outbox.open({
        memoryCapacity: 1_000_000,
        journalDir: join(dir, `agent-${i}`),
        journalMaxBytes: 512 * 1024 * 1024,
        logger,
        publish: new EventBatchPublisher({
          eventSubject: agentSubject(clusterId, 'event'),
          batchSubject: agentSubject(clusterId, 'events'),
          clusterId,
          agentId: `bench-agent-${i}`,
          maxEvents: eventBatch,
          lingerMs: options.linger ?? DEFAULT_AGENT_LINGER_MS,
          maxBytes: () => Math.max(64 * 1024, bus.maxPayloadBytes - 16 * 1024),
          send: (subject, body, msgId) => bus.publish(subject, body, { msgId }),
        }).publish,
        maxInFlight: Math.max(256, 2 * eventBatch),
      });
      agents.push({ index: i, clusterId, bus, outbox, seq: 0, recent: [], random: seededRandom(1000 + i) });
      if (options.prefill) continue; // nobody to answer yet
      const reply = await bus.request(
        agentSubject(clusterId, 'register'),
        { schema_version: SCHEMA_VERSION, agent_id: `bench-agent-${i}`, cluster_id: clusterId, timestamp: new Date().toISOString(), version: 'bench', capabilities: ['events'] },
        { timeoutMs: 10_000 },
      );
      if ((reply.json() as { accepted?: boolean }).accepted !== true) throw new Error(`synthetic agent ${i} was not accepted: ${reply.string()}`);
    }

    reader = new pg.Client({ connectionString: db.url });
    reader.on('error', () => undefined);
    await reader.connect();

    // ---- publish ----
    const sampleEvery = options.rate > 0 ? Math.max(1, Math.round(options.rate / SAMPLES_PER_S)) : 40;
    const pending = new Map<string, number>(); // sampled id → queued at (epoch ms)
    const latencies: number[] = [];
    let samplerBusy = false;
    const sampler = setInterval(() => {
      if (options.prefill) return;
      if (samplerBusy || pending.size === 0 || !reader) return;
      samplerBusy = true;
      const ids = [...pending.keys()].slice(0, 2000);
      reader
        .query<{ id: string }>('SELECT id FROM event_ids WHERE id = ANY($1::text[])', [ids])
        .then((res) => {
          const seenAt = Date.now();
          for (const { id } of res.rows) {
            const queuedAt = pending.get(id);
            if (queuedAt !== undefined) latencies.push(seenAt - queuedAt);
            pending.delete(id);
          }
        })
        .catch(() => undefined)
        .finally(() => (samplerBusy = false));
    }, 20);

    const target = options.rate > 0 ? Math.round(options.rate * options.duration) : Number.POSITIVE_INFINITY;
    let generated = 0;
    let nextAgent = 0;
    const enqueue = (now: number) => {
      const agent = agents[nextAgent] as SyntheticAgent;
      nextAgent = (nextAgent + 1) % agents.length;
      const ev = buildEvent(agent, runTag, options.repeat, now);
      if (!options.prefill && generated % sampleEvery === 0) pending.set(ev.id, now);
      agent.outbox.enqueue({ id: ev.id, subject: agentSubject(agent.clusterId, 'event'), body: JSON.stringify(ev), severity: ev.severity });
      generated++;
    };
    say(options.rate > 0 ? `publishing ${target} events at ${options.rate}/s` : `publishing as fast as possible for ${options.duration} s`);
    let cpuBefore = await Promise.all(managers.map((m) => procStats(m.pid).catch(() => ({ cpuMs: 0, rssMb: 0 }))));
    const natsPids = await pidsNamed('nats-server');
    let natsBefore = await cpuMsOf(natsPids);
    let selfBefore = process.cpuUsage();
    const t0 = Date.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = Date.now();
        const elapsed = (now - t0) / 1000;
        if (options.rate > 0) {
          const due = Math.min(target, Math.floor(options.rate * elapsed));
          while (generated < due) enqueue(now);
          if (generated >= target) {
            clearInterval(tick);
            resolve();
          }
        } else {
          // Keep every outbox's pipeline full without queueing more than it can publish soon.
          for (const a of agents) {
            while (a.outbox.depth < 512) {
              nextAgent = a.index;
              enqueue(now);
            }
          }
          if (elapsed >= options.duration) {
            clearInterval(tick);
            resolve();
          }
        }
      }, 5);
    });
    const publishedEnd = Date.now();
    const total = generated;
    say(`queued ${total} events in ${((publishedEnd - t0) / 1000).toFixed(1)} s; waiting for the outboxes and the managers`);
    await Promise.all(agents.map((a) => a.outbox.flush(300_000)));
    const acked = Date.now();
    // Measured from here: the first publish, or (prefill) the moment the managers are up.
    let tStart = t0;
    let storedBefore = 0;
    if (options.prefill) {
      await startManagers();
      tStart = Date.now();
      storedBefore = await storedCount(managers);
      cpuBefore = await Promise.all(managers.map((m) => procStats(m.pid).catch(() => ({ cpuMs: 0, rssMb: 0 }))));
      natsBefore = await cpuMsOf(natsPids);
      selfBefore = process.cpuUsage();
    }

    // ---- until everything is stored (or nothing moves for 30 s) ----
    let stored = 0;
    let lastProgress = Date.now();
    let storedAt = Date.now();
    for (;;) {
      const now = await storedCount(managers).catch(() => stored);
      if (now > stored) {
        stored = now;
        lastProgress = Date.now();
      }
      if (stored >= total) {
        storedAt = Date.now();
        break;
      }
      if (Date.now() - lastProgress > 30_000) {
        storedAt = lastProgress;
        say(`stored count stuck at ${stored} of ${total}`);
        break;
      }
      // Each poll makes the managers render their metrics: often enough for a precise end, rarely enough
      // not to load them.
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitUntil('latency samples read', 10_000, () => Promise.resolve(pending.size === 0), 50).catch(() => undefined);
    clearInterval(sampler);

    const self = process.cpuUsage(selfBefore);
    const natsCpu = (await cpuMsOf(natsPids)) - natsBefore;
    // The managers' database sessions were all opened during this run (the pools open lazily).
    const backends = (
      await reader.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
    ).rows.map((r) => r.pid);
    const postgresCpu = await cpuMsOf(backends);
    const cpu: { cpuMs: number; rssMb: number }[] = await Promise.all(managers.map((m) => procStats(m.pid).catch(() => ({ cpuMs: 0, rssMb: 0 }))));
    const cpuUsed = cpu.reduce((n, c, i) => n + c.cpuMs - (cpuBefore[i]?.cpuMs ?? 0), 0);
    // Percent of one core, all managers together, over the measured span.
    const managerCpuPct = Math.round((cpuUsed / (storedAt - tStart)) * 100);
    const managerRss = Math.max(...cpu.map((c) => c.rssMb));

    // ---- read back ----
    const ids = new Set((await reader.query<{ id: string }>('SELECT id FROM event_ids')).rows.map((r) => r.id));
    let lost = 0;
    for (const a of agents) for (let s = 0; s < a.seq; s++) if (!ids.has(`${runTag}-${a.index}-${s}`)) lost++;
    const rows = Number((await reader.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]?.n ?? 0);
    const dropped = agents.reduce((n, a) => n + Object.values(a.outbox.stats().dropped).reduce((x, y) => x + y, 0), 0);

    for (const a of agents) {
      await a.outbox.close();
      await a.bus.close();
    }
    agents.length = 0;
    for (const m of managers) await m.stop();
    managers.length = 0;

    // ---- baseline: raw COPY of the same rows into a fresh table of the same DDL ----
    say(`COPY baseline: ${rows} rows`);
    const cols = (
      await reader.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'events' AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      )
    ).rows.map((r) => `"${r.column_name}"`);
    const exported = await copyOut(reader, `COPY (SELECT ${cols.join(', ')} FROM events) TO STDOUT`);
    const reloptions = (await reader.query<{ o: string[] | null }>(`SELECT reloptions AS o FROM pg_class WHERE oid = 'events'::regclass`)).rows[0]?.o ?? [];
    await reader.query('CREATE TABLE events_copy (LIKE events INCLUDING ALL)');
    if (reloptions.length) await reader.query(`ALTER TABLE events_copy SET (${reloptions.join(', ')})`);
    await reader.query('CHECKPOINT');
    const c0 = performance.now();
    const copied = await copyIn(reader, `COPY events_copy (${cols.join(', ')}) FROM STDIN`, exported.data);
    const copySeconds = (performance.now() - c0) / 1000;

    const sorted = [...latencies].sort((a, b) => a - b);
    const measured = total - storedBefore;
    const eventsPerS = measured / ((storedAt - tStart) / 1000);
    const copyRowsPerS = copied / copySeconds;
    const result: BenchIngestResult = {
      events_per_s: Math.round(eventsPerS),
      p50_ms: sorted.length ? Math.round(quantile(sorted, 0.5)) : null,
      p99_ms: sorted.length ? Math.round(quantile(sorted, 0.99)) : null,
      copy_rows_per_s: Math.round(copyRowsPerS),
      ratio_to_copy: Math.round((eventsPerS / copyRowsPerS) * 100) / 100,
      lost,
      events: total,
      stored_rows: rows,
      agents: options.agents,
      managers: options.managers,
      offered_rate: options.rate > 0 ? options.rate : 'max',
      mode: options.prefill ? 'prefill' : 'live',
      event_batch: options.eventBatch ?? DEFAULT_MAX_EVENTS_PER_MESSAGE,
      event_linger_ms: options.linger ?? DEFAULT_AGENT_LINGER_MS,
      published_per_s: Math.round(total / ((acked - t0) / 1000)),
      repeat: options.repeat,
      duration_s: Math.round((storedAt - tStart) / 100) / 10,
      latency_samples: sorted.length,
      manager: {
        batch_size: env['AETHERIUS_MANAGER_INGEST_BATCH_SIZE'] ?? 'default',
        flush_interval: env['AETHERIUS_MANAGER_INGEST_FLUSH_INTERVAL'] ?? 'default',
        concurrency: env['AETHERIUS_MANAGER_INGEST_CONCURRENCY'] ?? 'default',
        aggregation_window: env['AETHERIUS_MANAGER_EVENT_AGGREGATION_WINDOW'] ?? 'default',
        cpu_pct: managerCpuPct,
        rss_mb: managerRss,
      },
      cpu_ms_per_1k_events: {
        agents: per1k((self.user + self.system) / 1000, measured),
        manager: per1k(cpuUsed, measured),
        postgres: per1k(postgresCpu, measured),
        nats_server: per1k(natsCpu, measured),
      },
      outbox_dropped: dropped,
      machine: machine(),
      date: new Date().toISOString(),
    };
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `ingest (${result.mode}): ${result.events_per_s} events/s stored (${result.events} events, ${result.stored_rows} rows, ${result.lost} lost); publish-to-stored p50 ${String(result.p50_ms)} ms, p99 ${String(result.p99_ms)} ms\n` +
          `raw COPY of the same rows: ${result.copy_rows_per_s} rows/s; ratio ${result.ratio_to_copy}\n`,
      );
    }
    return 0;
  } finally {
    for (const a of agents) {
      await a.outbox.close().catch(() => undefined);
      await a.bus.close().catch(() => undefined);
    }
    for (const m of managers) await m.stop();
    await reader?.end().catch(() => undefined);
    await deleteNamespaceStreams(options.natsUrl, namespace).catch(() => undefined);
    await db?.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
