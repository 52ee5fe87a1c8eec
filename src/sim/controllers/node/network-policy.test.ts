import { describe, expect, it } from 'vitest';
import { res } from '../../resources.js';
import { Kubelet } from './kubelet.js';
import { addPod, containerStatus, latestLogText, testCluster } from './test-support.js';

const POLICY = 'networkpolicies.networking.k8s.io';

describe('NetworkPolicy enforcement for service dependencies', () => {
  it('crashes a client whose dependency only admits another app, with a connect timeout, and recovers once the policy is gone', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    c.ctx.store.create(res('services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'postgres', namespace: 'shop' },
      spec: { selector: { app: 'postgres' }, clusterIP: '10.96.0.12', ports: [{ port: 5432, targetPort: 5432 }] },
    });
    const db = addPod(c.ctx, { name: 'postgres-0', labels: { app: 'postgres' } });
    c.ctx.store.create(res('endpoints'), {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'postgres', namespace: 'shop' },
      subsets: [{ addresses: [{ ip: '10.244.0.9', targetRef: { kind: 'Pod', namespace: 'shop', name: 'postgres-0', uid: db.metadata.uid } }], ports: [{ port: 5432 }] }],
    });
    c.ctx.store.create(res(POLICY), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'db-from-billing-only', namespace: 'shop' },
      spec: { podSelector: { matchLabels: { app: 'postgres' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'billing' } } }], ports: [{ port: 5432 }] }] },
    });
    addPod(c.ctx, { name: 'orders', labels: { app: 'orders' }, behavior: { dependsOn: [{ service: 'postgres', port: 5432 }] } });
    addPod(c.ctx, { name: 'billing', labels: { app: 'billing' }, behavior: { dependsOn: [{ service: 'postgres', port: 5432 }] } });
    await c.run(60_000);
    expect(containerStatus(c.ctx, 'orders')?.restartCount).toBeGreaterThanOrEqual(2);
    expect(containerStatus(c.ctx, 'orders')?.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(latestLogText(c.ctx, 'orders')).toEqual(['Error: connect ETIMEDOUT 10.96.0.12:5432']);
    // The admitted app is unaffected.
    expect(containerStatus(c.ctx, 'billing')).toMatchObject({ restartCount: 0, state: { running: {} } });

    c.ctx.store.delete(res(POLICY), 'shop', 'db-from-billing-only');
    await c.run(6 * 60_000);
    expect(containerStatus(c.ctx, 'orders')).toMatchObject({ ready: true, state: { running: {} } });
    const restarts = containerStatus(c.ctx, 'orders')?.restartCount ?? 0;
    await c.run(2 * 60_000);
    expect(containerStatus(c.ctx, 'orders')?.restartCount).toBe(restarts);
    c.stop();
  });

  it('admits a client from a namespace the rule selects, and keeps a bounded set of timers per container', async () => {
    const c = testCluster([{ name: 'node-1' }]);
    c.ctx.store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'data' } });
    c.ctx.store.create(res('services'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cache', namespace: 'data' }, spec: { selector: { app: 'cache' }, clusterIP: '10.96.0.20', ports: [{ port: 6379 }] } });
    c.ctx.store.create(res('endpoints'), { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'cache', namespace: 'data' }, subsets: [{ addresses: [{ ip: '10.244.0.7' }], ports: [{ port: 6379 }] }] });
    c.ctx.store.create(res(POLICY), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'cache-from-shop', namespace: 'data' },
      spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }] }] },
    });
    const probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 3 };
    addPod(c.ctx, {
      name: 'web',
      containers: [{ name: 'app', image: 'registry.local/shop/app:1.0', ports: [{ containerPort: 8080 }], livenessProbe: probe, readinessProbe: probe }],
      behavior: { dependsOn: [{ service: 'cache', namespace: 'data', port: 6379 }] },
    });
    await c.run(10 * 60_000);
    expect(containerStatus(c.ctx, 'web')).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
    // Ten minutes of 1 s ticks and 1 s probes: one handle per purpose (tick, startup, two probes), not thousands.
    const kubelet = c.controllers.find((x): x is Kubelet => x instanceof Kubelet);
    const workers = kubelet?.workers() ?? [];
    expect(workers).toHaveLength(1);
    for (const w of workers) expect(w.instanceTimerCount).toBeLessThanOrEqual(4);
    c.stop();
  });
});
