/**
 * The NATS adapter across a server outage: a private nats-server (its own port and JetStream
 * directory) is stopped and started again under a connected NatsBus. The bus reconnects with back-off,
 * its durable consumer resumes, and nothing stored in the stream before or after the outage is lost.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import { eventually } from './support/cli.js';
import { freePort, startNats, stop } from './support/nats-server.js';

describe('NatsBus across a server restart', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess;
  let bus: NatsBus | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aetherius-nats-'));
    port = await freePort();
    server = await startNats(port, dir);
  });

  afterAll(async () => {
    await bus?.close();
    if (server) await stop(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('reconnects with back-off and its durable consumer loses nothing', async () => {
    bus = await NatsBus.connect({ servers: `nats://127.0.0.1:${port}`, reconnectTimeWaitMs: 100, maxReconnectAttempts: -1, name: 'reconnect-test' });
    await bus.ensureStreams([{ name: 'RECONNECT', subjects: ['reconnect.>'] }]);
    const seen = new Set<string>();
    await bus.consume({ stream: 'RECONNECT', durable: 'reconnect-test', ackWaitMs: 2000 }, (msg) => {
      seen.add(msg.string());
    });
    for (let i = 0; i < 20; i++) await bus.publish('reconnect.before', `before-${i}`);
    await eventually(async () => Promise.resolve(seen.size >= 20 ? true : undefined), 10_000, 'messages before the outage');

    await stop(server);
    await expect(bus.ping()).rejects.toThrow();
    server = await startNats(port, dir);

    // The bus comes back on its own; publishing works again and the consumer resumes.
    await eventually(async () => {
      await bus?.ping();
      return true;
    }, 20_000, 'bus reconnected');
    await eventually(async () => {
      await bus?.publish('reconnect.after', 'after-0');
      return true;
    }, 20_000, 'durable publish accepted after the restart');
    for (let i = 1; i < 20; i++) await bus.publish('reconnect.after', `after-${i}`);
    await eventually(async () => Promise.resolve(seen.size >= 40 ? true : undefined), 30_000, 'messages after the outage');
    expect([...seen].filter((m) => m.startsWith('before-'))).toHaveLength(20);
    expect([...seen].filter((m) => m.startsWith('after-'))).toHaveLength(20);
  }, 90_000);
});
