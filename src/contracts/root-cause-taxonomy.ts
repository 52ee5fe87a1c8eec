/**
 * The root-cause taxonomy: the ids the reasoning service answers with, the knowledge base stores and
 * scenarios score against. The ids are a stable API: add new ones, never rename or remove one.
 * The architecture's examples say `OOMKiller`; the id here is `OOMKilled`, as Kubernetes reports it.
 */
import { z } from 'zod';
import type { EventCategory } from './agent-messages.js';

export interface RootCauseEntry {
  /** Stable id, PascalCase. */
  readonly id: string;
  /** Where the fault shows up; the same set an agent classifies events into. */
  readonly category: EventCategory;
  /** One line a person reads in a report. */
  readonly meaning: string;
}

export const ROOT_CAUSE_TAXONOMY = [
  { id: 'OOMKilled', category: 'pod_failure', meaning: 'A container used more memory than its limit and the kernel killed it (exit code 137).' },
  { id: 'MemoryLeak', category: 'pod_failure', meaning: 'Memory usage is trending towards the limit; an OOM kill is predicted.' },
  { id: 'ImagePullError', category: 'image', meaning: 'The image cannot be pulled: wrong name or tag, missing registry credentials, or the registry is unreachable.' },
  { id: 'MissingConfigMap', category: 'config', meaning: 'The pod references a ConfigMap (volume, env or envFrom) that does not exist.' },
  { id: 'MissingSecret', category: 'config', meaning: 'The pod references a Secret (volume, env, envFrom or imagePullSecret) that does not exist.' },
  { id: 'ConfigurationError', category: 'config', meaning: 'The application exits because its configuration or environment is bad or missing.' },
  { id: 'ApplicationCrash', category: 'pod_failure', meaning: 'An application bug makes the container exit: an unhandled exception, a panic, a syntax error.' },
  { id: 'CommandNotFound', category: 'pod_failure', meaning: 'The container entrypoint or command does not exist in the image (exit code 127 or 128).' },
  { id: 'DependencyUnavailable', category: 'network', meaning: 'A service the workload needs has no ready endpoints, refuses connections or times out.' },
  { id: 'ConnectionPoolExhausted', category: 'network', meaning: 'The application has used up its connection pool (database, HTTP) and requests wait or fail.' },
  { id: 'UpstreamRateLimited', category: 'network', meaning: 'An external API answers HTTP 429: the workload exceeds its rate limit.' },
  { id: 'DNSResolutionFailure', category: 'network', meaning: 'Names do not resolve: CoreDNS is down or overloaded, or the name is wrong.' },
  { id: 'CertificateExpired', category: 'network', meaning: 'A TLS certificate on a connection the workload makes or serves has expired or is not yet valid.' },
  { id: 'LivenessProbeFailure', category: 'pod_failure', meaning: 'The liveness probe fails, so the kubelet keeps restarting a container that may be only slow.' },
  { id: 'ReadinessProbeFailure', category: 'pod_failure', meaning: 'The readiness probe fails, so the pod receives no traffic.' },
  { id: 'InsufficientResources', category: 'scheduling', meaning: 'The pod cannot be scheduled: no node has enough free cpu, memory or gpu for its requests.' },
  { id: 'NodeSelectorMismatch', category: 'scheduling', meaning: 'The pod cannot be scheduled: no node matches its node selector or required node affinity.' },
  { id: 'UntoleratedTaint', category: 'scheduling', meaning: 'The pod cannot be scheduled: every fitting node has a taint the pod does not tolerate.' },
  { id: 'PVCPending', category: 'storage', meaning: 'A PersistentVolumeClaim cannot bind: its storage class is missing or provisioning failed.' },
  { id: 'VolumeMountFailure', category: 'storage', meaning: 'A volume cannot be attached or mounted on the node (FailedMount, FailedAttachVolume).' },
  { id: 'DiskFull', category: 'storage', meaning: 'A volume the workload writes to has no space left.' },
  { id: 'NodeNotReady', category: 'node', meaning: 'A node is NotReady or unreachable, so its pods are not running or are being evicted.' },
  { id: 'NodeDiskPressure', category: 'node', meaning: 'A node is low on disk (DiskPressure) and the kubelet evicts pods.' },
  { id: 'NodeMemoryPressure', category: 'node', meaning: 'A node is low on memory (MemoryPressure) and the kubelet evicts pods.' },
  { id: 'BadRollout', category: 'config', meaning: 'A new revision of a workload fails while the previous revision was healthy.' },
  { id: 'CPUThrottling', category: 'scaling', meaning: 'Containers are throttled at their cpu limit, so latency rises although nothing crashes.' },
  { id: 'QuotaExceeded', category: 'scheduling', meaning: 'A ResourceQuota or LimitRange in the namespace forbids creating the pod or object.' },
  { id: 'JobFailed', category: 'job', meaning: 'A Job reached its backoff limit or deadline without completing.' },
  { id: 'HPAMaxedOut', category: 'scaling', meaning: 'A HorizontalPodAutoscaler is at its maximum replicas and the load is still above target.' },
  { id: 'NetworkPolicyBlocked', category: 'network', meaning: 'A NetworkPolicy drops traffic the workload needs (ingress or egress).' },
  { id: 'ServiceSelectorMismatch', category: 'network', meaning: 'A Service selects no pods, or its targetPort matches no container port, so it has no working endpoints.' },
] as const satisfies readonly RootCauseEntry[];

export type RootCauseType = (typeof ROOT_CAUSE_TAXONOMY)[number]['id'];

/** Every taxonomy id, in table order. */
export const ROOT_CAUSE_TYPES = ROOT_CAUSE_TAXONOMY.map((c) => c.id) as readonly RootCauseType[];

export const rootCauseType = z.enum(ROOT_CAUSE_TYPES, {
  error: 'must be a root-cause taxonomy id such as OOMKilled or ImagePullError (see docs/contracts.md)',
});

const BY_ID = new Map<string, RootCauseEntry>(ROOT_CAUSE_TAXONOMY.map((c) => [c.id, c]));

/** The taxonomy entry for an id; undefined for an id this build does not know. */
export function rootCauseEntry(id: string): RootCauseEntry | undefined {
  return BY_ID.get(id);
}
