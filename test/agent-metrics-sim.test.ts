/**
 * The agent's metrics against a LIVE simulation: the controllers and the simulated kubelet produce the
 * nodes, pods and usage, and computeAgentMetrics must agree with truths counted straight from the
 * simulator's store and its kubelet's usage records (what metrics.k8s.io is computed from).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agentMetrics, type AgentMetrics } from '../src/contracts/agent-messages.js';
import { computeAgentMetrics } from '../src/core/agent-metrics/index.js';
import type { KubeObject } from '../src/core/kube/kube-types.js';
import { listNodeMetrics, listPodMetrics } from '../src/sim/api/metrics.js';
import { res } from '../src/sim/resources.js';
import { loadScenario } from '../src/sim/scenario/library.js';
import { Simulation } from '../src/sim/simulation.js';

const START_TIME = Date.UTC(2025, 5, 1, 12);
const MINUTE = 60_000;
const TEST_TIMEOUT_MS = 20_000;
const NODE_CPU_MILLICORES = 4000; // both scenarios: every node has cpu: "4", memory: 16Gi
const NODE_MEMORY_BYTES = 16 * 2 ** 30;

interface PodView {
  namespace: string;
  name: string;
  node: string | undefined;
  phase: string;
  terminating: boolean;
  ready: boolean;
  restarts: number;
}

/** Reads a sim pod with the plain field paths of the Pod API, independently of the agent's readers. */
function view(p: KubeObject): PodView {
  const spec = p['spec'] as { nodeName?: string };
  const status = p['status'] as { phase: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
  return {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name,
    node: spec.nodeName,
    phase: status.phase,
    terminating: p.metadata.deletionTimestamp !== undefined,
    ready: status.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    restarts: (status.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
  };
}

let sim: Simulation | undefined;
afterEach(() => sim?.stop());

async function play(scenario: string): Promise<Simulation> {
  sim = Simulation.create({ scenario: (await loadScenario(scenario)).scenario, startTime: START_TIME });
  return sim;
}

/** One metrics message from the simulator's current state, as the agent would compute it, checked against the wire schema. */
function snapshot(s: Simulation): { metrics: AgentMetrics; pods: PodView[] } {
  const nodes = s.ctx.store.list(res('nodes')).items;
  const podObjects = s.ctx.store.list(res('pods')).items;
  const metrics = computeAgentMetrics({
    clusterId: 'prod-us-west',
    now: s.ctx.clock.isoNow(),
    nodes,
    pods: podObjects,
    podUsage: listPodMetrics(s.ctx, undefined, []),
    nodeUsage: listNodeMetrics(s.ctx, []),
  });
  const parsed = agentMetrics.safeParse(metrics);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
  return { metrics, pods: podObjects.map(view) };
}

/** The simulated kubelet's current usage of one pod, summed over its containers (millicores, bytes). */
function kubeletUsage(s: Simulation, namespace: string, name: string): { cpu: number; memory: number } | undefined {
  const u = s.ctx.usage.pod(namespace, name);
  if (!u) return undefined;
  let cpu = 0;
  let memory = 0;
  for (const c of u.containers.values()) {
    cpu += c.cpuMillicores;
    memory += c.memoryBytes;
  }
  return { cpu, memory };
}

function count<T>(items: T[], pred: (t: T) => boolean): number {
  return items.reduce((n, t) => n + (pred(t) ? 1 : 0), 0);
}

describe('agent metrics from a live simulation', () => {
  it(
    'checkout-oom: counts, the OOM-killed pods’ restarts, their requests/limits and usage match the cluster',
    async () => {
      const s = await play('checkout-oom');
      await s.runFor(10 * MINUTE);
      const { metrics, pods } = snapshot(s);

      expect(pods).toHaveLength(4);
      expect(metrics.cluster_metrics).toMatchObject({
        total_nodes: 3,
        ready_nodes: 3,
        total_pods: pods.length,
        running_pods: count(pods, (p) => p.phase === 'Running' && !p.terminating),
        pending_pods: count(pods, (p) => p.phase === 'Pending' && !p.terminating),
        failed_pods: count(pods, (p) => p.phase === 'Failed' && !p.terminating),
      });

      // The OOM kills: the kubelet restarted each checkout pod several times in 10 minutes.
      const checkouts = metrics.pod_metrics.filter((p) => p.name.startsWith('checkout-'));
      expect(checkouts).toHaveLength(2);
      for (const m of checkouts) {
        const truth = pods.find((p) => p.name === m.name);
        expect(truth?.restarts).toBeGreaterThanOrEqual(2);
        expect(m.restarts).toBe(truth?.restarts);
        // From the scenario: requests 100m/64Mi, limits 500m/128Mi.
        expect(m).toMatchObject({ cpu_request_millicores: 100, cpu_limit_millicores: 500, memory_request_bytes: 64 * 2 ** 20, memory_limit_bytes: 128 * 2 ** 20 });
      }
      const shop = metrics.namespace_metrics.find((n) => n.namespace === 'shop');
      expect(shop?.restarts).toBe(pods.reduce((n, p) => n + p.restarts, 0));
      expect(shop?.total_pods).toBe(4);

      // Usage: each pod's equals the kubelet's record (metrics.k8s.io rounds per container to 1m).
      for (const m of metrics.pod_metrics) {
        const u = kubeletUsage(s, m.namespace, m.name);
        expect(u, `${m.name} has usage`).toBeDefined();
        expect(Math.abs((m.cpu_usage_millicores ?? NaN) - (u?.cpu ?? 0))).toBeLessThanOrEqual(1);
        expect(Math.abs((m.memory_usage_bytes ?? NaN) - (u?.memory ?? 0))).toBeLessThanOrEqual(1);
      }

      // Nodes: pods bound to each, usage summed from their pods, and the cluster share over 3 × 4 cores.
      let clusterCpu = 0;
      let clusterMemory = 0;
      for (const n of metrics.node_metrics) {
        const onNode = pods.filter((p) => p.node === n.name && p.phase !== 'Succeeded' && p.phase !== 'Failed');
        expect(n.pod_count, n.name).toBe(onNode.length);
        const cpu = onNode.reduce((sum, p) => sum + (kubeletUsage(s, p.namespace, p.name)?.cpu ?? 0), 0);
        const memory = onNode.reduce((sum, p) => sum + (kubeletUsage(s, p.namespace, p.name)?.memory ?? 0), 0);
        clusterCpu += cpu;
        clusterMemory += memory;
        expect(Math.abs((n.cpu_usage_millicores ?? NaN) - cpu)).toBeLessThanOrEqual(1);
        expect(n.cpu_allocatable_millicores).toBe(NODE_CPU_MILLICORES);
        expect(n.cpu_usage_percent).toBeCloseTo((cpu / NODE_CPU_MILLICORES) * 100, 1);
        expect(n.memory_usage_percent).toBeCloseTo((memory / NODE_MEMORY_BYTES) * 100, 1);
      }
      expect(metrics.node_metrics.reduce((n, m) => n + m.pod_count, 0)).toBe(4);
      expect(metrics.cluster_metrics.cpu_usage_percent).toBeCloseTo((clusterCpu / (3 * NODE_CPU_MILLICORES)) * 100, 1);
      expect(metrics.cluster_metrics.memory_usage_percent).toBeCloseTo((clusterMemory / (3 * NODE_MEMORY_BYTES)) * 100, 1);
      expect(metrics.cluster_metrics.cpu_usage_percent).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'node-1-kubelet-down: node-1 turns NotReady, its pods stop counting as running once evicted, and cluster usage covers the ready nodes',
    async () => {
      const s = await play('node-1-kubelet-down');
      await s.runFor(MINUTE);
      const before = snapshot(s);
      expect(before.metrics.cluster_metrics).toMatchObject({ total_nodes: 3, ready_nodes: 3 });
      expect(before.metrics.cluster_metrics.running_pods).toBe(9); // 3 storefront + 3 api + 3 node-exporter

      // The kubelet stops at 2m; after the 40s grace the node is Unknown.
      await s.runFor(2 * MINUTE);
      const down = snapshot(s);
      const node1 = down.metrics.node_metrics.find((n) => n.name === 'node-1');
      expect(down.metrics.cluster_metrics.ready_nodes).toBe(2);
      expect(node1).toMatchObject({ ready: false, conditions: { Ready: 'Unknown' } });
      for (const p of down.metrics.pod_metrics.filter((m) => m.node === 'node-1')) expect(p.ready, p.name).toBe(false);

      // Cluster usage: node-2 and node-3 only; node-1's NodeMetrics are stale (its kubelet is silent).
      const ready = down.metrics.node_metrics.filter((n) => n.name !== 'node-1');
      const usedCpu = ready.reduce((sum, n) => sum + (n.cpu_usage_millicores ?? 0), 0);
      expect(node1?.cpu_usage_millicores).toBeGreaterThan(0);
      expect(down.metrics.cluster_metrics.cpu_usage_percent).toBeCloseTo((usedCpu / (2 * NODE_CPU_MILLICORES)) * 100, 1);

      // Past the 300 s unreachable toleration the pods on node-1 are evicted but stay Terminating.
      await s.runFor(5.5 * MINUTE);
      const { metrics, pods } = snapshot(s);
      const stuck = pods.filter((p) => p.node === 'node-1');
      expect(stuck.length).toBeGreaterThanOrEqual(2);
      for (const p of stuck) expect(p, p.name).toMatchObject({ phase: 'Running', terminating: true });
      expect(metrics.cluster_metrics).toMatchObject({
        total_nodes: 3,
        ready_nodes: 2,
        total_pods: pods.length,
        running_pods: count(pods, (p) => p.phase === 'Running' && !p.terminating),
        pending_pods: count(pods, (p) => p.phase === 'Pending' && !p.terminating),
      });
      expect(metrics.cluster_metrics.running_pods).toBeLessThan(count(pods, (p) => p.phase === 'Running'));
      // Terminating pods still hold their slot on node-1; a storefront replacement cannot be placed (anti-affinity).
      expect(metrics.node_metrics.find((n) => n.name === 'node-1')?.pod_count).toBe(stuck.length);
      expect(metrics.cluster_metrics.pending_pods).toBeGreaterThanOrEqual(1);
      const web = metrics.namespace_metrics.find((n) => n.namespace === 'web');
      expect(web?.running_pods).toBe(count(pods, (p) => p.namespace === 'web' && p.phase === 'Running' && !p.terminating));
      expect(s.errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
