/**
 * The agent's periodic metrics message (`aetherius.agent.{cluster_id}.metrics`), computed from a
 * snapshot of the cluster: Node and Pod objects always, metrics.k8s.io PodMetrics/NodeMetrics when
 * the cluster serves them. Pure: the caller lists the objects (from its informer caches) and publishes.
 *
 * Rules (docs/agent-metrics.md says the same for operators):
 * - Quantities are read with `parseQuantity` (src/core/kube/units.ts). CPU is reported in millicores,
 *   memory in bytes, each rounded to a whole unit once, after summing, so nanocore usages add up.
 *   Percentages are rounded to two decimals.
 * - A pod's request/limit is its effective one as the scheduler and kubelet compute it (pod-resources.ts).
 * - Pods: `total_pods` counts every readable pod. `running_pods`, `pending_pods` and `failed_pods` count
 *   pods by `status.phase` **except terminating ones** (`metadata.deletionTimestamp` set): those are
 *   going away (kubectl shows them as Terminating), and during a rollout or an eviction their
 *   replacements are already counted. `pod_metrics[].phase` stays the pod's real phase; a missing or
 *   unreadable phase reads as `Unknown`. Succeeded and Unknown pods count in the totals only.
 * - `restarts` sums `restartCount` over containers and init containers (sidecars included), so a
 *   crash-looping init container shows.
 * - Nodes: `ready` means condition Ready=True (False and Unknown are not ready). `pod_count` counts the
 *   non-terminal pods (phase neither Succeeded nor Failed) bound to the node, terminating ones included,
 *   because they hold their slot until the kubelet confirms they are gone. Allocatable comes from
 *   `status.allocatable`, falling back to `status.capacity` per resource.
 * - Usage comes only from metrics.k8s.io: without a NodeMetrics item a node has no usage fields, without
 *   a PodMetrics item a pod has none. Usage is never estimated from requests. A node's percentage is
 *   usage / allocatable × 100. The cluster's is the sum of usage over the sum of allocatable of the
 *   **ready** nodes that have both (a NotReady node's last usage is stale and its capacity unusable).
 * - Namespaces aggregate their pods with the same counting rules; their usage sums the pods that have
 *   PodMetrics and is absent when none has.
 * - Bad input never throws: an object without a readable name (and namespace, for pods) is skipped and
 *   counts nowhere; an unreadable field is left out (a quantity, a condition) or counts as nothing.
 * - Output is sorted (nodes by name, pods by namespace then name, namespaces by name) and cut to the
 *   schema's array bounds after sorting; counts always cover every object.
 *
 * Cost: one pass over each input and one sort of each output list. The only per-pod state besides the
 * output is the index of PodMetrics by namespace/name, needed to join usage to pods.
 */
import { agentMetrics, type AgentMetrics, type NamespaceMetrics, type NodeMetrics, type PodMetrics } from '../../contracts/agent-messages.js';
import { CLUSTER_ID_PATTERN, SCHEMA_VERSION } from '../../contracts/common.js';
import { InputError, type ValidationIssue } from '../../contracts/errors.js';
import type { KubeObject } from '../kube/kube-types.js';
import { asRecord, boundedText, condition, list } from '../kube/read.js';
import { readBytes, readCount, readMillicores } from './field-readers.js';
import { podResources } from './pod-resources.js';

export interface MetricsInput {
  clusterId: string;
  /** RFC 3339 time of the snapshot, the message's `timestamp`. */
  now: string;
  /** Node objects (metadata.name, status.conditions/capacity/allocatable are read). */
  nodes: Iterable<KubeObject>;
  /** Pod objects (metadata, spec.nodeName/containers/initContainers/overhead, status are read). */
  pods: Iterable<KubeObject>;
  /** metrics.k8s.io/v1beta1 PodMetrics items; absent when the cluster does not serve the metrics API. */
  podUsage?: Iterable<KubeObject>;
  /** metrics.k8s.io/v1beta1 NodeMetrics items; absent when the cluster does not serve the metrics API. */
  nodeUsage?: Iterable<KubeObject>;
}

/** Array bounds of the `agentMetrics` schema; longer lists are cut after sorting. */
export const MAX_NODE_METRICS = 10_000;
export const MAX_POD_METRICS = 200_000;
export const MAX_NAMESPACE_METRICS = 10_000;
/** The schema's bound on a percentage: usage can exceed allocatable, but not by a thousand times. */
const MAX_PERCENT = 100_000;
const MAX_NAME = 253;
const MAX_PHASE = 32;
const MAX_CONDITION_TYPE = 317;
const MAX_CONDITION_STATUS = 4096;

