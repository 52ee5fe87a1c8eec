/**
 * An agent under test, exactly as deployed: a simulated cluster served over real HTTP with a
 * kubeconfig, the agent's own Kubernetes client reading it, and a real NATS bus in a namespace of its
 * own (streams created and deleted here). Everything the agent publishes on its cluster's subjects is
 * recorded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsBus, type BusMessage, type Subscription } from '../../src/adapters/bus/index.js';
import { Health, Metrics, createLogger } from '../../src/adapters/telemetry/index.js';
import { startAgent, type RunningAgent } from '../../src/agent/index.js';
import { STREAMS, agentSubject, type AgentEvent } from '../../src/contracts/index.js';
import { resolveConfig, type Config, type ConfigInput } from '../../src/core/config/index.js';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../../src/sim/api/index.js';
import type { SimContext } from '../../src/sim/sim-context.js';
import { deleteNamespaceStreams } from '../bus-contract.js';
import { TEST_NATS_URL, uniqueName } from './services.js';

export interface AgentHarnessOptions {
  ctx: SimContext;
  clusterId: string;
  /** Config overrides (YAML-shaped, before defaults). */
  config?: ConfigInput;
  natsUrl?: string;
  /** Record published messages on these kinds (default event). */
  record?: ('event' | 'metrics' | 'result' | 'heartbeat')[];
  reconnectTimeWaitMs?: number;
  /** Create the streams before the agent starts, as a running manager would have (default true). */
  createStreams?: boolean;
  /** Share one connection (and its namespace and streams) between several agents; the caller closes it. */
  shared?: { bus: NatsBus; namespace: string };
}

export interface AgentHarness {
  agent: RunningAgent;
  bus: NatsBus;
  server: SimApiServer;
  config: Config;
  metrics: Metrics;
  health: Health;
  namespace: string;
  dir: string;
  kubeconfig: string;
  events: AgentEvent[];
  messages: Map<string, unknown[]>;
  stop(): Promise<void>;
}

/** Starts the API server for `ctx`, a NATS bus in a fresh namespace, and the agent. */
export async function startAgentHarness(options: AgentHarnessOptions): Promise<AgentHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'aetherius-agent-'));
  const server = await startSimApiServer(options.ctx, { host: '127.0.0.1', port: 0 });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, [{ name: options.clusterId, server: server.url }]);
  const shared = options.shared?.bus;
  const namespace = options.shared?.namespace ?? uniqueName('agt');
  const natsUrl = options.natsUrl ?? TEST_NATS_URL;
  const { config } = resolveConfig({
    yamlText: JSON.stringify({
      log_level: 'error',
      ...options.config,
      bus: { url: natsUrl, namespace, ...options.config?.bus },
      kube: { kubeconfig, ...options.config?.kube },
      agent: { cluster_id: options.clusterId, journal_dir: join(dir, 'journal'), ...options.config?.agent, watcher: { ...options.config?.agent?.watcher } },
    }),
    env: {},
  });
  const logger = createLogger({ level: config.log_level });
  const bus = shared ?? (await NatsBus.connect({ servers: natsUrl, namespace, name: 'agent-test', logger, reconnectTimeWaitMs: options.reconnectTimeWaitMs ?? 200 }));
  if (!shared && options.createStreams !== false) await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));
  const subscriptions: Subscription[] = [];
  const events: AgentEvent[] = [];
  const messages = new Map<string, unknown[]>();
  for (const kind of options.record ?? ['event']) {
    const list: unknown[] = [];
    messages.set(kind, list);
    subscriptions.push(bus.subscribe(agentSubject(options.clusterId, kind), (m: BusMessage) => {
      const body = m.json();
      list.push(body);
      if (kind === 'event') events.push(body as AgentEvent);
    }));
    // The agent batches events (ADR 0016): recorded as if each had come alone.
    if (kind === 'event') {
      subscriptions.push(bus.subscribe(agentSubject(options.clusterId, 'events'), (m: BusMessage) => {
        for (const ev of (m.json() as { events: AgentEvent[] }).events) {
          list.push(ev);
          events.push(ev);
        }
      }));
    }
  }
  const metrics = new Metrics({ target: 'agent', collectDefault: false });
  const health = new Health(metrics);
  let agent: RunningAgent;
  try {
    agent = await startAgent({ config, bus, metrics, health, logger, version: 'test' });
  } catch (err) {
    if (!shared) await bus.close();
    await server.close();
    throw err;
  }
  return {
    agent,
    bus,
    server,
    config,
    metrics,
    health,
    namespace,
    dir,
    kubeconfig,
    events,
    messages,
    async stop() {
      await agent.stop().catch(() => undefined);
      await Promise.all(subscriptions.map((s) => s.unsubscribe()));
      if (!shared) {
        await bus.close();
        await deleteNamespaceStreams(namespace, natsUrl).catch(() => undefined);
      }
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
