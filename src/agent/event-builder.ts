/**
 * Turns a Kubernetes Event or a state-derived signal into the architecture's event message, with the
 * involved object's uid and its owner chain (Pod → ReplicaSet → Deployment) resolved from the
 * informer caches, so the control plane correlates without another API call.
 */
import { createHash } from 'node:crypto';
import { SCHEMA_VERSION, type AgentEvent, type ObjectRef } from '../contracts/index.js';
import { classify, type StateSignal } from '../core/classify/index.js';
import type { KubeObject, OwnerReference } from '../core/kube/kube-types.js';
import { num, record, text } from '../core/kube/read.js';

/** Finds a cached object by kind, namespace and name (undefined when the kind is not watched). */
export type ObjectLookup = (kind: string, namespace: string | undefined, name: string) => KubeObject | undefined;

const MAX_MESSAGE = 32_768;
const MAX_OWNERS = 8;

/** RFC 3339 with seconds, as Kubernetes writes it; `fallback` when the text is not a date. */
function ts(v: unknown, fallback: string): string {
  const s = text(v);
  if (!s) return fallback;
  const t = Date.parse(s);
  return Number.isNaN(t) ? fallback : new Date(t).toISOString();
}

/**
 * The controller chain above an object, nearest first: a Pod's ReplicaSet and that ReplicaSet's
 * Deployment; a Job's CronJob. Owners not in a cache still appear (from the ownerReference), the chain
 * just stops there.
 */
export function ownerChain(obj: KubeObject | undefined, lookup: ObjectLookup): ObjectRef[] {
  const out: ObjectRef[] = [];
  const seen = new Set<string>();
  let cur = obj;
  while (cur && out.length < MAX_OWNERS) {
    const refs = Array.isArray(cur.metadata.ownerReferences) ? cur.metadata.ownerReferences : [];
    const owner: OwnerReference | undefined = refs.find((r) => r.controller) ?? refs[0];
    if (!owner || typeof owner.kind !== 'string' || typeof owner.name !== 'string' || !owner.kind || !owner.name) break;
    if (owner.uid && seen.has(owner.uid)) break; // a cycle in broken data must not spin
    if (owner.uid) seen.add(owner.uid);
    const namespace = cur.metadata.namespace;
    out.push({ kind: owner.kind, name: owner.name, ...(namespace ? { namespace } : {}), ...(owner.uid ? { uid: owner.uid } : {}), ...(owner.apiVersion ? { api_version: owner.apiVersion } : {}) });
    cur = lookup(owner.kind, namespace, owner.name);
  }
  return out;
}

/** The node an object runs on: a pod's `spec.nodeName`, a node itself. */
function nodeOf(kind: string, name: string, obj: KubeObject | undefined): string | undefined {
  if (kind === 'Node') return name;
  return text(record(obj?.['spec'])['nodeName']);
}

/** `spec.containers{app}` → `app`. */
function containerFromFieldPath(fieldPath: unknown): string | undefined {
  const m = /^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}$/.exec(text(fieldPath) ?? '');
  return m?.[1];
}

export interface BuildContext {
  clusterId: string;
  lookup: ObjectLookup;
  /** Now, RFC 3339 (injected for tests). */
  now: string;
}

/**
 * The event message for a Kubernetes Event, or undefined when the Event lacks what a message needs
 * (reason, involved object kind and name). The id is `<event uid>-<count>`, so a redelivery or a relist
 * repeats the id (the control plane drops it) while a count increase gets a new one.
 */
