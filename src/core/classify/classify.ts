/**
 * Classifies an event or state-derived reason into severity and category from the reason table
 * (event-reasons.ts). It runs for every watch notification, thousands per second on a busy cluster, so
 * the table is compiled once at load: one Map lookup per call, variant regexes precompiled, and the
 * results are shared frozen objects (no allocation per call).
 */
import type { EventCategory } from '../../contracts/agent-messages.js';
import { SEVERITIES, type Severity } from '../../contracts/common.js';
import { EVENT_REASONS, type ReasonEntry } from './event-reasons.js';

export interface ReasonInput {
  reason: string;
  /** `Normal`, `Warning` (Kubernetes Events) or `state_change` (state-derived signals). */
  type?: string;
  /** The involved object's kind. */
  kind?: string;
  message?: string;
}

/** Shared and frozen: copy it to change it. */
export interface Classification {
  readonly severity: Severity;
  readonly category: EventCategory;
  /** False when the reason is not in the table and the fallback decided. */
  readonly known: boolean;
  /** The component the table attributes the reason to; `unknown` for the fallback. */
  readonly source: string;
}

interface CompiledVariant {
  readonly kinds: ReadonlySet<string> | undefined;
  readonly message: RegExp | undefined;
  readonly result: Classification;
}

interface CompiledEntry {
  readonly result: Classification;
  readonly variants: readonly CompiledVariant[];
}

function result(severity: Severity, category: EventCategory, known: boolean, source: string): Classification {
  return Object.freeze({ severity, category, known, source });
}

function compile(entry: ReasonEntry): CompiledEntry {
  return {
    result: result(entry.severity, entry.category, true, entry.source),
    variants: (entry.variants ?? []).map((v) => ({
      kinds: v.kinds ? new Set(v.kinds) : undefined,
      // No `g` flag: a global regex keeps lastIndex between test() calls and would skip matches.
      message: v.message === undefined ? undefined : new RegExp(v.message, 'i'),
      result: result(v.severity ?? entry.severity, v.category ?? entry.category, true, v.source ?? entry.source),
    })),
  };
}

const TABLE = new Map<string, CompiledEntry>();
const TABLE_FOLDED = new Map<string, CompiledEntry>();
for (const entry of EVENT_REASONS) {
  const compiled = compile(entry);
  TABLE.set(entry.reason, compiled);
  TABLE_FOLDED.set(entry.reason.toLowerCase(), compiled);
}

/**
 * The category an unknown reason gets from its object's kind. Workload controllers mostly report
 * problems creating or removing replicas, hence `scaling`; anything else (custom resources, namespaces,
 * quotas) is most often a configuration problem, hence `config`.
 */
export const FALLBACK_CATEGORY_BY_KIND: Readonly<Record<string, EventCategory>> = Object.freeze({
  Pod: 'pod_failure',
  Node: 'node',
  PersistentVolumeClaim: 'storage',
  PersistentVolume: 'storage',
  StorageClass: 'storage',
  VolumeAttachment: 'storage',
  CSIDriver: 'storage',
  CSINode: 'storage',
  HorizontalPodAutoscaler: 'scaling',
  Deployment: 'scaling',
  ReplicaSet: 'scaling',
  StatefulSet: 'scaling',
  DaemonSet: 'scaling',
  ReplicationController: 'scaling',
  Job: 'job',
  CronJob: 'job',
  Service: 'network',
  Endpoints: 'network',
  EndpointSlice: 'network',
  Ingress: 'network',
  IngressClass: 'network',
  NetworkPolicy: 'network',
  Gateway: 'network',
  HTTPRoute: 'network',
});
export const FALLBACK_CATEGORY: EventCategory = 'config';

// Precomputed fallback results per kind and severity, so unknown reasons do not allocate either.
const FALLBACK = new Map<string, { readonly warning: Classification; readonly other: Classification }>();
for (const [kind, category] of Object.entries(FALLBACK_CATEGORY_BY_KIND)) {
  FALLBACK.set(kind, { warning: result('medium', category, false, 'unknown'), other: result('low', category, false, 'unknown') });
}
const FALLBACK_ANY = { warning: result('medium', FALLBACK_CATEGORY, false, 'unknown'), other: result('low', FALLBACK_CATEGORY, false, 'unknown') };

/**
 * Severity and category of a reason. Known reasons are decided by the table alone (never by the event
 * type: the kubelet records NodeNotReady as Normal); variants refine by involved kind and message.
 * Unknown reasons: `Warning` → medium, anything else → low; category from the kind. Never throws.
 */
export function classify(input: ReasonInput): Classification {
  const reason = typeof input?.reason === 'string' ? input.reason : '';
  const entry = TABLE.get(reason) ?? TABLE_FOLDED.get(reason.toLowerCase());
  if (entry !== undefined) {
    for (const v of entry.variants) {
      if (v.kinds !== undefined && (typeof input.kind !== 'string' || !v.kinds.has(input.kind))) continue;
      if (v.message !== undefined && (typeof input.message !== 'string' || !v.message.test(input.message))) continue;
      return v.result;
    }
    return entry.result;
  }
  const fallback = (typeof input?.kind === 'string' ? FALLBACK.get(input.kind) : undefined) ?? FALLBACK_ANY;
  return input?.type === 'Warning' || input?.type === 'warning' ? fallback.warning : fallback.other;
}

const RANK: Readonly<Record<Severity, number>> = Object.freeze({ low: 0, medium: 1, high: 2, critical: 3 });

/** True when `s` is `min` or more severe (for `min_severity` filters). An unknown value ranks lowest. */
export function severityAtLeast(s: Severity, min: Severity): boolean {
  return (RANK[s] ?? -1) >= (RANK[min] ?? 0);
}

/** Every entry of the table, in table order (for docs and tests). */
export function listReasons(): readonly ReasonEntry[] {
  return EVENT_REASONS;
}

/** Whether the table has the reason (exact spelling). */
export function isKnownReason(reason: string): boolean {
  return TABLE.has(reason);
}

/** Severities from least to most severe. */
export const SEVERITY_ORDER: readonly Severity[] = [...SEVERITIES].sort((a, b) => RANK[a] - RANK[b]);
