/**
 * The parts of Pod and Node objects the scheduler and kubelet read, typed, plus the helpers both use:
 * requests, tolerations, the top-level owner a scenario's behavior is keyed by.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { resourceForKind, infoFor } from '../../resources.js';
import type { ObjectStore } from '../../store/object-store.js';
import type { BehaviorKey } from '../../sim-context.js';
import { bytesOf, cpuMillis } from '../../../core/kube/units.js';

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: '' | 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface ProbeSpec {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: { command?: string[] };
  grpc?: { port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  resources?: ResourceRequirements;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface VolumeSpec {
  name: string;
  configMap?: { name: string; optional?: boolean };
  secret?: { secretName: string; optional?: boolean };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: { sizeLimit?: string };
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface PodAffinityTerm {
  labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  namespaces?: string[];
  topologyKey: string;
}

export interface Affinity {
  nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } };
  podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
  podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
}

export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: VolumeSpec[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  priority?: number;
  priorityClassName?: string;
  terminationGracePeriodSeconds?: number;
}

export interface PodLike extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; [k: string]: unknown };
}

export function podSpec(pod: KubeObject): PodSpec {
  return (pod['spec'] as PodSpec | undefined) ?? {};
}

export function podPhase(pod: KubeObject): string {
  return ((pod['status'] as { phase?: string } | undefined)?.phase) ?? 'Pending';
}

/** Succeeded and Failed pods hold no node resources. */
export function isTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

export interface Requests {
  cpu: number; // millicores
  memory: number; // bytes
}

/** What the scheduler charges a pod: the sum of its containers' requests (max with any init container). */
export function podRequests(pod: KubeObject): Requests {
  const spec = podSpec(pod);
  const sum: Requests = { cpu: 0, memory: 0 };
  for (const c of spec.containers ?? []) {
    const r = effectiveRequests(c);
    sum.cpu += r.cpu;
    sum.memory += r.memory;
  }
  for (const c of spec.initContainers ?? []) {
    const r = effectiveRequests(c);
    sum.cpu = Math.max(sum.cpu, r.cpu);
    sum.memory = Math.max(sum.memory, r.memory);
  }
  return sum;
}

/** Requests default to limits when only limits are set, as API defaulting does. */
export function effectiveRequests(c: ContainerSpec): Requests {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  return { cpu: cpuMillis(req['cpu'] ?? lim['cpu']), memory: bytesOf(req['memory'] ?? lim['memory']) };
}

export function memoryLimit(c: ContainerSpec): number | undefined {
  const l = c.resources?.limits?.['memory'];
  return l === undefined ? undefined : bytesOf(l);
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function qosClass(pod: KubeObject): QosClass {
  const containers = podSpec(pod).containers ?? [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || q === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Whether a toleration tolerates a taint (the corev1 helper's rules). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if ((t.operator ?? 'Equal') === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function toleratesAll(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

export function nodeTaints(node: KubeObject): Taint[] {
  return ((node['spec'] as { taints?: Taint[] } | undefined)?.taints) ?? [];
}

/** `shop/checkout-abc` */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

/** `checkout-abc_shop(uid)`, as the kubelet's format.Pod prints a pod. */
export function formatPod(pod: KubeObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid})`;
}

/**
 * The top-level owner a behavior is keyed by: the pod's controller chain followed through the store
 * (Pod → ReplicaSet → Deployment, Pod → Job → CronJob), `Pod` itself for a bare pod.
 */
export function topLevelOwner(store: ObjectStore, pod: KubeObject): Pick<BehaviorKey, 'kind' | 'name'> {
  let current: KubeObject = pod;
  let result = { kind: 'Pod', name: pod.metadata.name };
  for (let depth = 0; depth < 5; depth++) {
    const ref = current.metadata.ownerReferences?.find((o) => o.controller) ?? current.metadata.ownerReferences?.[0];
    if (!ref) break;
    result = { kind: ref.kind, name: ref.name };
    const type = resourceForKind(ref.apiVersion, ref.kind);
    if (!type) break;
    const owner = store.get(infoFor(type), pod.metadata.namespace, ref.name);
    if (!owner) break;
    current = owner;
  }
  return result;
}
