/**
 * Remediation action ids: what a recommendation proposes and a workflow may execute. The ids are a
 * stable API: add new ones, never rename or remove one. The architecture's examples say
 * `increase_memory_limit`; here that is `UpdateResourceLimits`.
 */
import { z } from 'zod';

export const riskLevel = z.enum(['low', 'medium', 'high']);
export type RiskLevel = z.infer<typeof riskLevel>;

export interface RemediationActionEntry {
  /** Stable id, PascalCase. */
  readonly id: string;
  /** One line a person reads in a report. */
  readonly meaning: string;
  /** True when the action changes the cluster; false actions are safe to run without approval. */
  readonly writes: boolean;
  /** Risk before looking at the target; a recommendation may raise or lower it for its case. */
  readonly risk: RiskLevel;
}

export const REMEDIATION_ACTIONS = [
  { id: 'RestartPod', writes: true, risk: 'low', meaning: "Restart the pod's workload with a rolling restart, so capacity stays up while pods are replaced." },
  { id: 'DeletePod', writes: true, risk: 'medium', meaning: 'Delete one pod so its controller recreates it (a wedged or stuck pod); a pod without a controller is gone.' },
  { id: 'ScaleDeployment', writes: true, risk: 'low', meaning: 'Change the replica count of a Deployment or StatefulSet.' },
  { id: 'UpdateResourceLimits', writes: true, risk: 'medium', meaning: 'Change container cpu/memory requests or limits; rolls the pods and may make them unschedulable.' },
  { id: 'ApplyConfigPatch', writes: true, risk: 'high', meaning: 'Patch configuration (ConfigMap, env, probe, selector or port) and roll the workload to pick it up.' },
  { id: 'RollbackDeployment', writes: true, risk: 'medium', meaning: 'Roll a Deployment back to its previous healthy revision.' },
  { id: 'CordonNode', writes: true, risk: 'low', meaning: 'Mark a node unschedulable so no new pods land on it; running pods stay.' },
  { id: 'DrainNode', writes: true, risk: 'high', meaning: 'Cordon a node and evict its pods, respecting PodDisruptionBudgets.' },
  { id: 'ExpandPVC', writes: true, risk: 'medium', meaning: 'Grow a PersistentVolumeClaim whose storage class allows expansion; a volume cannot shrink back.' },
  { id: 'NotifyOwner', writes: false, risk: 'low', meaning: 'No safe automatic fix: tell the owner what to change, with the evidence.' },
] as const satisfies readonly RemediationActionEntry[];

export type RemediationAction = (typeof REMEDIATION_ACTIONS)[number]['id'];

/** Every action id, in table order. */
export const REMEDIATION_ACTION_IDS = REMEDIATION_ACTIONS.map((a) => a.id) as readonly RemediationAction[];

export const remediationAction = z.enum(REMEDIATION_ACTION_IDS, {
  error: 'must be a remediation action id such as RestartPod or UpdateResourceLimits (see docs/contracts.md)',
});

const BY_ID = new Map<string, RemediationActionEntry>(REMEDIATION_ACTIONS.map((a) => [a.id, a]));

/** The table entry for an action id; undefined for an id this build does not know. */
export function remediationActionEntry(id: string): RemediationActionEntry | undefined {
  return BY_ID.get(id);
}
