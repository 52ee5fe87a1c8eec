import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { nextCronTime, parseCronSchedule } from './cron-schedule.js';
import { createWorkloadControllers } from './workload-controllers.js';
import { create, deployment, events, makeContext, pods, runAll, setPodState, START, startAll } from './test-fixture.js';

function setup() {
  const ctx = makeContext();
  const stop = startAll(createWorkloadControllers(ctx));
  return { ctx, stop };
}

function status<T>(ctx: ReturnType<typeof makeContext>, resource: string, name: string, namespace: string | undefined = 'shop'): T {
  return ctx.store.mustGet(res(resource), namespace, name)['status'] as T;
}

function job(name: string, spec: Record<string, unknown>): Parameters<typeof create>[2] {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'shop' },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'registry.local/shop/migrate:1' }] } } },
  };
}

describe('JobController', () => {
  it('fails with BackoffLimitExceeded after backoffLimit + 1 failed pods, backing off between retries', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'jobs.batch', job('migrate', { backoffLimit: 2 }));
    for (let i = 0; i < 3; i++) {
      await ctx.clock.runFor(400_000);
      const running = pods(ctx).filter((p) => (p['status'] as { phase: string }).phase === 'Pending');
      expect(running).toHaveLength(1);
      setPodState(ctx, running[0] as KubeObject, { phase: 'Failed', ready: false });
    }
    await ctx.clock.runFor(10);
    const st = status<{ failed: number; conditions: { type: string; reason: string; message: string }[] }>(ctx, 'jobs.batch', 'migrate');
    expect(st.failed).toBe(3);
    expect(st.conditions.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(events(ctx, 'BackoffLimitExceeded')[0]).toMatchObject({ type: 'Warning', source: { component: 'job-controller' } });
    expect(events(ctx, 'SuccessfulCreate').filter((e) => e.involvedObject.kind === 'Job')).toHaveLength(3);
    stop();
  });

  it('completes after `completions` successes with at most `parallelism` pods at once', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'jobs.batch', job('report', { completions: 3, parallelism: 2 }));
    await ctx.clock.runFor(10);
    expect(pods(ctx)).toHaveLength(2);
    for (const p of pods(ctx)) setPodState(ctx, p, { phase: 'Succeeded' });
    await ctx.clock.runFor(10);
    const pending = pods(ctx).filter((p) => (p['status'] as { phase: string }).phase === 'Pending');
    expect(pending).toHaveLength(1);
    setPodState(ctx, pending[0] as KubeObject, { phase: 'Succeeded' });
    await ctx.clock.runFor(10);
    const st = status<{ succeeded: number; completionTime: string; conditions: { type: string; status: string }[] }>(ctx, 'jobs.batch', 'report');
    expect(st.succeeded).toBe(3);
    expect(st.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]));
    expect(events(ctx, 'Completed')[0]?.message).toBe('Job completed');
    stop();
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'jobs.batch', job('slow', { activeDeadlineSeconds: 30 }));
    await ctx.clock.runFor(31_000);
    const st = status<{ conditions: { type: string; reason: string }[] }>(ctx, 'jobs.batch', 'slow');
    expect(st.conditions.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(pods(ctx)).toHaveLength(0);
    stop();
  });
});

describe('CronJob', () => {
  it('parses schedules with steps, ranges, lists, names and macros', () => {
    const every15 = parseCronSchedule('*/15 * * * *');
    expect(nextCronTime(every15, Date.parse('2025-01-01T00:07:00Z'))).toBe(Date.parse('2025-01-01T00:15:00Z'));
    const weekdays = parseCronSchedule('30 9 * * mon-fri');
    expect(new Date(nextCronTime(weekdays, Date.parse('2025-01-03T10:00:00Z')) ?? 0).toISOString()).toBe('2025-01-06T09:30:00.000Z');
    expect(nextCronTime(parseCronSchedule('@hourly'), Date.parse('2025-01-01T00:00:00Z'))).toBe(Date.parse('2025-01-01T01:00:00Z'));
    expect(nextCronTime(parseCronSchedule('0 0 1,15 * *'), Date.parse('2025-01-02T00:00:00Z'))).toBe(Date.parse('2025-01-15T00:00:00Z'));
    expect(() => parseCronSchedule('61 * * * *')).toThrow(RangeError);
    expect(() => parseCronSchedule('* * *')).toThrow(/5 fields/);
  });

  it('creates <cronjob>-<minutes since epoch> jobs on schedule and keeps the history limit', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'cronjobs.batch', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cleanup', namespace: 'shop' },
      spec: { schedule: '*/5 * * * *', successfulJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    });
    await ctx.clock.runFor(5 * 60_000);
    const first = `cleanup-${(START + 5 * 60_000) / 60_000}`;
    expect(ctx.store.get(res('jobs.batch'), 'shop', first)).toBeDefined();
    expect(events(ctx, 'SuccessfulCreate').some((e) => e.message === `Created job ${first}`)).toBe(true);
    for (let i = 0; i < 2; i++) {
      for (const p of pods(ctx)) if ((p['status'] as { phase: string }).phase === 'Pending') setPodState(ctx, p, { phase: 'Succeeded' });
      await ctx.clock.runFor(5 * 60_000);
    }
    expect(events(ctx, 'SawCompletedJob')[0]?.message).toBe(`Saw completed job: ${first}, condition: Complete`);
    const finished = ctx.store.list(res('jobs.batch'), { namespace: 'shop' }).items.filter((j) => (j['status'] as { conditions?: { type: string }[] }).conditions?.some((c) => c.type === 'Complete'));
    expect(finished).toHaveLength(1);
    stop();
  });
});

