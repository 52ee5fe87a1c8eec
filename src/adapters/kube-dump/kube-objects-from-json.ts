/**
 * Turns what kubectl wrote — a typed List (`PodList`) from `cluster-info dump`, a `List` from
 * `kubectl get a,b -o json`, or one object from `kubectl get pod x -o json` — into the objects as the
 * API serves them. Items of a typed List usually come without `kind` and `apiVersion` (the typed client
 * strips them and kubectl only sets them on the List), so they are taken from the List.
 */
import { isRecord, list, text, type JsonRecord } from '../../core/kube/read.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import { DumpInputError } from './dump-input-error.js';

export interface KubeObjectsFromJson {
  objects: KubeObject[];
  /** Items that were skipped, each naming the file and the item. */
  warnings: string[];
}

/** Where the value came from, for messages; `namespace` fills items that lack one (a dump's namespace directory). */
export interface JsonSource {
  file: string;
  namespace?: string;
}

/** apiVersion of kinds whose items may arrive without one (a `List` of mixed kinds always gives it). */
const API_VERSION_OF_KIND: Readonly<Record<string, string>> = {
  Pod: 'v1',
  Node: 'v1',
  Namespace: 'v1',
  Event: 'v1',
  Service: 'v1',
  Endpoints: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  PersistentVolumeClaim: 'v1',
  PersistentVolume: 'v1',
  ReplicationController: 'v1',
  ResourceQuota: 'v1',
  LimitRange: 'v1',
  ServiceAccount: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ControllerRevision: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  StorageClass: 'storage.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Ingress: 'networking.k8s.io/v1',
  PodDisruptionBudget: 'policy/v1',
};

