/**
 * The node-lifecycle controller (`node-controller`) and its taint-eviction half: a node whose kubelet
 * stopped posting status for the grace period becomes Ready=Unknown and gets the unreachable taints,
 * its pods turn unready, and after their tolerationSeconds they are deleted so their workloads
 * recreate them elsewhere. Condition taints (pressure, cordon) follow the node's conditions and spec.
 * Pods bound to a node that no longer exists are garbage-collected.
 */
import type { Timer } from '../../clock.js';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { deletePodGracefully } from '../../pod-deletion.js';
import { res } from '../../resources.js';
import type { Controller, SimContext } from '../../sim-context.js';
import type { Change } from '../../store/object-store.js';
import { msg } from './messages.js';
import { isUnschedulable, nodeCondition, nodeStatus, type NodeCondition } from './node-info.js';
import { isTerminal, nodeTaints, podSpec, tolerates, type Taint } from './pod-spec.js';

/** --node-monitor-period and --node-monitor-grace-period */
const MONITOR_PERIOD_MS = 5000;
export const NODE_MONITOR_GRACE_MS = 40_000;
/** What the DefaultTolerationSeconds admission plugin gives every pod for not-ready / unreachable. */
const DEFAULT_TOLERATION_SECONDS = 300;

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const NODE_CONTROLLER = { component: 'node-controller' };
const TAINT_EVICTION = { component: 'taint-eviction-controller' };

