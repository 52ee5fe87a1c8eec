/**
 * The Kubernetes adapter against the simulator over real HTTP: the client (paging, errors, logs, tables,
 * patches, subresources), the informer's healing (resume after a dropped watch without relisting, relist
 * after 410, bookmarks, back-off while the API server is down and recovery when it returns on the same
 * port), and cluster-id detection from each source.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, KubeApiError } from '../src/contracts/errors.js';
import { KUBE_RESOURCES } from '../src/core/kube/kube-api.js';
import type { KubeObject } from '../src/core/kube/kube-types.js';
import { Informer, KubeClient, loadKubeConnection, type InformerOptions } from '../src/adapters/kube/index.js';
import { detectClusterId } from '../src/agent/cluster-id.js';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../src/sim/api/index.js';
import { res } from '../src/sim/resources.js';
import type { SimContext } from '../src/sim/sim-context.js';
import { createSimContext, seedWorld } from './support/sim-world.js';

interface Sim {
  ctx: SimContext;
  server: SimApiServer;
  client: KubeClient;
  port: number;
  restart(): Promise<void>;
}

/** A seeded simulated cluster, its API server, and a KubeClient built the production way (kubeconfig file). */
async function startSim(options: { seed?: boolean; bookmarkIntervalMs?: number; pageSize?: number } = {}): Promise<Sim> {
  const ctx = createSimContext();
  if (options.seed !== false) seedWorld(ctx);
  const serverOptions = { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000 };
  const dir = await mkdtemp(join(tmpdir(), 'aetherius-kube-'));
  const sim = { ctx, server: await startSimApiServer(ctx, serverOptions) } as Sim;
  sim.port = Number(new URL(sim.server.url).port);
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, [{ name: 'sim', server: sim.server.url }]);
  const conn = await loadKubeConnection({ kubeconfig, inClusterDir: join(dir, 'no-serviceaccount') });
  sim.client = new KubeClient(conn, { userAgent: 'aetherius-agent/test', timeoutMs: 5000, ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
  sim.restart = async () => {
    sim.server = await startSimApiServer(ctx, { ...serverOptions, port: sim.port });
  };
  onTestFinished(async () => {
    sim.client.close();
    await sim.server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return sim;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const configMap = (name: string, namespace = 'shop', data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });

function informerOn(sim: Sim, options: InformerOptions<KubeObject> = {}) {
  const log: string[] = [];
  const informer = new Informer<KubeObject>(sim.client, KUBE_RESOURCES.configmaps, { namespace: 'shop', backoff: { initialMs: 50, maxMs: 200 }, ...options });
  informer.addHandler({
    add: (o) => log.push(`add ${o.metadata.name}`),
    update: (o) => log.push(`update ${o.metadata.name}`),
    delete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  onTestFinished(() => informer.stop());
  return { informer, log };
}

/** name → resourceVersion of what the simulator holds, to compare with the informer's cache. */
function serverState(sim: Sim, namespace = 'shop'): Record<string, string> {
  return Object.fromEntries(sim.ctx.store.list(res('configmaps'), { namespace }).items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
}
function cacheState(informer: Informer<KubeObject>): Record<string, string> {
  return Object.fromEntries(informer.list().map((o) => [o.metadata.name, o.metadata.resourceVersion]));
}

describe('KubeClient against the simulator', () => {
  it('lists in pages of pageSize and returns every item with the list resourceVersion', async () => {
    const sim = await startSim({ pageSize: 10 });
    for (let i = 0; i < 25; i++) sim.ctx.store.create(res('configmaps'), configMap(`cm-${String(i).padStart(2, '0')}`));
    const before = sim.client.stats().requests;
    const list = await sim.client.list(KUBE_RESOURCES.configmaps, { namespace: 'shop' });
    expect(sim.client.stats().requests - before).toBe(3);
    expect(list.items).toHaveLength(25);
    expect(new Set(list.items.map((o) => o.metadata.name)).size).toBe(25);
    expect(list.resourceVersion).toBe(sim.ctx.store.resourceVersion());
    const first = await sim.client.list(KUBE_RESOURCES.configmaps, { namespace: 'shop', continue: '' });
    expect(first.items).toHaveLength(10);
    const second = await sim.client.list(KUBE_RESOURCES.configmaps, { namespace: 'shop', continue: first.continue ?? '' });
    expect(second.items[0]?.metadata.name).toBe('cm-10');
  });

  it('answers a missing object with KubeApiError 404 NotFound, and an unknown version with the server message', async () => {
    const sim = await startSim();
    const err = await sim.client.get(KUBE_RESOURCES.pods, 'nope', 'shop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 404, reason: 'NotFound', retryable: false });
    expect((err as Error).message).toContain('pods "nope" not found');
    expect(await sim.client.serverVersion()).toMatch(/^v1\.\d+\.\d+/);
  });

  it('reads logs (current and previous instance), a server-side table, and gets an object', async () => {
    const sim = await startSim();
    const previous = await sim.client.logs('shop', 'checkout-7f9c5d6b8-crash', { container: 'app', previous: true });
    expect(previous).toContain('DB_URL is not set (instance 2)');
    const current = await sim.client.logs('shop', 'checkout-7f9c5d6b8-crash', { tailLines: 1 });
    expect(current.trim().split('\n')).toHaveLength(1);
    expect(current).toContain('(instance 3)');
    const table = await sim.client.table(KUBE_RESOURCES.pods, { namespace: 'shop' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(expect.arrayContaining(['Name', 'Ready', 'Status', 'Restarts']));
    expect(table.rows.map((r) => r.cells[0]).sort()).toEqual(['checkout-7f9c5d6b8-abcde', 'checkout-7f9c5d6b8-crash', 'multi']);
    const one = await sim.client.table(KUBE_RESOURCES.pods, { namespace: 'shop', name: 'multi' });
    expect(one.rows).toHaveLength(1);
    const pod = await sim.client.get(KUBE_RESOURCES.pods, 'multi', 'shop');
    expect(pod.metadata.uid).toBeTruthy();
  });

  it('patches with all three patch types, evicts and deletes', async () => {
    const sim = await startSim();
    const merged = await sim.client.patch(KUBE_RESOURCES.deployments, 'checkout', 'shop', { metadata: { labels: { tier: 'web' } } }, 'merge');
    expect(merged.metadata.labels).toMatchObject({ app: 'checkout', tier: 'web' });
    const strategic = await sim.client.patch(KUBE_RESOURCES.deployments, 'checkout', 'shop', { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.local/shop/checkout:1.4.3' }] } } } }, 'strategic');
    expect((strategic['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]?.image).toBe('registry.local/shop/checkout:1.4.3');
    const json = await sim.client.patch(KUBE_RESOURCES.deployments, 'checkout', 'shop', [{ op: 'replace', path: '/spec/replicas', value: 3 }], 'json');
    expect((json['spec'] as { replicas: number }).replicas).toBe(3);
    await sim.client.createSubresource(KUBE_RESOURCES.pods, 'multi', 'shop', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'multi', namespace: 'shop' } });
    await expect(sim.client.get(KUBE_RESOURCES.pods, 'multi', 'shop')).rejects.toMatchObject({ status: 404 });
    sim.ctx.store.create(res('configmaps'), configMap('doomed'));
    await sim.client.delete(KUBE_RESOURCES.configmaps, 'doomed', 'shop');
    expect(sim.ctx.store.get(res('configmaps'), 'shop', 'doomed')).toBeUndefined();
    await expect(sim.client.delete(KUBE_RESOURCES.configmaps, 'doomed', 'shop')).rejects.toMatchObject({ status: 404, reason: 'NotFound' });
  });
});

describe('Informer against the simulator', () => {
  it('syncs, then reports adds, updates and deletes as they happen; the transform shapes the cache', async () => {
    const sim = await startSim();
    sim.ctx.store.create(res('configmaps'), configMap('before', 'shop', { a: '1' }));
    const { informer, log } = informerOn(sim, { transform: (o) => ({ ...o, data: undefined, metadata: { ...o.metadata, labels: { transformed: 'yes' } } }) });
    await informer.start();
    expect(log).toEqual(['add before']);
    sim.ctx.store.create(res('configmaps'), configMap('new'));
    sim.ctx.store.mutate(res('configmaps'), 'shop', 'before', (o) => {
      o['data'] = { a: '2' };
    });
    sim.ctx.store.delete(res('configmaps'), 'shop', 'new');
    await until('three events', () => log.length === 4);
    expect(log).toEqual(['add before', 'add new', 'update before', 'delete new']);
    expect(informer.get('shop', 'before')?.metadata.labels).toEqual({ transformed: 'yes' });
    expect(informer.get('shop', 'before')?.['data']).toBeUndefined();
    expect(cacheState(informer)).toEqual(serverState(sim));
  });

  it('resumes after the server drops every watch, from the last resourceVersion, without relisting', async () => {
    const sim = await startSim();
    const { informer, log } = informerOn(sim);
    await informer.start();
    await until('the first watch', () => informer.stats().watches === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.server.closeWatches()).toBeGreaterThanOrEqual(1);
    await until('a second watch', () => informer.stats().watches >= 2);
    sim.ctx.store.create(res('configmaps'), configMap('after-drop'));
    await until('the add', () => log.includes('add after-drop'));
    expect(informer.stats()).toMatchObject({ lists: 1, relists410: 0 });
    expect(cacheState(informer)).toEqual(serverState(sim));
  });

  it('relists on 410 after the history it watched from was compacted, reporting what changed meanwhile', async () => {
    const sim = await startSim();
    for (const n of ['stay', 'edit', 'drop']) sim.ctx.store.create(res('configmaps'), configMap(n));
    const { informer, log } = informerOn(sim);
    await informer.start();
    await until('the first watch', () => informer.stats().watches === 1);
    await new Promise((r) => setTimeout(r, 50));
    log.length = 0;
    // While no watch is open: changes, then the history they are in is compacted away.
    sim.server.closeWatches();
    sim.ctx.store.delete(res('configmaps'), 'shop', 'drop');
    sim.ctx.store.mutate(res('configmaps'), 'shop', 'edit', (o) => {
      o['data'] = { v: '2' };
    });
    sim.ctx.store.create(res('configmaps'), configMap('born'));
    sim.ctx.store.compact();
    await until('the changes reported by the relist', () => log.length >= 3);
    expect(informer.stats()).toMatchObject({ relists410: 1, lists: 2 });
    expect(log.sort()).toEqual(['add born', 'delete drop', 'update edit']);
    expect(cacheState(informer)).toEqual(serverState(sim));
    sim.ctx.store.create(res('configmaps'), configMap('later'));
    await until('watching again', () => log.includes('add later'));
  });

  it('bookmarks advance the resourceVersion while nothing it watches changes', async () => {
    const sim = await startSim({ bookmarkIntervalMs: 50 });
    const { informer } = informerOn(sim);
    await informer.start();
    const listed = Number(informer.lastResourceVersion);
    // Other resources move the cluster's resourceVersion; only bookmarks can tell the configmap watch.
    sim.ctx.store.create(res('configmaps'), configMap('elsewhere', 'default'));
    sim.ctx.store.create(res('configmaps'), configMap('elsewhere-2', 'default'));
    await until('a bookmark with the new version', () => Number(informer.lastResourceVersion) >= listed + 2);
    expect(informer.stats().bookmarks).toBeGreaterThan(0);
    expect(informer.stats().events).toBe(0);
    expect(informer.lastResourceVersion).toBe(sim.ctx.store.resourceVersion());
  });

  it('backs off while the API server is down and recovers when it returns on the same port, missing nothing', async () => {
    const sim = await startSim();
    const errors: unknown[] = [];
    const { informer, log } = informerOn(sim, { onError: (e) => errors.push(e) });
    await informer.start();
    await until('the first watch', () => informer.stats().watches === 1);
    await sim.server.close();
    sim.ctx.store.create(res('configmaps'), configMap('while-down'));
    await until('several failed attempts', () => informer.stats().errors >= 3);
    expect(errors[0]).toBeInstanceOf(KubeApiError);
    expect(errors[0]).toMatchObject({ status: 0, retryable: true });
    const attempts = informer.stats().errors;
    await new Promise((r) => setTimeout(r, 300));
    // Back-off caps at 200 ms here: a few attempts, not a busy loop.
    expect(informer.stats().errors - attempts).toBeLessThanOrEqual(4);
    await sim.restart();
    await until('the missed add', () => log.includes('add while-down'));
    sim.ctx.store.create(res('configmaps'), configMap('after-return'));
    await until('a live add', () => log.includes('add after-return'));
    expect(informer.stats().lists).toBe(1);
    expect(cacheState(informer)).toEqual(serverState(sim));
  });
});

describe('detectClusterId against the simulator', () => {
  it('reads the aetherius-config ConfigMap, else the kube-system uid', async () => {
    const sim = await startSim();
    const uid = sim.ctx.store.get(res('namespaces'), undefined, 'kube-system')?.metadata.uid ?? '';
    expect(await detectClusterId(sim.client, {})).toEqual({ clusterId: `cluster-${uid.slice(0, 8)}`, source: 'kube-system-uid', detail: expect.stringContaining(uid) as string });
    sim.ctx.store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aetherius-system' } });
    sim.ctx.store.create(res('configmaps'), configMap('aetherius-config', 'aetherius-system', { cluster_id: 'prod-eu-1' }));
    expect(await detectClusterId(sim.client, {})).toMatchObject({ clusterId: 'prod-eu-1', source: 'configmap' });
    expect(await detectClusterId(sim.client, { env: 'from-env' })).toMatchObject({ clusterId: 'from-env', source: 'env' });
    expect(await detectClusterId(sim.client, { configured: 'from-config', env: 'from-env' })).toMatchObject({ clusterId: 'from-config', source: 'config' });
  });

  it('falls back to a cloud node label when there is no kube-system namespace, and fails naming every source when nothing fits', async () => {
    const sim = await startSim({ seed: false });
    await expect(detectClusterId(sim.client, {})).rejects.toBeInstanceOf(ConfigError);
    sim.ctx.store.create(res('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ip-10-0-0-1', labels: { 'alpha.eksctl.io/cluster-name': 'eks-prod' } } });
    expect(await detectClusterId(sim.client, {})).toMatchObject({ clusterId: 'eks-prod', source: 'node-label', detail: expect.stringContaining('on node ip-10-0-0-1') as string });
  });
});
