import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-types.js';
import { conditionIdOf, currentConditions, isPersistentSignal, stillHolds } from './state-persistence.js';
import { deriveStateSignals, type StateSignal } from './state-signals.js';

const NOW = '2025-09-30T10:15:30Z';
const T1 = '2025-09-30T10:00:00Z';
const T2 = '2025-09-30T10:05:00Z';
type Obj = Record<string, unknown>;

function obj(kind: string, name: string, fields: Obj, meta: Obj = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, ...(kind === 'Node' ? {} : { namespace: 'prod' }), uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: T1, ...meta }, ...fields };
}
const cond = (type: string, status: string, reason?: string, lastTransitionTime = T2): Obj => ({ type, status, lastTransitionTime, ...(reason ? { reason } : {}) });
const node = (ready: string, at = T2, meta: Obj = {}) => obj('Node', 'node-1', { status: { conditions: [cond('Ready', ready, ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown', at)] } }, meta);
const pod = (state: Obj, restartCount = 0) => obj('Pod', 'web-1', { spec: { containers: [{ name: 'app' }] }, status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount, state }] } });

/** The signal a transition to `after` sent (what the agent tracks). */
function sent(kind: string, before: KubeObject | undefined, after: KubeObject, reason: string): StateSignal {
  const sig = deriveStateSignals(kind, before, after, NOW).find((s) => s.reason === reason);
  if (!sig) throw new Error(`no ${reason}`);
  return sig;
}

describe('which signals persist', () => {
  it('conditions persist; moments (terminations, restarts, OOM kills, failures, cordons) do not', () => {
    const s = (reason: string): StateSignal => ({ reason, message: '', object: { kind: 'Pod', name: 'p', uid: 'u' }, timestamp: NOW, key: 'k' });
    for (const r of ['NodeNotReady', 'ScalingLimited', 'ServiceHasNoEndpoints', 'ClaimPending', 'ProgressDeadlineExceeded', 'ImagePullBackOff', 'CPUThrottlingHigh']) expect(isPersistentSignal(s(r))).toBe(true);
    for (const r of ['OOMKilled', 'ContainerTerminated', 'ContainerRestarted', 'PodFailed', 'Evicted', 'JobFailed', 'NodeReady', 'NodeNotSchedulable']) expect(isPersistentSignal(s(r))).toBe(false);
  });

  it('a container waiting reason is one condition whatever the reason (ErrImagePull and ImagePullBackOff alternate)', () => {
    const a = sent('Pod', undefined, pod({ waiting: { reason: 'ErrImagePull' } }), 'ErrImagePull');
    const b = sent('Pod', undefined, pod({ waiting: { reason: 'ImagePullBackOff' } }), 'ImagePullBackOff');
    expect(conditionIdOf(a)).toBe(conditionIdOf(b));
    expect(a.key).not.toBe(b.key);
  });
});

describe('stillHolds', () => {
  it('a node still NotReady holds, with the condition as it stands; Ready again does not', () => {
    const tracked = sent('Node', node('True', T1), node('Unknown'), 'NodeNotReady');
    expect(stillHolds(tracked, node('Unknown'), NOW)).toMatchObject({ reason: 'NodeNotReady', key: tracked.key });
    expect(stillHolds(tracked, node('True', '2025-09-30T10:12:00Z'), NOW)).toBeUndefined();
    // NotReady again after a recovery is the same condition (a new transition replaces the entry anyway).
    expect(stillHolds(tracked, node('False', '2025-09-30T10:14:00Z'), NOW)?.reason).toBe('NodeNotReady');
  });

  it('an object that is gone or was recreated under the same name does not hold', () => {
    const tracked = sent('Node', node('True', T1), node('Unknown'), 'NodeNotReady');
    expect(stillHolds(tracked, undefined, NOW)).toBeUndefined();
    expect(stillHolds(tracked, node('Unknown', T2, { uid: 'another' }), NOW)).toBeUndefined();
  });

  it('an image still not pullable holds across ErrImagePull / ImagePullBackOff; running again does not', () => {
    const tracked = sent('Pod', undefined, pod({ waiting: { reason: 'ImagePullBackOff' } }), 'ImagePullBackOff');
    expect(stillHolds(tracked, pod({ waiting: { reason: 'ErrImagePull' } }), NOW)?.reason).toBe('ErrImagePull');
    expect(stillHolds(tracked, pod({ running: { startedAt: T2 } }), NOW)).toBeUndefined();
  });

  it('an HPA still pinned at its maximum holds', () => {
    const hpa = (status: string) => obj('HorizontalPodAutoscaler', 'web', { spec: { maxReplicas: 10 }, status: { desiredReplicas: 10, conditions: [cond('ScalingLimited', status, status === 'True' ? 'TooManyReplicas' : 'DesiredWithinRange')] } });
    const tracked = sent('HorizontalPodAutoscaler', hpa('False'), hpa('True'), 'ScalingLimited');
    expect(stillHolds(tracked, hpa('True'), NOW)?.reason).toBe('ScalingLimited');
    expect(stillHolds(tracked, hpa('False'), NOW)).toBeUndefined();
  });

  it('transition-only signals: StatefulSet replicas missing, DaemonSet pods unavailable, a claim Pending again', () => {
    const sts = (ready: number) => obj('StatefulSet', 'db', { spec: { replicas: 3 }, status: { readyReplicas: ready, currentRevision: 'r1', updateRevision: 'r1' } });
    const trackedSts = sent('StatefulSet', sts(3), sts(1), 'StatefulSetReplicasUnavailable');
    expect(stillHolds(trackedSts, sts(2), NOW)?.reason).toBe('StatefulSetReplicasUnavailable');
    expect(stillHolds(trackedSts, sts(3), NOW)).toBeUndefined();

    const ds = (unavailable: number) => obj('DaemonSet', 'agent', { status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberUnavailable: unavailable, numberReady: 3 - unavailable } });
    const trackedDs = sent('DaemonSet', ds(0), ds(1), 'DaemonSetPodsUnavailable');
    expect(stillHolds(trackedDs, ds(1), NOW)?.reason).toBe('DaemonSetPodsUnavailable');
    expect(stillHolds(trackedDs, ds(0), NOW)).toBeUndefined();

    const pvc = (phase: string) => obj('PersistentVolumeClaim', 'data', { spec: { volumeName: 'pv-1' }, status: { phase } });
    const trackedPvc = sent('PersistentVolumeClaim', pvc('Bound'), pvc('Pending'), 'ClaimPending');
    expect(stillHolds(trackedPvc, pvc('Pending'), NOW)?.reason).toBe('ClaimPending');
    expect(stillHolds(trackedPvc, pvc('Bound'), NOW)).toBeUndefined();
  });

  it('currentConditions never throws on garbage', () => {
    for (const kind of ['Pod', 'Node', 'StatefulSet', 'DaemonSet', 'PersistentVolumeClaim', 'Service']) {
      expect(() => currentConditions(kind, { metadata: null } as unknown as KubeObject, NOW)).not.toThrow();
      expect(() => currentConditions(kind, { metadata: { name: 'x' }, status: 'garbage', spec: 7 } as unknown as KubeObject, NOW)).not.toThrow();
    }
  });
});
