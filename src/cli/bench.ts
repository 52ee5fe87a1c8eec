/**
 * `aetherius bench agent`: the collect-agent's throughput and memory on a large simulated cluster.
 *
 * The simulator (this process) serves a cluster of `--pods` Running pods over HTTP; the agent runs as a
 * separate process (`aetherius start --target agent`, exactly as deployed) with a real NATS bus, so its
 * resident memory is its own. After it has synced, `--events` Kubernetes Events are recorded in the
 * simulator (older ones expire as the API server's event TTL would); `events_per_s` is the rate at
 * which they arrive on NATS classified — watch, classify, validate, outbox, JetStream publish with
 * ack, end to end. Baselines measured in the same run: the RSS of an idle `aetherius` process (the
 * runtime floor), the rate of a bare watch client on the same stream (the API-server side ceiling),
 * and the rate of publishing pre-built messages to JetStream (the bus ceiling).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { NatsBus, deleteNamespaceStreams } from '../adapters/bus/index.js';
import { freePort } from '../adapters/runtime/free-port.js';
import { packagePath } from '../adapters/runtime/package-root.js';
import { KubeClient, loadKubeConnection } from '../adapters/kube/index.js';
import { createLogger } from '../adapters/telemetry/index.js';
import { STREAMS, agentSubject, errorMessage } from '../contracts/index.js';
import { AGENT_NODE_OPTIONS } from '../agent/agent-runtime.js';
import { KUBE_RESOURCES } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { startSimApiServer, writeKubeconfig } from '../sim/api/index.js';
import { createSimContext } from '../sim/create-sim-context.js';
import { seedLargeCluster } from '../sim/large-cluster.js';
import { res } from '../sim/resources.js';
import type { SimContext } from '../sim/sim-context.js';

export interface BenchAgentOptions {
  pods: number;
  events: number;
  natsUrl: string;
  json?: boolean;
  /** NODE_OPTIONS for the agent process; default AGENT_NODE_OPTIONS, the deployment's. */
  nodeOptions?: string;
}

/** Events per second in the steady stream while RSS is sampled (a busy cluster, not a burst). */
const STEADY_RATE = 100;
const STEADY_SECONDS = 10;
/**
 * The log scanner during the run: a cycle of the default 150 pods every 5 s instead of 30 s, six times
 * its default rate (~37 log reads a second, paced), so it reads throughout the measurement.
 */
const LOG_SCAN_INTERVAL = '5s';
const LOG_LINES_PER_POD = 20;

export interface BenchAgentResult {
  events_per_s: number;
  /** Peak RSS while watching the cluster under a steady event stream (the figure). */
  rss_mb: number;
  pods: number;
  events: number;
  /** Peak RSS during the burst that measures events_per_s. */
  rss_burst_peak_mb: number;
  /** Node flags the agent ran with (the deployment's NODE_OPTIONS). */
  node_options: string;
  sync_ms: number;
  baseline: { idle_rss_mb: number; watch_only_events_per_s: number; publish_only_msgs_per_s: number };
  /** How the agent's log scanner ran: its interval, the log lines each pod holds, and its reads (from its /metrics). */
  log_scan: { interval: string; lines_per_pod: number; reads: number; bytes: number };
  bus: string;
  machine: { cpus: number; cpu_model: string; memory_gb: number; node: string };
  date: string;
}

const BIN = packagePath('bin', 'aetherius.js');
/** Events the simulated API server keeps (older ones expire, as with --event-ttl). */
const EVENT_WINDOW = 5000;
const CLUSTER = 'bench';


/** Resident set size of a process in MB, from /proc (Linux). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function waitUntil(what: string, timeoutMs: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * LOG_LINES_PER_POD lines per pod, as a quiet service writes them: JSON info lines and three Java errors
 * with a stack trace, below the signal threshold, so the scanner's reads and classification run on every
 * pod without adding events to the measured stream.
 */
