/**
 * The collect-agent: one per cluster. Connects to the Kubernetes API, detects its cluster id, watches
 * and classifies signals (EventWatcher), collects metrics, answers diagnostic commands
 * (CommandExecutor), and publishes everything on `aetherius.agent.{cluster_id}.*` through an outbox
 * that spills to disk, so a bus outage loses nothing.
 */
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  NoRespondersError,
  SCHEMA_VERSION,
  STREAMS,
  UnavailableError,
  agentSubject,
  errorMessage,
  formatDuration,
  type AgentEvent,
  type AgentHeartbeat,
  type AgentRegister,
  type AgentResult,
  type Severity,
} from '../contracts/index.js';
import { AGENT_ID_HEADER, type Bus, type BusMessage, type Subscription } from '../adapters/bus/index.js';
import { KubeClient, loadKubeConnection, type KubeConnectionOptions } from '../adapters/kube/index.js';
import type { Health, Logger, Metrics } from '../adapters/telemetry/index.js';
import { computeAgentMetrics, splitMetrics } from '../core/agent-metrics/index.js';
import { fitResult } from '../core/commands/index.js';
import type { Config } from '../core/config/index.js';
import { KUBE_RESOURCES, type KubeApi } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import type { RunningService } from '../core/targets.js';
import { AgentTelemetry } from './agent-telemetry.js';
import { detectClusterId } from './cluster-id.js';
import { CommandExecutor } from './command-executor.js';
import { EventWatcher, stateSignalSettings } from './event-watcher.js';
import { LogScanner, type LogScanReport } from './log-scanner.js';
import { EventBatchPublisher, Outbox } from './outbox/index.js';
import { lockJournalDir } from './journal-lock.js';

export const AGENT_CAPABILITIES = ['events', 'state_signals', 'metrics', 'commands.diagnostic'] as const;

/** What the process environment contributes (read by the cli only). */
export interface AgentEnv {
  /** `CLUSTER_ID`. */
  clusterId?: string;
  /** `HOSTNAME` (the pod name in a cluster). */
  hostname?: string;
  /**
   * The whole environment for the Kubernetes connection: KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT,
   * and PATH plus whatever an exec credential plugin (aws, gke-gcloud-auth-plugin) needs.
   */
  kube?: Readonly<Record<string, string | undefined>>;
}

export interface AgentDeps {
  config: Config;
  bus: Bus;
  metrics: Metrics;
  health: Health;
  logger: Logger;
  version: string;
  env?: AgentEnv;
  /** A ready Kubernetes client (tests); else one is built from `kube.*` config and the environment. */
  kube?: KubeApi;
  /** Overrides the service-account directory probed for in-cluster config (tests). */
  inClusterDir?: string;
}

export interface RunningAgent extends RunningService {
  readonly clusterId: string;
  readonly agentId: string;
  readonly watcher: EventWatcher;
  readonly outbox: Outbox;
  readonly executor: CommandExecutor;
  /** Collects and queues one metrics message now (also runs every `metrics_interval`). */
  collectMetrics(): Promise<void>;
  /**
   * Runs one log-scan cycle now (also runs every `agent.log_scan.interval`): reads the next pods' logs
   * and sends error-log signals. Undefined when `agent.log_scan.enabled` is false.
   */
  scanLogs(): Promise<LogScanReport | undefined>;
  /**
   * Checks the time-driven signals now (Services past their grace without endpoints, re-emission of
   * conditions still holding); also runs every 10 s. Returns the messages produced before filters.
   */
  resyncStates(): number;
  /** Waits until everything queued so far is acknowledged by the bus. */
  flush(timeoutMs: number): Promise<boolean>;
}

const RESULT_SEVERITY: Severity = 'critical'; // a command result is the last thing to drop

/**
 * Starts the agent.
 * @throws ConfigError when no cluster can be found or its id cannot be detected.
 * @throws UnavailableError when the Kubernetes API does not answer.
 */
