import { describe, expect, it } from 'vitest';
import { agentMetrics, type AgentMetrics } from '../../contracts/agent-messages.js';
import { InputError } from '../../contracts/errors.js';
import type { KubeObject } from '../kube/kube-types.js';
import { computeAgentMetrics, MAX_POD_METRICS, type MetricsInput } from './compute-agent-metrics.js';

const NOW = '2025-09-30T10:15:00Z';
const GI = 2 ** 30;
const MI = 2 ** 20;

interface NodeOptions {
  ready?: string;
  conditions?: { type: string; status: string }[];
  allocatable?: Record<string, string> | undefined;
  capacity?: Record<string, string>;
}
function node(name: string, o: NodeOptions = {}): KubeObject {
  const conditions = o.conditions ?? [
    { type: 'MemoryPressure', status: 'False' },
    ...(o.ready === undefined ? [{ type: 'Ready', status: 'True' }] : o.ready === 'absent' ? [] : [{ type: 'Ready', status: o.ready }]),
  ];
  const allocatable = 'allocatable' in o ? o.allocatable : { cpu: '4', memory: '16Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: NOW },
    spec: {},
    status: { conditions, capacity: o.capacity ?? { cpu: '4', memory: '16Gi', pods: '110' }, ...(allocatable ? { allocatable } : {}) },
  };
}

interface PodOptions {
  phase?: string;
  node?: string;
  ready?: string;
  terminating?: boolean;
  restarts?: number[];
  initRestarts?: number[];
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}
function pod(namespace: string, name: string, o: PodOptions = {}): KubeObject {
  const restarts = o.restarts ?? [0];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: '1', creationTimestamp: NOW, ...(o.terminating ? { deletionTimestamp: NOW } : {}) },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      containers: restarts.map((_, i) => ({ name: `c${i}`, resources: { ...(o.requests ? { requests: o.requests } : {}), ...(o.limits ? { limits: o.limits } : {}) } })),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready ? [{ type: 'Ready', status: o.ready }] : [],
      containerStatuses: restarts.map((restartCount, i) => ({ name: `c${i}`, ready: true, restartCount, state: {} })),
      ...(o.initRestarts ? { initContainerStatuses: o.initRestarts.map((restartCount, i) => ({ name: `i${i}`, restartCount })) } : {}),
    },
  };
}

function podUsage(namespace: string, name: string, containers: [cpu: string, memory: string][]): KubeObject {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name, namespace, uid: '', resourceVersion: '', creationTimestamp: NOW },
    containers: containers.map(([cpu, memory], i) => ({ name: `c${i}`, usage: { cpu, memory } })),
  };
}

function nodeUsage(name: string, cpu: string, memory: string): KubeObject {
  return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name, uid: '', resourceVersion: '', creationTimestamp: NOW }, usage: { cpu, memory } };
}

/** Computes and checks the result against the wire schema, as the manager will. */
function compute(input: Partial<MetricsInput>): AgentMetrics {
  const out = computeAgentMetrics({ clusterId: 'prod-us-west', now: NOW, nodes: [], pods: [], ...input });
  const parsed = agentMetrics.safeParse(out);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
  return out;
}

