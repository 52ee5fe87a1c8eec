/**
 * @kubernetes/client-node 1.4 — the agent's code path — against the simulated API server: an informer
 * lists and watches pods, sees adds, updates and deletes, and after a 410 Gone (history compacted
 * while its watch was down) relists and keeps working.
 */
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { res } from '../src/sim/resources.js';
import { startWorld, type RunningWorld } from './support/sim-world.js';

describe('client-node informer against the simulator', () => {
  let world: RunningWorld;
  let informer: (k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>) | undefined;

  beforeEach(async () => {
    informer = undefined;
    world = await startWorld();
  });
  afterEach(async () => {
    await informer?.stop();
    await world.close();
  });

  function pod(name: string): Parameters<typeof world.ctx.store.create>[1] {
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { app: 'informer' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
  }

  it('lists, watches, and relists after 410 Gone', { timeout: 30_000 }, async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(world.kubeconfig);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const inf = k8s.makeInformer(kc, '/api/v1/pods', () => api.listPodForAllNamespaces());
    informer = inf;
    const seen: string[] = [];
    const errors: unknown[] = [];
    inf.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
    inf.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.metadata?.labels?.['phase'] ?? ''}`));
    inf.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
    // client-node informers do not heal themselves after an error: restart with back-off, as the agent does.
    let backoff = 100;
    inf.on('error', (err) => {
      errors.push(err);
      setTimeout(() => void inf.start(), backoff);
      backoff = Math.min(backoff * 2, 2000);
    });
    await inf.start();
    await expect.poll(() => inf.list().length, { timeout: 10_000 }).toBe(4);
    expect(seen).toContain('add checkout-7f9c5d6b8-crash');

    const { store } = world.ctx;
    store.create(res('pods'), pod('p1'));
    await expect.poll(() => seen, { timeout: 10_000 }).toContain('add p1');
    store.mutate(res('pods'), 'shop', 'p1', (p) => {
      p.metadata.labels = { ...p.metadata.labels, phase: 'two' };
    });
    await expect.poll(() => seen, { timeout: 10_000 }).toContain('update p1 two');
    store.delete(res('pods'), 'shop', 'p1');
    await expect.poll(() => seen, { timeout: 10_000 }).toContain('delete p1');

    // The watch drops (as on an API server restart); before it reconnects, history is compacted past
    // its resourceVersion and objects change: the re-watch gets 410 and the informer must relist.
    const codes: number[] = [];
    world.ctx.logger = pino({ level: 'debug' }, { write: (line: string) => void codes.push((JSON.parse(line) as { code?: number }).code ?? 0) });
    expect(world.server.closeWatches()).toBeGreaterThan(0);
    store.create(res('pods'), pod('p2'));
    world.ctx.store.compact();
    store.create(res('pods'), pod('p3'));
    store.delete(res('pods'), 'shop', 'multi');
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual(expect.arrayContaining(['add p2', 'add p3', 'delete multi']));
    expect(codes).toContain(410);
    const gone = seen.length;
    // And it keeps watching after the relist.
    store.create(res('pods'), pod('p4'));
    await expect.poll(() => seen.slice(gone), { timeout: 10_000 }).toContain('add p4');
    expect(inf.list().map((p) => p.metadata?.name).sort()).toEqual(['checkout-7f9c5d6b8-abcde', 'checkout-7f9c5d6b8-crash', 'node-exporter-x1', 'p2', 'p3', 'p4']);
  });

  it('a watch from a compacted resourceVersion answers 410 with a Status', async () => {
    const old = world.ctx.store.resourceVersion();
    world.ctx.store.create(res('pods'), pod('a'));
    world.ctx.store.compact();
    world.ctx.store.create(res('pods'), pod('b'));
    const r = await fetch(`${world.server.url}/api/v1/pods?watch=true&resourceVersion=${Number(old) - 1}`, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(410);
    expect(await r.json()).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });
});
