/**
 * The Kubernetes API as the agent sees it: a port (interface) in core, implemented over HTTP by
 * `src/adapters/kube` (against a real API server or the simulator, which speak the same protocol).
 * Services depend on this interface only, so they stay testable and the adapter stays replaceable.
 */
import type { KubeObject } from './kube-types.js';

/** One API resource (collection) the agent reads or writes. */
export interface KubeResource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural as in URLs: `pods`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

function res(group: string, version: string, plural: string, kind: string, namespaced: boolean): KubeResource {
  return Object.freeze({ group, version, plural, kind, namespaced });
}

/** Every resource the agent knows, by a short key. */
export const KUBE_RESOURCES = Object.freeze({
  events: res('', 'v1', 'events', 'Event', true),
  pods: res('', 'v1', 'pods', 'Pod', true),
  nodes: res('', 'v1', 'nodes', 'Node', false),
  namespaces: res('', 'v1', 'namespaces', 'Namespace', false),
  services: res('', 'v1', 'services', 'Service', true),
  endpoints: res('', 'v1', 'endpoints', 'Endpoints', true),
  configmaps: res('', 'v1', 'configmaps', 'ConfigMap', true),
  persistentvolumeclaims: res('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
  persistentvolumes: res('', 'v1', 'persistentvolumes', 'PersistentVolume', false),
  resourcequotas: res('', 'v1', 'resourcequotas', 'ResourceQuota', true),
  deployments: res('apps', 'v1', 'deployments', 'Deployment', true),
  replicasets: res('apps', 'v1', 'replicasets', 'ReplicaSet', true),
  statefulsets: res('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  daemonsets: res('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  controllerrevisions: res('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  jobs: res('batch', 'v1', 'jobs', 'Job', true),
  cronjobs: res('batch', 'v1', 'cronjobs', 'CronJob', true),
  horizontalpodautoscalers: res('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true),
  networkpolicies: res('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true),
  storageclasses: res('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
  podmetrics: res('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', true),
  nodemetrics: res('metrics.k8s.io', 'v1beta1', 'nodes', 'NodeMetrics', false),
});
export type KubeResourceKey = keyof typeof KUBE_RESOURCES;

/** The resource of a kind (`Pod`, `Deployment`), or undefined. */
export function resourceForKind(kind: string): KubeResource | undefined {
  return Object.values(KUBE_RESOURCES).find((r) => r.kind === kind && r.group !== 'metrics.k8s.io');
}

/** `apps/v1` or `v1`. */
export function apiVersionOfResource(r: KubeResource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export interface ListOptions {
  /** Omit for cluster-scoped resources or to list across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the adapter follows `continue` itself unless `continue` is given. */
  limit?: number;
  continue?: string;
  /** `0` reads from the server's cache. */
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  /** The list's resourceVersion: where a watch resumes. */
  resourceVersion: string;
  items: T[];
  /** Set when the server has more pages (only when the caller paged with `continue`). */
  continue?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Where to resume (the list's or the last seen resourceVersion). */
  resourceVersion: string;
  /** Ask for BOOKMARK events (default true). */
  allowWatchBookmarks?: boolean;
  /** Server closes the watch after this long (the informer then re-watches). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface LogOptions {
  container?: string;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  limitBytes?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export type PatchType = 'merge' | 'strategic' | 'json';

/** A server-rendered table (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), what kubectl prints. */
export interface KubeTable {
  columnDefinitions: { name: string; type: string; priority?: number }[];
  rows: { cells: unknown[]; object?: unknown }[];
}

export interface KubeApi {
  /**
   * Lists a collection, following `continue` pages unless the caller passes `continue` itself.
   * @throws KubeApiError with the HTTP status and the server's Status reason.
   */
  list<T extends KubeObject = KubeObject>(resource: KubeResource, options?: ListOptions): Promise<KubeList<T>>;
  /** @throws KubeApiError (404 NotFound when the object does not exist). */
  get<T extends KubeObject = KubeObject>(resource: KubeResource, name: string, namespace?: string, signal?: AbortSignal): Promise<T>;
  /** The server-rendered table of a list or one object. @throws KubeApiError. */
  table(resource: KubeResource, options?: ListOptions & { name?: string }): Promise<KubeTable>;
  /**
   * Streams watch events to `onEvent` until the server ends the watch (resolves), the signal aborts
   * (resolves), or an error occurs.
   * @throws KubeApiError with status 410 (Expired/Gone) when `resourceVersion` is too old, whether the
   *   server answered 410 or sent an ERROR event with code 410.
   * @throws KubeApiError / UnavailableError on other failures.
   */
  watch<T extends KubeObject = KubeObject>(resource: KubeResource, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<void>;
  /** Container logs as text. @throws KubeApiError. */
  logs(namespace: string, pod: string, options?: LogOptions): Promise<string>;
  /** @throws KubeApiError. */
  patch<T extends KubeObject = KubeObject>(resource: KubeResource, name: string, namespace: string | undefined, patch: unknown, type: PatchType, signal?: AbortSignal): Promise<T>;
  /** Deletes an object (pods: with the default grace period). @throws KubeApiError. */
  delete(resource: KubeResource, name: string, namespace?: string, signal?: AbortSignal): Promise<void>;
  /** `POST` a subresource such as `pods/{name}/eviction`. @throws KubeApiError. */
  createSubresource(resource: KubeResource, name: string, namespace: string | undefined, subresource: string, body: unknown, signal?: AbortSignal): Promise<unknown>;
  /** `/version` gitVersion, e.g. `v1.30.2`. @throws KubeApiError / UnavailableError. */
  serverVersion(signal?: AbortSignal): Promise<string>;
}
