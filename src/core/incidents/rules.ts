/**
 * The rules that turn a group of signals into an incident: when a group is worth waking someone
 * (noise control), which resource of a correlated set is the root, the P0–P3 level, and which workflow
 * the orchestrator should start. docs/incidents.md states them for users; keep the two in step.
 */
import type { EventCategory, IncidentCategory, IncidentResource, IncidentSeverity, Severity } from '../../contracts/index.js';
import type { Signal } from './signal.js';

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export interface IncidentRules {
  /** A firing group waits this long (event time) for related groups before its incident opens. */
  groupWaitMs: number;
  /** Groups that start firing this close together (event time) may be one incident. */
  correlationWindowMs: number;
  /** Medium signals open an incident only when they keep coming for this long. */
  sustainMs: number;
  /** High signals open an incident when two or more of them span at least this long (not one instant). */
  persistMs: number;
  /** An open incident resolves after this long without a signal of medium or worse. */
  resolveAfterMs: number;
}

export const DEFAULT_INCIDENT_RULES: IncidentRules = {
  groupWaitMs: 90_000,
  correlationWindowMs: 10 * 60_000,
  sustainMs: 5 * 60_000,
  persistMs: 60_000,
  resolveAfterMs: 10 * 60_000,
};

/** Signals of at least medium severity: the ones that can open an incident or keep it open. */
export function isBad(s: Pick<Signal, 'severity'>): boolean {
  return SEVERITY_RANK[s.severity] >= SEVERITY_RANK.medium;
}

/**
 * A Service whose every backend is scaled to zero on purpose has no endpoints by design; it matters only
 * when its clients fail, so alone it never opens an incident.
 */
export function isSupportingOnly(s: Signal): boolean {
  return s.role === 'dependency' && !!s.backends?.length && s.backends.every((b) => b.replicas === 0);
}

export interface GroupStats {
  critical: number;
  high: number;
  /** Medium or worse. */
  bad: number;
  firstBadAt: number;
  lastBadAt: number;
  /** Event times of the first and last high-or-worse signal (NaN before the first). */
  firstHighAt: number;
  lastHighAt: number;
}

/**
 * Noise control: a group fires on any critical signal; on high signals that persist (two or more spanning
 * `persistMs`: a pod that cannot be scheduled for a second while its claim binds at start-up, one
 * transient MinimumReplicasUnavailable during a rollout or a pod replacement, is not enough); or on medium
 * signals that keep coming for `sustainMs` (a probe that never recovers, not a blip).
 */
export function isFiring(stats: GroupStats, rules: IncidentRules): boolean {
  if (stats.critical > 0) return true;
  if (stats.high >= 2 && stats.lastHighAt - stats.firstHighAt >= rules.persistMs) return true;
  return stats.bad >= 3 && stats.lastBadAt - stats.firstBadAt >= rules.sustainMs;
}

/**
 * Which resource of a correlated set is the root, highest first: a node takes its pods with it, a quota
 * or a claim blocks the workloads that need it, a Service fronts its backends, an HPA drives its target.
 */
const PRECEDENCE: Record<string, number> = {
  Node: 100,
  ResourceQuota: 80,
  PersistentVolumeClaim: 75,
  StorageClass: 74,
  Service: 70,
  HorizontalPodAutoscaler: 60,
  StatefulSet: 40,
  DaemonSet: 35,
  Deployment: 30,
  CronJob: 25,
  Job: 20,
};

export function precedence(r: IncidentResource, role: Signal['role'], hints: { orphan: boolean; serverSide: boolean }): number {
  // A Service nothing can serve (no matching workload, or all scaled to zero) is a cause for every client
  // that fails with it; a Service whose own pods crash is one more symptom, ranked above plain workloads.
  if (role === 'dependency') return hints.orphan ? 95 : 50;
  return (PRECEDENCE[r.kind] ?? 10) + (hints.serverSide ? 5 : 0);
}

/**
 * P-level from the worst signal and the blast radius: critical → P1, high → P2, medium → P3; one level
 * more urgent for a node outage, for three or more workloads or two or more namespaces affected, or for a
 * workload with no available replica.
 */
export function incidentSeverity(worst: Severity, spread: { workloads: number; namespaces: number; nodeDown: boolean; unavailable: boolean }): IncidentSeverity {
  const base = worst === 'critical' ? 1 : worst === 'high' ? 2 : 3;
  const wide = spread.nodeDown || spread.workloads >= 3 || spread.namespaces >= 2 || spread.unavailable;
  const level = Math.max(0, base - (wide ? 1 : 0));
  return (['P0', 'P1', 'P2', 'P3'] as const)[level] ?? 'P3';
}

