import { describe, expect, it } from 'vitest';
import { timestamp } from '../../contracts/common.js';
import type { KubeObject } from '../kube/kube-types.js';
import { classify, isKnownReason } from './classify.js';
import { deriveStateSignals, STATE_SIGNAL_KINDS, type StateSignal } from './state-signals.js';

const NOW = '2025-09-30T10:15:30Z';
const T1 = '2025-09-30T10:00:00Z';
const T2 = '2025-09-30T10:05:00Z';
const T3 = '2025-09-30T10:10:00Z';

type Obj = Record<string, unknown>;

function obj(kind: string, name: string, fields: Obj, meta: Obj = {}): KubeObject {
  return {
    apiVersion: kind === 'Pod' || kind === 'Node' || kind === 'PersistentVolumeClaim' ? 'v1' : 'apps/v1',
    kind,
    metadata: { name, ...(kind === 'Node' ? {} : { namespace: 'prod' }), uid: `uid-${name}`, resourceVersion: '100', creationTimestamp: T1, ...meta },
    ...fields,
  };
}

function pod(containerStatuses: Obj[], status: Obj = {}, meta: Obj = {}): KubeObject {
  return obj('Pod', 'web-1', { spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'web:1' }] }, status: { phase: 'Running', containerStatuses, ...status } }, meta);
}

const running = (restartCount = 0, extra: Obj = {}): Obj => ({ name: 'app', ready: true, restartCount, state: { running: { startedAt: T2 } }, ...extra });
const waiting = (reason: string, restartCount = 0, extra: Obj = {}): Obj => ({ name: 'app', ready: false, restartCount, state: { waiting: { reason, message: `${reason} details` } }, ...extra });
const terminated = (reason: string, exitCode: number, finishedAt = T1): Obj => ({ terminated: { reason, exitCode, startedAt: T1, finishedAt, containerID: `containerd://${reason}${finishedAt}` } });

function derive(kind: string, before: KubeObject | undefined, after: KubeObject): StateSignal[] {
  return deriveStateSignals(kind, before, after, NOW);
}

const reasons = (signals: StateSignal[]) => signals.map((s) => s.reason).sort();

