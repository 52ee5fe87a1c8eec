/**
 * `aetherius bench agents`: what thousands of agents cost the control plane. `--agents` synthetic agents
 * (one cluster each) register with a manager process (`aetherius start --target manager`, as deployed,
 * so its CPU and memory are its own, read from /proc) and heartbeat every `--interval`, each at its own
 * phase, so the heartbeats spread over the interval as real agents' do (they start at different times).
 * Registrations are spread over the first interval; then `--periods` heartbeat periods are measured.
 *
 * - `manager_cpu_pct`: the manager's CPU time over the measured periods, in percent of one core.
 * - `manager_rss_mb`: its peak resident memory during them.
 * - `offline_false_alarms`: `AgentOffline` alerts firing on `internal.metrics.alert` for these agents,
 *   none of which ever stopped heartbeating, from the first registration to the end (must be 0).
 */
import pg from 'pg';
import { INTERNAL_SUBJECTS, SCHEMA_VERSION, agentSubject, errorMessage, parseDuration } from '../contracts/index.js';
import { NatsBus, deleteNamespaceStreams } from '../adapters/bus/index.js';
import { createLogger } from '../adapters/telemetry/index.js';
import { createThrowawayDatabase, machine, procStats, startManagerProcess, type ManagerProcess, type ThrowawayDatabase } from './bench-support.js';

export interface BenchAgentsOptions {
  agents: number;
  /** Heartbeat interval of every agent, e.g. `30s`. */
  interval: string;
  /** Heartbeat periods measured after every agent registered. */
  periods: number;
  /** NATS connections the agents share (the manager sees the same subjects whatever the count). */
  connections: number;
  natsUrl: string;
  databaseUrl: string;
  json?: boolean;
}

export interface BenchAgentsResult {
  agents: number;
  manager_cpu_pct: number;
  manager_rss_mb: number;
  offline_false_alarms: number;
  heartbeat_interval: string;
  periods: number;
  heartbeats_sent: number;
  heartbeat_publish_failures: number;
  registrations_retried: number;
  /** From the first registration until every agent was registered (they start over one interval). */
  registered_after_s: number;
  agents_offline_at_end: number;
  manager_rss_mb_after_registration: number;
  connections: number;
  machine: ReturnType<typeof machine>;
  date: string;
}

/**
 * Runs the benchmark and prints the figures.
 * @throws Error when NATS or PostgreSQL cannot be reached, the manager does not start, or `--interval` is not a duration.
 */
