/**
 * Metric trends: memory near its limit, memory growing towards it (a leak), CPU pinned at its limit
 * (throttling) and volumes filling. Series use the agent's names (`pod_memory_usage_bytes`,
 * `pod_cpu_usage_millicores`, labels `{namespace, pod}`) or container-level ones
 * (`container_memory_usage_bytes`, `container_memory_working_set_bytes`,
 * `container_cpu_usage_millicores`, labels `{namespace, pod, container}`), plus
 * `kubelet_volume_stats_used_bytes` / `kubelet_volume_stats_capacity_bytes` (labels
 * `{namespace, persistentvolumeclaim}`). Limits come from the pod spec. Zero samples are a container
 * that is not running and are skipped.
 */
import { asRecord, isRecord, list } from '../kube/read.js';
import { bytesOf, cpuMillis, formatBytes } from '../kube/units.js';
import type { MetricSeries } from './snapshot.js';
import type { Topology } from './topology.js';
import { refKey, type ResourceRef, type Signal } from './types.js';

const MEMORY_SERIES = ['container_memory_working_set_bytes', 'container_memory_usage_bytes', 'pod_memory_usage_bytes'];
const CPU_SERIES = ['container_cpu_usage_millicores', 'pod_cpu_usage_millicores'];

/** Share of the limit at or above which memory counts as near it. */
export const MEMORY_NEAR_RATIO = 0.85;
/** Share of the cpu limit at or above which a sample counts as throttled. */
export const CPU_THROTTLE_RATIO = 0.9;
/** A leak: at least this many samples rising in the current run of the container ... */
export const GROWTH_MIN_SAMPLES = 6;
/** ... that reach the limit within this long at the fitted pace. */
export const GROWTH_HORIZON_MS = 4 * 3_600_000;

const MI = 2 ** 20;

interface Limits {
  memory: number;
  cpu: number;
}

function containerLimits(pod: Record<string, unknown>, container: string | undefined): Limits {
  let memory = 0;
  let cpu = 0;
  let all = true;
  for (const c of list(asRecord(pod['spec'])?.['containers'])) {
    if (!isRecord(c)) continue;
    if (container !== undefined && c['name'] !== container) continue;
    const lim = asRecord(asRecord(c['resources'])?.['limits']);
    const m = bytesOf(lim?.['memory']);
    const u = cpuMillis(lim?.['cpu']);
    if (!m || !u) all = false;
    memory += m;
    cpu += u;
  }
  // A pod-level series needs every container limited, else the cgroup is unbounded.
  if (container === undefined && !all) return { memory: memory && all ? memory : 0, cpu: cpu && all ? cpu : 0 };
  return { memory, cpu };
}

/** Least-squares slope (per ms) and R² of samples. */
function fit(samples: readonly (readonly [number, number])[]): { slope: number; r2: number } {
  const n = samples.length;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of samples) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of samples) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return { slope: 0, r2: 0 };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m}m` : `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}

interface Best {
  signal: Signal;
  score: number;
}