function seedLogs(ctx: SimContext, pods: readonly KubeObject[]): void {
  const now = ctx.clock.now();
  for (const p of pods) {
    for (let i = 0; i < LOG_LINES_PER_POD; i++) {
      const text =
        i % 7 === 3
          ? `2025-09-30 10:00:${String(i).padStart(2, '0')}.000 ERROR 1 --- [nio-8080-exec-1] c.s.App : request failed\njava.net.ConnectException: Connection refused\n\tat com.shop.App.call(App.java:42)`
          : `{"level":"info","msg":"GET /api/items 200","duration_ms":${i}}`;
      ctx.logs.append(p.metadata.namespace ?? 'default', p.metadata.name, 'app', 0, { time: now - (LOG_LINES_PER_POD - i) * 1000, text });
    }
  }
}

/**
 * One Service per Deployment (selector `app`) with its Endpoints listing the Deployment's pods as ready
 * addresses, as the endpoints controller writes them: what the agent's Service and Endpoints informers
 * hold on a real cluster of this size.
 */
function seedServices(ctx: SimContext, pods: readonly KubeObject[]): void {
  const byApp = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const key = `${p.metadata.namespace ?? ''}/${p.metadata.labels?.['app'] ?? ''}`;
    byApp.set(key, [...(byApp.get(key) ?? []), p]);
  }
  let i = 0;
  for (const [key, members] of byApp) {
    const [namespace, app] = key.split('/') as [string, string];
    const ip = `10.96.${Math.floor(i / 250)}.${(i++ % 250) + 1}`;
    ctx.store.create(res('services'), { apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace, labels: { app } }, spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } });
    const addresses = members.map((p) => ({ ip: (p['status'] as { podIP?: string }).podIP ?? '', nodeName: (p['spec'] as { nodeName?: string }).nodeName ?? '', targetRef: { kind: 'Pod', namespace, name: p.metadata.name, uid: p.metadata.uid } }));
    ctx.store.create(res('endpoints'), { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: app, namespace, labels: { app }, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': ctx.clock.isoNow() } }, subsets: [{ addresses, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] });
  }
}

/** Records `count` Events on the pods in batches, expiring the oldest beyond EVENT_WINDOW. */
interface EventWindow {
  live: { ns: string; name: string }[];
  seq: number;
}

