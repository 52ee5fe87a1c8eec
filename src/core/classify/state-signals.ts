/**
 * Signals derived from object state transitions. Kubernetes deletes Events after an hour and drops
 * some under load, but an OOMKilled last state, a NotReady condition or a Failed Job stays in the
 * object; comparing an object with its previous version catches what the Events missed.
 *
 * Only transitions produce signals: the same state on an update gives nothing. On first sight (initial
 * list or ADDED) current bad states are reported but growth signals (restarts) are not. Every signal
 * carries a key that is stable across agent restarts and relists, so the control plane drops the
 * re-derived duplicates by id. The rules read standard Kubernetes fields only and never throw, whatever
 * the objects hold.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/kube-types.js';
import { asRecord, condition, isRecord, list, num, scalarText, text } from '../kube/read.js';

export interface StateSignal {
  /** A reason in the table (event-reasons.ts), or a container waiting reason the kubelet reported verbatim. */
  reason: string;
  /** Quotes the exact state, e.g. `container app terminated with reason OOMKilled (exit code 137), restart count 3`. */
  message: string;
  object: { kind: string; name: string; namespace?: string; uid: string; apiVersion?: string };
  /** The pod's spec.nodeName, or the node itself. */
  node?: string;
  container?: string;
  /** When it happened: the transition time from the object (terminated.finishedAt, condition.lastTransitionTime) when present, else `now`. RFC 3339. */
  timestamp: string;
  /** Stable across agent restarts and relists for the same transition, so the control plane drops re-derived duplicates by id. */
  key: string;
  /** Extra `raw_data` fields the message carries (snake_case), e.g. a Service's `selector` and `backends`. */
  details?: Record<string, unknown>;
}

