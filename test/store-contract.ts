/**
 * One contract for every `Store` adapter. `makeStore` returns a store on an EMPTY database (no migrations
 * applied); the suite migrates it itself. One store serves the whole suite (PGlite takes seconds to start),
 * so tests isolate themselves with unique ids and cluster ids, never by truncating tables.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  InputError,
  NotFoundError,
  StoreError,
  UnavailableError,
  type AgentCommand,
  type AgentEvent,
  type AgentHeartbeat,
  type AgentRegister,
  type AgentResult,
} from '../src/contracts/index.js';
import { MIGRATIONS, MIGRATIONS_TABLE, migrationChecksum, type EventRecord, type Store } from '../src/adapters/store/index.js';

export interface StoreUnderTest {
  store: Store;
  /** Closes the store and removes what `makeStore` created (database, directory). */
  cleanup: () => Promise<void>;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TABLES = ['clusters', 'agents', 'events', 'event_ids', 'commands', 'command_results'];
const LATEST = MIGRATIONS.at(-1)?.version ?? 0;

function uid(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

function event(clusterId: string, overrides: Partial<AgentEvent> = {}): AgentEvent {
  return {
    schema_version: 1,
    id: uid('evt'),
    cluster_id: clusterId,
    timestamp: '2025-09-30T10:15:30.000Z',
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'high',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    namespace: 'shop',
    // A pod of its own, so that events of different tests never fold into one aggregate.
    labels: { kind: 'Pod', name: uid('cart'), node: 'node-1' },
    raw_data: { count: 3, first_timestamp: '2025-09-30T10:10:00Z', last_timestamp: '2025-09-30T10:15:30Z' },
    ...overrides,
  };
}

/** The record of an event stored on its own (an aggregate of one); its timestamp written canonically. */
function stored(e: AgentEvent): Omit<EventRecord, 'received_at'> {
  const { schema_version: _v, ...rest } = e;
  return { ...rest, count: 1, first_timestamp: rest.timestamp, last_timestamp: rest.timestamp };
}

/** Newest first, then id descending, bytewise: the order the store promises. */
function newestFirst(a: { timestamp: string; id: string }, b: { timestamp: string; id: string }): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function storeContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ store, cleanup } = await makeStore());
    }, 60_000);

    afterAll(async () => {
      await cleanup?.();
    }, 30_000);

    async function tablesPresent(): Promise<string[]> {
      const res = await store.sql.query<{ name: string }>(
        `SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL ORDER BY t`,
        [TABLES],
      );
      return res.rows.map((r) => r.name);
    }

    describe('migrations', () => {
      it('go up, report status, go all the way down (tables gone) and up again (tables back)', async () => {
        expect((await store.migrations.status()).every((s) => !s.applied && s.applied_at === null)).toBe(true);
        expect(await tablesPresent()).toEqual([]);

        expect(await store.migrations.up()).toEqual(MIGRATIONS.map((m) => m.version));
        const status = await store.migrations.status();
        expect(status.map((s) => [s.version, s.name, s.applied])).toEqual(MIGRATIONS.map((m) => [m.version, m.name, true]));
        for (const s of status) expect(s.applied_at).toMatch(ISO_UTC);
        expect(await tablesPresent()).toEqual([...TABLES].sort());
        expect(await store.migrations.up()).toEqual([]);

        expect(await store.migrations.down(MIGRATIONS.length)).toEqual(MIGRATIONS.map((m) => m.version).reverse());
        expect((await store.migrations.status()).some((s) => s.applied)).toBe(false);
        expect(await tablesPresent()).toEqual([]);
        expect(await store.migrations.down()).toEqual([]);

        expect(await store.migrations.up(LATEST)).toEqual(MIGRATIONS.map((m) => m.version));
        expect(await tablesPresent()).toEqual([...TABLES].sort());
      }, 30_000);

      it('event aggregation (migration 5) keeps the events stored before it, each an aggregate of one, found by id', async () => {
        const after = MIGRATIONS.filter((m) => m.version >= 5).length;
        expect(await store.migrations.down(after)).toContain(5);
        const id = uid('legacy');
        await store.sql.query(
          `INSERT INTO events (id, cluster_id, "timestamp", type, source, severity, reason, message, namespace, kind, name, node, labels, raw_data)
           VALUES ($1, 'legacy-c', '2025-09-30T10:15:30.000Z', 'k8s_event', 'kubelet', 'high', 'BackOff', 'old row', 'shop', 'Pod', 'cart', NULL,
                   '{"kind":"Pod","name":"cart"}', '{"count":1,"first_timestamp":"2025-09-30T10:15:30Z","last_timestamp":"2025-09-30T10:15:30Z"}')`,
          [id],
        );
        expect(await store.migrations.up()).toContain(5);
        expect(await store.events.get(id)).toMatchObject({ id, count: 1, first_timestamp: '2025-09-30T10:15:30.000Z', last_timestamp: '2025-09-30T10:15:30.000Z', message: 'old row' });
        // A new repeat of the same object and reason starts its own aggregate.
        const repeat = event('legacy-c', { timestamp: '2025-09-30T10:15:31.000Z', labels: { kind: 'Pod', name: 'cart' } });
        await store.events.insertMany([repeat]);
        expect((await store.events.list({ cluster_id: 'legacy-c' })).items.map((r) => [r.id, r.count])).toEqual([[repeat.id, 1], [id, 1]]);
      }, 30_000);

      it('reject a target or step count that makes no sense, naming the argument', async () => {
        const up = await rejection(store.migrations.up(LATEST + 1000));
        expect(up).toBeInstanceOf(InputError);
        expect((up as InputError).issues[0]?.path).toBe('to');
        const down = await rejection(store.migrations.down(0));
        expect(down).toBeInstanceOf(InputError);
        expect((down as InputError).issues[0]?.path).toBe('steps');
      }, 10_000);

      it('refuse a database whose applied migration differs from this build (checksum)', async () => {
        const first = MIGRATIONS[0];
        if (!first) throw new Error('no migrations');
        await store.sql.query(`UPDATE ${MIGRATIONS_TABLE} SET checksum = 'tampered' WHERE version = $1`, [first.version]);
        try {
          for (const attempt of [() => store.migrations.up(), () => store.migrations.down(), () => store.migrations.status()]) {
            const err = await rejection(attempt());
            expect(err).toBeInstanceOf(InputError);
            expect((err as Error).message).toMatch(/checksum/);
          }
          expect(await tablesPresent()).toEqual([...TABLES].sort());
        } finally {
          await store.sql.query(`UPDATE ${MIGRATIONS_TABLE} SET checksum = $2 WHERE version = $1`, [first.version, migrationChecksum(first)]);
        }
        expect(await store.migrations.up()).toEqual([]);
      }, 10_000);

      it('refuse a database migrated by a newer build', async () => {
        const future = LATEST + 1000;
        await store.sql.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, 'from_the_future', 'x')`, [future]);
        try {
          const err = await rejection(store.migrations.up());
          expect(err).toBeInstanceOf(InputError);
          expect((err as Error).message).toMatch(new RegExp(`migration ${future} .*does not know`));
        } finally {
          await store.sql.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE version = $1`, [future]);
        }
      }, 10_000);
    });

    describe('clusters', () => {
      it('create, refuse a duplicate id, ensure without touching an existing one, get and list', async () => {
        const id = uid('c');
        const created = await store.clusters.create({ id, name: 'Shop prod', environment: 'production', labels: { team: 'shop' } });
        expect(created).toEqual({
          id,
          name: 'Shop prod',
          environment: 'production',
          labels: { team: 'shop' },
          created_at: expect.stringMatching(ISO_UTC) as string,
          updated_at: expect.stringMatching(ISO_UTC) as string,
        });
        const dup = await rejection(store.clusters.create({ id, name: 'again' }));
        expect(dup).toBeInstanceOf(ConflictError);
        expect((dup as Error).message).toContain(id);

        await store.clusters.ensure(id);
        expect(await store.clusters.get(id)).toEqual(created);

        const other = uid('c');
        await store.clusters.ensure(other);
        await store.clusters.ensure(other);
        expect(await store.clusters.get(other)).toMatchObject({ id: other, name: other, environment: null, labels: {} });
        expect(await store.clusters.get(uid('missing'))).toBeUndefined();

        const ids = (await store.clusters.list()).map((c) => c.id);
        expect(ids).toEqual(expect.arrayContaining([id, other]));
        expect(ids).toEqual([...ids].sort());
      }, 10_000);
    });

    describe('agents', () => {
      function register(clusterId: string, overrides: Partial<AgentRegister> = {}): AgentRegister {
        return {
          schema_version: 1,
          agent_id: uid('agent'),
          cluster_id: clusterId,
          timestamp: '2025-09-30T10:00:00Z',
          version: '0.1.0',
          hostname: 'agent-pod-1',
          kubernetes_version: 'v1.30.2',
          capabilities: ['events', 'commands'],
          labels: { region: 'eu' },
          config: { heartbeat_interval: '30s', enable_events: true },
          ...overrides,
        };
      }
      function heartbeat(msg: AgentRegister): AgentHeartbeat {
        return {
          schema_version: 1,
          agent_id: msg.agent_id,
          cluster_id: msg.cluster_id,
          timestamp: '2025-09-30T10:00:30Z',
          status: 'healthy',
          uptime_seconds: 30,
          stats: { events_sent: 12, events_buffered: 0 },
        };
      }

      it('register, re-register, heartbeat, list, mark offline, delete', async () => {
        const clusterId = uid('c');
        const a = register(clusterId);
        const b = register(clusterId, { hostname: undefined, kubernetes_version: undefined, labels: undefined, config: undefined, capabilities: [] });
        const before = Date.now();
        const rec = await store.agents.upsertRegistration(a);
        expect(rec).toEqual({
          agent_id: a.agent_id,
          cluster_id: clusterId,
          version: '0.1.0',
          hostname: 'agent-pod-1',
          kubernetes_version: 'v1.30.2',
          capabilities: ['events', 'commands'],
          labels: { region: 'eu' },
          config: { heartbeat_interval: '30s', enable_events: true },
          status: 'online',
          registered_at: expect.stringMatching(ISO_UTC) as string,
          last_heartbeat_at: null,
          heartbeat: null,
        });
        expect(Date.parse(rec.registered_at)).toBeGreaterThan(before - 5_000);
        expect(await store.agents.upsertRegistration(b)).toMatchObject({ hostname: null, kubernetes_version: null, labels: {}, config: {}, capabilities: [] });
        expect(await store.agents.get(a.agent_id)).toEqual(rec);

        const again = await store.agents.upsertRegistration({ ...a, version: '0.2.0', capabilities: ['events'] });
        expect(again).toMatchObject({ version: '0.2.0', capabilities: ['events'], status: 'online' });

        expect(await store.agents.recordHeartbeat(heartbeat(a))).toBe('online');
        const beating = await store.agents.get(a.agent_id);
        const { schema_version: _v, ...hb } = heartbeat(a);
        expect(beating?.heartbeat).toEqual(hb);
        expect(beating?.last_heartbeat_at).toMatch(ISO_UTC);
        expect(await store.agents.recordHeartbeat({ ...heartbeat(a), agent_id: uid('unknown') })).toBeUndefined();
        expect(await store.agents.recordHeartbeat({ ...heartbeat(a), cluster_id: uid('other') })).toBeUndefined();

        const listed = await store.agents.list({ cluster_id: clusterId });
        expect(listed.map((r) => r.agent_id)).toEqual([a.agent_id, b.agent_id].sort());
        expect(await store.agents.list({ cluster_id: clusterId, status: 'offline' })).toEqual([]);
        expect((await store.agents.list()).length).toBeGreaterThanOrEqual(2);

        // Nothing of ours is older than an hour ago.
        const none = await store.agents.markOfflineBefore(new Date(Date.now() - 3_600_000));
        expect(none.filter((r) => r.cluster_id === clusterId)).toEqual([]);
        const marked = (await store.agents.markOfflineBefore(new Date(Date.now() + 60_000))).filter((r) => r.cluster_id === clusterId);
        expect(marked.map((r) => [r.agent_id, r.status])).toEqual([a.agent_id, b.agent_id].sort().map((id) => [id, 'offline']));
        expect((await store.agents.list({ cluster_id: clusterId, status: 'offline' })).length).toBe(2);
        // Already offline: not returned again.
        expect((await store.agents.markOfflineBefore(new Date(Date.now() + 60_000))).filter((r) => r.cluster_id === clusterId)).toEqual([]);

        // Back from offline: the heartbeat says what the agent was.
        expect(await store.agents.recordHeartbeat(heartbeat(b))).toBe('offline');
        expect((await store.agents.get(b.agent_id))?.status).toBe('online');
        // Restricted to some agents (each has its own heartbeat interval, so its own cutoff).
        expect(await store.agents.markOfflineBefore(new Date(Date.now() + 60_000), [uid('someone-else')])).toEqual([]);
        expect((await store.agents.get(b.agent_id))?.status).toBe('online');
        expect((await store.agents.markOfflineBefore(new Date(Date.now() + 60_000), [b.agent_id])).map((r) => r.agent_id)).toEqual([b.agent_id]);
        expect(await store.agents.recordHeartbeat(heartbeat(b))).toBe('offline');

        expect(await store.agents.delete(a.agent_id)).toBe(true);
        expect(await store.agents.delete(a.agent_id)).toBe(false);
        expect(await store.agents.get(a.agent_id)).toBeUndefined();
      }, 15_000);
    });

    describe('events', () => {
      it('insertMany counts duplicates within and across batches and loses nothing', async () => {
        const clusterId = uid('c');
        const e = Array.from({ length: 6 }, (_, i) => event(clusterId, { id: uid(`evt${i}`), message: `original ${i}` }));
        const [e0, e1, e2, e3, e4, e5] = e as [AgentEvent, AgentEvent, AgentEvent, AgentEvent, AgentEvent, AgentEvent];
        expect(await store.events.insertMany([])).toEqual({ inserted: 0, duplicates: 0, stored: [] });
        expect(await store.events.insertMany([e0, e1, { ...e0, message: 'second copy' }, e2])).toEqual({ inserted: 3, duplicates: 1, stored: [e0, e1, e2] });
        expect(await store.events.insertMany([e1, e2, e3, e4, e3, e5])).toEqual({ inserted: 3, duplicates: 3, stored: [e3, e4, e5] });
        expect(await store.events.insertMany([e0, e1, e2, e3, e4, e5])).toEqual({ inserted: 0, duplicates: 6, stored: [] });

        const page = await store.events.list({ cluster_id: clusterId, limit: 1000 });
        expect(page.items.map((r) => r.id).sort()).toEqual(e.map((x) => x.id).sort());
        expect(page.next_cursor).toBeUndefined();
        // The first copy in a batch wins.
        expect((await store.events.get(e0.id))?.message).toBe('original 0');
      }, 15_000);

      it('stores text PostgreSQL cannot hold (U+0000) as U+FFFD instead of failing the batch', async () => {
        const clusterId = uid('c');
        const odd = event(clusterId, { message: 'panic: \u0000 in output', labels: { kind: 'Pod', name: 'cart-7d9f', note: 'a\u0000b' } });
        const literal = event(clusterId, { message: 'the text \\u0000 stays as written' });
        const plain = event(clusterId);
        expect(await store.events.insertMany([odd, literal, plain])).toMatchObject({ inserted: 3, duplicates: 0 });
        expect((await store.events.get(odd.id))?.message).toBe('panic: \ufffd in output');
        expect((await store.events.get(odd.id))?.labels['note']).toBe('a\ufffdb');
        expect((await store.events.get(literal.id))?.message).toBe('the text \\u0000 stays as written');
      }, 15_000);

      it('round-trip: what goes in comes back equal, plus received_at; timestamps in canonical UTC', async () => {
        const clusterId = uid('c');
        const full = event(clusterId, {
          type: 'state_change',
          severity: 'critical',
          namespace: '',
          labels: { kind: 'Node', name: 'node-3', app: 'x', 'kubernetes.io/os': 'linux' },
          raw_data: { count: 1, first_timestamp: '2025-09-30T10:10:00+02:00', last_timestamp: '2025-09-30T10:15:30Z', nested: { a: [1, 'b', null] } },
          category: 'node',
          involved_object: { kind: 'Node', name: 'node-3', uid: 'u-1', api_version: 'v1' },
          owners: [
            { kind: 'ReplicaSet', name: 'cart-7d9f', namespace: 'shop', uid: 'u-2' },
            { kind: 'Deployment', name: 'cart', namespace: 'shop' },
          ],
          message: 'unicode ✓ "quotes" \\ back\nslash',
        });
        const minimal = event(clusterId);
        const offset = event(clusterId, { timestamp: '2025-09-30T12:15:30.5+02:00' });
        const start = Date.now();
        await store.events.insertMany([full, minimal, offset]);
        for (const e of [full, minimal]) {
          const got = await store.events.get(e.id);
          expect(got).toEqual({ ...stored(e), received_at: expect.stringMatching(ISO_UTC) as string });
          expect(Date.parse(got?.received_at ?? '')).toBeGreaterThan(start - 5_000);
        }
        expect((await store.events.get(offset.id))?.timestamp).toBe('2025-09-30T10:15:30.500Z');
        expect(await store.events.get(uid('missing'))).toBeUndefined();
      }, 10_000);

      it('list filters by cluster, object, reason, severity and time range', async () => {
        const clusterId = uid('c');
        const t = (min: number) => new Date(Date.UTC(2025, 8, 30, 10, min)).toISOString();
        const a = event(clusterId, { timestamp: t(1), namespace: 'shop', labels: { kind: 'Pod', name: 'cart' }, reason: 'BackOff', severity: 'high' });
        const b = event(clusterId, { timestamp: t(2), namespace: 'shop', labels: { kind: 'Pod', name: 'web' }, reason: 'OOMKilled', severity: 'critical' });
        const c = event(clusterId, { timestamp: t(3), namespace: 'pay', labels: { kind: 'Deployment', name: 'cart' }, reason: 'BackOff', severity: 'low' });
        const d = event(clusterId, { timestamp: t(4), namespace: '', labels: { kind: 'Node', name: 'node-1' }, reason: 'NodeNotReady', severity: 'critical' });
        const elsewhere = event(uid('c'), { timestamp: t(2) });
        await store.events.insertMany([a, b, c, d, elsewhere]);
        const ids = async (q: Parameters<Store['events']['list']>[0]) => (await store.events.list({ cluster_id: clusterId, ...q })).items.map((r) => r.id);

        expect(await ids({})).toEqual([d.id, c.id, b.id, a.id]);
        expect(await ids({ namespace: 'shop' })).toEqual([b.id, a.id]);
        expect(await ids({ namespace: '' })).toEqual([d.id]);
        expect(await ids({ kind: 'Pod' })).toEqual([b.id, a.id]);
        expect(await ids({ name: 'cart' })).toEqual([c.id, a.id]);
        expect(await ids({ namespace: 'shop', kind: 'Pod', name: 'cart' })).toEqual([a.id]);
        expect(await ids({ reason: 'BackOff' })).toEqual([c.id, a.id]);
        expect(await ids({ severity: 'critical' })).toEqual([d.id, b.id]);
        expect(await ids({ since: t(2), until: t(4) })).toEqual([c.id, b.id]);
        expect(await ids({ since: '2025-09-30T12:03:00+02:00' })).toEqual([d.id, c.id]);
        const everywhere = (await store.events.list({ since: t(2), until: t(3), limit: 1000 })).items.map((r) => r.id);
        expect(everywhere).toEqual(expect.arrayContaining([b.id, elsewhere.id]));
      }, 10_000);

      it('searches event text (stemmed, web-search syntax) combined with the other filters', async () => {
        const clusterId = uid('c');
        const t = (min: number) => new Date(Date.UTC(2025, 8, 30, 11, min)).toISOString();
        const oom = event(clusterId, { timestamp: t(1), reason: 'OOMKilled', message: 'container app terminated with reason OOMKilled (exit code 137); memory limit 128Mi', labels: { kind: 'Pod', name: 'checkout-7f9c' } });
        const backoff = event(clusterId, { timestamp: t(2), reason: 'BackOff', message: 'Back-off restarting failed container app in pod checkout-7f9c', labels: { kind: 'Pod', name: 'checkout-7f9c' } });
        const probe = event(clusterId, { timestamp: t(3), reason: 'Unhealthy', message: 'Readiness probe failed: connection refused', labels: { kind: 'Pod', name: 'cart-1' }, severity: 'medium' });
        await store.events.insertMany([oom, backoff, probe]);
        const ids = async (text: string, q: Parameters<Store['events']['list']>[0] = {}) => (await store.events.list({ cluster_id: clusterId, text, ...q })).items.map((r) => r.id);

        expect(await ids('oomkilled')).toEqual([oom.id]);
        expect(await ids('restart')).toEqual([backoff.id]); // stemmed: "restarting"
        expect(await ids('"connection refused"')).toEqual([probe.id]);
        expect(await ids('container -oomkilled')).toEqual([backoff.id]);
        expect(await ids('oomkilled or readiness')).toEqual([probe.id, oom.id]);
        expect(await ids('container', { severity: 'medium' })).toEqual([]);
        expect(await ids('nothing-like-this')).toEqual([]);
        expect(await ids('   ')).toEqual([probe.id, backoff.id, oom.id]); // blank: no text filter
        expect(await ids('"unbalanced (quote & | !')).toEqual([]); // odd syntax is not an error
      }, 10_000);

      it('pages 250 events (with timestamp ties) at 100 per page: each exactly once, newest first', async () => {
        const clusterId = uid('c');
        const base = Date.UTC(2025, 9, 1, 0, 0, 0);
        // Every three events share a timestamp, so the id tie-breaker decides their order.
        const events = Array.from({ length: 250 }, (_, i) =>
          event(clusterId, { id: `${clusterId}-${String((i * 7919) % 1000).padStart(4, '0')}-${i}`, timestamp: new Date(base + Math.floor(i / 3) * 1000).toISOString() }),
        );
        expect(await store.events.insertMany(events)).toMatchObject({ inserted: 250, duplicates: 0 });
        const expected = [...events].sort(newestFirst).map((e) => e.id);

        const seen: string[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        for (let pageNo = 0; pageNo < 10; pageNo++) {
          const page = await store.events.list({ cluster_id: clusterId, limit: 100, cursor });
          sizes.push(page.items.length);
          seen.push(...page.items.map((r) => r.id));
          cursor = page.next_cursor;
          if (!cursor) break;
        }
        expect(sizes).toEqual([100, 100, 50]);
        expect(seen).toEqual(expected);
        expect(new Set(seen).size).toBe(250);
      }, 20_000);

      it('rejects a malformed cursor, a limit outside 1–1000 and a bad time with InputError naming the field', async () => {
        const cases: [Parameters<Store['events']['list']>[0], string][] = [
          [{ cursor: 'not a cursor!' }, 'cursor'],
          [{ cursor: Buffer.from('{"x":1}').toString('base64url') }, 'cursor'],
          [{ limit: 0 }, 'limit'],
          [{ limit: 1001 }, 'limit'],
          [{ limit: 2.5 }, 'limit'],
          [{ since: 'yesterday' }, 'since'],
          [{ until: '2025-13-45' }, 'until'],
        ];
        for (const [query, path] of cases) {
          const err = await rejection(store.events.list(query));
          expect(err, JSON.stringify(query)).toBeInstanceOf(InputError);
          expect((err as InputError).issues.map((i) => i.path)).toContain(path);
        }
        expect((await store.events.list({ limit: 1 })).items.length).toBeLessThanOrEqual(1);
      }, 10_000);

      it('deleteOlderThan removes only events before the instant and says how many', async () => {
        // Far in the past, so no other test's events are affected.
        const clusterId = uid('c');
        const old = [1, 2, 3].map((d) => event(clusterId, { timestamp: `2001-01-0${d}T00:00:00.000Z` }));
        const kept = event(clusterId, { timestamp: '2001-02-01T00:00:00.000Z' });
        await store.events.insertMany([...old, kept]);
        // Batches of 2: the job loops until a batch comes back short.
        expect(await store.events.deleteOlderThan(new Date('2001-01-15T00:00:00Z'), 2)).toBe(3);
        expect((await store.events.list({ cluster_id: clusterId })).items.map((r) => r.id)).toEqual([kept.id]);
        expect(await store.events.deleteOlderThan(new Date('2001-01-15T00:00:00Z'))).toBe(0);
      }, 10_000);
    });

    describe('event aggregation', () => {
      const pod = { kind: 'Pod', name: 'checkout-7f9c', node: 'node-2' };
      // Inside one 10-minute window (10:00:00-10:10:00).
      const at = (s: number) => new Date(Date.UTC(2025, 9, 2, 10, 0, s)).toISOString();

      it('folds repeats of one object and reason in a window into one event: count, first/last, latest message; any id finds it', async () => {
        const clusterId = uid('c');
        const first = event(clusterId, { timestamp: at(5), labels: pod, message: 'Back-off restarting failed container app (1)' });
        const latest = event(clusterId, { timestamp: at(65), labels: pod, message: 'Back-off restarting failed container app (2)', severity: 'critical' });
        const between = event(clusterId, { timestamp: at(30), labels: pod, message: 'arrives last, but is not the latest' });
        expect(await store.events.insertMany([first])).toMatchObject({ inserted: 1, duplicates: 0 });
        expect(await store.events.insertMany([latest, between, latest])).toEqual({ inserted: 2, duplicates: 1, stored: [latest, between] });

        const page = await store.events.list({ cluster_id: clusterId });
        expect(page.items).toHaveLength(1);
        const aggregate = page.items[0];
        expect(aggregate).toMatchObject({
          id: first.id,
          count: 3,
          timestamp: at(5),
          first_timestamp: at(5),
          last_timestamp: at(65),
          message: latest.message,
          severity: 'critical',
          labels: pod,
        });
        for (const e of [first, latest, between]) expect(await store.events.get(e.id), e.id).toEqual(aggregate);

        // Agents deliver at least once: ids already folded in never count again, in any batch.
        expect(await store.events.insertMany([between, first, latest])).toEqual({ inserted: 0, duplicates: 3, stored: [] });
        expect((await store.events.get(first.id))?.count).toBe(3);

        // An earlier occurrence arriving late moves the first occurrence, not the message.
        const earliest = event(clusterId, { timestamp: at(1), labels: pod, message: 'earliest' });
        await store.events.insertMany([earliest]);
        expect(await store.events.get(earliest.id)).toMatchObject({ id: first.id, count: 4, timestamp: at(1), last_timestamp: at(65), message: latest.message });
      }, 15_000);

      it('keeps apart another reason, object, namespace, cluster or window; a window of 0 keeps every event', async () => {
        const clusterId = uid('c');
        const base = event(clusterId, { timestamp: at(0), labels: pod });
        const same = event(clusterId, { timestamp: at(599), labels: pod });
        const apart = [
          event(clusterId, { timestamp: at(0), labels: pod, reason: 'Unhealthy' }),
          event(clusterId, { timestamp: at(0), labels: { ...pod, name: 'checkout-other' } }),
          event(clusterId, { timestamp: at(0), labels: { kind: 'ReplicaSet', name: pod.name } }),
          event(clusterId, { timestamp: at(0), labels: pod, namespace: 'pay' }),
          event(clusterId, { timestamp: at(600), labels: pod }), // the next window
        ];
        const elsewhere = event(uid('c'), { timestamp: at(0), labels: pod });
        expect(await store.events.insertMany([base, ...apart, same, elsewhere])).toMatchObject({ inserted: 8, duplicates: 0 });
        const items = (await store.events.list({ cluster_id: clusterId })).items;
        expect(items.map((r) => [r.id, r.count]).sort()).toEqual([[base.id, 2], ...apart.map((e) => [e.id, 1])].sort());
        expect(await store.events.get(elsewhere.id)).toMatchObject({ id: elsewhere.id, count: 1 });

        const unaggregated = [event(clusterId, { timestamp: at(10), labels: pod }), event(clusterId, { timestamp: at(11), labels: pod })];
        expect(await store.events.insertMany(unaggregated, { aggregationWindowMs: 0 })).toMatchObject({ inserted: 2 });
        for (const e of unaggregated) expect(await store.events.get(e.id)).toMatchObject({ id: e.id, count: 1 });

        for (const bad of [-1, 1.5, 3_600_001]) {
          const err = await rejection(store.events.insertMany([event(clusterId)], { aggregationWindowMs: bad }));
          expect(err, String(bad)).toBeInstanceOf(InputError);
          expect((err as InputError).issues[0]?.path).toBe('aggregationWindowMs');
        }
      }, 15_000);

      it('since and until select the aggregates that overlap the range', async () => {
        const clusterId = uid('c');
        const a = event(clusterId, { timestamp: at(5), labels: pod });
        const b = event(clusterId, { timestamp: at(65), labels: pod });
        await store.events.insertMany([a, b]);
        const ids = async (q: { since?: string; until?: string }) => (await store.events.list({ cluster_id: clusterId, ...q })).items.map((r) => r.id);
        expect(await ids({ since: at(30) })).toEqual([a.id]);
        expect(await ids({ since: at(65) })).toEqual([a.id]);
        expect(await ids({ since: at(66) })).toEqual([]);
        expect(await ids({ until: at(5) })).toEqual([]);
        expect(await ids({ until: at(6) })).toEqual([a.id]);
        expect(await ids({ since: at(10), until: at(20) })).toEqual([a.id]);
      }, 10_000);

      it('concurrent writers of overlapping batches of the same repeats count every id exactly once', async () => {
        const clusterId = uid('c');
        // 20 objects x 30 occurrences in one window; every id is sent by two writers, in different batches.
        const events = Array.from({ length: 600 }, (_, i) =>
          event(clusterId, { timestamp: at(i % 500), labels: { kind: 'Pod', name: `web-${i % 20}` }, message: `attempt ${i}` }),
        );
        const shuffled = (seed: number) => [...events].sort((x, y) => ((x.id.charCodeAt(5) * seed) % 97) - ((y.id.charCodeAt(5) * seed) % 97));
        const batches: AgentEvent[][] = [];
        for (const order of [shuffled(7), shuffled(13)]) for (let i = 0; i < order.length; i += 50) batches.push(order.slice(i, i + 50));
        const results = await Promise.all(batches.map((b) => store.events.insertMany(b)));
        expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(600);
        expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(600);
        expect(new Set(results.flatMap((r) => r.stored.map((e) => e.id))).size).toBe(600);
        const items = (await store.events.list({ cluster_id: clusterId })).items;
        expect(items).toHaveLength(20);
        expect(items.reduce((n, r) => n + r.count, 0)).toBe(600);
        const idRows = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM event_ids WHERE id = ANY($1::text[])`, [events.map((e) => e.id)]);
        expect(idRows.rows[0]?.n).toBe(600);
      }, 30_000);

      it('retention deletes an aggregate only once its last occurrence is old, with the ids folded into it', async () => {
        const clusterId = uid('c');
        const early = event(clusterId, { timestamp: '2002-01-01T00:00:05.000Z', labels: pod });
        const late = event(clusterId, { timestamp: '2002-01-01T00:05:00.000Z', labels: pod });
        await store.events.insertMany([early, late]);
        // (Other tests' events from before 2002 may go too; only ours are asserted.)
        await store.events.deleteOlderThan(new Date('2002-01-01T00:02:00Z'));
        expect((await store.events.get(early.id))?.count).toBe(2);
        expect(await store.events.deleteOlderThan(new Date('2002-01-01T02:00:00Z'))).toBeGreaterThanOrEqual(1);
        for (const e of [early, late]) expect(await store.events.get(e.id)).toBeUndefined();
        const idRows = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM event_ids WHERE id = ANY($1::text[])`, [[early.id, late.id]]);
        expect(idRows.rows[0]?.n).toBe(0);
      }, 10_000);
    });

    describe('commands', () => {
      function command(clusterId: string, overrides: Partial<AgentCommand> = {}): AgentCommand {
        return {
          schema_version: 1,
          id: uid('cmd'),
          cluster_id: clusterId,
          type: 'diagnostic',
          tool: 'kubectl',
          action: 'logs',
          args: ['pod/cart-7d9f', '--tail=100'],
          namespace: 'shop',
          timeout: '30s',
          issued_by: 'reasoning',
          correlation_id: 'incident-1',
          timestamp: '2025-09-30T10:20:00.000Z',
          ...overrides,
        };
      }
      function result(cmd: AgentCommand, overrides: Partial<AgentResult> = {}): AgentResult {
        return {
          schema_version: 1,
          command_id: cmd.id,
          cluster_id: cmd.cluster_id,
          status: 'success',
          exit_code: 0,
          output: 'line 1\nline 2',
          error: '',
          execution_time: '1.2s',
          timestamp: '2025-09-30T10:20:02.000Z',
          ...overrides,
        };
      }

      it('create, refuse a duplicate, move state, keep the first result and complete the command', async () => {
        const clusterId = uid('c');
        const cmd = command(clusterId);
        const { schema_version: _v, ...fields } = cmd;
        const created = await store.commands.create(cmd);
        expect(created).toEqual({ ...fields, state: 'pending', created_at: expect.stringMatching(ISO_UTC) as string, completed_at: null });
        expect(await store.commands.get(cmd.id)).toEqual(created);
        const dup = await rejection(store.commands.create(cmd));
        expect(dup).toBeInstanceOf(ConflictError);
        expect((dup as Error).message).toContain(cmd.id);

        const bare = command(clusterId, { namespace: undefined, correlation_id: undefined, timestamp: undefined, args: [] });
        const { schema_version: _b, namespace: _n, correlation_id: _c, timestamp: _t, ...bareFields } = bare;
        expect(await store.commands.create(bare)).toEqual({ ...bareFields, state: 'pending', created_at: expect.any(String) as string, completed_at: null });

        await store.commands.setState(cmd.id, 'sent');
        expect((await store.commands.get(cmd.id))?.state).toBe('sent');
        expect(await rejection(store.commands.setState(uid('missing'), 'sent'))).toBeInstanceOf(NotFoundError);
        expect(await store.commands.getResult(cmd.id)).toBeUndefined();

        const first = result(cmd, { truncated: true });
        expect(await store.commands.saveResult(first)).toEqual({ stored: true });
        expect(await store.commands.saveResult(result(cmd, { status: 'error', output: 'later', exit_code: 1 }))).toEqual({ stored: false });
        const { schema_version: _r, ...resultFields } = first;
        expect(await store.commands.getResult(cmd.id)).toEqual({ ...resultFields, received_at: expect.stringMatching(ISO_UTC) as string });
        const done = await store.commands.get(cmd.id);
        expect(done?.state).toBe('completed');
        expect(done?.completed_at).toMatch(ISO_UTC);

        // A late "sent" (racing the result) does not reopen a completed command.
        await store.commands.setState(cmd.id, 'sent');
        expect(await store.commands.get(cmd.id)).toEqual(done);
      }, 10_000);

      it('keeps a result for a command it never saw', async () => {
        const orphan = command(uid('c'));
        const r = result(orphan, { status: 'timeout', exit_code: -1, output: '', error: 'deadline exceeded' });
        expect(await store.commands.saveResult(r)).toEqual({ stored: true });
        expect(await store.commands.getResult(orphan.id)).toMatchObject({ command_id: orphan.id, status: 'timeout', error: 'deadline exceeded' });
        expect(await store.commands.get(orphan.id)).toBeUndefined();
      }, 10_000);
    });

    describe('sql client', () => {
      it('surfaces a unique violation as ConflictError with the driver error as cause', async () => {
        const id = uid('c');
        await store.sql.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [id]);
        const err = await rejection(store.sql.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [id]));
        expect(err).toBeInstanceOf(ConflictError);
        expect(((err as Error).cause as { code?: string }).code).toBe('23505');
      }, 10_000);

      it('commits a transaction that resolves, rolls back one that throws and rethrows its error unchanged', async () => {
        const kept = uid('c');
        const dropped = uid('c');
        await store.sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [kept]);
        });
        const boom = new Error('boom');
        const err = await rejection(
          store.sql.transaction(async (tx) => {
            await tx.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [dropped]);
            throw boom;
          }),
        );
        expect(err).toBe(boom);
        expect(await store.clusters.get(kept)).toBeDefined();
        expect(await store.clusters.get(dropped)).toBeUndefined();
      }, 10_000);

      it('rolls a nested transaction back to its savepoint and keeps the outer one', async () => {
        const outer = uid('c');
        const inner = uid('c');
        await store.sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [outer]);
          const err = await rejection(
            tx.transaction(async (sp) => {
              await sp.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [inner]);
              await sp.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [outer]);
            }),
          );
          expect(err).toBeInstanceOf(ConflictError);
        });
        expect(await store.clusters.get(outer)).toBeDefined();
        expect(await store.clusters.get(inner)).toBeUndefined();
      }, 10_000);

      it('never runs a plain query inside a concurrent transaction', async () => {
        const id = uid('c');
        let inserted!: () => void;
        const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
        const txOutcome = rejection(
          store.sql.transaction(async (t) => {
          await t.query(`INSERT INTO clusters (id, name) VALUES ($1, $1)`, [id]);
          inserted();
          await new Promise((resolve) => setTimeout(resolve, 200));
          throw new Error('roll back');
          }),
        );
        await insertedSignal;
        // Whether it waits (one connection) or runs beside it (pool), it must not see the uncommitted row.
        const seen = await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM clusters WHERE id = $1`, [id]);
        expect(await txOutcome).toBeInstanceOf(Error);
        expect(seen.rows[0]?.n).toBe(0);
        expect(await store.clusters.get(id)).toBeUndefined();
      }, 10_000);

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      }, 10_000);
    });

    // Last: it closes the suite's store (cleanup closes it again, which must be harmless).
    describe('after close', () => {
      it('fails queries and ping with StoreError/UnavailableError instead of crashing; close is idempotent', async () => {
        await store.close();
        await store.close();
        const err = await rejection(store.clusters.list());
        expect(err).toBeInstanceOf(StoreError);
        expect(err).toBeInstanceOf(UnavailableError);
        expect(await rejection(store.sql.transaction(() => Promise.resolve(undefined)))).toBeInstanceOf(StoreError);
        expect(await rejection(store.ping())).toBeInstanceOf(UnavailableError);
      }, 10_000);
    });
  });
}
