/**
 * EventWatcher: informers on events, pods, nodes, workloads, PVCs and HPAs; every Kubernetes Event
 * (and every count increase of one) and every state transition worth a signal becomes an event message,
 * classified, filtered by the watcher config and handed to `emit` (the outbox).
 *
 * Informer handlers only queue work; a drain loop converts in chunks and yields to the event loop
 * between them, so a relist of 5,000 pods does not starve heartbeats, commands or /health.
 */
import { agentEvent, type AgentEvent, type Severity } from '../contracts/index.js';
import { Informer } from '../adapters/kube/index.js';
import type { Logger } from '../adapters/telemetry/index.js';
import { deriveStateSignals, severityAtLeast } from '../core/classify/index.js';
import type { Config } from '../core/config/index.js';
import { KUBE_RESOURCES, type KubeApi, type KubeResource } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import type { AgentTelemetry } from './agent-telemetry.js';
import { fromKubeEvent, fromStateSignal, type BuildContext, type ObjectLookup } from './event-builder.js';
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
  KUBE_RESOURCES.pods,
  KUBE_RESOURCES.events,
];

export interface EventWatcherOptions {
  api: KubeApi;
  clusterId: string;
  watcher: Config['agent']['watcher'];
  logger: Logger;
  telemetry: AgentTelemetry;
  /** Receives every event that passed the filters, already valid against the wire schema. */
  emit: (event: AgentEvent) => void;
  /** Injected clock (tests). */
  now?: () => number;
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

  constructor(options: EventWatcherOptions) {
    this.#o = options;
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

  /**
   * Stops the informers, then converts everything still queued or waiting, so no state transition seen
   * before the stop is lost (a Kubernetes Event would come back on the next list; a transition would not).
   */
  async stop(): Promise<void> {
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
      const nowMs = this.#o.now?.() ?? Date.now();
      const ctx: BuildContext = { clusterId: this.#o.clusterId, lookup: this.lookup, now: new Date(nowMs).toISOString() };
      if (work.kind === 'Event') {
        const ev = fromKubeEvent(work.after, ctx);
        if (ev) {
          this.#o.telemetry.eventsSeen.inc({ type: 'k8s_event', severity: ev.severity });
          this.#offer(ev, ev.labels['event_type'] ?? '');
        }
        return;
      }
      for (const sig of deriveStateSignals(work.kind, work.before, work.after, ctx.now)) {
        const ev = fromStateSignal(sig, work.after, ctx);
        this.#o.telemetry.eventsSeen.inc({ type: 'state_change', severity: ev.severity });
        this.#offer(ev, undefined);
      }
    } catch (err) {
      // Conversion is pure; a throw here is a bug on odd data. Log it and keep watching.
      this.#log.error({ err, kind: work.kind, name: work.after.metadata?.name }, 'could not convert a watch notification');
    }
  }

  #offer(ev: AgentEvent, eventType: string | undefined): void {
    if (!this.#passes(ev.severity, ev.reason, eventType)) {
      this.#o.telemetry.eventsDropped.inc({ severity: ev.severity, reason: 'filtered' });
      return;
    }
    if (this.#o.validate ?? true) {
      const parsed = agentEvent.safeParse(ev);
      if (!parsed.success) {
        this.#o.telemetry.eventsDropped.inc({ severity: ev.severity, reason: 'invalid' });
        this.#log.error({ reason: ev.reason, kind: ev.labels.kind, issues: parsed.error.issues.slice(0, 3) }, 'event failed the wire schema; dropped');
        return;
      }
    }
    this.#o.emit(ev);
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
