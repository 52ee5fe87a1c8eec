import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/kube/kube-types.js';
import { res } from '../resources.js';
import { FaultInjector, podsOf } from './faults.js';
import { loadScenario } from './loader.js';
import { bareContext } from './test-context.js';
import { parseScenario } from './validate.js';

const BASE = `apiVersion: aetherius.io/v1
kind: Scenario
metadata: {name: faults}
spec:
  duration: 30m
  nodes: [{name: node-1}, {name: node-2}]
  namespaces: [shop]
  configMaps: [{namespace: shop, name: cfg, data: {A: "1"}}]
  secrets: [{namespace: shop, name: creds, data: {password: x}}]
  services: [{namespace: shop, name: api, selector: {app: api}, port: 80, targetPort: 8080}]
  workloads:
    - kind: Deployment
      namespace: shop
      name: api
      replicas: 2
      containers:
        - name: app
          image: registry.local/api:1.0.0
          env: [{name: DB_URL, value: "postgres://db"}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
          behavior: {memory: {baseMi: 50}, probes: {liveness: pass}}
        - name: sidecar
          image: registry.local/proxy:2.0.0
  faults:
FAULTS
  expect: {rootCause: BadRollout}
`;

function setup(faults: string) {
  const scenario = parseScenario(BASE.replace('FAULTS', faults), 'faults.yaml');
  const ctx = bareContext();
  loadScenario(ctx, scenario);
  const injector = new FaultInjector(ctx, scenario);
  injector.schedule();
  const container = (name: string) => {
    const d = ctx.store.mustGet(res('deployments.apps'), 'shop', 'api');
    const spec = (d['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
    return spec.containers.find((c) => c['name'] === name) as Record<string, unknown>;
  };
  const key = { namespace: 'shop', kind: 'Deployment', name: 'api', container: 'app' };
  return { scenario, ctx, injector, container, key };
}

const T = (action: string, rest: string) => `    - {at: 2m, action: ${action}, ${rest}}`;
const API = 'target: {kind: Deployment, namespace: shop, name: api, container: app}';

describe('FaultInjector', () => {
  it('applies a fault at its simulated time, not before, and records it in the timeline', async () => {
    const { ctx, injector, container } = setup(T('set-image', `${API}, value: {image: registry.local/api:1.1.0, behavior: {exit: {afterSeconds: 5, code: 1}}}`));
    const generation = ctx.store.mustGet(res('deployments.apps'), 'shop', 'api').metadata.generation;
    await ctx.clock.runFor(119_999);
    expect(container('app')['image']).toBe('registry.local/api:1.0.0');
    expect(injector.timeline).toEqual([]);
    await ctx.clock.runFor(1);
    expect(container('app')['image']).toBe('registry.local/api:1.1.0');
    expect(ctx.store.mustGet(res('deployments.apps'), 'shop', 'api').metadata.generation).toBe((generation ?? 0) + 1);
    expect(injector.timeline).toEqual([expect.objectContaining({ at: '2m', atMs: 120_000, action: 'set-image', target: expect.objectContaining({ name: 'api' }) as unknown })]);
    expect(injector.timeline[0]?.error).toBeUndefined();
    // The new image behaves as the fault says, on top of the container's behavior; the old one is unchanged.
    expect(ctx.behaviors.get({ namespace: 'shop', kind: 'Deployment', name: 'api', container: 'app', image: 'registry.local/api:1.1.0' })).toEqual({
      memory: { baseMi: 50 },
      probes: { liveness: 'pass' },
      exit: { afterSeconds: 5, code: 1 },
    });
    expect(ctx.behaviors.get({ namespace: 'shop', kind: 'Deployment', name: 'api', container: 'app', image: 'registry.local/api:1.0.0' }).exit).toBeUndefined();
  });

  it('set-env, unset-env and set-resources change the pod template of the named container only', async () => {
    const { ctx, container } = setup(
      [
        T('set-env', `${API}, value: {name: LOG_LEVEL, value: debug}`),
        T('unset-env', `${API}, value: {name: DB_URL}`).replace('2m', '3m'),
        T('set-resources', `${API}, value: {limits: {memory: 256Mi}}`).replace('2m', '4m'),
      ].join('\n'),
    );
    await ctx.clock.runFor(150_000);
    expect(container('app')['env']).toEqual([{ name: 'DB_URL', value: 'postgres://db' }, { name: 'LOG_LEVEL', value: 'debug' }]);
    await ctx.clock.runFor(60_000);
    expect(container('app')['env']).toEqual([{ name: 'LOG_LEVEL', value: 'debug' }]);
    await ctx.clock.runFor(60_000);
    expect(container('app')['resources']).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    expect(container('sidecar')['env']).toBeUndefined();
  });

  it('set-behavior, set-probe and add-error-logs change the behavior, not the template', async () => {
    const { ctx, key } = setup(
      [
        T('set-behavior', `${API}, value: {memory: {baseMi: 50, growthMiPerMinute: 30}}`),
        T('set-probe', `${API}, value: {readiness: fail}`),
        T('add-error-logs', `${API}, value: {lines: ["ERROR pool exhausted"], everySeconds: 2}`),
      ].join('\n'),
    );
    const rv = ctx.store.mustGet(res('deployments.apps'), 'shop', 'api').metadata.resourceVersion;
    await ctx.clock.runFor(120_000);
    expect(ctx.behaviors.get(key)).toEqual({
      memory: { baseMi: 50, growthMiPerMinute: 30 },
      probes: { liveness: 'pass', readiness: 'fail' },
      errorLogs: ['ERROR pool exhausted'],
      logEverySeconds: 2,
    });
    expect(ctx.store.mustGet(res('deployments.apps'), 'shop', 'api').metadata.resourceVersion).toBe(rv);
  });

  it('deletes ConfigMaps and Secrets; a second delete is recorded as an error, not thrown', async () => {
    const { ctx, injector } = setup(
      [
        T('delete-configmap', 'target: {kind: ConfigMap, namespace: shop, name: cfg}'),
        T('delete-secret', 'target: {kind: Secret, namespace: shop, name: creds}'),
        T('delete-secret', 'target: {kind: Secret, namespace: shop, name: creds}').replace('2m', '3m'),
      ].join('\n'),
    );
    await ctx.clock.runFor(200_000);
    expect(ctx.store.get(res('configmaps'), 'shop', 'cfg')).toBeUndefined();
    expect(ctx.store.get(res('secrets'), 'shop', 'creds')).toBeUndefined();
    expect(injector.timeline.map((e) => e.error)).toEqual([undefined, undefined, 'secrets "creds" not found']);
  });

  it('scales, cordons, and sets node faults for the node controllers', async () => {
    const { ctx } = setup(
      [
        T('scale', 'target: {kind: Deployment, namespace: shop, name: api}, value: {replicas: 5}'),
        T('cordon', 'target: {kind: Node, name: node-2}'),
        T('node-not-ready', 'target: {kind: Node, name: node-1}'),
        T('node-disk-pressure', 'target: {kind: Node, name: node-2}'),
        T('node-memory-pressure', 'target: {kind: Node, name: node-2}'),
        T('node-ready', 'target: {kind: Node, name: node-1}').replace('2m', '5m'),
        T('node-disk-pressure', 'target: {kind: Node, name: node-2}, value: {active: false}').replace('2m', '5m'),
      ].join('\n'),
    );
    await ctx.clock.runFor(120_000);
    expect((ctx.store.mustGet(res('deployments.apps'), 'shop', 'api')['spec'] as { replicas: number }).replicas).toBe(5);
    expect((ctx.store.mustGet(res('nodes'), undefined, 'node-2')['spec'] as { unschedulable?: boolean }).unschedulable).toBe(true);
    expect(ctx.nodeFaults.get('node-1')).toMatchObject({ kubeletStopped: true });
    expect(ctx.nodeFaults.get('node-2')).toMatchObject({ diskPressure: true, memoryPressure: true });
    await ctx.clock.runFor(180_000);
    expect(ctx.nodeFaults.get('node-1')).toMatchObject({ kubeletStopped: false });
    expect(ctx.nodeFaults.get('node-2')).toMatchObject({ diskPressure: false, memoryPressure: true });
  });

  it('break-service makes the selector stop matching; restore-service puts it back', async () => {
    const { ctx } = setup(
      [T('break-service', 'target: {kind: Service, namespace: shop, name: api}'), T('restore-service', 'target: {kind: Service, namespace: shop, name: api}').replace('2m', '4m')].join('\n'),
    );
    const selector = () => (ctx.store.mustGet(res('services'), 'shop', 'api')['spec'] as { selector: Record<string, string> }).selector;
    await ctx.clock.runFor(120_000);
    expect(selector()).toEqual({ app: 'api-v2' });
    await ctx.clock.runFor(120_000);
    expect(selector()).toEqual({ app: 'api' });
  });

  it('delete-pod deletes one pod the workload owns through its ReplicaSet', async () => {
    const { ctx, injector } = setup(T('delete-pod', 'target: {kind: Deployment, namespace: shop, name: api}'));
    // No controllers run here: create the ReplicaSet and pods a Deployment controller would.
    const d = ctx.store.mustGet(res('deployments.apps'), 'shop', 'api');
    const rs = ctx.store.create(res('replicasets.apps'), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'api-abc', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: d.metadata.uid, controller: true }] },
      spec: {},
    });
    const pod = (name: string, owner: KubeObject) =>
      ctx.store.create(res('pods'), {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'shop', ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true }] },
        spec: {},
      });
    pod('api-abc-1', rs);
    pod('api-abc-2', rs);
    ctx.store.create(res('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'shop' }, spec: {} });
    expect(podsOf(ctx, { kind: 'Deployment', namespace: 'shop', name: 'api' }).map((p) => p.metadata.name)).toEqual(['api-abc-1', 'api-abc-2']);
    await ctx.clock.runFor(120_000);
    expect(injector.timeline[0]?.error).toBeUndefined();
    expect(ctx.store.list(res('pods'), { namespace: 'shop' }).items.map((p) => p.metadata.name)).toHaveLength(2);
    expect(ctx.store.get(res('pods'), 'shop', 'other')).toBeDefined();
  });

  it('cancel() drops the faults not yet applied', async () => {
    const { ctx, injector } = setup(T('cordon', 'target: {kind: Node, name: node-1}'));
    injector.cancel();
    await ctx.clock.runFor(600_000);
    expect(injector.timeline).toEqual([]);
  });
});
