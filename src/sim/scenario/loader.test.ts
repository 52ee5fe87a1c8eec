import { describe, expect, it } from 'vitest';
import { res } from '../resources.js';
import { loadScenario } from './loader.js';
import { bareContext, FULL_EXAMPLE } from './test-context.js';
import { parseScenario } from './validate.js';

describe('loadScenario', () => {
  const scenario = parseScenario(FULL_EXAMPLE, 'example.yaml');

  it('creates the namespaces, including default and kube-system, each with a uid', () => {
    const ctx = bareContext();
    loadScenario(ctx, scenario);
    const namespaces = ctx.store.list(res('namespaces')).items;
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(['default', 'kube-public', 'kube-system', 'shop']);
    for (const n of namespaces) expect(n.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('creates Ready nodes with capacity, allocatable, hostname label and taints', () => {
    const ctx = bareContext();
    loadScenario(ctx, scenario);
    const node = ctx.store.mustGet(res('nodes'), undefined, 'node-1');
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' });
    expect(node['spec']).toMatchObject({ taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] });
    const status = node['status'] as { capacity: Record<string, string>; allocatable: Record<string, string>; conditions: { type: string; status: string }[] };
    expect(status.capacity).toMatchObject({ cpu: '4', memory: '16Gi', pods: '110' });
    expect(status.allocatable).toMatchObject({ cpu: '4', memory: '16Gi', pods: '110' });
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('creates config, secrets (base64), storage, quota, network policy and services', () => {
    const ctx = bareContext();
    loadScenario(ctx, scenario);
    expect(ctx.store.mustGet(res('configmaps'), 'shop', 'checkout-config')['data']).toEqual({ LOG_LEVEL: 'info', PORT: '8080' });
    expect(ctx.store.mustGet(res('secrets'), 'shop', 'checkout-db')['data']).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    expect(ctx.store.mustGet(res('storageclasses.storage.k8s.io'), undefined, 'standard')['provisioner']).toBe('rancher.io/local-path');
    expect(ctx.store.mustGet(res('persistentvolumeclaims'), 'shop', 'checkout-data')['spec']).toMatchObject({ storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } });
    expect(ctx.store.mustGet(res('resourcequotas'), 'shop', 'shop-quota')['spec']).toEqual({ hard: { 'requests.cpu': '1' } });
    expect(ctx.store.mustGet(res('networkpolicies.networking.k8s.io'), 'shop', 'allow-frontend')['spec']).toMatchObject({
      podSelector: { matchLabels: { app: 'checkout' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }],
    });
    const svc = ctx.store.mustGet(res('services'), 'shop', 'checkout')['spec'] as Record<string, unknown>;
    expect(svc).toMatchObject({ selector: { app: 'checkout' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' });
    expect(svc['clusterIP']).toMatch(/^10\.96\./);
    expect((ctx.store.mustGet(res('services'), 'shop', 'postgres')['spec'] as { ports: unknown[] }).ports).toEqual([{ port: 5432, targetPort: 5432, protocol: 'TCP' }]);
  });

  it('creates real workload manifests: selector, template, probes, volumes, affinity; an HPA; a Job', () => {
    const ctx = bareContext();
    loadScenario(ctx, scenario);
    const d = ctx.store.mustGet(res('deployments.apps'), 'shop', 'checkout');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.metadata.generation).toBe(1);
    const spec = d['spec'] as Record<string, unknown>;
    expect(spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: 'checkout' } }, strategy: { type: 'RollingUpdate' } });
    const template = spec['template'] as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
    expect(template.metadata.labels).toEqual({ app: 'checkout' });
    expect(template.spec).toMatchObject({
      restartPolicy: 'Always',
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'checkout-data' } }, { name: 'config', configMap: { name: 'checkout-config' } }, { name: 'creds', secret: { secretName: 'checkout-db' } }],
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] } },
    });
    const [container] = template.spec['containers'] as Record<string, unknown>[];
    expect(container).toMatchObject({
      name: 'app',
      image: 'registry.local/shop/checkout:1.4.2',
      command: ['/app/checkout'],
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
      env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'PORT', valueFrom: { configMapKeyRef: { name: 'checkout-config', key: 'PORT' } } }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'checkout-db', key: 'password' } } }],
      envFrom: [{ configMapRef: { name: 'checkout-config' } }, { secretRef: { name: 'checkout-db' } }],
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 },
      readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5, failureThreshold: 3 },
    });
    expect(ctx.store.mustGet(res('horizontalpodautoscalers.autoscaling'), 'shop', 'checkout')['spec']).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'checkout' },
      minReplicas: 2,
      maxReplicas: 5,
    });
    const job = ctx.store.mustGet(res('jobs.batch'), 'shop', 'migrate');
    expect(job['spec']).toMatchObject({ backoffLimit: 4, template: { spec: { restartPolicy: 'Never' } } });
  });

  it('registers behaviors per workload container and the image registry', () => {
    const ctx = bareContext();
    loadScenario(ctx, { ...scenario, spec: { ...scenario.spec, images: { missing: ['a:1'], unauthorized: ['b:2'] } } });
    expect(ctx.behaviors.get({ namespace: 'shop', kind: 'Deployment', name: 'checkout', container: 'app' })).toMatchObject({ memory: { baseMi: 90 }, listensOn: [8080] });
    // Any image of that container falls back to the container's behavior.
    expect(ctx.behaviors.get({ namespace: 'shop', kind: 'Deployment', name: 'checkout', container: 'app', image: 'x:2' })).toMatchObject({ startupSeconds: 2 });
    expect(ctx.behaviors.get({ namespace: 'shop', kind: 'Job', name: 'migrate', container: 'migrate' })).toEqual({ exit: { afterSeconds: 20, code: 0 } });
    expect(ctx.images.pull('a:1')).toBe('missing');
    expect(ctx.images.pull('b:2')).toBe('unauthorized');
    expect(ctx.images.pull('registry.local/shop/checkout:1.4.2')).toBe('ok');
  });
});
