/**
 * The simulator as a user starts it: `aetherius sim` with several clusters in one process, each reached
 * by real kubectl through the kubeconfig it writes, and `aetherius demo` (what `npm start` runs).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, runCli, startServer } from './support/cli.js';
import { kubectl } from './support/kubectl.js';



describe('aetherius sim and demo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aetherius-sim-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves two clusters from one process, one kubeconfig context each', async () => {
    const kubeconfig = join(dir, 'two.kubeconfig');
    const server = await startServer(['--scenario', 'checkout-oom', '--clusters', '2', '--speed', '20', '--kubeconfig-out', kubeconfig], {
      command: 'sim',
      ready: /cluster (\S+): scenario checkout-oom at http[\s\S]*press Ctrl-C/,
    });
    try {
      const config = await readFile(kubeconfig, 'utf8');
      const contexts = (parse(config) as { contexts: { name: string }[] }).contexts.map((c) => c.name);
      expect(contexts).toHaveLength(2);
      for (const context of contexts) {
        const pods = await eventually(async () => {
          const out = await kubectl(kubeconfig, join(dir, 'cache'), ['--context', context, 'get', 'pods', '-n', 'shop', '--no-headers']);
          return out.includes('checkout-') ? out : undefined;
        }, 20_000, `pods in ${context}`);
        expect(pods).toMatch(/checkout-[a-z0-9]+-[a-z0-9]{5}/);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('rejects an unknown scenario with a usage error', async () => {
    const r = await runCli(['sim', '--scenario', 'no-such-scenario']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-scenario');
  });

  it('demo runs a simulated cluster beside a ready control plane', async () => {
    const kubeconfig = join(dir, 'demo.kubeconfig');
    const demo = await startServer(['--speed', '20', '--kubeconfig-out', kubeconfig], {
      command: 'demo',
      env: { AETHERIUS_SERVER_PORT: '0' },
      ready: /control plane: (http:\/\/\S+)[\s\S]*press Ctrl-C/,
    });
    try {
      expect((await fetch(`${demo.url}/health/ready`)).status).toBe(200);
      const nodes = await kubectl(kubeconfig, join(dir, 'cache'), ['get', 'nodes', '--no-headers']);
      expect(nodes.trim().split('\n').length).toBeGreaterThan(0);
      // The agent watches the simulated cluster and its events reach the control plane's store and API.
      const events = await eventually(async () => {
        const body = (await (await fetch(`${demo.url}/api/v1/events?cluster_id=prod-us-west&limit=50`)).json()) as { items: { reason: string; type: string }[] };
        return body.items.length > 0 ? body.items : undefined;
      }, 30_000, 'simulator events in /api/v1/events');
      expect(events.some((e) => e.type === 'k8s_event')).toBe(true);
      const agents = (await (await fetch(`${demo.url}/api/v1/agents`)).json()) as { items: { cluster_id: string }[] };
      expect(agents.items.map((a) => a.cluster_id)).toContain('prod-us-west');
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  });
});
