import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/kube/kube-types.js';
import { formatBytes, formatMillicores, parseQuantity } from '../../core/kube/units.js';
import { humanDuration, podStatusReason } from './tables.js';
import { rfc3339Nano } from './logs.js';

function pod(status: Record<string, unknown>, extra: Partial<KubeObject['metadata']> = {}, spec: Record<string, unknown> = { containers: [{ name: 'app' }] }): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', ...extra }, spec, status };
}
const cs = (state: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ name: 'app', restartCount: 0, ready: false, state, ...more });

describe('pod STATUS as kubectl prints it', () => {
  it.each([
    [{ phase: 'Pending' }, 'Pending'],
    [{ phase: 'Running', containerStatuses: [cs({ running: {} }, { ready: true })] }, 'Running'],
    [{ phase: 'Running', containerStatuses: [cs({ waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 3 })] }, 'CrashLoopBackOff'],
    [{ phase: 'Pending', containerStatuses: [cs({ waiting: { reason: 'ImagePullBackOff' } })] }, 'ImagePullBackOff'],
    [{ phase: 'Pending', containerStatuses: [cs({ waiting: { reason: 'CreateContainerConfigError' } })] }, 'CreateContainerConfigError'],
    [{ phase: 'Running', containerStatuses: [cs({ terminated: { reason: 'OOMKilled', exitCode: 137 } })] }, 'OOMKilled'],
    [{ phase: 'Succeeded', containerStatuses: [cs({ terminated: { reason: 'Completed', exitCode: 0 } })] }, 'Completed'],
    [{ phase: 'Failed', containerStatuses: [cs({ terminated: { reason: 'Error', exitCode: 1 } })] }, 'Error'],
    [{ phase: 'Failed', containerStatuses: [cs({ terminated: { exitCode: 2 } })] }, 'ExitCode:2'],
    [{ phase: 'Failed', reason: 'Evicted' }, 'Evicted'],
  ])('%j → %s', (status, expected) => {
    expect(podStatusReason(pod(status)).reason).toBe(expected);
  });

  it('Terminating wins once deletion started; init containers show progress', () => {
    expect(podStatusReason(pod({ phase: 'Running' }, { deletionTimestamp: '2024-01-01T00:00:00Z' })).reason).toBe('Terminating');
    const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'app' }] };
    expect(podStatusReason(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0 } } }, { name: 'i2', restartCount: 0, state: { running: {} } }] }, {}, spec)).reason).toBe('Init:1/2');
    expect(podStatusReason(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, {}, spec)).reason).toBe('Init:CrashLoopBackOff');
  });

  it('counts ready containers and restarts', () => {
    const s = podStatusReason(pod({ phase: 'Running', containerStatuses: [cs({ running: {} }, { ready: true, restartCount: 1, lastState: { terminated: { finishedAt: '2024-01-01T00:05:00Z' } } }), cs({ running: {} }, { name: 'b', ready: false })] }, {}, { containers: [{ name: 'app' }, { name: 'b' }] }));
    expect(s).toMatchObject({ ready: 1, total: 2, restarts: 1, lastRestart: Date.parse('2024-01-01T00:05:00Z') });
  });
});

describe('formatting', () => {
  it('prints durations as Go’s HumanDuration', () => {
    expect([0, 59_000, 119_000, 120_000, 125_000, 600_000, 3 * 3600_000, 3 * 3600_000 + 60_000, 30 * 3600_000, 50 * 3600_000, 30 * 86400_000, 800 * 86400_000].map(humanDuration)).toEqual(['0s', '59s', '119s', '2m', '2m5s', '10m', '3h', '3h1m', '30h', '2d2h', '30d', '2y70d']);
  });

  it('parses and prints quantities', () => {
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
    expect(parseQuantity('64Mi')).toBe(64 * 2 ** 20);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('2G')).toBe(2e9);
    expect(parseQuantity('lots')).toBeUndefined();
    expect([formatMillicores(25.4), formatBytes(64 * 2 ** 20), formatBytes(1536 * 1024), formatBytes(1000), formatBytes(2 ** 30)]).toEqual(['25m', '64Mi', '1536Ki', '1000', '1Gi']);
  });

  it('writes log timestamps as RFC3339Nano', () => {
    expect(rfc3339Nano(Date.parse('2024-05-01T10:00:00.000Z'))).toBe('2024-05-01T10:00:00Z');
    expect(rfc3339Nano(Date.parse('2024-05-01T10:00:00.120Z'))).toBe('2024-05-01T10:00:00.12Z');
  });
});
