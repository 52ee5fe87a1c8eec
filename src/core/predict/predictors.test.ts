import { describe, expect, it } from 'vitest';
import { parseWith, predictResponse, type Prediction } from '../../contracts/index.js';
import type { MetricSeries } from '../rca/snapshot.js';
import { seededRandom } from '../random.js';
import { DEFAULT_PREDICT_OPTIONS, PREDICTION_METRICS, confidence, formatSpan, predictFailures, validatePredictOptions, type PredictOptions } from './predictors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const T0 = Date.UTC(2025, 8, 30, 0);

const APP = { namespace: 'shop', pod: 'checkout-7d9f8b6c4-x2x9k', container: 'app' };

function series(name: string, labels: Record<string, string>, values: readonly number[], stepMs = MINUTE, start = T0): MetricSeries {
  return { name, labels, samples: values.map((v, i) => [start + i * stepMs, v] as const) };
}
const memory = (values: readonly number[], labels = APP) => series('container_memory_working_set_bytes', labels, values);
const memoryLimit = (bytes: number, labels = APP) => series('container_spec_memory_limit_bytes', labels, [bytes]);
const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

function only(predictions: Prediction[]): Prediction {
  expect(predictions).toHaveLength(1);
  return predictions[0] as Prediction;
}

/** The relative error of a predicted time to the event against the truth. */
const relErr = (p: Prediction, trueS: number) => Math.abs(p.time_to_event_s - trueS) / trueS;

