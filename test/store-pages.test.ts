/**
 * Keyset pages of agents and clusters on both store adapters (real PostgreSQL, embedded PGlite): every
 * item once, in bytewise key order, whatever is inserted between two pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/contracts/index.js';
import { createStore, type Store } from '../src/adapters/store/index.js';
import { silentLogger } from '../src/adapters/telemetry/logger.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

const register = (store: Store, agentId: string, clusterId: string) =>
  store.agents.upsertRegistration({ schema_version: 1, agent_id: agentId, cluster_id: clusterId, timestamp: new Date().toISOString(), version: '1', capabilities: [] });

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`keyset pages (${kind})`, () => {
    let store: Store;
    let db: TestDatabase | undefined;

    beforeAll(async () => {
      if (kind === 'postgres') {
        db = await createTestDatabase('aet_pages');
        store = await createStore({ kind: 'postgres', url: db.url, logger: silentLogger() });
      } else {
        store = await createStore({ kind: 'pglite' });
      }
      await store.migrations.up();
    });

    afterAll(async () => {
      await store?.close();
      await db?.drop();
    });

    it('lists clusters in bytewise id order, page by page, each once even when one is added between pages', async () => {
      // Bytewise: upper case before lower case, "b-" before "ba" — not what a locale collation says.
      for (const id of ['ba', 'B', 'a', 'b-1', 'Z9']) await store.clusters.create({ id, name: id });
      const first = await store.clusters.listPage({ limit: 2 });
      expect(first.items.map((c) => c.id)).toEqual(['B', 'Z9']);
      await store.clusters.create({ id: 'A0', name: 'added before the cursor' });
      const rest: string[] = [];
      let cursor = first.next_cursor;
      while (cursor) {
        const page = await store.clusters.listPage({ limit: 2, cursor });
        rest.push(...page.items.map((c) => c.id));
        cursor = page.next_cursor;
      }
      expect(rest).toEqual(['a', 'b-1', 'ba']);
    });

    it('filters agents by cluster and status while paging, and refuses a foreign cursor', async () => {
      for (const id of ['w-3', 'w-1', 'w-2']) await register(store, id, 'pages-w');
      await register(store, 'other-1', 'pages-other');
      await store.agents.markOfflineBefore(new Date(Date.now() + 60_000), ['w-2']);
      const online = await store.agents.listPage({ cluster_id: 'pages-w', status: 'online', limit: 1 });
      expect(online.items.map((a) => a.agent_id)).toEqual(['w-1']);
      const next = await store.agents.listPage({ cluster_id: 'pages-w', status: 'online', limit: 1, cursor: online.next_cursor ?? '' });
      expect(next).toEqual({ items: [expect.objectContaining({ agent_id: 'w-3' })] });
      const clusterCursor = (await store.clusters.listPage({ limit: 1 })).next_cursor ?? '';
      await expect(store.agents.listPage({ cursor: clusterCursor })).rejects.toBeInstanceOf(InputError);
      await expect(store.agents.listPage({ limit: 1001 })).rejects.toBeInstanceOf(InputError);
    });
  });
}
