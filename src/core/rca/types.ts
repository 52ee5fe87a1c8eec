/**
 * The vocabulary of the root-cause engine: resource references, typed signals and the roles a
 * signal's resources play. Signals are what rules (rules/*.yaml) match on; docs/rules.md lists every
 * signal name with its fields.
 */

/** An object the analysis talks about; `namespace` is absent for cluster-scoped kinds (Node). */
export interface ResourceRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** `Deployment/shop/checkout`, `Node//node-1`: a stable key for maps. */
export function refKey(r: ResourceRef): string {
  return `${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

/** `Deployment shop/checkout`, `Node node-1`: how a person reads it. */
export function refText(r: ResourceRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

/**
 * How a resource relates to a signal. A rule names the role its cause blames (`resource:` in the rule
 * file), e.g. DependencyUnavailable blames a client's `dependency`, OOMKilled the pod's `workload`.
 */
export const ROLES = [
  'workload',
  'pod',
  'node',
  'service',
  'pvc',
  'quota',
  'hpa',
  'policy',
  'dependency',
  'dependency_service',
  'dns',
  'configmap',
  'secret',
] as const;
export type Role = (typeof ROLES)[number];

export type FieldValue = string | number | boolean;

/** One observation extracted from a snapshot; see docs/rules.md for every name and its fields. */
export interface Signal {
  name: SignalName;
  /** What the observation is about: a pod, a node, a Service, a PVC, a workload... */
  subject: ResourceRef;
  /** The resources it implicates, by role; a role may name several (a Service backed by two workloads). */
  refs: Partial<Record<Role, ResourceRef[]>>;
  fields: Record<string, FieldValue>;
  /** When it was last seen, epoch ms, when known. */
  at?: number;
}

export const SIGNAL_NAMES = [
  'container_waiting',
  'container_terminated',
  'pod_unschedulable',
  'pod_not_ready',
  'pod_evicted',
  'probe_failed',
  'image_pull_failed',
  'container_start_failed',
  'config_missing',
  'mount_failed',
  'quota_exceeded',
  'quota_exhausted',
  'job_failed',
  'node_condition',
  'node_pods_affected',
  'workload_unavailable',
  'workload_scaled_to_zero',
  'rollout_failing',
  'service_no_endpoints',
  'service_selector_mismatch',
  'service_port_mismatch',
  'hpa_at_max',
  'pvc_pending',
  'log_error',
  'dependency_error',
  'memory_near_limit',
  'memory_growth',
  'cpu_throttling',
  'volume_usage_high',
  'warning_event',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];
