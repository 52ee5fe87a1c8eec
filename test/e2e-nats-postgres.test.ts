/**
 * The binary against real services: `aetherius start --target all` with AETHERIUS_DATABASE_URL and
 * AETHERIUS_BUS_URL uses PostgreSQL and NATS. A message published through NATS by an independent client
 * is consumed and stored in PostgreSQL; bad messages are rejected without loss of the good ones.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startServer, type Server } from './support/cli.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';

const CLUSTER = 'e2e-cluster';

// Recent: the manager's retention job (30 days) runs a second after start and would delete an old event.
const RECENT = new Date(Date.now() - 60_000).toISOString();

function event(id: string, overrides: Record<string, unknown> = {}) {
  return {
    schema_version: 1,
    id,
    cluster_id: CLUSTER,
    timestamp: RECENT,
    type: 'k8s_event',
    source: 'kubernetes',
    severity: 'high',
    reason: 'CrashLoopBackOff',
    message: 'Back-off restarting failed container',
    namespace: 'production',
    labels: { kind: 'Pod', name: 'api-server-7f9b8c-xyz', node: 'node-1' },
    raw_data: { count: 5, first_timestamp: RECENT, last_timestamp: RECENT },
    ...overrides,
  };
}

describe('start --target all on real PostgreSQL and NATS', () => {
  let db: TestDatabase;
  let server: Server;
  let nc: NatsConnection;
  let sql: pg.Client;
  const namespace = uniqueName('e2e');
  const wire = (subject: string) => `${namespace}.${subject}`;

  beforeAll(async () => {
    db = await createTestDatabase('aet_e2e');
    server = await startServer(['--target', 'all'], {
      env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_BUS_URL: TEST_NATS_URL, AETHERIUS_BUS_NAMESPACE: namespace, AETHERIUS_MANAGER_INGEST_FLUSH_INTERVAL: '50ms' },
    });
    nc = await connect({ servers: TEST_NATS_URL, name: 'aetherius-e2e-test' });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    const code = await server?.stop();
    await sql?.end();
    if (nc) {
      const jsm = await jetstreamManager(nc);
      for await (const s of jsm.streams.list()) if (s.config.name.startsWith(namespace.toUpperCase())) await jsm.streams.delete(s.config.name);
      await nc.close();
    }
    await db?.drop();
    expect(code).toBe(0);
  });

  it('uses PostgreSQL and NATS and is ready', async () => {
    expect(server.logs()).toContain('"store":"postgres"');
    expect(server.logs()).toContain('"bus":"nats"');
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('registers an agent over request/reply and stores it', async () => {
    const reply = await nc.request(
      wire(`aetherius.agent.${CLUSTER}.register`),
      JSON.stringify({ schema_version: 1, agent_id: 'agent-e2e', cluster_id: CLUSTER, timestamp: new Date().toISOString(), version: '0.1.0', capabilities: ['events'] }),
      { timeout: 5000 },
    );
    expect(reply.json()).toMatchObject({ accepted: true, agent_id: 'agent-e2e' });
    const { rows } = await sql.query<{ cluster_id: string; status: string }>('SELECT cluster_id, status FROM agents WHERE agent_id = $1', ['agent-e2e']);
    expect(rows[0]).toMatchObject({ cluster_id: CLUSTER, status: 'online' });
    const api = (await (await fetch(`${server.url}/api/v1/agents/agent-e2e`)).json()) as { cluster_id: string };
    expect(api.cluster_id).toBe(CLUSTER);
  });

  it('consumes an event published through NATS and stores it in PostgreSQL, once', async () => {
    const js = jetstream(nc);
    const id = uniqueName('evt');
    await js.publish(wire(`aetherius.agent.${CLUSTER}.event`), JSON.stringify(event(id)));
    // At-least-once delivery: the same event again must not be stored twice.
    await js.publish(wire(`aetherius.agent.${CLUSTER}.event`), JSON.stringify(event(id)));
    const row = await eventually(async () => {
      const { rows } = await sql.query<{ reason: string; severity: string; name: string }>('SELECT reason, severity, name FROM events WHERE id = $1', [id]);
      return rows[0];
    }, 15_000, 'event stored');
    expect(row).toMatchObject({ reason: 'CrashLoopBackOff', severity: 'high', name: 'api-server-7f9b8c-xyz' });
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE id = $1', [id]);
    expect(Number(rows[0]?.n)).toBe(1);
    // Its aggregate counts it once.
    const { rows: counted } = await sql.query<{ count: number }>('SELECT count FROM events WHERE id = $1', [id]);
    expect(counted[0]?.count).toBe(1);
    const api = (await (await fetch(`${server.url}/api/v1/events/${id}`)).json()) as { raw_data: { count: number } };
    expect(api.raw_data.count).toBe(5);
  });

  it('rejects malformed and foreign-cluster messages, dead-letters them, and keeps consuming', async () => {
    const js = jetstream(nc);
    const subject = wire(`aetherius.agent.${CLUSTER}.event`);
    const foreign = uniqueName('evt');
    const good = uniqueName('evt');
    await js.publish(subject, '{not json');
    await js.publish(subject, JSON.stringify(event(uniqueName('evt'), { severity: 'catastrophic' })));
    await js.publish(subject, JSON.stringify(event(foreign, { cluster_id: 'someone-else' })));
    await js.publish(subject, JSON.stringify(event(good)));

    await eventually(async () => {
      // Every stored event id is in event_ids (this one folds into the aggregate of the first test's event).
      const { rows } = await sql.query<{ '?column?': number }>('SELECT 1 FROM event_ids WHERE id = $1', [good]);
      return rows[0];
    }, 15_000, 'the good event after the bad ones stored');
    const { rows } = await sql.query('SELECT 1 FROM event_ids WHERE id = $1', [foreign]);
    expect(rows).toHaveLength(0);

    const metrics = await eventually(async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return /aetherius_rejected_messages_total\{[^}]*reason="schema_invalid"[^}]*\} 2/.test(text) ? text : undefined;
    }, 10_000, 'rejections counted');
    expect(metrics).toMatch(/aetherius_rejected_messages_total\{[^}]*subject="aetherius\.agent\.\*\.event"[^}]*reason="invalid_json"[^}]*\} 1/);

    const jsm = await jetstreamManager(nc);
    const dlq = await eventually(async () => {
      const info = await jsm.streams.info(`${namespace.toUpperCase()}_AETHERIUS_DEADLETTER`);
      return info.state.messages >= 3 ? info : undefined;
    }, 10_000, 'dead letters stored');
    expect(dlq.state.messages).toBe(3);
  });
});