describe('predictFailures: memory leaks', () => {
  it('predicts a linear leak reaching the limit, to within 5% of the true time', { timeout: 2_000 }, () => {
    // 30 MiB growing 5 MiB a minute for 15 minutes: 100 MiB now, 128 MiB in 5.6 minutes.
    const result = predictFailures([memory(range(15, (i) => (30 + 5 * i) * MiB)), memoryLimit(128 * MiB)]);
    const p = only(result.predictions);
    expect(p).toMatchObject({
      type: 'MemoryLeak',
      resource: { kind: 'Pod', name: APP.pod, namespace: 'shop' },
      metric: 'container_memory_working_set_bytes',
      labels: APP,
      window: 'short',
      model: 'theil-sen',
    });
    expect(relErr(p, 5.6 * 60)).toBeLessThan(0.05);
    expect(p.predicted_at).toBe(T0 + 14 * MINUTE + p.time_to_event_s * 1000);
    expect(p.confidence).toBeGreaterThan(0.5);
    expect(p.confidence).toBeLessThanOrEqual(1);
    expect(p.evidence[0]).toBe(
      `memory of container app in pod shop/${APP.pod} grows 5 MiB/min (Theil–Sen over 15 samples, R²=1); 128 MiB memory limit reached in ~6m`,
    );
    expect(result.evaluatedSeries).toBe(1);
    // The answer is a valid API response.
    expect(() => parseWith(predictResponse, { predictions: result.predictions, evaluated_series: result.evaluatedSeries }, 'response')).not.toThrow();
  });

  it('keeps the time to the limit right under noise and outliers that would mislead least squares', { timeout: 2_000 }, () => {
    const r = seededRandom(17);
    const values = range(60, (i) => (200 + 2 * i + (r() - 0.5) * 6) * MiB);
    for (const i of [48, 50, 51, 53, 55, 56, 58]) values[i] = 480 * MiB; // spikes still under the 512 MiB limit
    const result = predictFailures([memory(values), memoryLimit(512 * MiB)]);
    const p = only(result.predictions);
    // Truth: 318 MiB at minute 59, 2 MiB a minute, so 97 minutes to 512 MiB.
    const trueS = 97 * 60;
    expect(relErr(p, trueS)).toBeLessThan(0.05);
    expect(p.window).toBe('medium');
    expect(p.evidence[0]).toContain('7 outliers set aside');

    // Least squares through the same points predicts a much earlier failure.
    const pts = values.map((v, i) => [i, v] as const);
    const mx = pts.reduce((s, [x]) => s + x, 0) / pts.length;
    const my = pts.reduce((s, [, y]) => s + y, 0) / pts.length;
    const slope = pts.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / pts.reduce((s, [x]) => s + (x - mx) ** 2, 0);
    const olsNow = my + slope * (59 - mx);
    const olsS = ((512 * MiB - olsNow) / slope) * 60;
    expect(Math.abs(olsS - trueS) / trueS).toBeGreaterThan(0.25);
  });

  it('fits a sawtooth from the last drop, so an OOM kill and restart do not break the fit', { timeout: 2_000 }, () => {
    // 20 MiB growing 4 MiB a minute reaches the 128 MiB limit at minute 27 and is killed; the restarted
    // container starts at 15 MiB and leaks at the same rate: 95 MiB after 20 minutes, 8.25 minutes left.
    const values = [...range(28, (i) => (20 + 4 * i) * MiB), ...range(21, (i) => (15 + 4 * i) * MiB)];
    const input = [memory(values), memoryLimit(128 * MiB)];
    const p = only(predictFailures(input).predictions);
    expect(relErr(p, 8.25 * 60)).toBeLessThan(0.05);
    expect(p.evidence.join(' ')).toMatch(/after a drop from 128 MiB to 15 MiB .* 28 earlier samples left out/);

    // Without the reset rule the fit spans both teeth and gets the time badly wrong (or makes nothing of it).
    const naive = predictFailures(input, {}, { ...DEFAULT_PREDICT_OPTIONS, dropRatio: 1e-9 }).predictions[0];
    expect(naive === undefined || relErr(naive, 8.25 * 60) > 0.2).toBe(true);
  });

  it('finds a leak that began recently in a long flat history', { timeout: 2_000 }, () => {
    // Six flat hours at 200 MiB, then 90 minutes growing 2 MiB a minute: 380 MiB, 66 minutes to 512 MiB.
    const values = [...range(360, () => 200 * MiB), ...range(91, (i) => (200 + 2 * i) * MiB)];
    const p = only(predictFailures([memory(values), memoryLimit(512 * MiB)]).predictions);
    expect(relErr(p, 66 * 60)).toBeLessThan(0.05);
    expect(p.evidence.join(' ')).toContain('fitted over the last 1h of 7h30m of samples');
  });

  it('predicts nothing for a flat or a decreasing series', { timeout: 2_000 }, () => {
    const r = seededRandom(5);
    const flat = predictFailures([memory(range(120, () => (300 + (r() - 0.5) * 10) * MiB)), memoryLimit(512 * MiB)]);
    expect(flat.predictions).toEqual([]);
    expect(flat.verdicts[0]?.outcome).toMatch(/^(poor_fit|not_rising|beyond_horizon|low_confidence)$/);

    const falling = predictFailures([memory(range(60, (i) => (400 - 2 * i) * MiB)), memoryLimit(512 * MiB)]);
    expect(falling.predictions).toEqual([]);
    expect(falling.verdicts[0]).toMatchObject({ outcome: 'not_rising', model: 'theil-sen' });
  });

  it('waits for enough samples before judging', { timeout: 2_000 }, () => {
    const result = predictFailures([memory(range(5, (i) => (30 + 20 * i) * MiB)), memoryLimit(128 * MiB)]);
    expect(result.predictions).toEqual([]);
    expect(result.verdicts[0]?.outcome).toBe('warming_up');
    expect(result.evaluatedSeries).toBe(1);
  });

  it('says so when the limit is unknown or already reached, and skips stale series', { timeout: 2_000 }, () => {
    const leak = memory(range(15, (i) => (30 + 5 * i) * MiB));
    expect(predictFailures([leak]).verdicts[0]?.outcome).toBe('no_limit');
    expect(predictFailures([leak, memoryLimit(90 * MiB)]).verdicts[0]?.outcome).toBe('at_limit');
    const stale = predictFailures([leak, memoryLimit(128 * MiB)], { now: T0 + 14 * MINUTE + 2 * HOUR });
    expect(stale.predictions).toEqual([]);
    expect(stale.verdicts[0]?.outcome).toBe('stale');
  });

  it('handles NaN, infinity, unsorted and repeated timestamps without throwing', { timeout: 2_000 }, () => {
    const clean = memory(range(15, (i) => (30 + 5 * i) * MiB));
    const r = seededRandom(1);
    const dirty = [...clean.samples]
      .map((s) => [s, r()] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([s]) => s);
    const bad: (readonly [number, number])[] = [
      ...dirty,
      [T0 + 3 * MINUTE, Number.NaN],
      [Number.POSITIVE_INFINITY, 50 * MiB],
      [T0 + 4 * MINUTE, Number.NEGATIVE_INFINITY],
      [Number.NaN, 1],
      // A repeated timestamp: the last given value wins, and here it is the right one.
      [T0 + 7 * MINUTE, 999 * MiB],
      [T0 + 7 * MINUTE, 65 * MiB],
    ];
    const expected = only(predictFailures([clean, memoryLimit(128 * MiB)]).predictions);
    const got = only(predictFailures([{ ...clean, samples: bad }, memoryLimit(128 * MiB)]).predictions);
    expect(got.time_to_event_s).toBe(expected.time_to_event_s);

    const garbage: MetricSeries[] = [
      { name: 'container_memory_working_set_bytes', labels: APP, samples: [] },
      { name: 'container_memory_working_set_bytes', labels: { namespace: 'shop' }, samples: clean.samples },
      { name: 'container_memory_working_set_bytes', labels: { ...APP, container: 'POD' }, samples: clean.samples },
      { name: 'container_spec_memory_limit_bytes', labels: APP, samples: [[T0, Number.NaN]] },
      { name: 'pod_restarts_total', labels: { namespace: 'shop', pod: 'x' }, samples: [[Number.NaN, Number.NaN]] },
      { name: 'something_else', labels: {}, samples: [[T0, 1]] },
    ];
    const result = predictFailures(garbage);
    expect(result.predictions).toEqual([]);
    expect(result.evaluatedSeries).toBe(2); // the two with an identity; the pause container is not one
  });

  it('reports one prediction per container, not a second one for its pod', { timeout: 2_000 }, () => {
    const pod = { namespace: APP.namespace, pod: APP.pod };
    const result = predictFailures([
      memory(range(15, (i) => (30 + 5 * i) * MiB)),
      memoryLimit(128 * MiB),
      series('pod_memory_usage_bytes', pod, range(15, (i) => (40 + 5 * i) * MiB)),
      series('pod_memory_limit_bytes', pod, [160 * MiB]),
    ]);
    expect(result.evaluatedSeries).toBe(2);
    expect(only(result.predictions).metric).toBe('container_memory_working_set_bytes');
  });
});

