/**
 * The manager and the REST API in one process (the `all` composition) on the in-process bus and a real
 * PostgreSQL database: what an agent sends is stored, what a client asks is answered, and bad input of
 * either kind gets a clear error without losing what was accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_SUBJECTS, agentSubject } from '../src/contracts/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { resolveConfig } from '../src/core/config/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { eventually } from './support/cli.js';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';

const CLUSTER = 'api-test';
const now = () => new Date().toISOString();

function event(id: string, overrides: Record<string, unknown> = {}) {
  return {
    schema_version: 1,
    id,
    cluster_id: CLUSTER,
    timestamp: now(),
    type: 'k8s_event',
    source: 'kubernetes',
    severity: 'critical',
    reason: 'OOMKilled',
    message: 'Container app was OOM killed',
    namespace: 'shop',
    labels: { kind: 'Pod', name: 'checkout-1', node: 'node-1' },
    raw_data: { count: 1, first_timestamp: now(), last_timestamp: now() },
    ...overrides,
  };
}

describe('manager and REST API', () => {
  let db: TestDatabase;
  let app: App;
  let api: (path: string, init?: RequestInit) => Promise<Response>;

  beforeAll(async () => {
    db = await createTestDatabase('aet_api');
    const { config } = resolveConfig({
      env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_SERVER_PORT: '0', AETHERIUS_MANAGER_INGEST_FLUSH_INTERVAL: '20ms', AETHERIUS_LOG_LEVEL: 'silent', AETHERIUS_MANAGER_RETENTION_INTERVAL: '200ms' },
    });
    app = await startApp({ config, services: ['manager', 'api'], logger: silentLogger() });
    api = (path, init) => fetch(`${app.url}${path}`, init);
  });

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  const bus = () => {
    if (!app.bus) throw new Error('no bus');
    return app.bus;
  };

  it('registers an agent, replies, and tracks its heartbeats', async () => {
    const reply = await bus().request(
      agentSubject(CLUSTER, 'register'),
      { schema_version: 1, agent_id: 'agent-a', cluster_id: CLUSTER, timestamp: now(), version: '0.1.0', capabilities: ['events', 'metrics'] },
      { timeoutMs: 5000 },
    );
    expect(reply.json()).toMatchObject({ accepted: true, agent_id: 'agent-a' });
    await bus().publish(agentSubject(CLUSTER, 'heartbeat'), { schema_version: 1, agent_id: 'agent-a', cluster_id: CLUSTER, timestamp: now(), status: 'healthy', stats: { events_sent: 7 } });
    const agent = await eventually(async () => {
      const a = (await (await api('/api/v1/agents/agent-a')).json()) as { last_heartbeat_at: string | null; status: string; capabilities: string[] };
      return a.last_heartbeat_at ? a : undefined;
    }, 5000, 'heartbeat recorded');
    expect(agent).toMatchObject({ status: 'online', capabilities: ['events', 'metrics'] });
    const list = (await (await api(`/api/v1/agents?cluster_id=${CLUSTER}`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
    const clusters = (await (await api('/api/v1/clusters')).json()) as { items: { id: string }[] };
    expect(clusters.items.map((c) => c.id)).toContain(CLUSTER);
  });

  it('counts a heartbeat from an unregistered agent instead of storing it', async () => {
    await bus().publish(agentSubject(CLUSTER, 'heartbeat'), { schema_version: 1, agent_id: 'ghost', cluster_id: CLUSTER, timestamp: now(), status: 'healthy' });
    await eventually(async () => {
      const text = await (await api('/metrics')).text();
      return text.includes('reason="unknown_agent"') ? true : undefined;
    }, 5000, 'unknown agent counted');
    expect((await api('/api/v1/agents/ghost')).status).toBe(404);
  });

  it('deregisters an agent', async () => {
    await bus().request(agentSubject(CLUSTER, 'register'), { schema_version: 1, agent_id: 'agent-b', cluster_id: CLUSTER, timestamp: now(), version: '0.1.0' }, { timeoutMs: 5000 });
    expect((await api('/api/v1/agents/agent-b', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/v1/agents/agent-b', { method: 'DELETE' })).status).toBe(404);
  });

  it('stores events, pages through them, and drops redelivered duplicates', async () => {
    const ids = Array.from({ length: 30 }, () => uniqueName('evt'));
    // One pod each: repeats of one pod and reason would be aggregated into one event.
    const paged = (id: string) => event(id, { namespace: 'paging', labels: { kind: 'Pod', name: id, node: 'node-1' } });
    for (const id of ids) await bus().publish(agentSubject(CLUSTER, 'event'), paged(id));
    await bus().publish(agentSubject(CLUSTER, 'event'), paged(ids[0] ?? ''));
    const seen = new Set<string>();
    await eventually(async () => {
      seen.clear();
      let cursor: string | undefined;
      do {
        const page = (await (await api(`/api/v1/events?cluster_id=${CLUSTER}&namespace=paging&reason=OOMKilled&limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
          items: { id: string }[];
          next_cursor?: string;
        };
        for (const e of page.items) seen.add(e.id);
        cursor = page.next_cursor;
      } while (cursor);
      return seen.size >= ids.length ? true : undefined;
    }, 10_000, 'all events listed');
    expect([...seen].sort()).toEqual([...ids].sort());
    // One list shape: next_cursor is null on the last page.
    expect(await (await api('/api/v1/events?cluster_id=no-such-cluster')).json()).toEqual({ items: [], next_cursor: null });
  });

  it('aggregates repeats of one pod and reason into one event with a count; any of its ids finds it; a redelivery counts once', async () => {
    const pod = uniqueName('cart');
    // Five occurrences inside one aggregation window (10 minutes, aligned on the epoch), in the past.
    const windowStart = Math.floor((Date.now() - 60_000) / 600_000) * 600_000;
    const at = (s: number) => new Date(windowStart + s * 1000).toISOString();
    const ids = Array.from({ length: 5 }, () => uniqueName('rep'));
    const repeat = (id: string, i: number) =>
      event(id, { reason: 'BackOff', severity: 'high', timestamp: at(i + 1), message: `Back-off restarting failed container app (${i + 1})`, labels: { kind: 'Pod', name: pod, node: 'node-1' } });
    for (const [i, id] of ids.entries()) await bus().publish(agentSubject(CLUSTER, 'event'), repeat(id, i));
    await bus().publish(agentSubject(CLUSTER, 'event'), repeat(ids[2] ?? '', 2)); // redelivered
    type Listed = { id: string; count: number; timestamp: string; first_timestamp: string; last_timestamp: string; message: string };
    const items = await eventually(async () => {
      const page = (await (await api(`/api/v1/events?cluster_id=${CLUSTER}&name=${pod}`)).json()) as { items: Listed[] };
      return page.items[0]?.count === 5 ? page.items : undefined;
    }, 10_000, 'five repeats aggregated');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: ids[0], count: 5, timestamp: at(1), first_timestamp: at(1), last_timestamp: at(5), message: 'Back-off restarting failed container app (5)' });
    for (const id of ids) expect(((await (await api(`/api/v1/events/${id}`)).json()) as Listed).id).toBe(ids[0]);
    await new Promise((r) => setTimeout(r, 300)); // the duplicate has surely been handled by now
    expect(((await (await api(`/api/v1/events/${ids[4] ?? ''}`)).json()) as Listed).count).toBe(5);
  });

  it('searches stored events by text with filters and cursor pagination (POST /api/v1/events/search)', async () => {
    const ids = Array.from({ length: 5 }, () => uniqueName('srch'));
    for (const [i, id] of ids.entries()) {
      await bus().publish(agentSubject(CLUSTER, 'event'), event(id, { reason: 'FailedMount', severity: 'high', message: `MountVolume.SetUp failed for volume "certs-${i}" : secret "tls-${i}" not found`, labels: { kind: 'Pod', name: `gateway-${i}` } }));
    }
    const search = (body: unknown) => api('/api/v1/events/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const found = await eventually(async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = (await (await search({ text: 'secret "not found"', cluster_id: CLUSTER, severity: 'high', limit: 2, ...(cursor ? { cursor } : {}) })).json()) as { items: { id: string }[]; next_cursor: string | null };
        seen.push(...page.items.map((e) => e.id));
        cursor = page.next_cursor;
      } while (cursor);
      return seen.length >= ids.length ? seen : undefined;
    }, 10_000, 'search results');
    expect([...found].sort()).toEqual([...ids].sort());
    const none = (await (await search({ text: 'secret -failedmount', cluster_id: CLUSTER })).json()) as { items: unknown[]; next_cursor: string | null };
    expect(none).toEqual({ items: [], next_cursor: null });
    const bad = await search({ text: 42, severity: 'urgent' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/text|severity/);
  });

  it('deletes events past manager.event_retention (30 days) on schedule and keeps the rest', async () => {
    const day = 86_400_000;
    const old = uniqueName('old');
    const recent = uniqueName('recent');
    const at = (ms: number) => new Date(Date.now() - ms).toISOString();
    const inserted = async () => Number(/aetherius_events_stored_total\{result="inserted"[^}]*\} (\d+)/.exec(await (await api('/metrics')).text())?.[1] ?? 0);
    const before = await inserted();
    await bus().publish(agentSubject(CLUSTER, 'event'), event(old, { timestamp: at(40 * day), raw_data: { count: 1, first_timestamp: at(40 * day), last_timestamp: at(40 * day) } }));
    await bus().publish(agentSubject(CLUSTER, 'event'), event(recent, { timestamp: at(29 * day), raw_data: { count: 1, first_timestamp: at(29 * day), last_timestamp: at(29 * day) } }));
    await eventually(async () => ((await api(`/api/v1/events/${recent}`)).status === 200 ? true : undefined), 10_000, 'recent event stored');
    // Both were stored (the old one may already be gone again by now)...
    expect(await inserted()).toBe(before + 2);
    // ...and the job removes the old one.
    await eventually(async () => ((await api(`/api/v1/events/${old}`)).status === 404 ? true : undefined), 10_000, 'old event deleted');
    await new Promise((r) => setTimeout(r, 500)); // a few more runs of the job
    expect((await api(`/api/v1/events/${recent}`)).status).toBe(200);
  });

  it('serves an OpenAPI 3 document generated from the schemas that validate requests', async () => {
    const doc = (await (await api('/api/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content: { 'application/json': { schema: { properties: Record<string, unknown>; required?: string[]; additionalProperties?: unknown } } } } }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/agents', '/api/v1/agents/{id}', '/api/v1/clusters', '/api/v1/events', '/api/v1/events/search', '/api/v1/events/{id}', '/api/v1/commands', '/api/v1/commands/{id}', '/api/v1/commands/{id}/result']));
    expect(doc.paths['/api/v1/events']?.['get']?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['cluster_id', 'severity', 'cursor', 'limit']));
    const commandBody = doc.paths['/api/v1/commands']?.['post']?.requestBody?.content['application/json'].schema;
    expect(commandBody?.required).toEqual(expect.arrayContaining(['cluster_id', 'type', 'tool', 'action']));
    expect(commandBody?.additionalProperties).toBe(false);
    const clusterBody = doc.paths['/api/v1/clusters']?.['post']?.requestBody?.content['application/json'].schema;
    expect(Object.keys(clusterBody?.properties ?? {})).toEqual(expect.arrayContaining(['id', 'name', 'environment', 'labels']));
  });

  it('rejects an event published for another cluster and keeps consuming', async () => {
    const foreign = uniqueName('evt');
    const good = uniqueName('evt');
    await bus().publish(agentSubject(CLUSTER, 'event'), event(foreign, { cluster_id: 'other-cluster' }));
    await bus().publish(agentSubject(CLUSTER, 'event'), event(good));
    await eventually(async () => ((await api(`/api/v1/events/${good}`)).status === 200 ? true : undefined), 5000, 'good event stored');
    expect((await api(`/api/v1/events/${foreign}`)).status).toBe(404);
  });

  it('drops only the event the database refuses, not the rest of its batch', async () => {
    // Year 0 passes the RFC 3339 check but PostgreSQL has no year 0: the batch fails, is split, and
    // only the culprit is dropped (counted as store_rejected).
    const refused = uniqueName('evt');
    const good = Array.from({ length: 5 }, () => uniqueName('evt'));
    await bus().publish(agentSubject(CLUSTER, 'event'), event(good[0] ?? ''));
    await bus().publish(agentSubject(CLUSTER, 'event'), event(refused, { timestamp: '0000-01-01T00:00:00Z' }));
    for (const id of good.slice(1)) await bus().publish(agentSubject(CLUSTER, 'event'), event(id));
    for (const id of good) await eventually(async () => ((await api(`/api/v1/events/${id}`)).status === 200 ? true : undefined), 5000, `event ${id} stored`);
    await eventually(async () => ((await (await api('/metrics')).text()).includes('reason="store_rejected"') ? true : undefined), 5000, 'refusal counted');
    expect((await api(`/api/v1/events/${refused}`)).status).toBe(404);
  });

  it('stores a command result and republishes it on internal.command.result', async () => {
    const received: unknown[] = [];
    const sub = bus().subscribe(INTERNAL_SUBJECTS.commandResult, (msg) => {
      received.push(msg.json());
    });
    try {
      await bus().publish(agentSubject(CLUSTER, 'result'), {
        schema_version: 1,
        command_id: 'cmd-1',
        cluster_id: CLUSTER,
        status: 'success',
        exit_code: 0,
        output: 'ok',
        execution_time: '2.5s',
        timestamp: now(),
      });
      const msg = await eventually(async () => Promise.resolve(received[0]), 5000, 'result republished');
      expect(msg).toMatchObject({ command_id: 'cmd-1', status: 'success', schema_version: 1 });
      expect(await app.store?.commands.getResult('cmd-1')).toMatchObject({ output: 'ok', execution_time: '2.5s' });
    } finally {
      await sub.unsubscribe();
    }
  });

  describe('bad requests get one error shape naming the problem', () => {
    it('a cluster with an invalid id, and a duplicate', async () => {
      const bad = await api('/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'has.dots', name: 'x' }) });
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(body.error.code).toBe('AETHERIUS_E_INPUT');
      expect(body.error.issues.map((i) => i.path)).toEqual(['id']);

      const good = { id: 'prod-eu', name: 'Production EU', environment: 'production', labels: { team: 'sre' } };
      const created = await api('/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) });
      expect(created.status).toBe(201);
      const again = await api('/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe('AETHERIUS_E_CONFLICT');
      expect(((await (await api('/api/v1/clusters/prod-eu')).json()) as { labels: Record<string, string> }).labels).toEqual({ team: 'sre' });
    });

    it('malformed JSON, unknown fields, out-of-range limits, bad cursors, unknown routes', async () => {
      const malformed = await api('/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id": ' });
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('AETHERIUS_E_INPUT');

      const unknownField = await api('/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'c1', name: 'n', colour: 'red' }) });
      expect(unknownField.status).toBe(400);

      const limit = await api('/api/v1/events?limit=5000');
      expect(limit.status).toBe(400);
      expect(((await limit.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('limit');

      const cursor = await api('/api/v1/events?cursor=not-a-cursor');
      expect(cursor.status).toBe(400);
      expect(((await cursor.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('cursor');

      const severity = await api('/api/v1/events?severity=apocalyptic');
      expect(severity.status).toBe(400);

      const route = await api('/api/v1/nothing-here');
      expect(route.status).toBe(404);
      expect(((await route.json()) as { error: { code: string } }).error.code).toBe('AETHERIUS_E_NOT_FOUND');

      const huge = await api('/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'c2', name: 'x'.repeat(2_000_000) }) });
      expect(huge.status).toBe(413);

      // The server is still fine after all that.
      expect((await api('/health/ready')).status).toBe(200);
    });
  });
});
