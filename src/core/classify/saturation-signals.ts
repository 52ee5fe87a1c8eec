/**
 * Resource saturation from metrics: `CPUThrottlingHigh` when a container's CPU usage stays at or above
 * a share of its CPU limit (the kernel throttles it: latency climbs, nothing restarts), and
 * `MemoryNearLimit` when its memory working set stays at or above a share of its memory limit (the
 * kernel OOM-kills it at the limit). "Stays" means in `samples` consecutive collections, so one busy
 * moment is not an alarm.
 *
 * Usage is metrics.k8s.io's PodMetrics (per container: cpu, memory = working set), limits are the pod
 * spec's. A container without a limit for a resource cannot saturate it. The detector keeps only the
 * containers at or above a threshold in the latest collection, so its memory follows the problems, not
 * the cluster. Pure (no I/O, no clock); never throws on odd objects.
 */
import type { KubeObject } from '../kube/kube-types.js';
import { formatBytes, formatMillicores } from '../kube/units.js';
import { asRecord, isRecord, list, text } from '../kube/read.js';
import { readBytes, readMillicores } from '../agent-metrics/field-readers.js';
import { stateSignalOf, type StateSignal } from './state-signals.js';

export const CPU_THROTTLING = 'CPUThrottlingHigh';
export const MEMORY_NEAR_LIMIT = 'MemoryNearLimit';
export const MEMORY_GROWTH = 'MemoryGrowthTowardsLimit';
export const SATURATION_REASONS: readonly string[] = [CPU_THROTTLING, MEMORY_NEAR_LIMIT, MEMORY_GROWTH];

export interface SaturationOptions {
  /** Share of the CPU limit (0-1] at or above which a container counts as throttled. */
  cpuRatio: number;
  /** Share of the memory limit (0-1] at or above which a container counts as near it. */
  memoryRatio: number;
  /** Consecutive collections at or above the share before the signal. */
  samples: number;
  /**
   * A leak: the working set grew in this many consecutive collections (a JVM warming up plateaus long
   * before), ...
   */
  growthSamples: number;
  /** ... at a pace that reaches the limit within this many ms, ... */
  growthHorizonMs: number;
  /** ... and it is already at or above this share of the limit. */
  growthMinRatio: number;
}

export const DEFAULT_SATURATION: Readonly<SaturationOptions> = Object.freeze({ cpuRatio: 0.9, memoryRatio: 0.9, samples: 2, growthSamples: 6, growthHorizonMs: 3_600_000, growthMinRatio: 0.5 });

interface Growth {
  podUid: string;
  firstAt: string;
  firstBytes: number;
  lastBytes: number;
  /** Consecutive collections with a larger working set than the one before. */
  increases: number;
  signal: StateSignal | undefined;
  reported: boolean;
}

/** Finds a cached pod by namespace and name. */
export type PodLookup = (namespace: string, name: string) => KubeObject | undefined;

interface Streak {
  podUid: string;
  count: number;
  /** The first collection of the streak (RFC 3339): part of the signal key, so one streak is one signal. */
  since: string;
  /** The latest reading as a signal, once the streak is long enough. */
  signal: StateSignal | undefined;
  /** Whether that signal has been returned by observe() already. */
  reported: boolean;
}

const percent = (r: number) => `${Math.round(r * 100)}%`;

export class SaturationDetector {
  readonly #o: SaturationOptions;
  #streaks = new Map<string, Streak>();
  #growth = new Map<string, Growth>();

  constructor(options: Partial<SaturationOptions> = {}) {
    this.#o = { ...DEFAULT_SATURATION, ...options };
  }

  /** Containers currently at or above a threshold (tracked state). */
  get size(): number {
    return this.#streaks.size + this.#growth.size;
  }

