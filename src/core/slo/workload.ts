/**
 * Which pods belong to a workload, from pod names alone. The agent's metrics carry no owner references
 * (its events do), so an availability SLO recognises a workload's pods by the names its controller
 * gives them:
 *
 * | kind | pod name |
 * |---|---|
 * | Deployment | `{name}-{pod-template-hash}-{5 chars}` (hash 1–10 characters) |
 * | ReplicaSet, DaemonSet, Job | `{name}-{5 chars}` |
 * | StatefulSet | `{name}-{ordinal}` |
 * | CronJob | `{name}-{scheduled time}-{5 chars}` |
 * | Pod | `{name}` |
 *
 * The generated parts contain no `-`, so a Deployment `api` does not claim the pods of a Deployment
 * `api-gateway`. The patterns are written in the regular-expression subset PostgreSQL and JavaScript
 * read alike.
 */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const SUFFIX: Record<WorkloadKind, string> = {
  Deployment: '-[a-z0-9]{1,10}-[a-z0-9]{5}',
  ReplicaSet: '-[a-z0-9]{5}',
  DaemonSet: '-[a-z0-9]{5}',
  Job: '-[a-z0-9]{5}',
  StatefulSet: '-[0-9]+',
  CronJob: '-[0-9]+-[a-z0-9]{5}',
  Pod: '',
};

/** An anchored pattern matching the names of the workload's pods. */
export function workloadPodPattern(kind: WorkloadKind, name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${SUFFIX[kind]}$`;
}

/** Whether `podName` is one of the workload's pods (same rule as workloadPodPattern). */
export function isWorkloadPod(kind: WorkloadKind, name: string, podName: string): boolean {
  return new RegExp(workloadPodPattern(kind, name)).test(podName);
}
