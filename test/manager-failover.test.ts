/**
 * Two manager processes (`aetherius start --target manager`, a config file pointing at real NATS and real
 * PostgreSQL) share one JetStream durable consumer. A publisher sends 20,000 events with distinct ids —
 * repeats of 2,000 objects, so aggregation is at work — plus 2,000 redeliveries of ids already sent; one
 * manager is SIGKILLed mid-stream. Every published id must end up stored exactly once: in `event_ids`
 * once, and counted once in the aggregates' `count`s. Nothing lost.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS, agentSubject } from '../src/contracts/index.js';
import { NatsBus, deleteNamespaceStreams } from '../src/adapters/bus/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { eventually, startServer, type Server } from './support/cli.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';

const EVENTS = 20_000;
const OBJECTS = 2_000;
const REDELIVERED = 2_000;

describe('two managers on one durable consumer, one killed mid-stream', () => {
  let db: TestDatabase;
  let dir: string;
  let sql: pg.Client;
  let publisher: NatsBus;
  const namespace = uniqueName('failover');
  const managers: Server[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('aet_failover');
    dir = await mkdtemp(join(tmpdir(), 'aetherius-failover-'));
    const config = join(dir, 'aetherius.yaml');
    await writeFile(
      config,
      [
        'log_level: info',
        'server: { host: 127.0.0.1, port: 0 }',
        `database: { url: "${db.url}" }`,
        `bus: { url: "${TEST_NATS_URL}", namespace: "${namespace}" }`,
        'manager: { ingest_batch_size: 500, ingest_flush_interval: 50ms, ingest_concurrency: 2 }',
        '',
      ].join('\n'),
    );
    // One after the other: the first applies the migrations.
    for (const _ of [1, 2]) managers.push(await startServer(['--target', 'manager', '--config', config], { timeoutMs: 40_000 }));
    publisher = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: 'failover-publisher', logger: silentLogger() });
    await publisher.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  }, 60_000);

  afterAll(async () => {
    for (const m of managers) if (m.child.exitCode === null && m.child.signalCode === null) await m.stop();
    await publisher?.close();
    await sql?.end();
    await deleteNamespaceStreams(TEST_NATS_URL, namespace).catch(() => undefined);
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('stores every published event exactly once, none lost', async () => {
    const cluster = 'failover';
    const now = Date.now();
    const event = (i: number) => ({
      schema_version: 1,
      id: `fo-${i}`,
      cluster_id: cluster,
      timestamp: new Date(now - 60_000 + (i % 30_000)).toISOString(),
      type: 'k8s_event',
      source: 'kubelet',
      severity: 'high',
      reason: 'BackOff',
      message: `Back-off restarting failed container app (${i})`,
      namespace: 'shop',
      labels: { kind: 'Pod', name: `web-${i % OBJECTS}`, node: 'node-1' },
      raw_data: { count: 1, first_timestamp: new Date(now).toISOString(), last_timestamp: new Date(now).toISOString() },
    });
    const storedIds = async () => Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM event_ids')).rows[0]?.n ?? 0);

    // Distinct ids, then redeliveries of some of them (as an agent resending after a lost ack: another
    // stream message, so the managers see it twice), 256 publishes in flight.
    const order = [...Array.from({ length: EVENTS }, (_, i) => i), ...Array.from({ length: REDELIVERED }, (_, k) => (k * 7919) % EVENTS)];
    const inflight = new Set<Promise<void>>();
    let killedAt: number | undefined;
    const victim = managers[0] as Server;
    for (const [n, i] of order.entries()) {
      const p: Promise<void> = publisher.publish(agentSubject(cluster, 'event'), event(i)).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 256) await Promise.race(inflight);
      // Mid-stream: once the managers have stored a good part, with more on the way.
      if (killedAt === undefined && n % 500 === 0 && n > EVENTS / 4) {
        const stored = await storedIds();
        if (stored > EVENTS / 5) {
          victim.child.kill('SIGKILL');
          killedAt = stored;
        }
      }
    }
    await Promise.all(inflight);
    if (killedAt === undefined) {
      killedAt = await storedIds();
      victim.child.kill('SIGKILL');
    }
    expect(killedAt).toBeLessThan(EVENTS);

    // The survivor takes over everything, including what the victim had pulled but not acked (after
    // the consumer's ack wait).
    await eventually(async () => ((await storedIds()) >= EVENTS ? true : undefined), 55_000, 'every event stored');
    await new Promise((r) => setTimeout(r, 500)); // a late duplicate would show up as an extra row or count now

    const ids = (await sql.query<{ id: string }>('SELECT id FROM event_ids')).rows.map((r) => r.id);
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: EVENTS }, (_, i) => `fo-${i}`)));
    const agg = (await sql.query<{ rows: string; total: string }>('SELECT count(*) AS rows, sum(count) AS total FROM events WHERE cluster_id = $1', [cluster])).rows[0];
    expect(Number(agg?.total)).toBe(EVENTS);
    // Repeats were folded: far fewer rows than events (each object in at most a few windows).
    expect(Number(agg?.rows)).toBeLessThan(EVENTS / 2);
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(managers[1]?.child.exitCode).toBeNull();
  }, 90_000);
});
