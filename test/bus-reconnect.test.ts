/**
 * The NATS adapter across a server outage: a private nats-server (its own port and JetStream
 * directory) is stopped and started again under a connected NatsBus. The bus reconnects with back-off,
 * its durable consumer resumes, and nothing stored in the stream before or after the outage is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import { eventually } from './support/cli.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startNats(port: number, storeDir: string): Promise<ChildProcess> {
  if (!NATS_SERVER) throw new Error('nats-server binary not found (Debian package nats-server)');
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
  await eventually(
    () =>
      new Promise<boolean | undefined>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(undefined));
      }),
    10_000,
    `nats-server on ${port}`,
  );
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

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
