/**
 * Every node's kubelet: registers the node's labels, posts its status every 10 s (unless a fault
 * stopped it), runs the pods bound to it through PodWorkers, and evicts pods under memory or disk
 * pressure the way the eviction manager does.
 */
import type { Timer } from '../../clock.js';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { Controller, SimContext } from '../../sim-context.js';
import type { Change } from '../../store/object-store.js';
import { KUBELET, msg, nodeConditionText } from './messages.js';
import { HOSTNAME_LABEL, nodeCapacity, nodeStatus, type NodeCondition } from './node-info.js';
import { PodWorker, type KubeletHost } from './pod-worker.js';
import { isTerminal, podKey, podSpec, qosClass } from './pod-spec.js';
import { MI, bytesOf, formatBytes } from '../../../core/kube/units.js';

export interface KubeletOptions {
  /** Reported in `status.nodeInfo.kubeletVersion`. Default `v1.29.6`. */
  kubeletVersion?: string;
}

export const DEFAULT_KUBELET_VERSION = 'v1.29.6';
/** nodeStatusUpdateFrequency */
export const NODE_STATUS_UPDATE_MS = 10_000;
/** The eviction manager's housekeeping interval. */
const EVICTION_INTERVAL_MS = 10_000;
/** Default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%. */
const MEMORY_THRESHOLD = 100 * MI;
const NODEFS_THRESHOLD_FRACTION = 0.1;
/** Pods at or above system-cluster-critical priority are never evicted. */
const CRITICAL_PRIORITY = 2_000_000_000;

interface NodeAgent {
  name: string;
  index: number;
  heartbeat: Timer | undefined;
  eviction: Timer | undefined;
  running: boolean;
  images: Set<string>;
  ips: Set<number>;
  nextIp: number;
  registered: boolean;
}

