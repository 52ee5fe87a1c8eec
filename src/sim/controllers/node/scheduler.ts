/**
 * The simulated kube-scheduler (`default-scheduler`): filters nodes with the default plugins'
 * rules and reasons, scores the rest by least allocation with replica spreading, binds, and reports
 * failures with the real FitError text ("0/3 nodes are available: …. preemption: …").
 */
import type { Timer } from '../../clock.js';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { Controller, SimContext } from '../../sim-context.js';
import type { Change } from '../../store/object-store.js';
import { fromLabelSelectorObject, matchesLabels } from '../../store/selectors.js';
import { isUnschedulable, nodeAllocatable, nodeLabels } from './node-info.js';
import {
  isTerminal,
  nodeTaints,
  podKey,
  podRequests,
  podSpec,
  toleratesAll,
  type NodeSelectorRequirement,
  type PodAffinityTerm,
  type Requests,
} from './pod-spec.js';
import { MI } from '../../../core/kube/units.js';

export const SCHEDULER_NAME = 'default-scheduler';
const SOURCE = { component: SCHEDULER_NAME };
/** podInitialBackoffSeconds / podMaxBackoffSeconds of the real scheduling queue. */
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;
/** podMaxInUnschedulablePodsDuration: an unschedulable pod is retried at least this often. */
const UNSCHEDULABLE_FLUSH_MS = 5 * 60_000;
/** Requests the scorer assumes for containers that declare none (non-zero defaults). */
const DEFAULT_SCORE_CPU = 100;
const DEFAULT_SCORE_MEMORY = 200 * MI;

const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';
const ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const ERR_POD_AFFINITY = "node(s) didn't match pod affinity rules";
const ERR_UNBOUND_PVC = 'pod has unbound immediate PersistentVolumeClaims';
const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
const NO_VICTIMS = 'No preemption victims found for incoming pod';

interface QueuedPod {
  attempts: number;
  backoffUntil: number;
  unschedulable: boolean;
  flush: Timer | undefined;
}

interface NodeState {
  node: KubeObject;
  labels: Record<string, string>;
  used: Requests & { pods: number };
  pods: KubeObject[];
}

