/**
 * Incidents through the whole control plane: an agent's events on real NATS open an incident in real
 * PostgreSQL, announced on `internal.incident.changed` and `internal.event.critical`; the REST API lists,
 * shows (with timeline) and resolves it; an agent that stops heartbeating opens an `agent_offline` incident
 * that its next heartbeat resolves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_SUBJECTS, agentSubject, type AgentEvent, type CriticalEvent, type Incident, type IncidentChange, type IncidentWithTimeline } from '../src/contracts/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { resolveConfig } from '../src/core/config/index.js';
import { eventually } from './support/cli.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';

const CLUSTER = 'inc-api';
const NAMESPACE = uniqueName('incapi');

describe('incidents API', () => {
  let db: TestDatabase;
  let app: App;
  const changes: IncidentChange[] = [];
  const critical: CriticalEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('aet_incapi');
    const { config } = resolveConfig({
      env: {
        AETHERIUS_DATABASE_URL: db.url,
        AETHERIUS_BUS_NAMESPACE: NAMESPACE,
        AETHERIUS_SERVER_PORT: '0',
        AETHERIUS_LOG_LEVEL: 'silent',
        AETHERIUS_MANAGER_LIVENESS_SWEEP_INTERVAL: '100ms',
        AETHERIUS_MANAGER_INCIDENT_GROUP_WAIT: '1s',
        AETHERIUS_MANAGER_INGEST_FLUSH_INTERVAL: '20ms',
      },
    });
    app = await startApp({ config, services: ['manager', 'api'], logger: silentLogger() });
    app.bus?.subscribe(INTERNAL_SUBJECTS.incidentChanged, (m) => void changes.push(m.json() as IncidentChange));
    app.bus?.subscribe(INTERNAL_SUBJECTS.eventCritical, (m) => void critical.push(m.json() as CriticalEvent));
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await deleteNamespaceStreams(NAMESPACE);
    await db?.drop();
  });

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${app.url}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const post = async <T>(path: string, body: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };

  function crashEvent(i: number, at: number): AgentEvent {
    const ts = new Date(at).toISOString();
    return {
      schema_version: 1,
      id: `inc-api-${i}`,
      cluster_id: CLUSTER,
      timestamp: ts,
      type: 'state_change',
      source: 'agent',
      severity: 'critical',
      reason: 'CrashLoopBackOff',
      message: 'back-off 40s restarting failed container app',
      namespace: 'shop',
      labels: { kind: 'Pod', name: `checkout-7d9f-${i % 2}`, node: 'node-1' },
      raw_data: { count: 1, first_timestamp: ts, last_timestamp: ts },
      category: 'pod_failure',
      owners: [
        { kind: 'ReplicaSet', name: 'checkout-7d9f' },
        { kind: 'Deployment', name: 'checkout' },
      ],
    };
  }

  it('events open one incident on the workload, listed, shown with its timeline, announced, and resolved by hand', { timeout: 30_000 }, async () => {
    const now = Date.now();
    for (let i = 0; i < 4; i++) await app.bus?.publish(agentSubject(CLUSTER, 'event'), crashEvent(i, now + i * 1000), { msgId: `inc-api-${i}` });

    const listed = await eventually(async () => {
      const { body } = await get<{ items: Incident[]; next_cursor: string | null }>(`/api/v1/incidents?cluster_id=${CLUSTER}`);
      return body.items.length ? body : undefined;
    }, 20_000, 'an incident');
    expect(listed.items).toHaveLength(1);
    expect(listed.next_cursor).toBeNull();
    const incident = listed.items[0]!;
    expect(incident).toMatchObject({ status: 'open', category: 'pod_failure', resource: { kind: 'Deployment', namespace: 'shop', name: 'checkout' }, suggested_workflow: 'diagnose_pod_crashloop' });
    expect(['P0', 'P1']).toContain(incident.severity);

    const shown = await get<IncidentWithTimeline>(`/api/v1/incidents/${incident.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.timeline.filter((e) => e.type === 'signal').length).toBeGreaterThanOrEqual(1);
    expect(shown.body.timeline[0]).toMatchObject({ type: 'signal', data: { reason: 'CrashLoopBackOff' } });

    await eventually(() => Promise.resolve(changes.some((c) => c.change === 'opened' && c.incident.id === incident.id) ? true : undefined), 5000, 'opened change');
    await eventually(() => Promise.resolve(critical.some((c) => c.incident_id === incident.id) ? true : undefined), 5000, 'critical event');
    expect(critical.find((c) => c.incident_id === incident.id)).toMatchObject({ cluster_id: CLUSTER, severity: 'critical', suggested_workflow: 'diagnose_pod_crashloop', resource: { kind: 'Deployment', name: 'checkout' } });

    // A command run for the incident (its id as correlation_id) lands on its timeline with its result.
    const commandId = `cmd-for-${incident.id}`;
    await app.store?.commands.create({ schema_version: 1, id: commandId, cluster_id: CLUSTER, type: 'diagnostic', tool: 'kubectl', action: 'logs', args: ['checkout-7d9f-0', '--tail=50'], namespace: 'shop', timeout: '30s', issued_by: 'orchestrator', timestamp: new Date().toISOString(), correlation_id: incident.id });
    await app.bus?.publish(agentSubject(CLUSTER, 'result'), { schema_version: 1, command_id: commandId, cluster_id: CLUSTER, status: 'success', exit_code: 0, output: 'panic: nil map', error: '', execution_time: '0.2s', timestamp: new Date().toISOString() }, { msgId: commandId });
    const withCommand = await eventually(async () => {
      const { body } = await get<IncidentWithTimeline>(`/api/v1/incidents/${incident.id}`);
      return body.timeline.find((e) => e.type === 'command');
    }, 10_000, 'command on the timeline');
    expect(withCommand).toMatchObject({ summary: 'kubectl logs checkout-7d9f-0 --tail=50 → success', data: { command_id: commandId, output: 'panic: nil map' } });

    const bad = await post<{ error: { message: string } }>(`/api/v1/incidents/${incident.id}/resolve`, { reason: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('reason');
    expect((await post(`/api/v1/incidents/${incident.id}/resolve`, { resolved_by: 'auto', reason: 'posing as the manager' })).status).toBe(400);
    const resolved = await post<Incident>(`/api/v1/incidents/${incident.id}/resolve`, { resolved_by: 'alice', reason: 'rolled back the release' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: { by: 'alice', reason: 'rolled back the release' } });
    expect((await post(`/api/v1/incidents/${incident.id}/resolve`, { reason: 'again' })).status).toBe(409);
    expect((await post('/api/v1/incidents/inc-unknown/resolve', { reason: 'x' })).status).toBe(404);
    expect((await get('/api/v1/incidents/inc-unknown')).status).toBe(404);
    expect((await get('/api/v1/incidents?severity=P9')).status).toBe(400);
    await eventually(() => Promise.resolve(changes.some((c) => c.change === 'resolved' && c.incident.id === incident.id) ? true : undefined), 5000, 'resolved change');
  });

  it('an agent that stops heartbeating opens an agent_offline incident; its next heartbeat resolves it', { timeout: 30_000 }, async () => {
    const agentId = 'quiet.agent';
    await app.bus?.request(
      agentSubject('inc-quiet', 'register'),
      { schema_version: 1, agent_id: agentId, cluster_id: 'inc-quiet', timestamp: new Date().toISOString(), version: 'test', config: { heartbeat_interval: '300ms' } },
      { timeoutMs: 5000 },
    );
    const open = await eventually(async () => {
      const { body } = await get<{ items: Incident[] }>('/api/v1/incidents?cluster_id=inc-quiet&status=open');
      return body.items[0];
    }, 10_000, 'agent_offline incident');
    expect(open).toMatchObject({ category: 'agent_offline', resource: { kind: 'Agent', name: agentId } });
    await app.bus?.publish(agentSubject('inc-quiet', 'heartbeat'), { schema_version: 1, agent_id: agentId, cluster_id: 'inc-quiet', timestamp: new Date().toISOString(), status: 'healthy' });
    await eventually(async () => ((await get<Incident>(`/api/v1/incidents/${open.id}`)).body.status === 'resolved' ? true : undefined), 10_000, 'resolved');
  });
});
