import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reasoningResponse } from '../../contracts/ai-messages.js';
import { SCHEMA_VERSION } from '../../contracts/common.js';
import { analyze, type AnalyzeOptions } from './engine.js';
import { parseRules } from './rules.js';
import { crashStatus, deployment, endpoints, event, log, node, oomStatus, pod, service, snapshot, statefulSet } from './test-support.js';

const RULES_DIR = new URL('../../../rules/', import.meta.url);
const rules = parseRules(readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => ({ path: `rules/${f}`, text: readFileSync(new URL(f, RULES_DIR), 'utf8') })));
const opts: AnalyzeOptions = { rules };

function oomCluster() {
  const { deployment: d, replicaSet: rs } = deployment('shop', 'checkout', { ready: 0, container: { memoryLimit: '128Mi', ports: [8080] } });
  const pods = ['checkout-6d5f8c7b9a-aaaaa', 'checkout-6d5f8c7b9a-bbbbb'].map((n, i) => pod('shop', n, { owner: rs, node: `node-${i + 1}`, labels: { app: 'checkout' }, container: { memoryLimit: '128Mi', ports: [8080] }, ready: false, status: oomStatus(6) }));
  return { d, rs, pods, objects: [node('node-1'), node('node-2'), d, rs, ...pods, service('shop', 'checkout', { app: 'checkout' }), endpoints('shop', 'checkout', 0, 2)] };
}

/** postgres scaled to 0; orders crash with "connection refused" naming it by host, payments by Service IP. */
function cascadeCluster() {
  const pg = statefulSet('shop', 'postgres', { replicas: 0, ready: 0, container: { ports: [5432] } });
  const { deployment: orders, replicaSet: ordersRs } = deployment('shop', 'orders', { ready: 0, container: { env: [{ name: 'DB_HOST', value: 'postgres' }] } });
  const { deployment: payments, replicaSet: paymentsRs } = deployment('shop', 'payments', { ready: 0, rsName: 'payments-7c9d8e6f5b', container: { env: [{ name: 'DATABASE_URL', value: 'postgres://payments@postgres.shop.svc.cluster.local:5432/shop' }] } });
  const o1 = pod('shop', 'orders-6d5f8c7b9a-aaaaa', { owner: ordersRs, node: 'node-1', labels: { app: 'orders' }, ready: false, status: crashStatus(5) });
  const p1 = pod('shop', 'payments-7c9d8e6f5b-ccccc', { owner: paymentsRs, node: 'node-2', labels: { app: 'payments' }, ready: false, status: crashStatus(5) });
  const objects = [node('node-1'), node('node-2'), pg, orders, ordersRs, payments, paymentsRs, o1, p1, service('shop', 'postgres', { app: 'postgres' }, { port: 5432, clusterIP: '10.96.0.12' }), endpoints('shop', 'postgres', 0)];
  const logs = [
    log('shop', o1.metadata.name, ['2025-09-30T10:08:00Z Started OrdersApplication', '2025-09-30T10:08:02Z ERROR org.postgresql.util.PSQLException: Connection to postgres.shop.svc.cluster.local:5432 refused.'], { previous: true }),
    log('shop', p1.metadata.name, ['2025-09-30T10:08:02Z level=ERROR msg="database unreachable, exiting" err="dial tcp 10.96.0.12:5432: connect: connection refused"'], { previous: true }),
  ];
  return { objects, logs };
}

