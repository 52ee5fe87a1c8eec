import { describe, expect, it } from 'vitest';
import { res } from '../../resources.js';
import { addPod, condition, eventsFor, getPod, testCluster } from './test-support.js';

const CONTROL_PLANE = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };
const big = (memory: string) => [{ name: 'app', image: 'registry.local/shop/app:1.0', resources: { requests: { memory } } }];

describe('Scheduler', () => {
  it('binds a pod with a Scheduled event and spreads replicas over the least allocated nodes', async () => {
    const c = testCluster([{ name: 'node-1' }, { name: 'node-2' }]);
    addPod(c.ctx, { name: 'web-1', containers: big('2Gi') });
    await c.run(100);
    addPod(c.ctx, { name: 'web-2', containers: big('2Gi') });
    await c.run(1000);
    const first = getPod(c.ctx, 'web-1').spec.nodeName;
    const second = getPod(c.ctx, 'web-2').spec.nodeName;
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
    expect(eventsFor(c.ctx, 'web-1', 'Scheduled')[0]).toMatchObject({
      type: 'Normal',
      message: `Successfully assigned shop/web-1 to ${first}`,
      source: { component: 'default-scheduler' },
    });
    expect(condition(c.ctx, 'web-1', 'PodScheduled')?.status).toBe('True');
    c.stop();
  });

  it('reports insufficient memory and an untolerated taint in the real FitError form, then binds once room appears', async () => {
    const c = testCluster([
      { name: 'cp', taints: [CONTROL_PLANE] },
      { name: 'node-1', memory: '4Gi' },
      { name: 'node-2', memory: '4Gi' },
    ]);
    addPod(c.ctx, { name: 'hog', containers: big('6Gi') });
    await c.run(2000);
    const expected =
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    expect(eventsFor(c.ctx, 'hog', 'FailedScheduling')[0]).toMatchObject({ type: 'Warning', message: expected, source: { component: 'default-scheduler' } });
    expect(condition(c.ctx, 'hog', 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: expected });
    expect(getPod(c.ctx, 'hog').status.phase).toBe('Pending');

    c.ctx.store.mutate(res('nodes'), undefined, 'node-2', (n) => {
      n['status'] = { ...(n['status'] as object), capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } };
    }, { subresource: 'status' });
    await c.run(15_000);
    expect(getPod(c.ctx, 'hog').spec.nodeName).toBe('node-2');
    c.stop();
  });

  it('explains a nodeSelector or required node affinity that no node matches', async () => {
    const c = testCluster([{ name: 'node-1', labels: { disk: 'hdd' } }, { name: 'node-2', labels: { disk: 'hdd', zone: 'a' } }]);
    addPod(c.ctx, { name: 'ssd', nodeSelector: { disk: 'ssd' } });
    addPod(c.ctx, {
      name: 'zoned',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
    });
    await c.run(2000);
    expect(eventsFor(c.ctx, 'ssd', 'FailedScheduling')[0]?.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
    expect(getPod(c.ctx, 'zoned').spec.nodeName).toBe('node-2');
    c.stop();
  });

  it('keeps a pod with an unbound immediate PVC pending until the claim binds', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    c.ctx.store.create(res('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'shop' },
      spec: { storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Pending' },
    });
    addPod(c.ctx, { name: 'db', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] });
    await c.run(2000);
    expect(eventsFor(c.ctx, 'db', 'FailedScheduling')[0]?.message).toBe(
      '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    c.ctx.store.mutate(res('persistentvolumeclaims'), 'shop', 'data', (p) => {
      p['status'] = { phase: 'Bound', capacity: { storage: '1Gi' } };
    }, { subresource: 'status' });
    await c.run(15_000);
    expect(getPod(c.ctx, 'db').spec.nodeName).toBe('node-1');
    expect(getPod(c.ctx, 'db').status.phase).toBe('Running');
    c.stop();
  });

  it('honours cordon, tolerations and required pod anti-affinity by hostname', async () => {
    const c = testCluster([{ name: 'node-1' }, { name: 'node-2', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }]);
    c.ctx.store.mutate(res('nodes'), undefined, 'node-1', (n) => {
      n['spec'] = { ...(n['spec'] as object), unschedulable: true };
    });
    addPod(c.ctx, { name: 'stuck' });
    addPod(c.ctx, { name: 'tolerant', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] });
    await c.run(2000);
    expect(eventsFor(c.ctx, 'stuck', 'FailedScheduling')[0]?.message).toBe(
      '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect(getPod(c.ctx, 'tolerant').spec.nodeName).toBe('node-2');

    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const tolerations = [{ key: 'dedicated', operator: 'Exists' as const }];
    addPod(c.ctx, { name: 'cache-1', labels: { app: 'cache' }, affinity: anti, tolerations });
    await c.run(1000);
    addPod(c.ctx, { name: 'cache-2', labels: { app: 'cache' }, affinity: anti, tolerations });
    await c.run(2000);
    expect(getPod(c.ctx, 'cache-1').spec.nodeName).toBe('node-2');
    expect(eventsFor(c.ctx, 'cache-2', 'FailedScheduling')[0]?.message).toBe(
      "0/2 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    );
    // Uncordon: the waiting pod lands on node-1.
    c.ctx.store.mutate(res('nodes'), undefined, 'node-1', (n) => {
      n['spec'] = { ...(n['spec'] as object), unschedulable: false };
    });
    await c.run(15_000);
    expect(getPod(c.ctx, 'cache-2').spec.nodeName).toBe('node-1');
    expect(getPod(c.ctx, 'stuck').spec.nodeName).toBe('node-1');
    c.stop();
  });
});
