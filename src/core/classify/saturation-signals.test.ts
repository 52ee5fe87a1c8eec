import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-types.js';
import { classify } from './classify.js';
import { CPU_THROTTLING, MEMORY_GROWTH, MEMORY_NEAR_LIMIT, SaturationDetector } from './saturation-signals.js';

type Obj = Record<string, unknown>;
const Mi = 1024 * 1024;

function pod(name: string, limits: Obj | undefined, meta: Obj = {}, status: Obj = { phase: 'Running' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'billing', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2025-09-30T10:00:00Z', ...meta },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', resources: limits ? { limits } : {} }, { name: 'sidecar' }] },
    status,
  };
}

function usage(name: string, cpu: string, memory: string, at: string, container = 'app'): KubeObject {
  return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name, namespace: 'billing', uid: '', resourceVersion: '', creationTimestamp: at }, timestamp: at, window: '30s', containers: [{ name: container, usage: { cpu, memory } }] };
}

const t = (min: number) => `2025-09-30T10:${String(min).padStart(2, '0')}:00Z`;

function lookupOf(pods: KubeObject[]) {
  return (ns: string, name: string) => pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name);
}

describe('SaturationDetector', () => {
  const pods = [pod('renderer-1', { cpu: '1', memory: '1Gi' })];
  const lookup = lookupOf(pods);

  it('reports CPUThrottlingHigh once, at the second consecutive collection at or above 90% of the CPU limit', () => {
    const d = new SaturationDetector();
    expect(d.observe([usage('renderer-1', '950m', '100Mi', t(1))], lookup, t(1))).toEqual([]);
    const second = d.observe([usage('renderer-1', '1000m', '100Mi', t(2))], lookup, t(2));
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({
      reason: CPU_THROTTLING,
      object: { kind: 'Pod', name: 'renderer-1', namespace: 'billing', uid: 'uid-renderer-1' },
      container: 'app',
      node: 'node-1',
      timestamp: t(2),
      details: { usage_millicores: 1000, limit_millicores: 1000, ratio: 1, consecutive: 2, since: t(1) },
    });
    expect(second[0]?.message).toBe(`container app CPU usage 1000m is 100% of its limit 1000m (at or above 90% in 2 consecutive collections since ${t(1)}); the kernel throttles it, so requests slow down`);
    // Still pinned: no new transition, but the condition holds (for re-emission) with the latest reading.
    expect(d.observe([usage('renderer-1', '990m', '100Mi', t(3))], lookup, t(3))).toEqual([]);
    const held = second[0] && d.current(second[0]);
    expect(held?.key).toBe(second[0]?.key);
    expect(held?.message).toContain('CPU usage 990m is 99%');
    // Below the threshold once: over, and a new streak needs two collections again.
    expect(d.observe([usage('renderer-1', '500m', '100Mi', t(4))], lookup, t(4))).toEqual([]);
    expect(second[0] && d.current(second[0])).toBeUndefined();
    expect(d.observe([usage('renderer-1', '950m', '100Mi', t(5))], lookup, t(5))).toEqual([]);
    const again = d.observe([usage('renderer-1', '950m', '100Mi', t(6))], lookup, t(6));
    expect(again).toHaveLength(1);
    expect(again[0]?.key).not.toBe(second[0]?.key);
  });

  it('reports MemoryNearLimit for a working set at or above 90% of the memory limit in two collections', () => {
    const d = new SaturationDetector();
    d.observe([usage('renderer-1', '10m', '930Mi', t(1))], lookup, t(1));
    const out = d.observe([usage('renderer-1', '10m', '1000Mi', t(2))], lookup, t(2));
    expect(out.map((s) => s.reason)).toEqual([MEMORY_NEAR_LIMIT]);
    expect(out[0]?.message).toBe(`container app memory working set 1000Mi is 98% of its limit 1Gi (at or above 90% in 2 consecutive collections since ${t(1)}); the kernel OOM-kills it at the limit`);
    expect(out[0]?.details).toMatchObject({ usage_bytes: 1000 * Mi, limit_bytes: 1024 * Mi, ratio: 0.98 });
    expect(classify({ reason: MEMORY_NEAR_LIMIT, type: 'state_change', kind: 'Pod' })).toMatchObject({ severity: 'high', category: 'pod_failure' });
    expect(classify({ reason: CPU_THROTTLING, type: 'state_change', kind: 'Pod' })).toMatchObject({ severity: 'medium', category: 'pod_failure' });
  });

  it('reports MemoryGrowthTowardsLimit for a leak: steady growth that reaches the limit within the horizon, before the OOM kill', () => {
    const d = new SaturationDetector();
    const leak = (min: number) => d.observe([usage('renderer-1', '10m', `${400 + 20 * min}Mi`, t(min))], lookup, t(min));
    for (let m = 0; m < 6; m++) expect(leak(m)).toEqual([]);
    const out = leak(6);
    expect(out.map((x) => x.reason)).toEqual([MEMORY_GROWTH]);
    expect(out[0]?.details).toMatchObject({ usage_bytes: 520 * Mi, bytes_per_minute: 20 * Mi, minutes_to_limit: 25, consecutive: 6, since: t(0) });
    expect(out[0]?.message).toContain('reaches its limit 1Gi in about 25 min');
    expect(classify({ reason: MEMORY_GROWTH, type: 'state_change', kind: 'Pod' })).toMatchObject({ severity: 'high', category: 'pod_failure' });
    // Once per streak; it holds while it grows, and ends when it stops growing.
    expect(leak(7)).toEqual([]);
    expect(out[0] && d.current(out[0])?.details).toMatchObject({ usage_bytes: 540 * Mi });
    expect(d.observe([usage('renderer-1', '10m', '540Mi', t(8))], lookup, t(8))).toEqual([]);
    expect(out[0] && d.current(out[0])).toBeUndefined();
  });

  it('does not call warm-up, slow growth or small usage a leak', () => {
    const d = new SaturationDetector();
    // A JVM warming up: grows for three minutes, then flat.
    const warm = [300, 420, 480, 500, 500, 500, 500, 500, 500];
    expect(warm.flatMap((mi, m) => d.observe([usage('renderer-1', '10m', `${mi}Mi`, t(m))], lookup, t(m)))).toEqual([]);
    // 1Mi a minute from 600Mi: the limit is hours away.
    const slow = new SaturationDetector();
    expect(Array.from({ length: 12 }, (_, m) => slow.observe([usage('renderer-1', '10m', `${600 + m}Mi`, t(m))], lookup, t(m))).flat()).toEqual([]);
    // Fast but small (below half the limit).
    const small = new SaturationDetector();
    expect(Array.from({ length: 12 }, (_, m) => small.observe([usage('renderer-1', '10m', `${100 + 30 * m}Mi`, t(m))], lookup, t(m))).flat()).toEqual([]);
  });

  it('does not report a single busy collection, an interrupted streak, or a container without a limit', () => {
    const d = new SaturationDetector();
    const noLimit = lookupOf([pod('renderer-1', undefined)]);
    for (let i = 1; i <= 5; i++) expect(d.observe([usage('renderer-1', '4000m', '8Gi', t(i))], noLimit, t(i))).toEqual([]);
    const e = new SaturationDetector();
    expect(e.observe([usage('renderer-1', '950m', '10Mi', t(1))], lookup, t(1))).toEqual([]);
    expect(e.observe(undefined, lookup, t(2))).toEqual([]); // the metrics API did not answer: the streak ends
    expect(e.observe([usage('renderer-1', '950m', '10Mi', t(3))], lookup, t(3))).toEqual([]);
    expect(e.size).toBe(1);
  });

  it('starts over when the pod is replaced (same name, new uid) and ignores pods not running', () => {
    const d = new SaturationDetector();
    d.observe([usage('renderer-1', '950m', '10Mi', t(1))], lookup, t(1));
    expect(d.observe([usage('renderer-1', '950m', '10Mi', t(2))], lookupOf([pod('renderer-1', { cpu: '1' }, { uid: 'new-uid' })]), t(2))).toEqual([]);
    const terminating = lookupOf([pod('renderer-1', { cpu: '1' }, { deletionTimestamp: t(2) })]);
    const e = new SaturationDetector();
    e.observe([usage('renderer-1', '950m', '10Mi', t(1))], terminating, t(1));
    expect(e.observe([usage('renderer-1', '950m', '10Mi', t(2))], terminating, t(2))).toEqual([]);
  });

  it('takes its thresholds and sample count from the options', () => {
    const d = new SaturationDetector({ cpuRatio: 0.5, samples: 3 });
    expect(d.observe([usage('renderer-1', '600m', '10Mi', t(1))], lookup, t(1))).toEqual([]);
    expect(d.observe([usage('renderer-1', '600m', '10Mi', t(2))], lookup, t(2))).toEqual([]);
    expect(d.observe([usage('renderer-1', '600m', '10Mi', t(3))], lookup, t(3)).map((s) => s.reason)).toEqual([CPU_THROTTLING]);
  });

  it('never throws on garbage and keeps nothing for it', () => {
    const d = new SaturationDetector();
    const garbage = [null, 42, {}, { metadata: { name: 'renderer-1', namespace: 'billing' }, containers: 'x' }, { metadata: { name: 'renderer-1', namespace: 'billing' }, containers: [{ name: 'app', usage: { cpu: 'lots', memory: -1 } }, null] }] as unknown as KubeObject[];
    expect(() => d.observe(garbage, lookup, t(1))).not.toThrow();
    expect(() => d.observe(garbage, () => ({ metadata: null }) as unknown as KubeObject, t(2))).not.toThrow();
    expect(d.size).toBe(0);
  });
});
