import { describe, expect, it } from 'vitest';
import { podResources } from './pod-resources.js';

type Amounts = { cpu?: unknown; memory?: unknown };
function c(requests?: Amounts, limits?: Amounts, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'c', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }, ...extra };
}
const sidecar = (requests?: Amounts, limits?: Amounts) => c(requests, limits, { restartPolicy: 'Always' });

describe('podResources', () => {
  it('adds up the regular containers, in millicores and bytes', () => {
    const spec = { containers: [c({ cpu: '250m', memory: '64Mi' }, { cpu: '500m', memory: '128Mi' }), c({ cpu: '0.5', memory: '1Gi' }, { cpu: '1', memory: '2Gi' })] };
    expect(podResources(spec)).toEqual({
      cpuRequestMillicores: 750,
      cpuLimitMillicores: 1500,
      memoryRequestBytes: 64 * 2 ** 20 + 2 ** 30,
      memoryLimitBytes: 128 * 2 ** 20 + 2 * 2 ** 30,
    });
  });

  it('defaults a missing request to the limit, as the API server does', () => {
    expect(podResources({ containers: [c(undefined, { cpu: '200m', memory: '100Mi' })] })).toEqual({
      cpuRequestMillicores: 200,
      cpuLimitMillicores: 200,
      memoryRequestBytes: 100 * 2 ** 20,
      memoryLimitBytes: 100 * 2 ** 20,
    });
  });

  it('takes the larger of the containers and the largest init container', () => {
    const spec = { initContainers: [c({ cpu: '2', memory: '10Mi' }, { cpu: '3', memory: '20Mi' })], containers: [c({ cpu: '100m', memory: '64Mi' }, { cpu: '200m', memory: '128Mi' })] };
    expect(podResources(spec)).toEqual({ cpuRequestMillicores: 2000, cpuLimitMillicores: 3000, memoryRequestBytes: 64 * 2 ** 20, memoryLimitBytes: 128 * 2 ** 20 });
  });

  it('counts sidecars beside the containers and beneath the init containers that start after them (KEP-753)', () => {
    // Sidecar 1, init 2, sidecar 3; app 1 → running: 1+1+3 = 5; init peaks: 1, 2+1 = 3, 1+3 = 4 → 5.
    const spec = { initContainers: [sidecar({ cpu: '1' }), c({ cpu: '2' }), sidecar({ cpu: '3' })], containers: [c({ cpu: '1' })] };
    expect(podResources(spec).cpuRequestMillicores).toBe(5000);
    // A big init container after a sidecar runs beside it: 100m + 2 = 2100m beats 100m + 300m.
    const spec2 = { initContainers: [sidecar({ cpu: '100m' }), c({ cpu: '2' })], containers: [c({ cpu: '300m' })] };
    expect(podResources(spec2).cpuRequestMillicores).toBe(2100);
  });

  it('adds the RuntimeClass overhead', () => {
    const spec = { overhead: { cpu: '250m', memory: '120Mi' }, containers: [c({ cpu: '100m', memory: '10Mi' }, { cpu: '100m', memory: '10Mi' })] };
    expect(podResources(spec)).toEqual({ cpuRequestMillicores: 350, cpuLimitMillicores: 350, memoryRequestBytes: 130 * 2 ** 20, memoryLimitBytes: 130 * 2 ** 20 });
  });

  it('has no limit unless every container, init containers included, declares a non-zero one', () => {
    expect(podResources({ containers: [c({ cpu: '1' }, { cpu: '1' }), c({ cpu: '1' })] }).cpuLimitMillicores).toBeUndefined();
    expect(podResources({ initContainers: [c({ cpu: '1' })], containers: [c({ cpu: '1' }, { cpu: '1' })] }).cpuLimitMillicores).toBeUndefined();
    expect(podResources({ containers: [c(undefined, { cpu: '0', memory: '64Mi' })] })).toEqual({ memoryRequestBytes: 64 * 2 ** 20, memoryLimitBytes: 64 * 2 ** 20 });
  });

  it('reports nothing for a BestEffort pod, and 0 for an explicit zero request', () => {
    expect(podResources({ containers: [c(), { name: 'bare' }] })).toEqual({});
    expect(podResources({ containers: [c({ cpu: '0' })] })).toEqual({ cpuRequestMillicores: 0 });
  });

  it('reads garbage as nothing instead of throwing', () => {
    for (const spec of [undefined, null, 'spec', 42, [], { containers: 'x' }, { containers: [null, 7, 'c'] }, { containers: { 0: c({ cpu: '1' }) } }]) {
      expect(podResources(spec), JSON.stringify(spec)).toEqual({});
    }
    const spec = {
      containers: [c({ cpu: 'lots', memory: '-5Mi' }, { cpu: '1e400', memory: {} }), c({ cpu: '100m', memory: '1Mi' }, { cpu: '100m', memory: '1Mi' }), null],
      initContainers: [{ resources: 'none' }],
      overhead: { cpu: 'NaN' },
    };
    // The readable container's requests count; an unreadable limit (or container) means "no known limit".
    expect(podResources(spec)).toEqual({ cpuRequestMillicores: 100, memoryRequestBytes: 2 ** 20 });
  });

  it('never reports an overflowed sum', () => {
    const huge = c({ cpu: '1e305' }, { cpu: '1e305' });
    const r = podResources({ containers: [huge, huge, huge, huge] });
    expect(r.cpuRequestMillicores).toBeUndefined();
    expect(r.cpuLimitMillicores).toBeUndefined();
  });
});
