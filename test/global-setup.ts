/**
 * Integration tests need real PostgreSQL and NATS (JetStream). Fail at once, naming the missing
 * service and how to start it, rather than letting tests skip or time out one by one.
 */
import net from 'node:net';
import { TEST_DATABASE_URL, TEST_NATS_URL } from './support/services.js';

function reachable(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function setup(): Promise<void> {
  const db = new URL(TEST_DATABASE_URL);
  const nats = new URL(TEST_NATS_URL);
  const problems: string[] = [];
  if (!(await reachable(db.hostname, Number(db.port || 5432)))) {
    problems.push(`PostgreSQL is not reachable at ${db.host} (AETHERIUS_TEST_DATABASE_URL). Start it: pg_ctlcluster $(ls /etc/postgresql) main start`);
  }
  if (!(await reachable(nats.hostname, Number(nats.port || 4222)))) {
    problems.push(`NATS is not reachable at ${nats.host} (AETHERIUS_TEST_NATS_URL). Start it: nats-server -a 127.0.0.1 -p 4222 -js`);
  }
  if (problems.length) throw new Error(`integration tests need real services:\n- ${problems.join('\n- ')}`);
}