/** Kinds without a namespace: a dump's namespace directory must not give them one. */
const CLUSTER_SCOPED = new Set(['Node', 'Namespace', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'IngressClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'APIService']);

/**
 * The Kubernetes objects in one parsed JSON value.
 * @throws DumpInputError when the value is not a Kubernetes object or list at all (a Status, a Table,
 *   a JSON value of another shape); single bad items only become warnings.
 */
export function kubeObjectsFromJson(value: unknown, source: JsonSource): KubeObjectsFromJson {
  const out: KubeObjectsFromJson = { objects: [], warnings: [] };
  if (Array.isArray(value)) {
    value.forEach((item, i) => addItem(out, item, `${source.file}: [${i}]`, undefined, undefined, source.namespace));
    return out;
  }
  if (!isRecord(value)) {
    throw new DumpInputError(`${source.file}: not a Kubernetes object or list: the JSON is ${describe(value)}`, [{ path: source.file, message: `not a Kubernetes object or list: the JSON is ${describe(value)}` }]);
  }
  const kind = text(value['kind']);
  if (kind === 'Status') {
    const message = `a Kubernetes Status (an error answer of the API server), not an object: ${text(value['message']) ?? text(value['reason']) ?? 'no message'}`;
    throw new DumpInputError(`${source.file}: ${message}`, [{ path: source.file, message }]);
  }
  if (kind === 'Table') {
    const message = 'a server-side Table (columns for printing), not objects: write it with `kubectl get ... -o json`';
    throw new DumpInputError(`${source.file}: ${message}`, [{ path: source.file, message }]);
  }
  if (Array.isArray(value['items']) && (kind === undefined || kind.endsWith('List'))) {
    const itemKind = kind && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
    const apiVersion = kind && kind !== 'List' ? text(value['apiVersion']) : undefined;
    list(value['items']).forEach((item, i) => addItem(out, item, `${source.file}: items[${i}]`, itemKind, apiVersion, source.namespace));
    return out;
  }
  if (kind !== undefined && isRecord(value['metadata'])) {
    addItem(out, value, source.file, undefined, undefined, source.namespace);
    return out;
  }
  const keys = Object.keys(value).slice(0, 8).join(', ') || 'none';
  const message = `not a Kubernetes object or list: expected "kind" and "metadata", or an "items" list (found keys: ${keys})`;
  throw new DumpInputError(`${source.file}: ${message}`, [{ path: source.file, message }]);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function addItem(out: KubeObjectsFromJson, item: unknown, where: string, listKind: string | undefined, listApiVersion: string | undefined, namespace: string | undefined): void {
  if (!isRecord(item)) {
    out.warnings.push(`${where}: not an object (${describe(item)}); skipped`);
    return;
  }
  const metadata = item['metadata'];
  if (!isRecord(metadata) || text(metadata['name']) === undefined) {
    out.warnings.push(`${where}: no metadata.name; skipped`);
    return;
  }
  const kind = text(item['kind']) ?? listKind;
  if (kind === undefined) {
    out.warnings.push(`${where} (${String(metadata['name'])}): no kind, and the list does not say one; skipped`);
    return;
  }
  const apiVersion = text(item['apiVersion']) ?? listApiVersion ?? API_VERSION_OF_KIND[kind] ?? '';
  const meta: JsonRecord = { ...metadata };
  // The ObjectMeta strings every reader may rely on; a hand-written file can leave them out.
  for (const key of ['uid', 'resourceVersion', 'creationTimestamp']) if (typeof meta[key] !== 'string') meta[key] = '';
  if (namespace !== undefined && text(meta['namespace']) === undefined && !CLUSTER_SCOPED.has(kind)) meta['namespace'] = namespace;
  let obj = { ...item, apiVersion, kind, metadata: meta } as unknown as KubeObject;
  if (kind === 'Event' && apiVersion === 'events.k8s.io/v1') obj = eventsV1ToCore(obj);
  if (kind === 'Secret') obj = withoutSecretValues(obj);
  out.objects.push(obj);
}

/**
 * Secret values never enter a snapshot: the analysis needs only that a Secret and its keys exist, and
 * a snapshot may be shown to people or sent to a language model.
 */
function withoutSecretValues(secret: KubeObject): KubeObject {
  const { data, stringData: _s, ...rest } = secret;
  const annotations = secret.metadata.annotations;
  const metadata = { ...secret.metadata };
  if (annotations && 'kubectl.kubernetes.io/last-applied-configuration' in annotations) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _l, ...kept } = annotations;
    metadata.annotations = kept;
  }
  const keys = isRecord(data) ? Object.fromEntries(Object.keys(data).map((k) => [k, ''])) : undefined;
  return { ...rest, metadata, ...(keys ? { data: keys } : {}) };
}

/** events.k8s.io/v1 → core/v1, the one Event shape the snapshot carries. */
function eventsV1ToCore(ev: KubeObject): KubeObject {
  const series = isRecord(ev['series']) ? ev['series'] : undefined;
  const controller = text(ev['reportingController']);
  const instance = text(ev['reportingInstance']);
  const entries: [string, unknown][] = [
    ['involvedObject', isRecord(ev['regarding']) ? ev['regarding'] : {}],
    ['eventTime', ev['eventTime'] ?? null],
    ['series', series ? { count: series['count'], lastObservedTime: series['lastObservedTime'] } : undefined],
    ['reportingComponent', controller],
    ['reportingInstance', instance],
    ['action', ev['action']],
    ['reason', ev['reason']],
    ['related', ev['related']],
    ['message', ev['note']],
    ['type', ev['type']],
    ['source', ev['deprecatedSource'] ?? (controller ? { component: controller, ...(instance ? { host: instance } : {}) } : undefined)],
    ['firstTimestamp', ev['deprecatedFirstTimestamp']],
    ['lastTimestamp', ev['deprecatedLastTimestamp'] ?? (series ? series['lastObservedTime'] : undefined)],
    ['count', ev['deprecatedCount'] ?? (series ? series['count'] : undefined)],
  ];
  return { apiVersion: 'v1', kind: 'Event', metadata: ev.metadata, ...Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== '')) };
}