interface Usage {
  /** Millicores, unrounded. */
  cpu: number | undefined;
  /** Bytes, unrounded. */
  memory: number | undefined;
}

interface NodeEntry {
  out: NodeMetrics;
  allocCpu: number | undefined;
  allocMemory: number | undefined;
  usage: Usage | undefined;
}

interface NamespaceEntry {
  total: number;
  running: number;
  pending: number;
  failed: number;
  restarts: number;
  cpu: number | undefined;
  memory: number | undefined;
}

/**
 * One metrics message for the cluster snapshot in `input`; it passes `agentMetrics.parse`.
 * @throws InputError when `clusterId` is not a valid cluster id, `now` is not an RFC 3339 timestamp, or
 *   `nodes`/`pods` is not iterable (the caller's mistakes, not the cluster's: cluster data never throws).
 */
export function computeAgentMetrics(input: MetricsInput): AgentMetrics {
  validate(input);

  const nodeUsage = input.nodeUsage ? indexNodeUsage(input.nodeUsage) : undefined;
  const nodes = new Map<string, NodeEntry>();
  for (const item of input.nodes) {
    const entry = readNode(item, nodeUsage);
    if (entry) nodes.set(entry.out.name, entry);
  }

  const podUsage = input.podUsage ? indexPodUsage(input.podUsage) : undefined;
  const namespaces = new Map<string, NamespaceEntry>();
  const podMetrics: PodMetrics[] = [];
  let totalPods = 0;
  let runningPods = 0;
  let pendingPods = 0;
  let failedPods = 0;

  for (const item of input.pods) {
    const pod = asRecord(item);
    const meta = asRecord(pod?.['metadata']);
    const namespace = boundedText(meta?.['namespace'], MAX_NAME);
    const name = boundedText(meta?.['name'], MAX_NAME);
    if (!pod || !meta || namespace === undefined || name === undefined) continue;
    const spec = asRecord(pod['spec']);
    const status = asRecord(pod['status']);
    const phase = boundedText(status?.['phase'], MAX_PHASE) ?? 'Unknown';
    const terminating = typeof meta['deletionTimestamp'] === 'string' && meta['deletionTimestamp'] !== '';

    let ns = namespaces.get(namespace);
    if (!ns) {
      ns = { total: 0, running: 0, pending: 0, failed: 0, restarts: 0, cpu: undefined, memory: undefined };
      namespaces.set(namespace, ns);
    }
    totalPods++;
    ns.total++;
    if (!terminating) {
      if (phase === 'Running') {
        runningPods++;
        ns.running++;
      } else if (phase === 'Pending') {
        pendingPods++;
        ns.pending++;
      } else if (phase === 'Failed') {
        failedPods++;
        ns.failed++;
      }
    }

    const out: PodMetrics = { namespace, name, phase, restarts: 0 };
    const nodeName = boundedText(spec?.['nodeName'], MAX_NAME);
    if (nodeName !== undefined) {
      out.node = nodeName;
      const node = nodes.get(nodeName);
      if (node && phase !== 'Succeeded' && phase !== 'Failed') node.out.pod_count++;
    }
    const ready = readyOf(status?.['conditions']);
    if (ready !== undefined) out.ready = ready;
    out.restarts = restartsOf(status);
    ns.restarts += out.restarts;

    const usage = podUsage?.get(podKey(namespace, name));
    if (usage?.cpu !== undefined) {
      out.cpu_usage_millicores = Math.round(usage.cpu);
      ns.cpu = (ns.cpu ?? 0) + usage.cpu;
    }
    if (usage?.memory !== undefined) {
      out.memory_usage_bytes = Math.round(usage.memory);
      ns.memory = (ns.memory ?? 0) + usage.memory;
    }
    const resources = podResources(spec);
    if (resources.cpuRequestMillicores !== undefined) out.cpu_request_millicores = resources.cpuRequestMillicores;
    if (resources.cpuLimitMillicores !== undefined) out.cpu_limit_millicores = resources.cpuLimitMillicores;
    if (resources.memoryRequestBytes !== undefined) out.memory_request_bytes = resources.memoryRequestBytes;
    if (resources.memoryLimitBytes !== undefined) out.memory_limit_bytes = resources.memoryLimitBytes;
    podMetrics.push(out);
  }

  let readyNodes = 0;
  let usedCpu = 0;
  let allocCpu = 0;
  let usedMemory = 0;
  let allocMemory = 0;
  for (const n of nodes.values()) {
    if (!n.out.ready) continue;
    readyNodes++;
    if (n.usage?.cpu !== undefined && n.allocCpu) {
      usedCpu += n.usage.cpu;
      allocCpu += n.allocCpu;
    }
    if (n.usage?.memory !== undefined && n.allocMemory) {
      usedMemory += n.usage.memory;
      allocMemory += n.allocMemory;
    }
  }

  const cluster: AgentMetrics['cluster_metrics'] = {
    total_nodes: nodes.size,
    ready_nodes: readyNodes,
    total_pods: totalPods,
    running_pods: runningPods,
    pending_pods: pendingPods,
    failed_pods: failedPods,
  };
  const cpuPercent = percentOf(usedCpu, allocCpu);
  if (cpuPercent !== undefined) cluster.cpu_usage_percent = cpuPercent;
  const memoryPercent = percentOf(usedMemory, allocMemory);
  if (memoryPercent !== undefined) cluster.memory_usage_percent = memoryPercent;

  const nodeMetrics = [...nodes.values()].map((n) => n.out);
  nodeMetrics.sort((a, b) => compare(a.name, b.name));
  podMetrics.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
  const namespaceMetrics = [...namespaces].map(([namespace, ns]) => namespaceMetricsOf(namespace, ns));
  namespaceMetrics.sort((a, b) => compare(a.namespace, b.namespace));

  return {
    schema_version: SCHEMA_VERSION,
    cluster_id: input.clusterId,
    timestamp: input.now,
    cluster_metrics: cluster,
    node_metrics: cut(nodeMetrics, MAX_NODE_METRICS),
    pod_metrics: cut(podMetrics, MAX_POD_METRICS),
    namespace_metrics: cut(namespaceMetrics, MAX_NAMESPACE_METRICS),
  };
}