/** The kinds deriveStateSignals has rules for. */
export const STATE_SIGNAL_KINDS: readonly string[] = ['Pod', 'Node', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler'];

/** Container waiting reasons that are part of every normal start, not problems. */
const BENIGN_WAITING = new Set(['ContainerCreating', 'PodInitializing']);
/** A waiting reason is reported verbatim, so it must look like one (and fit the wire's 128 characters). */
const REASON_TOKEN = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_QUOTED = 1024;
const MAX_KEY = 240;

type Obj = Record<string, unknown>;

/** The objects of a list, skipping entries that are not objects. */
function objects(v: unknown): Obj[] {
  return list(v).filter(isRecord);
}

function conditionOf(status: Obj | undefined, type: string): Obj | undefined {
  return condition(status?.['conditions'], type);
}

/** The text, cut to a length a message can quote. */
function quote(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  return s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED)}…` : s;
}

/** A time from the object when it is RFC 3339 (what the wire accepts), else undefined. */
function timeOf(v: unknown): string | undefined {
  const s = text(v);
  return s !== undefined && s.length <= 64 && RFC3339.test(s) && Number.isFinite(Date.parse(s)) ? s : undefined;
}

interface Subject {
  object: StateSignal['object'];
  node: string | undefined;
  /** uid, or kind/namespace/name when the object has none. */
  keyPrefix: string;
  resourceVersion: string;
  now: string;
  out: StateSignal[];
}

function subjectOf(kind: string, after: Obj, now: string): Subject | undefined {
  const meta = asRecord(after['metadata']);
  const name = text(meta?.['name']);
  if (name === undefined || name.length > 253) return undefined;
  const namespace = text(meta?.['namespace']);
  const rawUid = text(meta?.['uid']);
  const uid = rawUid !== undefined && rawUid.length <= 128 ? rawUid : '';
  const apiVersion = text(after['apiVersion']);
  const ns = namespace !== undefined && namespace.length <= 253 ? namespace : undefined;
  const node = kind === 'Node' ? name : text(asRecord(after['spec'])?.['nodeName']);
  return {
    object: { kind, name, ...(ns !== undefined ? { namespace: ns } : {}), uid, ...(apiVersion !== undefined && apiVersion.length <= 128 ? { apiVersion } : {}) },
    node: node !== undefined && node.length <= 253 ? node : undefined,
    keyPrefix: uid || `${kind}/${ns ?? ''}/${name}`,
    resourceVersion: text(meta?.['resourceVersion']) ?? '',
    now,
    out: [],
  };
}

/** `prefix/reason/part/part`, hashed when too long for an id. */
function keyOf(s: Subject, reason: string, parts: readonly string[]): string {
  const key = [s.keyPrefix, reason, ...parts].join('/');
  return key.length <= MAX_KEY ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function emit(s: Subject, reason: string, message: string, when: string | undefined, keyParts: readonly string[], container?: string): void {
  s.out.push({
    reason,
    message,
    object: { ...s.object },
    ...(s.node !== undefined ? { node: s.node } : {}),
    ...(container !== undefined ? { container } : {}),
    timestamp: when ?? s.now,
    key: keyOf(s, reason, container !== undefined ? [container, ...keyParts] : keyParts),
  });
}

export interface SignalOptions {
  /** When it happened (RFC 3339); `now` when absent. */
  when?: string;
  /** Parts that tell this occurrence from another of the same reason on the same object (a transition time). */
  keyParts: readonly string[];
  container?: string;
  details?: Record<string, unknown>;
}

/**
 * A signal about `obj` built the way the rules build theirs (object reference, node, stable key), for
 * signals derived from more than one object or from metrics. Undefined when the object has no usable
 * name. Never throws.
 */
export function stateSignalOf(kind: string, obj: KubeObject, reason: string, message: string, now: string, options: SignalOptions): StateSignal | undefined {
  const current = asRecord(obj);
  if (current === undefined) return undefined;
  const s = subjectOf(kind, current, now);
  if (s === undefined) return undefined;
  emit(s, reason, message, options.when !== undefined ? timeOf(options.when) : undefined, options.keyParts, options.container);
  const sig = s.out[0];
  if (sig && options.details !== undefined) sig.details = options.details;
  return sig;
}

function describeCondition(what: string, type: string, c: Obj): string {
  const status = text(c['status']) ?? 'unknown';
  const reason = text(c['reason']);
  const message = quote(c['message']);
  return `${what} condition ${type} is ${status}${reason !== undefined ? ` (${reason})` : ''}${message !== undefined ? `: ${message}` : ''}`;
}

// ---- pods --------------------------------------------------------------------------------------

interface Termination {
  reason: string | undefined;
  exitCode: number | undefined;
  finishedAt: string | undefined;
  containerID: string | undefined;
  message: string | undefined;
  /** Same termination, wherever it sits (state or lastState). */
  identity: string;
}

function terminationOf(v: unknown): Termination | undefined {
  const t = asRecord(v);
  if (!t) return undefined;
  const reason = text(t['reason']);
  const exitCode = num(t['exitCode']);
  const finishedAt = text(t['finishedAt']);
  const containerID = text(t['containerID']);
  return {
    reason,
    exitCode,
    finishedAt,
    containerID,
    message: quote(t['message']),
    identity: `${finishedAt ?? ''}|${exitCode ?? ''}|${reason ?? ''}|${containerID ?? ''}`,
  };
}

function terminationsOf(cs: Obj | undefined): { current: Termination | undefined; last: Termination | undefined } {
  return { current: terminationOf(asRecord(cs?.['state'])?.['terminated']), last: terminationOf(asRecord(cs?.['lastState'])?.['terminated']) };
}

/** `; memory limit 128Mi` from the pod spec's container, for OOM evidence; '' when unknown. */
function memoryLimitText(spec: Obj | undefined, field: 'containers' | 'initContainers', name: string): string {
  const container = objects(spec?.[field]).find((c) => c['name'] === name);
  const limit = scalarText(asRecord(asRecord(container?.['resources'])?.['limits'])?.['memory']);
  return limit ? `; memory limit ${limit}` : '';
}

function containerSignals(s: Subject, label: string, cs: Obj, prev: Obj | undefined, firstSight: boolean, killedOnPurpose: boolean, limitText: (name: string) => string): void {
  const name = text(cs['name']);
  if (name === undefined || name.length > 253) return;
  const restarts = num(cs['restartCount']);
  const restartText = `restart count ${restarts ?? 0}`;
  const now = terminationsOf(cs);
  const before = terminationsOf(prev);
  const seen = new Set<string>();
  if (!firstSight) for (const t of [before.current, before.last]) if (t) seen.add(t.identity);

  // A termination is reported once, when it first shows up in either place (a restartPolicy Never
  // container keeps it in `state`, a restarted one moves it to `lastState`).
  for (const [t, isCurrent] of [[now.current, true], [now.last, false]] as const) {
    if (!t || seen.has(t.identity)) continue;
    seen.add(t.identity);
    const oom = t.reason === 'OOMKilled';
    const failed = t.exitCode !== undefined && t.exitCode !== 0;
    if (!oom && !failed) continue;
    // On first sight a past crash of a container that is running again is history; an OOM kill is
    // still worth knowing (the limit is likely still too low) and the stable key deduplicates it.
    if (firstSight && !oom && !isCurrent) continue;
    // Containers of a pod being deleted or evicted are killed on purpose: exit 137/143 is expected,
    // and an eviction is reported as such.
    if (!oom && killedOnPurpose) continue;
    const wording = `${label} ${name} terminated with reason ${t.reason ?? 'unknown'} (exit code ${t.exitCode ?? 'unknown'}), ${restartText}${oom ? limitText(name) : ''}${t.message !== undefined ? `: ${t.message}` : ''}`;
    const discriminator = t.finishedAt ?? t.containerID ?? `exit-${t.exitCode ?? ''}-restart-${restarts ?? 0}`;
    emit(s, oom ? 'OOMKilled' : 'ContainerTerminated', wording, timeOf(t.finishedAt), [discriminator], name);
  }

  const waiting = asRecord(asRecord(cs['state'])?.['waiting']);
  const waitingReason = text(waiting?.['reason']);
  if (waitingReason !== undefined && !BENIGN_WAITING.has(waitingReason) && REASON_TOKEN.test(waitingReason)) {
    const prevReason = text(asRecord(asRecord(prev?.['state'])?.['waiting'])?.['reason']);
    if (firstSight || prevReason !== waitingReason) {
      const message = quote(waiting?.['message']);
      const wording = `${label} ${name} is waiting with reason ${waitingReason}${message !== undefined ? `: ${message}` : ''}, ${restartText}`;
      emit(s, waitingReason, wording, undefined, [`restart-${restarts ?? 0}`], name);
    }
  }

  const prevRestarts = num(prev?.['restartCount']);
  if (!firstSight && restarts !== undefined && prevRestarts !== undefined && restarts > prevRestarts) {
    const last = now.last;
    const lastText = last ? `; last termination reason ${last.reason ?? 'unknown'}, exit code ${last.exitCode ?? 'unknown'}` : '';
    const startedAt = timeOf(asRecord(asRecord(cs['state'])?.['running'])?.['startedAt']);
    emit(s, 'ContainerRestarted', `${label} ${name} restarted: restart count from ${prevRestarts} to ${restarts}${lastText}`, startedAt ?? timeOf(last?.finishedAt), [`restart-${restarts}`], name);
  }
}

function containersByName(status: Obj | undefined, field: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (!status) return out;
  for (const c of objects(status[field])) {
    const name = text(c['name']);
    if (name !== undefined && !out.has(name)) out.set(name, c);
  }
  return out;
}

function podSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  const firstSight = before === undefined;
  const status = asRecord(after['status']);
  const prevStatus = asRecord(before?.['status']);
  const deleting = text(asRecord(after['metadata'])?.['deletionTimestamp']) !== undefined;
  const evicted = text(status?.['reason']) === 'Evicted';

  for (const [field, label] of [['initContainerStatuses', 'init container'], ['containerStatuses', 'container']] as const) {
    const prev = containersByName(prevStatus, field);
    const specField = field === 'containerStatuses' ? 'containers' : 'initContainers';
    const limitText = (name: string) => memoryLimitText(asRecord(after['spec']), specField, name);
    for (const cs of objects(status?.[field])) containerSignals(s, label, cs, prev.get(text(cs['name']) ?? ''), firstSight, deleting || evicted, limitText);
  }

  const phase = text(status?.['phase']);
  if (phase === 'Failed' && (firstSight || text(prevStatus?.['phase']) !== 'Failed')) {
    const reason = text(status?.['reason']);
    // A pod deleted during a rollout may end Failed because its containers were killed: not a failure.
    if (evicted || !deleting) {
      const message = quote(status?.['message']);
      const wording = `pod phase Failed${reason !== undefined ? ` with reason ${reason}` : ''}${message !== undefined ? `: ${message}` : ''}`;
      emit(s, evicted ? 'Evicted' : 'PodFailed', wording, latestFinish(status), []);
    }
  }

  const scheduled = conditionOf(status, 'PodScheduled');
  if (scheduled && scheduled['status'] === 'False' && scheduled['reason'] === 'Unschedulable') {
    const prev = conditionOf(prevStatus, 'PodScheduled');
    if (firstSight || !(prev && prev['status'] === 'False' && prev['reason'] === 'Unschedulable')) {
      const message = quote(scheduled['message']);
      emit(s, 'Unschedulable', `pod cannot be scheduled${message !== undefined ? `: ${message}` : ''}`, timeOf(scheduled['lastTransitionTime']), [text(scheduled['lastTransitionTime']) ?? '']);
    }
  }
}

/** The latest container finish time in a pod status: when a failed pod stopped. */
function latestFinish(status: Obj | undefined): string | undefined {
  let best: string | undefined;
  let bestAt = -Infinity;
  for (const field of ['initContainerStatuses', 'containerStatuses']) {
    for (const cs of objects(status?.[field])) {
      const at = timeOf(asRecord(asRecord(cs['state'])?.['terminated'])?.['finishedAt']);
      if (at === undefined) continue;
      const ms = Date.parse(at);
      if (ms > bestAt) {
        bestAt = ms;
        best = at;
      }
    }
  }
  return best;
}

// ---- conditions shared by several kinds -------------------------------------------------------

/**
 * A condition that is bad when it holds `badStatus` (and `badReason`, when given). Problem
 * conditions (DiskPressure=True) are reported whenever they turn bad; health conditions (Ready,
 * Available) only when they were good before, so a new object that is not ready yet is not an alarm.
 */
interface ConditionRule {
  type: string;
  reason: string;
  badStatus: readonly string[];
  badReason?: string;
  /** Report on update only when the previous condition was exactly `True`. */
  onlyFromTrue?: boolean;
  /** Skip when the condition has this reason (an intended state, not a problem). */
  ignoreReason?: string;
}

function isBad(c: Obj | undefined, rule: ConditionRule): boolean {
  if (!c) return false;
  const status = text(c['status']);
  if (status === undefined || !rule.badStatus.includes(status)) return false;
  if (rule.badReason !== undefined && c['reason'] !== rule.badReason) return false;
  if (rule.ignoreReason !== undefined && c['reason'] === rule.ignoreReason) return false;
  return true;
}

function conditionSignals(s: Subject, what: string, before: Obj | undefined, after: Obj, rules: readonly ConditionRule[], keyByType = false): void {
  const status = asRecord(after['status']);
  const prevStatus = asRecord(before?.['status']);
  for (const rule of rules) {
    const c = conditionOf(status, rule.type);
    if (!c || !isBad(c, rule)) continue;
    if (before !== undefined) {
      const prev = conditionOf(prevStatus, rule.type);
      if (rule.onlyFromTrue ? text(prev?.['status']) !== 'True' : isBad(prev, rule)) continue;
    }
    const transition = text(c['lastTransitionTime']) ?? '';
    emit(s, rule.reason, describeCondition(what, rule.type, c), timeOf(c['lastTransitionTime']), keyByType ? [rule.type, transition] : [transition]);
  }
}

const NODE_RULES: readonly ConditionRule[] = [
  { type: 'Ready', reason: 'NodeNotReady', badStatus: ['False', 'Unknown'], onlyFromTrue: true },
  { type: 'DiskPressure', reason: 'NodeHasDiskPressure', badStatus: ['True'] },
  { type: 'MemoryPressure', reason: 'NodeHasMemoryPressure', badStatus: ['True'] },
  { type: 'PIDPressure', reason: 'NodeHasPIDPressure', badStatus: ['True'] },
  { type: 'NetworkUnavailable', reason: 'NodeNetworkUnavailable', badStatus: ['True'] },
];

function nodeSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  const what = `node ${s.object.name}`;
  conditionSignals(s, what, before, after, NODE_RULES);
  if (before === undefined) return;
  const ready = conditionOf(asRecord(after['status']), 'Ready');
  const prevReady = text(conditionOf(asRecord(before['status']), 'Ready')?.['status']);
  if (ready && ready['status'] === 'True' && (prevReady === 'False' || prevReady === 'Unknown')) {
    emit(s, 'NodeReady', describeCondition(what, 'Ready', ready), timeOf(ready['lastTransitionTime']), [text(ready['lastTransitionTime']) ?? '']);
  }
  // A cordon is usually deliberate, so only the act is reported, not a node found cordoned at start.
  if (asRecord(after['spec'])?.['unschedulable'] === true && asRecord(before['spec'])?.['unschedulable'] !== true) {
    emit(s, 'NodeNotSchedulable', `${what} was cordoned (spec.unschedulable is true)`, undefined, [s.resourceVersion]);
  }
}

function deploymentSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  const what = `deployment ${s.object.name}`;
  conditionSignals(s, what, before, after, [
    { type: 'Progressing', reason: 'ProgressDeadlineExceeded', badStatus: ['False'], badReason: 'ProgressDeadlineExceeded' },
    { type: 'ReplicaFailure', reason: 'ReplicaFailure', badStatus: ['True'] },
  ]);
  const available = conditionOf(asRecord(after['status']), 'Available');
  if (!available || available['status'] !== 'False') return;
  if (before !== undefined) {
    if (text(conditionOf(asRecord(before['status']), 'Available')?.['status']) !== 'True') return;
    // A scale-up turns Available False too (more replicas required than exist yet); only a loss of
    // available pods is a problem.
    const was = num(asRecord(before['status'])?.['availableReplicas']);
    const is = num(asRecord(after['status'])?.['availableReplicas']) ?? 0;
    if (was !== undefined && is >= was) return;
  }
  const st = asRecord(after['status']);
  const counts = ` (${num(st?.['availableReplicas']) ?? 0} available of ${num(asRecord(after['spec'])?.['replicas']) ?? num(st?.['replicas']) ?? 0} desired)`;
  emit(s, 'MinimumReplicasUnavailable', describeCondition(what, 'Available', available) + counts, timeOf(available['lastTransitionTime']), [text(available['lastTransitionTime']) ?? '']);
}

function replicaSetSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  conditionSignals(s, `replicaset ${s.object.name}`, before, after, [{ type: 'ReplicaFailure', reason: 'ReplicaFailure', badStatus: ['True'] }]);
}

/** A spec change the controller has not acted on yet: counts in between are not a loss. */
function generationPending(o: Obj): boolean {
  const generation = num(asRecord(o['metadata'])?.['generation']);
  const observed = num(asRecord(o['status'])?.['observedGeneration']);
  return generation !== undefined && observed !== undefined && observed < generation;
}

function statefulSetSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  if (before === undefined) return;
  const desired = num(asRecord(after['spec'])?.['replicas']) ?? 1;
  const prevDesired = num(asRecord(before['spec'])?.['replicas']) ?? 1;
  const status = asRecord(after['status']);
  const ready = num(status?.['readyReplicas']) ?? 0;
  const prevReady = num(asRecord(before['status'])?.['readyReplicas']) ?? 0;
  const current = text(status?.['currentRevision']);
  const update = text(status?.['updateRevision']);
  const rolling = current !== undefined && update !== undefined && current !== update;
  if (desired !== prevDesired || rolling || generationPending(after)) return;
  if (prevReady >= prevDesired && ready < desired && ready < prevReady) {
    emit(s, 'StatefulSetReplicasUnavailable', `statefulset ${s.object.name} has ${ready} of ${desired} replicas ready (was ${prevReady})`, undefined, [s.resourceVersion]);
  }
}

function daemonSetSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  if (before === undefined) return;
  const status = asRecord(after['status']);
  const prevStatus = asRecord(before['status']);
  const desired = num(status?.['desiredNumberScheduled']);
  const unavailable = num(status?.['numberUnavailable']) ?? 0;
  const prevUnavailable = num(prevStatus?.['numberUnavailable']) ?? 0;
  const updated = num(status?.['updatedNumberScheduled']);
  // New nodes (desired changed) and rollouts (not every pod updated yet) make pods briefly unavailable.
  if (desired === undefined || desired !== num(prevStatus?.['desiredNumberScheduled'])) return;
  if ((updated !== undefined && updated < desired) || generationPending(after)) return;
  if (prevUnavailable === 0 && unavailable > 0) {
    const ready = num(status?.['numberReady']);
    emit(s, 'DaemonSetPodsUnavailable', `daemonset ${s.object.name} has ${unavailable} of ${desired} scheduled pods unavailable${ready !== undefined ? ` (${ready} ready)` : ''}`, undefined, [s.resourceVersion]);
  }
}

function jobSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  const failed = conditionOf(asRecord(after['status']), 'Failed');
  if (!failed || failed['status'] !== 'True') return;
  if (before !== undefined && text(conditionOf(asRecord(before['status']), 'Failed')?.['status']) === 'True') return;
  const reason = text(failed['reason']);
  const message = quote(failed['message']);
  const wording = `job ${s.object.name} failed${reason !== undefined ? `: ${reason}` : ''}${message !== undefined ? `: ${message}` : ''}`;
  emit(s, 'JobFailed', wording, timeOf(failed['lastTransitionTime']), [text(failed['lastTransitionTime']) ?? '']);
}

function claimSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  const phase = text(asRecord(after['status'])?.['phase']);
  const prevPhase = before === undefined ? undefined : text(asRecord(before['status'])?.['phase']);
  const volume = text(asRecord(after['spec'])?.['volumeName']);
  if (phase === 'Lost' && (before === undefined || prevPhase !== 'Lost')) {
    // A claim is lost once; the key needs no discriminator to stay stable across relists.
    emit(s, 'ClaimLost', `claim ${s.object.name} phase Lost${volume !== undefined ? `: bound volume ${volume} no longer exists` : ''}`, undefined, []);
  }
  // Pending on first sight is normal (provisioning, WaitForFirstConsumer; the provisioner's events say
  // why); going back to Pending is not.
  if (phase === 'Pending' && prevPhase !== undefined && prevPhase !== 'Pending') {
    emit(s, 'ClaimPending', `claim ${s.object.name} phase went from ${prevPhase} back to Pending`, undefined, [s.resourceVersion]);
  }
}

function hpaSignals(s: Subject, before: Obj | undefined, after: Obj): void {
  const what = `horizontalpodautoscaler ${s.object.name}`;
  const limited = conditionOf(asRecord(after['status']), 'ScalingLimited');
  const rule: ConditionRule = { type: 'ScalingLimited', reason: 'ScalingLimited', badStatus: ['True'], badReason: 'TooManyReplicas' };
  if (isBad(limited, rule) && limited && (before === undefined || !isBad(conditionOf(asRecord(before['status']), 'ScalingLimited'), rule))) {
    const max = num(asRecord(after['spec'])?.['maxReplicas']);
    const desired = num(asRecord(after['status'])?.['desiredReplicas']);
    const counts = max !== undefined ? ` (maxReplicas ${max}${desired !== undefined ? `, desired ${desired}` : ''})` : '';
    emit(s, 'ScalingLimited', describeCondition(what, 'ScalingLimited', limited) + counts, timeOf(limited['lastTransitionTime']), [text(limited['lastTransitionTime']) ?? '']);
  }
  conditionSignals(
    s,
    what,
    before,
    after,
    [
      // Health conditions: a new HPA is briefly without metrics, which is not an alarm.
      { type: 'AbleToScale', reason: 'HPAUnableToScale', badStatus: ['False'], onlyFromTrue: true },
      // A target scaled to zero disables the HPA on purpose.
      { type: 'ScalingActive', reason: 'HPAUnableToScale', badStatus: ['False'], onlyFromTrue: true, ignoreReason: 'ScalingDisabled' },
    ],
    true,
  );
}

const RULES: Readonly<Record<string, (s: Subject, before: Obj | undefined, after: Obj) => void>> = {
  Pod: podSignals,
  Node: nodeSignals,
  Deployment: deploymentSignals,
  ReplicaSet: replicaSetSignals,
  StatefulSet: statefulSetSignals,
  DaemonSet: daemonSetSignals,
  Job: jobSignals,
  PersistentVolumeClaim: claimSignals,
  HorizontalPodAutoscaler: hpaSignals,
};

/**
 * The signals an object's change carries. `before` undefined is first sight (initial list or ADDED):
 * current bad states are reported, growth (restarts) is not. `now` (RFC 3339) stamps signals whose
 * object holds no transition time. Kinds without rules give nothing. Never throws, whatever the
 * objects hold.
 */
export function deriveStateSignals(kind: string, before: KubeObject | undefined, after: KubeObject, now: string): StateSignal[] {
  const rule = typeof kind === 'string' && Object.hasOwn(RULES, kind) ? RULES[kind] : undefined;
  const current = asRecord(after);
  if (rule === undefined || current === undefined) return [];
  const subject = subjectOf(kind, current, now);
  if (subject === undefined) return [];
  rule(subject, asRecord(before), current);
  return subject.out;
}
