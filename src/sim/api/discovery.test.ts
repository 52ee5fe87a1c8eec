import { afterEach, describe, expect, it } from 'vitest';
import { createSimContext } from '../create-sim-context.js';
import { apiGroupListDoc, resourceListDoc } from './discovery.js';
import { startSimApiServer, type SimApiServer } from './server.js';

describe('ReplicationControllers (listed by kubectl cluster-info dump in every namespace)', () => {
  let server: SimApiServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('are in core/v1 discovery with their short name, and the core group never appears as a named group', () => {
    const core = resourceListDoc('', 'v1') as { resources: { name: string; kind: string; namespaced: boolean; shortNames?: string[] }[] };
    expect(core.resources.find((r) => r.name === 'replicationcontrollers')).toMatchObject({ kind: 'ReplicationController', namespaced: true, shortNames: ['rc'] });
    const groups = (apiGroupListDoc() as { groups: { name: string }[] }).groups.map((g) => g.name);
    expect(groups).not.toContain('');
    expect(groups).toContain('policy');
  });

  it('are served as an empty list per namespace and across namespaces, and can be created', async () => {
    const ctx = createSimContext({ namespaces: ['default', 'shop'] });
    server = await startSimApiServer(ctx);
    const get = async (path: string) => {
      const r = await fetch(`${server?.url}${path}`, { signal: AbortSignal.timeout(5000) });
      return { status: r.status, body: (await r.json()) as { kind: string; items?: unknown[] } };
    };
    expect(await get('/api/v1/namespaces/shop/replicationcontrollers')).toMatchObject({ status: 200, body: { kind: 'ReplicationControllerList', items: [] } });
    const created = await fetch(`${server.url}/api/v1/namespaces/shop/replicationcontrollers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy' }, spec: { replicas: 0, selector: { app: 'legacy' } } }),
      signal: AbortSignal.timeout(5000),
    });
    expect(created.status).toBe(201);
    const all = await get('/api/v1/replicationcontrollers');
    expect(all.body.items?.map((i) => (i as { metadata: { name: string } }).metadata.name)).toEqual(['legacy']);
  });
});
