/**
 * The store contract against real PostgreSQL (a fresh database per suite) and embedded PGlite (in memory),
 * plus what only one adapter has: concurrent migration by replicas and statement timeouts (PostgreSQL),
 * persistence in a directory (PGlite).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError, TimeoutError, UnavailableError } from '../src/contracts/index.js';
import { MIGRATIONS, SqlMigrator, createStore, type Migration, type Store } from '../src/adapters/store/index.js';
import { silentLogger } from '../src/adapters/telemetry/logger.js';
import { createTestDatabase } from './support/services.js';
import { storeContract } from './store-contract.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

storeContract('postgres', async () => {
  const db = await createTestDatabase('aet_store');
  const store = await createStore({ kind: 'postgres', url: db.url, poolMax: 4, logger: silentLogger() });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});

storeContract('pglite', async () => {
  const store = await createStore({ kind: 'pglite' });
  return { store, cleanup: () => store.close() };
});

describe('postgres store', () => {
  async function withDatabase(fn: (url: string) => Promise<void>): Promise<void> {
    const db = await createTestDatabase('aet_store');
    try {
      await fn(db.url);
    } finally {
      await db.drop();
    }
  }

  it('replicas migrating the same database at once apply each migration exactly once', async () => {
    await withDatabase(async (url) => {
      const stores: Store[] = await Promise.all([1, 2, 3].map(() => createStore({ kind: 'postgres', url, logger: silentLogger() })));
      try {
        // Plain CREATE TABLE fails if run twice, so a double application cannot go unnoticed.
        const extra: Migration[] = [...MIGRATIONS];
        for (let v = (MIGRATIONS.at(-1)?.version ?? 0) + 1, i = 0; i < 4; i++, v++) {
          extra.push({ version: v, name: `race_${v}`, up: `CREATE TABLE race_${v} (id int)`, down: `DROP TABLE race_${v}` });
        }
        const applied = await Promise.all(stores.map((s) => new SqlMigrator(s.sql, extra).up()));
        expect(applied.flat().sort((a, b) => a - b)).toEqual(extra.map((m) => m.version));
        const status = await new SqlMigrator(stores[0]!.sql, extra).status();
        expect(status.every((s) => s.applied)).toBe(true);
        const reverted = await Promise.all(stores.map((s) => new SqlMigrator(s.sql, extra).down(extra.length)));
        expect(reverted.flat().sort((a, b) => a - b)).toEqual(extra.map((m) => m.version));
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  }, 30_000);

  it('turns a statement over statement_timeout into TimeoutError', async () => {
    await withDatabase(async (url) => {
      const store = await createStore({ kind: 'postgres', url, statementTimeoutMs: 200, logger: silentLogger() });
      try {
        const started = Date.now();
        const err = await rejection(store.sql.query('SELECT pg_sleep(2)'));
        expect(err).toBeInstanceOf(TimeoutError);
        expect(((err as Error).cause as { code?: string }).code).toBe('57014');
        expect(Date.now() - started).toBeLessThan(1_500);
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    });
  }, 15_000);

  it('reports an unreachable server as UnavailableError from ping and StoreError from queries', async () => {
    const store = await createStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 1_000, logger: silentLogger() });
    try {
      expect(await rejection(store.ping())).toBeInstanceOf(UnavailableError);
      const err = await rejection(store.events.get('x'));
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/unavailable/);
      expect(await rejection(store.sql.transaction(() => Promise.resolve(undefined)))).toBeInstanceOf(StoreError);
    } finally {
      await store.close();
    }
  }, 10_000);

  it('rejects invalid options with ConfigError naming each option', async () => {
    const err = await rejection(createStore({ kind: 'postgres', url: 'mysql://x', poolMax: 0, statementTimeoutMs: -1 }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['url', 'poolMax', 'statementTimeoutMs']);
  }, 5_000);
});

describe('pglite store', () => {
  it('keeps data in its directory across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aet-pglite-'));
    const dataDir = join(dir, 'data');
    try {
      const first = await createStore({ kind: 'pglite', dataDir });
      try {
        await first.migrations.up();
        await first.clusters.create({ id: 'persisted', name: 'Persisted' });
      } finally {
        await first.close();
      }
      const second = await createStore({ kind: 'pglite', dataDir });
      try {
        expect(await second.migrations.up()).toEqual([]);
        expect(await second.clusters.get('persisted')).toMatchObject({ name: 'Persisted' });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
