import { describe, expect, it } from 'vitest';
import { addPod, eventsFor, testCluster, testContext } from './controllers/node/test-support.js';
import { createWorkloadControllers } from './controllers/workloads/workload-controllers.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { deletePodGracefully } from './pod-deletion.js';
import { res } from './resources.js';

function pod(c: { ctx: ReturnType<typeof testContext> }, name: string): KubeObject | undefined {
  return c.ctx.store.get(res('pods'), 'shop', name);
}

function cluster() {
  const c = testCluster([{ name: 'node-1' }]);
  const workloads = createWorkloadControllers(c.ctx);
  for (const w of workloads) w.start();
  return {
    ...c,
    stop: () => {
      for (const w of workloads) w.stop();
      c.stop();
    },
  };
}

describe('graceful pod deletion', () => {
  it('marks a bound pod Terminating, SIGTERMs its containers and removes it once they stopped', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'web', terminationGracePeriodSeconds: 45 });
    await c.run(10_000);
    const { pod: terminating, removed } = deletePodGracefully(c.ctx, 'shop', 'web');
    expect(removed).toBe(false);
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(45);
    expect(Date.parse(terminating.metadata.deletionTimestamp ?? '')).toBe(Math.floor(c.clock.now() / 1000) * 1000 + 45_000);
    await c.run(500);
    expect(pod(c, 'web')?.metadata.deletionTimestamp).toBeDefined();
    expect(eventsFor(c.ctx, 'web', 'Killing')[0]).toMatchObject({ type: 'Normal', message: 'Stopping container app' });
    // A second delete is a no-op unless it shortens the grace.
    expect(deletePodGracefully(c.ctx, 'shop', 'web', 60).pod.metadata.deletionGracePeriodSeconds).toBe(45);
    expect(deletePodGracefully(c.ctx, 'shop', 'web', 10).pod.metadata.deletionGracePeriodSeconds).toBe(10);
    await c.run(2000);
    expect(pod(c, 'web')).toBeUndefined();
    c.stop();
  });

  it('removes at once with a grace of 0 (force), an unbound pod, or no kubelet at all', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'web' });
    await c.run(10_000);
    expect(deletePodGracefully(c.ctx, 'shop', 'web', 0).removed).toBe(true);
    expect(pod(c, 'web')).toBeUndefined();
    addPod(c.ctx, { name: 'pending', nodeSelector: { disk: 'none' } });
    await c.run(1000);
    expect(deletePodGracefully(c.ctx, 'shop', 'pending').removed).toBe(true);
    c.stop();

    const bare = testContext();
    bare.store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    addPod(bare, { name: 'seeded', nodeName: 'node-1' });
    expect(deletePodGracefully(bare, 'shop', 'seeded').removed).toBe(true);
    expect(bare.store.get(res('pods'), 'shop', 'seeded')).toBeUndefined();
  });

  it('stays Terminating while the node’s kubelet is stopped, until it is back or a force delete', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'a' });
    addPod(c.ctx, { name: 'b' });
    await c.run(10_000);
    c.ctx.nodeFaults.set('node-1', { kubeletStopped: true });
    deletePodGracefully(c.ctx, 'shop', 'a');
    deletePodGracefully(c.ctx, 'shop', 'b');
    await c.run(60_000);
    expect(pod(c, 'a')?.metadata.deletionTimestamp).toBeDefined();
    expect(pod(c, 'b')?.metadata.deletionTimestamp).toBeDefined();
    deletePodGracefully(c.ctx, 'shop', 'b', 0);
    expect(pod(c, 'b')).toBeUndefined();
    c.ctx.nodeFaults.set('node-1', { kubeletStopped: false });
    await c.run(15_000);
    expect(pod(c, 'a')).toBeUndefined();
    c.stop();
  });

  it('a ReplicaSet creates the replacement while the old pod is still terminating', async () => {
    const c = cluster();
    c.ctx.store.create(res('replicasets.apps'), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.local/shop/web:1' }] } } },
    });
    await c.run(10_000);
    const [old] = c.ctx.store.list(res('pods'), { namespace: 'shop' }).items;
    if (!old) throw new Error('no pod');
    c.ctx.nodeFaults.set('node-1', { kubeletStopped: true });
    deletePodGracefully(c.ctx, 'shop', old.metadata.name);
    await c.run(1000);
    const all = c.ctx.store.list(res('pods'), { namespace: 'shop' }).items;
    expect(all).toHaveLength(2);
    expect(all.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name)).not.toContain(old.metadata.name);
    c.stop();
  });

  it('a StatefulSet recreates a terminating ordinal only once it is gone', async () => {
    const c = cluster();
    c.ctx.store.create(res('statefulsets.apps'), {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop' },
      spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'app', image: 'registry.local/shop/db:1' }] } } },
    });
    await c.run(10_000);
    const first = pod(c, 'db-0');
    if (!first) throw new Error('no db-0');
    c.ctx.nodeFaults.set('node-1', { kubeletStopped: true });
    deletePodGracefully(c.ctx, 'shop', 'db-0');
    await c.run(60_000);
    expect(pod(c, 'db-0')?.metadata.uid).toBe(first.metadata.uid);
    expect(c.ctx.store.list(res('pods'), { namespace: 'shop' }).items).toHaveLength(1);
    c.ctx.nodeFaults.set('node-1', { kubeletStopped: false });
    await c.run(20_000);
    const replacement = pod(c, 'db-0');
    expect(replacement?.metadata.uid).not.toBe(first.metadata.uid);
    expect(replacement?.metadata.deletionTimestamp).toBeUndefined();
    c.stop();
  });
});
