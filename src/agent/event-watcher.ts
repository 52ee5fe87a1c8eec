/**
 * EventWatcher: informers on events, pods, nodes, workloads, PVCs, HPAs, Services and Endpoints; every
 * Kubernetes Event (and every count increase of one) and every state transition worth a signal becomes
 * an event message, classified, filtered by the watcher config and handed to `emit` (the outbox). It
 * also derives the signals that need more than one object or time: Services without ready endpoints
 * (ServiceEndpointsMonitor), containers saturating their limits (from the metrics the agent collects),
 * and the re-emission of conditions that still hold (StateResync), all measured in cluster time
 * (ClusterClock) and checked by `resyncStates()`.
 *
 * Informer handlers only queue work; a drain loop converts in chunks and yields to the event loop
 * between them, so a relist of 5,000 pods does not starve heartbeats, commands or /health.
 */
import { createHash } from 'node:crypto';
import { agentEvent, type AgentEvent, type Severity } from '../contracts/index.js';
import { Informer } from '../adapters/kube/index.js';
import type { Logger } from '../adapters/telemetry/index.js';
import { deriveStateSignals, severityAtLeast, type StateSignal } from '../core/classify/index.js';
import { DEFAULT_SATURATION, SATURATION_REASONS, SaturationDetector, type SaturationOptions } from '../core/classify/saturation-signals.js';
import { ENDPOINTS_CHANGE_ANNOTATION, SERVICE_NO_ENDPOINTS } from '../core/classify/service-signals.js';
import { stillHolds } from '../core/classify/state-persistence.js';
import type { Config } from '../core/config/index.js';
import { KUBE_RESOURCES, type KubeApi, type KubeResource } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import type { AgentTelemetry } from './agent-telemetry.js';
import { ClusterClock } from './cluster-clock.js';
import { fromKubeEvent, fromStateSignal, type BuildContext, type ObjectLookup } from './event-builder.js';
import { ServiceEndpointsMonitor } from './service-endpoints-monitor.js';
import { StateResync, type Reemission } from './state-resync.js';
import { slimEvent, trimmerFor } from './trim.js';

/** The kinds the agent watches (the issue's list), in start order: owners before the pods that point at them. */
export const WATCHED: readonly KubeResource[] = [
  KUBE_RESOURCES.nodes,
  KUBE_RESOURCES.deployments,
  KUBE_RESOURCES.replicasets,
  KUBE_RESOURCES.statefulsets,
  KUBE_RESOURCES.daemonsets,
  KUBE_RESOURCES.jobs,
  KUBE_RESOURCES.persistentvolumeclaims,
  KUBE_RESOURCES.horizontalpodautoscalers,
  KUBE_RESOURCES.endpoints,
  KUBE_RESOURCES.services,
  KUBE_RESOURCES.pods,
  KUBE_RESOURCES.events,
];

/** Settings of the signals that need time or more than one object (config keys under `agent`). */
export interface StateSignalSettings {
  /** `agent.service_endpoints_grace`: how long a Service may have no ready endpoint before ServiceHasNoEndpoints. */
  serviceEndpointsGraceMs: number;
  /** `agent.state_resync_interval`: re-emission interval of conditions that still hold; 0 = never. */
  stateResyncIntervalMs: number;
  /** `agent.cpu_throttling_ratio`, `agent.memory_near_limit_ratio`, `agent.saturation_samples`. */
  saturation: SaturationOptions;
  /** How often (wall clock) the watcher runs `resyncStates()` on its own; 0 = only when called. */
  checkIntervalMs: number;
}

export const DEFAULT_STATE_SIGNAL_SETTINGS: Readonly<StateSignalSettings> = Object.freeze({
  serviceEndpointsGraceMs: 60_000,
  stateResyncIntervalMs: 300_000,
  saturation: DEFAULT_SATURATION,
  checkIntervalMs: 10_000,
});

/** The settings from the agent's configuration. */
export function stateSignalSettings(agent: Config['agent']): StateSignalSettings {
  return {
    serviceEndpointsGraceMs: agent.service_endpoints_grace,
    stateResyncIntervalMs: agent.state_resync_interval,
    saturation: { cpuRatio: agent.cpu_throttling_ratio, memoryRatio: agent.memory_near_limit_ratio, samples: agent.saturation_samples, growthSamples: agent.memory_growth_samples, growthHorizonMs: agent.memory_growth_horizon, growthMinRatio: 0.5 },
    checkIntervalMs: DEFAULT_STATE_SIGNAL_SETTINGS.checkIntervalMs,
  };
}