describe('predictFailures: seasonal series', () => {
  /** 300 MiB ± 100 MiB over the day (peak at 06:00), 5-minute samples, for `days` days. */
  const wave = (days: number, trendPerDay = 0) => {
    const r = seededRandom(8);
    return range(days * 288, (i) => {
      const t = i * 5 * MINUTE;
      return (300 + 100 * Math.sin((2 * Math.PI * t) / DAY) + (trendPerDay * t) / DAY + (r() - 0.5) * 10) * MiB;
    });
  };

  it('uses Holt–Winters for a daily pattern and predicts nothing when the peak stays under the limit', { timeout: 10_000 }, () => {
    // Three days ending at midnight, on the morning rise; the peak (400 MiB) stays under 450 MiB.
    const input = [series('container_memory_working_set_bytes', APP, wave(3), 5 * MINUTE), memoryLimit(450 * MiB)];
    const result = predictFailures(input);
    expect(result.predictions).toEqual([]);
    expect(result.verdicts[0]).toMatchObject({ outcome: 'beyond_horizon', model: 'holt-winters' });
    expect(result.verdicts[0]?.detail).toMatch(/follows a daily pattern .* the forecast peaks at 40\d(\.\d)? MiB within 24h, under the 450 MiB memory limit/);

    // A straight line through the morning rise would have raised a false alarm.
    const lineOnly = predictFailures(input, {}, { ...DEFAULT_PREDICT_OPTIONS, seasonCandidatesMs: [] });
    expect(lineOnly.predictions).toHaveLength(1);
  });

  it('predicts the peak that crosses the limit when a trend runs beneath the season', { timeout: 10_000 }, () => {
    // Peaks at 405, 425, 445 MiB so far, growing 20 MiB a day: tomorrow's reaches 455 MiB about 4.3 h from now.
    const input = [series('container_memory_working_set_bytes', APP, wave(3, 20), 5 * MINUTE), memoryLimit(455 * MiB)];
    const p = only(predictFailures(input).predictions);
    expect(p).toMatchObject({ type: 'MemoryLeak', model: 'holt-winters', window: 'medium' });
    expect(p.time_to_event_s).toBeGreaterThan(3 * 3600);
    expect(p.time_to_event_s).toBeLessThan(5.5 * 3600);
    expect(p.evidence[0]).toContain('follows a daily pattern');

    // A limit the forecast peak barely clears is a less certain crossing.
    const marginal = only(predictFailures([input[0] as MetricSeries, memoryLimit(466 * MiB)]).predictions);
    expect(marginal.confidence).toBeLessThan(p.confidence - 0.2);
  });
});