/** Per-node filter outcome: the reasons, and whether preemption could not help (UnschedulableAndUnresolvable). */
interface NodeFailure {
  reasons: string[];
  unresolvable: boolean;
}

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  readonly #ctx: SimContext;
  readonly #queue = new Map<string, QueuedPod>();
  #pass: Timer | undefined;
  #passDue = Infinity;
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
  }

  start(): void {
    this.#unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    for (const pod of this.#ctx.store.list(res('pods')).items) this.#consider(pod);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#ctx.clock.clearTimer(this.#pass);
    for (const q of this.#queue.values()) this.#ctx.clock.clearTimer(q.flush);
    this.#queue.clear();
  }

  #onChange(c: Change): void {
    switch (c.key) {
      case 'pods':
        if (c.type === 'DELETED') {
          this.#forget(podKey(c.object));
          if (podSpec(c.object).nodeName) this.#clusterChanged();
          return;
        }
        this.#consider(c.object);
        // A pod that stopped holding resources (finished) frees room on its node.
        if (c.previous && !isTerminal(c.previous) && isTerminal(c.object) && podSpec(c.object).nodeName) this.#clusterChanged();
        return;
      case 'nodes':
        if (c.type !== 'MODIFIED' || !c.previous || schedulingView(c.previous) !== schedulingView(c.object)) this.#clusterChanged();
        return;
      case 'persistentvolumeclaims':
        if (c.type !== 'MODIFIED' || JSON.stringify(c.previous?.['status']) !== JSON.stringify(c.object['status'])) this.#clusterChanged();
        return;
      default:
        return;
    }
  }

  /** Queues a pod that needs a node. */
  #consider(pod: KubeObject): void {
    const spec = podSpec(pod);
    const key = podKey(pod);
    if (spec.nodeName || pod.metadata.deletionTimestamp || isTerminal(pod) || (spec.schedulerName ?? SCHEDULER_NAME) !== SCHEDULER_NAME) {
      this.#forget(key);
      return;
    }
    if (this.#queue.has(key)) return;
    this.#queue.set(key, { attempts: 0, backoffUntil: 0, unschedulable: false, flush: undefined });
    this.#runAt(this.#ctx.clock.now());
  }

  #forget(key: string): void {
    const q = this.#queue.get(key);
    if (!q) return;
    this.#ctx.clock.clearTimer(q.flush);
    this.#queue.delete(key);
  }

  /** Something that can make an unschedulable pod fit happened: move them back, after their back-off. */
  #clusterChanged(): void {
    for (const q of this.#queue.values()) {
      if (!q.unschedulable) continue;
      q.unschedulable = false;
      this.#ctx.clock.clearTimer(q.flush);
      q.flush = undefined;
      this.#runAt(Math.max(this.#ctx.clock.now(), q.backoffUntil));
    }
  }

  /** Coalesces scheduling passes: one timer, at the earliest time any queued pod is due. */
  #runAt(time: number): void {
    if (this.#pass && !this.#pass.cancelled && this.#passDue <= time) return;
    this.#ctx.clock.clearTimer(this.#pass);
    this.#passDue = time;
    this.#pass = this.#ctx.clock.setTimer(time - this.#ctx.clock.now(), () => {
      this.#pass = undefined;
      this.#passDue = Infinity;
      this.#schedulePass();
    });
  }

  #schedulePass(): void {
    const { store, clock } = this.#ctx;
    const now = clock.now();
    const due: KubeObject[] = [];
    let nextDue = Infinity;
    for (const [key, q] of this.#queue) {
      if (q.unschedulable) continue;
      if (q.backoffUntil > now) {
        nextDue = Math.min(nextDue, q.backoffUntil);
        continue;
      }
      const [ns, name] = splitKey(key);
      const pod = store.get(res('pods'), ns, name);
      if (!pod || podSpec(pod).nodeName) {
        this.#forget(key);
        continue;
      }
      due.push(pod);
    }
    if (nextDue < Infinity) this.#runAt(nextDue);
    if (!due.length) return;
    // The active queue's order: priority, then age.
    due.sort((a, b) => (podSpec(b).priority ?? 0) - (podSpec(a).priority ?? 0) || a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name));
    const nodes = this.#snapshot();
    for (const pod of due) this.#scheduleOne(pod, nodes);
  }

  #snapshot(): NodeState[] {
    const { store } = this.#ctx;
    const states = new Map<string, NodeState>();
    for (const node of store.list(res('nodes')).items) {
      states.set(node.metadata.name, { node, labels: nodeLabels(node), used: { cpu: 0, memory: 0, pods: 0 }, pods: [] });
    }
    for (const pod of store.list(res('pods')).items) {
      const state = states.get(podSpec(pod).nodeName ?? '');
      if (!state || isTerminal(pod)) continue;
      charge(state, pod);
    }
    return [...states.values()];
  }

  #scheduleOne(pod: KubeObject, nodes: NodeState[]): void {
    const key = podKey(pod);
    const q = this.#queue.get(key);
    if (!q) return;
    const preFilter = this.#volumePreFilter(pod);
    const failures: NodeFailure[] = [];
    const feasible: NodeState[] = [];
    if (!preFilter) {
      for (const n of nodes) {
        const failure = this.#filter(pod, n, nodes);
        if (failure) failures.push(failure);
        else feasible.push(n);
      }
    }
    if (!feasible.length) {
      this.#fail(pod, q, fitErrorMessage(nodes.length, preFilter, failures));
      return;
    }
    const chosen = this.#pick(pod, feasible);
    this.#bind(pod, chosen);
    this.#forget(key);
    charge(chosen, { ...pod, spec: { ...podSpec(pod), nodeName: chosen.node.metadata.name } });
  }

  #volumePreFilter(pod: KubeObject): string | undefined {
    const { store } = this.#ctx;
    const ns = pod.metadata.namespace;
    for (const v of podSpec(pod).volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const pvc = store.get(res('persistentvolumeclaims'), ns, claimName);
      if (!pvc) return `persistentvolumeclaim "${claimName}" not found`;
      if (pvc.metadata.deletionTimestamp) return `persistentvolumeclaim "${claimName}" is being deleted`;
      const phase = (pvc['status'] as { phase?: string } | undefined)?.phase;
      if (phase === 'Bound') continue;
      const className = (pvc['spec'] as { storageClassName?: string } | undefined)?.storageClassName;
      const sc = className ? store.get(res('storageclasses.storage.k8s.io'), undefined, className) : undefined;
      if ((sc?.['volumeBindingMode'] as string | undefined) === 'WaitForFirstConsumer') continue;
      return ERR_UNBOUND_PVC;
    }
    return undefined;
  }

  /** The default plugins' Filter, in their order; the first failing plugin decides, as in the framework. */
  #filter(pod: KubeObject, n: NodeState, all: NodeState[]): NodeFailure | undefined {
    const spec = podSpec(pod);
    const taints = nodeTaints(n.node);
    // NodeUnschedulable
    if (isUnschedulable(n.node) && !toleratesAll(spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
      return { reasons: [ERR_UNSCHEDULABLE], unresolvable: true };
    }
    // TaintToleration
    const untolerated = taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !toleratesAll(spec.tolerations, t));
    if (untolerated) return { reasons: [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`], unresolvable: true };
    // NodeAffinity
    if (!matchesNodeSelector(spec.nodeSelector, n.labels) || !matchesRequiredNodeAffinity(pod, n)) return { reasons: [ERR_AFFINITY], unresolvable: true };
    // NodeResourcesFit
    const alloc = nodeAllocatable(n.node);
    const req = podRequests(pod);
    const reasons: string[] = [];
    if (n.used.pods + 1 > alloc.pods) reasons.push('Too many pods');
    if (req.cpu > 0 && n.used.cpu + req.cpu > alloc.cpu) reasons.push('Insufficient cpu');
    if (req.memory > 0 && n.used.memory + req.memory > alloc.memory) reasons.push('Insufficient memory');
    if (reasons.length) return { reasons, unresolvable: false };
    // InterPodAffinity
    const interPod = interPodAffinityFailure(pod, n, all);
    if (interPod) return { reasons: [interPod], unresolvable: false };
    return undefined;
  }

  /** NodeResourcesLeastAllocated, plus spreading replicas of one owner across nodes; ties broken at random. */
  #pick(pod: KubeObject, feasible: NodeState[]): NodeState {
    const req = podRequests(pod);
    const cpu = req.cpu || DEFAULT_SCORE_CPU;
    const mem = req.memory || DEFAULT_SCORE_MEMORY;
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller)?.uid;
    let best: NodeState[] = [];
    let bestScore = -Infinity;
    for (const n of feasible) {
      const alloc = nodeAllocatable(n.node);
      const cpuFree = alloc.cpu > 0 ? (alloc.cpu - n.used.cpu - cpu) / alloc.cpu : 0;
      const memFree = alloc.memory > 0 ? (alloc.memory - n.used.memory - mem) / alloc.memory : 0;
      let score = Math.round(((cpuFree + memFree) / 2) * 100);
      if (owner) score -= 20 * n.pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === owner)).length;
      if (score > bestScore) {
        bestScore = score;
        best = [n];
      } else if (score === bestScore) best.push(n);
    }
    return best[Math.floor(this.#ctx.random() * best.length)] ?? (best[0] as NodeState);
  }

  #bind(pod: KubeObject, n: NodeState): void {
    const { store, clock, events } = this.#ctx;
    const nodeName = n.node.metadata.name;
    const ns = pod.metadata.namespace;
    let bound: KubeObject;
    try {
      bound = store.mutate(res('pods'), ns, pod.metadata.name, (p) => {
        p['spec'] = { ...podSpec(p), nodeName };
      });
      bound = store.mutate(res('pods'), ns, pod.metadata.name, (p) => {
        setPodScheduled(p, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: clock.isoNow() });
      }, { subresource: 'status' });
    } catch {
      return; // deleted meanwhile
    }
    // The scheduler's volume binder tells a WaitForFirstConsumer provisioner where the pod went.
    for (const v of podSpec(pod).volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (!claim) continue;
      const pvc = store.get(res('persistentvolumeclaims'), ns, claim);
      if (!pvc || (pvc['status'] as { phase?: string } | undefined)?.phase === 'Bound') continue;
      try {
        store.mutate(res('persistentvolumeclaims'), ns, claim, (c) => {
          c.metadata.annotations = { ...(c.metadata.annotations ?? {}), 'volume.kubernetes.io/selected-node': nodeName };
        });
      } catch {
        // best effort
      }
    }
    events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${ns ?? 'default'}/${pod.metadata.name} to ${nodeName}`, SOURCE);
  }

  #fail(pod: KubeObject, q: QueuedPod, message: string): void {
    const { store, clock, events } = this.#ctx;
    q.attempts++;
    q.backoffUntil = clock.now() + Math.min(INITIAL_BACKOFF_MS * 2 ** (q.attempts - 1), MAX_BACKOFF_MS);
    q.unschedulable = true;
    const key = podKey(pod);
    q.flush = clock.setTimer(UNSCHEDULABLE_FLUSH_MS, () => {
      const cur = this.#queue.get(key);
      if (!cur) return;
      cur.unschedulable = false;
      cur.flush = undefined;
      this.#runAt(clock.now());
    });
    let updated: KubeObject;
    try {
      updated = store.mutate(res('pods'), pod.metadata.namespace, pod.metadata.name, (p) => {
        const prior = ((p['status'] as { conditions?: { type: string; status: string; message?: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? []).find(
          (c) => c.type === 'PodScheduled',
        );
        setPodScheduled(p, {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: prior?.status === 'False' && prior.lastTransitionTime ? prior.lastTransitionTime : clock.isoNow(),
          reason: 'Unschedulable',
          message,
        });
      }, { subresource: 'status' });
    } catch {
      return;
    }
    events.record(updated, 'Warning', 'FailedScheduling', message, SOURCE);
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function charge(state: NodeState, pod: KubeObject): void {
  const r = podRequests(pod);
  state.used.cpu += r.cpu;
  state.used.memory += r.memory;
  state.used.pods += 1;
  state.pods.push(pod);
}

/** What of a node the scheduler cares about (heartbeats change none of it). */
function schedulingView(node: KubeObject): string {
  const spec = node['spec'] as { taints?: unknown; unschedulable?: unknown } | undefined;
  const status = node['status'] as { allocatable?: unknown; capacity?: unknown } | undefined;
  return JSON.stringify([node.metadata.labels, spec?.taints, spec?.unschedulable, status?.allocatable, status?.capacity]);
}

function setPodScheduled(pod: KubeObject, condition: Record<string, unknown>): void {
  const status = ((pod['status'] as Record<string, unknown> | undefined) ?? {});
  const conditions = ((status['conditions'] as { type: string }[] | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
  status['conditions'] = [condition, ...conditions];
  status['phase'] ??= 'Pending';
  pod['status'] = status;
}

function matchesNodeSelector(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function matchesRequiredNodeAffinity(pod: KubeObject, n: NodeState): boolean {
  const terms = podSpec(pod).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  // Terms are ORed; an empty term matches nothing. Requirements within a term are ANDed.
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (!exprs.length && !fields.length) return false;
    return exprs.every((e) => matchesRequirement(e, n.labels)) && fields.every((e) => matchesRequirement(e, { 'metadata.name': n.node.metadata.name }));
  });
}

function matchesRequirement(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value ?? '');
    case 'NotIn':
      return !has || !values.includes(value ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = Number.parseInt(value ?? '', 10);
      const b = Number.parseInt(values[0] ?? '', 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function termMatches(term: PodAffinityTerm, ownerNamespace: string | undefined, candidate: KubeObject): boolean {
  const namespaces = term.namespaces?.length ? term.namespaces : [ownerNamespace ?? 'default'];
  if (!namespaces.includes(candidate.metadata.namespace ?? 'default')) return false;
  return matchesLabels(fromLabelSelectorObject(term.labelSelector), candidate.metadata.labels);
}

function interPodAffinityFailure(pod: KubeObject, n: NodeState, all: NodeState[]): string | undefined {
  const spec = podSpec(pod);
  const sameDomain = (key: string): NodeState[] => {
    const value = n.labels[key];
    return value === undefined ? [] : all.filter((o) => o.labels[key] === value);
  };
  // The plugin's order: pod affinity, pod anti-affinity, existing pods' anti-affinity.
  for (const term of spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (sameDomain(term.topologyKey).some((o) => o.pods.some((p) => termMatches(term, pod.metadata.namespace, p)))) continue;
    // The first pod of a group that is affine to itself may go anywhere the topology key exists.
    const anyMatch = all.some((o) => o.pods.some((p) => termMatches(term, pod.metadata.namespace, p)));
    if (!anyMatch && termMatches(term, pod.metadata.namespace, pod) && n.labels[term.topologyKey] !== undefined) continue;
    return ERR_POD_AFFINITY;
  }
  for (const term of spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (sameDomain(term.topologyKey).some((o) => o.pods.some((p) => termMatches(term, pod.metadata.namespace, p)))) return ERR_ANTI_AFFINITY;
  }
  // Existing pods whose required anti-affinity rejects the incoming pod in this domain.
  for (const other of all) {
    for (const existing of other.pods) {
      for (const term of podSpec(existing).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (other.labels[term.topologyKey] === undefined || other.labels[term.topologyKey] !== n.labels[term.topologyKey]) continue;
        if (termMatches(term, existing.metadata.namespace, pod)) return ERR_EXISTING_ANTI_AFFINITY;
      }
    }
  }
  return undefined;
}

/** The scheduler's FitError text, with the default preemption plugin's PostFilter message appended. */
export function fitErrorMessage(numNodes: number, preFilterMsg: string | undefined, failures: NodeFailure[]): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  let msg = `0/${numNodes} nodes are available:`;
  let preemption: string[];
  if (preFilterMsg) {
    msg += ` ${preFilterMsg}.`;
    preemption = numNodes ? [`${numNodes} ${PREEMPTION_NOT_HELPFUL}`] : [];
  } else {
    const histogram = new Map<string, number>();
    for (const f of failures) for (const r of f.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
    const reasons = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
    if (reasons.length) msg += ` ${reasons.join(', ')}.`;
    const unresolvable = failures.filter((f) => f.unresolvable).length;
    const resolvable = failures.length - unresolvable;
    preemption = [...(unresolvable ? [`${unresolvable} ${PREEMPTION_NOT_HELPFUL}`] : []), ...(resolvable ? [`${resolvable} ${NO_VICTIMS}`] : [])].sort();
  }
  return `${msg} preemption: 0/${numNodes} nodes are available: ${preemption.join(', ')}.`;
}
