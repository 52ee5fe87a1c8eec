/**
 * The metric names Aetherius derives from the agent's metrics message (docs/agent-metrics.md), one per
 * numeric field, with the labels that identify a series. The store, the query language, anomaly
 * detection and Prometheus remote write all use these names, so a series is called the same
 * everywhere (docs/metrics.md lists them).
 *
 * Labels: `cluster` (cluster id) on every series; `node` on node series; `namespace` and `pod` (and
 * `node`, where the pod runs) on pod series; `namespace` on namespace series. `pod_phase` carries the
 * pod's phase in a `phase` label (value 1), `node_condition` a node condition's type in `condition`
 * (1 when `True`, 0 when `False`; `Unknown` is left out).
 */

/** What a series is about; every stored sample belongs to one entity. */
export type EntityKind = 'cluster' | 'node' | 'pod' | 'namespace';
export const ENTITY_KINDS: readonly EntityKind[] = ['cluster', 'node', 'pod', 'namespace'];

/** How the stored field becomes a number. */
export type MetricValueKind = 'number' | 'bool' | 'phase' | 'conditions';

export interface MetricDefinition {
  name: string;
  entity: EntityKind;
  /** The agent message's field (`cluster_metrics.total_nodes`, `pod_metrics[].restarts`, ...); also the store's column. */
  field: string;
  type: 'gauge' | 'counter';
  value: MetricValueKind;
  help: string;
}

const m = (name: string, entity: EntityKind, field: string, help: string, type: 'gauge' | 'counter' = 'gauge', value: MetricValueKind = 'number'): MetricDefinition => ({
  name,
  entity,
  field,
  type,
  value,
  help,
});

export const METRICS: readonly MetricDefinition[] = Object.freeze([
  m('cluster_nodes', 'cluster', 'total_nodes', 'Nodes in the cluster'),
  m('cluster_nodes_ready', 'cluster', 'ready_nodes', 'Nodes whose Ready condition is True'),
  m('cluster_pods', 'cluster', 'total_pods', 'Pods in the cluster, any phase'),
  m('cluster_pods_running', 'cluster', 'running_pods', 'Running pods (terminating ones excluded)'),
  m('cluster_pods_pending', 'cluster', 'pending_pods', 'Pending pods (terminating ones excluded)'),
  m('cluster_pods_failed', 'cluster', 'failed_pods', 'Failed pods (terminating ones excluded)'),
  m('cluster_cpu_usage_percent', 'cluster', 'cpu_usage_percent', 'CPU usage over allocatable of the ready nodes, percent'),
  m('cluster_memory_usage_percent', 'cluster', 'memory_usage_percent', 'Memory usage over allocatable of the ready nodes, percent'),

  m('node_ready', 'node', 'ready', '1 when the node is Ready', 'gauge', 'bool'),
  m('node_pods', 'node', 'pod_count', 'Unfinished pods bound to the node'),
  m('node_cpu_usage_percent', 'node', 'cpu_usage_percent', 'CPU usage over allocatable, percent'),
  m('node_memory_usage_percent', 'node', 'memory_usage_percent', 'Memory usage over allocatable, percent'),
  m('node_cpu_usage_millicores', 'node', 'cpu_usage_millicores', 'CPU usage, millicores (metrics.k8s.io)'),
  m('node_memory_usage_bytes', 'node', 'memory_usage_bytes', 'Memory usage, bytes (metrics.k8s.io)'),
  m('node_cpu_allocatable_millicores', 'node', 'cpu_allocatable_millicores', 'Allocatable CPU, millicores'),
  m('node_memory_allocatable_bytes', 'node', 'memory_allocatable_bytes', 'Allocatable memory, bytes'),
  m('node_condition', 'node', 'conditions', 'Node condition by type (label condition): 1 True, 0 False', 'gauge', 'conditions'),

  m('pod_phase', 'pod', 'phase', 'The pod phase (label phase), value 1', 'gauge', 'phase'),
  m('pod_ready', 'pod', 'ready', '1 when the pod is Ready (absent when the pod has no Ready condition)', 'gauge', 'bool'),
  m('pod_restarts_total', 'pod', 'restarts', 'Container restarts, init containers included', 'counter'),
  m('pod_cpu_usage_millicores', 'pod', 'cpu_usage_millicores', 'CPU usage, millicores (metrics.k8s.io)'),
  m('pod_memory_usage_bytes', 'pod', 'memory_usage_bytes', 'Memory usage, bytes (metrics.k8s.io)'),
  m('pod_cpu_request_millicores', 'pod', 'cpu_request_millicores', 'Effective CPU request, millicores'),
  m('pod_cpu_limit_millicores', 'pod', 'cpu_limit_millicores', 'Effective CPU limit, millicores (absent unless every container has one)'),
  m('pod_memory_request_bytes', 'pod', 'memory_request_bytes', 'Effective memory request, bytes'),
  m('pod_memory_limit_bytes', 'pod', 'memory_limit_bytes', 'Effective memory limit, bytes (absent unless every container has one)'),

  m('namespace_pods', 'namespace', 'total_pods', 'Pods in the namespace'),
  m('namespace_pods_running', 'namespace', 'running_pods', 'Running pods in the namespace'),
  m('namespace_pods_pending', 'namespace', 'pending_pods', 'Pending pods in the namespace'),
  m('namespace_pods_failed', 'namespace', 'failed_pods', 'Failed pods in the namespace'),
  m('namespace_restarts_total', 'namespace', 'restarts', 'Container restarts summed over the namespace pods', 'counter'),
  m('namespace_cpu_usage_millicores', 'namespace', 'cpu_usage_millicores', 'CPU usage summed over the pods with PodMetrics, millicores'),
  m('namespace_memory_usage_bytes', 'namespace', 'memory_usage_bytes', 'Memory usage summed over the pods with PodMetrics, bytes'),
]);

const BY_NAME = new Map(METRICS.map((d) => [d.name, d]));

/** The definition of a metric name; undefined when Aetherius has no such metric. */
export function metricDefinition(name: string): MetricDefinition | undefined {
  return BY_NAME.get(name);
}

/** Label names a series of this entity kind carries (besides `__name__` and the per-metric `phase`/`condition`). */
export const ENTITY_LABELS: Readonly<Record<EntityKind, readonly string[]>> = Object.freeze({
  cluster: ['cluster'],
  node: ['cluster', 'node'],
  pod: ['cluster', 'namespace', 'pod', 'node'],
  namespace: ['cluster', 'namespace'],
});

/** The extra label a metric's value kind adds. */
export function extraLabel(d: MetricDefinition): string | undefined {
  return d.value === 'phase' ? 'phase' : d.value === 'conditions' ? 'condition' : undefined;
}