function node(conditions: Obj[], spec: Obj = {}, meta: Obj = {}): KubeObject {
  return obj('Node', 'node-1', { spec, status: { conditions } }, meta);
}
const cond = (type: string, status: string, reason?: string, message?: string, lastTransitionTime = T2): Obj => ({ type, status, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
const healthyNode = (rv = '100', spec: Obj = {}) =>
  node([cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', T1), cond('DiskPressure', 'False', undefined, undefined, T1), cond('MemoryPressure', 'False', undefined, undefined, T1), cond('PIDPressure', 'False', undefined, undefined, T1)], spec, { resourceVersion: rv });

describe('deriveStateSignals: pods', () => {
  it('reports an OOM kill with the exact state, the node, the container and the finish time', () => {
    const before = pod([running(2)]);
    const after = pod([running(3, { lastState: terminated('OOMKilled', 137, T3) })]);
    const signals = derive('Pod', before, after);
    expect(reasons(signals)).toEqual(['ContainerRestarted', 'OOMKilled']);
    const oom = signals.find((s) => s.reason === 'OOMKilled');
    expect(oom).toMatchObject({
      message: 'container app terminated with reason OOMKilled (exit code 137), restart count 3',
      object: { kind: 'Pod', name: 'web-1', namespace: 'prod', uid: 'uid-web-1', apiVersion: 'v1' },
      node: 'node-1',
      container: 'app',
      timestamp: T3,
    });
    expect(signals.find((s) => s.reason === 'ContainerRestarted')?.message).toBe('container app restarted: restart count from 2 to 3; last termination reason OOMKilled, exit code 137');
  });

  it('quotes the container memory limit in OOM evidence when the spec has one', () => {
    const withLimit = (cs: Obj[]) => obj('Pod', 'web-1', { spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'web:1', resources: { limits: { memory: '128Mi' } } }] }, status: { phase: 'Running', containerStatuses: cs } });
    const signals = derive('Pod', withLimit([running(5)]), withLimit([running(6, { lastState: terminated('OOMKilled', 137, T3) })]));
    expect(signals.find((s) => s.reason === 'OOMKilled')?.message).toBe('container app terminated with reason OOMKilled (exit code 137), restart count 6; memory limit 128Mi');
  });

  it('reports a non-zero exit that is not an OOM kill as ContainerTerminated with the code and reason', () => {
    const signals = derive('Pod', pod([running(0)]), pod([running(1, { lastState: terminated('Error', 1, T3) })]));
    expect(reasons(signals)).toEqual(['ContainerRestarted', 'ContainerTerminated']);
    expect(signals.find((s) => s.reason === 'ContainerTerminated')?.message).toBe('container app terminated with reason Error (exit code 1), restart count 1');
  });

  it('quotes the termination message when there is one', () => {
    const last = { terminated: { reason: 'StartError', exitCode: 128, finishedAt: T3, message: 'exec: "/app": stat /app: no such file or directory' } };
    const [signal] = derive('Pod', pod([running(0)]), pod([waiting('CrashLoopBackOff', 1, { lastState: last })])).filter((s) => s.reason === 'ContainerTerminated');
    expect(signal?.message).toBe('container app terminated with reason StartError (exit code 128), restart count 1: exec: "/app": stat /app: no such file or directory');
  });

  it('does not report a clean exit (code 0)', () => {
    const signals = derive('Pod', pod([running(0)]), pod([running(1, { lastState: terminated('Completed', 0, T3) })]));
    expect(reasons(signals)).toEqual(['ContainerRestarted']);
  });

  it('reports a container terminated in place (restartPolicy Never) once, not again when it moves to lastState', () => {
    const first = pod([{ name: 'app', restartCount: 0, state: terminated('Error', 2, T3) }]);
    expect(reasons(derive('Pod', pod([running(0)]), first))).toEqual(['ContainerTerminated']);
    const moved = pod([running(1, { lastState: terminated('Error', 2, T3) })]);
    expect(reasons(derive('Pod', first, moved))).toEqual(['ContainerRestarted']);
  });

  it('reports a waiting reason when it appears or changes, but not ContainerCreating or PodInitializing', () => {
    expect(reasons(derive('Pod', pod([running(3)]), pod([waiting('CrashLoopBackOff', 4)])))).toEqual(['ContainerRestarted', 'CrashLoopBackOff']);
    const pulls = derive('Pod', pod([waiting('ErrImagePull')]), pod([waiting('ImagePullBackOff')]));
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ reason: 'ImagePullBackOff', container: 'app', timestamp: NOW, message: 'container app is waiting with reason ImagePullBackOff: ImagePullBackOff details, restart count 0' });
    for (const r of ['CreateContainerConfigError', 'InvalidImageName', 'RunContainerError', 'CreateContainerError', 'ErrImagePull']) {
      expect(reasons(derive('Pod', pod([waiting('ContainerCreating')]), pod([waiting(r)])))).toEqual([r]);
    }
    expect(derive('Pod', pod([]), pod([waiting('ContainerCreating')]))).toEqual([]);
    expect(derive('Pod', undefined, pod([waiting('PodInitializing')]))).toEqual([]);
  });

  it('reports restart growth from N to M, only on growth', () => {
    const signals = derive('Pod', pod([running(2)]), pod([running(5)]));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ reason: 'ContainerRestarted', message: 'container app restarted: restart count from 2 to 5', timestamp: T2 });
    expect(derive('Pod', pod([running(5)]), pod([running(2)]))).toEqual([]);
  });

  it('labels init containers', () => {
    const before = pod([], { initContainerStatuses: [running(0, { name: 'migrate' })] });
    const after = pod([], { initContainerStatuses: [{ name: 'migrate', restartCount: 0, state: terminated('Error', 3, T3) }] });
    const [signal] = derive('Pod', before, after);
    expect(signal).toMatchObject({ reason: 'ContainerTerminated', container: 'migrate', message: 'init container migrate terminated with reason Error (exit code 3), restart count 0' });
  });

  it('reports a failed pod: Evicted with the kubelet message, PodFailed otherwise, stamped with the last container finish', () => {
    const evicted = pod([{ name: 'app', restartCount: 0, state: terminated('Error', 137, T3) }], { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
    const evictedSignals = derive('Pod', pod([running(0)]), evicted);
    // The kubelet killed the container (exit 137) to evict the pod: the eviction is the signal.
    expect(reasons(evictedSignals)).toEqual(['Evicted']);
    expect(evictedSignals[0]).toMatchObject({ message: 'pod phase Failed with reason Evicted: The node was low on resource: memory.', timestamp: T3 });
    const failed = pod([{ name: 'app', restartCount: 0, state: terminated('Error', 1, T3) }], { phase: 'Failed' });
    expect(reasons(derive('Pod', pod([running(0)]), failed))).toEqual(['ContainerTerminated', 'PodFailed']);
    expect(derive('Pod', failed, failed)).toEqual([]);
  });

  it('stays quiet about containers stopped because the pod is being deleted, except an OOM kill or an eviction', () => {
    const deleting = { deletionTimestamp: T3 };
    const killed = pod([{ name: 'app', restartCount: 0, state: terminated('Error', 143, T3) }], { phase: 'Failed' }, deleting);
    expect(derive('Pod', pod([running(0)], {}, deleting), killed)).toEqual([]);
    const oom = pod([{ name: 'app', restartCount: 0, state: terminated('OOMKilled', 137, T3) }], {}, deleting);
    expect(reasons(derive('Pod', pod([running(0)], {}, deleting), oom))).toEqual(['OOMKilled']);
    const evicted = pod([], { phase: 'Failed', reason: 'Evicted' }, deleting);
    expect(reasons(derive('Pod', pod([]), evicted))).toEqual(['Evicted']);
  });

  it('reports Unschedulable when the PodScheduled condition turns False with that reason', () => {
    const pending = (c: Obj[]) => pod([], { phase: 'Pending', conditions: c });
    const unschedulable = cond('PodScheduled', 'False', 'Unschedulable', '0/3 nodes are available: 3 Insufficient memory.', T2);
    const signals = derive('Pod', pending([]), pending([unschedulable]));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ reason: 'Unschedulable', message: 'pod cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory.', timestamp: T2 });
    // The scheduler rewrites the message on each retry: same condition, no new signal.
    expect(derive('Pod', pending([unschedulable]), pending([{ ...unschedulable, message: '0/4 nodes are available' }]))).toEqual([]);
    expect(derive('Pod', pending([]), pending([cond('PodScheduled', 'True')]))).toEqual([]);
  });

  it('gives nothing when nothing changed', () => {
    const p = pod([waiting('CrashLoopBackOff', 4, { lastState: terminated('OOMKilled', 137, T3) })], { conditions: [cond('PodScheduled', 'True')] });
    expect(derive('Pod', p, structuredClone(p))).toEqual([]);
  });
});

