/**
 * `ServiceHasNoEndpoints`: a Service that selects pods but has had no ready endpoint for longer than a
 * grace period. Nothing in Kubernetes reports it (no Event, no condition): clients just see connection
 * refused. It is derived from two objects, the Service (selector, type) and its Endpoints (ready
 * addresses), plus the workloads whose pod template the selector matches, so the control plane can
 * tell "backed by Deployment cache/redis, scaled to 0" from "selects nothing" (a selector typo).
 *
 * Pure: the agent's ServiceEndpointsMonitor keeps the per-Service state and the caches; these
 * functions read objects and never throw, whatever the objects hold.
 */
import type { KubeObject } from '../kube/kube-types.js';
import { asRecord, isRecord, list, num, text } from '../kube/read.js';
import { stateSignalOf, type StateSignal } from './state-signals.js';

export const SERVICE_NO_ENDPOINTS = 'ServiceHasNoEndpoints';
/** The Endpoints annotation the endpoints controller sets to the time of the change it last applied. */
export const ENDPOINTS_CHANGE_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
/** The workload kinds whose pod templates a Service selector is matched against. */
export const BACKEND_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
/** At most this many backends are listed in a signal. */
export const MAX_BACKENDS = 20;

const MAX_LABEL = 317; // a qualified key (253 prefix + '/' + 63 name) is the longest legal label key

export interface ServiceBackend {
  kind: string;
  namespace: string;
  name: string;
  /** Desired replicas: spec.replicas (Deployment, StatefulSet; 1 when unset) or status.desiredNumberScheduled (DaemonSet). */
  replicas: number;
}

/**
 * The selector of a Service whose endpoints Kubernetes manages: a non-empty `spec.selector` of string
 * values, and a type other than ExternalName. Undefined for every other Service (selector-less Services
 * have hand-made endpoints; an ExternalName Service has none by design).
 */
export function managedSelector(service: KubeObject | undefined): Record<string, string> | undefined {
  const spec = asRecord(service?.['spec']);
  if (!spec || spec['type'] === 'ExternalName') return undefined;
  const selector = asRecord(spec['selector']);
  if (!selector) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(selector)) {
    if (typeof v !== 'string' || k.length === 0 || k.length > MAX_LABEL || v.length > 63) return undefined;
    out[k] = v;
    n++;
  }
  return n > 0 ? out : undefined;
}

/** Ready and not-ready addresses of an Endpoints object, summed over its subsets; zeros when unreadable. */
export function endpointCounts(endpoints: KubeObject | undefined): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const subset of list(endpoints?.['subsets'])) {
    if (!isRecord(subset)) continue;
    ready += list(subset['addresses']).length;
    notReady += list(subset['notReadyAddresses']).length;
  }
  return { ready, notReady };
}

/** When the endpoints controller last changed the object (its annotation), epoch ms; undefined when absent or unreadable. */
export function endpointsChangedAt(endpoints: KubeObject | undefined): number | undefined {
  const v = text(asRecord(asRecord(endpoints?.metadata)?.['annotations'])?.[ENDPOINTS_CHANGE_ANNOTATION]);
  const ms = v !== undefined && v.length <= 64 ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether every key of `selector` is in `labels` with the same value (a Service selector's equality semantics). */
export function selectorMatches(selector: Readonly<Record<string, string>>, labels: unknown): boolean {
  const l = asRecord(labels);
  if (!l) return false;
  for (const [k, v] of Object.entries(selector)) if (l[k] !== v) return false;
  return true;
}

/** The workload's desired replicas, as listed in `backends`. */
function desiredReplicas(kind: string, w: KubeObject): number {
  if (kind === 'DaemonSet') return Math.max(0, num(asRecord(w['status'])?.['desiredNumberScheduled']) ?? 0);
  const r = asRecord(w['spec'])?.['replicas'];
  return r === undefined ? 1 : Math.max(0, num(r) ?? 0);
}

/**
 * The workloads of `namespace` whose pod template labels the selector matches, sorted by kind and name,
 * at most MAX_BACKENDS. Objects of other namespaces or kinds, and unreadable ones, are skipped.
 */
export function serviceBackends(selector: Readonly<Record<string, string>>, namespace: string, workloads: Iterable<KubeObject>): ServiceBackend[] {
  const out: ServiceBackend[] = [];
  for (const w of workloads) {
    const meta = asRecord(w?.metadata);
    const kind = text(w?.kind);
    const name = text(meta?.['name']);
    if (kind === undefined || name === undefined || !BACKEND_KINDS.includes(kind) || meta?.['namespace'] !== namespace) continue;
    const template = asRecord(asRecord(w['spec'])?.['template']);
    if (!selectorMatches(selector, asRecord(template?.['metadata'])?.['labels'])) continue;
    out.push({ kind, namespace, name, replicas: desiredReplicas(kind, w) });
  }
  out.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1));
  return out.slice(0, MAX_BACKENDS);
}

/** `app=redis,tier=cache`, as kubectl prints a selector. */
export function selectorText(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m}m${s % 60 ? `${s % 60}s` : ''}` : `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}

function backendText(backends: readonly ServiceBackend[]): string {
  if (backends.length === 0) return 'the selector matches no Deployment, StatefulSet or DaemonSet pod template in the namespace';
  return `backed by ${backends.map((b) => `${b.kind} ${b.namespace}/${b.name} (${b.replicas} desired ${b.replicas === 1 ? 'replica' : 'replicas'})`).join(', ')}`;
}

export interface NoEndpointsInput {
  service: KubeObject;
  selector: Readonly<Record<string, string>>;
  backends: readonly ServiceBackend[];
  /** Not-ready addresses the Endpoints hold (selected pods that run but fail readiness). */
  notReady: number;
  /** Since when (epoch ms) the Service has had no ready endpoint, as far as the agent can tell. */
  sinceMs: number;
  nowMs: number;
  /** Stable id of this episode (the `since` the agent fixed when it began), for the signal's key. */
  episode: string;
}

/** The `ServiceHasNoEndpoints` signal for a Service; undefined when the Service has no usable name. */
export function serviceNoEndpointsSignal(input: NoEndpointsInput): StateSignal | undefined {
  const { service, selector, backends, notReady } = input;
  const meta = asRecord(service?.metadata);
  const ns = text(meta?.['namespace']) ?? '';
  const name = text(meta?.['name']) ?? '';
  const nowIso = new Date(input.nowMs).toISOString();
  const waiting = notReady > 0 ? `; ${notReady} selected ${notReady === 1 ? 'pod is' : 'pods are'} not ready` : '';
  const message = `service ${ns}/${name} has had no ready endpoints for ${durationText(input.nowMs - input.sinceMs)} (selector ${selectorText(selector)}); ${backendText(backends)}${waiting}`;
  return stateSignalOf('Service', service, SERVICE_NO_ENDPOINTS, message, nowIso, {
    keyParts: [input.episode],
    details: {
      selector: { ...selector },
      backends: backends.map((b) => ({ ...b })),
      ready_endpoints: 0,
      not_ready_endpoints: notReady,
      no_endpoints_since: new Date(input.sinceMs).toISOString(),
    },
  });
}