async function injectEvents(ctx: SimContext, pods: readonly KubeObject[], count: number, tag: string, window: EventWindow): Promise<void> {
  const { live } = window;
  const reasons = [
    ['Warning', 'BackOff', 'Back-off restarting failed container app'],
    ['Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503'],
    ['Normal', 'Pulled', 'Container image already present on machine'],
    ['Warning', 'FailedMount', 'MountVolume.SetUp failed for volume "config" : configmap "app-config" not found'],
    ['Normal', 'Killing', 'Stopping container app'],
  ] as const;
  for (let i = 0; i < count; ) {
    const end = Math.min(count, i + 500);
    for (; i < end; i++) {
      const pod = pods[window.seq++ % pods.length] as KubeObject;
      const [type, reason, message] = reasons[i % reasons.length] as (typeof reasons)[number];
      const ev = ctx.events.record(pod, type, reason, `${message} (${tag} ${i})`, { component: 'kubelet', host: String((pod['spec'] as { nodeName?: string }).nodeName ?? '') }, 'spec.containers{app}');
      if (ev) live.push({ ns: ev.metadata.namespace ?? '', name: ev.metadata.name });
      if (live.length > EVENT_WINDOW) {
        const old = live.shift();
        if (old) ctx.store.delete(res('events'), old.ns, old.name);
      }
    }
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Runs the benchmark and prints the figures.
 * @throws Error when NATS cannot be reached or the agent does not start.
 */
export async function runBenchAgent(options: BenchAgentOptions): Promise<number> {
  const out = process.stdout;
  const say = (text: string) => {
    if (!options.json) process.stderr.write(`${text}\n`);
  };
  const nodeOptions = options.nodeOptions ?? AGENT_NODE_OPTIONS;
  const dir = await mkdtemp(join(os.tmpdir(), 'aetherius-bench-'));
  const namespace = `bench_${process.pid}`;
  const logger = createLogger({ level: 'warn' });
  const children: ChildProcess[] = [];
  const ctx = createSimContext({ clusterId: CLUSTER });
  const server = await startSimApiServer(ctx, { host: '127.0.0.1', port: 0 });
  let bus: NatsBus | undefined;
  try {
    // Baseline 1: the idle runtime.
    const idle = spawn(process.execPath, [BIN, 'bench', 'idle'], { stdio: 'ignore' });
    children.push(idle);
    await new Promise((r) => setTimeout(r, 2500));
    const idleRss = await rssMb(idle.pid ?? 0);
    await stopChild(idle);

    say(`seeding ${options.pods} pods`);
    const { pods } = seedLargeCluster(ctx, { pods: options.pods });
    seedLogs(ctx, pods);
    seedServices(ctx, pods);
    const window: EventWindow = { live: [], seq: 0 };
    const kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, [{ name: CLUSTER, server: server.url }]);

    try {
      bus = await NatsBus.connect({ servers: options.natsUrl, namespace, name: 'aetherius-bench', logger });
    } catch (err) {
      throw new Error(`the agent benchmark needs NATS with JetStream (--nats-url ${options.natsUrl}): ${errorMessage(err)}`, { cause: err });
    }
    await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));

    // Baseline 2: a bare watch client on the same event stream (no classification, no bus).
    const client = new KubeClient(await loadKubeConnection({ kubeconfig }), { qps: 1000, burst: 1000, userAgent: 'aetherius-bench' });
    const listed = await client.list(KUBE_RESOURCES.events);
    let watched = 0;
    const abort = new AbortController();
    const watching = client.watch(KUBE_RESOURCES.events, { resourceVersion: listed.resourceVersion, signal: abort.signal }, (e) => {
      if (e.type === 'ADDED') watched++;
    });
    const w0 = performance.now();
    await injectEvents(ctx, pods, options.events, 'watch', window);
    await waitUntil('bare watch caught up', 120_000, () => Promise.resolve(watched >= options.events)).catch((err: unknown) => {
      throw new Error(`${errorMessage(err)} (${watched} of ${options.events} seen)`, { cause: err });
    });
    const watchOnly = options.events / ((performance.now() - w0) / 1000);
    abort.abort();
    await watching.catch(() => undefined);

    // Baseline 3: publishing pre-built event messages with acks, 256 in flight.
    const body = JSON.stringify({ schema_version: 1, id: 'x', cluster_id: 'publish-baseline', type: 'k8s_event', source: 'kubelet', severity: 'high', reason: 'BackOff', message: 'Back-off restarting failed container app', namespace: 'team-1', labels: { kind: 'Pod', name: 'svc-1-abc' }, raw_data: { count: 1, first_timestamp: '2026-01-01T00:00:00Z', last_timestamp: '2026-01-01T00:00:00Z' } });
    const subject = agentSubject('publish-baseline', 'event');
    const p0 = performance.now();
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < options.events; i++) {
      const p: Promise<void> = bus.publish(subject, body, { msgId: `baseline-${i}` }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 256) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const publishOnly = options.events / ((performance.now() - p0) / 1000);

    // The agent, as deployed.
    let arrived = 0;
    let lastArrival = 0;
    bus.subscribe(agentSubject(CLUSTER, 'event'), () => {
      arrived++;
      lastArrival = performance.now();
    });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      HOME: dir,
      AETHERIUS_LOG_LEVEL: 'warn',
      AETHERIUS_SERVER_PORT: String(port),
      AETHERIUS_BUS_URL: options.natsUrl,
      AETHERIUS_BUS_NAMESPACE: namespace,
      AETHERIUS_KUBE_KUBECONFIG: kubeconfig,
      AETHERIUS_AGENT_CLUSTER_ID: CLUSTER,
      AETHERIUS_AGENT_JOURNAL_DIR: join(dir, 'journal'),
      AETHERIUS_AGENT_METRICS_INTERVAL: '15s',
      AETHERIUS_AGENT_LOG_SCAN_INTERVAL: LOG_SCAN_INTERVAL,
    };
    const agent = spawn(process.execPath, [BIN, 'start', '--target', 'agent'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(agent);
    let stderr = '';
    agent.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const s0 = performance.now();
    say('starting the agent');
    await waitUntil('agent ready', 180_000, async () => {
      if (agent.exitCode !== null) throw new Error(`agent exited with ${agent.exitCode}: ${stderr}`);
      const r = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return r.status === 200;
    }).catch((err: unknown) => {
      throw new Error(`${errorMessage(err)}; agent stderr: ${stderr}`, { cause: err });
    });
    const syncMs = performance.now() - s0;
    // The initial list reports the events already in the window; let those settle, then watch the
    // cluster under a steady stream and sample the agent's RSS.
    await new Promise((r) => setTimeout(r, 3000));
    let peak = 0;
    const sample = () => {
      void rssMb(agent.pid ?? 0)
        .then((v) => (peak = Math.max(peak, v)))
        .catch(() => undefined);
    };
    let sampler = setInterval(sample, 250);
    say(`agent synced in ${Math.round(syncMs)} ms; watching under ${STEADY_RATE} events/s for ${STEADY_SECONDS} s`);
    for (let s = 0; s < STEADY_SECONDS * 10; s++) {
      await injectEvents(ctx, pods, STEADY_RATE / 10, `steady-${s}`, window);
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(sampler);
    sample();
    await new Promise((r) => setTimeout(r, 300));
    const steadyPeak = peak;
    peak = 0;
    sampler = setInterval(sample, 250);
    const base = arrived;
    say(`agent synced in ${Math.round(syncMs)} ms; injecting ${options.events} events`);
    const a0 = performance.now();
    await injectEvents(ctx, pods, options.events, 'agent', window);
    await waitUntil('agent events on NATS', 300_000, () => Promise.resolve(arrived - base >= options.events));
    clearInterval(sampler);
    peak = Math.max(peak, await rssMb(agent.pid ?? 0));
    const burstPeak = peak;
    const eventsPerS = options.events / ((lastArrival - a0) / 1000);

    // What the log scanner did during the run, from the agent's own counters.
    const agentMetrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
    const counter = (re: RegExp) => Number(re.exec(agentMetrics)?.[1] ?? 0);
    const logReads = counter(/^aetherius_agent_log_reads_total\{[^}]*result="ok"[^}]*\} (\d+)/m);
    const logBytes = counter(/^aetherius_agent_log_bytes_total(?:\{[^}]*\})? (\d+)/m);

    const cpus = os.cpus();
    const result: BenchAgentResult = {
      events_per_s: Math.round(eventsPerS),
      rss_mb: steadyPeak,
      pods: options.pods,
      events: options.events,
      rss_burst_peak_mb: burstPeak,
      node_options: nodeOptions,
      sync_ms: Math.round(syncMs),
      baseline: { idle_rss_mb: idleRss, watch_only_events_per_s: Math.round(watchOnly), publish_only_msgs_per_s: Math.round(publishOnly) },
      log_scan: { interval: LOG_SCAN_INTERVAL, lines_per_pod: LOG_LINES_PER_POD, reads: logReads, bytes: logBytes },
      bus: 'nats',
      machine: { cpus: cpus.length, cpu_model: cpus[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      date: new Date().toISOString(),
    };
    if (options.json) out.write(`${JSON.stringify(result)}\n`);
    else {
      out.write(`agent on ${result.pods} pods: ${result.events_per_s} events/s classified and published (bare watch ${result.baseline.watch_only_events_per_s}/s, bare publish ${result.baseline.publish_only_msgs_per_s}/s)\n`);
      out.write(`agent RSS: ${result.rss_mb} MB watching under ${STEADY_RATE} events/s, ${result.rss_burst_peak_mb} MB peak in the burst (idle runtime ${result.baseline.idle_rss_mb} MB; NODE_OPTIONS "${nodeOptions}"); synced in ${result.sync_ms} ms\n`);
      out.write(`log scanner: ${result.log_scan.reads} log reads, ${result.log_scan.bytes} bytes during the run (a cycle every ${LOG_SCAN_INTERVAL})\n`);
    }
    return 0;
  } finally {
    for (const c of children) await stopChild(c);
    if (bus) {
      await bus.close();
    }
    await deleteNamespaceStreams(options.natsUrl, namespace).catch(() => undefined);
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
