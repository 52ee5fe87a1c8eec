/**
 * A private nats-server (own port, own JetStream directory) that a test can stop and start again, to
 * prove behaviour across a bus outage. Uses the Debian package's binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../../src/adapters/runtime/free-port.js';
import { eventually } from './cli.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

export { freePort };


export async function startNats(port: number, storeDir: string): Promise<ChildProcess> {
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

/** Starts nats-server with a configuration file (which must listen on 127.0.0.1:`port`). */
export async function startNatsWithConfig(port: number, configFile: string): Promise<ChildProcess> {
  if (!NATS_SERVER) throw new Error('nats-server binary not found (Debian package nats-server)');
  const child = spawn(NATS_SERVER, ['-c', configFile], { stdio: 'ignore' });
  await eventually(
    () =>
      new Promise<boolean | undefined>((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(undefined));
      }),
    10_000,
    `nats-server on ${port} with ${configFile}`,
  );
  return child;
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
