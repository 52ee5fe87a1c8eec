import { describe, expect, it } from 'vitest';
import { res } from '../../resources.js';
import { addPod, condition, containerStatus, eventsFor, getPod, latestLogText, logText, testCluster } from './test-support.js';

const IMAGE = 'registry.local/shop/app:1.0';

describe('Kubelet', () => {
  it('pulls, creates and starts a container, reports Running and Ready with a pod IP, and writes its logs', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'web', behavior: { logs: ['INFO server started on :8080'] } });
    await c.run(10_000);
    const pod = getPod(c.ctx, 'web');
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(condition(c.ctx, 'web', 'Ready')?.status).toBe('True');
    expect(containerStatus(c.ctx, 'web')).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
    const reasons = eventsFor(c.ctx, 'web').map((e) => e.reason);
    expect(reasons).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    expect(eventsFor(c.ctx, 'web', 'Pulled')[0]?.message).toMatch(new RegExp(`^Successfully pulled image "${IMAGE}" in [\\d.]+m?s \\([\\d.]+m?s including waiting\\)$`));
    expect(eventsFor(c.ctx, 'web', 'Started')[0]).toMatchObject({ message: 'Started container app', source: { component: 'kubelet', host: 'node-1' }, involvedObject: { fieldPath: 'spec.containers{app}' } });
    expect(logText(c.ctx, 'web', 0)).toEqual(['INFO server started on :8080']);
    expect(c.ctx.usage.pod('shop', 'web')?.containers.get('app')?.memoryBytes).toBe(50 * 2 ** 20);
    c.stop();
  });

  it('OOM-kills a container whose memory reaches its limit, restarts it with a doubling CrashLoopBackOff', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, {
      name: 'checkout',
      containers: [{ name: 'app', image: IMAGE, resources: { limits: { memory: '128Mi' } } }],
      behavior: { memory: { baseMi: 100, growthMiPerMinute: 120 }, logs: ['starting'] },
    });
    await c.run(20_000);
    // 100Mi + 2Mi/s reaches 128Mi after ~14s of running.
    expect(containerStatus(c.ctx, 'checkout')?.lastState.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(containerStatus(c.ctx, 'checkout')?.restartCount).toBe(1);
    await c.run(15_000);
    const st = containerStatus(c.ctx, 'checkout');
    expect(st?.state.waiting).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(st?.state.waiting?.message).toMatch(/^back-off 10s restarting failed container=app pod=checkout_shop\([0-9a-f-]+\)$/);
    expect(eventsFor(c.ctx, 'checkout', 'BackOff')[0]?.message).toMatch(/^Back-off restarting failed container app in pod checkout_shop\(/);
    expect(eventsFor(c.ctx, 'checkout', 'OOMKilled')).toEqual([]); // the kubelet reports OOM in the state only
    await c.run(5 * 60_000);
    const later = containerStatus(c.ctx, 'checkout');
    expect(later?.restartCount).toBeGreaterThanOrEqual(4);
    expect(later?.restartCount).toBeLessThanOrEqual(6);
    expect(getPod(c.ctx, 'checkout').status.phase).toBe('Running');
    // Only the current and the previous instance keep their logs, as on a node.
    const n = later?.restartCount ?? 0;
    expect(logText(c.ctx, 'checkout', n)).toEqual(['starting']);
    expect(logText(c.ctx, 'checkout', n - 1)).toEqual(['starting']);
    expect(logText(c.ctx, 'checkout', n - 2)).toEqual([]);
    c.stop();
  });

  it('reports a missing image as ErrImagePull, then ImagePullBackOff with the runtime error text', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    const image = 'registry.local/shop/app:9.9';
    c.ctx.images.missing.add(image);
    addPod(c.ctx, { name: 'bad', containers: [{ name: 'app', image }] });
    await c.run(5000);
    const failed = eventsFor(c.ctx, 'bad', 'Failed').map((e) => e.message);
    expect(failed).toContain(
      `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
    );
    expect(failed).toContain('Error: ErrImagePull');
    expect(failed).toContain('Error: ImagePullBackOff');
    expect(eventsFor(c.ctx, 'bad', 'BackOff')[0]).toMatchObject({ type: 'Normal', message: `Back-off pulling image "${image}"` });
    expect(containerStatus(c.ctx, 'bad')?.state.waiting).toEqual({ reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
    expect(getPod(c.ctx, 'bad').status.phase).toBe('Pending');
    await c.run(3 * 60_000);
    expect(eventsFor(c.ctx, 'bad', 'Pulling')[0]?.count).toBeGreaterThanOrEqual(4);
    c.stop();
  });

  it('waits in CreateContainerConfigError until the ConfigMap and its key exist, and FailedMount for a missing volume source', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, {
      name: 'api',
      containers: [{ name: 'app', image: IMAGE, env: [{ name: 'DB_URL', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'DB_URL' } } }] }],
    });
    addPod(c.ctx, { name: 'mounted', volumes: [{ name: 'creds', secret: { secretName: 'db-credentials' } }] });
    await c.run(8000);
    expect(containerStatus(c.ctx, 'api')?.state.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "app-config" not found' });
    expect(eventsFor(c.ctx, 'api', 'Failed')[0]).toMatchObject({ type: 'Warning', message: 'Error: configmap "app-config" not found' });
    expect(eventsFor(c.ctx, 'mounted', 'FailedMount')[0]?.message).toBe('MountVolume.SetUp failed for volume "creds" : secret "db-credentials" not found');
    expect(containerStatus(c.ctx, 'mounted')?.state.waiting?.reason).toBe('ContainerCreating');

    c.ctx.store.create(res('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'shop' }, data: { OTHER: 'x' } });
    await c.run(2000);
    expect(containerStatus(c.ctx, 'api')?.state.waiting?.message).toBe("couldn't find key DB_URL in ConfigMap shop/app-config");
    c.ctx.store.mutate(res('configmaps'), 'shop', 'app-config', (cm) => {
      cm['data'] = { DB_URL: 'postgres://db' };
    });
    c.ctx.store.create(res('secrets'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'shop' }, data: {} });
    await c.run(5000);
    expect(getPod(c.ctx, 'api').status.phase).toBe('Running');
    expect(getPod(c.ctx, 'mounted').status.phase).toBe('Running');
    c.stop();
  });

  it('fails an unknown command with StartError 128 and the runc message', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'cmd', containers: [{ name: 'app', image: IMAGE, command: ['/app/start.sh'] }], behavior: { knownCommands: ['/app/run'] } });
    await c.run(15_000);
    const text =
      'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/start.sh": stat /app/start.sh: no such file or directory: unknown';
    expect(eventsFor(c.ctx, 'cmd', 'Failed')[0]?.message).toBe(`Error: ${text}`);
    expect(containerStatus(c.ctx, 'cmd')?.lastState.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', startedAt: '1970-01-01T00:00:00Z' });
    expect(containerStatus(c.ctx, 'cmd')?.state.waiting?.reason).toBe('CrashLoopBackOff');
    c.stop();
  });

  it('fails a bare command name not in $PATH with StartError 127', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'bare', containers: [{ name: 'app', image: IMAGE, command: ['gunicorn'] }], behavior: { knownCommands: ['python'] } });
    await c.run(15_000);
    expect(eventsFor(c.ctx, 'bare', 'Failed')[0]?.message).toContain('exec: "gunicorn": executable file not found in $PATH');
    expect(containerStatus(c.ctx, 'bare')?.lastState.terminated).toMatchObject({ exitCode: 127, reason: 'StartError' });
    c.stop();
  });

  it('crashes while a dependency has no ready endpoint and recovers once it has one', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    c.ctx.store.create(res('endpoints'), { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'postgres', namespace: 'shop' }, subsets: [] });
    addPod(c.ctx, { name: 'orders', behavior: { dependsOn: [{ service: 'postgres', port: 5432 }], dependencyErrorLog: 'Error: connect ECONNREFUSED 10.96.0.12:5432' } });
    await c.run(60_000);
    expect(containerStatus(c.ctx, 'orders')?.restartCount).toBeGreaterThanOrEqual(2);
    expect(containerStatus(c.ctx, 'orders')?.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(latestLogText(c.ctx, 'orders')).toEqual(['Error: connect ECONNREFUSED 10.96.0.12:5432']);
    c.ctx.store.mutate(res('endpoints'), 'shop', 'postgres', (e) => {
      e['subsets'] = [{ addresses: [{ ip: '10.244.0.9' }], ports: [{ port: 5432 }] }];
    });
    await c.run(6 * 60_000);
    expect(containerStatus(c.ctx, 'orders')).toMatchObject({ ready: true, state: { running: {} } });
    c.stop();
  });

  it('kills a container failing liveness and marks a container failing readiness unready', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    const probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 };
    addPod(c.ctx, { name: 'live', containers: [{ name: 'app', image: IMAGE, ports: [{ containerPort: 8080 }], livenessProbe: probe }], behavior: { listensOn: [9090] } });
    addPod(c.ctx, {
      name: 'ready',
      containers: [{ name: 'app', image: IMAGE, ports: [{ containerPort: 8080 }], readinessProbe: { ...probe, httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 } }],
      behavior: { probes: { readiness: { failAfter: '30s' } } },
    });
    await c.run(20_000);
    expect(condition(c.ctx, 'ready', 'Ready')?.status).toBe('True');
    await c.run(40_000);
    const ip = getPod(c.ctx, 'live').status.podIP ?? '';
    expect(eventsFor(c.ctx, 'live', 'Unhealthy')[0]?.message).toBe(`Liveness probe failed: Get "http://${ip}:8080/healthz": dial tcp ${ip}:8080: connect: connection refused`);
    expect(eventsFor(c.ctx, 'live', 'Killing')[0]).toMatchObject({ type: 'Normal', message: 'Container app failed liveness probe, will be restarted' });
    expect(containerStatus(c.ctx, 'live')?.restartCount).toBeGreaterThanOrEqual(1);
    expect(containerStatus(c.ctx, 'live')?.lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    // Probes before the app listens fail with connection refused, as during a real start; later ones get the 503.
    expect(eventsFor(c.ctx, 'ready', 'Unhealthy').at(-1)).toMatchObject({ type: 'Warning', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' });
    expect(condition(c.ctx, 'ready', 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    expect(getPod(c.ctx, 'ready').status.phase).toBe('Running');
    c.stop();
  });

  it('logs "No space left on device" and exits when the claim mounted as the disk volume fills', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    c.ctx.store.create(res('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'pgdata', namespace: 'shop' },
      spec: { resources: { requests: { storage: '100Mi' } } },
      status: { phase: 'Bound', capacity: { storage: '100Mi' } },
    });
    addPod(c.ctx, {
      name: 'postgres',
      containers: [{ name: 'app', image: 'postgres:16', volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'pgdata' } }],
      behavior: { disk: { volume: 'data', usedMi: 90, growthMiPerMinute: 60 } },
    });
    await c.run(30_000);
    expect(latestLogText(c.ctx, 'postgres')).toContain('ERROR: could not write to file "base/16384/2619": No space left on device');
    expect(containerStatus(c.ctx, 'postgres')?.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    c.stop();
  });

  it('exits with the logged line when a required env var is missing; Never-restart pods end Failed or Succeeded', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'noenv', restartPolicy: 'Never', behavior: { requireEnv: ['DB_URL'], missingEnvLog: 'FATAL: environment variable DB_URL is not set' } });
    addPod(c.ctx, { name: 'job', restartPolicy: 'Never', behavior: { exit: { afterSeconds: 5, code: 0 } } });
    await c.run(20_000);
    expect(getPod(c.ctx, 'noenv').status.phase).toBe('Failed');
    expect(logText(c.ctx, 'noenv', 0)).toEqual(['FATAL: environment variable DB_URL is not set']);
    expect(containerStatus(c.ctx, 'noenv')?.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(getPod(c.ctx, 'job').status.phase).toBe('Succeeded');
    expect(containerStatus(c.ctx, 'job')?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    c.stop();
  });

  it('applies a behavior patched at run time to the running container', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'web', containers: [{ name: 'app', image: IMAGE, resources: { limits: { memory: '256Mi' } } }], behavior: {} });
    await c.run(60_000);
    c.ctx.behaviors.patch({ namespace: 'shop', kind: 'Pod', name: 'web', container: 'app' }, { memory: { growthMiPerMinute: 600 }, errorLogs: ['WARN pool exhausted'] });
    await c.run(30_000);
    expect(containerStatus(c.ctx, 'web')?.lastState.terminated?.reason).toBe('OOMKilled');
    expect(logText(c.ctx, 'web', 0)).toContain('WARN pool exhausted');
    c.stop();
  });

  it('forgets a deleted pod: logs and usage dropped', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    addPod(c.ctx, { name: 'web', behavior: { logs: ['hi'] } });
    await c.run(15_000);
    expect(logText(c.ctx, 'web', 0)).toEqual(['hi']);
    c.ctx.store.delete(res('pods'), 'shop', 'web');
    await c.run(15_000);
    expect(c.ctx.logs.read('shop', 'web', 'app', 0)).toBeUndefined();
    expect(c.ctx.usage.pod('shop', 'web')).toBeUndefined();
    c.stop();
  });
});
