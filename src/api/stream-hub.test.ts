import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INTERNAL_SUBJECTS, RateLimitedError, agentSubject, type AgentEvent, type Incident } from '../contracts/index.js';
import { MemoryBus } from '../adapters/bus/index.js';
import { Metrics, silentLogger } from '../adapters/telemetry/index.js';
import { StreamHub, type StreamFilter, type StreamSink } from './stream-hub.js';

const now = () => new Date().toISOString();

function event(id: string, over: Partial<AgentEvent> = {}): AgentEvent {
  return {
    schema_version: 1,
    id,
    cluster_id: 'c1',
    timestamp: now(),
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'high',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    namespace: 'shop',
    labels: { kind: 'Pod', name: 'checkout-1' },
    raw_data: { count: 1, first_timestamp: now(), last_timestamp: now() },
    ...over,
  };
}

function incident(severity: Incident['severity'], over: Partial<Incident> = {}): Incident {
  const t = now();
  return {
    id: `inc-${severity}`,
    cluster_id: 'c1',
    status: 'open',
    severity,
    category: 'pod_failure',
    title: 'checkout crashes',
    resource: { kind: 'Deployment', name: 'checkout', namespace: 'shop' },
    namespace: 'shop',
    affected: [],
    blast_radius: { pods: 1, workloads: 1, nodes: 0, namespaces: ['shop'] },
    signal_count: 1,
    reasons: ['BackOff'],
    first_seen: t,
    last_seen: t,
    opened_at: t,
    updated_at: t,
    resolved_at: null,
    resolution: null,
    ...over,
  };
}

/** A client that reads (or not) what the hub writes, and parses the SSE frames. */
class Client {
  readonly sink = new PassThrough();
  text = '';
  constructor(read = true) {
    if (read) this.resume();
  }
  resume(): void {
    this.sink.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
  }
  get frames(): { event?: string; id?: string; data?: string }[] {
    return this.text
      .split('\n\n')
      .filter((block) => block.split('\n').some((l) => l.startsWith('data: ')))
      .map((block) => {
        const f: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const m = /^(event|id|data): (.*)$/.exec(line);
          if (m?.[1] && m[2] !== undefined) f[m[1]] = m[2];
        }
        return f;
      });
  }
  get asSink(): StreamSink {
    return this.sink as unknown as StreamSink;
  }
}

const flush = () => new Promise((r) => setTimeout(r, 20));
const all: StreamFilter = { kinds: new Set(['events', 'incidents']), minSeverity: 'low' };

