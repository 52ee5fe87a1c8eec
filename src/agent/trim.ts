/**
 * What the agent keeps of each watched object. Informer caches hold every pod, node, workload and
 * event of the cluster; on 5,000 pods the full objects (managedFields, annotations, env, volumes,
 * probes) would cost several hundred MB, so each kind is cut down to the fields the classifier, the
 * state-signal rules, the owner-chain lookup and the metrics collector read. The shape stays a
 * standard Kubernetes object, so every consumer reads documented fields.
 */
import type { KubeObject } from '../core/kube/kube-types.js';
import { isRecord } from '../core/kube/read.js';

type Obj = Record<string, unknown>;

function pick(src: unknown, keys: readonly string[]): Obj | undefined {
  if (!isRecord(src)) return undefined;
  const out: Obj = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

const META_KEYS = ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'labels', 'ownerReferences', 'generation'] as const;
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

function meta(o: KubeObject): KubeObject['metadata'] {
  const m = (pick(o.metadata, META_KEYS) ?? {}) as unknown as KubeObject['metadata'];
  const rev = o.metadata.annotations?.[REVISION_ANNOTATION];
  // The rollout revision tells a Deployment's new ReplicaSet from the previous one (BadRollout).
  if (rev !== undefined) m.annotations = { [REVISION_ANNOTATION]: rev };
  return m;
}

function containers(list: unknown): Obj[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((c) => pick(c, ['name', 'image', 'resources', 'restartPolicy']) ?? {});
}

function trimPod(o: KubeObject): KubeObject {
  const spec = isRecord(o['spec']) ? o['spec'] : {};
  const status = isRecord(o['status']) ? o['status'] : {};
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: meta(o),
    spec: { nodeName: spec['nodeName'], containers: containers(spec['containers']), initContainers: containers(spec['initContainers']), priorityClassName: spec['priorityClassName'], overhead: spec['overhead'] },
    status: { ...pick(status, ['phase', 'reason', 'message', 'conditions', 'startTime', 'podIP', 'qosClass']), ...containerStatuses(status, 'containerStatuses'), ...containerStatuses(status, 'initContainerStatuses') },
  };
}

/** Container statuses without the image digest and container id (two 70-character strings per container). */
function containerStatuses(status: Obj, field: string): Obj {
  const list = status[field];
  if (!Array.isArray(list)) return {};
  return { [field]: list.map((c) => pick(c, ['name', 'ready', 'started', 'restartCount', 'state', 'lastState', 'image']) ?? {}) };
}

function trimNode(o: KubeObject): KubeObject {
  const status = isRecord(o['status']) ? o['status'] : {};
  const nodeInfo = pick(status['nodeInfo'], ['kubeletVersion']);
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: meta(o),
    spec: pick(o['spec'], ['unschedulable', 'taints', 'providerID']),
    status: { ...pick(status, ['conditions', 'capacity', 'allocatable']), ...(nodeInfo ? { nodeInfo } : {}) },
  };
}

/** Workloads, PVCs and HPAs: status in full (conditions are the signal), spec without the pod template body. */
function trimWorkload(o: KubeObject): KubeObject {
  const spec = isRecord(o['spec']) ? { ...o['spec'] } : {};
  const template = spec['template'];
  if (isRecord(template)) {
    const tspec = isRecord(template['spec']) ? template['spec'] : {};
    spec['template'] = { metadata: pick(template['metadata'], ['labels']), spec: { containers: containers(tspec['containers']) } };
  }
  delete spec['volumeClaimTemplates'];
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: meta(o), spec, status: o['status'] };
}

/** Services: what the endpoints check reads (selector, type) and what a person reading a signal wants (ports). */
function trimService(o: KubeObject): KubeObject {
  const spec = isRecord(o['spec']) ? o['spec'] : {};
  const ports = Array.isArray(spec['ports']) ? spec['ports'].map((p) => pick(p, ['name', 'port', 'targetPort', 'protocol']) ?? {}) : undefined;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: meta(o), spec: { ...pick(spec, ['selector', 'type', 'clusterIP']), ...(ports ? { ports } : {}) } };
}

const ENDPOINTS_CHANGE_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * Endpoints: only how many addresses are ready and not ready (each address kept as its IP), and when the
 * endpoints controller last changed them. A big Service's addresses, target refs and ports would cost
 * more than everything else the agent reads of it.
 */
function trimEndpoints(o: KubeObject): KubeObject {
  const m = (pick(o.metadata, ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'labels']) ?? {}) as unknown as KubeObject['metadata'];
  const changed = o.metadata.annotations?.[ENDPOINTS_CHANGE_ANNOTATION];
  if (changed !== undefined) m.annotations = { [ENDPOINTS_CHANGE_ANNOTATION]: changed };
  const ips = (list: unknown) => (Array.isArray(list) ? list.map((a) => (isRecord(a) && typeof a['ip'] === 'string' ? { ip: a['ip'] } : {})) : undefined);
  const subsets = Array.isArray(o['subsets'])
    ? o['subsets'].filter(isRecord).map((s) => {
        const addresses = ips(s['addresses']);
        const notReadyAddresses = ips(s['notReadyAddresses']);
        return { ...(addresses ? { addresses } : {}), ...(notReadyAddresses ? { notReadyAddresses } : {}) };
      })
    : undefined;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: m, ...(subsets ? { subsets } : {}) };
}

const MAX_EVENT_MESSAGE = 4096;

function trimEvent(o: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: o.apiVersion, kind: o.kind, metadata: pick(o.metadata, ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']) as unknown as KubeObject['metadata'] };
  for (const k of ['involvedObject', 'reason', 'type', 'count', 'firstTimestamp', 'lastTimestamp', 'eventTime', 'series', 'source', 'reportingComponent', 'reportingController', 'action']) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  const message = o['message'];
  if (typeof message === 'string') out['message'] = message.length > MAX_EVENT_MESSAGE ? message.slice(0, MAX_EVENT_MESSAGE) : message;
  return out;
}

/**
 * What the Event cache keeps once an Event has been converted: enough to tell a count increase (the
 * only update re-reported) from anything else. Events are the most numerous objects in a cluster.
 */
export function slimEvent(o: KubeObject): KubeObject {
  const series = isRecord(o['series']) ? { series: { count: o['series']['count'] } } : {};
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: pick(o.metadata, ['name', 'namespace', 'uid', 'resourceVersion']) as unknown as KubeObject['metadata'], count: o['count'], ...series };
}

/** The cache transform for each watched kind. */
export function trimmerFor(kind: string): (o: KubeObject) => KubeObject {
  switch (kind) {
    case 'Pod':
      return trimPod;
    case 'Node':
      return trimNode;
    case 'Event':
      return trimEvent;
    case 'Service':
      return trimService;
    case 'Endpoints':
      return trimEndpoints;
    default:
      return trimWorkload;
  }
}
