/**
 * What the node controllers read from Node objects: allocatable resources, labels, conditions.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { bytesOf, cpuMillis } from '../../../core/kube/units.js';

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** Used when a node object carries no capacity at all (the scenario always sets one). */
export const DEFAULT_NODE_CAPACITY = Object.freeze({ cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' });

export interface NodeResources {
  cpu: number; // millicores
  memory: number; // bytes
  pods: number;
}

interface NodeStatus {
  capacity?: Record<string, string | number>;
  allocatable?: Record<string, string | number>;
  conditions?: NodeCondition[];
  addresses?: { type: string; address: string }[];
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function nodeStatus(node: KubeObject): NodeStatus {
  return (node['status'] as NodeStatus | undefined) ?? {};
}

/** The capacity as the node reports it, falling back to DEFAULT_NODE_CAPACITY per resource. */
export function nodeCapacity(node: KubeObject): Record<string, string | number> {
  return { ...DEFAULT_NODE_CAPACITY, ...(nodeStatus(node).capacity ?? {}) };
}

export function nodeAllocatable(node: KubeObject): NodeResources {
  const s = nodeStatus(node);
  const a = { ...nodeCapacity(node), ...(s.allocatable ?? {}) };
  return { cpu: cpuMillis(a['cpu']), memory: bytesOf(a['memory']), pods: Number(a['pods'] ?? 110) };
}

export function nodeLabels(node: KubeObject): Record<string, string> {
  return { [HOSTNAME_LABEL]: node.metadata.name, ...(node.metadata.labels ?? {}) };
}

export function nodeCondition(node: KubeObject, type: string): NodeCondition | undefined {
  return nodeStatus(node).conditions?.find((c) => c.type === type);
}

export function isUnschedulable(node: KubeObject): boolean {
  return (node['spec'] as { unschedulable?: boolean } | undefined)?.unschedulable === true;
}
