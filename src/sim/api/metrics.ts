/**
 * metrics.k8s.io/v1beta1, what `kubectl top` and HPAs read: PodMetrics per pod from the kubelet's
 * usage records, NodeMetrics summed over the pods on each node. Read-only and computed on request.
 */
import type { KubeObject } from '../../core/kube/kube-types.js';
import { res } from '../resources.js';
import type { SimContext } from '../sim-context.js';
import { StatusError } from '../status-error.js';
import { matchesLabels, type LabelSelector } from '../store/selectors.js';
import { formatBytes, formatMillicores } from '../../core/kube/units.js';

const API_VERSION = 'metrics.k8s.io/v1beta1';
const WINDOW = '30s';

function podMetrics(ctx: SimContext, pod: KubeObject): KubeObject | undefined {
  const usage = ctx.usage.pod(pod.metadata.namespace ?? '', pod.metadata.name);
  if (!usage) return undefined;
  const now = ctx.clock.isoNow();
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace ?? '', creationTimestamp: now, labels: pod.metadata.labels ?? {}, uid: '', resourceVersion: '' },
    timestamp: now,
    window: WINDOW,
    containers: [...usage.containers].map(([name, u]) => ({ name, usage: { cpu: formatMillicores(u.cpuMillicores), memory: formatBytes(u.memoryBytes) } })),
  };
}

export function listPodMetrics(ctx: SimContext, namespace: string | undefined, selector: LabelSelector): KubeObject[] {
  const pods = ctx.store.list(res('pods'), { ...(namespace ? { namespace } : {}), labelSelector: selector }).items;
  return pods.map((p) => podMetrics(ctx, p)).filter((m): m is KubeObject => m !== undefined);
}

/** @throws StatusError 404 when the pod does not exist or has no metrics yet. */
export function getPodMetrics(ctx: SimContext, namespace: string, name: string): KubeObject {
  const pod = ctx.store.get(res('pods'), namespace, name);
  const m = pod && podMetrics(ctx, pod);
  if (!m) throw StatusError.notFound('pods', name, 'metrics.k8s.io');
  return m;
}

function nodeMetrics(ctx: SimContext, node: KubeObject): KubeObject {
  let cpu = 0;
  let memory = 0;
  const live = new Set(ctx.store.list(res('pods'), { fieldSelector: [{ path: 'spec.nodeName', negate: false, value: node.metadata.name }] }).items.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`));
  for (const p of ctx.usage.pods()) {
    if (p.node !== node.metadata.name || !live.has(`${p.namespace}/${p.name}`)) continue;
    for (const u of p.containers.values()) {
      cpu += u.cpuMillicores;
      memory += u.memoryBytes;
    }
  }
  const now = ctx.clock.isoNow();
  return {
    kind: 'NodeMetrics',
    apiVersion: API_VERSION,
    metadata: { name: node.metadata.name, creationTimestamp: now, labels: node.metadata.labels ?? {}, uid: '', resourceVersion: '' },
    timestamp: now,
    window: WINDOW,
    usage: { cpu: formatMillicores(cpu), memory: formatBytes(memory) },
  };
}

export function listNodeMetrics(ctx: SimContext, selector: LabelSelector): KubeObject[] {
  return ctx.store
    .list(res('nodes'))
    .items.filter((n) => matchesLabels(selector, n.metadata.labels))
    .map((n) => nodeMetrics(ctx, n));
}

/** @throws StatusError 404 */
export function getNodeMetrics(ctx: SimContext, name: string): KubeObject {
  const node = ctx.store.get(res('nodes'), undefined, name);
  if (!node) throw StatusError.notFound('nodes', name, 'metrics.k8s.io');
  return nodeMetrics(ctx, node);
}
