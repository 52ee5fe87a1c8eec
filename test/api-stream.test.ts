/**
 * `GET /api/v1/stream` in an `api`-only process (no manager in it): a real HTTP client reads Server-Sent
 * Events while agents' events and incident changes are published on real NATS by another connection.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { INTERNAL_SUBJECTS, agentSubject, type AgentEvent, type Incident } from '../src/contracts/index.js';
import { resolveConfig } from '../src/core/config/index.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { eventually } from './support/cli.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';
import { openSse, type SseStream } from './support/sse-client.js';

const now = () => new Date().toISOString();

function event(id: string, over: Partial<AgentEvent> = {}): AgentEvent {
  return {
    schema_version: 1,
    id,
    cluster_id: 'east',
    timestamp: now(),
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'critical',
    reason: 'OOMKilled',
    message: 'Container app was OOM killed',
    namespace: 'shop',
    labels: { kind: 'Pod', name: 'checkout-1', node: 'node-1' },
    raw_data: { count: 1, first_timestamp: now(), last_timestamp: now() },
    ...over,
  };
}

function incident(over: Partial<Incident> = {}): Incident {
  const t = now();
  return {
    id: 'inc-1',
    cluster_id: 'east',
    status: 'open',
    severity: 'P1',
    category: 'pod_failure',
    title: 'checkout is crash-looping',
    resource: { kind: 'Deployment', name: 'checkout', namespace: 'shop' },
    namespace: 'shop',
    affected: [{ kind: 'Deployment', name: 'checkout', namespace: 'shop' }],
    blast_radius: { pods: 2, workloads: 1, nodes: 0, namespaces: ['shop'] },
    signal_count: 3,
    reasons: ['OOMKilled'],
    first_seen: t,
    last_seen: t,
    opened_at: t,
    updated_at: t,
    resolved_at: null,
    resolution: null,
    ...over,
  };
}

describe('live stream (api-only process, real NATS)', () => {
  const namespace = uniqueName('sse');
  let db: TestDatabase;
  let app: App;
  let agent: NatsBus;
  const streams: SseStream[] = [];
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  const open = async (query = '') => {
    const s = await openSse(`${app.url}/api/v1/stream${query}`);
    streams.push(s);
    return s;
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return Number(line?.split(' ').at(-1) ?? 'NaN');
  };

  beforeAll(async () => {
    db = await createTestDatabase('aet_sse');
    const { config } = resolveConfig({
      env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_BUS_URL: TEST_NATS_URL, AETHERIUS_BUS_NAMESPACE: namespace, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent', AETHERIUS_SERVER_MAX_STREAMS: '3' },
    });
    app = await startApp({ config, services: ['api'], logger: silentLogger() });
    agent = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: 'sse-test-agent' });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await agent?.close();
    await app?.stop();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  it('is in the OpenAPI document as text/event-stream', async () => {
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as { paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }>; parameters: { name: string }[] } }> };
    const op = doc.paths['/api/v1/stream']?.get;
    expect(Object.keys(op?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(op?.parameters.map((p) => p.name).sort()).toEqual(['cluster_id', 'min_severity', 'namespace', 'types']);
  });

  it('streams the events and incident changes each client asked for, as published on the bus', async () => {
    const east = await open('?cluster_id=east&min_severity=high');
    const incidentsOnly = await open('?types=incidents&namespace=shop');
    expect(east.status).toBe(200);
    expect(east.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await east.until(/^retry: \d+\n: open /);
    await incidentsOnly.until(/: open /);

    await agent.publish(agentSubject('west', 'event'), event('w-1', { cluster_id: 'west' }));
    await agent.publish(agentSubject('east', 'event'), event('e-low', { severity: 'low', reason: 'Pulled' }));
    await agent.publish(agentSubject('west', 'event'), event('spoofed', { cluster_id: 'east' })); // another cluster's subject: rejected
    await agent.publish(agentSubject('east', 'event'), event('e-1'));
    await agent.publish(INTERNAL_SUBJECTS.incidentChanged, { schema_version: 1, change: 'opened', incident: incident() });

    const got = await east.next((f) => f.event === 'incident');
    expect(JSON.parse(got.data)).toMatchObject({ change: 'opened', incident: { id: 'inc-1', severity: 'P1', cluster_id: 'east' } });
    expect(got.id).toMatch(/^inc-1@/);
    const oom = await east.next((f) => f.event === 'k8s_event');
    expect(JSON.parse(oom.data)).toMatchObject({ id: 'e-1', reason: 'OOMKilled', namespace: 'shop' });
    // Events and incidents travel on two subjects: their relative order is not defined.
    expect(east.frames.map((f) => `${f.event}:${f.id?.split('@')[0] ?? ''}`).sort()).toEqual(['incident:inc-1', 'k8s_event:e-1']);

    await incidentsOnly.next((f) => f.event === 'incident');
    expect(incidentsOnly.frames.map((f) => f.event)).toEqual(['incident']);
    east.close();
    incidentsOnly.close();
  });

  it('answers a bad filter with 400 naming it, before any stream opens', async () => {
    const res = await fetch(`${app.url}/api/v1/stream?types=logs`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('types');
  });

  it('refuses streams beyond server.max_streams with 429 in the error shape, and counts open streams back to 0 on disconnect', async () => {
    await eventually(async () => ((await metric('aetherius_api_streams_open')) === 0 ? true : undefined), 5000, 'earlier streams closed');
    const three = [await open(), await open(), await open()];
    await Promise.all(three.map((s) => s.until(/: open /)));
    expect(await metric('aetherius_api_streams_open')).toBe(3);
    const refused = await fetch(`${app.url}/api/v1/stream`);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'AETHERIUS_E_RATE_LIMITED' } });
    three[0]?.close();
    await eventually(async () => ((await metric('aetherius_api_streams_open')) === 2 ? true : undefined), 5000, 'one stream closed');
    const again = await open();
    await again.until(/: open /);
    for (const s of [...three, again]) s.close();
    await eventually(async () => ((await metric('aetherius_api_streams_open')) === 0 ? true : undefined), 5000, 'every stream closed');
  });

  it('keeps a client that stops reading to a bounded buffer, then tells it how many events it missed', { timeout: 60_000 }, async () => {
    await eventually(async () => ((await metric('aetherius_api_streams_open')) === 0 ? true : undefined), 5000, 'earlier streams closed');
    const { port } = new URL(app.url);
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.setEncoding('utf8');
    socket.write(`GET /api/v1/stream?types=events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`);
    // Read the head, then stop reading: the server's writes pile up in the kernel, then in its buffer.
    await new Promise<void>((resolve) => {
      const onData = (chunk: string) => {
        received += chunk;
        if (received.includes(': open ')) {
          socket.off('data', onData);
          socket.pause();
          resolve();
        }
      };
      socket.on('data', onData);
    });
    const big = 'x'.repeat(30_000);
    const total = 1000; // ≈ 30 MB offered to a client that reads nothing
    for (let i = 0; i < total; i++) await agent.publish(agentSubject('east', 'event'), event(`big-${i}`, { severity: 'low', message: big }));
    await eventually(async () => ((await metric('aetherius_api_stream_frames_dropped_total')) > 0 ? true : undefined), 20_000, 'frames dropped for the slow client');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.resume();
    await eventually(() => Promise.resolve(received.includes('event: dropped') ? true : undefined), 20_000, 'the dropped notice');
    await agent.publish(agentSubject('east', 'event'), event('after-drain'));
    await eventually(() => Promise.resolve(received.includes('id: after-drain') ? true : undefined), 20_000, 'an event after the drain');
    const dropped = [...received.matchAll(/event: dropped\ndata: (\{[^\n]*\})/g)].reduce((n, m) => n + (JSON.parse(m[1] ?? '{}') as { dropped: number }).dropped, 0);
    const delivered = (received.match(/id: big-\d+/g) ?? []).length;
    expect(dropped).toBeGreaterThan(0);
    expect(delivered + dropped).toBe(total);
    socket.destroy();
  });
});
