/**
 * Real clients against a LIVE simulation (controllers running, not a hand-seeded store): what kubectl
 * and a client-node informer see is what the simulated kubelet and controllers actually produced.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from './support/kubectl.js';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../src/sim/api/index.js';
import { loadScenario } from '../src/sim/scenario/library.js';
import { Simulation } from '../src/sim/simulation.js';
import { res } from '../src/sim/resources.js';


describe('kubectl and client-node against a live OOM scenario', () => {
  let dir: string;
  let sim: Simulation;
  let server: SimApiServer;
  let kubeconfig: string;
  const run = (...args: string[]) => kubectl(kubeconfig, join(dir, 'cache'), args);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aetherius-live-'));
    sim = Simulation.create({ scenario: (await loadScenario('checkout-oom')).scenario });
    server = await startSimApiServer(sim.ctx);
    kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, [{ name: 'live', server: server.url }]);
  });

  afterAll(async () => {
    sim?.stop();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the OOM kills the kubelet produced: STATUS, restarts, lastState and the previous instance’s logs', async () => {
    await sim.runFor(10 * 60_000);
    const pods = sim.ctx.store.list(res('pods'), { namespace: 'shop' }).items.filter((p) => p.metadata.name.startsWith('checkout-'));
    expect(pods.length).toBeGreaterThan(0);
    const crashed = pods.find((p) => ((p['status'] as { containerStatuses?: { restartCount: number }[] }).containerStatuses?.[0]?.restartCount ?? 0) >= 2);
    expect(crashed, 'a checkout pod restarted at least twice').toBeDefined();
    const name = crashed?.metadata.name ?? '';

    const table = await run('get', 'pods', '-n', 'shop', name, '--no-headers');
    expect(table).toMatch(new RegExp(`^${name}\\s+\\d/1\\s+(OOMKilled|CrashLoopBackOff|Running)\\s+[2-9]\\d*`));

    const lastState = await run('get', 'pod', '-n', 'shop', name, '-o', 'jsonpath={.status.containerStatuses[0].lastState.terminated.reason} {.status.containerStatuses[0].lastState.terminated.exitCode}');
    expect(lastState).toBe('OOMKilled 137');

    const describe = await run('describe', 'pod', '-n', 'shop', name);
    expect(describe).toMatch(/Last State:\s+Terminated\s+Reason:\s+OOMKilled\s+Exit Code:\s+137/);
    expect(describe).toMatch(/Restart Count:\s+[2-9]/);

    const previous = await run('logs', '-n', 'shop', name, '--previous');
    expect(previous.trim().length).toBeGreaterThan(0);
  });

  it('a client-node informer lists the live pods and sees the next change', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/shop/pods', () => api.listNamespacedPod({ namespace: 'shop' }));
    const updates: string[] = [];
    informer.on('update', (p: k8s.V1Pod) => updates.push(p.metadata?.name ?? ''));
    await informer.start();
    try {
      expect(informer.list('shop').length).toBeGreaterThan(0);
      // Play another two simulated minutes: the kubelet keeps changing pod status.
      await sim.runFor(2 * 60_000);
      const deadline = Date.now() + 10_000;
      while (updates.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(updates.length).toBeGreaterThan(0);
    } finally {
      await informer.stop();
    }
  });
});
