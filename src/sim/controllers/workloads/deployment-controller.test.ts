import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { DeploymentController, resolveIntOrPercent } from './deployment-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { ReplicaSetController } from './replicaset-controller.js';
import { create, deployment, events, makeContext, pods, runAll, setPodState, startAll } from './test-fixture.js';

function setup() {
  const ctx = makeContext();
  const stop = startAll([new DeploymentController(ctx), new ReplicaSetController(ctx), new GarbageCollector(ctx)]);
  return { ctx, stop };
}

function replicaSets(ctx: ReturnType<typeof makeContext>): KubeObject[] {
  return ctx.store.list(res('replicasets.apps'), { namespace: 'shop' }).items;
}

function deploy(ctx: ReturnType<typeof makeContext>, name = 'checkout'): KubeObject {
  return ctx.store.mustGet(res('deployments.apps'), 'shop', name);
}

function setImage(ctx: ReturnType<typeof makeContext>, image: string, name = 'checkout'): void {
  ctx.store.mutate(res('deployments.apps'), 'shop', name, (d) => {
    const spec = d['spec'] as { template: { spec: { containers: { image: string }[] } } };
    const c = spec.template.spec.containers[0];
    if (c) c.image = image;
  });
}

/** Plays a healthy kubelet: every new pod becomes Ready a second after it appears. */
async function settle(ctx: ReturnType<typeof makeContext>, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await ctx.clock.runFor(1000);
    runAll(ctx);
  }
  await ctx.clock.runFor(1000);
}