  /**
   * One collection: `podUsage` is the PodMetrics list (undefined when the metrics API did not answer,
   * which ends every streak: without a reading nothing can be said to still hold). Returns the signals
   * of streaks that just reached `samples` collections. `now` (RFC 3339) stamps readings without a
   * timestamp of their own.
   */
  observe(podUsage: Iterable<KubeObject> | undefined, pods: PodLookup, now: string): StateSignal[] {
    const previous = this.#streaks;
    const next = new Map<string, Streak>();
    this.#streaks = next;
    const previousGrowth = this.#growth;
    const nextGrowth = new Map<string, Growth>();
    this.#growth = nextGrowth;
    if (podUsage === undefined) return [];
    const out: StateSignal[] = [];
    for (const item of podUsage) {
      const meta = asRecord(asRecord(item)?.['metadata']);
      const namespace = text(meta?.['namespace']);
      const name = text(meta?.['name']);
      if (namespace === undefined || name === undefined) continue;
      const pod = pods(namespace, name);
      const podMeta = asRecord(pod?.metadata);
      if (!pod || text(podMeta?.['deletionTimestamp']) !== undefined || text(asRecord(pod['status'])?.['phase']) !== 'Running') continue;
      const podUid = text(podMeta?.['uid']) ?? '';
      const at = text(asRecord(item)?.['timestamp']) ?? now;
      const limits = containerLimits(pod);
      for (const c of list(asRecord(item)?.['containers'])) {
        if (!isRecord(c)) continue;
        const container = text(c['name']);
        const limit = container !== undefined ? limits.get(container) : undefined;
        if (container === undefined || limit === undefined) continue;
        const usage = asRecord(c['usage']);
        const cpu = readMillicores(usage?.['cpu']);
        const memory = readBytes(usage?.['memory']);
        if (cpu !== undefined && limit.cpu !== undefined && limit.cpu > 0 && cpu >= this.#o.cpuRatio * limit.cpu) {
          const message = `container ${container} CPU usage ${formatMillicores(cpu)} is ${percent(cpu / limit.cpu)} of its limit ${formatMillicores(limit.cpu)}`;
          const details = { usage_millicores: Math.round(cpu), limit_millicores: Math.round(limit.cpu), ratio: round2(cpu / limit.cpu) };
          this.#advance(previous, next, out, { reason: CPU_THROTTLING, pod, podUid, namespace, name, container, at, now, message, tail: 'the kernel throttles it, so requests slow down', details });
        }
        if (memory !== undefined && limit.memory !== undefined && limit.memory > 0 && memory >= this.#o.memoryRatio * limit.memory) {
          const message = `container ${container} memory working set ${formatBytes(memory)} is ${percent(memory / limit.memory)} of its limit ${formatBytes(limit.memory)}`;
          const details = { usage_bytes: Math.round(memory), limit_bytes: Math.round(limit.memory), ratio: round2(memory / limit.memory) };
          this.#advance(previous, next, out, { reason: MEMORY_NEAR_LIMIT, pod, podUid, namespace, name, container, at, now, message, tail: 'the kernel OOM-kills it at the limit', details });
        }
        if (memory !== undefined && limit.memory !== undefined && limit.memory > 0) {
          this.#grow(previousGrowth, nextGrowth, out, { pod, podUid, namespace, name, container, at, now, memory, limit: limit.memory });
        }
      }
    }
    return out;
  }

  /**
   * The latest reading of the saturation `sig` reported, while it still holds (the latest collection
   * was at or above the threshold, same pod, same streak); undefined once it is over.
   */
  current(sig: StateSignal): StateSignal | undefined {
    if (sig.reason === MEMORY_GROWTH) {
      const growth = this.#growth.get(streakKey(sig.reason, sig.object.namespace ?? '', sig.object.name, sig.container ?? ''));
      return growth?.signal !== undefined && growth.signal.key === sig.key ? growth.signal : undefined;
    }
    const streak = this.#streaks.get(streakKey(sig.reason, sig.object.namespace ?? '', sig.object.name, sig.container ?? ''));
    return streak?.signal !== undefined && streak.signal.key === sig.key ? streak.signal : undefined;
  }