export async function runBenchAgents(options: BenchAgentsOptions): Promise<number> {
  const say = (text: string) => {
    if (!options.json) process.stderr.write(`${text}\n`);
  };
  let intervalMs: number;
  try {
    intervalMs = parseDuration(options.interval);
  } catch (err) {
    throw new Error(`--interval: ${errorMessage(err)}`, { cause: err });
  }
  if (intervalMs < 100) throw new Error('--interval must be at least 100ms');
  const logger = createLogger({ level: 'warn' });
  const tag = `ag${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const namespace = `bench_${tag}`;
  const buses: NatsBus[] = [];
  let manager: ManagerProcess | undefined;
  let db: ThrowawayDatabase | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    db = await createThrowawayDatabase(options.databaseUrl, 'aet_bench_agents');
    say('starting the manager');
    manager = await startManagerProcess({ AETHERIUS_DATABASE_URL: db.url, AETHERIUS_BUS_URL: options.natsUrl, AETHERIUS_BUS_NAMESPACE: namespace });
    const pid = manager.pid;
    for (let i = 0; i < Math.min(options.connections, options.agents); i++) {
      try {
        buses.push(await NatsBus.connect({ servers: options.natsUrl, namespace, name: `bench-agents-${i}`, logger }));
      } catch (err) {
        throw new Error(`the agents benchmark needs NATS (--nats-url ${options.natsUrl}): ${errorMessage(err)}`, { cause: err });
      }
    }
    const busOf = (i: number) => buses[i % buses.length] as NatsBus;
    const agentId = (i: number) => `${tag}-agent-${i}`;
    const clusterId = (i: number) => `${tag}-c${i}`;
    const ours = new Set(Array.from({ length: options.agents }, (_, i) => agentId(i)));

    let falseAlarms = 0;
    (buses[0] as NatsBus).subscribe(INTERNAL_SUBJECTS.metricsAlert, (msg) => {
      try {
        const alert = msg.json() as { alert?: string; status?: string; labels?: Record<string, string> };
        if (alert.alert === 'AgentOffline' && alert.status === 'firing' && ours.has(alert.labels?.['agent_id'] ?? '')) falseAlarms++;
      } catch {
        // not ours to judge
      }
    });

    // Agent i starts at phase i/N of the first interval and heartbeats every interval from then on.
    const started = Date.now();
    const phase = (i: number) => Math.floor((i * intervalMs) / options.agents);
    const nextDue = Array.from({ length: options.agents }, (_, i) => started + phase(i) + intervalMs);
    const registered = new Array<boolean>(options.agents).fill(false);
    let heartbeats = 0;
    let heartbeatFailures = 0;
    let registrationRetries = 0;
    const register = async (i: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await busOf(i).request(
            agentSubject(clusterId(i), 'register'),
            {
              schema_version: SCHEMA_VERSION,
              agent_id: agentId(i),
              cluster_id: clusterId(i),
              timestamp: new Date().toISOString(),
              version: 'bench',
              capabilities: ['events', 'metrics', 'commands'],
              config: { heartbeat_interval: options.interval, metrics_interval: '60s', enable_events: true, enable_metrics: true },
            },
            { timeoutMs: 10_000 },
          );
          registered[i] = true;
          return;
        } catch (err) {
          registrationRetries++;
          // As an agent does: retry with back-off (1 s doubling to 30 s), here for at most 5 minutes.
          if (Date.now() - started > 300_000) throw new Error(`agent ${i} could not register: ${errorMessage(err)}`, { cause: err });
          await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** attempt)));
        }
      }
    };
    const heartbeat = (i: number) => {
      heartbeats++;
      busOf(i)
        .publish(agentSubject(clusterId(i), 'heartbeat'), {
          schema_version: SCHEMA_VERSION,
          agent_id: agentId(i),
          cluster_id: clusterId(i),
          timestamp: new Date().toISOString(),
          status: 'healthy',
          uptime_seconds: Math.round((Date.now() - started - phase(i)) / 1000),
          stats: { events_sent: 0, events_buffered: 0, events_dropped: 0, commands_executed: 0 },
        })
        .catch(() => heartbeatFailures++);
    };

    say(`registering ${options.agents} agents over ${options.interval}`);
    const registrations: Promise<void>[] = [];
    let nextRegistration = 0;
    let nextHeartbeat = 0; // agents are in phase order: one pointer walks them round and round
    let registrationError: unknown;
    timers.push(
      setInterval(() => {
        const now = Date.now();
        while (nextRegistration < options.agents && started + phase(nextRegistration) <= now) {
          registrations.push(register(nextRegistration).catch((err: unknown) => void (registrationError ??= err)));
          nextRegistration++;
        }
        for (let sent = 0; sent < options.agents && (nextDue[nextHeartbeat] ?? Infinity) <= now; sent++) {
          if (registered[nextHeartbeat]) heartbeat(nextHeartbeat);
          nextDue[nextHeartbeat] = (nextDue[nextHeartbeat] ?? now) + intervalMs;
          nextHeartbeat = (nextHeartbeat + 1) % options.agents;
        }
      }, 10),
    );
    await new Promise((r) => setTimeout(r, intervalMs));
    await Promise.all(registrations);
    const registeredAfterMs = Date.now() - started;
    if (registrationError) throw registrationError instanceof Error ? registrationError : new Error(errorMessage(registrationError));
    const afterRegistration = await procStats(pid);

    say(`all registered; measuring ${options.periods} heartbeat periods of ${options.interval}`);
    let peakRss = afterRegistration.rssMb;
    timers.push(
      setInterval(() => {
        void procStats(pid)
          .then((s) => (peakRss = Math.max(peakRss, s.rssMb)))
          .catch(() => undefined);
      }, 1000),
    );
    const m0 = Date.now();
    await new Promise((r) => setTimeout(r, options.periods * intervalMs));
    const end = await procStats(pid);
    const wall = Date.now() - m0;
    peakRss = Math.max(peakRss, end.rssMb);

    const status = await offlineCount(db.url, tag);
    const result: BenchAgentsResult = {
      agents: options.agents,
      manager_cpu_pct: Math.round(((end.cpuMs - afterRegistration.cpuMs) / wall) * 1000) / 10,
      manager_rss_mb: peakRss,
      offline_false_alarms: falseAlarms,
      heartbeat_interval: options.interval,
      periods: options.periods,
      heartbeats_sent: heartbeats,
      heartbeat_publish_failures: heartbeatFailures,
      registrations_retried: registrationRetries,
      registered_after_s: Math.round(registeredAfterMs / 100) / 10,
      agents_offline_at_end: status,
      manager_rss_mb_after_registration: afterRegistration.rssMb,
      connections: buses.length,
      machine: machine(),
      date: new Date().toISOString(),
    };
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `${result.agents} agents heartbeating every ${result.heartbeat_interval}: manager ${result.manager_cpu_pct}% of a core, ${result.manager_rss_mb} MB peak RSS; ` +
          `${result.offline_false_alarms} false AgentOffline alerts\n`,
      );
    }
    return 0;
  } finally {
    for (const t of timers) clearInterval(t);
    for (const b of buses) await b.close().catch(() => undefined);
    await manager?.stop();
    await deleteNamespaceStreams(options.natsUrl, namespace).catch(() => undefined);
    await db?.drop().catch(() => undefined);
  }
}

/** Agents of this run the database holds as offline. */
async function offlineCount(url: string, tag: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ n: string }>(`SELECT count(*) AS n FROM agents WHERE status = 'offline' AND agent_id LIKE $1`, [`${tag}-agent-%`]);
    return Number(res.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}
