/**
 * Watches for Services that select pods but have no ready endpoint (`ServiceHasNoEndpoints`), from the
 * Service and Endpoints caches. A Service without ready endpoints opens an episode; the signal goes out
 * once the episode has lasted `graceMs` of cluster time, counted from the later of
 *
 * - when the endpoints last changed (the endpoints controller's change-time annotation) or when the
 *   agent first saw them empty, whichever is earlier: the Service has had none since then at least;
 * - the creation of the newest pod the Service selects: a workload starting up (a new Deployment, a
 *   Recreate rollout, a scale-up from zero) is not an outage until its pods have had the grace period.
 *
 * A ready endpoint closes the episode. A rolling update that keeps one endpoint ready never opens one.
 * Only Services without ready endpoints are kept, so the state follows the problems, not the cluster.
 */
import type { KubeObject } from '../core/kube/kube-types.js';
import { BACKEND_KINDS, endpointCounts, endpointsChangedAt, managedSelector, selectorMatches, serviceBackends, serviceNoEndpointsSignal } from '../core/classify/service-signals.js';
import type { StateSignal } from '../core/classify/state-signals.js';
import type { ObjectLookup } from './event-builder.js';

/** Kubernetes timestamps have second precision: a grace period that ends within a second has ended. */
const SLACK_MS = 1000;

export interface ServiceEndpointsMonitorOptions {
  /** How long (cluster time, ms) a Service may have no ready endpoint before the signal. */
  graceMs: number;
  lookup: ObjectLookup;
  /** Every cached object of a kind. */
  objects: (kind: string) => Iterable<KubeObject>;
  /** True once the Endpoints caches hold their first list (before that, "no Endpoints" means nothing). */
  endpointsSynced: () => boolean;
}

interface Episode {
  namespace: string;
  name: string;
  uid: string;
  /** Since when the Service has had no ready endpoint, epoch ms (cluster time). */
  sinceMs: number;
  /** Fixed when the episode opens: part of the signal key. */
  episode: string;
  /** The signal once sent (one per episode; persistence re-emits it). */
  signal: StateSignal | undefined;
}

export class ServiceEndpointsMonitor {
  readonly #o: ServiceEndpointsMonitorOptions;
  readonly #episodes = new Map<string, Episode>();
  /** Services touched before the Endpoints caches synced: looked at again once they have. */
  #deferred = new Set<string>();

  constructor(options: ServiceEndpointsMonitorOptions) {
    this.#o = options;
  }

  /** Services currently without a ready endpoint (open episodes). */
  get size(): number {
    return this.#episodes.size;
  }

  /**
   * A Service or its Endpoints changed: opens or closes the Service's episode. Returns the signal when
   * the episode is due already (e.g. the Endpoints say they changed long ago).
   */
  touch(namespace: string, name: string, nowMs: number): StateSignal | undefined {
    const key = `${namespace}/${name}`;
    if (!this.#o.endpointsSynced()) {
      this.#deferred.add(key);
      return undefined;
    }
    const entry = this.#refresh(namespace, name, nowMs);
    return entry ? this.#dueSignal(entry, nowMs) : undefined;
  }

  /** Every open episode (and every deferred Service): the signals that became due. */
  check(nowMs: number): StateSignal[] {
    if (!this.#o.endpointsSynced()) return [];
    const keys = new Set([...this.#episodes.keys(), ...this.#deferred]);
    this.#deferred = new Set();
    const out: StateSignal[] = [];
    for (const key of keys) {
      const [namespace, name] = splitKey(key);
      const sig = this.touch(namespace, name, nowMs);
      if (sig) out.push(sig);
    }
    return out;
  }

  /**
   * For persistence: the signal as it stands now when the episode `sig` belongs to is still open,
   * else undefined.
   */
  current(sig: StateSignal, nowMs: number): StateSignal | undefined {
    const namespace = sig.object.namespace ?? '';
    const entry = this.#refresh(namespace, sig.object.name, nowMs);
    if (!entry || entry.signal?.key !== sig.key) return undefined;
    const service = this.#o.lookup('Service', namespace, sig.object.name);
    const selector = managedSelector(service);
    if (!service || !selector) return undefined;
    return this.#signal(service, selector, entry, nowMs) ?? entry.signal;
  }

  /** Re-reads the Service and its Endpoints: the open episode, or undefined (closed, or nothing to watch). */
  #refresh(namespace: string, name: string, nowMs: number): Episode | undefined {
    const key = `${namespace}/${name}`;
    const service = this.#o.lookup('Service', namespace, name);
    const selector = managedSelector(service);
    if (!service || !selector) {
      this.#episodes.delete(key);
      return undefined;
    }
    const endpoints = this.#o.lookup('Endpoints', namespace, name);
    if (endpointCounts(endpoints).ready > 0) {
      this.#episodes.delete(key);
      return undefined;
    }
    const uid = service.metadata.uid ?? '';
    let entry = this.#episodes.get(key);
    if (entry && entry.uid !== uid) entry = undefined;
    if (!entry) {
      const changed = endpointsChangedAt(endpoints);
      const sinceMs = changed !== undefined ? Math.min(changed, nowMs) : nowMs;
      entry = { namespace, name, uid, sinceMs, episode: new Date(sinceMs).toISOString(), signal: undefined };
      this.#episodes.set(key, entry);
    }
    return entry;
  }

  #dueSignal(entry: Episode, nowMs: number): StateSignal | undefined {
    if (entry.signal !== undefined || nowMs - entry.sinceMs < this.#o.graceMs - SLACK_MS) return undefined;
    const service = this.#o.lookup('Service', entry.namespace, entry.name);
    const selector = managedSelector(service);
    if (!service || !selector) return undefined;
    if (nowMs - this.#newestSelectedPod(entry.namespace, selector) < this.#o.graceMs - SLACK_MS) return undefined;
    entry.signal = this.#signal(service, selector, entry, nowMs);
    return entry.signal;
  }

  #signal(service: KubeObject, selector: Record<string, string>, entry: Episode, nowMs: number): StateSignal | undefined {
    const namespace = service.metadata.namespace ?? '';
    const workloads = (function* (objects: ServiceEndpointsMonitorOptions['objects']) {
      for (const kind of BACKEND_KINDS) yield* objects(kind);
    })(this.#o.objects);
    return serviceNoEndpointsSignal({
      service,
      selector,
      backends: serviceBackends(selector, namespace, workloads),
      notReady: endpointCounts(this.#o.lookup('Endpoints', namespace, service.metadata.name)).notReady,
      sinceMs: entry.sinceMs,
      nowMs,
      episode: entry.episode,
    });
  }

  /** Creation time (epoch ms) of the newest live pod the selector matches; -Infinity when none. */
  #newestSelectedPod(namespace: string, selector: Record<string, string>): number {
    let newest = Number.NEGATIVE_INFINITY;
    for (const pod of this.#o.objects('Pod')) {
      if (pod.metadata.namespace !== namespace || pod.metadata.deletionTimestamp !== undefined || !selectorMatches(selector, pod.metadata.labels)) continue;
      const phase = (pod['status'] as { phase?: unknown } | undefined)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const created = Date.parse(pod.metadata.creationTimestamp ?? '');
      if (Number.isFinite(created) && created > newest) newest = created;
    }
    return newest;
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
