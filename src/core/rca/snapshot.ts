/**
 * What the root-cause analysis reasons over: the Kubernetes objects, events, logs and metric series
 * around a failure, in one normalised shape whatever produced it — the analysis request's context,
 * objects gathered through the manager's command API, a `kubectl cluster-info dump` directory, or
 * the simulator's store. Plain data, no I/O; every part may be missing and the engine reasons from
 * what it gets.
 */
import type { KubeObject } from '../kube/kube-types.js';

/** One container's log, current or `--previous` instance, oldest line first. */
export interface ContainerLog {
  namespace: string;
  pod: string;
  container: string;
  /** The terminated instance before the current one (`kubectl logs --previous`). */
  previous: boolean;
  lines: readonly string[];
}

/** One metric series: the agent's metric names (docs/agent-metrics.md), samples oldest first. */
export interface MetricSeries {
  name: string;
  /** `{namespace, pod, container}`, `{node}`, `{namespace, persistentvolumeclaim}`, ... */
  labels: Readonly<Record<string, string>>;
  /** `[ms since the epoch, value]`, oldest first. */
  samples: readonly (readonly [number, number])[];
}

export interface ClusterSnapshot {
  clusterId?: string;
  /** When the snapshot was taken, ms since the epoch; ages ("6 restarts in 9m") are relative to it. */
  at: number;
  /**
   * Every object as the API returns it: Pods, Nodes, Deployments, ReplicaSets, StatefulSets,
   * DaemonSets, Jobs, CronJobs, Services, Endpoints, ConfigMaps and Secrets (metadata only is enough),
   * PersistentVolumeClaims, StorageClasses, HorizontalPodAutoscalers, ResourceQuotas, NetworkPolicies
   * and core/v1 Events (kind `Event`). Unknown kinds are ignored.
   */
  objects: readonly KubeObject[];
  logs: readonly ContainerLog[];
  metrics: readonly MetricSeries[];
}

export function emptySnapshot(at: number, clusterId?: string): ClusterSnapshot {
  return { ...(clusterId !== undefined ? { clusterId } : {}), at, objects: [], logs: [], metrics: [] };
}