/** Condition → NoSchedule taint (TaintNodesByCondition). */
const CONDITION_TAINTS: Record<string, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
};

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  readonly #ctx: SimContext;
  #monitor: Timer | undefined;
  #queued: Timer | undefined;
  readonly #evictions = new Map<string, Timer>();
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
  }

  start(): void {
    this.#unsubscribe = this.#ctx.store.subscribe((c) => this.#onChange(c));
    this.#monitor = this.#ctx.clock.setTimer(MONITOR_PERIOD_MS, () => this.#monitorTick());
    this.#enqueue();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#ctx.clock.clearTimer(this.#monitor);
    this.#ctx.clock.clearTimer(this.#queued);
    for (const t of this.#evictions.values()) this.#ctx.clock.clearTimer(t);
    this.#evictions.clear();
  }

  #onChange(c: Change): void {
    if (c.key === 'nodes') {
      if (c.type === 'MODIFIED' && c.previous && taintView(c.previous) === taintView(c.object)) return;
      this.#enqueue();
    } else if (c.key === 'pods') {
      if (c.type === 'DELETED') {
        const key = `${c.object.metadata.namespace ?? 'default'}/${c.object.metadata.name}`;
        this.#ctx.clock.clearTimer(this.#evictions.get(key));
        this.#evictions.delete(key);
        return;
      }
      // A pod newly bound to a tainted or missing node.
      if (podSpec(c.object).nodeName && !podSpec(c.previous ?? c.object).nodeName) this.#enqueue();
      else if (c.type === 'ADDED' && podSpec(c.object).nodeName) this.#enqueue();
    }
  }

  /** Coalesces reconciles of all nodes into one 0 ms timer. */
  #enqueue(): void {
    if (this.#queued) return;
    this.#queued = this.#ctx.clock.setTimer(0, () => {
      this.#queued = undefined;
      this.#reconcileAll();
    });
  }

  #monitorTick(): void {
    this.#monitor = this.#ctx.clock.setTimer(MONITOR_PERIOD_MS, () => this.#monitorTick());
    this.#reconcileAll();
  }

  #reconcileAll(): void {
    const { store } = this.#ctx;
    const nodes = store.list(res('nodes')).items;
    const names = new Set(nodes.map((n) => n.metadata.name));
    for (const node of nodes) this.#reconcileNode(node);
    // Pod GC: pods bound to a node that is gone.
    for (const pod of store.list(res('pods')).items) {
      const nodeName = podSpec(pod).nodeName;
      if (nodeName && !names.has(nodeName)) {
        try {
          // PodGC force-deletes (terminating or not): no kubelet is left to finish them.
          deletePodGracefully(this.#ctx, pod.metadata.namespace, pod.metadata.name, 0);
        } catch {
          // gone
        }
      }
    }
    this.#reconcileEvictions(nodes);
  }

  #reconcileNode(node: KubeObject): void {
    const { store, clock, events } = this.#ctx;
    const now = clock.now();
    const ready = nodeCondition(node, 'Ready');
    const heartbeat = ready?.lastHeartbeatTime ? Date.parse(ready.lastHeartbeatTime) : Date.parse(node.metadata.creationTimestamp);
    let current = node;
    // Health: a silent kubelet past the grace period → every condition Unknown.
    if (ready && ready.status !== 'Unknown' && now - heartbeat > NODE_MONITOR_GRACE_MS) {
      const iso = clock.isoNow();
      try {
        current = store.mutate(res('nodes'), undefined, node.metadata.name, (n) => {
          const status = nodeStatus(n);
          status.conditions = (status.conditions ?? []).map((c): NodeCondition => ({
            ...c,
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
            lastTransitionTime: iso,
          }));
          n['status'] = status;
        }, { subresource: 'status' });
      } catch {
        return;
      }
      events.record(current, 'Normal', 'NodeNotReady', msg.nodeStatus(node.metadata.name, 'NodeNotReady'), NODE_CONTROLLER);
      this.#markPodsNotReady(node.metadata.name);
    }
    // Taints derived from health, conditions and spec.
    const readyNow = nodeCondition(current, 'Ready')?.status;
    const wanted: Taint[] = [];
    if (readyNow === 'Unknown') wanted.push({ key: UNREACHABLE, effect: 'NoSchedule' }, { key: UNREACHABLE, effect: 'NoExecute' });
    else if (readyNow === 'False') wanted.push({ key: NOT_READY, effect: 'NoSchedule' }, { key: NOT_READY, effect: 'NoExecute' });
    for (const [type, key] of Object.entries(CONDITION_TAINTS)) if (nodeCondition(current, type)?.status === 'True') wanted.push({ key, effect: 'NoSchedule' });
    if (isUnschedulable(current)) wanted.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
    const managed = new Set([UNREACHABLE, NOT_READY, 'node.kubernetes.io/unschedulable', ...Object.values(CONDITION_TAINTS)]);
    const existing = nodeTaints(current);
    const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
    const next = [
      ...existing.filter((t) => !managed.has(t.key) || wanted.some((w) => same(w, t))),
      ...wanted.filter((w) => !existing.some((t) => same(w, t))).map((w) => ({ ...w, timeAdded: clock.isoNow() })),
    ];
    if (next.length === existing.length && next.every((t, i) => existing[i] && same(t, existing[i]))) return;
    try {
      store.mutate(res('nodes'), undefined, node.metadata.name, (n) => {
        const spec = (n['spec'] as Record<string, unknown> | undefined) ?? {};
        if (next.length) spec['taints'] = next;
        else delete spec['taints'];
        n['spec'] = spec;
      });
    } catch {
      // deleted
    }
  }

  #markPodsNotReady(nodeName: string): void {
    const { store, clock, events } = this.#ctx;
    for (const pod of store.list(res('pods')).items) {
      if (podSpec(pod).nodeName !== nodeName || isTerminal(pod)) continue;
      try {
        const updated = store.mutate(res('pods'), pod.metadata.namespace, pod.metadata.name, (p) => {
          const status = (p['status'] as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined) ?? {};
          status.conditions = (status.conditions ?? []).map((c) => (c.type === 'Ready' && c.status !== 'False' ? { ...c, status: 'False', lastTransitionTime: clock.isoNow() } : c));
          p['status'] = status;
        }, { subresource: 'status' });
        events.record(updated, 'Warning', 'NodeNotReady', 'Node is not ready', NODE_CONTROLLER);
      } catch {
        // deleted
      }
    }
  }

  /** NoExecute taints: evict pods that do not tolerate them, or once their tolerationSeconds run out. */
  #reconcileEvictions(nodes: KubeObject[]): void {
    const { store, clock } = this.#ctx;
    const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
    const stillWanted = new Set<string>();
    for (const pod of store.list(res('pods')).items) {
      const node = byName.get(podSpec(pod).nodeName ?? '');
      if (!node || isTerminal(pod) || pod.metadata.deletionTimestamp) continue;
      const noExecute = nodeTaints(node).filter((t) => t.effect === 'NoExecute');
      if (!noExecute.length) continue;
      let deadline = Infinity;
      for (const taint of noExecute) {
        const tolerations = [...(podSpec(pod).tolerations ?? [])];
        if ((taint.key === UNREACHABLE || taint.key === NOT_READY) && !tolerations.some((t) => t.key === taint.key && (t.effect ?? 'NoExecute') === 'NoExecute')) {
          tolerations.push({ key: taint.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
        }
        const matching = tolerations.filter((t) => tolerates(t, taint));
        if (!matching.length) {
          deadline = 0;
          break;
        }
        const seconds = Math.min(...matching.map((t) => (t.tolerationSeconds === undefined ? Infinity : Math.max(0, t.tolerationSeconds))));
        if (seconds === Infinity) continue;
        const added = taint.timeAdded ? Date.parse(taint.timeAdded) : clock.now();
        deadline = Math.min(deadline, added + seconds * 1000);
      }
      if (deadline === Infinity) continue;
      const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
      stillWanted.add(key);
      if (this.#evictions.has(key)) continue;
      const uid = pod.metadata.uid;
      this.#evictions.set(key, clock.setTimer(Math.max(0, deadline - clock.now()), () => {
        this.#evictions.delete(key);
        this.#evict(pod.metadata.namespace, pod.metadata.name, uid);
      }));
    }
    // A taint that went away (node recovered) cancels the pending evictions.
    for (const [key, timer] of this.#evictions) {
      if (stillWanted.has(key)) continue;
      clock.clearTimer(timer);
      this.#evictions.delete(key);
    }
  }

  #evict(namespace: string | undefined, name: string, uid: string): void {
    const { store, events } = this.#ctx;
    const pod = store.get(res('pods'), namespace, name);
    if (!pod || pod.metadata.uid !== uid) return;
    events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace ?? 'default'}/${name}`, TAINT_EVICTION);
    try {
      // Graceful: on an unreachable node the pod stays Terminating until its kubelet is back.
      deletePodGracefully(this.#ctx, namespace, name);
    } catch {
      // gone
    }
  }
}

function taintView(node: KubeObject): string {
  return JSON.stringify([nodeTaints(node), isUnschedulable(node), nodeStatus(node).conditions?.map((c) => [c.type, c.status])]);
}