export async function startAgent(deps: AgentDeps): Promise<RunningAgent> {
  const { config, bus, metrics, health } = deps;
  const env = deps.env ?? {};
  let log = deps.logger.child({ service: 'agent' });
  health.setComponent('agent', 'starting');
  const started = Date.now();

  let kube = deps.kube;
  let kubeDescription = 'injected client';
  if (!kube) {
    const connOptions: KubeConnectionOptions = {
      ...(config.kube.kubeconfig ? { kubeconfig: config.kube.kubeconfig } : {}),
      ...(config.kube.context ? { context: config.kube.context } : {}),
      env: { ...env.kube },
      ...(deps.inClusterDir ? { inClusterDir: deps.inClusterDir } : {}),
    };
    const conn = await loadKubeConnection(connOptions);
    kube = new KubeClient(conn, { qps: config.kube.qps, burst: config.kube.burst, userAgent: `aetherius-agent/${deps.version}` });
    kubeDescription = `${conn.source} ${conn.server}${conn.context ? ` (context ${conn.context})` : ''}`;
  }
  const api = kube;

  let kubeVersion: string;
  try {
    kubeVersion = await api.serverVersion();
  } catch (err) {
    throw new UnavailableError(`cannot reach the Kubernetes API (${kubeDescription}): ${errorMessage(err)}`, { cause: err });
  }
  const detected = await detectClusterId(api, { configured: config.agent.cluster_id || undefined, env: env.clusterId || undefined });
  const clusterId = detected.clusterId;
  const host = (env.hostname || osHostname()).replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 200);
  const agentId = `${clusterId}.${host}`.slice(0, 253);
  log = log.child({ clusterId, agentId });
  log.info({ source: detected.source, detail: detected.detail, kubernetes: kubeDescription, kubernetesVersion: kubeVersion }, 'cluster id detected');

  const telemetry = new AgentTelemetry(metrics);
  const eventSubject = agentSubject(clusterId, 'event');
  const remediationKey = config.remediation.approval_key || (config.remediation.approval_key_file ? (await readFile(config.remediation.approval_key_file, 'utf8')).trim() : '');
  if (config.remediation.enabled && remediationKey.length < 32) {
    throw new ConfigError('remediation.enabled needs an approval key of at least 32 characters', [{ path: 'remediation.approval_key', message: 'must be at least 32 characters when remediation.enabled is true (or set remediation.approval_key_file)' }]);
  }

  // The streams are normally created by the manager; an agent that starts first (or alone) creates them
  // itself so its first events are stored, not lost. Refused (e.g. no permission): the outbox retries.
  await bus.ensureStreams([STREAMS.events, STREAMS.metrics, STREAMS.results].map((st) => ({ ...st, subjects: [...st.subjects] }))).catch((err: unknown) => {
    log.warn({ err: errorMessage(err) }, 'could not create the agent streams; events wait in the outbox until they exist');
  });

  const journalDir = config.agent.journal_dir || join(tmpdir(), 'aetherius-agent', clusterId);
  const lock = lockJournalDir(journalDir);
  const cleanups: (() => Promise<void> | void)[] = [() => lock.release()];
  const messageBudget = () => Math.max(64 * 1024, bus.maxPayloadBytes - 16 * 1024);
  let eventsAcked = 0;
  try {
    const outbox = await Outbox.open({
      memoryCapacity: config.agent.buffer_size,
      journalDir,
      journalMaxBytes: config.agent.journal_max_bytes,
      logger: log,
      publish: new EventBatchPublisher({
        eventSubject,
        batchSubject: agentSubject(clusterId, 'events'),
        clusterId,
        agentId,
        maxEvents: config.agent.event_batch_max,
        lingerMs: config.agent.event_batch_linger,
        maxBytes: messageBudget,
        // The manager checks the header against the agent registered for the subject's cluster.
        send: (subject, body, msgId) => bus.publish(subject, body, { msgId, headers: { [AGENT_ID_HEADER]: agentId } }),
        onSent: (item) => {
          if (item.subject === eventSubject) {
            eventsAcked++;
            telemetry.eventsSent.inc({ severity: item.severity });
          }
        },
      }).publish,
      // Room for two full batches in flight, so the next one is assembled while the last is acknowledged.
      maxInFlight: Math.max(256, 2 * config.agent.event_batch_max),
      onDrop: (item, reason) => {
        if (item.subject === eventSubject) telemetry.eventsDropped.inc({ severity: item.severity, reason });
      },
    });
    cleanups.unshift(() => outbox.close());
    log.info({ journalDir, pending: outbox.depth }, 'outbox open');

    const watcher = new EventWatcher({
      api,
      clusterId,
      watcher: config.agent.watcher,
      signals: stateSignalSettings(config.agent),
      logger: log,
      telemetry,
      emit: (ev: AgentEvent) => {
        if (config.agent.enable_events) outbox.enqueue({ id: ev.id, subject: eventSubject, body: JSON.stringify(ev), severity: ev.severity });
      },
    });

    const executor = new CommandExecutor({
      clusterId,
      api,
      timeoutMs: config.agent.commands.timeout,
      maxOutputBytes: config.agent.commands.max_output_bytes,
      ratePerMinute: config.agent.commands.rate_per_minute,
      maxConcurrent: config.agent.commands.max_concurrent,
      remediation: { enabled: config.remediation.enabled, ...(remediationKey ? { approvalKey: remediationKey } : {}) },
      logger: log,
    });

    const subscriptions: Subscription[] = [];
    const timers: NodeJS.Timeout[] = [];
    let stopping = false;
    let commandsExecuted = 0;

    const resultSubject = agentSubject(clusterId, 'result');
    const onCommand = async (msg: BusMessage): Promise<void> => {
      let raw: unknown;
      try {
        raw = msg.json();
      } catch {
        raw = msg.string(); // the executor's schema layer rejects it with a reason
      }
      const { result, rejection } = await executor.execute(raw);
      commandsExecuted++;
      telemetry.commandResults.inc({ status: result.status });
      if (rejection) telemetry.commandRejections.inc({ reason: rejection });
      publishResult(result, msg);
    };
    const publishResult = (result: AgentResult, msg: BusMessage) => {
      const body = fitResult(result, messageBudget());
      // A direct reply for a request; the durable copy goes through the outbox (ordered, survives an
      // outage). A rejected command's result is worth less than a real event, so it is low severity (first
      // dropped if the journal fills), and one without a readable id is answered by reply only.
      if (msg.replyable) msg.respond(body);
      if (result.command_id === 'unknown') return;
      outbox.enqueue({ id: `result-${result.command_id}-${Date.parse(result.timestamp)}`, subject: resultSubject, body, severity: result.status === 'rejected' ? 'low' : RESULT_SEVERITY });
    };
    subscriptions.push(
      // One agent of a cluster runs each command, even while two overlap during a rolling update.
      bus.subscribe(agentSubject(clusterId, 'command'), (msg) => {
        // Not awaited: the bus runs core handlers one at a time, and a slow `logs` must not hold up the
        // next command; the executor enforces concurrency and rate limits itself.
        void onCommand(msg).catch((err: unknown) => log.error({ err }, 'command handling failed'));
      }, { queue: `aetherius-agent-${clusterId}` }),
    );

    const metricsSubject = agentSubject(clusterId, 'metrics');
    let metricsApi: 'unknown' | 'present' | 'absent' = 'unknown';
    let metricsProbeSkips = 0;
    const fetchUsage = async (): Promise<{ pods?: KubeObject[]; nodes?: KubeObject[] }> => {
      // metrics.k8s.io is optional; when it is missing, ask again only every 10th collection.
      if (metricsApi === 'absent' && ++metricsProbeSkips % 10 !== 0) return {};
      try {
        const namespaces = config.agent.watcher.namespaces.length ? config.agent.watcher.namespaces : [undefined];
        const podLists = await Promise.all(namespaces.map((ns) => api.list(KUBE_RESOURCES.podmetrics, ns ? { namespace: ns } : {})));
        const nodes = await api.list(KUBE_RESOURCES.nodemetrics);
        if (metricsApi !== 'present') log.info('metrics.k8s.io available: usage metrics included');
        metricsApi = 'present';
        return { pods: podLists.flatMap((l) => l.items), nodes: nodes.items };
      } catch (err) {
        if (metricsApi !== 'absent') log.warn({ err: errorMessage(err) }, 'metrics.k8s.io not available: metrics from object state only');
        metricsApi = 'absent';
        return {};
      }
    };
    const collectMetrics = async () => {
      const usage = await fetchUsage();
      // Saturation (CPUThrottlingHigh, MemoryNearLimit) is judged on each collection's container usage.
      watcher.observeUsage(usage.pods);
      const now = new Date().toISOString();
      const message = computeAgentMetrics({
        clusterId,
        now,
        nodes: watcher.objects('Node'),
        pods: watcher.objects('Pod'),
        ...(usage.pods ? { podUsage: usage.pods } : {}),
        ...(usage.nodes ? { nodeUsage: usage.nodes } : {}),
      });
      // Metrics are the first thing to give up when the journal is full.
      const parts = splitMetrics(message, `metrics-${clusterId}-${Date.parse(now)}`, messageBudget());
      parts.forEach((body, i) => outbox.enqueue({ id: parts.length === 1 ? `metrics-${clusterId}-${Date.parse(now)}` : `metrics-${clusterId}-${Date.parse(now)}-${i}`, subject: metricsSubject, body, severity: 'low' }));
      telemetry.metricsSent.inc(parts.length);
    };

    const registerMessage = (): AgentRegister => ({
      schema_version: SCHEMA_VERSION,
      agent_id: agentId,
      cluster_id: clusterId,
      timestamp: new Date().toISOString(),
      version: deps.version,
      hostname: host,
      kubernetes_version: kubeVersion,
      capabilities: [...AGENT_CAPABILITIES, ...(config.agent.log_scan.enabled ? ['log_signals'] : []), ...(config.remediation.enabled ? ['commands.remediation'] : [])],
      config: {
        heartbeat_interval: formatDuration(config.agent.heartbeat_interval),
        metrics_interval: formatDuration(config.agent.metrics_interval),
        buffer_size: config.agent.buffer_size,
        enable_metrics: config.agent.enable_metrics,
        enable_events: config.agent.enable_events,
      },
    });
    let registered = false;
  let registerFailures = 0;
  const register = async () => {
    try {
      await bus.request(agentSubject(clusterId, 'register'), registerMessage(), { timeoutMs: config.bus.request_timeout });
      if (!registered) log.info({ attempts: registerFailures + 1 }, 'registered with the control plane');
      registered = true;
    } catch (err) {
      // No manager yet, or the bus is down: events still flow into the outbox; retry at the next
      // heartbeat. Said once at warn, then at debug, so a lone agent does not flood its log.
      registerFailures++;
      log[registerFailures === 1 ? 'warn' : 'debug']({ err: errorMessage(err), noResponders: err instanceof NoRespondersError, attempts: registerFailures }, 'registration not acknowledged; retrying at each heartbeat');
    }
  };
  const heartbeat = async () => {
      if (!registered) await register();
      const stats = outbox.stats();
      const msg: AgentHeartbeat = {
        schema_version: SCHEMA_VERSION,
        agent_id: agentId,
        cluster_id: clusterId,
        timestamp: new Date().toISOString(),
        status: watcher.synced && stats.connected ? 'healthy' : 'degraded',
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        stats: {
          events_sent: eventsAcked,
          events_buffered: stats.memory_depth + stats.journal_depth + stats.in_flight,
          events_dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0) + stats.bus_rejected,
          commands_executed: commandsExecuted,
        },
      };
      await bus.publish(agentSubject(clusterId, 'heartbeat'), msg).catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'heartbeat not sent (bus down?)'));
    };

    const every = (ms: number, fn: () => Promise<void>) => {
      let running = false;
      const t = setInterval(() => {
        if (running || stopping) return;
        running = true;
        void fn()
          .catch((err: unknown) => log.error({ err }, 'periodic task failed'))
          .finally(() => (running = false));
      }, ms);
      t.unref();
      timers.push(t);
    };

    const refreshGauges = () => {
      const s = outbox.stats();
      telemetry.bufferDepth.set({ where: 'memory' }, s.memory_depth + s.in_flight);
      telemetry.bufferDepth.set({ where: 'journal' }, s.journal_depth);
      watcher.refreshTelemetry();
    };
    health.addCheck('kubernetes', () => {
      refreshGauges();
      return watcher.synced ? Promise.resolve() : Promise.reject(new Error(`informer caches not synced: ${watcher.unsynced().join(', ')}`));
    });

    // The caches feed metrics and commands too, so informers run even when events are off.
    if (!config.agent.enable_events) log.warn('agent.enable_events is false: no events are sent (caches still feed metrics and commands)');
    cleanups.unshift(() => watcher.stop());
    try {
      await watcher.start(config.agent.watcher.sync_timeout);
    } catch (err) {
      // Not fatal: a resource the agent may not list (RBAC) or the server does not serve keeps retrying in
      // the background, /health/ready says which, and everything else works meanwhile.
      log.error({ err: errorMessage(err), unsynced: watcher.unsynced() }, 'informers not synced yet; the agent runs and stays not ready until they are');
    }
    await register();
    every(config.agent.heartbeat_interval, heartbeat);
    every(Math.min(5000, config.agent.heartbeat_interval), () => Promise.resolve(refreshGauges()));
    if (config.agent.enable_metrics) {
      await collectMetrics().catch((err: unknown) => log.error({ err }, 'first metrics collection failed'));
      every(config.agent.metrics_interval, collectMetrics);
    }
    // Error-log signals: the first cycle after one interval, not at start, so a restart does not add a
    // burst of log reads to the relist.
    const scanner = config.agent.log_scan.enabled
      ? new LogScanner({
          api,
          pods: () => watcher.objects('Pod'),
          config: config.agent.log_scan,
          emit: (signal, pod, raw) => watcher.offerSignal(signal, pod, raw),
          logger: log,
          telemetry,
        })
      : undefined;
    if (scanner) every(config.agent.log_scan.interval, async () => void (await scanner.scan({ pace: true })));
    health.setComponent('agent', 'running');
    log.info({ synced: watcher.synced, capabilities: AGENT_CAPABILITIES }, 'agent running');

    let stopped: Promise<void> | undefined;
    return {
      name: 'agent',
      clusterId,
      agentId,
      watcher,
      outbox,
      executor,
      collectMetrics,
      scanLogs: () => (scanner ? scanner.scan() : Promise.resolve(undefined)),
      resyncStates: () => watcher.resyncStates(),
      flush: (timeoutMs) => outbox.flush(timeoutMs),
      stop() {
        stopped ??= (async () => {
          stopping = true;
          health.setComponent('agent', 'stopping');
          timers.forEach((t) => clearInterval(t));
          scanner?.stop();
          await Promise.all(subscriptions.map((s) => s.unsubscribe().catch(() => undefined)));
          // Stops the informers, then converts every notification still queued into the outbox.
          await watcher.stop();
          // Give the bus a moment to take what is queued; whatever is left is kept in the journal.
          await outbox.flush(2000);
          await outbox.close();
          lock.release();
          log.info({ pending: outbox.depth }, 'agent stopped');
        })();
        return stopped;
      },
    };
  } catch (err) {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
    throw err;
  }
}
