/**
 * Which state-derived signals describe a condition that can persist (a node still NotReady, an HPA
 * still pinned at its maximum, a container still unable to pull its image), and whether it still holds
 * on the current version of the object. The agent re-emits such a signal while it holds, so the control
 * plane reads a re-emission as "still firing" and silence as "possibly recovered".
 *
 * One-off signals (a container terminated, restarted or was OOM-killed; a pod failed or was evicted; a
 * Job failed; a node was cordoned or became Ready) are facts about a moment and are never re-emitted.
 * Signals derived from more than one object or from metrics (ServiceHasNoEndpoints, CPUThrottlingHigh,
 * MemoryNearLimit) are persistent too, but whether they hold is known to their own monitors, not here.
 */
import type { KubeObject } from '../kube/kube-types.js';
import { asRecord, num, text } from '../kube/read.js';
import { deriveStateSignals, type StateSignal } from './state-signals.js';

/** Signals that record a moment, not a condition. */
export const ONE_OFF_REASONS: ReadonlySet<string> = new Set([
  'OOMKilled',
  'ContainerTerminated',
  'ContainerRestarted',
  'PodFailed',
  'Evicted',
  'JobFailed',
  'NodeReady',
  'NodeNotSchedulable',
]);

/** Pod signals with a container that are not a container waiting reason. */
const POD_CONTAINER_REASONS: ReadonlySet<string> = new Set(['OOMKilled', 'ContainerTerminated', 'ContainerRestarted', 'CPUThrottlingHigh', 'MemoryNearLimit', 'MemoryGrowthTowardsLimit']);

/** Whether the signal describes a condition that may persist (and is re-emitted while it does). */
export function isPersistentSignal(sig: StateSignal): boolean {
  return !ONE_OFF_REASONS.has(sig.reason);
}

/**
 * What a re-emission is about: object, condition and container, without the transition that opened it.
 * A container's waiting reasons form one condition (ErrImagePull and ImagePullBackOff alternate while
 * an image cannot be pulled).
 */
export function conditionIdOf(sig: StateSignal): string {
  const o = sig.object;
  const who = o.uid || `${o.kind}/${o.namespace ?? ''}/${o.name}`;
  const what = o.kind === 'Pod' && sig.container !== undefined && !POD_CONTAINER_REASONS.has(sig.reason) ? 'waiting' : sig.reason;
  return `${who}\0${what}\0${sig.container ?? ''}`;
}

/**
 * The persistent conditions the object shows now, as signals (message and key of the condition as it
 * stands): what a first sight of the object reports, plus the conditions only a transition reports
 * (StatefulSet or DaemonSet replicas missing, a claim Pending again). Never throws.
 */
export function currentConditions(kind: string, obj: KubeObject, now: string): StateSignal[] {
  const out = deriveStateSignals(kind, undefined, obj, now).filter(isPersistentSignal);
  const o = asRecord(obj);
  const status = asRecord(o?.['status']);
  const meta = asRecord(o?.['metadata']);
  const name = text(meta?.['name']);
  if (name === undefined) return out;
  const make = (reason: string, message: string): void => {
    const namespace = text(meta?.['namespace']);
    const uid = text(meta?.['uid']) ?? '';
    const apiVersion = text(o?.['apiVersion']);
    out.push({
      reason,
      message,
      object: { kind, name, ...(namespace !== undefined ? { namespace } : {}), uid, ...(apiVersion !== undefined ? { apiVersion } : {}) },
      timestamp: now,
      key: `${uid || `${kind}/${namespace ?? ''}/${name}`}/${reason}/current`,
    });
  };
  if (kind === 'StatefulSet') {
    const desired = num(asRecord(o?.['spec'])?.['replicas']) ?? 1;
    const ready = num(status?.['readyReplicas']) ?? 0;
    if (ready < desired) make('StatefulSetReplicasUnavailable', `statefulset ${name} has ${ready} of ${desired} replicas ready`);
  } else if (kind === 'DaemonSet') {
    const unavailable = num(status?.['numberUnavailable']) ?? 0;
    if (unavailable > 0) make('DaemonSetPodsUnavailable', `daemonset ${name} has ${unavailable} of ${num(status?.['desiredNumberScheduled']) ?? 0} scheduled pods unavailable`);
  } else if (kind === 'PersistentVolumeClaim') {
    if (text(status?.['phase']) === 'Pending') make('ClaimPending', `claim ${name} is Pending`);
  }
  return out;
}

/**
 * The signal to re-emit for `tracked` when its condition still holds on `obj` (the same object: same
 * uid), else undefined. The returned signal describes the condition as it stands now.
 */
export function stillHolds(tracked: StateSignal, obj: KubeObject | undefined, now: string): StateSignal | undefined {
  if (!obj) return undefined;
  const uid = text(asRecord(asRecord(obj)?.['metadata'])?.['uid']) ?? '';
  if (tracked.object.uid && uid !== tracked.object.uid) return undefined;
  const id = conditionIdOf(tracked);
  return currentConditions(tracked.object.kind, obj, now).find((s) => conditionIdOf(s) === id);
}
