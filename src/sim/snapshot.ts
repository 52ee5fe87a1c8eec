/**
 * The simulator's cluster as the root-cause analysis sees it (src/core/rca/snapshot.ts): every stored
 * object with the core/v1 Events, the current and `--previous` log of every container, and — when a
 * `SimMetricsRecorder` sampled the run — per-pod and per-container usage series. The same shape a
 * `kubectl cluster-info dump` or the manager's command API yields, so the engine cannot tell the
 * simulator from a real cluster.
 */
import type { KubeObject } from '../core/kube/kube-types.js';
import { isRecord, list, num, text } from '../core/kube/read.js';
import type { ClusterSnapshot, ContainerLog, MetricSeries } from '../core/rca/snapshot.js';
import { rfc3339Nano } from './api/logs.js';
import { RESOURCES, apiVersionOf, infoFor, res } from './resources.js';
import type { Timer } from './clock.js';
import type { SimContext } from './sim-context.js';
import type { Simulation } from './simulation.js';

export const DEFAULT_SNAPSHOT_LOG_LINES = 400;
export const DEFAULT_METRICS_EVERY_MS = 30_000;
export const DEFAULT_METRICS_MAX_SAMPLES = 120;

export interface SnapshotOptions {
  /** Usage series sampled during the run; without it the snapshot has no metrics. */
  metrics?: SimMetricsRecorder;
  /** The newest lines kept per container instance, as `kubectl logs --tail`. Default 400. */
  maxLogLines?: number;
}

/**
 * The simulation's cluster now. Secrets keep their metadata only, as the analysis never needs values.
 * Log lines carry the runtime's RFC 3339 prefix (`kubectl logs --timestamps`).
 */
export function snapshotFromSimulation(sim: Simulation, options: SnapshotOptions = {}): ClusterSnapshot {
  return snapshotFromContext(sim.ctx, options);
}

/** As snapshotFromSimulation, from a bare context (controller tests, `aetherius sim`). */
export function snapshotFromContext(ctx: SimContext, options: SnapshotOptions = {}): ClusterSnapshot {
  const objects: KubeObject[] = [];
  const seen = new Set<string>();
  for (const t of RESOURCES) {
    if (t.readOnly || t.group === 'events.k8s.io') continue;
    const info = infoFor(t);
    if (seen.has(info.key)) continue;
    seen.add(info.key);
    for (const obj of ctx.store.list(info).items) {
      const o: KubeObject = { ...obj, apiVersion: obj.apiVersion || apiVersionOf(t), kind: obj.kind || t.kind };
      if (t.kind === 'Secret') {
        delete o['data'];
        delete o['stringData'];
      }
      objects.push(o);
    }
  }
  const maxLines = options.maxLogLines ?? DEFAULT_SNAPSHOT_LOG_LINES;
  const logs: ContainerLog[] = [];
  for (const pod of ctx.store.list(res('pods')).items) {
    const namespace = pod.metadata.namespace ?? 'default';
    const status = isRecord(pod['status']) ? pod['status'] : {};
    const statuses = [...list(status['initContainerStatuses']), ...list(status['containerStatuses'])].filter(isRecord);
    for (const cs of statuses) {
      const container = text(cs['name']);
      if (container === undefined) continue;
      const restarts = num(cs['restartCount']) ?? 0;
      for (const [instance, previous] of [[restarts - 1, true], [restarts, false]] as const) {
        if (instance < 0) continue;
        const lines = ctx.logs.read(namespace, pod.metadata.name, container, instance);
        if (!lines?.length) continue;
        logs.push({ namespace, pod: pod.metadata.name, container, previous, lines: lines.slice(-maxLines).map((l) => `${rfc3339Nano(l.time)} ${l.text}`) });
      }
    }
  }
  return { clusterId: ctx.clusterId, at: ctx.clock.now(), objects, logs, metrics: options.metrics?.series() ?? [] };
}

export interface SimMetricsRecorderOptions {
  /** Simulated ms between samples. Default 30 s. */
  everyMs?: number;
  /** Samples kept per series, newest last. Default 120. */
  maxSamples?: number;
}

/**
 * Samples the kubelet's usage records on the simulated clock, as a metrics pipeline scraping
 * metrics.k8s.io would: `pod_memory_usage_bytes` and `pod_cpu_usage_millicores` (the agent's names,
 * labels `{namespace, pod, node}`) and `container_memory_usage_bytes` / `container_cpu_usage_millicores`
 * (labels `{namespace, pod, container}`). Start it before `run()`.
 */
export class SimMetricsRecorder {
  readonly #ctx: SimContext;
  readonly #everyMs: number;
  readonly #maxSamples: number;
  readonly #series = new Map<string, { name: string; labels: Record<string, string>; samples: [number, number][] }>();
  #timer: Timer | undefined;

  constructor(sim: Simulation | SimContext, options: SimMetricsRecorderOptions = {}) {
    this.#ctx = 'ctx' in sim ? sim.ctx : sim;
    this.#everyMs = options.everyMs ?? DEFAULT_METRICS_EVERY_MS;
    this.#maxSamples = options.maxSamples ?? DEFAULT_METRICS_MAX_SAMPLES;
  }

  start(): this {
    if (this.#timer) return this;
    const tick = (): void => {
      this.sample();
      this.#timer = this.#ctx.clock.setTimer(this.#everyMs, tick);
    };
    this.#timer = this.#ctx.clock.setTimer(this.#everyMs, tick);
    return this;
  }

  stop(): void {
    this.#ctx.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample of every pod with usage now. */
  sample(): void {
    const at = this.#ctx.clock.now();
    for (const p of this.#ctx.usage.pods()) {
      let cpu = 0;
      let memory = 0;
      for (const [container, u] of p.containers) {
        cpu += u.cpuMillicores;
        memory += u.memoryBytes;
        this.#add('container_memory_usage_bytes', { namespace: p.namespace, pod: p.name, container }, at, u.memoryBytes);
        this.#add('container_cpu_usage_millicores', { namespace: p.namespace, pod: p.name, container }, at, u.cpuMillicores);
      }
      this.#add('pod_memory_usage_bytes', { namespace: p.namespace, pod: p.name, node: p.node }, at, memory);
      this.#add('pod_cpu_usage_millicores', { namespace: p.namespace, pod: p.name, node: p.node }, at, cpu);
    }
  }

  series(): MetricSeries[] {
    return [...this.#series.values()].map((s) => ({ name: s.name, labels: { ...s.labels }, samples: s.samples.map(([t, v]) => [t, v] as const) }));
  }

  #add(name: string, labels: Record<string, string>, at: number, value: number): void {
    const key = `${name}\u0000${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}`;
    let s = this.#series.get(key);
    if (!s) {
      s = { name, labels, samples: [] };
      this.#series.set(key, s);
    }
    s.samples.push([at, value]);
    if (s.samples.length > this.#maxSamples) s.samples.splice(0, s.samples.length - this.#maxSamples);
  }
}
