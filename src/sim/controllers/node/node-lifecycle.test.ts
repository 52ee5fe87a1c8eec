import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { SimContext } from '../../sim-context.js';
import { addPod, condition, eventsFor, getPod, testCluster } from './test-support.js';
import type { Taint } from './pod-spec.js';

function node(ctx: SimContext, name: string): KubeObject & { spec?: { taints?: Taint[] }; status: { conditions: { type: string; status: string; reason: string; message: string }[] } } {
  return ctx.store.mustGet(res('nodes'), undefined, name) as never;
}

describe('node lifecycle', () => {
  it('posts kubelet heartbeats with conditions, capacity and version', async () => {
    const c = testCluster([{ name: 'node-1', cpu: '2', memory: '8Gi' }]);
    await c.run(25_000);
    const n = node(c.ctx, 'node-1');
    expect(n.status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    expect(n.status.conditions.find((x) => x.type === 'MemoryPressure')).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientMemory' });
    expect((n.status as unknown as { allocatable: Record<string, string>; nodeInfo: { kubeletVersion: string } }).allocatable.memory).toBe('8Gi');
    expect((n.status as unknown as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toMatch(/^v1\./);
    expect(n.metadata.labels?.['kubernetes.io/hostname']).toBe('node-1');
    c.stop();
  });

  it('turns a silent node NotReady after the grace period, taints it, and evicts its pods after 300s', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'web', nodeName: 'node-1' });
    await c.run(20_000);
    expect(getPod(c.ctx, 'web').status.phase).toBe('Running');
    c.ctx.nodeFaults.set('node-1', { kubeletStopped: true });
    await c.run(30_000);
    expect(node(c.ctx, 'node-1').status.conditions.find((x) => x.type === 'Ready')?.status).toBe('True');
    await c.run(30_000);
    const n = node(c.ctx, 'node-1');
    expect(n.status.conditions.find((x) => x.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(n.spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    expect(eventsFor(c.ctx, 'node-1', 'NodeNotReady')[0]).toMatchObject({ type: 'Normal', message: 'Node node-1 status is now: NodeNotReady', source: { component: 'node-controller' } });
    expect(condition(c.ctx, 'web', 'Ready')?.status).toBe('False');
    const uid = getPod(c.ctx, 'web').metadata.uid;
    await c.run(310_000);
    // Evicted gracefully: with its kubelet unreachable the pod stays Terminating.
    expect(getPod(c.ctx, 'web').metadata).toMatchObject({ uid, deletionGracePeriodSeconds: 30 });
    expect(getPod(c.ctx, 'web').metadata.deletionTimestamp).toBeDefined();
    const eviction = (c.ctx.store.list(res('events')).items as unknown as { reason: string; message: string; involvedObject: { uid: string } }[]).find((e) => e.reason === 'TaintManagerEviction');
    expect(eviction).toMatchObject({ message: 'Marking for deletion Pod shop/web', involvedObject: { uid } });

    c.ctx.nodeFaults.set('node-1', { kubeletStopped: false });
    await c.run(20_000);
    expect(node(c.ctx, 'node-1').status.conditions.find((x) => x.type === 'Ready')?.status).toBe('True');
    // The kubelet is back: it stops the containers and finishes the deletion.
    expect(c.ctx.store.get(res('pods'), 'shop', 'web')).toBeUndefined();
    expect(node(c.ctx, 'node-1').spec?.taints ?? []).toEqual([]);
    expect(eventsFor(c.ctx, 'node-1', 'NodeReady')[0]?.message).toBe('Node node-1 status is now: NodeReady');
    c.stop();
  });

  it('under memory pressure: condition, taint, and pods evicted one by one, BestEffort first, with the kubelet message', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'besteffort', behavior: { memory: { baseMi: 512 } } });
    addPod(c.ctx, { name: 'guaranteed', containers: [{ name: 'app', image: 'registry.local/shop/app:1.0', resources: { requests: { memory: '256Mi', cpu: '100m' }, limits: { memory: '256Mi', cpu: '100m' } } }], behavior: { memory: { baseMi: 100 } } });
    await c.run(20_000);
    c.ctx.nodeFaults.set('node-1', { memoryPressure: true });
    await c.run(12_000);
    const n = node(c.ctx, 'node-1');
    expect(n.status.conditions.find((x) => x.type === 'MemoryPressure')).toMatchObject({ status: 'True', reason: 'KubeletHasInsufficientMemory' });
    expect(n.spec?.taints?.map((t) => t.key)).toContain('node.kubernetes.io/memory-pressure');
    expect(eventsFor(c.ctx, 'node-1', 'NodeHasInsufficientMemory')[0]).toMatchObject({ type: 'Normal', message: 'Node node-1 status is now: NodeHasInsufficientMemory', source: { component: 'kubelet' } });
    expect(eventsFor(c.ctx, 'node-1', 'EvictionThresholdMet')[0]).toMatchObject({ type: 'Warning', message: 'Attempting to reclaim memory' });
    const evicted = getPod(c.ctx, 'besteffort').status;
    expect(evicted.phase).toBe('Failed');
    expect(evicted.reason).toBe('Evicted');
    expect(evicted.message).toMatch(/^The node was low on resource: memory\. Threshold quantity: 100Mi, available: \d+Ki\. Container app was using 524288Ki, request is 0, has larger consumption of memory\. $/);
    expect(eventsFor(c.ctx, 'besteffort', 'Evicted')[0]?.message).toBe(evicted.message);
    expect(getPod(c.ctx, 'guaranteed').status.phase).toBe('Running');
    await c.run(10_000);
    expect(getPod(c.ctx, 'guaranteed').status.reason).toBe('Evicted');
    // New pods are kept off the node by the pressure taint.
    addPod(c.ctx, { name: 'late' });
    await c.run(3000);
    expect(eventsFor(c.ctx, 'late', 'FailedScheduling')[0]?.message).toContain('1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }');
    c.ctx.nodeFaults.set('node-1', { memoryPressure: false });
    await c.run(20_000);
    expect(getPod(c.ctx, 'late').spec.nodeName).toBe('node-1');
    c.stop();
  });

  it('reports disk pressure with the kubelet condition and an ephemeral-storage eviction', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'logs' });
    await c.run(15_000);
    c.ctx.nodeFaults.set('node-1', { diskPressure: true });
    await c.run(20_000);
    expect(node(c.ctx, 'node-1').status.conditions.find((x) => x.type === 'DiskPressure')).toMatchObject({ status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' });
    expect(eventsFor(c.ctx, 'node-1', 'NodeHasDiskPressure')[0]?.type).toBe('Normal');
    expect(getPod(c.ctx, 'logs').status.message).toMatch(/^The node was low on resource: ephemeral-storage\. Threshold quantity: 10Gi, available: \d+Ki\. Container app was using \d+Ki, request is 0, has larger consumption of ephemeral-storage\. $/);
    c.stop();
  });
});