describe('predictFailures: disks, nodes and restarts', () => {
  it('predicts a volume filling in the medium window', { timeout: 2_000 }, () => {
    const pvc = { namespace: 'shop', persistentvolumeclaim: 'data-postgres-0' };
    const r = seededRandom(2);
    // 40 GiB plus 1 GiB an hour for six hours: 46 GiB now, full (50 GiB) in 4 hours.
    const used = series('kubelet_volume_stats_used_bytes', pvc, range(361, (i) => 40 * GiB + (i / 60) * GiB + (r() - 0.5) * 20 * MiB));
    const p = only(predictFailures([used, series('kubelet_volume_stats_capacity_bytes', pvc, [50 * GiB])]).predictions);
    expect(p).toMatchObject({ type: 'DiskFull', resource: { kind: 'PersistentVolumeClaim', name: 'data-postgres-0', namespace: 'shop' }, window: 'medium' });
    expect(relErr(p, 4 * 3600)).toBeLessThan(0.05);
    expect(p.confidence).toBeGreaterThan(0.9);
  });

  it('predicts node memory pressure at allocatable, taken from a capacity given as a value', { timeout: 2_000 }, () => {
    const usage = series('node_memory_usage_bytes', { node: 'node-3' }, range(61, (i) => 12 * GiB + (i / 60) * 2 * GiB));
    const result = predictFailures([usage], { capacities: [{ name: 'node_memory_allocatable_bytes', labels: { node: 'node-3' }, value: 15 * GiB }] });
    const p = only(result.predictions);
    expect(p).toMatchObject({ type: 'NodeMemoryPressure', resource: { kind: 'Node', name: 'node-3' } });
    expect(p.resource.namespace).toBeUndefined();
    expect(relErr(p, 30 * 60)).toBeLessThan(0.05); // 14 GiB now, 2 GiB an hour
  });

  it('predicts node disk pressure at 90% of capacity, the kubelet eviction threshold', { timeout: 2_000 }, () => {
    const n = { node: 'node-1' };
    const used = series('node_fs_used_bytes', n, range(121, (i) => 60 * GiB + (i / 60) * 5 * GiB)); // 70 GiB now
    const p = only(predictFailures([used, series('node_fs_capacity_bytes', n, [100 * GiB])]).predictions);
    expect(p.type).toBe('NodeDiskPressure');
    expect(relErr(p, 4 * 3600)).toBeLessThan(0.05); // 90 GiB at 5 GiB an hour
    expect(p.evidence[0]).toContain('90% of the 100 GiB capacity');
  });

  it('predicts a restart storm from an accelerating restart rate, and none from a steady one', { timeout: 2_000 }, () => {
    const labels = { namespace: 'shop', pod: 'api-5c8d7f9b6-abcde' };
    // The restart rate grows from 1/h by 1.5/h every hour: 5.5/h after 3 hours, a storm (6/h) 20 minutes later.
    const accelerating = series('pod_restarts_total', labels, range(181, (i) => Math.floor(i / 60 + 0.75 * (i / 60) ** 2)));
    const p = only(predictFailures([accelerating]).predictions);
    expect(p).toMatchObject({ type: 'ApplicationCrash', resource: { kind: 'Pod', name: labels.pod }, window: 'short', metric: 'pod_restarts_total' });
    expect(p.time_to_event_s).toBeGreaterThan(5 * 60);
    expect(p.time_to_event_s).toBeLessThan(45 * 60);
    expect(p.evidence[0]).toMatch(/restarts of pod shop\/api-5c8d7f9b6-abcde accelerate .* restart storm \(6\/h\) reached in/);

    const steady = predictFailures([series('pod_restarts_total', labels, range(181, (i) => Math.floor((i / 60) * 2)))]);
    expect(steady.predictions).toEqual([]);
    expect(steady.verdicts[0]?.outcome).toMatch(/^(poor_fit|not_rising|beyond_horizon|low_confidence)$/);
  });
});