describe('computeAgentMetrics', () => {
  it('reports an empty cluster as zero counts and no usage', () => {
    const m = compute({});
    expect(m).toEqual({
      schema_version: 1,
      cluster_id: 'prod-us-west',
      timestamp: NOW,
      cluster_metrics: { total_nodes: 0, ready_nodes: 0, total_pods: 0, running_pods: 0, pending_pods: 0, failed_pods: 0 },
      node_metrics: [],
      pod_metrics: [],
      namespace_metrics: [],
    });
  });

  it('counts pods per phase, leaving terminating pods out of the phase counts but in the total', () => {
    const pods = [
      pod('shop', 'a', { phase: 'Running' }),
      pod('shop', 'b', { phase: 'Running' }),
      pod('shop', 'c', { phase: 'Running', terminating: true }),
      pod('shop', 'd', { phase: 'Pending' }),
      pod('shop', 'e', { phase: 'Pending', terminating: true }),
      pod('batch', 'f', { phase: 'Failed' }),
      pod('batch', 'g', { phase: 'Succeeded' }),
      pod('batch', 'h', { phase: 'Unknown' }),
    ];
    const m = compute({ pods });
    expect(m.cluster_metrics).toEqual({ total_nodes: 0, ready_nodes: 0, total_pods: 8, running_pods: 2, pending_pods: 1, failed_pods: 1 });
    // The pod keeps its real phase: a consumer can still tell a terminating Running pod from a Pending one.
    expect(m.pod_metrics.find((p) => p.name === 'c')?.phase).toBe('Running');
    expect(m.namespace_metrics).toEqual([
      { namespace: 'batch', total_pods: 3, running_pods: 0, pending_pods: 0, failed_pods: 1, restarts: 0 },
      { namespace: 'shop', total_pods: 5, running_pods: 2, pending_pods: 1, failed_pods: 0, restarts: 0 },
    ]);
  });

  it('takes node readiness from Ready=True only and reports every condition', () => {
    const nodes = [
      node('n-true'),
      node('n-false', { ready: 'False' }),
      node('n-unknown', { ready: 'Unknown' }),
      node('n-none', { ready: 'absent' }),
    ];
    const m = compute({ nodes });
    expect(m.cluster_metrics.total_nodes).toBe(4);
    expect(m.cluster_metrics.ready_nodes).toBe(1);
    expect(Object.fromEntries(m.node_metrics.map((n) => [n.name, n.ready]))).toEqual({ 'n-false': false, 'n-none': false, 'n-true': true, 'n-unknown': false });
    expect(m.node_metrics.find((n) => n.name === 'n-unknown')?.conditions).toEqual({ MemoryPressure: 'False', Ready: 'Unknown' });
    expect(m.node_metrics.find((n) => n.name === 'n-none')?.conditions).toEqual({ MemoryPressure: 'False' });
  });

  it('counts on each node the non-terminal pods bound to it, terminating ones included', () => {
    const nodes = [node('node-1'), node('node-2')];
    const pods = [
      pod('a', 'running', { node: 'node-1' }),
      pod('a', 'pending-bound', { node: 'node-1', phase: 'Pending' }),
      pod('a', 'terminating', { node: 'node-1', terminating: true }),
      pod('a', 'done', { node: 'node-1', phase: 'Succeeded' }),
      pod('a', 'failed', { node: 'node-1', phase: 'Failed' }),
      pod('a', 'unscheduled', { phase: 'Pending' }),
      pod('a', 'elsewhere', { node: 'node-2' }),
      pod('a', 'ghost-node', { node: 'node-9' }),
    ];
    const m = compute({ nodes, pods });
    expect(m.node_metrics.map((n) => [n.name, n.pod_count])).toEqual([
      ['node-1', 3],
      ['node-2', 1],
    ]);
    expect(m.pod_metrics.find((p) => p.name === 'unscheduled')?.node).toBeUndefined();
    expect(m.pod_metrics.find((p) => p.name === 'ghost-node')?.node).toBe('node-9');
  });

  it('without metrics.k8s.io reports allocatable but no usage, and never estimates usage from requests', () => {
    const nodes = [node('node-1')];
    const pods = [pod('shop', 'a', { node: 'node-1', requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } })];
    const m = compute({ nodes, pods });
    expect(m.cluster_metrics.cpu_usage_percent).toBeUndefined();
    expect(m.cluster_metrics.memory_usage_percent).toBeUndefined();
    expect(m.node_metrics[0]).toEqual({ name: 'node-1', ready: true, pod_count: 1, cpu_allocatable_millicores: 4000, memory_allocatable_bytes: 16 * GI, conditions: { MemoryPressure: 'False', Ready: 'True' } });
    expect(m.pod_metrics[0]).toEqual({
      namespace: 'shop',
      name: 'a',
      node: 'node-1',
      phase: 'Running',
      restarts: 0,
      cpu_request_millicores: 1000,
      cpu_limit_millicores: 2000,
      memory_request_bytes: GI,
      memory_limit_bytes: 2 * GI,
    });
    expect(m.namespace_metrics[0]?.cpu_usage_millicores).toBeUndefined();
  });

  it('computes node usage as a share of allocatable, falling back to capacity', () => {
    const nodes = [node('node-1', { allocatable: { cpu: '3800m', memory: '15Gi' } }), node('node-2', { allocatable: undefined, capacity: { cpu: '2', memory: '8Gi' } })];
    const m = compute({ nodes, nodeUsage: [nodeUsage('node-1', '950m', '3Gi'), nodeUsage('node-2', '1500000000n', '2Gi')] });
    const [n1, n2] = m.node_metrics;
    expect(n1).toMatchObject({ cpu_usage_millicores: 950, cpu_allocatable_millicores: 3800, cpu_usage_percent: 25, memory_usage_bytes: 3 * GI, memory_usage_percent: 20 });
    expect(n2).toMatchObject({ cpu_usage_millicores: 1500, cpu_allocatable_millicores: 2000, cpu_usage_percent: 75, memory_usage_percent: 25 });
    // Cluster: (950 + 1500) / (3800 + 2000) and (3 + 2) / (15 + 8) GiB.
    expect(m.cluster_metrics.cpu_usage_percent).toBe(Math.round((2450 / 5800) * 10_000) / 100);
    expect(m.cluster_metrics.memory_usage_percent).toBe(Math.round((5 / 23) * 10_000) / 100);
  });

  it('computes cluster usage over the ready nodes that report usage only', () => {
    const nodes = [node('ready-busy'), node('not-ready', { ready: 'Unknown' }), node('ready-unscraped')];
    const m = compute({ nodes, nodeUsage: [nodeUsage('ready-busy', '2', '4Gi'), nodeUsage('not-ready', '4', '16Gi')] });
    expect(m.cluster_metrics.cpu_usage_percent).toBe(50);
    expect(m.cluster_metrics.memory_usage_percent).toBe(25);
    // The NotReady node still shows its own (last known) usage.
    expect(m.node_metrics.find((n) => n.name === 'not-ready')?.cpu_usage_percent).toBe(100);
    expect(m.node_metrics.find((n) => n.name === 'ready-unscraped')?.cpu_usage_millicores).toBeUndefined();
  });

  it('joins PodMetrics to pods and sums namespace usage from the pods that have it', () => {
    const pods = [pod('shop', 'a', { restarts: [0, 0] }), pod('shop', 'b'), pod('shop', 'c'), pod('web', 'd')];
    const usage = [
      // metrics-server reports nanocores: 0.4m + 0.4m is 0.8m, which rounds to 1m only when summed first.
      podUsage('shop', 'a', [
        ['400000n', '10Mi'],
        ['400000n', '20Mi'],
      ]),
      podUsage('shop', 'b', [['25m', '1Mi']]),
      podUsage('shop', 'not-a-pod', [['900m', '1Gi']]),
    ];
    const m = compute({ pods, podUsage: usage });
    const byName = new Map(m.pod_metrics.map((p) => [p.name, p]));
    expect(byName.get('a')).toMatchObject({ cpu_usage_millicores: 1, memory_usage_bytes: 30 * MI });
    expect(byName.get('b')).toMatchObject({ cpu_usage_millicores: 25, memory_usage_bytes: MI });
    expect(byName.get('c')?.cpu_usage_millicores).toBeUndefined();
    expect(m.namespace_metrics).toEqual([
      { namespace: 'shop', total_pods: 3, running_pods: 3, pending_pods: 0, failed_pods: 0, restarts: 0, cpu_usage_millicores: 26, memory_usage_bytes: 31 * MI },
      { namespace: 'web', total_pods: 1, running_pods: 1, pending_pods: 0, failed_pods: 0, restarts: 0 },
    ]);
  });

  it('sums restarts over containers and init containers, per pod and per namespace', () => {
    const pods = [pod('shop', 'a', { restarts: [3, 1], initRestarts: [2] }), pod('shop', 'b', { restarts: [4] }), pod('web', 'c', { restarts: [0] })];
    const m = compute({ pods });
    expect(m.pod_metrics.map((p) => p.restarts)).toEqual([6, 4, 0]);
    expect(m.namespace_metrics.map((n) => n.restarts)).toEqual([10, 0]);
  });

  it('reports pod readiness from its Ready condition, and leaves it out when unknown', () => {
    const m = compute({ pods: [pod('x', 'ready', { ready: 'True' }), pod('x', 'not-ready', { ready: 'False' }), pod('x', 'no-condition'), pod('x', 'odd', { ready: 'Maybe' })] });
    expect(Object.fromEntries(m.pod_metrics.map((p) => [p.name, p.ready]))).toEqual({ 'no-condition': undefined, 'not-ready': false, odd: undefined, ready: true });
    expect('ready' in (m.pod_metrics.find((p) => p.name === 'no-condition') ?? {})).toBe(false);
  });

  it('sorts nodes by name, pods by namespace then name and namespaces by name, whatever the input order', () => {
    const nodes = [node('node-b'), node('node-a'), node('node-c')];
    const pods = [pod('web', 'b'), pod('shop', 'z'), pod('web', 'a'), pod('api', 'm'), pod('shop', 'a')];
    const m = compute({ nodes, pods });
    expect(m.node_metrics.map((n) => n.name)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(m.pod_metrics.map((p) => `${p.namespace}/${p.name}`)).toEqual(['api/m', 'shop/a', 'shop/z', 'web/a', 'web/b']);
    expect(m.namespace_metrics.map((n) => n.namespace)).toEqual(['api', 'shop', 'web']);
    expect(compute({ nodes: [...nodes].reverse(), pods: [...pods].reverse() })).toEqual(m);
  });

  it('reads each input once, so generators and informer-cache iterators work', () => {
    function* gen<T>(items: T[]): Generator<T> {
      yield* items;
    }
    const m = compute({
      nodes: gen([node('node-1')]),
      pods: gen([pod('shop', 'a', { node: 'node-1' })]),
      podUsage: gen([podUsage('shop', 'a', [['10m', '1Mi']])]),
      nodeUsage: gen([nodeUsage('node-1', '400m', '1Gi')]),
    });
    expect(m.node_metrics[0]).toMatchObject({ pod_count: 1, cpu_usage_percent: 10 });
    expect(m.pod_metrics[0]?.cpu_usage_millicores).toBe(10);
  });

  it('skips objects it cannot read and counts nothing for them, without throwing', () => {
    const garbage = [null, undefined, 42, 'pod', [], {}, { metadata: null }, { metadata: { name: 5, namespace: 'x' } }, { metadata: { name: 'x'.repeat(254), namespace: 'x' } }, { metadata: { name: '' } }] as unknown as KubeObject[];
    // Readable as nodes (cluster-scoped), not as pods.
    const podGarbage = [...garbage, { metadata: { name: 'no-namespace' } }, { metadata: { name: 'a', namespace: '' } }] as unknown as KubeObject[];
    const odd = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'odd', namespace: 'shop', deletionTimestamp: 7 },
      spec: { nodeName: ['node-1'], containers: [null, { resources: { requests: { cpu: 'lots', memory: '-1Gi' }, limits: 'none' } }], initContainers: 'x' },
      status: { phase: { running: true }, conditions: [null, 'Ready', { type: 'Ready', status: 1 }], containerStatuses: [null, { restartCount: -1 }, { restartCount: 1.5 }, { restartCount: '3' }, { restartCount: 2 ** 40 }, { restartCount: 2 }], initContainerStatuses: {} },
    } as unknown as KubeObject;
    const oddNode = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: { conditions: [null, { type: 5, status: 'True' }, { type: 'Ready', status: ['True'] }, { type: 'DiskPressure', status: 'False' }], allocatable: { cpu: 'four', memory: null }, capacity: 'big' },
    } as unknown as KubeObject;
    const badUsage = [null, { metadata: { name: 'odd', namespace: 'shop' }, containers: [null, { usage: 'x' }, { usage: { cpu: '1e400', memory: 'NaN' } }] }, { metadata: { name: 'node-1' }, usage: null }] as unknown as KubeObject[];
    const m = compute({ nodes: [...garbage, oddNode], pods: [...podGarbage, odd], podUsage: badUsage, nodeUsage: badUsage });
    expect(m.cluster_metrics).toEqual({ total_nodes: 1, ready_nodes: 0, total_pods: 1, running_pods: 0, pending_pods: 0, failed_pods: 0 });
    expect(m.node_metrics).toEqual([{ name: 'node-1', ready: false, pod_count: 0, conditions: { DiskPressure: 'False' } }]);
    // A non-string deletionTimestamp is unreadable, not "terminating"; the unreadable phase is Unknown.
    expect(m.pod_metrics).toEqual([{ namespace: 'shop', name: 'odd', phase: 'Unknown', restarts: 2 }]);
  });

  it('keeps a condition called __proto__ as data', () => {
    const m = compute({ nodes: [node('node-1', { conditions: [{ type: '__proto__', status: 'True' }, { type: 'Ready', status: 'True' }] })] });
    const conditions = m.node_metrics[0]?.conditions ?? {};
    expect(Object.keys(conditions).sort()).toEqual(['Ready', '__proto__']);
    expect(Object.getPrototypeOf(conditions)).toBe(Object.prototype);
  });

  it('leaves out a percentage beyond the schema bound instead of inventing one', () => {
    const m = compute({ nodes: [node('node-1', { allocatable: { cpu: '1m', memory: '1' } })], nodeUsage: [nodeUsage('node-1', '2000', '1Gi')] });
    const [n] = m.node_metrics;
    expect(n?.cpu_usage_millicores).toBe(2_000_000);
    expect(n?.cpu_usage_percent).toBeUndefined();
    expect(n?.memory_usage_percent).toBeUndefined();
    expect(m.cluster_metrics.cpu_usage_percent).toBeUndefined();
  });

  it('rejects a bad cluster id, timestamp or input list, naming each field', () => {
    const bad = { clusterId: 'prod.us west', now: 'yesterday', nodes: undefined, pods: 5, podUsage: 'x' } as unknown as MetricsInput;
    let err: unknown;
    try {
      computeAgentMetrics(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues.map((i) => i.path)).toEqual(['clusterId', 'now', 'nodes', 'pods', 'podUsage']);
    expect((err as InputError).message).toContain('now must be an RFC 3339 timestamp');
  });

  it('cuts pod_metrics to the schema bound after sorting, while the counts cover every pod', () => {
    const n = MAX_POD_METRICS + 1;
    function* pods(): Generator<KubeObject> {
      // Descending, so the cut must follow the sort: the last name in order is the one dropped.
      for (let i = n - 1; i >= 0; i--) yield { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${String(i).padStart(6, '0')}`, namespace: 'bulk', uid: '', resourceVersion: '', creationTimestamp: NOW }, status: { phase: 'Running' } };
    }
    const started = performance.now();
    const m = computeAgentMetrics({ clusterId: 'big', now: NOW, nodes: [], pods: pods() });
    const elapsed = performance.now() - started;
    expect(m.cluster_metrics.total_pods).toBe(n);
    expect(m.cluster_metrics.running_pods).toBe(n);
    expect(m.namespace_metrics[0]?.total_pods).toBe(n);
    expect(m.pod_metrics).toHaveLength(MAX_POD_METRICS);
    expect(m.pod_metrics[0]?.name).toBe('p-000000');
    expect(m.pod_metrics.at(-1)?.name).toBe(`p-${String(MAX_POD_METRICS - 1).padStart(6, '0')}`);
    // Generous: ~40x the pods the agent sees every minute; a quadratic step would blow far past it.
    expect(elapsed).toBeLessThan(5000);
    expect(agentMetrics.safeParse(m).success).toBe(true);
  });
});