export class Kubelet implements Controller, KubeletHost {
  readonly name = 'kubelet';
  readonly ctx: SimContext;
  readonly #version: string;
  readonly #agents = new Map<string, NodeAgent>();
  readonly #workers = new Map<string, PodWorker>();
  readonly #disk = new Map<string, number>();
  readonly #publishQueue = new Set<PodWorker>();
  #publishTimer: Timer | undefined;
  #nodeSeq = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: SimContext, options: KubeletOptions = {}) {
    this.ctx = ctx;
    this.#version = options.kubeletVersion ?? DEFAULT_KUBELET_VERSION;
  }

  start(): void {
    this.ctx.kubeletRunning = true;
    this.#unsubscribe = this.ctx.store.subscribe((c) => this.#onChange(c));
    for (const node of this.ctx.store.list(res('nodes')).items) this.#startAgent(node.metadata.name);
  }

  /** The pod workers this kubelet runs (diagnostics and tests). */
  workers(): PodWorker[] {
    return [...this.#workers.values()];
  }

  stop(): void {
    this.ctx.kubeletRunning = false;
    this.#unsubscribe?.();
    for (const a of this.#agents.values()) this.#stopAgent(a);
    this.#agents.clear();
    for (const w of this.#workers.values()) w.stop();
    this.#workers.clear();
    this.ctx.clock.clearTimer(this.#publishTimer);
  }

  // ---- KubeletHost ----

  nodeRunning(node: string): boolean {
    return this.#agents.get(node)?.running ?? false;
  }

  hostIP(node: string): string {
    return `10.0.0.${10 + (this.#agents.get(node)?.index ?? 0)}`;
  }

  allocatePodIP(node: string): string {
    const a = this.#agents.get(node);
    if (!a) return '';
    for (let tries = 0; tries < 253; tries++) {
      const host = a.nextIp;
      a.nextIp = a.nextIp >= 254 ? 2 : a.nextIp + 1;
      if (!a.ips.has(host)) {
        a.ips.add(host);
        return `10.244.${a.index}.${host}`;
      }
    }
    return `10.244.${a.index}.255`;
  }

  releasePodIP(node: string, ip: string): void {
    this.#agents.get(node)?.ips.delete(Number(ip.split('.')[3]));
  }

  imagePresent(node: string, image: string): boolean {
    return this.#agents.get(node)?.images.has(image) ?? false;
  }

  addImage(node: string, image: string): void {
    this.#agents.get(node)?.images.add(image);
  }

  diskUsage(claim: string, initialMi: number): number {
    if (!this.#disk.has(claim)) this.#disk.set(claim, initialMi);
    return this.#disk.get(claim) ?? initialMi;
  }

  setDiskUsage(claim: string, usedMi: number): void {
    this.#disk.set(claim, usedMi);
  }

  requestPublish(worker: PodWorker): void {
    this.#publishQueue.add(worker);
    if (this.#publishTimer) return;
    this.#publishTimer = this.ctx.clock.setTimer(0, () => {
      this.#publishTimer = undefined;
      const batch = [...this.#publishQueue];
      this.#publishQueue.clear();
      for (const w of batch) this.#publish(w);
    });
  }

  forget(worker: PodWorker): void {
    const key = `${worker.namespace}/${worker.name}`;
    if (this.#workers.get(key) === worker) this.#drop(key);
  }

  // ---- store changes ----

  #onChange(c: Change): void {
    switch (c.key) {
      case 'nodes':
        if (c.type === 'ADDED') this.#startAgent(c.object.metadata.name);
        else if (c.type === 'DELETED') {
          const a = this.#agents.get(c.object.metadata.name);
          if (a) this.#stopAgent(a);
          this.#agents.delete(c.object.metadata.name);
          for (const [key, w] of this.#workers) if (w.node === c.object.metadata.name) this.#drop(key);
        }
        return;
      case 'pods':
        this.#onPod(c);
        return;
      case 'configmaps':
      case 'secrets':
      case 'persistentvolumeclaims':
        if (c.type === 'DELETED') return;
        for (const w of this.#workers.values()) if (w.namespace === (c.object.metadata.namespace ?? 'default')) w.nudge();
        return;
      default:
        return;
    }
  }

  #onPod(c: Change): void {
    const key = podKey(c.object);
    const existing = this.#workers.get(key);
    if (c.type === 'DELETED') {
      if (existing && existing.uid === c.object.metadata.uid) this.#drop(key);
      return;
    }
    if (existing) {
      if (existing.uid !== c.object.metadata.uid) this.#drop(key);
      else {
        existing.onPodUpdate(c.object);
        return;
      }
    }
    this.#admit(c.object);
  }

  /** Starts a worker for a pod bound to a running kubelet (a fresh, non-terminal pod). */
  #admit(pod: KubeObject): void {
    const node = podSpec(pod).nodeName;
    if (!node || !this.nodeRunning(node) || this.#workers.has(podKey(pod))) return;
    const status = pod['status'] as { containerStatuses?: unknown[] } | undefined;
    const ranBefore = isTerminal(pod) || !!status?.containerStatuses?.length;
    if (ranBefore && pod.metadata.deletionTimestamp && !this.ctx.nodeFaults.get(node).kubeletStopped) {
      // Being deleted and nothing of it runs here (finished, or run by an earlier kubelet): remove it.
      this.#removePod(pod);
      return;
    }
    // A pod some earlier kubelet already ran (the simulator restarted) is left as it is.
    if (ranBefore) return;
    const w = new PodWorker(this, pod);
    this.#workers.set(podKey(pod), w);
    if (pod.metadata.deletionTimestamp) {
      w.onPodUpdate(pod);
      return;
    }
    w.begin();
  }

  #removePod(pod: KubeObject): void {
    try {
      const current = this.ctx.store.get(res('pods'), pod.metadata.namespace, pod.metadata.name);
      if (current?.metadata.uid === pod.metadata.uid) this.ctx.store.delete(res('pods'), pod.metadata.namespace, pod.metadata.name);
    } catch {
      // already gone
    }
  }

  #drop(key: string): void {
    const w = this.#workers.get(key);
    if (!w) return;
    w.stop();
    this.#workers.delete(key);
    this.#publishQueue.delete(w);
    this.ctx.logs.dropPod(w.namespace, w.name);
    this.ctx.usage.dropPod(w.namespace, w.name);
  }

  #publish(w: PodWorker): void {
    if (!this.nodeRunning(w.node) || this.#workers.get(`${w.namespace}/${w.name}`) !== w) return;
    try {
      this.ctx.store.mutate(res('pods'), w.namespace, w.name, (p) => {
        if (p.metadata.uid !== w.uid) throw new Error('replaced');
        p['status'] = w.status(p['status'] as Record<string, unknown> | undefined);
      }, { subresource: 'status' });
    } catch {
      // Deleted or replaced meanwhile: the DELETED change drops the worker.
    }
  }

  // ---- node agents ----

  #startAgent(name: string): void {
    if (this.#agents.has(name)) return;
    const a: NodeAgent = { name, index: this.#nodeSeq++, heartbeat: undefined, eviction: undefined, running: false, images: new Set(), ips: new Set(), nextIp: 2, registered: false };
    this.#agents.set(name, a);
    a.heartbeat = this.ctx.clock.setTimer(0, () => this.#heartbeat(a));
    a.eviction = this.ctx.clock.setTimer(EVICTION_INTERVAL_MS, () => this.#evictionPass(a));
  }

  #stopAgent(a: NodeAgent): void {
    this.ctx.clock.clearTimer(a.heartbeat);
    this.ctx.clock.clearTimer(a.eviction);
    a.running = false;
  }

  #heartbeat(a: NodeAgent): void {
    a.heartbeat = this.ctx.clock.setTimer(NODE_STATUS_UPDATE_MS, () => this.#heartbeat(a));
    const faults = this.ctx.nodeFaults.get(a.name);
    if (faults.kubeletStopped) {
      a.running = false;
      return;
    }
    const resumed = !a.running;
    a.running = true;
    if (!a.registered) this.#register(a);
    this.#postNodeStatus(a);
    if (resumed) this.#resume(a);
    else for (const w of this.#workers.values()) if (w.node === a.name && w.pod.metadata.deletionTimestamp) w.resumeDeletion(w.pod);
  }

  /** The kubelet's node registration labels. */
  #register(a: NodeAgent): void {
    a.registered = true;
    const node = this.ctx.store.get(res('nodes'), undefined, a.name);
    if (!node) return;
    const wanted = { [HOSTNAME_LABEL]: a.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64' };
    const labels = node.metadata.labels ?? {};
    if (Object.keys(wanted).every((k) => k in labels)) return;
    try {
      this.ctx.store.mutate(res('nodes'), undefined, a.name, (n) => {
        n.metadata.labels = { ...wanted, ...(n.metadata.labels ?? {}) };
      });
    } catch {
      // node deleted
    }
  }

  /** After a start or a stop: take over the pods bound here and report their true status again. */
  #resume(a: NodeAgent): void {
    for (const pod of this.ctx.store.list(res('pods')).items) {
      if (podSpec(pod).nodeName !== a.name) continue;
      const w = this.#workers.get(podKey(pod));
      if (w) {
        this.requestPublish(w);
        if (pod.metadata.deletionTimestamp) w.resumeDeletion(pod);
      } else this.#admit(pod);
    }
  }

  #postNodeStatus(a: NodeAgent): void {
    const { store, clock, events, nodeFaults } = this.ctx;
    const node = store.get(res('nodes'), undefined, a.name);
    if (!node) return;
    const faults = nodeFaults.get(a.name);
    const now = clock.isoNow();
    const prior = nodeStatus(node);
    const transitions: string[] = [];
    const conditions: NodeCondition[] = (
      [
        ['MemoryPressure', faults.memoryPressure],
        ['DiskPressure', faults.diskPressure],
        ['PIDPressure', faults.pidPressure],
        ['Ready', true],
      ] as const
    ).map(([type, flag]) => {
      const status = flag ? 'True' : 'False';
      const [reason, message, eventReason] = nodeConditionText[type][status];
      const before = prior.conditions?.find((c) => c.type === type);
      if (before && before.status !== status) transitions.push(eventReason);
      return { type, status, lastHeartbeatTime: now, lastTransitionTime: before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now, reason, message };
    });
    const capacity = nodeCapacity(node);
    const allocatable = { ...capacity, ...(prior.allocatable ?? {}) };
    const status = {
      ...prior,
      capacity,
      allocatable,
      conditions,
      addresses: prior.addresses ?? [
        { type: 'InternalIP', address: this.hostIP(a.name) },
        { type: 'Hostname', address: a.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: machineId(a.name),
        systemUUID: machineId(`${a.name}-uuid`),
        bootID: machineId(`${a.name}-boot`),
        kernelVersion: '6.1.0-25-cloud-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.20',
        kubeletVersion: this.#version,
        kubeProxyVersion: this.#version,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
    let updated: KubeObject;
    try {
      updated = store.mutate(res('nodes'), undefined, a.name, (n) => {
        n['status'] = status;
      }, { subresource: 'status' });
    } catch {
      return;
    }
    for (const reason of transitions) events.record(updated, 'Normal', reason, msg.nodeStatus(a.name, reason), { component: KUBELET, host: a.name });
  }

  // ---- eviction manager ----

  #evictionPass(a: NodeAgent): void {
    a.eviction = this.ctx.clock.setTimer(EVICTION_INTERVAL_MS, () => this.#evictionPass(a));
    if (!a.running) return;
    const faults = this.ctx.nodeFaults.get(a.name);
    const resource = faults.memoryPressure ? 'memory' : faults.diskPressure ? 'ephemeral-storage' : undefined;
    if (!resource) return;
    const node = this.ctx.store.get(res('nodes'), undefined, a.name);
    if (!node) return;
    const candidates = [...this.#workers.values()].filter((w) => w.node === a.name && !w.terminal && (podSpec(w.pod).priority ?? 0) < CRITICAL_PRIORITY);
    this.ctx.events.record(node, 'Warning', 'EvictionThresholdMet', `Attempting to reclaim ${resource}`, { component: KUBELET, host: a.name });
    if (!candidates.length) return;
    const ranked = candidates
      .map((w) => {
        const usage = w.memoryUsage();
        const used = usage.reduce((s, c) => s + c.bytes, 0);
        const requested = usage.reduce((s, c) => s + bytesOf(c.request), 0);
        return { w, usage, exceeds: used > requested, priority: podSpec(w.pod).priority ?? 0, over: used - requested, qos: qosClass(w.pod) };
      })
      // rankMemoryPressure: usage above requests first, then priority, then usage above requests.
      .sort((x, y) => Number(y.exceeds) - Number(x.exceeds) || x.priority - y.priority || y.over - x.over || x.w.name.localeCompare(y.w.name));
    const victim = ranked[0];
    if (!victim) return;
    victim.w.evict(this.#evictionMessage(resource, node, victim.usage));
  }

  #evictionMessage(resource: 'memory' | 'ephemeral-storage', node: KubeObject, usage: { name: string; bytes: number; request: string }[]): string {
    const r = this.ctx.random;
    let message = `The node was low on resource: ${resource}. `;
    if (resource === 'memory') {
      const available = Math.round((MEMORY_THRESHOLD * (0.55 + r() * 0.4)) / 1024) * 1024;
      message += `Threshold quantity: ${formatBytes(MEMORY_THRESHOLD)}, available: ${available / 1024}Ki. `;
      for (const c of usage) {
        if (c.bytes <= bytesOf(c.request)) continue;
        message += `Container ${c.name} was using ${Math.round(c.bytes / 1024)}Ki, request is ${c.request}, has larger consumption of memory. `;
      }
    } else {
      const capacity = bytesOf(nodeCapacity(node)['ephemeral-storage']);
      const threshold = Math.floor(capacity * NODEFS_THRESHOLD_FRACTION);
      const available = Math.round((threshold * (0.5 + r() * 0.4)) / 1024);
      message += `Threshold quantity: ${formatBytes(threshold)}, available: ${available}Ki. `;
      for (const c of usage) message += `Container ${c.name} was using ${Math.round(2048 + r() * 800_000)}Ki, request is 0, has larger consumption of ephemeral-storage. `;
    }
    return message;
  }
}

function machineId(seed: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let i = 0; i < 4; i++) {
    for (const ch of `${seed}/${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}
