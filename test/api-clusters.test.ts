/**
 * Clusters and agents through the REST API on the `manager,api` composition (in-process bus, real
 * PostgreSQL): keyset pages of agents and clusters, `GET /api/v1/clusters/{id}/health`, and the
 * manager's agent-identity check (an agent registered for one cluster cannot speak for another).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID_HEADER, REJECT_REASON_HEADER, type BusMessage } from '../src/adapters/bus/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { TimeoutError, agentSubject, deadLetterSubject, type AgentEvent } from '../src/contracts/index.js';
import { resolveConfig } from '../src/core/config/index.js';
import { eventually } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString();

function event(clusterId: string, id: string, over: Partial<AgentEvent> = {}): AgentEvent {
  return {
    schema_version: 1,
    id,
    cluster_id: clusterId,
    timestamp: iso(),
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'high',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    namespace: 'shop',
    labels: { kind: 'Pod', name: `pod-${id}` },
    raw_data: { count: 1, first_timestamp: iso(), last_timestamp: iso() },
    ...over,
  };
}

interface Health {
  status: string;
  reasons: string[];
  agents: { agent_id: string; status: string; reported_status: string | null }[];
  nodes: { source: string; total: number | null; ready: number | null; not_ready_count: number; not_ready: string[] };
  open_incidents: Record<string, number>;
  event_rate: { last_5m_per_min: number; last_60m_per_min: number; events_5m: number; events_60m: number };
}

describe('clusters, agents and cluster health', () => {
  let db: TestDatabase;
  let app: App;
  const api = (path: string, init?: RequestInit) => fetch(`${app.url}${path}`, init);
  const json = async <T>(path: string) => (await (await api(path)).json()) as T;
  const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const bus = () => {
    if (!app.bus) throw new Error('no bus');
    return app.bus;
  };
  const register = (agentId: string, clusterId: string, config: Record<string, unknown> = {}) =>
    bus().request(agentSubject(clusterId, 'register'), { schema_version: 1, agent_id: agentId, cluster_id: clusterId, timestamp: iso(), version: '1.0.0', config }, { timeoutMs: 3000 });
  const heartbeat = (agentId: string, clusterId: string, status: 'healthy' | 'degraded' = 'healthy') =>
    bus().publish(agentSubject(clusterId, 'heartbeat'), { schema_version: 1, agent_id: agentId, cluster_id: clusterId, timestamp: iso(), status });
  const metricsMessage = (clusterId: string, nodes: [string, boolean][]) => ({
    schema_version: 1,
    cluster_id: clusterId,
    timestamp: iso(),
    cluster_metrics: { total_nodes: nodes.length, ready_nodes: nodes.filter(([, r]) => r).length, total_pods: 10, running_pods: 10 },
    node_metrics: nodes.map(([name, ready]) => ({ name, ready, pod_count: 3, conditions: { Ready: ready ? 'True' : 'False' } })),
  });
  const rejected = async (reason: string) => {
    const text = await (await api('/metrics')).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('aetherius_rejected_messages_total{') && l.includes(`reason="${reason}"`))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  };

  beforeAll(async () => {
    db = await createTestDatabase('aet_clusters');
    const { config } = resolveConfig({ env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent', AETHERIUS_MANAGER_INGEST_FLUSH_INTERVAL: '20ms' } });
    app = await startApp({ config, services: ['manager', 'api'], logger: silentLogger() });
  });

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  describe('keyset pages', () => {
    it('pages through clusters by id with { items, next_cursor }, each exactly once', async () => {
      const ids = ['pg-e', 'pg-a', 'pg-d', 'pg-b', 'pg-c'];
      for (const id of ids) expect((await post('/api/v1/clusters', { id, name: id })).status).toBe(201);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: { id: string }[]; next_cursor: string | null } = await json(`/api/v1/clusters?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((c) => c.id));
        cursor = page.next_cursor;
        pages++;
      } while (cursor);
      expect(seen.filter((id) => id.startsWith('pg-'))).toEqual(['pg-a', 'pg-b', 'pg-c', 'pg-d', 'pg-e']);
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('pages through one cluster’s agents and ends with next_cursor null', async () => {
      for (const n of [3, 1, 5, 2, 4]) await register(`pager-${n}`, 'pager');
      const first = await json<{ items: { agent_id: string }[]; next_cursor: string | null }>('/api/v1/agents?cluster_id=pager&limit=3');
      expect(first.items.map((a) => a.agent_id)).toEqual(['pager-1', 'pager-2', 'pager-3']);
      expect(first.next_cursor).toEqual(expect.any(String));
      const second = await json<{ items: { agent_id: string }[]; next_cursor: string | null }>(`/api/v1/agents?cluster_id=pager&limit=3&cursor=${first.next_cursor ?? ''}`);
      expect(second).toMatchObject({ items: [{ agent_id: 'pager-4' }, { agent_id: 'pager-5' }], next_cursor: null });
    });

    it('refuses a malformed cursor, or one of the other list, with 400 naming cursor', async () => {
      const first = await json<{ next_cursor: string }>('/api/v1/agents?cluster_id=pager&limit=1');
      for (const path of ['/api/v1/agents?cursor=not-a-cursor', `/api/v1/clusters?cursor=${first.next_cursor}`, '/api/v1/clusters?limit=0']) {
        const res = await api(path);
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
        expect(body.error.code).toBe('AETHERIUS_E_INPUT');
        expect(['cursor', 'limit']).toContain(body.error.issues[0]?.path);
      }
    });
  });

  describe('GET /api/v1/clusters/{id}/health', () => {
    it('answers 404 for a cluster nobody registered or reported', async () => {
      expect((await api('/api/v1/clusters/nowhere/health')).status).toBe(404);
    });

    it('says unknown for a registered cluster without an agent, with zeros and no node data', async () => {
      await post('/api/v1/clusters', { id: 'hl-empty', name: 'empty' });
      const h = await json<Health>('/api/v1/clusters/hl-empty/health');
      expect(h).toMatchObject({
        status: 'unknown',
        reasons: ['no agent has registered for this cluster'],
        agents: [],
        nodes: { source: 'none', total: null, not_ready: [] },
        open_incidents: { P0: 0, P1: 0, P2: 0, P3: 0 },
        event_rate: { events_5m: 0, events_60m: 0 },
      });
    });

    it('reads node readiness from the agent’s newest metrics message: one of three down is degraded, two is critical', async () => {
      await register('hl-m.agent', 'hl-m', { metrics_interval: '60s' });
      await heartbeat('hl-m.agent', 'hl-m');
      await bus().publish(agentSubject('hl-m', 'metrics'), metricsMessage('hl-m', [['n1', true], ['n2', true], ['n3', false]]));
      const degraded = await eventually(async () => {
        const h = await json<Health>('/api/v1/clusters/hl-m/health');
        return h.agents[0]?.reported_status === 'healthy' ? h : undefined;
      }, 5000, 'heartbeat recorded');
      expect(degraded).toMatchObject({ status: 'degraded', reasons: ['1 of 3 nodes not ready: n3'], agents: [{ agent_id: 'hl-m.agent', status: 'online' }], nodes: { source: 'metrics', total: 3, ready: 2, not_ready: ['n3'] } });
      await bus().publish(agentSubject('hl-m', 'metrics'), metricsMessage('hl-m', [['n1', true], ['n2', false], ['n3', false]]));
      const critical = await json<Health>('/api/v1/clusters/hl-m/health');
      expect(critical).toMatchObject({ status: 'critical', reasons: ['2 of 3 nodes not ready: n2, n3'] });
    });

    it('without metrics, derives node readiness from stored node events and counts events per minute over 5 and 60 minutes', async () => {
      await register('hl-e.agent', 'hl-e');
      await heartbeat('hl-e.agent', 'hl-e', 'degraded');
      const node = (id: string, name: string, reason: string, msAgo: number) =>
        event('hl-e', id, { namespace: '', reason, severity: reason === 'NodeReady' ? 'low' : 'critical', timestamp: iso(msAgo), labels: { kind: 'Node', name } });
      const recent = Array.from({ length: 7 }, (_, i) => event('hl-e', `hl-e-recent-${i}`, { timestamp: iso(60_000) }));
      const older = Array.from({ length: 20 }, (_, i) => event('hl-e', `hl-e-older-${i}`, { timestamp: iso(30 * 60_000) }));
      await app.store?.events.insertMany([
        ...recent,
        ...older,
        node('hl-e-n1-down', 'node-1', 'NodeNotReady', 20 * 60_000),
        node('hl-e-n1-up', 'node-1', 'NodeReady', 10 * 60_000),
        node('hl-e-n2-down', 'node-2', 'NodeNotReady', 15 * 60_000),
      ]);
      const h = await eventually(async () => {
        const x = await json<Health>('/api/v1/clusters/hl-e/health');
        return x.agents[0]?.reported_status === 'degraded' ? x : undefined;
      }, 5000, 'heartbeat recorded');
      expect(h.nodes).toMatchObject({ source: 'events', total: null, ready: null, not_ready_count: 1, not_ready: ['node-2'] });
      expect(h.status).toBe('degraded');
      expect(h.reasons).toEqual(['nodes not ready: node-2', 'agents reporting themselves degraded: hl-e.agent']);
      expect(h.event_rate).toEqual({ events_5m: 7, events_60m: 30, last_5m_per_min: 1.4, last_60m_per_min: 0.5 });
    });

    it('is critical with an open P0 incident, and counts open incidents by severity', async () => {
      await register('hl-i.agent', 'hl-i');
      const store = app.store;
      if (!store) throw new Error('no store');
      const draft = (key: string, severity: 'P0' | 'P3') => ({
        key,
        cluster_id: 'hl-i',
        severity,
        category: 'node' as const,
        title: `node ${key} not ready`,
        resource: { kind: 'Node', name: key },
        affected: [{ kind: 'Node', name: key }],
        blast_radius: { pods: 0, workloads: 0, nodes: 1, namespaces: [] },
        signal_count: 1,
        reasons: ['NodeNotReady'],
        first_seen: iso(),
        last_seen: iso(),
      });
      await store.incidents.open(draft('n9', 'P0'), []);
      await store.incidents.open(draft('n8', 'P3'), []);
      const h = await json<Health>('/api/v1/clusters/hl-i/health');
      expect(h.open_incidents).toEqual({ P0: 1, P1: 0, P2: 0, P3: 1 });
      expect(h).toMatchObject({ status: 'critical', reasons: ['open P0 incidents: 1'] });
    });

    it('says unknown once the cluster’s only agent missed three heartbeats', async () => {
      await register('hl-o.agent', 'hl-o', { heartbeat_interval: '100ms' });
      const h = await eventually(async () => {
        const x = await json<Health>('/api/v1/clusters/hl-o/health');
        return x.agents[0]?.status === 'offline' ? x : undefined;
      }, 5000, 'agent offline');
      expect(h).toMatchObject({ status: 'unknown', reasons: ['no live agent (hl-o.agent missed their heartbeats)'] });
    });
  });

  describe('agent identity at the manager', () => {
    it('rejects and counts (identity_mismatch) a register, heartbeat or event naming an agent registered for another cluster', async () => {
      const reply = await register('id.agent', 'id-a');
      expect(reply.json()).toMatchObject({ accepted: true });
      const dead: BusMessage[] = [];
      const sub = bus().subscribe(deadLetterSubject('aetherius.agent.*.register'), (m) => void dead.push(m));
      try {
        const before = await rejected('identity_mismatch');
        // Registering the same agent id for cluster id-b: no reply, the registration is not moved.
        await expect(register('id.agent', 'id-b')).rejects.toBeInstanceOf(TimeoutError);
        expect(await json<{ cluster_id: string }>('/api/v1/agents/id.agent')).toMatchObject({ cluster_id: 'id-a' });
        expect(dead[0]?.headers[REJECT_REASON_HEADER]).toBe('identity_mismatch');
        await heartbeat('id.agent', 'id-b');
        await bus().publish(agentSubject('id-b', 'event'), event('id-b', 'id-spoofed'), { headers: { [AGENT_ID_HEADER]: 'id.agent' } });
        await bus().publish(agentSubject('id-a', 'event'), event('id-a', 'id-genuine'), { headers: { [AGENT_ID_HEADER]: 'id.agent' } });
        await eventually(async () => ((await rejected('identity_mismatch')) - before === 3 ? true : undefined), 5000, 'three identity mismatches counted');
        await eventually(async () => ((await api('/api/v1/events/id-genuine')).status === 200 ? true : undefined), 5000, 'the genuine event stored');
        expect((await api('/api/v1/events/id-spoofed')).status).toBe(404);
      } finally {
        await sub.unsubscribe();
      }
    });
  });
});
