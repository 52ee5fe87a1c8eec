/**
 * What every workload controller needs to know about pods: are they active, ready, available; which
 * controller owns them; how to stamp a pod out of a template.
 */
import type { KubeObject, OwnerReference } from '../../../core/kube/kube-types.js';
import { controllerOf } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { SimContext } from '../../sim-context.js';
import { parseQuantity } from '../../../core/kube/units.js';
import type { Change } from '../../store/object-store.js';
import { nsKey } from './keyed-controller.js';

/** The alphabet of generated names (no vowels, no confusable digits), as apimachinery's `rand.String`. */
export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
  lastHeartbeatTime?: string;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export function randomSuffix(random: () => number, length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)] ?? 'x';
  return s;
}

export function phaseOf(pod: KubeObject): string {
  return ((pod['status'] as { phase?: string } | undefined)?.phase ?? 'Pending');
}

export function conditionsOf(obj: KubeObject): Condition[] {
  return ((obj['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []);
}

export function findCondition(obj: KubeObject, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

/** Not finished (Succeeded/Failed) and not being deleted: what ReplicaSets and Jobs count. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function isPodReady(pod: KubeObject): boolean {
  return findCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least `minReadySeconds` of simulated time. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const ready = findCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available, or undefined when it already is / is not ready. */
export function msUntilAvailable(pod: KubeObject, minReadySeconds: number, now: number): number | undefined {
  const ready = findCondition(pod, 'Ready');
  if (ready?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  if (!Number.isFinite(since)) return undefined;
  const left = since + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

export function ownerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerOf(obj)?.uid === owner.metadata.uid;
}

/** Pods in `namespace` whose controller is `owner`. */
export function podsOwnedBy(ctx: SimContext, owner: KubeObject): KubeObject[] {
  return ctx.store.list(res('pods'), { namespace: owner.metadata.namespace ?? 'default' }).items.filter((p) => isControlledBy(p, owner));
}

/** `namespace/name` of the controller of kind `kind` of `obj`, if any. */
export function ownerKeyOf(obj: KubeObject | undefined, kind: string): string | undefined {
  if (!obj) return undefined;
  const ref = controllerOf(obj);
  return ref && ref.kind === kind ? `${obj.metadata.namespace ?? ''}/${ref.name}` : undefined;
}

export function containersOf(spec: Record<string, unknown> | undefined, field: 'containers' | 'initContainers' = 'containers'): Container[] {
  return ((spec?.[field] as Container[] | undefined) ?? []);
}

export function podSpec(pod: KubeObject): Record<string, unknown> {
  return (pod['spec'] as Record<string, unknown> | undefined) ?? {};
}

/**
 * A pod's effective request or limit of `resource` (`cpu` in cores, `memory` in bytes): the sum over
 * containers or the largest init container, whichever is more, as the scheduler and quota count it.
 * A limit without a request counts as the request, as the API server defaults it.
 */
export function podResource(spec: Record<string, unknown> | undefined, kind: 'requests' | 'limits', resource: string): number {
  const amount = (c: Container): number => {
    const direct = c.resources?.[kind]?.[resource];
    const fallback = kind === 'requests' ? c.resources?.limits?.[resource] : undefined;
    return parseQuantity(direct ?? fallback) ?? 0;
  };
  const sum = containersOf(spec).reduce((a, c) => a + amount(c), 0);
  const init = Math.max(0, ...containersOf(spec, 'initContainers').map(amount));
  return Math.max(sum, init);
}

/** Whether every container declares `kind.resource` (directly, or a request through its limit). */
export function containersMissing(spec: Record<string, unknown> | undefined, kind: 'requests' | 'limits', resource: string): string[] {
  return [...containersOf(spec), ...containersOf(spec, 'initContainers')]
    .filter((c) => c.resources?.[kind]?.[resource] === undefined && !(kind === 'requests' && c.resources?.limits?.[resource] !== undefined))
    .map((c) => c.name);
}

/** QoS class, as the API server computes it at creation. */
export function qosClass(spec: Record<string, unknown> | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...containersOf(spec), ...containersOf(spec, 'initContainers')];
  const any = all.some((c) => Object.keys(c.resources?.requests ?? {}).length > 0 || Object.keys(c.resources?.limits ?? {}).length > 0);
  if (!any) return 'BestEffort';
  const guaranteed = all.every((c) =>
    ['cpu', 'memory'].every((r) => {
      const limit = c.resources?.limits?.[r];
      const request = c.resources?.requests?.[r] ?? limit;
      return limit !== undefined && parseQuantity(limit) === parseQuantity(request);
    }),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A Pod object from a template, with the defaults the API server would add, `Pending` and unscheduled. */
export function podFromTemplate(
  template: PodTemplate,
  meta: { name: string; namespace: string; owner: KubeObject; labels?: Record<string, string>; annotations?: Record<string, string> },
): KubeObject {
  const spec = structuredClone(template.spec ?? {});
  spec['restartPolicy'] ??= 'Always';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['serviceAccountName'] ??= 'default';
  const labels = { ...(template.metadata?.labels ?? {}), ...(meta.labels ?? {}) };
  const annotations = { ...(template.metadata?.annotations ?? {}), ...(meta.annotations ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [ownerRef(meta.owner)],
    } as KubeObject['metadata'],
    spec,
    status: { phase: 'Pending', qosClass: qosClass(spec) },
  };
}

/** Sets (or replaces) a condition; keeps lastTransitionTime when the status does not change. */
export function setCondition(conditions: Condition[], next: Condition, now: string): Condition[] {
  const i = conditions.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? conditions[i] : undefined;
  const merged: Condition = { ...next, lastTransitionTime: prev && prev.status === next.status ? (prev.lastTransitionTime ?? now) : now };
  const out = conditions.slice();
  if (i >= 0) out[i] = merged;
  else out.push(merged);
  return out;
}

/** Deterministic JSON with sorted keys, for hashing and comparing templates. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as Record<string, unknown>)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** 32-bit FNV-1a. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A template hash the way the deployment controller spells it: FNV-32a of the template (and the
 * collision count), its decimal digits mapped onto the safe alphabet (`7f9b8c6d4f`).
 */
export function templateHash(template: unknown, collisionCount = 0): string {
  const h = fnv32a(stableStringify(template) + (collisionCount ? String(collisionCount) : ''));
  return [...String(h)].map((d) => NAME_ALPHABET[d.charCodeAt(0) % NAME_ALPHABET.length] ?? 'x').join('');
}

/** Reads `spec.replicas`-like integers with a default. */
export function intOr(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : dflt;
}

/** Writes `status` when it differs from the stored one (the store ignores no-op updates anyway). */
export function writeStatus(ctx: SimContext, resource: string, obj: KubeObject, status: Record<string, unknown>): KubeObject | undefined {
  if (stableStringify(obj['status'] ?? {}) === stableStringify(status)) return obj;
  return ctx.store.mutate(res(resource), obj.metadata.namespace, obj.metadata.name, (o) => {
    o['status'] = status;
  }, { subresource: 'status' });
}

/**
 * The keys an owner controller reconciles for a change: the owner itself when it changes, and the
 * controlling owner of a changed dependent (before and after the change).
 */
export function ownerKeysFor(change: Change, ownerKey: string, dependentKey: string, ownerKind: string): string[] {
  if (change.key === ownerKey) return [nsKey(change.object.metadata.namespace, change.object.metadata.name)];
  if (change.key !== dependentKey) return [];
  return [ownerKeyOf(change.object, ownerKind), ownerKeyOf(change.previous, ownerKind)].filter((k): k is string => !!k);
}

/** Every object of a resource, as reconcile keys. */
export function allKeys(ctx: SimContext, resourceKey: string): string[] {
  return ctx.store.list(res(resourceKey)).items.map((o) => nsKey(o.metadata.namespace, o.metadata.name));
}