describe('ResourceQuota', () => {
  it('refuses pods over quota with the real FailedCreate message and keeps status.used current', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute-quota', namespace: 'shop' }, spec: { hard: { 'requests.cpu': '1', pods: '10' } } });
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 3, cpu: '400m' }));
    await ctx.clock.runFor(10);
    expect(pods(ctx)).toHaveLength(2);
    const failed = events(ctx, 'FailedCreate');
    expect(failed[0]?.type).toBe('Warning');
    expect(failed[0]?.message).toMatch(
      /^Error creating: pods "checkout-\w+-\w{5}" is forbidden: exceeded quota: compute-quota, requested: requests\.cpu=400m, used: requests\.cpu=800m, limited: requests\.cpu=1$/,
    );
    expect(status<{ used: Record<string, string> }>(ctx, 'resourcequotas', 'compute-quota').used).toEqual({ 'requests.cpu': '800m', pods: '2' });
    const d = status<{ conditions: { type: string; reason: string }[] }>(ctx, 'deployments.apps', 'checkout');
    expect(d.conditions.find((c) => c.type === 'ReplicaFailure')?.reason).toBe('FailedCreate');

    // Raising the quota lets the retry through.
    ctx.store.mutate(res('resourcequotas'), 'shop', 'compute-quota', (q) => { (q['spec'] as { hard: Record<string, string> }).hard['requests.cpu'] = '2'; });
    await ctx.clock.runFor(60_000);
    expect(pods(ctx)).toHaveLength(3);
    expect(status<{ used: Record<string, string> }>(ctx, 'resourcequotas', 'compute-quota').used['requests.cpu']).toBe('1200m');
    stop();
  });
});

describe('HorizontalPodAutoscaler', () => {
  it('scales on CPU usage, stops at maxReplicas with TooManyReplicas, and scales down after stabilization', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 2, cpu: '200m' }));
    create(ctx, 'horizontalpodautoscalers.autoscaling', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    });
    let cpu = 180;
    const kubelet = () => {
      runAll(ctx);
      for (const p of pods(ctx)) ctx.usage.set('shop', p.metadata.name, 'node-1', 'app', { cpuMillicores: cpu, memoryBytes: 50 * 2 ** 20 });
    };
    for (let i = 0; i < 8; i++) {
      kubelet();
      await ctx.clock.runFor(5000);
    }
    // 180m of 200m = 90 % vs 50 %: 2 → ceil(2 × 1.8) = 4 (capped by max 4 on the way to more).
    expect(pods(ctx)).toHaveLength(4);
    const rescale = events(ctx, 'SuccessfulRescale');
    expect(rescale[0]?.message).toBe('New size: 4; reason: cpu resource utilization (percentage of request) above target');
    expect(rescale[0]?.source.component).toBe('horizontal-pod-autoscaler');
    for (let i = 0; i < 6; i++) {
      kubelet();
      await ctx.clock.runFor(5000);
    }
    const st = status<{ currentReplicas: number; desiredReplicas: number; currentMetrics: { resource: { current: { averageUtilization: number } } }[]; conditions: { type: string; status: string; reason: string; message: string }[] }>(
      ctx, 'horizontalpodautoscalers.autoscaling', 'checkout');
    expect(st.currentReplicas).toBe(4);
    expect(st.currentMetrics[0]?.resource.current.averageUtilization).toBe(90);
    expect(st.conditions.find((c) => c.type === 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    expect(st.conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound' });

    cpu = 20;
    for (let i = 0; i < 12; i++) {
      kubelet();
      await ctx.clock.runFor(10_000);
    }
    // Within the 5-minute scale-down window nothing shrinks.
    expect(status<{ desiredReplicas: number }>(ctx, 'deployments.apps', 'checkout')).toBeDefined();
    expect(ctx.store.mustGet(res('deployments.apps'), 'shop', 'checkout')['spec']).toMatchObject({ replicas: 4 });
    expect(status<{ conditions: { type: string; reason: string }[] }>(ctx, 'horizontalpodautoscalers.autoscaling', 'checkout').conditions.find((c) => c.type === 'AbleToScale')?.reason).toBe('ScaleDownStabilized');
    for (let i = 0; i < 20; i++) {
      kubelet();
      await ctx.clock.runFor(10_000);
    }
    expect(ctx.store.mustGet(res('deployments.apps'), 'shop', 'checkout')['spec']).toMatchObject({ replicas: 2 });
    expect(events(ctx, 'SuccessfulRescale').at(-1)?.message).toBe('New size: 2; reason: All metrics below target');
    stop();
  });
});

