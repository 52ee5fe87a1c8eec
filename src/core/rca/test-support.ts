/**
 * Builders of small hand-made snapshots for the engine's unit tests: Kubernetes objects shaped as the
 * API returns them, with only the fields the analysis reads.
 */
import type { KubeObject } from '../kube/kube-types.js';
import type { ClusterSnapshot, ContainerLog } from './snapshot.js';

export const T0 = Date.UTC(2025, 8, 30, 10, 0, 0);
export const iso = (msAfterT0: number): string => new Date(T0 + msAfterT0).toISOString().replace('.000Z', 'Z');
const MIN = 60_000;

let uid = 0;
function meta(kind: string, name: string, namespace: string | undefined, extra: Record<string, unknown> = {}): KubeObject['metadata'] {
  return { name, ...(namespace ? { namespace } : {}), uid: `${kind}-${name}-${uid++}`, resourceVersion: '1', creationTimestamp: iso(0), ...extra };
}

export interface ContainerOptions {
  name?: string;
  image?: string;
  memoryLimit?: string;
  cpuLimit?: string;
  ports?: number[];
  env?: { name: string; value: string }[];
  livenessPort?: number;
  readinessPort?: number;
}

export function containerSpec(o: ContainerOptions = {}): Record<string, unknown> {
  return {
    name: o.name ?? 'app',
    image: o.image ?? 'registry.local/app:1.0.0',
    resources: { limits: { ...(o.memoryLimit ? { memory: o.memoryLimit } : {}), ...(o.cpuLimit ? { cpu: o.cpuLimit } : {}) } },
    ...(o.ports ? { ports: o.ports.map((p) => ({ containerPort: p })) } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.livenessPort ? { livenessProbe: { httpGet: { path: '/healthz', port: o.livenessPort } } } : {}),
    ...(o.readinessPort ? { readinessProbe: { httpGet: { path: '/ready', port: o.readinessPort } } } : {}),
  };
}

export function node(name: string, ready: 'True' | 'False' | 'Unknown' = 'True', extra: { memoryPressure?: boolean; diskPressure?: boolean; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('Node', name, undefined, { labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } }),
    spec: {},
    status: {
      allocatable: { cpu: '4', memory: '16Gi' },
      conditions: [
        { type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown', message: ready === 'True' ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.', lastTransitionTime: iso(2 * MIN) },
        { type: 'MemoryPressure', status: extra.memoryPressure ? 'True' : 'False', lastTransitionTime: iso(3 * MIN) },
        { type: 'DiskPressure', status: extra.diskPressure ? 'True' : 'False', lastTransitionTime: iso(3 * MIN) },
      ],
    },
  };
}

/** A Deployment with its ReplicaSet, returned together; pods name the ReplicaSet as owner. */
export function deployment(namespace: string, name: string, o: { replicas?: number; ready?: number; labels?: Record<string, string>; container?: ContainerOptions; revision?: number; rsName?: string } = {}): { deployment: KubeObject; replicaSet: KubeObject } {
  const labels = o.labels ?? { app: name };
  const template = { metadata: { labels }, spec: { containers: [containerSpec(o.container)] } };
  const replicas = o.replicas ?? 2;
  const ready = o.ready ?? replicas;
  const rsName = o.rsName ?? `${name}-6d5f8c7b9a`;
  const d: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('Deployment', name, namespace, { annotations: { 'deployment.kubernetes.io/revision': String(o.revision ?? 1) } }), spec: { replicas, selector: { matchLabels: labels }, template }, status: { replicas, readyReplicas: ready, availableReplicas: ready } };
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta('ReplicaSet', rsName, namespace, { annotations: { 'deployment.kubernetes.io/revision': String(o.revision ?? 1) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata.uid, controller: true }] }),
    spec: { replicas, template },
    status: { replicas, readyReplicas: ready },
  };
  return { deployment: d, replicaSet: rs };
}

export function statefulSet(namespace: string, name: string, o: { replicas?: number; ready?: number; labels?: Record<string, string>; container?: ContainerOptions } = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('StatefulSet', name, namespace), spec: { replicas: o.replicas ?? 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [containerSpec(o.container)] } } }, status: { replicas: o.replicas ?? 1, readyReplicas: o.ready ?? o.replicas ?? 1 } };
}

