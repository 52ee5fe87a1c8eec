/**
 * What the control-plane benchmarks (`bench ingest`, `bench agents`) share: a throwaway PostgreSQL
 * database, the manager as a child process exactly as deployed (`aetherius start --target manager`),
 * its CPU and memory read from /proc, raw `COPY` through `pg` (as a submittable query: the
 * `pg-copy-streams` package is not a dependency), and small numeric helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import pg from 'pg';
import { errorMessage } from '../contracts/index.js';
import { freePort } from '../adapters/runtime/free-port.js';
import { packagePath } from '../adapters/runtime/package-root.js';

const BIN = packagePath('bin', 'aetherius.js');

// ---- database ------------------------------------------------------------------------------------

export interface ThrowawayDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database next to `adminUrl`'s (the connecting user needs CREATEDB); `drop()` removes
 * it, ending leftover sessions.
 * @throws Error naming the server when it cannot be reached or refuses.
 */
export async function createThrowawayDatabase(adminUrl: string, prefix: string): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    throw new Error(`the benchmark needs PostgreSQL where it may create a database (--database-url ${redact(adminUrl)}): ${errorMessage(err)}`, { cause: err });
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      c.on('error', () => undefined);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}

// ---- COPY ------------------------------------------------------------------------------------------

type CopyCallback = (err: Error | null, value?: { rows: number; data?: Buffer }) => void;

/** The part of `pg`'s connection a submittable query talks to. */
interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * A query `pg` runs through its submittable interface: simple-protocol `COPY … FROM STDIN` fed from a
 * buffer, or `COPY … TO STDOUT` collected into one.
 */
class CopyQuery {
  #rows = 0;
  readonly #chunks: Buffer[] = [];
  constructor(
    private readonly text: string,
    private readonly input: Buffer | undefined,
    private readonly callback: CopyCallback,
  ) {}

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: PgConnection): void {
    const data = this.input ?? Buffer.alloc(0);
    const chunk = 256 * 1024;
    for (let i = 0; i < data.length; i += chunk) connection.sendCopyFromChunk(data.subarray(i, i + chunk));
    connection.endCopyFrom();
  }
  handleCopyData(msg: { chunk: Buffer }): void {
    // The parser reuses its buffer: keep a copy.
    this.#chunks.push(Buffer.from(msg.chunk));
  }
  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.#rows = Number(m[1]);
  }
  handleReadyForQuery(): void {
    this.callback(null, { rows: this.#rows, ...(this.input ? {} : { data: Buffer.concat(this.#chunks) }) });
  }
  handleError(err: Error): void {
    this.callback(err);
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

function runCopy(client: pg.Client, text: string, input: Buffer | undefined): Promise<{ rows: number; data?: Buffer }> {
  return new Promise((resolve, reject) => {
    const q = new CopyQuery(text, input, (err, value) => (err ? reject(err) : resolve(value ?? { rows: 0 })));
    (client as unknown as { query(q: CopyQuery): void }).query(q);
  });
}

/** `COPY table (cols) FROM STDIN` with `data` in PostgreSQL's text format; returns the rows copied. */
export async function copyIn(client: pg.Client, statement: string, data: Buffer): Promise<number> {
  return (await runCopy(client, statement, data)).rows;
}

/** `COPY (query) TO STDOUT`; returns the text-format data. */
export async function copyOut(client: pg.Client, statement: string): Promise<{ rows: number; data: Buffer }> {
  const { rows, data } = await runCopy(client, statement, undefined);
  return { rows, data: data ?? Buffer.alloc(0) };
}

// ---- processes -------------------------------------------------------------------------------------

/** CPU time (user + system) and resident memory of a process, from /proc (Linux). */
export async function procStats(pid: number): Promise<{ cpuMs: number; rssMb: number }> {
  const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return { cpuMs: (ticks / CLOCK_TICKS) * 1000, rssMb: Math.round((kb / 1024) * 10) / 10 };
}

/** Pids of processes whose command name (`/proc/<pid>/comm`) is `name`, e.g. `nats-server`. */
export async function pidsNamed(name: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) pids.push(Number(entry));
  }
  return pids;
}

/** Summed CPU time (ms) of `pids`; processes gone meanwhile count 0. */
export async function cpuMsOf(pids: readonly number[]): Promise<number> {
  const stats = await Promise.all(pids.map((pid) => procStats(pid).catch(() => ({ cpuMs: 0, rssMb: 0 }))));
  return stats.reduce((n, s) => n + s.cpuMs, 0);
}

/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

export interface ManagerProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  /** The last lines it wrote on stderr/stdout. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `aetherius start --target manager` with `env` (AETHERIUS_* settings) and waits until
 * `/health/ready` answers 200.
 * @throws Error with its output when it exits or is not ready within `timeoutMs`.
 */
export async function startManagerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ManagerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'start', '--target', 'manager'], {
    env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), AETHERIUS_LOG_LEVEL: 'warn', ...env, AETHERIUS_SERVER_PORT: String(port), AETHERIUS_SERVER_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(t);
    }
  };
  try {
    await waitUntil('manager ready', timeoutMs, async () => {
      if (child.exitCode !== null) throw new Error(`manager exited with ${child.exitCode}`);
      return (await fetch(`${url}/health/ready`)).status === 200;
    });
  } catch (err) {
    await stop();
    throw new Error(`${errorMessage(err)}; manager output: ${out}`, { cause: err });
  }
  return { child, url, pid: child.pid ?? 0, output: () => out, stop };
}

// ---- helpers ---------------------------------------------------------------------------------------

/** Polls `fn` every `everyMs` until it returns true. @throws Error after `timeoutMs`, or what `fn` throws. */
export async function waitUntil(what: string, timeoutMs: number, fn: () => Promise<boolean>, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await fn();
    } catch (err) {
      if (err instanceof Error && /exited/.test(err.message)) throw err;
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The q-quantile (0–1) of `sorted` (ascending), nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export function machine(): { cpus: number; cpu_model: string; memory_gb: number; node: string } {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpu_model: cpus[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}
