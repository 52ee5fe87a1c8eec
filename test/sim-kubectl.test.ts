/**
 * Real kubectl against the simulated API server, both generations: 1.32 (on PATH; aggregated
 * discovery first, then legacy) and Debian's 1.20 (unpacked by scripts/fetch-kubectl-1.20.sh; asks for
 * server-side Tables on every get). Each run gets its own kubeconfig and cache dir; KUBECONFIG is unset.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { res } from '../src/sim/resources.js';
import { startWorld, type RunningWorld } from './support/sim-world.js';

const KUBECTL_120 = resolve(import.meta.dirname, '../.cache/kubectl-1.20/usr/bin/kubectl');

const CLIENTS = [
  { name: 'kubectl 1.32', bin: 'kubectl', missing: 'kubectl 1.32 is not on PATH' },
  { name: 'kubectl 1.20', bin: KUBECTL_120, missing: `kubectl 1.20 is missing at ${KUBECTL_120}: run scripts/fetch-kubectl-1.20.sh (.ci/run does)` },
];

function env(): NodeJS.ProcessEnv {
  const { KUBECONFIG: _k, ...rest } = process.env;
  return rest;
}

describe.each(CLIENTS)('$name against the simulator', ({ bin, missing }) => {
  let world: RunningWorld;

  beforeAll(async () => {
    const ok = await new Promise<boolean>((done) => execFile(bin, ['version', '--client'], { timeout: 10_000 }, (err) => done(!err)));
    if (!ok || (bin !== 'kubectl' && !existsSync(bin))) throw new Error(missing);
  });
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  function kubectl(args: string[], timeoutMs = 25_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(bin, ['--kubeconfig', world.kubeconfig, '--cache-dir', join(world.dir, 'cache'), ...args], { env: env(), timeout: timeoutMs }, (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }
  async function ok(args: string[]): Promise<string> {
    const r = await kubectl(args);
    expect(r.code, `kubectl ${args.join(' ')} failed: ${r.stderr}`).toBe(0);
    return r.stdout;
  }

  it('get pods -A shows kubectl’s STATUS and RESTARTS for every pod', async () => {
    const out = await ok(['get', 'pods', '-A']);
    expect(out).toMatch(/NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(out).toMatch(/shop\s+checkout-7f9c5d6b8-crash\s+0\/1\s+CrashLoopBackOff\s+3 \(60s ago\)/);
    expect(out).toMatch(/shop\s+multi\s+2\/2\s+Running\s+0/);
    expect(out).toMatch(/kube-system\s+node-exporter-x1\s+1\/1\s+Running/);
  });

  it('get pods -o wide shows IP and node', async () => {
    const out = await ok(['get', 'pods', '-n', 'shop', '-o', 'wide']);
    expect(out).toMatch(/IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    expect(out).toMatch(/checkout-7f9c5d6b8-abcde\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.5\s+node-1/);
  });

  it('get deploy,rs,svc prints one table per kind', async () => {
    const out = await ok(['get', 'deploy,rs,svc', '-n', 'shop']);
    expect(out).toMatch(/deployment\.apps\/checkout\s+1\/2\s+2\s+1/);
    expect(out).toMatch(/replicaset\.apps\/checkout-7f9c5d6b8\s+2\s+2\s+1/);
    expect(out).toMatch(/service\/checkout\s+ClusterIP\s+10\.96\.0\.20\s+<none>\s+80\/TCP/);
  });

  it('get events -A --watch prints an event created while it watches', async () => {
    const child = spawn(bin, ['--kubeconfig', world.kubeconfig, '--cache-dir', join(world.dir, 'cache'), 'get', 'events', '-A', '--watch'], { env: env() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/BackOff/);
      const pod = world.ctx.store.mustGet(res('pods'), 'shop', 'multi');
      world.ctx.events.record(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { component: 'kubelet', host: 'node-2' });
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/Unhealthy\s+pod\/multi\s+Readiness probe failed/);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('describe pod shows container state, restarts and events', async () => {
    const out = await ok(['describe', 'pod', '-n', 'shop', 'checkout-7f9c5d6b8-crash']);
    expect(out).toMatch(/Reason:\s+CrashLoopBackOff/);
    expect(out).toMatch(/Restart Count:\s+3/);
    expect(out).toMatch(/Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off restarting failed container app/);
  });

  it('logs, logs --previous and logs -c read the right container instance', async () => {
    expect(await ok(['logs', '-n', 'shop', 'checkout-7f9c5d6b8-crash'])).toContain('FATAL: environment variable DB_URL is not set (instance 3)');
    const previous = await ok(['logs', '-n', 'shop', 'checkout-7f9c5d6b8-crash', '--previous']);
    expect(previous).toContain('(instance 2)');
    expect(previous).not.toContain('(instance 3)');
    expect(await ok(['logs', '-n', 'shop', 'multi', '-c', 'sidecar'])).toBe('sidecar syncing\n');
    const none = await kubectl(['logs', '-n', 'shop', 'checkout-7f9c5d6b8-abcde', '--previous']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('previous terminated container "app" in pod "checkout-7f9c5d6b8-abcde" not found');
  });

  it('scale deployment changes spec.replicas', async () => {
    expect(await ok(['scale', '-n', 'shop', 'deployment/checkout', '--replicas=3'])).toContain('deployment.apps/checkout scaled');
    expect(world.ctx.store.mustGet(res('deployments.apps'), 'shop', 'checkout')['spec']).toMatchObject({ replicas: 3 });
  });

  it('rollout undo restores the template of the previous revision', async () => {
    expect(await ok(['rollout', 'undo', '-n', 'shop', 'deployment/checkout'])).toContain('rolled back');
    const d = world.ctx.store.mustGet(res('deployments.apps'), 'shop', 'checkout');
    expect(JSON.stringify(d['spec'])).toContain('registry.local/shop/checkout:1.4.1');
  });

  it('cordon and drain evict every pod on the node but the DaemonSet’s', async () => {
    expect(await ok(['cordon', 'node-1'])).toContain('node/node-1 cordoned');
    expect(world.ctx.store.mustGet(res('nodes'), undefined, 'node-1')['spec']).toMatchObject({ unschedulable: true });
    expect(await ok(['get', 'nodes'])).toMatch(/node-1\s+Ready,SchedulingDisabled/);
    const r = await kubectl(['drain', 'node-1', '--ignore-daemonsets', '--force', '--timeout=20s'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('evicting pod shop/checkout-7f9c5d6b8-crash');
    const left = world.ctx.store.list(res('pods'), { fieldSelector: [{ path: 'spec.nodeName', negate: false, value: 'node-1' }] }).items.map((p) => p.metadata.name);
    expect(left).toEqual(['node-exporter-x1']);
  });

  it('top pods and top nodes read metrics.k8s.io', async () => {
    expect(await ok(['top', 'pods', '-n', 'shop'])).toMatch(/checkout-7f9c5d6b8-abcde\s+25m\s+64Mi/);
    const nodes = await ok(['top', 'nodes']);
    expect(nodes).toMatch(/node-1\s+30m\s+\d+%\s+84Mi/);
    expect(nodes).toMatch(/node-2\s+12m/);
  });

  it('api-resources lists every served resource', async () => {
    const out = await ok(['api-resources']);
    for (const line of [/pods\s+po\s+v1\s+true\s+Pod/, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/, /events\s+ev\s+events\.k8s\.io\/v1/, /pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics/]) {
      expect(out).toMatch(line);
    }
  });
});
