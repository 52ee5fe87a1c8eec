/**
 * A signal is what the correlator needs of an agent event: when, how bad, and which resource it is
 * about once pods are rolled up to their workload. Pure functions, no I/O.
 */
import type { AgentEvent, EventCategory, IncidentResource, Severity } from '../../contracts/index.js';

export type SignalRole =
  /** A node-level condition: pods on the node and failures that start with it belong to it. */
  | 'node'
  /** A Service without endpoints: failures of its clients, anywhere in the cluster, belong to it. */
  | 'dependency'
  /** A workload, PVC, HPA, quota, Service or any other object. */
  | 'object';

export interface Signal {
  eventId: string;
  clusterId: string;
  /** Event time, ms since the epoch. */
  at: number;
  severity: Severity;
  reason: string;
  category: EventCategory | undefined;
  message: string;
  /** The object the event names (a Pod, a Node, a Deployment...). */
  object: IncidentResource;
  /** The resource the signal is correlated to: the pod's top owner, the quota a ReplicaSet hit, ... */
  subject: IncidentResource;
  role: SignalRole;
  /** The node the object runs on, when known. */
  node: string | undefined;
  /** Kubernetes Event count (repeats folded by the agent). */
  count: number;
  /** For a dependency: the workloads behind it (desired replicas), from `raw_data.backends`. */
  backends: readonly (IncidentResource & { replicas?: number })[] | undefined;
  /**
   * For a dependency: nothing could serve it — its selector matches no workload, or every workload
   * behind it is scaled to zero. Such a Service is a cause; one whose pods crash is a symptom of them.
   */
  orphan: boolean;
  /**
   * The message shows this resource's own endpoint failing its peers (a server's `TLS handshake error
   * from <peer>: remote error: tls: bad certificate`): among related groups it is the likelier root.
   */
  serverSide: boolean;
}

/** Kinds a pod's owner chain rolls up to. */
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet', 'ReplicationController']);

/** A server logging that its peers reject its certificate. */
const SERVER_SIDE_TLS = /handshake error from|remote error: tls: (bad|expired|unknown) certificate|certificate has expired or is not yet valid.*serving/i;

/** `exceeded quota: compute-quota, requested: ...` (ReplicaSet/StatefulSet FailedCreate). */
const QUOTA_REF = /exceeded quota: ([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/;

export function resourceKey(r: IncidentResource): string {
  return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

function ref(kind: string, name: string, namespace: string | undefined): IncidentResource {
  return namespace ? { kind, name, namespace } : { kind, name };
}

function backendsOf(raw: Record<string, unknown>): Signal['backends'] {
  const list = raw['backends'];
  if (!Array.isArray(list)) return undefined;
  const out: (IncidentResource & { replicas?: number })[] = [];
  for (const b of list.slice(0, 32)) {
    if (!b || typeof b !== 'object') continue;
    const o = b as Record<string, unknown>;
    if (typeof o['kind'] !== 'string' || typeof o['name'] !== 'string') continue;
    const r: IncidentResource & { replicas?: number } = ref(o['kind'], o['name'], typeof o['namespace'] === 'string' ? o['namespace'] : undefined);
    if (typeof o['replicas'] === 'number') r.replicas = o['replicas'];
    out.push(r);
  }
  return out;
}

/**
 * Derives the signal of an event: its subject is the pod's top owner (ReplicaSet → Deployment), the
 * quota a failed create names, the workload behind a Service with no endpoints (when exactly one backs
 * it), or the object itself.
 */
export function toSignal(ev: AgentEvent): Signal {
  const namespace = ev.namespace || undefined;
  const object = ref(ev.labels.kind, ev.labels.name, ev.labels.kind === 'Node' ? undefined : namespace);
  const owners = ev.owners ?? [];
  const top = owners.length ? owners[owners.length - 1] : undefined;
  let subject = object;
  let role: SignalRole = 'object';
  let backends: Signal['backends'];
  const quota = ev.reason === 'FailedCreate' || ev.reason === 'ReplicaFailure' ? QUOTA_REF.exec(ev.message) : null;
  if (object.kind === 'Node') {
    role = 'node';
  } else if (quota?.[1]) {
    subject = ref('ResourceQuota', quota[1], namespace);
  } else if (object.kind === 'Service' && ev.reason === 'ServiceHasNoEndpoints') {
    role = 'dependency';
    backends = backendsOf(ev.raw_data);
    const only = backends?.length === 1 ? backends[0] : undefined;
    if (only) subject = ref(only.kind, only.name, only.namespace ?? namespace);
  } else if (top && (object.kind === 'Pod' || WORKLOAD_KINDS.has(object.kind))) {
    subject = ref(top.kind, top.name, top.namespace ?? namespace);
  }
  const date = Date.parse(ev.timestamp);
  return {
    eventId: ev.id,
    clusterId: ev.cluster_id,
    at: Number.isNaN(date) ? 0 : date,
    severity: ev.severity,
    reason: ev.reason,
    category: ev.category,
    message: ev.message,
    object,
    subject,
    role,
    node: ev.labels.node ?? (object.kind === 'Node' ? object.name : undefined),
    count: ev.raw_data.count,
    backends,
    orphan: role === 'dependency' && (!backends?.length || backends.every((b) => b.replicas === 0)),
    serverSide: SERVER_SIDE_TLS.test(ev.message),
  };
}