describe('deriveStateSignals: first sight', () => {
  it('reports current bad states of a pod but not growth or past crashes of a running container', () => {
    const p = pod([
      waiting('CrashLoopBackOff', 7, { lastState: terminated('OOMKilled', 137, T3) }),
      running(4, { name: 'sidecar', lastState: terminated('Error', 1, T1) }),
    ]);
    expect(reasons(derive('Pod', undefined, p))).toEqual(['CrashLoopBackOff', 'OOMKilled']);
  });

  it('reports a container that is terminated now, an unschedulable pod and a failed pod', () => {
    const p = pod([{ name: 'app', restartCount: 0, state: terminated('Error', 1, T3) }], { phase: 'Failed', conditions: [cond('PodScheduled', 'True')] });
    expect(reasons(derive('Pod', undefined, p))).toEqual(['ContainerTerminated', 'PodFailed']);
    const pending = pod([], { phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable', 'no nodes')] });
    expect(reasons(derive('Pod', undefined, pending))).toEqual(['Unschedulable']);
  });

  it('reports bad node conditions but not a ready node or a cordon', () => {
    expect(derive('Node', undefined, healthyNode())).toEqual([]);
    expect(derive('Node', undefined, node([cond('Ready', 'True')], { unschedulable: true }))).toEqual([]);
    const sick = node([cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'), cond('DiskPressure', 'True', 'KubeletHasDiskPressure')]);
    expect(reasons(derive('Node', undefined, sick))).toEqual(['NodeHasDiskPressure', 'NodeNotReady']);
  });

  it('does not report a pending claim or workloads without transition history', () => {
    expect(derive('PersistentVolumeClaim', undefined, obj('PersistentVolumeClaim', 'data', { status: { phase: 'Pending' } }))).toEqual([]);
    expect(derive('StatefulSet', undefined, obj('StatefulSet', 'db', { spec: { replicas: 3 }, status: { readyReplicas: 1 } }))).toEqual([]);
    expect(derive('DaemonSet', undefined, obj('DaemonSet', 'agent', { status: { desiredNumberScheduled: 3, numberUnavailable: 2 } }))).toEqual([]);
  });
});

describe('deriveStateSignals: stable keys', () => {
  it('gives the same key when an agent restart re-derives the same transition on first sight', () => {
    const cases: [string, KubeObject, KubeObject][] = [
      ['Pod', pod([running(2)]), pod([running(3, { lastState: terminated('OOMKilled', 137, T3) })])],
      ['Pod', pod([running(3)]), pod([waiting('CrashLoopBackOff', 4)])],
      ['Pod', pod([running(0)]), pod([{ name: 'app', restartCount: 0, state: terminated('Error', 1, T3) }], { phase: 'Failed' })],
      ['Node', healthyNode(), node([cond('Ready', 'False', 'KubeletNotReady', 'container runtime is down', T3)])],
      ['Job', obj('Job', 'backup', { status: { conditions: [] } }), obj('Job', 'backup', { status: { conditions: [cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', T3)] } })],
      ['PersistentVolumeClaim', obj('PersistentVolumeClaim', 'data', { status: { phase: 'Bound' } }), obj('PersistentVolumeClaim', 'data', { status: { phase: 'Lost' } }, { resourceVersion: '200' })],
    ];
    for (const [kind, before, after] of cases) {
      const onUpdate = derive(kind, before, after).filter((s) => s.reason !== 'ContainerRestarted');
      const onRelist = deriveStateSignals(kind, undefined, after, '2025-10-01T00:00:00Z');
      expect(onUpdate.length, kind).toBeGreaterThan(0);
      expect(onRelist.map((s) => s.key).sort(), kind).toEqual(onUpdate.map((s) => s.key).sort());
    }
  });

  it('keeps the key of an OOM kill when the termination moves from state to lastState', () => {
    const inPlace = pod([{ name: 'app', restartCount: 0, state: terminated('OOMKilled', 137, T3) }]);
    const moved = pod([running(1, { lastState: terminated('OOMKilled', 137, T3) })]);
    const key = (p: KubeObject) => derive('Pod', undefined, p).find((s) => s.reason === 'OOMKilled')?.key;
    expect(key(inPlace)).toBeDefined();
    expect(key(moved)).toBe(key(inPlace));
  });

  it('gives different transitions different keys', () => {
    const first = derive('Pod', pod([running(0)]), pod([running(1, { lastState: terminated('OOMKilled', 137, T2) })])).find((s) => s.reason === 'OOMKilled');
    const second = derive('Pod', pod([running(1)]), pod([running(2, { lastState: terminated('OOMKilled', 137, T3) })])).find((s) => s.reason === 'OOMKilled');
    expect(first?.key).toBeDefined();
    expect(second?.key).not.toBe(first?.key);
    const other = derive('Pod', pod([running(0)]), obj('Pod', 'web-2', { spec: { nodeName: 'node-1' }, status: { containerStatuses: [running(1, { lastState: terminated('OOMKilled', 137, T2) })] } })).find((s) => s.reason === 'OOMKilled');
    expect(other?.key).not.toBe(first?.key);
  });

  it('keys objects without a uid by kind, namespace and name, and hashes keys too long for an id', () => {
    const noUid = pod([waiting('CrashLoopBackOff', 1)], {}, { uid: undefined });
    expect(derive('Pod', undefined, noUid)[0]?.key).toBe('Pod/prod/web-1/CrashLoopBackOff/app/restart-1');
    const long = pod([{ ...waiting('CrashLoopBackOff', 1), name: 'c'.repeat(253) }]);
    expect(derive('Pod', undefined, long)[0]?.key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('deriveStateSignals: nodes', () => {
  it('reports Ready True → False or Unknown as NodeNotReady, with the condition quoted', () => {
    const signals = derive('Node', healthyNode(), node([cond('Ready', 'False', 'KubeletNotReady', 'container runtime is down', T3)]));
    expect(signals).toEqual([
      {
        reason: 'NodeNotReady',
        message: 'node node-1 condition Ready is False (KubeletNotReady): container runtime is down',
        object: { kind: 'Node', name: 'node-1', uid: 'uid-node-1', apiVersion: 'v1' },
        node: 'node-1',
        timestamp: T3,
        key: `uid-node-1/NodeNotReady/${T3}`,
      },
    ]);
    expect(reasons(derive('Node', healthyNode(), node([cond('Ready', 'Unknown', 'NodeStatusUnknown')])))).toEqual(['NodeNotReady']);
  });

  it('does not repeat NodeNotReady for False → Unknown, nor for a node that was never ready', () => {
    expect(derive('Node', node([cond('Ready', 'False')]), node([cond('Ready', 'Unknown')]))).toEqual([]);
    expect(derive('Node', node([]), node([cond('Ready', 'False')]))).toEqual([]);
  });

  it('reports NodeReady when a not-ready node recovers', () => {
    const signals = derive('Node', node([cond('Ready', 'Unknown')]), node([cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', T3)]));
    expect(signals.map((s) => [s.reason, s.timestamp])).toEqual([['NodeReady', T3]]);
    expect(derive('Node', node([]), node([cond('Ready', 'True')]))).toEqual([]);
  });

  it('reports pressure and network conditions turning True, once', () => {
    const pairs: [string, string][] = [
      ['DiskPressure', 'NodeHasDiskPressure'],
      ['MemoryPressure', 'NodeHasMemoryPressure'],
      ['PIDPressure', 'NodeHasPIDPressure'],
      ['NetworkUnavailable', 'NodeNetworkUnavailable'],
    ];
    for (const [type, reason] of pairs) {
      const before = node([cond('Ready', 'True', undefined, undefined, T1), cond(type, 'False', undefined, undefined, T1)]);
      const after = node([cond('Ready', 'True', undefined, undefined, T1), cond(type, 'True', `Kubelet${type}`, 'pressure', T3)]);
      expect(derive('Node', before, after).map((s) => s.reason), type).toEqual([reason]);
      expect(derive('Node', after, structuredClone(after)), type).toEqual([]);
    }
  });

  it('reports a cordon as NodeNotSchedulable', () => {
    const signals = derive('Node', healthyNode('100'), healthyNode('101', { unschedulable: true }));
    expect(signals.map((s) => [s.reason, s.message, s.key])).toEqual([['NodeNotSchedulable', 'node node-1 was cordoned (spec.unschedulable is true)', 'uid-node-1/NodeNotSchedulable/101']]);
  });
});

describe('deriveStateSignals: workloads', () => {
  const deployment = (conditions: Obj[], status: Obj = {}, replicas = 3) => obj('Deployment', 'web', { spec: { replicas }, status: { conditions, ...status } });

  it('reports a stuck rollout as ProgressDeadlineExceeded', () => {
    const progressing = cond('Progressing', 'True', 'ReplicaSetUpdated', 'ReplicaSet "web-abc" is progressing.', T1);
    const stuck = cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-abc" has timed out progressing.', T3);
    const signals = derive('Deployment', deployment([progressing]), deployment([stuck]));
    expect(signals.map((s) => [s.reason, s.message])).toEqual([['ProgressDeadlineExceeded', 'deployment web condition Progressing is False (ProgressDeadlineExceeded): ReplicaSet "web-abc" has timed out progressing.']]);
    expect(derive('Deployment', deployment([stuck]), deployment([stuck]))).toEqual([]);
  });

  it('reports ReplicaFailure with the condition message, which classifies a quota refusal as config', () => {
    const failure = cond('ReplicaFailure', 'True', 'FailedCreate', 'pods "web-abc-1" is forbidden: exceeded quota: compute', T3);
    for (const kind of ['Deployment', 'ReplicaSet']) {
      const before = obj(kind, 'web', { status: { conditions: [] } });
      const after = obj(kind, 'web', { status: { conditions: [failure] } });
      const [signal] = derive(kind, before, after);
      expect(signal?.reason, kind).toBe('ReplicaFailure');
      expect(signal?.message).toContain('exceeded quota');
      expect(classify({ reason: signal?.reason ?? '', kind, message: signal?.message ?? '' }).category).toBe('config');
      expect(derive(kind, after, after)).toEqual([]);
    }
  });

  it('reports Available True → False when available pods drop, not when a scale-up raises the bar', () => {
    const available = cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', T1);
    const unavailable = cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', T3);
    const lost = derive('Deployment', deployment([available], { availableReplicas: 3 }), deployment([unavailable], { availableReplicas: 1 }));
    expect(lost.map((s) => [s.reason, s.message])).toEqual([['MinimumReplicasUnavailable', 'deployment web condition Available is False (MinimumReplicasUnavailable): Deployment does not have minimum availability. (1 available of 3 desired)']]);
    expect(derive('Deployment', deployment([available], { availableReplicas: 3 }), deployment([unavailable], { availableReplicas: 3 }, 10))).toEqual([]);
    expect(derive('Deployment', deployment([], {}), deployment([unavailable], { availableReplicas: 0 }))).toEqual([]);
    expect(reasons(derive('Deployment', undefined, deployment([unavailable], { availableReplicas: 1 })))).toEqual(['MinimumReplicasUnavailable']);
  });

  it('reports a StatefulSet losing ready replicas outside rollouts and scale changes', () => {
    const sts = (ready: number, replicas = 3, status: Obj = {}) => obj('StatefulSet', 'db', { spec: { replicas }, status: { readyReplicas: ready, currentRevision: 'db-1', updateRevision: 'db-1', ...status } }, { resourceVersion: `${ready}${replicas}` });
    expect(derive('StatefulSet', sts(3), sts(2)).map((s) => [s.reason, s.message])).toEqual([['StatefulSetReplicasUnavailable', 'statefulset db has 2 of 3 replicas ready (was 3)']]);
    expect(derive('StatefulSet', sts(2), sts(1))).toEqual([]);
    expect(derive('StatefulSet', sts(3, 3), sts(3, 5))).toEqual([]);
    expect(derive('StatefulSet', sts(3), sts(2, 3, { updateRevision: 'db-2' }))).toEqual([]);
    expect(derive('StatefulSet', sts(3), sts(3))).toEqual([]);
  });

  it('reports DaemonSet pods becoming unavailable outside rollouts and node changes', () => {
    const ds = (unavailable: number, desired = 5, updated = desired) => obj('DaemonSet', 'agent', { status: { desiredNumberScheduled: desired, numberUnavailable: unavailable, numberReady: desired - unavailable, updatedNumberScheduled: updated } });
    expect(derive('DaemonSet', ds(0), ds(2)).map((s) => [s.reason, s.message])).toEqual([['DaemonSetPodsUnavailable', 'daemonset agent has 2 of 5 scheduled pods unavailable (3 ready)']]);
    expect(derive('DaemonSet', ds(1), ds(2))).toEqual([]);
    expect(derive('DaemonSet', ds(0, 5), ds(1, 6))).toEqual([]);
    expect(derive('DaemonSet', ds(0), ds(1, 5, 4))).toEqual([]);
  });

  it('reports a failed Job with its condition reason', () => {
    const job = (conditions: Obj[]) => obj('Job', 'backup', { status: { conditions } });
    const failed = cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', T3);
    const [signal] = derive('Job', job([]), job([failed]));
    expect(signal).toMatchObject({ reason: 'JobFailed', message: 'job backup failed: BackoffLimitExceeded: Job has reached the specified backoff limit', timestamp: T3 });
    expect(derive('Job', job([failed]), job([failed]))).toEqual([]);
    expect(derive('Job', job([]), job([cond('Complete', 'True')]))).toEqual([]);
    expect(reasons(derive('Job', undefined, job([cond('Failed', 'True', 'DeadlineExceeded')])))).toEqual(['JobFailed']);
  });

  it('reports a lost claim and a claim going back to Pending', () => {
    const pvc = (phase: string, rv = '1') => obj('PersistentVolumeClaim', 'data', { spec: { volumeName: 'pv-123' }, status: { phase } }, { resourceVersion: rv });
    expect(derive('PersistentVolumeClaim', pvc('Bound'), pvc('Lost')).map((s) => [s.reason, s.message])).toEqual([['ClaimLost', 'claim data phase Lost: bound volume pv-123 no longer exists']]);
    expect(reasons(derive('PersistentVolumeClaim', pvc('Pending'), pvc('Lost')))).toEqual(['ClaimLost']);
    expect(derive('PersistentVolumeClaim', pvc('Lost'), pvc('Lost'))).toEqual([]);
    expect(reasons(derive('PersistentVolumeClaim', pvc('Bound'), pvc('Pending', '2')))).toEqual(['ClaimPending']);
    expect(derive('PersistentVolumeClaim', pvc('Pending'), pvc('Pending', '2'))).toEqual([]);
    expect(derive('PersistentVolumeClaim', pvc('Pending'), pvc('Bound'))).toEqual([]);
  });

  it('reports an HPA pinned at maxReplicas and an HPA that cannot scale', () => {
    const hpa = (conditions: Obj[]) => obj('HorizontalPodAutoscaler', 'web', { spec: { maxReplicas: 10 }, status: { desiredReplicas: 10, conditions } });
    const limited = cond('ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count', T3);
    const [signal] = derive('HorizontalPodAutoscaler', hpa([cond('ScalingLimited', 'False', 'DesiredWithinRange')]), hpa([limited]));
    expect(signal).toMatchObject({
      reason: 'ScalingLimited',
      message: 'horizontalpodautoscaler web condition ScalingLimited is True (TooManyReplicas): the desired replica count is more than the maximum replica count (maxReplicas 10, desired 10)',
    });
    expect(derive('HorizontalPodAutoscaler', hpa([limited]), hpa([limited]))).toEqual([]);
    expect(derive('HorizontalPodAutoscaler', hpa([]), hpa([cond('ScalingLimited', 'True', 'TooFewReplicas')]))).toEqual([]);

    const unable = derive('HorizontalPodAutoscaler', hpa([cond('AbleToScale', 'True'), cond('ScalingActive', 'True')]), hpa([cond('AbleToScale', 'False', 'FailedGetScale', 'deployments/scale.apps "web" not found'), cond('ScalingActive', 'False', 'FailedGetResourceMetric', 'no metrics')]));
    expect(unable.map((s) => s.reason)).toEqual(['HPAUnableToScale', 'HPAUnableToScale']);
    expect(new Set(unable.map((s) => s.key)).size).toBe(2);
    expect(derive('HorizontalPodAutoscaler', hpa([cond('ScalingActive', 'True')]), hpa([cond('ScalingActive', 'False', 'ScalingDisabled')]))).toEqual([]);
    // A new HPA without metrics yet is not an alarm; one found unable to scale at start is.
    const broken = hpa([cond('ScalingActive', 'False', 'FailedGetResourceMetric', 'no metrics returned')]);
    expect(derive('HorizontalPodAutoscaler', hpa([]), broken)).toEqual([]);
    expect(reasons(derive('HorizontalPodAutoscaler', undefined, broken))).toEqual(['HPAUnableToScale']);
  });

  it('gives nothing for kinds without rules', () => {
    expect(derive('ConfigMap', undefined, obj('ConfigMap', 'x', { data: {} }))).toEqual([]);
    expect(derive('Event', undefined, obj('Event', 'x', { reason: 'OOMKilled' }))).toEqual([]);
    expect(derive('constructor', undefined, obj('Pod', 'x', {}))).toEqual([]);
  });
});

describe('deriveStateSignals: every signal', () => {
  it('uses the object transition time only when it is RFC 3339, else now', () => {
    const [signal] = derive('Job', obj('Job', 'j', { status: {} }), obj('Job', 'j', { status: { conditions: [cond('Failed', 'True', 'X', undefined, 'yesterday')] } }));
    expect(signal?.timestamp).toBe(NOW);
  });

  it('has a reason from the table, a wire-valid timestamp and bounded fields', () => {
    const samples: [string, KubeObject | undefined, KubeObject][] = [
      ['Pod', pod([running(0)]), pod([running(1, { lastState: terminated('OOMKilled', 137, T3) })], { phase: 'Failed', reason: 'Evicted', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] })],
      ['Node', undefined, node([cond('Ready', 'False'), cond('DiskPressure', 'True'), cond('MemoryPressure', 'True'), cond('PIDPressure', 'True'), cond('NetworkUnavailable', 'True')])],
      ['Pod', undefined, pod([waiting('CrashLoopBackOff', 1, { lastState: { terminated: { reason: 'Error', exitCode: 1, message: 'x'.repeat(50_000) } } }), waiting('ImagePullBackOff', 0, { name: 'b' })], { phase: 'Failed' })],
    ];
    let seen = 0;
    for (const [kind, before, after] of samples) {
      for (const s of derive(kind, before, after)) {
        seen++;
        expect(isKnownReason(s.reason), s.reason).toBe(true);
        expect(timestamp.safeParse(s.timestamp).success, s.timestamp).toBe(true);
        expect(s.message.length).toBeLessThanOrEqual(4096);
        expect(s.key.length).toBeLessThanOrEqual(240);
      }
    }
    expect(seen).toBeGreaterThan(8);
  });

  it('never throws on garbage: missing status, non-array conditions, strings for numbers, nulls, nested junk', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const leaves: unknown[] = [undefined, null, 0, -1, 1e308, NaN, Infinity, '', 'True', 'False', 'Unknown', '3', 'OOMKilled', 'CrashLoopBackOff', 'Unschedulable', T1, 'not a time', 'x'.repeat(5000), true, [], {}, ['x'], { x: 1 }];
    const keys = ['status', 'spec', 'metadata', 'conditions', 'containerStatuses', 'state', 'lastState', 'waiting', 'terminated', 'reason', 'exitCode', 'restartCount', 'name', 'type', 'phase', 'uid'];
    const junk = (depth: number): unknown => {
      if (depth <= 0 || rand() < 0.4) return pick(leaves);
      if (rand() < 0.3) return Array.from({ length: Math.floor(rand() * 4) }, () => junk(depth - 1));
      const o: Obj = {};
      for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) o[pick(keys)] = junk(depth - 1);
      return o;
    };
    // Realistic objects with random parts replaced by junk reach the deep paths that pure junk never does.
    const mutate = (v: unknown, rate: number): unknown => {
      if (rand() < rate) return junk(3);
      if (Array.isArray(v)) return v.map((x) => mutate(x, rate));
      if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mutate(x, rate)]));
      return v;
    };
    const bases: [string, KubeObject, KubeObject][] = [
      ['Pod', pod([running(1), waiting('ErrImagePull', 0, { name: 'b' })], { conditions: [cond('PodScheduled', 'True')] }), pod([running(2, { lastState: terminated('OOMKilled', 137, T3) }), waiting('CrashLoopBackOff', 3, { name: 'b', lastState: terminated('Error', 1, T3) })], { phase: 'Failed', reason: 'Evicted', conditions: [cond('PodScheduled', 'False', 'Unschedulable')], initContainerStatuses: [{ name: 'i', restartCount: 0, state: terminated('Error', 1, T3) }] })],
      ['Node', healthyNode(), node([cond('Ready', 'False'), cond('DiskPressure', 'True'), cond('MemoryPressure', 'True'), cond('PIDPressure', 'True'), cond('NetworkUnavailable', 'True')], { unschedulable: true })],
      ['Deployment', obj('Deployment', 'd', { spec: { replicas: 3 }, status: { availableReplicas: 3, conditions: [cond('Available', 'True'), cond('Progressing', 'True')] } }), obj('Deployment', 'd', { spec: { replicas: 3 }, status: { availableReplicas: 1, conditions: [cond('Available', 'False'), cond('Progressing', 'False', 'ProgressDeadlineExceeded'), cond('ReplicaFailure', 'True')] } })],
      ['ReplicaSet', obj('ReplicaSet', 'r', { status: {} }), obj('ReplicaSet', 'r', { status: { conditions: [cond('ReplicaFailure', 'True')] } })],
      ['StatefulSet', obj('StatefulSet', 's', { spec: { replicas: 3 }, status: { readyReplicas: 3 } }), obj('StatefulSet', 's', { spec: { replicas: 3 }, status: { readyReplicas: 1 } })],
      ['DaemonSet', obj('DaemonSet', 'ds', { status: { desiredNumberScheduled: 3, numberUnavailable: 0, updatedNumberScheduled: 3 } }), obj('DaemonSet', 'ds', { status: { desiredNumberScheduled: 3, numberUnavailable: 1, updatedNumberScheduled: 3 } })],
      ['Job', obj('Job', 'j', { status: {} }), obj('Job', 'j', { status: { conditions: [cond('Failed', 'True', 'BackoffLimitExceeded')] } })],
      ['PersistentVolumeClaim', obj('PersistentVolumeClaim', 'c', { status: { phase: 'Bound' } }), obj('PersistentVolumeClaim', 'c', { status: { phase: 'Lost' } })],
      ['HorizontalPodAutoscaler', obj('HorizontalPodAutoscaler', 'h', { status: { conditions: [] } }), obj('HorizontalPodAutoscaler', 'h', { status: { conditions: [cond('ScalingLimited', 'True', 'TooManyReplicas'), cond('AbleToScale', 'False'), cond('ScalingActive', 'False')] } })],
    ];
    expect(bases.map(([k]) => k).sort()).toEqual([...STATE_SIGNAL_KINDS].sort());
    const start = Date.now();
    let produced = 0;
    for (let i = 0; i < 1500; i++) {
      for (const [kind, b, a] of bases) {
        const rate = pick([0.02, 0.1, 0.3]);
        const after = rand() < 0.9 ? (mutate(a, rate) as KubeObject) : (junk(6) as KubeObject);
        const before = rand() < 0.2 ? undefined : rand() < 0.8 ? (mutate(b, rate) as KubeObject) : (junk(6) as KubeObject);
        let out: StateSignal[] = [];
        expect(() => (out = deriveStateSignals(kind, before, after, NOW))).not.toThrow();
        produced += out.length;
        for (const s of out) {
          expect(s.reason).toMatch(/^[A-Za-z][A-Za-z0-9_.-]{0,127}$/);
          expect(s.object.name.length).toBeGreaterThan(0);
          expect(s.object.name.length).toBeLessThanOrEqual(253);
          expect(typeof s.message).toBe('string');
          expect(s.message.length).toBeLessThanOrEqual(4096);
          expect(timestamp.safeParse(s.timestamp).success, s.timestamp).toBe(true);
          expect(s.key.length).toBeLessThanOrEqual(240);
        }
      }
    }
    // The mutations must leave enough intact for the rules to fire, or this test proves nothing.
    expect(produced).toBeGreaterThan(5000);
    for (const bad of [null, undefined, 42, 'pod', [], {}, { metadata: null }, { metadata: { name: 7 } }]) {
      expect(deriveStateSignals('Pod', bad as unknown as KubeObject, bad as unknown as KubeObject, NOW)).toEqual([]);
    }
    expect(Date.now() - start).toBeLessThan(8000);
  });

  it('accepts the malformed fields it can still read: a non-array condition list, strings for counts', () => {
    expect(derive('Node', healthyNode(), node('oops' as unknown as Obj[]))).toEqual([]);
    expect(derive('Pod', pod([running(0)]), pod([{ ...running(0), restartCount: '5' }]))).toEqual([]);
    expect(derive('Pod', pod([running(0)]), pod([{ name: 'app', restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: '137' } } }])).map((s) => s.reason).sort()).toEqual(['ContainerRestarted', 'OOMKilled']);
  });
});