describe('EndpointsController', () => {
  it('lists ready pods under addresses and the rest under notReadyAddresses, following readiness and selector', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'deployments.apps', deployment('checkout', { replicas: 2 }));
    create(ctx, 'services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'checkout', namespace: 'shop' }, spec: { selector: { app: 'checkout' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    await ctx.clock.runFor(10);
    const [a, b] = pods(ctx) as [KubeObject, KubeObject];
    setPodState(ctx, a, { phase: 'Running', ready: true, ip: '10.244.0.5' });
    setPodState(ctx, b, { phase: 'Running', ready: false, ip: '10.244.0.6' });
    await ctx.clock.runFor(10);
    type Subset = { addresses?: { ip: string; nodeName: string; targetRef: { name: string } }[]; notReadyAddresses?: { ip: string }[]; ports: { name: string; port: number; protocol: string }[] };
    const subsets = () => (ctx.store.mustGet(res('endpoints'), 'shop', 'checkout')['subsets'] as Subset[] | undefined) ?? [];
    expect(subsets()).toEqual([
      {
        addresses: [{ ip: '10.244.0.5', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'shop', name: a.metadata.name, uid: a.metadata.uid } }],
        notReadyAddresses: [expect.objectContaining({ ip: '10.244.0.6' })],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    setPodState(ctx, b, { ready: true });
    await ctx.clock.runFor(10);
    expect(subsets()[0]?.addresses?.map((x) => x.ip)).toEqual(['10.244.0.5', '10.244.0.6']);
    ctx.store.mutate(res('services'), 'shop', 'checkout', (s) => { (s['spec'] as { selector: Record<string, string> }).selector = { app: 'nothing' }; });
    await ctx.clock.runFor(10);
    expect(subsets()).toEqual([]);
    stop();
  });
});

describe('PersistentVolumeController', () => {
  const claim = (name: string, storageClassName?: string): Parameters<typeof create>[2] => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'shop' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, ...(storageClassName !== undefined ? { storageClassName } : {}) },
  });

  it('provisions and binds a claim whose class exists', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'storageclasses.storage.k8s.io', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard' }, provisioner: 'rancher.io/local-path' });
    const pvc = create(ctx, 'persistentvolumeclaims', claim('data', 'standard'));
    await ctx.clock.runFor(2000);
    expect(status<{ phase: string; capacity: { storage: string } }>(ctx, 'persistentvolumeclaims', 'data')).toMatchObject({ phase: 'Bound', capacity: { storage: '5Gi' } });
    const pv = ctx.store.mustGet(res('persistentvolumes'), undefined, `pvc-${pvc.metadata.uid}`);
    expect(pv['spec']).toMatchObject({ claimRef: { name: 'data', namespace: 'shop' }, capacity: { storage: '5Gi' } });
    expect(ctx.store.mustGet(res('persistentvolumeclaims'), 'shop', 'data').metadata.annotations?.['volume.kubernetes.io/storage-provisioner']).toBe('rancher.io/local-path');
    expect(events(ctx, 'ProvisioningSucceeded')[0]).toMatchObject({ message: `Successfully provisioned volume pvc-${pvc.metadata.uid} using rancher.io/local-path`, source: { component: 'rancher.io/local-path' } });
    stop();
  });

  it('leaves a claim Pending with ProvisioningFailed when its class does not exist, retrying with back-off', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'persistentvolumeclaims', claim('data', 'fast-ssd'));
    await ctx.clock.runFor(10 * 60_000);
    expect(status<{ phase: string }>(ctx, 'persistentvolumeclaims', 'data').phase).toBe('Pending');
    const failed = events(ctx, 'ProvisioningFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'Warning', message: 'storageclass.storage.k8s.io "fast-ssd" not found', source: { component: 'persistentvolume-controller' } });
    // 15 s, 30 s, 60 s, 120 s, 240 s … within 10 minutes: about six attempts, aggregated into one event.
    expect(failed[0]?.count).toBeGreaterThanOrEqual(5);
    expect(failed[0]?.count).toBeLessThanOrEqual(7);
    stop();
  });

  it('reports FailedBinding without a class and the annotated failure message of a failing class', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'storageclasses.storage.k8s.io', {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'broken', annotations: { 'sim.aetherius.io/provisioning-fails': 'rpc error: code = ResourceExhausted desc = volume quota exceeded' } }, provisioner: 'ebs.csi.aws.com',
    });
    create(ctx, 'persistentvolumeclaims', claim('plain'));
    create(ctx, 'persistentvolumeclaims', claim('data', 'broken'));
    await ctx.clock.runFor(1000);
    expect(events(ctx, 'FailedBinding')[0]).toMatchObject({ type: 'Normal', message: 'no persistent volumes available for this claim and no storage class is set' });
    expect(events(ctx, 'ProvisioningFailed')[0]).toMatchObject({ type: 'Warning', message: 'rpc error: code = ResourceExhausted desc = volume quota exceeded' });
    stop();
  });
});

