/**
 * Every resource the simulator serves, with what discovery needs (kind, verbs, short names,
 * subresources). The store keys objects by `group/resource`; the API layer maps URLs onto these.
 */
import type { ResourceInfo } from './store/object-store.js';

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, as in URLs: `pods`. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  subresources?: string[];
  /** Served read-only (metrics.k8s.io). */
  readOnly?: boolean;
}

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];

function r(group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return { group, version, resource, singular: kind.toLowerCase(), kind, namespaced, verbs: ALL, ...extra };
}

export const RESOURCES: readonly ResourceType[] = [
  r('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  r('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
  r('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'eviction', 'binding'] }),
  r('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  r('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
  r('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'] }),
  r('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], subresources: ['status'] }),
  r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'], subresources: ['status'] }),
  r('', 'v1', 'resourcequotas', 'ResourceQuota', true, { shortNames: ['quota'], subresources: ['status'] }),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  r('events.k8s.io', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  r('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
  r('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  r('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'], subresources: ['status'] }),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], categories: ['all'], subresources: ['status'] }),
  r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, { shortNames: ['hpa'], categories: ['all'], subresources: ['status'] }),
  r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  r('metrics.k8s.io', 'v1beta1', 'nodes', 'NodeMetrics', false, { verbs: READ, readOnly: true }),
  r('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', true, { verbs: READ, readOnly: true }),
];

/** `apps/v1` or `v1`. */
export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** The store key: `deployments.apps`, `pods`. Version-independent. */
export function storeKey(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The resource for an object's `apiVersion` and `kind`. */
export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

/** Groups in discovery order, each with its versions. */
export function apiGroups(): { name: string; versions: string[] }[] {
  const groups = new Map<string, Set<string>>();
  for (const t of RESOURCES) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? new Set<string>();
    versions.add(t.version);
    groups.set(t.group, versions);
  }
  return [...groups].map(([name, versions]) => ({ name, versions: [...versions] }));
}

/** What the store needs to know about a resource. */
export function infoFor(t: ResourceType): ResourceInfo {
  return { key: storeKey(t), kind: t.kind, group: t.group, namespaced: t.namespaced, hasStatus: (t.subresources ?? []).includes('status') };
}

const BY_KEY = new Map(RESOURCES.filter((t) => t.group !== 'events.k8s.io' && t.group !== 'metrics.k8s.io').map((t) => [storeKey(t), infoFor(t)]));

/**
 * Store info by key, for controllers: `res('pods')`, `res('deployments.apps')`.
 * @throws RangeError for an unknown key (a bug).
 */
export function res(key: string): ResourceInfo {
  const info = BY_KEY.get(key);
  if (!info) throw new RangeError(`unknown resource ${key}`);
  return info;
}