  /**
   * A leak before the OOM kill: the working set grew in `growthSamples` collections in a row, is past
   * `growthMinRatio` of the limit, and at the pace of the streak reaches the limit within `growthHorizonMs`
   * (a linear projection, like Prometheus' predict_linear). Any collection that does not grow ends it.
   */
  #grow(previous: Map<string, Growth>, next: Map<string, Growth>, out: StateSignal[], r: GrowthReading): void {
    const key = streakKey(MEMORY_GROWTH, r.namespace, r.name, r.container);
    const prev = previous.get(key);
    const growing = prev !== undefined && prev.podUid === r.podUid && r.memory > prev.lastBytes;
    const g: Growth = growing ? { ...prev, lastBytes: r.memory, increases: prev.increases + 1 } : { podUid: r.podUid, firstAt: r.at, firstBytes: r.memory, lastBytes: r.memory, increases: 0, signal: undefined, reported: false };
    // Only growing containers are remembered: memory follows the suspects, not the cluster.
    if (!growing && prev === undefined && r.memory < this.#o.growthMinRatio * r.limit * 0.5) return;
    next.set(key, g);
    if (g.increases < this.#o.growthSamples || r.memory < this.#o.growthMinRatio * r.limit) return;
    const spanMs = Date.parse(r.at) - Date.parse(g.firstAt);
    if (!(spanMs > 0)) return;
    const perMs = (g.lastBytes - g.firstBytes) / spanMs;
    const etaMs = (r.limit - r.memory) / perMs;
    if (!(perMs > 0) || etaMs > this.#o.growthHorizonMs) return;
    const minutes = Math.max(1, Math.round(etaMs / 60_000));
    const message =
      `container ${r.container} memory working set grew from ${formatBytes(g.firstBytes)} to ${formatBytes(r.memory)} in ${g.increases} consecutive collections since ${g.firstAt} ` +
      `(${formatBytes(perMs * 60_000)}/min); at this pace it reaches its limit ${formatBytes(r.limit)} in about ${minutes} min and is OOM-killed`;
    const details = { usage_bytes: Math.round(r.memory), limit_bytes: Math.round(r.limit), ratio: round2(r.memory / r.limit), bytes_per_minute: Math.round(perMs * 60_000), minutes_to_limit: minutes, consecutive: g.increases, since: g.firstAt };
    g.signal = stateSignalOf('Pod', r.pod, MEMORY_GROWTH, message, r.now, { when: r.at, keyParts: [g.firstAt], container: r.container, details });
    if (g.signal && !g.reported) {
      g.reported = true;
      out.push(g.signal);
    }
  }

  #advance(previous: Map<string, Streak>, next: Map<string, Streak>, out: StateSignal[], r: Reading): void {
    const key = streakKey(r.reason, r.namespace, r.name, r.container);
    const prev = previous.get(key);
    const streak: Streak = prev && prev.podUid === r.podUid ? { ...prev, count: prev.count + 1 } : { podUid: r.podUid, count: 1, since: r.at, signal: undefined, reported: false };
    next.set(key, streak);
    if (streak.count < this.#o.samples) return;
    const threshold = r.reason === CPU_THROTTLING ? this.#o.cpuRatio : this.#o.memoryRatio;
    const message = `${r.message} (at or above ${percent(threshold)} in ${streak.count} consecutive collections since ${streak.since}); ${r.tail}`;
    streak.signal = stateSignalOf('Pod', r.pod, r.reason, message, r.now, { when: r.at, keyParts: [streak.since], container: r.container, details: { ...r.details, consecutive: streak.count, since: streak.since } });
    if (streak.signal && !streak.reported) {
      streak.reported = true;
      out.push(streak.signal);
    }
  }
}

/** One container's reading in one collection. */
interface ContainerReading {
  pod: KubeObject;
  podUid: string;
  namespace: string;
  name: string;
  container: string;
  at: string;
  now: string;
}

interface GrowthReading extends ContainerReading {
  memory: number;
  limit: number;
}

interface Reading extends ContainerReading {
  reason: string;
  message: string;
  tail: string;
  details: Record<string, number>;
}

function streakKey(reason: string, namespace: string, name: string, container: string): string {
  return `${reason}\0${namespace}/${name}\0${container}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** CPU (millicores) and memory (bytes) limits of each regular container of the pod spec. */
function containerLimits(pod: KubeObject): Map<string, { cpu: number | undefined; memory: number | undefined }> {
  const out = new Map<string, { cpu: number | undefined; memory: number | undefined }>();
  for (const c of list(asRecord(pod['spec'])?.['containers'])) {
    if (!isRecord(c)) continue;
    const name = text(c['name']);
    if (name === undefined || out.has(name)) continue;
    const limits = asRecord(asRecord(c['resources'])?.['limits']);
    out.set(name, { cpu: readMillicores(limits?.['cpu']), memory: readBytes(limits?.['memory']) });
  }
  return out;
}