describe('StatefulSet and DaemonSet', () => {
  it('creates web-0, then web-1 only once web-0 is Ready, with a PVC per pod', async () => {
    const { ctx, stop } = setup();
    create(ctx, 'statefulsets.apps', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 2,
        serviceName: 'web',
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    await ctx.clock.runFor(10);
    expect(pods(ctx).map((p) => p.metadata.name)).toEqual(['web-0']);
    expect(ctx.store.get(res('persistentvolumeclaims'), 'shop', 'www-web-0')).toBeDefined();
    expect(events(ctx, 'SuccessfulCreate').map((e) => e.message)).toEqual(['create Claim www-web-0 Pod web-0 in StatefulSet web success', 'create Pod web-0 in StatefulSet web successful']);
    runAll(ctx);
    await ctx.clock.runFor(10);
    expect(pods(ctx).map((p) => p.metadata.name).sort()).toEqual(['web-0', 'web-1']);
    runAll(ctx);
    await ctx.clock.runFor(10);
    expect(status<{ readyReplicas: number; currentRevision: string }>(ctx, 'statefulsets.apps', 'web')).toMatchObject({ readyReplicas: 2 });
    expect(ctx.store.list(res('controllerrevisions.apps'), { namespace: 'shop' }).items).toHaveLength(1);
    stop();
  });

  it('runs one daemon pod per node it tolerates, pinned by node affinity', async () => {
    const { ctx, stop } = setup();
    for (const [name, taints] of [['node-1', []], ['node-2', [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]], ['node-3', []]] as const) {
      create(ctx, 'nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } });
    }
    create(ctx, 'daemonsets.apps', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'log-agent', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'log-agent' } }, template: { metadata: { labels: { app: 'log-agent' } }, spec: { containers: [{ name: 'agent', image: 'fluent-bit' }] } } },
    });
    await ctx.clock.runFor(10);
    const nodesOf = () =>
      pods(ctx)
        .map((p) => (p['spec'] as { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchFields: { values: string[] }[] }[] } } } }).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]?.matchFields[0]?.values[0])
        .sort();
    expect(nodesOf()).toEqual(['node-1', 'node-3']);
    expect(status<{ desiredNumberScheduled: number }>(ctx, 'daemonsets.apps', 'log-agent').desiredNumberScheduled).toBe(2);
    ctx.store.mutate(res('nodes'), undefined, 'node-2', (n) => { (n['spec'] as { taints: unknown[] }).taints = []; });
    await ctx.clock.runFor(10);
    expect(nodesOf()).toEqual(['node-1', 'node-2', 'node-3']);
    stop();
  });
});