describe('StreamHub', () => {
  let bus: MemoryBus;
  let hub: StreamHub;
  beforeEach(() => {
    bus = new MemoryBus();
    hub = new StreamHub({ bus, logger: silentLogger(), metrics: new Metrics({ collectDefault: false }), maxClients: 3, heartbeatMs: 50 });
  });
  afterEach(async () => {
    await hub.close();
    await bus.close();
  });

  async function open(filter: StreamFilter = all, client = new Client()): Promise<Client> {
    hub.reserve();
    await hub.open(filter, client.asSink);
    return client;
  }

  it('sends retry and an open comment, then events and incident changes as named frames with ids', async () => {
    const c = await open();
    expect(c.text).toMatch(/^retry: 3000\n: open /);
    await bus.publish(agentSubject('c1', 'event'), event('e1'));
    await bus.publish(INTERNAL_SUBJECTS.incidentChanged, { schema_version: 1, change: 'opened', incident: incident('P1') });
    await flush();
    expect(c.frames.map((f) => f.event)).toEqual(['k8s_event', 'incident']);
    expect(c.frames[0]?.id).toBe('e1');
    // An incident's frame id changes with each update: `<incident id>@<updated_at>`.
    expect(c.frames[1]?.id).toMatch(/^inc-P1@\d{4}-\d{2}-\d{2}T/);
    expect(JSON.parse(c.frames[0]?.data ?? '')).toMatchObject({ id: 'e1', reason: 'BackOff' });
    expect(JSON.parse(c.frames[1]?.data ?? '')).toMatchObject({ change: 'opened', incident: { id: 'inc-P1', severity: 'P1' } });
  });

  it('filters by cluster, namespace, lowest severity (P0=critical … P3=low) and kind', async () => {
    const c = await open({ kinds: new Set(['events', 'incidents']), clusterId: 'c1', namespace: 'shop', minSeverity: 'high' });
    const onlyIncidents = await open({ kinds: new Set(['incidents']), minSeverity: 'low' });
    await bus.publish(agentSubject('c1', 'event'), event('keep-high'));
    await bus.publish(agentSubject('c1', 'event'), event('drop-low', { severity: 'low' }));
    await bus.publish(agentSubject('c1', 'event'), event('drop-ns', { namespace: 'other' }));
    await bus.publish(agentSubject('c2', 'event'), event('drop-cluster', { cluster_id: 'c2' }));
    await bus.publish(INTERNAL_SUBJECTS.incidentChanged, { schema_version: 1, change: 'opened', incident: incident('P0') });
    await bus.publish(INTERNAL_SUBJECTS.incidentChanged, { schema_version: 1, change: 'opened', incident: incident('P2') });
    await flush();
    expect(c.frames.map((f) => f.id?.split('@')[0])).toEqual(['keep-high', 'inc-P0']);
    expect(onlyIncidents.frames.map((f) => f.event)).toEqual(['incident', 'incident']);
  });

  it('skips what the boundary rejects: a payload for another cluster than its subject, or not JSON', async () => {
    const c = await open();
    await bus.publish(agentSubject('c2', 'event'), event('spoofed', { cluster_id: 'c1' }));
    await bus.publish(agentSubject('c1', 'event'), '{not json');
    await bus.publish(agentSubject('c1', 'event'), event('fine'));
    await flush();
    expect(c.frames.map((f) => f.id)).toEqual(['fine']);
  });

  it('holds a slow client to its buffer limit, counts what it drops and tells it once it reads again', async () => {
    hub = new StreamHub({ bus, logger: silentLogger(), maxClients: 3, maxBufferedBytes: 64 * 1024, heartbeatMs: 60_000 });
    const slow = await open(all, new Client(false));
    const big = 'x'.repeat(8 * 1024);
    const total = 400; // ≈ 3.3 MB offered
    let peak = 0;
    for (let i = 0; i < total; i++) {
      await bus.publish(agentSubject('c1', 'event'), event(`big-${i}`, { message: big }));
      if (i % 20 === 0) {
        await flush();
        peak = Math.max(peak, slow.sink.writableLength);
      }
    }
    await flush();
    peak = Math.max(peak, slow.sink.writableLength);
    // Bounded: the limit plus the frame that crossed it (and the stream's own 16 KiB read buffer).
    expect(peak).toBeLessThan(64 * 1024 + 16 * 1024);
    slow.resume();
    await flush();
    await bus.publish(agentSubject('c1', 'event'), event('after'));
    await flush();
    const events = slow.frames.filter((f) => f.event === 'k8s_event');
    const notices = slow.frames.filter((f) => f.event === 'dropped').map((f) => JSON.parse(f.data ?? '{}') as { dropped: number; since: string });
    expect(notices.length).toBeGreaterThan(0);
    const dropped = notices.reduce((n, x) => n + x.dropped, 0);
    expect(dropped).toBeGreaterThan(total / 2);
    expect(events.length + dropped).toBe(total + 1);
    expect(events.at(-1)?.id).toBe('after');
  });

  it('disconnects a client that stays over its limit past stuckMs', async () => {
    hub = new StreamHub({ bus, logger: silentLogger(), maxClients: 3, maxBufferedBytes: 1024, heartbeatMs: 20, stuckMs: 60 });
    const stuck = await open(all, new Client(false));
    for (let i = 0; i < 20; i++) await bus.publish(agentSubject('c1', 'event'), event(`e${i}`, { message: 'y'.repeat(2048) }));
    await flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(stuck.sink.destroyed).toBe(true);
    expect(hub.size).toBe(0);
  });

  it('subscribes per kind while someone listens and unsubscribes when the last client leaves', async () => {
    const a = await open({ kinds: new Set(['incidents']), minSeverity: 'low' });
    expect(hub.subscribedKinds).toEqual(['incidents']);
    const b = await open();
    expect(hub.subscribedKinds.sort()).toEqual(['events', 'incidents']);
    b.sink.destroy();
    await flush();
    expect(hub.subscribedKinds).toEqual(['incidents']);
    a.sink.destroy();
    await flush();
    expect(hub.subscribedKinds).toEqual([]);
    expect(hub.size).toBe(0);
  });

  it('refuses more than maxClients streams with a rate-limit error, and takes one again after a close', async () => {
    const clients = [await open(), await open(), await open()];
    expect(() => hub.reserve()).toThrow(RateLimitedError);
    clients[0]?.sink.destroy();
    await flush();
    expect(() => hub.reserve()).not.toThrow();
    hub.release();
  });

  it('writes heartbeat comments and ends every stream on close', async () => {
    const c = await open();
    await new Promise((r) => setTimeout(r, 130));
    expect(c.text).toMatch(/: heartbeat \d{4}-/);
    await hub.close();
    expect(c.sink.writableEnded).toBe(true);
    expect(() => hub.reserve()).toThrow(RateLimitedError);
  });
});