describe('predictFailures: scope', () => {
  const leak = memory(range(15, (i) => (30 + 5 * i) * MiB));
  // Ending with the pod's series: both are current at the same time.
  const nodeLeak = series('node_memory_usage_bytes', { node: 'node-3' }, range(61, (i) => 12 * GiB + (i / 60) * 2 * GiB), MINUTE, T0 - 46 * MINUTE);
  const all = [leak, memoryLimit(128 * MiB), nodeLeak, series('node_memory_allocatable_bytes', { node: 'node-3' }, [15 * GiB])];

  it('narrows to a namespace (leaving nodes out) or to one resource', { timeout: 2_000 }, () => {
    expect(predictFailures(all).predictions.map((p) => p.type)).toEqual(['MemoryLeak', 'NodeMemoryPressure']);
    expect(predictFailures(all, { namespace: 'shop' }).predictions.map((p) => p.type)).toEqual(['MemoryLeak']);
    expect(predictFailures(all, { namespace: 'other' }).evaluatedSeries).toBe(0);
    expect(predictFailures(all, { resource: { kind: 'Node', name: 'node-3' } }).predictions.map((p) => p.type)).toEqual(['NodeMemoryPressure']);
  });

  it('drops predictions beyond the horizon', { timeout: 2_000 }, () => {
    expect(predictFailures(all, { horizonMs: 20 * MINUTE }).predictions.map((p) => p.type)).toEqual(['MemoryLeak']);
  });
});

describe('confidence', () => {
  it('falls with fewer samples, a poorer fit and a longer reach, and stays within 0–1', () => {
    const full = confidence(1, 30, HOUR, HOUR);
    expect(full).toBe(1);
    expect(confidence(1, 10, HOUR, HOUR)).toBeLessThan(full);
    expect(confidence(0.7, 30, HOUR, HOUR)).toBeLessThan(full);
    expect(confidence(1, 30, 3 * HOUR, HOUR)).toBeCloseTo(0.5, 9);
    expect(confidence(2, 1e6, 0, HOUR)).toBe(1);
    expect(confidence(Number.NaN, 30, HOUR, HOUR)).toBe(0);
    expect(confidence(1, 30, HOUR, 0)).toBe(0);
  });
});

describe('options and helpers', () => {
  it('accepts the defaults and names each bad option', () => {
    expect(validatePredictOptions(DEFAULT_PREDICT_OPTIONS)).toEqual([]);
    const bad: PredictOptions = { ...DEFAULT_PREDICT_OPTIONS, minSamples: 1, dropRatio: 1, minConfidence: 2 };
    expect(validatePredictOptions(bad).map((i) => i.path)).toEqual(['min_samples', 'min_confidence', 'drop_ratio']);
  });

  it('lists the metrics to fetch, usage and limits', () => {
    expect(PREDICTION_METRICS).toEqual(expect.arrayContaining(['pod_memory_usage_bytes', 'pod_memory_limit_bytes', 'kubelet_volume_stats_capacity_bytes', 'pod_restarts_total']));
  });

  it('writes spans as a person reads them', () => {
    expect([formatSpan(45_000), formatSpan(6 * MINUTE), formatSpan(80 * MINUTE), formatSpan(2 * HOUR), formatSpan(51 * HOUR)]).toEqual(['45s', '6m', '1h20m', '2h', '2d3h']);
  });
});