describe('analyze', () => {
  it('names an OOM kill with the exact signal quoted and recommends a larger memory limit first', () => {
    const r = analyze(snapshot(oomCluster().objects), undefined, opts);
    expect(r.status).toBe('completed');
    expect(r.root_cause?.type).toBe('OOMKilled');
    expect(r.root_cause?.resource).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'checkout' });
    expect(r.root_cause?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(r.root_cause?.evidence[0]).toMatch(/^container app terminated with reason OOMKilled, exit code 137, 6 restarts in 9m; memory limit 128Mi/);
    expect(r.recommendations[0]?.action).toBe('UpdateResourceLimits');
    expect(r.recommendations[0]?.steps.join('\n')).toContain('--limits=memory=256Mi');
    expect(r.recommendations[0]?.rollback.length).toBeGreaterThan(0);
  });

  it('blames the database the clients cannot reach, not the crashing clients, and lists the clients as impacted', () => {
    const { objects, logs } = cascadeCluster();
    const r = analyze(snapshot(objects, logs), undefined, opts);
    expect(r.root_cause?.type).toBe('DependencyUnavailable');
    expect(r.root_cause?.resource).toMatchObject({ kind: 'StatefulSet', namespace: 'shop', name: 'postgres' });
    expect(r.impacted.map((x) => x.name).sort()).toEqual(['orders', 'payments']);
    expect(r.root_cause?.evidence.join('\n')).toContain('postgres is scaled to 0 replicas');
    expect(r.recommendations[0]?.action).toBe('ScaleDeployment');
    const crash = r.hypotheses.find((h) => h.type === 'ApplicationCrash');
    expect(crash?.confidence ?? 0).toBeLessThan(0.2);
  });

  it('blames a Service whose selector matches nothing when clients fail to reach it', () => {
    const { deployment: cat, replicaSet: catRs } = deployment('shop', 'catalog', { labels: { app: 'catalog' } });
    const catPod = pod('shop', 'catalog-6d5f8c7b9a-aaaaa', { owner: catRs, node: 'node-1', labels: { app: 'catalog' } });
    const { deployment: cart, replicaSet: cartRs } = deployment('shop', 'cart', { ready: 0, rsName: 'cart-7c9d8e6f5b' });
    const cartPod = pod('shop', 'cart-7c9d8e6f5b-bbbbb', { owner: cartRs, node: 'node-1', labels: { app: 'cart' }, ready: false, status: crashStatus(4) });
    const objects = [node('node-1'), cat, catRs, catPod, cart, cartRs, cartPod, service('shop', 'catalog', { app: 'catalog-api' }, { clusterIP: '10.96.0.30' }), endpoints('shop', 'catalog', 0)];
    const logs = [log('shop', cartPod.metadata.name, ['{"level":"fatal","msg":"catalog warm-up failed","error":"Get \\"http://catalog.shop.svc.cluster.local/v1/products\\": dial tcp 10.96.0.30:80: connect: connection refused"}'], { previous: true })];
    const r = analyze(snapshot(objects, logs), undefined, opts);
    expect(r.root_cause?.type).toBe('ServiceSelectorMismatch');
    expect(r.root_cause?.resource).toMatchObject({ kind: 'Service', namespace: 'shop', name: 'catalog' });
    expect(r.root_cause?.evidence.join('\n')).toContain('app=catalog-api');
    expect(r.impacted.map((x) => x.name)).toContain('cart');
  });

  it('lets a NotReady node explain its pods', () => {
    const { deployment: d, replicaSet: rs } = deployment('web', 'api', { ready: 1 });
    const lost = pod('web', 'api-6d5f8c7b9a-aaaaa', { owner: rs, node: 'node-1', labels: { app: 'api' }, ready: false, deleting: true });
    const fine = pod('web', 'api-6d5f8c7b9a-bbbbb', { owner: rs, node: 'node-2', labels: { app: 'api' } });
    const objects = [node('node-1', 'Unknown'), node('node-2'), d, rs, lost, fine, event(lost, 'Warning', 'NodeNotReady', 'Node is not ready')];
    const r = analyze(snapshot(objects), undefined, opts);
    expect(r.root_cause?.type).toBe('NodeNotReady');
    expect(r.root_cause?.resource).toMatchObject({ kind: 'Node', name: 'node-1' });
    expect(r.root_cause?.resource?.namespace).toBeUndefined();
    expect(r.impacted.map((x) => x.name)).toContain('api');
    expect(r.recommendations[0]?.action).toBe('DrainNode');
  });

  it('calls a new revision that cannot pull its image a bad rollout and recommends rolling back first', () => {
    const { deployment: d, replicaSet: oldRs } = deployment('shop', 'checkout', { replicas: 4, ready: 3, revision: 2, container: { image: 'registry.local/checkout:1.4.2' } });
    oldRs.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    const newRs = structuredClone(oldRs);
    newRs.metadata.name = 'checkout-5c4b3a2f1e';
    newRs.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    newRs['spec'] = { replicas: 2, template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'app', image: 'registry.local/checkout:1.5.0' }] } } };
    newRs['status'] = { replicas: 2, readyReplicas: 0 };
    const oldPods = [0, 1, 2].map((i) => pod('shop', `checkout-6d5f8c7b9a-old0${i}`, { owner: oldRs, node: 'node-1', labels: { app: 'checkout' } }));
    const waiting = { ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local/checkout:1.5.0"' } } };
    const newPods = [0, 1].map((i) => pod('shop', `checkout-5c4b3a2f1e-new0${i}`, { owner: newRs, node: 'node-1', labels: { app: 'checkout' }, phase: 'Pending', ready: false, status: waiting }));
    const pull = event(newPods[0]!, 'Warning', 'Failed', 'Failed to pull image "registry.local/checkout:1.5.0": rpc error: code = NotFound desc = failed to resolve reference: not found', { container: 'app', count: 7 });
    const r = analyze(snapshot([node('node-1'), d, oldRs, newRs, ...oldPods, ...newPods, pull]), undefined, opts);
    expect(r.root_cause?.type).toBe('BadRollout');
    expect(r.root_cause?.resource).toMatchObject({ kind: 'Deployment', name: 'checkout' });
    expect(r.root_cause?.evidence.join('\n')).toContain('ImagePullBackOff');
    expect(r.root_cause?.evidence.join('\n')).toContain('registry.local/checkout:1.4.2 → registry.local/checkout:1.5.0');
    expect(r.recommendations[0]?.action).toBe('RollbackDeployment');
    expect(r.candidates.map((c) => c.type)).toContain('ImagePullError');
  });

  it('ranks what relates to the focus first when two unrelated faults coexist', () => {
    const { objects: oom } = oomCluster();
    const { objects: cascade, logs } = cascadeCluster();
    const snap = snapshot([...oom, ...cascade.filter((o) => o.kind !== 'Node')], logs);
    const unfocused = analyze(snap, undefined, opts);
    const types = unfocused.hypotheses.slice(0, 2).map((h) => h.type).sort();
    expect(types).toEqual(['DependencyUnavailable', 'OOMKilled']);
    const onOrders = analyze(snap, { kind: 'Deployment', namespace: 'shop', name: 'orders' }, opts);
    expect(onOrders.root_cause?.type).toBe('DependencyUnavailable');
    const onCheckoutPod = analyze(snap, { kind: 'Pod', namespace: 'shop', name: 'checkout-6d5f8c7b9a-aaaaa' }, opts);
    expect(onCheckoutPod.root_cause?.type).toBe('OOMKilled');
    expect(onCheckoutPod.hypotheses.find((h) => h.type === 'DependencyUnavailable')?.related_to_focus).toBe(false);
  });

  it('reports no fault on a healthy cluster, with startup probe blips', () => {
    const { deployment: d, replicaSet: rs } = deployment('web', 'api', {});
    const pods = [0, 1].map((i) => pod('web', `api-6d5f8c7b9a-aaaa${i}`, { owner: rs, node: 'node-1', labels: { app: 'api' } }));
    const blip = event(pods[0]!, 'Warning', 'Unhealthy', 'Readiness probe failed: Get "http://10.244.0.2:8080/ready": dial tcp 10.244.0.2:8080: connect: connection refused', { container: 'app', lastMs: 0 });
    const r = analyze(snapshot([node('node-1'), d, rs, ...pods, blip, service('web', 'api', { app: 'api' }), endpoints('web', 'api', 2)]), undefined, opts);
    expect(r.status).toBe('no_fault');
    expect(r.root_cause).toBeUndefined();
    expect(r.recommendations).toEqual([]);
  });

  it('applies priors and bounded weights from feedback', () => {
    const snap = snapshot(oomCluster().objects);
    const base = analyze(snap, undefined, opts).root_cause?.confidence ?? 0;
    const lowPrior = analyze(snap, undefined, { ...opts, priors: new Map([['OOMKilled', 0.0001]]) }).root_cause;
    expect(lowPrior?.confidence ?? 1).toBeLessThan(base);
    // A flood of "wrong" feedback drives a weight to 0; it is clamped to 0.1, so the rule still counts.
    const silenced = analyze(snap, undefined, { ...opts, weights: new Map([['OOMKilled.terminated-oomkilled', 0]]) });
    const item = silenced.hypotheses.find((h) => h.type === 'OOMKilled')?.evidence.find((e) => e.id === 'terminated-oomkilled');
    expect(item?.weight).toBe(0.1);
    expect(item?.contribution).toBeCloseTo(Math.log(300 * 0.1));
    const forced = analyze(snap, undefined, { ...opts, weights: new Map([['OOMKilled.terminated-oomkilled', 1e9]]) });
    expect(forced.hypotheses.find((h) => h.type === 'OOMKilled')?.evidence.find((e) => e.id === 'terminated-oomkilled')?.weight).toBe(10);
  });

  it('is deterministic and its answer is a valid completed reply on the wire', () => {
    const { objects, logs } = cascadeCluster();
    const snap = snapshot(objects, logs);
    const a = analyze(snap, undefined, opts);
    expect(analyze(structuredClone(snap), undefined, opts)).toEqual(a);
    const reply = reasoningResponse.parse({ schema_version: SCHEMA_VERSION, request_id: 'req-1', status: 'completed', root_cause: a.root_cause, candidates: a.candidates, recommendations: a.recommendations });
    expect(reply.status).toBe('completed');
    expect(a.root_cause?.resource?.cluster_id).toBe('test');
  });

  it('never throws on garbage objects', () => {
    const junk = [{ kind: 'Pod', metadata: { name: 'x' }, status: 'nope', spec: [] }, { kind: 'Event', metadata: { name: 'e' }, involvedObject: 5 }, { kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { selector: { a: 1 }, ports: 'x' } }, null] as never[];
    expect(() => analyze({ at: Date.now(), objects: junk, logs: [{ namespace: 'n', pod: 'x', container: 'c', previous: false, lines: ['panic: boom'] }], metrics: [{ name: 'pod_memory_usage_bytes', labels: {}, samples: [] }] }, undefined, opts)).not.toThrow();
  });
});
