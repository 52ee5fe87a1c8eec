/**
 * The incident repository on real PostgreSQL and on embedded PGlite: one open incident per correlation
 * key even when replicas open it at once, timelines, resolution, pagination and counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InputError, NotFoundError } from '../src/contracts/index.js';
import { createStore, type IncidentDraft, type Store } from '../src/adapters/store/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

function draft(key: string, over: Partial<IncidentDraft> = {}): IncidentDraft {
  return {
    cluster_id: 'prod',
    key,
    resource: { kind: 'Deployment', namespace: 'shop', name: key.split('/').pop() ?? 'x' },
    namespace: 'shop',
    affected: [{ kind: 'Deployment', namespace: 'shop', name: 'checkout' }],
    blast_radius: { pods: 2, workloads: 1, nodes: 1, namespaces: ['shop'] },
    signal_count: 3,
    reasons: ['CrashLoopBackOff'],
    first_seen: '2025-09-30T10:00:00.000Z',
    last_seen: '2025-09-30T10:01:00.000Z',
    severity: 'P2',
    category: 'pod_failure',
    title: 'CrashLoopBackOff on Deployment shop/checkout',
    suggested_workflow: 'diagnose_pod_crashloop',
    ...over,
  };
}

const signal = (summary: string) => ({ at: '2025-09-30T10:00:30.000Z', type: 'signal' as const, summary, data: { reason: 'CrashLoopBackOff' } });

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`incident repository (${kind})`, () => {
    let db: TestDatabase | undefined;
    let store: Store;

    beforeAll(async () => {
      if (kind === 'postgres') {
        db = await createTestDatabase('aet_incstore');
        store = await createStore({ kind, url: db.url, poolMax: 6, logger: silentLogger() });
      } else {
        store = await createStore({ kind });
      }
      await store.migrations.up();
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await db?.drop();
    });

    it('opens once per key: a second open (another replica) updates the same incident and appends its timeline', async () => {
      const a = await store.incidents.open(draft('Deployment/shop/checkout'), [signal('first')]);
      const b = await store.incidents.open(draft('Deployment/shop/checkout', { severity: 'P1', signal_count: 5, last_seen: '2025-09-30T10:05:00.000Z' }), [signal('second')]);
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.incident.id).toBe(a.incident.id);
      expect(b.incident).toMatchObject({ severity: 'P1', signal_count: 5, status: 'open', last_seen: '2025-09-30T10:05:00.000Z', first_seen: '2025-09-30T10:00:00.000Z' });
      const full = await store.incidents.get(a.incident.id);
      expect(full?.timeline.map((e) => e.summary)).toEqual(['first', 'second']);
      expect(full?.resource).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'checkout' });
    });

    if (kind === 'postgres')
    it('replicas opening the same key at once converge on one incident', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => store.incidents.open(draft('Deployment/shop/race'), [signal('race')])));
      expect(new Set(results.map((r) => r.incident.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect((await store.incidents.get(results[0]!.incident.id))?.timeline).toHaveLength(8);
    });

    it('resolves by key, then a new open for the same key is a new incident', async () => {
      const { incident } = await store.incidents.open(draft('Deployment/shop/cart'), []);
      const resolved = await store.incidents.resolveByKey('prod', 'Deployment/shop/cart', { by: 'auto', reason: 'quiet for 10m' }, new Date('2025-09-30T10:20:00Z'));
      expect(resolved).toMatchObject({ id: incident.id, status: 'resolved', resolved_at: '2025-09-30T10:20:00.000Z', resolution: { by: 'auto', reason: 'quiet for 10m' } });
      expect(await store.incidents.resolveByKey('prod', 'Deployment/shop/cart', { by: 'auto', reason: 'again' }, new Date())).toBeUndefined();
      expect(await store.incidents.update(draft('Deployment/shop/cart'), [])).toBeUndefined();
      const again = await store.incidents.open(draft('Deployment/shop/cart'), []);
      expect(again.created).toBe(true);
      expect(again.incident.id).not.toBe(incident.id);
      expect((await store.incidents.get(incident.id))?.timeline.at(-1)).toMatchObject({ type: 'status', data: { status: 'resolved' } });
    });

    it('a person resolves by id: 404 for an unknown id, 409 when resolved already', async () => {
      const { incident } = await store.incidents.open(draft('Deployment/shop/orders'), []);
      await expect(store.incidents.resolve(incident.id, { by: 'alice', reason: 'fixed the config' })).resolves.toMatchObject({ status: 'resolved', resolution: { by: 'alice' } });
      await expect(store.incidents.resolve(incident.id, { by: 'alice', reason: 'twice' })).rejects.toBeInstanceOf(ConflictError);
      await expect(store.incidents.resolve('inc-nope', { by: 'alice', reason: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('retention deletes incidents resolved before the horizon with their timelines, never open ones', async () => {
      const old = await store.incidents.open(draft('Deployment/ret/old', { cluster_id: 'ret' }), [signal('old')]);
      await store.incidents.resolveByKey('ret', 'Deployment/ret/old', { by: 'auto', reason: 'quiet' }, new Date('2025-01-01T00:00:00Z'));
      const recent = await store.incidents.open(draft('Deployment/ret/recent', { cluster_id: 'ret' }), []);
      await store.incidents.resolveByKey('ret', 'Deployment/ret/recent', { by: 'auto', reason: 'quiet' }, new Date('2025-12-01T00:00:00Z'));
      const open = await store.incidents.open(draft('Deployment/ret/open', { cluster_id: 'ret' }), []);
      expect(await store.incidents.deleteResolvedBefore(new Date('2025-06-01T00:00:00Z'), 1)).toBe(1);
      expect(await store.incidents.get(old.incident.id)).toBeUndefined();
      const left = await store.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM incident_timeline WHERE incident_id = $1`, [old.incident.id]);
      expect(Number(left.rows[0]?.n)).toBe(0);
      expect(await store.incidents.get(recent.incident.id)).toBeDefined();
      expect((await store.incidents.get(open.incident.id))?.status).toBe('open');
    });

    it('lists newest first with cursor pages and filters, and counts open incidents by severity', async () => {
      for (let i = 0; i < 5; i++) await store.incidents.open(draft(`Deployment/paged/p${i}`, { cluster_id: 'paged', severity: i % 2 ? 'P0' : 'P3' }), []);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.incidents.list({ cluster_id: 'paged', limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((i) => i.resource.name));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
      expect((await store.incidents.list({ cluster_id: 'paged', severity: 'P0' })).items).toHaveLength(2);
      expect(await store.incidents.countOpenBySeverity('paged')).toEqual({ P0: 2, P1: 0, P2: 0, P3: 3 });
      await expect(store.incidents.list({ limit: 0 })).rejects.toBeInstanceOf(InputError);
      await expect(store.incidents.list({ cursor: 'garbage!' })).rejects.toBeInstanceOf(InputError);
    });
  });
}
