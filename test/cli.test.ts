import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

describe('aetherius binary', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aetherius-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints its version', async () => {
    const r = await runCli(['version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
  });

  it('config check accepts a valid file', async () => {
    const file = join(dir, 'good.yaml');
    await writeFile(file, 'agent:\n  cluster_id: prod-us-west\n  heartbeat_interval: 30s\nbus:\n  url: nats://127.0.0.1:4222\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('config check prints every problem at once with key path and bad value', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'log_level: chatty\nagent:\n  metrics_interval: sixty\n  buffer_size: 0\nbus:\n  urll: nats://x\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('4 problems');
    expect(r.stderr).toMatch(/log_level: .*"chatty"/);
    expect(r.stderr).toMatch(/agent\.metrics_interval: .*duration.*"sixty"/);
    expect(r.stderr).toMatch(/agent\.buffer_size: .*got 0/);
    expect(r.stderr).toMatch(/bus\.urll: unknown key.*did you mean 'url'/);
  });

  it('config check on a missing file says so', async () => {
    const r = await runCli(['config', 'check', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read');
  });

  it('start refuses a bad environment variable before starting anything', async () => {
    const r = await runCli(['start', '--target', 'all'], { env: { AETHERIUS_AGENT_HEARTBEAT_INTERVAL: 'often' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agent.heartbeat_interval');
    expect(r.stderr).toContain('AETHERIUS_AGENT_HEARTBEAT_INTERVAL');
  });

  it('config print with a bad variable names it and exits 2 instead of crashing', async () => {
    const r = await runCli(['config', 'print'], { env: { AETHERIUS_AGENT_WATCHER_MIN_SEVERITY: 'Warning' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agent.watcher.min_severity');
    expect(r.stderr).toContain('AETHERIUS_AGENT_WATCHER_MIN_SEVERITY');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('start with an unknown target is a usage error', async () => {
    const r = await runCli(['start', '--target', 'everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown target "everything"');
  });

  it('start --target agent with no cluster to watch names every place it looked, exit 2', async () => {
    const r = await runCli(['start', '--target', 'agent'], { env: { HOME: '/nonexistent-home', KUBECONFIG: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no Kubernetes configuration found');
    expect(r.stderr).toContain('kube.kubeconfig');
    expect(r.stderr).toContain('KUBECONFIG is not set');
  });

  it.each(['orchestrator'])('start --target %s says plainly it is not implemented yet', async (target) => {
    const r = await runCli(['start', '--target', target]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`the '${target}' target is not implemented yet`);
  });

  it('start --target all runs with no external services and answers /health/ready', async () => {
    const server = await startServer(['--target', 'all'], { env: { HOME: '/nonexistent-home', KUBECONFIG: '' } });
    try {
      const live = await fetch(`${server.url}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${server.url}/health/ready`);
      const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }>; components: Record<string, string> };
      expect(ready.status).toBe(200);
      expect(body.status).toBe('ready');
      expect(body.checks['database']?.status).toBe('up');
      expect(body.checks['bus']?.status).toBe('up');
      // No cluster here: the agent is skipped in `all` (a named `--target agent` fails instead, above).
      expect(body.components).toMatchObject({ manager: 'running', api: 'running', reasoning: 'running', agent: 'disabled' });
      expect(server.logs()).toContain('agent skipped: no cluster to watch');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('aetherius_dependency_up');
      expect(server.logs()).toContain('"store":"pglite"');
      expect(server.logs()).toContain('"bus":"memory"');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  describe('migrate against PostgreSQL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('aet_cli');
    });
    afterAll(async () => {
      await db.drop();
    });

    it('applies, reports and reverts migrations', async () => {
      const env = { AETHERIUS_DATABASE_URL: db.url };
      const up = await runCli(['migrate', 'up'], { env });
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/applied: 1/);
      const again = await runCli(['migrate', 'up'], { env });
      expect(again.stdout).toContain('nothing to apply');
      const status = await runCli(['migrate', 'status', '--json'], { env });
      const rows = JSON.parse(status.stdout) as { version: number; applied: boolean }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.applied)).toBe(true);
      const down = await runCli(['migrate', 'down', '--steps', String(rows.length)], { env });
      expect(down.code).toBe(0);
      const after = JSON.parse((await runCli(['migrate', 'status', '--json'], { env })).stdout) as { applied: boolean }[];
      expect(after.every((r) => !r.applied)).toBe(true);
    });

    it('refuses to migrate an in-memory database', async () => {
      const r = await runCli(['migrate', 'up']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no database configured');
    });

    it('reports an unreachable database as a failure, not a crash', async () => {
      const r = await runCli(['migrate', 'status'], { env: { AETHERIUS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', AETHERIUS_DATABASE_CONNECT_TIMEOUT: '2s' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/AETHERIUS_E_(UNAVAILABLE|STORE)/);
    });
  });
});