export interface PodOptions {
  owner: KubeObject;
  node?: string;
  labels?: Record<string, string>;
  container?: ContainerOptions;
  phase?: string;
  ready?: boolean;
  /** The container status beyond name/ready: `state`, `lastState`, `restartCount`. */
  status?: Record<string, unknown>;
  conditions?: Record<string, unknown>[];
  deleting?: boolean;
}

export function pod(namespace: string, name: string, o: PodOptions): KubeObject {
  const c = containerSpec(o.container);
  const ready = o.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('Pod', name, namespace, { labels: o.labels ?? {}, ownerReferences: [{ apiVersion: o.owner.apiVersion, kind: o.owner.kind, name: o.owner.metadata.name, uid: o.owner.metadata.uid, controller: true }], ...(o.deleting ? { deletionTimestamp: iso(5 * MIN) } : {}) }),
    spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [c] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: iso(0),
      conditions: o.conditions ?? [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso(MIN) }],
      containerStatuses: [{ name: c['name'], image: c['image'], ready, restartCount: 0, state: { running: { startedAt: iso(0) } }, ...(o.status ?? {}) }],
    },
  };
}

export function service(namespace: string, name: string, selector: Record<string, string>, o: { port?: number; targetPort?: number; clusterIP?: string } = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta('Service', name, namespace), spec: { selector, clusterIP: o.clusterIP ?? '10.96.0.50', ports: [{ port: o.port ?? 80, targetPort: o.targetPort ?? o.port ?? 80 }] } };
}

export function endpoints(namespace: string, name: string, ready: number, notReady = 0): KubeObject {
  const addr = (i: number) => ({ ip: `10.244.0.${i + 10}` });
  const subsets = ready + notReady === 0 ? [] : [{ ...(ready ? { addresses: Array.from({ length: ready }, (_, i) => addr(i)) } : {}), ...(notReady ? { notReadyAddresses: Array.from({ length: notReady }, (_, i) => addr(i + ready)) } : {}), ports: [{ port: 80 }] }];
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('Endpoints', name, namespace), subsets };
}

export function event(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, o: { count?: number; container?: string; firstMs?: number; lastMs?: number } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('Event', `${involved.metadata.name}.${uid}`, involved.metadata.namespace ?? 'default'),
    involvedObject: { kind: involved.kind, name: involved.metadata.name, ...(involved.metadata.namespace ? { namespace: involved.metadata.namespace } : {}), ...(o.container ? { fieldPath: `spec.containers{${o.container}}` } : {}) },
    reason,
    message,
    type,
    count: o.count ?? 1,
    firstTimestamp: iso(o.firstMs ?? MIN),
    lastTimestamp: iso(o.lastMs ?? 9 * MIN),
  };
}

export function log(namespace: string, podName: string, lines: string[], o: { container?: string; previous?: boolean } = {}): ContainerLog {
  return { namespace, pod: podName, container: o.container ?? 'app', previous: o.previous ?? false, lines };
}

export function snapshot(objects: KubeObject[], logs: ContainerLog[] = [], atMs = 10 * MIN): ClusterSnapshot {
  return { clusterId: 'test', at: T0 + atMs, objects, logs, metrics: [] };
}

/** A container that was OOM-killed `restarts` times and now waits in CrashLoopBackOff. */
export function oomStatus(restarts: number, lastFinishedMs = 9 * MIN): Record<string, unknown> {
  return {
    ready: false,
    restartCount: restarts,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
    lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: iso(lastFinishedMs - MIN), finishedAt: iso(lastFinishedMs) } },
  };
}

/** A container that exited with `exitCode` and crash-loops. */
export function crashStatus(restarts: number, exitCode = 1): Record<string, unknown> {
  return {
    ready: false,
    restartCount: restarts,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
    lastState: { terminated: { exitCode, reason: 'Error', startedAt: iso(8 * MIN), finishedAt: iso(8 * MIN + 2000) } },
  };
}