/** Reasons meaning a workload has no (or too few) available replicas. */
export const UNAVAILABLE_REASONS = new Set(['MinimumReplicasUnavailable', 'StatefulSetReplicasUnavailable', 'DaemonSetPodsUnavailable']);

const WORKFLOW_BY_REASON: Record<string, string> = {
  OOMKilled: 'diagnose_oom',
  MemoryNearLimit: 'diagnose_oom',
  CrashLoopBackOff: 'diagnose_pod_crashloop',
  BackOff: 'diagnose_pod_crashloop',
  ErrImagePull: 'diagnose_image_pull',
  ImagePullBackOff: 'diagnose_image_pull',
  FailedScheduling: 'diagnose_scheduling',
  Unschedulable: 'diagnose_scheduling',
  NodeNotReady: 'diagnose_node',
  NodeHasDiskPressure: 'diagnose_node',
  NodeHasMemoryPressure: 'diagnose_node',
  EvictionThresholdMet: 'diagnose_node',
  ServiceHasNoEndpoints: 'diagnose_dependency',
  JobFailed: 'diagnose_job_failure',
  BackoffLimitExceeded: 'diagnose_job_failure',
  FailedMount: 'diagnose_config',
  CreateContainerConfigError: 'diagnose_config',
  ProvisioningFailed: 'diagnose_storage',
  ScalingLimited: 'diagnose_scaling',
  FailedCreate: 'diagnose_scaling',
  CPUThrottlingHigh: 'diagnose_resources',
  ProgressDeadlineExceeded: 'diagnose_rollout',
  Unhealthy: 'diagnose_probe_failure',
};

const WORKFLOW_BY_CATEGORY: Partial<Record<IncidentCategory, string>> = {
  pod_failure: 'diagnose_pod_crashloop',
  scheduling: 'diagnose_scheduling',
  image: 'diagnose_image_pull',
  storage: 'diagnose_storage',
  node: 'diagnose_node',
  network: 'diagnose_network',
  config: 'diagnose_config',
  scaling: 'diagnose_scaling',
  job: 'diagnose_job_failure',
  dependency: 'diagnose_dependency',
  agent_offline: 'diagnose_agent',
};

/** The workflow the orchestrator should start: by the root's most telling reason, else by category. */
export function suggestedWorkflow(reasons: readonly string[], category: IncidentCategory): string | undefined {
  for (const r of reasons) {
    const w = WORKFLOW_BY_REASON[r];
    if (w) return w;
  }
  return WORKFLOW_BY_CATEGORY[category];
}

/** How telling a reason is about the cause (higher first in `reasons` and in titles). */
const TELLING: Record<string, number> = {
  NodeNotReady: 10,
  ServiceHasNoEndpoints: 9,
  OOMKilled: 9,
  ErrImagePull: 8,
  ImagePullBackOff: 8,
  CreateContainerConfigError: 8,
  FailedMount: 8,
  ProvisioningFailed: 8,
  FailedScheduling: 7,
  FailedCreate: 7,
  JobFailed: 7,
  BackoffLimitExceeded: 7,
  ScalingLimited: 7,
  NodeHasDiskPressure: 7,
  NodeHasMemoryPressure: 7,
  EvictionThresholdMet: 6,
  MemoryNearLimit: 6,
  CPUThrottlingHigh: 6,
  ProgressDeadlineExceeded: 6,
  CrashLoopBackOff: 5,
  Unschedulable: 5,
  Evicted: 4,
  Unhealthy: 3,
};

/** Reasons ordered by how much they say about the cause, then by how often they were seen. */
export function rankReasons(counts: ReadonlyMap<string, number>): string[] {
  return [...counts.entries()].sort((a, b) => (TELLING[b[0]] ?? 0) - (TELLING[a[0]] ?? 0) || b[1] - a[1] || a[0].localeCompare(b[0])).map(([r]) => r);
}

/** The incident's category: the root's own signals decide; a dependency outage is `dependency`. */
export function incidentCategory(rootRole: Signal['role'], categories: ReadonlyMap<EventCategory, number>): IncidentCategory {
  if (rootRole === 'dependency') return 'dependency';
  if (rootRole === 'node') return 'node';
  let best: EventCategory | undefined;
  let n = -1;
  for (const [c, k] of categories) if (k > n) [best, n] = [c, k];
  return best ?? 'pod_failure';
}