/** Extracts metric signals, one per workload and kind (the worst pod speaks for it). */
export function metricSignals(topo: Topology, series: readonly MetricSeries[]): Signal[] {
  const byKind = new Map<string, MetricSeries[]>();
  for (const s of series) {
    if (!s || typeof s.name !== 'string' || !Array.isArray(s.samples)) continue;
    let arr = byKind.get(s.name);
    if (!arr) byKind.set(s.name, (arr = []));
    arr.push(s);
  }
  const best = new Map<string, Best>();
  const keep = (key: string, signal: Signal, score: number): void => {
    const prior = best.get(key);
    const pods = Number(prior?.signal.fields['pods'] ?? 0) + 1;
    const winner = !prior || score > prior.score ? { signal, score } : prior;
    winner.signal.fields['pods'] = pods;
    best.set(key, winner);
  };

  const pick = (names: readonly string[]): MetricSeries[] => {
    // Container-level series when present; pod-level ones only for pods without them.
    const out: MetricSeries[] = [];
    const covered = new Set<string>();
    for (const name of names) {
      for (const s of byKind.get(name) ?? []) {
        const pk = `${s.labels['namespace'] ?? ''}/${s.labels['pod'] ?? ''}`;
        if (!s.labels['container'] && covered.has(pk)) continue;
        if (s.labels['container']) covered.add(pk);
        out.push(s);
      }
    }
    return out;
  };

  for (const s of pick(MEMORY_SERIES)) {
    const ns = s.labels['namespace'];
    const podName = s.labels['pod'];
    if (!ns || !podName) continue;
    const pod = topo.get('Pod', ns, podName);
    if (!pod) continue;
    const container = s.labels['container'];
    const limit = containerLimits(pod, container).memory;
    if (!limit) continue;
    const samples = s.samples.filter(([, v]) => v > 0);
    if (!samples.length) continue;
    const workload = topo.workloadOf(pod);
    const podRef: ResourceRef = { kind: 'Pod', name: podName, namespace: ns };
    const recent = samples.slice(-10);
    const peak = Math.max(...recent.map(([, v]) => v));
    const latest = (samples[samples.length - 1] as readonly [number, number])[1];
    const base = { ...(container ? { container } : {}), pod: podName, memory_limit: formatBytes(limit), pods: 1 };
    if (peak >= MEMORY_NEAR_RATIO * limit) {
      keep(`near|${refKey(workload)}`, { name: 'memory_near_limit', subject: podRef, refs: { workload: [workload], pod: [podRef] }, fields: { ...base, ratio: Math.round((peak / limit) * 100) / 100, percent: `${Math.round((peak / limit) * 100)}%`, usage: formatBytes(Math.round(peak / MI) * MI) } }, peak / limit);
    }
    // The current run: samples since the last drop (a restart resets the working set).
    let start = samples.length - 1;
    while (start > 0 && (samples[start - 1] as readonly [number, number])[1] <= (samples[start] as readonly [number, number])[1] * 1.02) start--;
    const run = samples.slice(start);
    if (run.length >= GROWTH_MIN_SAMPLES) {
      const { slope, r2 } = fit(run);
      const first = (run[0] as readonly [number, number])[1];
      if (slope > 0 && r2 >= 0.8 && latest > first * 1.05) {
        const etaMs = latest >= limit ? 0 : (limit - latest) / slope;
        if (etaMs <= GROWTH_HORIZON_MS) {
          const perMin = (slope * 60_000) / MI;
          keep(
            `growth|${refKey(workload)}`,
            {
              name: 'memory_growth',
              subject: podRef,
              refs: { workload: [workload], pod: [podRef] },
              fields: { ...base, rate: `${perMin >= 10 ? Math.round(perMin) : Math.round(perMin * 10) / 10}Mi/min`, rate_mi_per_min: Math.round(perMin * 100) / 100, usage: formatBytes(Math.round(latest / MI) * MI), ratio: Math.round((latest / limit) * 100) / 100, percent: `${Math.round((latest / limit) * 100)}%`, eta: minutes(etaMs), eta_min: Math.round(etaMs / 60_000), samples: run.length, over: minutes(((run[run.length - 1] as readonly [number, number])[0] - (run[0] as readonly [number, number])[0])) },
            },
            perMin,
          );
        }
      }
    }
  }

  for (const s of pick(CPU_SERIES)) {
    const ns = s.labels['namespace'];
    const podName = s.labels['pod'];
    if (!ns || !podName) continue;
    const pod = topo.get('Pod', ns, podName);
    if (!pod) continue;
    const container = s.labels['container'];
    const limit = containerLimits(pod, container).cpu;
    if (!limit) continue;
    const samples = s.samples.filter(([, v]) => v > 0).slice(-10);
    if (samples.length < 3) continue;
    const atLimit = samples.filter(([, v]) => v >= CPU_THROTTLE_RATIO * limit).length;
    const avg = samples.reduce((acc, [, v]) => acc + v, 0) / samples.length;
    if (atLimit / samples.length < 0.5) continue;
    const workload = topo.workloadOf(pod);
    const podRef: ResourceRef = { kind: 'Pod', name: podName, namespace: ns };
    const hpa = topo.hpaFor(workload);
    const hpaRefs = hpa ? { hpa: [{ kind: 'HorizontalPodAutoscaler', name: hpa.metadata.name, namespace: ns }] } : {};
    keep(`cpu|${refKey(workload)}`, { name: 'cpu_throttling', subject: podRef, refs: { workload: [workload], pod: [podRef], ...hpaRefs }, fields: { ...(container ? { container } : {}), pod: podName, cpu_limit: `${limit}m`, usage: `${Math.round(avg)}m`, ratio: Math.round((avg / limit) * 100) / 100, percent: `${Math.round((avg / limit) * 100)}%`, samples_at_limit: atLimit, samples: samples.length, pods: 1 } }, avg / limit);
  }

  const used = byKind.get('kubelet_volume_stats_used_bytes') ?? [];
  const capacity = byKind.get('kubelet_volume_stats_capacity_bytes') ?? [];
  for (const s of used) {
    const ns = s.labels['namespace'];
    const claim = s.labels['persistentvolumeclaim'];
    if (!ns || !claim) continue;
    const cap = capacity.find((c) => c.labels['namespace'] === ns && c.labels['persistentvolumeclaim'] === claim);
    const last = s.samples[s.samples.length - 1];
    const capLast = cap?.samples[cap.samples.length - 1];
    let capBytes = capLast?.[1];
    if (!capBytes) {
      const pvc = topo.get('PersistentVolumeClaim', ns, claim);
      capBytes = bytesOf(asRecord(asRecord(pvc?.['status'])?.['capacity'])?.['storage']) || bytesOf(asRecord(asRecord(asRecord(pvc?.['spec'])?.['resources'])?.['requests'])?.['storage']);
    }
    if (!last || !capBytes) continue;
    const ratio = last[1] / capBytes;
    if (ratio < 0.9) continue;
    const ref: ResourceRef = { kind: 'PersistentVolumeClaim', name: claim, namespace: ns };
    keep(`vol|${refKey(ref)}`, { name: 'volume_usage_high', subject: ref, refs: { pvc: [ref] }, fields: { pvc: `${ns}/${claim}`, ratio: Math.round(ratio * 100) / 100, percent: `${Math.round(ratio * 100)}%`, used: formatBytes(last[1]), capacity: formatBytes(capBytes) } }, ratio);
  }
  return [...best.values()].map((b) => b.signal);
}