describe('DeploymentController', () => {
  it('resolves maxSurge up and maxUnavailable down, as Kubernetes rounds them', () => {
    expect(resolveIntOrPercent('25%', 10, true, 0)).toBe(3);
    expect(resolveIntOrPercent('25%', 10, false, 0)).toBe(2);
    expect(resolveIntOrPercent(undefined, 2, true, '25%')).toBe(1);
    expect(resolveIntOrPercent(undefined, 2, false, '25%')).toBe(0);
  });

  it('creates a ReplicaSet named <deploy>-<hash> with revision 1 and its pods, and reports availability', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 2 }));
    await ctx.clock.runFor(10);
    const [rs] = replicaSets(ctx);
    expect(rs?.metadata.name).toMatch(/^checkout-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    const hash = rs?.metadata.labels?.['pod-template-hash'];
    expect(rs?.metadata.name).toBe(`checkout-${hash}`);
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'checkout', controller: true });
    const ps = pods(ctx);
    expect(ps).toHaveLength(2);
    for (const p of ps) {
      expect(p.metadata.name).toMatch(new RegExp(`^checkout-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.labels).toMatchObject({ app: 'checkout', 'pod-template-hash': hash });
    }
    expect(events(ctx, 'ScalingReplicaSet').map((e) => e.message)).toEqual([`Scaled up replica set checkout-${hash} from 0 to 2`]);
    expect(events(ctx, 'SuccessfulCreate')).toHaveLength(2);
    expect(events(ctx, 'SuccessfulCreate')[0]?.source.component).toBe('replicaset-controller');

    await settle(ctx, 2);
    const status = deploy(ctx)['status'] as { availableReplicas: number; updatedReplicas: number; conditions: { type: string; status: string; reason: string }[] };
    expect(status.availableReplicas).toBe(2);
    expect(status.updatedReplicas).toBe(2);
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
        expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }),
      ]),
    );
    stop();
  });

  it('rolls out a new image within maxSurge and maxUnavailable, then rollback reuses the old ReplicaSet', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 4 }));
    await settle(ctx, 2);
    const first = replicaSets(ctx)[0];
    setImage(ctx, 'registry.local/shop/checkout:2.0.0');
    // maxSurge 25% of 4 = 1, maxUnavailable 25% of 4 = 1: never more than 5 pods, never fewer than 3 ready.
    let maxPods = 0;
    let minReady = Infinity;
    for (let i = 0; i < 30; i++) {
      await ctx.clock.runFor(500);
      const active = pods(ctx);
      maxPods = Math.max(maxPods, active.length);
      minReady = Math.min(minReady, active.filter((p) => (p['status'] as { conditions?: { type: string; status: string }[] }).conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length);
      runAll(ctx);
    }
    expect(maxPods).toBeLessThanOrEqual(5);
    expect(minReady).toBeGreaterThanOrEqual(3);
    const rsList = replicaSets(ctx);
    expect(rsList).toHaveLength(2);
    const second = rsList.find((r) => r.metadata.uid !== first?.metadata.uid);
    expect(second?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect((second?.['spec'] as { replicas: number }).replicas).toBe(4);
    expect((replicaSets(ctx).find((r) => r.metadata.uid === first?.metadata.uid)?.['spec'] as { replicas: number }).replicas).toBe(0);
    expect(pods(ctx).every((p) => p.metadata.labels?.['pod-template-hash'] === second?.metadata.labels?.['pod-template-hash'])).toBe(true);
    expect(deploy(ctx).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');

    // kubectl rollout undo: the template goes back to revision 1's.
    setImage(ctx, 'registry.local/shop/checkout:1.0.0');
    await settle(ctx, 20);
    const after = replicaSets(ctx);
    expect(after).toHaveLength(2);
    const reused = after.find((r) => r.metadata.uid === first?.metadata.uid);
    expect(reused?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect((reused?.['spec'] as { replicas: number }).replicas).toBe(4);
    expect(deploy(ctx).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(events(ctx, 'ScalingReplicaSet').at(-1)?.message).toMatch(/^Scaled down replica set checkout-\w+ from 1 to 0$/);
    stop();
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 1, revisionHistoryLimit: 1 }));
    await settle(ctx, 2);
    for (const v of ['2', '3', '4']) {
      setImage(ctx, `registry.local/shop/checkout:${v}`);
      await settle(ctx, 6);
    }
    const revisions = replicaSets(ctx).map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort();
    expect(revisions).toEqual(['3', '4']);
    stop();
  });

  it('Recreate scales the old ReplicaSet to zero before the new one starts', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 3, strategy: { type: 'Recreate' } }));
    await settle(ctx, 2);
    const oldHash = pods(ctx)[0]?.metadata.labels?.['pod-template-hash'];
    setImage(ctx, 'registry.local/shop/checkout:2.0.0');
    await ctx.clock.runFor(10);
    const hashes = new Set(pods(ctx).map((p) => p.metadata.labels?.['pod-template-hash']));
    expect(hashes.has(oldHash)).toBe(false);
    expect(pods(ctx)).toHaveLength(3);
    stop();
  });

  it('marks Progressing False with ProgressDeadlineExceeded when new pods never become ready', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 2, progressDeadlineSeconds: 60 }));
    await settle(ctx, 2);
    setImage(ctx, 'registry.local/shop/checkout:broken');
    await ctx.clock.runFor(30_000);
    let progressing = (deploy(ctx)['status'] as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    await ctx.clock.runFor(60_000);
    progressing = (deploy(ctx)['status'] as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(progressing?.message).toMatch(/^ReplicaSet "checkout-\w+" has timed out progressing\.$/);
    // The old pods stay: maxUnavailable 0 of 2 means none may go before a new one is available.
    expect(pods(ctx).filter((p) => (p['status'] as { phase: string }).phase === 'Running')).toHaveLength(2);
    stop();
  });

  it('replaces a deleted pod and deletes the ReplicaSets and pods when the deployment is deleted', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 2 }));
    await settle(ctx, 2);
    const victim = pods(ctx)[0] as KubeObject;
    ctx.store.delete(res('pods'), 'shop', victim.metadata.name);
    await ctx.clock.runFor(10);
    expect(pods(ctx)).toHaveLength(2);
    expect(pods(ctx).some((p) => p.metadata.name === victim.metadata.name)).toBe(false);

    const evicted = pods(ctx)[0] as KubeObject;
    setPodState(ctx, evicted, { phase: 'Failed', ready: false });
    await ctx.clock.runFor(10);
    expect(pods(ctx).filter((p) => (p['status'] as { phase: string }).phase !== 'Failed')).toHaveLength(2);

    ctx.store.delete(res('deployments.apps'), 'shop', 'checkout');
    await ctx.clock.runFor(10);
    expect(replicaSets(ctx)).toHaveLength(0);
    expect(pods(ctx)).toHaveLength(0);
    stop();
  });
});