export function fromKubeEvent(ev: KubeObject, ctx: BuildContext): AgentEvent | undefined {
  const reason = text(ev['reason']);
  const involved = record(ev['involvedObject']);
  const kind = text(involved['kind']);
  const name = text(involved['name']);
  if (!reason || !kind || !name) return undefined;
  const namespace = text(involved['namespace']) ?? text(ev.metadata.namespace) ?? '';
  const series = record(ev['series']);
  const count = Math.max(1, num(ev['count']) ?? num(series['count']) ?? 1);
  const last = ts(ev['lastTimestamp'] ?? series['lastObservedTime'] ?? ev['eventTime'] ?? ev['firstTimestamp'], ctx.now);
  const first = ts(ev['firstTimestamp'] ?? ev['eventTime'], last);
  const type = text(ev['type']) ?? 'Normal';
  const message = (text(ev['message']) ?? '').slice(0, MAX_MESSAGE);
  const c = classify({ reason, type, kind, message });
  const obj = ctx.lookup(kind, namespace || undefined, name);
  const node = nodeOf(kind, name, obj) ?? (kind === 'Pod' ? undefined : text(record(ev['source'])['host']));
  const container = containerFromFieldPath(involved['fieldPath']);
  const uid = text(involved['uid']) ?? obj?.metadata.uid;
  const source = record(ev['source']);
  const owners = ownerChain(obj, ctx.lookup);
  return {
    schema_version: SCHEMA_VERSION,
    id: `${text(ev.metadata.uid) ?? `${namespace}.${text(ev.metadata.name) ?? name}`}-${count}`.slice(0, 253),
    cluster_id: ctx.clusterId,
    timestamp: last,
    type: 'k8s_event',
    source: (text(source['component']) ?? text(ev['reportingController']) ?? text(ev['reportingComponent']) ?? 'kubernetes').slice(0, 128),
    severity: c.severity,
    reason: reason.slice(0, 128),
    message,
    namespace,
    labels: { kind, name, ...(node ? { node } : {}), event_type: type, ...(container ? { container } : {}) },
    raw_data: { count, first_timestamp: first, last_timestamp: last, event_type: type, ...(text(involved['fieldPath']) ? { field_path: text(involved['fieldPath']) } : {}) },
    category: c.category,
    involved_object: { kind, name, ...(namespace ? { namespace } : {}), ...(uid ? { uid } : {}), ...(text(involved['apiVersion']) ? { api_version: text(involved['apiVersion']) } : {}) },
    ...(owners.length ? { owners } : {}),
  };
}

/**
 * The event message for a signal derived from an object's state (`type: state_change`). `raw` adds to
 * (or overrides) `raw_data`: the log scanner's class, count and window.
 */
export function fromStateSignal(sig: StateSignal, obj: KubeObject | undefined, ctx: BuildContext, raw?: Readonly<Record<string, unknown>>): AgentEvent {
  const c = classify({ reason: sig.reason, type: 'state_change', kind: sig.object.kind, message: sig.message });
  const namespace = sig.object.namespace ?? '';
  const owners = ownerChain(obj, ctx.lookup);
  const node = sig.node ?? nodeOf(sig.object.kind, sig.object.name, obj);
  return {
    schema_version: SCHEMA_VERSION,
    id: `state-${createHash('sha256').update(`${ctx.clusterId}\0${sig.key}`).digest('hex').slice(0, 40)}`,
    cluster_id: ctx.clusterId,
    timestamp: sig.timestamp,
    type: 'state_change',
    source: 'aetherius-agent',
    severity: c.severity,
    reason: sig.reason,
    message: sig.message.slice(0, MAX_MESSAGE),
    namespace,
    labels: { kind: sig.object.kind, name: sig.object.name, ...(node ? { node } : {}), ...(sig.container ? { container: sig.container } : {}) },
    raw_data: { count: 1, first_timestamp: sig.timestamp, last_timestamp: sig.timestamp, key: sig.key, ...raw },
    category: c.category,
    involved_object: { kind: sig.object.kind, name: sig.object.name, ...(namespace ? { namespace } : {}), uid: sig.object.uid, ...(sig.object.apiVersion ? { api_version: sig.object.apiVersion } : {}) },
    ...(owners.length ? { owners } : {}),
  };
}