function validate(input: MetricsInput): void {
  const issues: ValidationIssue[] = [];
  const raw = input as unknown as Record<string, unknown>;
  if (typeof raw['clusterId'] !== 'string' || !CLUSTER_ID_PATTERN.test(raw['clusterId'])) {
    issues.push({ path: 'clusterId', message: 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit' });
  }
  if (!agentMetrics.shape.timestamp.safeParse(raw['now']).success) {
    issues.push({ path: 'now', message: 'must be an RFC 3339 timestamp such as 2025-09-30T10:15:30Z' });
  }
  for (const key of ['nodes', 'pods'] as const) if (!isIterable(raw[key])) issues.push({ path: key, message: 'must be an iterable of Kubernetes objects' });
  for (const key of ['podUsage', 'nodeUsage'] as const) {
    if (raw[key] !== undefined && !isIterable(raw[key])) issues.push({ path: key, message: 'must be an iterable of metrics.k8s.io items, or absent' });
  }
  if (issues.length) throw new InputError(`invalid metrics input: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}

function isIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function readNode(item: unknown, usage: Map<string, Usage> | undefined): NodeEntry | undefined {
  const node = asRecord(item);
  const name = boundedText(asRecord(node?.['metadata'])?.['name'], MAX_NAME);
  if (!node || name === undefined) return undefined;
  const status = asRecord(node['status']);
  const conditionEntries: [string, string][] = [];
  let ready = false;
  for (const c of list(status?.['conditions'])) {
    const cond = asRecord(c);
    const type = boundedText(cond?.['type'], MAX_CONDITION_TYPE);
    const value = boundedText(cond?.['status'], MAX_CONDITION_STATUS);
    if (type === undefined || value === undefined) continue;
    conditionEntries.push([type, value]);
    if (type === 'Ready') ready = value === 'True';
  }
  // fromEntries defines own properties, so a condition type such as `__proto__` stays data.
  const out: NodeMetrics = { name, ready, pod_count: 0, conditions: Object.fromEntries(conditionEntries) };

  const allocatable = asRecord(status?.['allocatable']);
  const capacity = asRecord(status?.['capacity']);
  const allocCpu = readMillicores(allocatable?.['cpu']) ?? readMillicores(capacity?.['cpu']);
  const allocMemory = readBytes(allocatable?.['memory']) ?? readBytes(capacity?.['memory']);
  if (allocCpu !== undefined) out.cpu_allocatable_millicores = Math.round(allocCpu);
  if (allocMemory !== undefined) out.memory_allocatable_bytes = Math.round(allocMemory);

  const used = usage?.get(name);
  if (used?.cpu !== undefined) {
    out.cpu_usage_millicores = Math.round(used.cpu);
    const p = allocCpu ? percentOf(used.cpu, allocCpu) : undefined;
    if (p !== undefined) out.cpu_usage_percent = p;
  }
  if (used?.memory !== undefined) {
    out.memory_usage_bytes = Math.round(used.memory);
    const p = allocMemory ? percentOf(used.memory, allocMemory) : undefined;
    if (p !== undefined) out.memory_usage_percent = p;
  }
  return { out, allocCpu, allocMemory, usage: used };
}

function indexNodeUsage(items: Iterable<KubeObject>): Map<string, Usage> {
  const index = new Map<string, Usage>();
  for (const item of items) {
    const m = asRecord(item);
    const name = boundedText(asRecord(m?.['metadata'])?.['name'], MAX_NAME);
    if (!m || name === undefined) continue;
    const usage = asRecord(m['usage']);
    const cpu = readMillicores(usage?.['cpu']);
    const memory = readBytes(usage?.['memory']);
    if (cpu !== undefined || memory !== undefined) index.set(name, { cpu, memory });
  }
  return index;
}

function indexPodUsage(items: Iterable<KubeObject>): Map<string, Usage> {
  const index = new Map<string, Usage>();
  for (const item of items) {
    const m = asRecord(item);
    const meta = asRecord(m?.['metadata']);
    const namespace = boundedText(meta?.['namespace'], MAX_NAME);
    const name = boundedText(meta?.['name'], MAX_NAME);
    if (!m || namespace === undefined || name === undefined) continue;
    let cpu: number | undefined;
    let memory: number | undefined;
    for (const c of list(m['containers'])) {
      const usage = asRecord(asRecord(c)?.['usage']);
      const cCpu = readMillicores(usage?.['cpu']);
      const cMemory = readBytes(usage?.['memory']);
      if (cCpu !== undefined) cpu = (cpu ?? 0) + cCpu;
      if (cMemory !== undefined) memory = (memory ?? 0) + cMemory;
    }
    if (cpu !== undefined || memory !== undefined) index.set(podKey(namespace, name), { cpu: finite(cpu), memory: finite(memory) });
  }
  return index;
}

/** Namespaces and names are DNS labels/subdomains, which cannot contain `/`. */
function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function readyOf(conditions: unknown): boolean | undefined {
  const status = boundedText(condition(conditions, 'Ready')?.['status'], MAX_CONDITION_STATUS);
  return status === 'True' ? true : status === 'False' ? false : undefined;
}

function restartsOf(status: Record<string, unknown> | undefined): number {
  let restarts = 0;
  for (const statuses of [status?.['containerStatuses'], status?.['initContainerStatuses']]) {
    for (const s of list(statuses)) restarts += readCount(asRecord(s)?.['restartCount']) ?? 0;
  }
  return restarts;
}

function namespaceMetricsOf(namespace: string, ns: NamespaceEntry): NamespaceMetrics {
  const out: NamespaceMetrics = {
    namespace,
    total_pods: ns.total,
    running_pods: ns.running,
    pending_pods: ns.pending,
    failed_pods: ns.failed,
    restarts: ns.restarts,
  };
  const cpu = finite(ns.cpu);
  const memory = finite(ns.memory);
  if (cpu !== undefined) out.cpu_usage_millicores = Math.round(cpu);
  if (memory !== undefined) out.memory_usage_bytes = Math.round(memory);
  return out;
}

/** `used / total × 100` to two decimals; undefined when it cannot be computed or is beyond the schema's bound. */
function percentOf(used: number, total: number): number | undefined {
  if (!(total > 0)) return undefined;
  const p = Math.round((used / total) * 10_000) / 100;
  return Number.isFinite(p) && p >= 0 && p <= MAX_PERCENT ? p : undefined;
}

function finite(n: number | undefined): number | undefined {
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

/** Code-unit order: locale-independent, so every agent sorts the same way, and fast. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cut<T>(items: T[], max: number): T[] {
  if (items.length > max) items.length = max;
  return items;
}