export interface EventWatcherOptions {
  api: KubeApi;
  clusterId: string;
  watcher: Config['agent']['watcher'];
  logger: Logger;
  telemetry: AgentTelemetry;
  /** Receives every event that passed the filters, already valid against the wire schema. */
  emit: (event: AgentEvent) => void;
  /** Injected clock (tests). Default: the cluster clock (wall clock, or the cluster's timestamps when they run ahead). */
  now?: () => number;
  /** Service endpoints, saturation and re-emission settings (default DEFAULT_STATE_SIGNAL_SETTINGS). */
  signals?: Partial<StateSignalSettings>;
  /** Validate each message against the wire schema before emitting (default true). */
  validate?: boolean;
}

interface Work {
  kind: string;
  before: KubeObject | undefined;
  after: KubeObject;
  /** Times this notification waited for a related object to reach its cache. */
  waits?: number;
}

const CHUNK = 256;
/**
 * Each resource has its own watch stream, so a pod can arrive before its ReplicaSet, or an Event before
 * its pod. A notification whose related objects are not cached yet waits (as controller-runtime's
 * requeueAfter) up to WAIT_LIMIT × WAIT_MS, then goes out with what is known.
 */
const WAIT_MS = 250;
const WAIT_LIMIT = 8;
const OWNER_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export class EventWatcher {
  readonly #o: EventWatcherOptions;
  readonly #log: Logger;
  /** kind → namespace ('' = all / cluster-scoped) → informer. */
  readonly #informers = new Map<string, Map<string, Informer<KubeObject>>>();
  readonly #queue: Work[] = [];
  #head = 0;
  #draining = 0;
  /** Notifications waiting for a related object's cache, with their timers (drained at stop). */
  readonly #waiting = new Map<Work, NodeJS.Timeout>();
  #stopped = false;
  readonly #reasonFilter: Set<string> | undefined;
  readonly #typeFilter: Set<string> | undefined;
  readonly #settings: StateSignalSettings;
  readonly #clock = new ClusterClock();
  readonly #services: ServiceEndpointsMonitor;
  readonly #saturation: SaturationDetector;
  readonly #resync: StateResync;
  #checkTimer: NodeJS.Timeout | undefined;

  constructor(options: EventWatcherOptions) {
    this.#o = options;
    this.#settings = { ...DEFAULT_STATE_SIGNAL_SETTINGS, ...options.signals };
    this.#saturation = new SaturationDetector(this.#settings.saturation);
    this.#resync = new StateResync(this.#settings.stateResyncIntervalMs);
    this.#services = new ServiceEndpointsMonitor({
      graceMs: this.#settings.serviceEndpointsGraceMs,
      lookup: this.lookup,
      objects: (kind) => this.objects(kind),
      endpointsSynced: () => [...(this.#informers.get('Endpoints')?.values() ?? [])].every((i) => i.synced),
    });
    this.#log = options.logger.child({ component: 'event-watcher' });
    const w = options.watcher;
    this.#reasonFilter = w.reason_filters.length ? new Set(w.reason_filters) : undefined;
    this.#typeFilter = w.event_types.length ? new Set<string>(w.event_types) : undefined;
    const namespaces = w.namespaces.length ? w.namespaces : [''];
    for (const r of WATCHED) {
      const byNs = new Map<string, Informer<KubeObject>>();
      for (const ns of r.namespaced ? namespaces : ['']) {
        const informer = new Informer<KubeObject>(options.api, r, {
          ...(ns ? { namespace: ns } : {}),
          transform: trimmerFor(r.kind),
          ...(r.kind === 'Event' ? { slim: slimEvent } : {}),
          resyncPeriodMs: w.resync_period,
          logger: this.#log,
        });
        informer.addHandler(this.#handlerFor(r.kind));
        byNs.set(ns, informer);
      }
      this.#informers.set(r.kind, byNs);
    }
  }

  /** Finds a cached object (owner chains, node of a pod, the metrics collector). */
  readonly lookup: ObjectLookup = (kind, namespace, name) => {
    const byNs = this.#informers.get(kind);
    if (!byNs) return undefined;
    const informer = byNs.get('') ?? (namespace !== undefined ? byNs.get(namespace) : undefined);
    return informer?.get(namespace, name);
  };

  /** Every cached object of a kind, across the watched namespaces. */
  *objects(kind: string): Iterable<KubeObject> {
    for (const informer of this.#informers.get(kind)?.values() ?? []) yield* informer.list();
  }

  get synced(): boolean {
    for (const byNs of this.#informers.values()) for (const i of byNs.values()) if (!i.synced) return false;
    return true;
  }

  /** Resources whose informer has not synced yet (for readiness messages). */
  unsynced(): string[] {
    const out: string[] = [];
    for (const [kind, byNs] of this.#informers) for (const [ns, i] of byNs) if (!i.synced) out.push(ns ? `${kind}/${ns}` : kind);
    return out;
  }

  /** Notifications not yet converted: queued, or waiting for a related object's cache. */
  get backlog(): number {
    return this.#queue.length - this.#head + this.#waiting.size;
  }

  /**
   * Starts every informer; resolves when all have synced (their first list is cached), or rejects
   * after `timeoutMs` naming the ones that have not — they keep retrying in the background.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    this.#startChecks();
    const all = [...this.#informers.values()].flatMap((m) => [...m.values()]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`informers not synced after ${timeoutMs} ms: ${this.unsynced().join(', ')}`)), timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.all(all.map((i) => i.start())), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.#log.info({ resources: all.length, objects: all.reduce((n, i) => n + i.size, 0) }, 'informers synced');
  }

  /** Starts the periodic `resyncStates()` (every `checkIntervalMs` of wall time); start() calls it. */
  #startChecks(): void {
    if (this.#checkTimer || this.#settings.checkIntervalMs <= 0 || this.#stopped) return;
    this.#checkTimer = setInterval(() => this.resyncStates(), this.#settings.checkIntervalMs);
    this.#checkTimer.unref();
  }

  /** Cluster time now, epoch ms. */
  now(): number {
    return this.#o.now?.() ?? this.#clock.now();
  }

  /**
   * One check of the time-driven signals, at cluster time: Services whose grace period without ready
   * endpoints has passed, and re-emission of the conditions still holding whose interval has passed.
   * Runs every `checkIntervalMs` by itself; tests on simulated time call it once per simulated minute.
   * Returns the number of messages it produced (before filters).
   */
  resyncStates(): number {
    if (this.#stopped) return 0;
    let produced = 0;
    try {
      const nowMs = this.now();
      const ctx = this.#context(nowMs);
      for (const sig of this.#services.check(nowMs)) {
        this.#emitSignal(sig, this.lookup('Service', sig.object.namespace, sig.object.name), ctx, nowMs);
        produced++;
      }
      for (const r of this.#resync.due(nowMs, (tracked) => this.#stillHolds(tracked, nowMs, ctx.now))) {
        this.#emitSignal(r.signal, this.lookup(r.signal.object.kind, r.signal.object.namespace, r.signal.object.name), ctx, nowMs, r);
        produced++;
      }
    } catch (err) {
      this.#log.error({ err }, 'state resync failed');
    }
    return produced;
  }

  /**
   * The pod metrics of one collection (metrics.k8s.io PodMetrics; undefined when the API did not
   * answer): containers at or above their CPU or memory limit share in enough consecutive collections
   * become CPUThrottlingHigh / MemoryNearLimit. Returns the number of signals produced.
   */
  observeUsage(podUsage: Iterable<KubeObject> | undefined): number {
    if (this.#stopped) return 0;
    try {
      const items = podUsage === undefined ? undefined : [...podUsage];
      for (const item of items ?? []) this.#clock.observe(item['timestamp']);
      const nowMs = this.now();
      const ctx = this.#context(nowMs);
      const signals = this.#saturation.observe(items, (ns, name) => this.lookup('Pod', ns, name), ctx.now);
      for (const sig of signals) this.#emitSignal(sig, this.lookup('Pod', sig.object.namespace, sig.object.name), ctx, nowMs);
      return signals.length;
    } catch (err) {
      this.#log.error({ err }, 'saturation check failed');
      return 0;
    }
  }

  #stillHolds(tracked: StateSignal, nowMs: number, nowIso: string): StateSignal | undefined {
    const o = tracked.object;
    if (o.kind === 'Service' && tracked.reason === SERVICE_NO_ENDPOINTS) return this.#services.current(tracked, nowMs);
    if (o.kind === 'Pod' && SATURATION_REASONS.includes(tracked.reason)) return this.#saturation.current(tracked);
    return stillHolds(tracked, this.lookup(o.kind, o.namespace, o.name), nowIso);
  }

  #context(nowMs: number): BuildContext {
    return { clusterId: this.#o.clusterId, lookup: this.lookup, now: new Date(nowMs).toISOString() };
  }

  /**
   * Sends a state signal: the message with the signal's details in `raw_data`; a re-emission gets a new
   * id and `raw_data.repeat`. A transition that passes the filters is tracked for re-emission.
   */
  #emitSignal(sig: StateSignal, obj: KubeObject | undefined, ctx: BuildContext, nowMs: number, again?: Reemission): void {
    let ev = fromStateSignal(sig, obj, ctx);
    if (again) {
      const id = `state-${createHash('sha256').update(`${ctx.clusterId}\0${sig.key}\0repeat-${again.repeat}\0${nowMs}`).digest('hex').slice(0, 40)}`;
      ev = {
        ...ev,
        id,
        timestamp: ctx.now,
        raw_data: { ...ev.raw_data, ...sig.details, count: again.repeat + 1, first_timestamp: again.firstTimestamp, last_timestamp: ctx.now, repeat: again.repeat },
      };
    } else if (sig.details) {
      ev = { ...ev, raw_data: { ...ev.raw_data, ...sig.details } };
    }
    this.#o.telemetry.eventsSeen.inc({ type: 'state_change', severity: ev.severity });
    if (this.#offer(ev, undefined) && !again) this.#resync.track(sig, nowMs);
  }

  /**
   * Stops the informers, then converts everything still queued or waiting, so no state transition seen
   * before the stop is lost (a Kubernetes Event would come back on the next list; a transition would not).
   */
  async stop(): Promise<void> {
    if (this.#checkTimer) clearInterval(this.#checkTimer);
    this.#checkTimer = undefined;
    await Promise.all([...this.#informers.values()].flatMap((m) => [...m.values()].map((i) => i.stop())));
    this.#stopped = true;
    for (const [work, timer] of this.#waiting) {
      clearTimeout(timer);
      work.waits = WAIT_LIMIT;
      this.#queue.push(work);
    }
    this.#waiting.clear();
    while (this.#queue.length > this.#head) this.#process(this.#take());
  }

  /**
   * Sends a signal found outside the watch stream (the log scanner) the way state-derived signals go:
   * owners from the caches, the same filters, wire-schema check and telemetry, then `emit`.
   */
  offerSignal(sig: StateSignal, obj: KubeObject | undefined, raw?: Readonly<Record<string, unknown>>): void {
    if (this.#stopped) return;
    try {
      const ctx = this.#context(this.now());
      const ev = fromStateSignal(sig, obj, ctx, raw);
      this.#o.telemetry.eventsSeen.inc({ type: 'state_change', severity: ev.severity });
      this.#offer(ev, undefined);
    } catch (err) {
      this.#log.error({ err, reason: sig.reason, name: sig.object.name }, 'could not convert a derived signal');
    }
  }

  /** Copies informer state into the telemetry gauges (called at scrape and heartbeat time). */
  refreshTelemetry(): void {
    for (const [kind, byNs] of this.#informers) {
      for (const [ns, i] of byNs) {
        const resource = ns ? `${kind}/${ns}` : kind;
        this.#o.telemetry.informerSynced.set({ resource }, i.synced ? 1 : 0);
        this.#o.telemetry.informerRelists.set({ resource }, i.stats().lists);
      }
    }
  }

  #handlerFor(kind: string) {
    if (kind === 'Event') {
      return {
        add: (ev: KubeObject) => this.#push({ kind, before: undefined, after: ev }),
        // Only a count increase is news; a resync or a field we do not read changing is not.
        update: (ev: KubeObject, old: KubeObject) => {
          if (eventCount(ev) > eventCount(old)) this.#push({ kind, before: old, after: ev });
        },
      };
    }
    return {
      add: (obj: KubeObject) => this.#push({ kind, before: undefined, after: obj }),
      update: (obj: KubeObject, old: KubeObject) => {
        if (obj !== old && obj.metadata.resourceVersion !== old.metadata.resourceVersion) this.#push({ kind, before: old, after: obj });
      },
    };
  }

  #push(work: Work): void {
    if (this.#stopped) return;
    this.#queue.push(work);
    // Over the buffer: convert the oldest now instead of dropping (the informer cannot be paused).
    while (this.#queue.length - this.#head > this.#o.watcher.buffer_size) this.#process(this.#take());
    if (this.#draining < this.#o.watcher.worker_count) {
      this.#draining++;
      setImmediate(() => this.#drain());
    }
  }

  #take(): Work {
    const w = this.#queue[this.#head++] as Work;
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return w;
  }

  #drain(): void {
    let n = 0;
    while (this.#queue.length > this.#head && n++ < CHUNK && !this.#stopped) this.#process(this.#take());
    if (this.#queue.length > this.#head && !this.#stopped) setImmediate(() => this.#drain());
    else this.#draining--;
  }

  /** True when an object the message would name (involved object, controller owners) is watched but not cached yet. */
  #missingRelated(work: Work): boolean {
    let obj: KubeObject | undefined = work.after;
    if (work.kind === 'Event') {
      const io = (work.after['involvedObject'] ?? {}) as { kind?: unknown; name?: unknown; namespace?: unknown };
      if (typeof io.kind !== 'string' || typeof io.name !== 'string' || !this.#informers.has(io.kind)) return false;
      obj = this.lookup(io.kind, typeof io.namespace === 'string' && io.namespace ? io.namespace : undefined, io.name);
      if (!obj) return true;
    }
    for (let depth = 0; obj && depth < 4; depth++) {
      const refs: { kind?: unknown; name?: unknown; controller?: unknown }[] = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
      const owner = refs.find((r) => r.controller) ?? refs[0];
      if (!owner || typeof owner.kind !== 'string' || typeof owner.name !== 'string' || !OWNER_KINDS.has(owner.kind)) return false;
      const next = this.lookup(owner.kind, obj.metadata.namespace, owner.name);
      if (!next) return true;
      obj = next;
    }
    return false;
  }

  #process(work: Work): void {
    if (!this.#stopped && (work.waits ?? 0) < WAIT_LIMIT && this.#missingRelated(work)) {
      work.waits = (work.waits ?? 0) + 1;
      const timer = setTimeout(() => {
        this.#waiting.delete(work);
        this.#push(work);
      }, WAIT_MS);
      timer.unref();
      this.#waiting.set(work, timer);
      return;
    }
    try {
      this.#observeTimes(work);
      const nowMs = this.now();
      const ctx = this.#context(nowMs);
      if (work.kind === 'Service' || work.kind === 'Endpoints') {
        const sig = this.#services.touch(work.after.metadata.namespace ?? '', work.after.metadata.name, nowMs);
        if (sig) this.#emitSignal(sig, this.lookup('Service', sig.object.namespace, sig.object.name), ctx, nowMs);
        return;
      }
      if (work.kind === 'Event') {
        const ev = fromKubeEvent(work.after, ctx);
        if (ev) {
          this.#o.telemetry.eventsSeen.inc({ type: 'k8s_event', severity: ev.severity });
          this.#offer(ev, ev.labels['event_type'] ?? '');
        }
        return;
      }
      for (const sig of deriveStateSignals(work.kind, work.before, work.after, ctx.now)) this.#emitSignal(sig, work.after, ctx, nowMs);
    } catch (err) {
      // Conversion is pure; a throw here is a bug on odd data. Log it and keep watching.
      this.#log.error({ err, kind: work.kind, name: work.after.metadata?.name }, 'could not convert a watch notification');
    }
  }

  /** Server-stamped times in a notification move the cluster clock (see ClusterClock). */
  #observeTimes(work: Work): void {
    const meta = work.after.metadata;
    if (work.before === undefined) this.#clock.observe(meta?.creationTimestamp);
    if (work.kind === 'Endpoints') this.#clock.observe(meta?.annotations?.[ENDPOINTS_CHANGE_ANNOTATION]);
  }

  /** Filters, validates and emits; true when the event went out. */
  #offer(ev: AgentEvent, eventType: string | undefined): boolean {
    if (!this.#passes(ev.severity, ev.reason, eventType)) {
      this.#o.telemetry.eventsDropped.inc({ severity: ev.severity, reason: 'filtered' });
      return false;
    }
    if (this.#o.validate ?? true) {
      const parsed = agentEvent.safeParse(ev);
      if (!parsed.success) {
        this.#o.telemetry.eventsDropped.inc({ severity: ev.severity, reason: 'invalid' });
        this.#log.error({ reason: ev.reason, kind: ev.labels.kind, issues: parsed.error.issues.slice(0, 3) }, 'event failed the wire schema; dropped');
        return false;
      }
    }
    this.#o.emit(ev);
    return true;
  }

  #passes(severity: Severity, reason: string, eventType: string | undefined): boolean {
    if (!severityAtLeast(severity, this.#o.watcher.min_severity)) return false;
    if (this.#reasonFilter && !this.#reasonFilter.has(reason)) return false;
    // event_types (Normal/Warning) is a Kubernetes Event attribute; state-derived signals carry none.
    if (this.#typeFilter && eventType !== undefined && !this.#typeFilter.has(eventType)) return false;
    return true;
  }
}

function eventCount(ev: KubeObject): number {
  const c = ev['count'];
  if (typeof c === 'number') return c;
  const series = ev['series'] as { count?: unknown } | undefined;
  return typeof series?.count === 'number' ? series.count : 1;
}
