/**
 * Agent identity on the bus, enforced by the NATS server: a private nats-server runs the per-agent
 * authorization of docs/security.md (one NKey user per cluster, allowed to publish only
 * `aetherius.agent.<cluster>.>` and to subscribe only to its command subject and its own inbox prefix;
 * one trusted control-plane user). The agent of `east`, connected with its seed file and inbox prefix as
 * `bus.nkey_seed_file` / `bus.inbox_prefix` configure it, works normally — and cannot publish for `west`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nkeys } from '@nats-io/nats-core';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { NatsBus, type BusMessage, type Subscription } from '../src/adapters/bus/index.js';
import { BusError, NoRespondersError, STREAMS, TimeoutError, agentSubject, type AgentEvent } from '../src/contracts/index.js';
import { freePort, startNatsWithConfig, stop } from './support/nats-server.js';

const MANAGER_PASSWORD = 'manager-secret-for-this-test-only';

/** The authorization block of docs/security.md, for the given clusters' agent public keys. */
function natsConfig(port: number, storeDir: string, agents: Record<string, string>): string {
  const agentUsers = Object.entries(agents).map(
    ([cluster, publicKey]) => `    {
      nkey: ${publicKey}
      permissions: {
        publish: { allow: ["aetherius.agent.${cluster}.>", "$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.AETHERIUS_*"] }
        subscribe: { allow: ["aetherius.agent.${cluster}.command", "_INBOX_${cluster}.>"] }
        allow_responses: true
      }
    }`,
  );
  return `listen: 127.0.0.1:${port}
jetstream { store_dir: "${storeDir}" }
authorization {
  users: [
    { user: manager, password: "${MANAGER_PASSWORD}", permissions: { publish: ">", subscribe: ">" } }
${agentUsers.join('\n')}
  ]
}
`;
}

const now = () => new Date().toISOString();
const event = (cluster: string, id: string): AgentEvent => ({
  schema_version: 1,
  id,
  cluster_id: cluster,
  timestamp: now(),
  type: 'k8s_event',
  source: 'kubelet',
  severity: 'critical',
  reason: 'OOMKilled',
  message: 'Container app was OOM killed',
  namespace: 'shop',
  labels: { kind: 'Pod', name: 'checkout-1' },
  raw_data: { count: 1, first_timestamp: now(), last_timestamp: now() },
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('per-agent NATS permissions (private nats-server)', () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let manager: NatsBus;
  let east: NatsBus;
  const seeds: Record<string, string> = {};
  const seen: string[] = [];
  const subs: Subscription[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aetherius-nats-auth-'));
    const publicKeys: Record<string, string> = {};
    for (const cluster of ['east', 'west']) {
      const kp = nkeys.createUser();
      publicKeys[cluster] = kp.getPublicKey();
      seeds[cluster] = join(dir, `${cluster}.nk`);
      await writeFile(seeds[cluster], new TextDecoder().decode(kp.getSeed()), { mode: 0o600 });
    }
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    await writeFile(join(dir, 'nats.conf'), natsConfig(port, join(dir, 'js'), publicKeys));
    server = await startNatsWithConfig(port, join(dir, 'nats.conf'));
    manager = await NatsBus.connect({ servers: url, user: 'manager', password: MANAGER_PASSWORD, name: 'manager' });
    await manager.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));
    for (const kind of ['event', 'heartbeat'] as const) subs.push(manager.subscribe(`aetherius.agent.*.${kind}`, (m: BusMessage) => void seen.push(m.subject)));
    subs.push(manager.subscribe('aetherius.agent.*.register', (m) => void m.respond({ schema_version: 1, accepted: true, agent_id: 'x' })));
    await manager.ping();
    east = await NatsBus.connect({ servers: url, nkeySeedFile: seeds['east'], inboxPrefix: '_INBOX_east', name: 'agent-east', reconnectTimeWaitMs: 100 });
  });

  afterAll(async () => {
    await Promise.all(subs.map((s) => s.unsubscribe()));
    await east?.close();
    await manager?.close();
    if (server) await stop(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('lets an agent do its own work: store its events, register, heartbeat, answer its commands', async () => {
    await east.publish(agentSubject('east', 'event'), event('east', 'east-1'), { msgId: 'east-1' });
    expect((await manager.lastMessage(STREAMS.events.name, agentSubject('east', 'event')))?.json()).toMatchObject({ id: 'east-1' });
    const reply = await east.request(agentSubject('east', 'register'), { hello: 1 }, { timeoutMs: 3000 });
    expect(reply.json()).toMatchObject({ accepted: true });
    await east.publish(agentSubject('east', 'heartbeat'), { hello: 1 });
    const commands = east.subscribe(agentSubject('east', 'command'), (m) => void m.respond({ ok: true }), { queue: 'aetherius-agent-east' });
    await east.ping();
    expect((await manager.request(agentSubject('east', 'command'), { cmd: 1 }, { timeoutMs: 3000 })).json()).toEqual({ ok: true });
    await commands.unsubscribe();
  });

  it('refuses what the east credential publishes for west: nothing reaches the stream or the manager', async () => {
    const before = seen.length;
    const err = await rejection(east.publish(agentSubject('west', 'event'), event('west', 'spoofed-1'), { msgId: 'spoofed-1' }));
    expect(err instanceof BusError || err instanceof TimeoutError).toBe(true);
    await east.publish(agentSubject('west', 'heartbeat'), { spoofed: true }); // core publish: dropped by the server
    await expect(east.request(agentSubject('west', 'register'), { spoofed: true }, { timeoutMs: 1000 })).rejects.toBeInstanceOf(Error);
    await east.publish(agentSubject('east', 'heartbeat'), { marker: true });
    await manager.ping();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.slice(before)).toEqual([agentSubject('east', 'heartbeat')]);
    expect(await manager.lastMessage(STREAMS.events.name, agentSubject('west', 'event'))).toBeUndefined();
  });

  it('keeps the east credential out of west’s commands and out of other connections’ replies', async () => {
    const seed = new TextEncoder().encode(await readFile(seeds['east'] ?? '', 'utf8'));
    const raw: NatsConnection = await connect({ servers: url, authenticator: nkeyAuthenticator(seed), inboxPrefix: '_INBOX_east' });
    try {
      const westCommands = raw.subscribe(agentSubject('west', 'command'));
      const everyInbox = raw.subscribe('_INBOX.>');
      await raw.flush();
      const [a, b] = await Promise.all([westCommands.closed, everyInbox.closed]);
      expect(String(a)).toMatch(/permissions violation/i);
      expect(String(b)).toMatch(/permissions violation/i);
      // With nobody allowed to take west's commands, a command for west finds no responder.
      await expect(manager.request(agentSubject('west', 'command'), { cmd: 1 }, { timeoutMs: 2000 })).rejects.toBeInstanceOf(NoRespondersError);
    } finally {
      await raw.close();
    }
  });

  it('turns away an agent credential that uses the shared _INBOX prefix (its replies would be unreadable)', async () => {
    const err = await rejection(NatsBus.connect({ servers: url, nkeySeedFile: seeds['west'], name: 'agent-west-misconfigured', connectTimeoutMs: 2000 }));
    expect(err).toBeInstanceOf(BusError);
  });
});
