/**
 * `POST /api/v1/analyze/root-cause` end to end: the API process sends the request over real NATS to the
 * reasoning service, which answers from the rules. The context is what a caller would send: the objects
 * of a simulated cluster (the built-in `checkout-oom` scenario, run in-process at simulated speed) and
 * the event that triggered the question.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { resolveConfig } from '../src/core/config/index.js';
import { loadScenario } from '../src/sim/scenario/library.js';
import { Simulation } from '../src/sim/simulation.js';
import { snapshotFromSimulation } from '../src/sim/snapshot.js';
import type { KubeObject } from '../src/core/kube/kube-types.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';

const NAMESPACE = uniqueName('analyze');

describe('analyze API', () => {
  let db: TestDatabase;
  let app: App;
  let objects: KubeObject[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('aet_analyze');
    const { config } = resolveConfig({
      env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_BUS_NAMESPACE: NAMESPACE, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent' },
    });
    app = await startApp({ config, services: ['manager', 'api', 'reasoning'], logger: silentLogger() });
    const { scenario } = await loadScenario('checkout-oom');
    const sim = Simulation.create({ scenario });
    try {
      await sim.runFor(10 * 60_000);
      objects = [...snapshotFromSimulation(sim).objects];
    } finally {
      sim.stop();
    }
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await deleteNamespaceStreams(NAMESPACE);
    await db?.drop();
  });

  const post = async (body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${app.url}/api/v1/analyze/root-cause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers a ranked root cause with evidence and a first recommendation, focused on the event', { timeout: 30_000 }, async () => {
    const pod = objects.find((o) => o.kind === 'Pod' && o.metadata.name.startsWith('checkout-'));
    expect(pod, 'a checkout pod in the simulated cluster').toBeDefined();
    const { status, body } = await post({
      request_id: 'req-oom-1',
      context: {
        event: {
          id: 'evt-1',
          cluster_id: 'prod-us-west',
          reason: 'BackOff',
          message: 'Back-off restarting failed container app',
          namespace: 'shop',
          labels: { kind: 'Pod', name: pod?.metadata.name },
          raw_data: { count: 3 },
        },
        topology: { objects },
      },
    });
    expect(status).toBe(200);
    expect(body['request_id']).toBe('req-oom-1');
    expect(body['status']).toBe('completed');
    const rc = body['root_cause'] as { type: string; confidence: number; evidence: string[]; resource: { kind: string; namespace: string; name: string } };
    expect(rc.type).toBe('OOMKilled');
    expect(rc.resource).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'checkout', cluster_id: 'prod-us-west' });
    expect(rc.confidence).toBeGreaterThanOrEqual(0.7);
    expect(rc.evidence.join(' ')).toMatch(/OOMKilled, exit code 137/);
    expect((body['recommendations'] as { action: string }[])[0]?.action).toBe('UpdateResourceLimits');
    const candidates = body['candidates'] as { confidence: number }[];
    expect(candidates.map((c) => c.confidence)).toEqual([...candidates.map((c) => c.confidence)].sort((a, b) => b - a));
  });

  it('says plainly when nothing stands out', { timeout: 30_000 }, async () => {
    const healthy = objects.filter((o) => o.kind === 'Node');
    const { status, body } = await post({ context: { topology: { objects: healthy } } });
    expect(status).toBe(200);
    expect(body['status']).toBe('partial');
    expect(body['root_cause']).toBeUndefined();
    expect(String(body['error'])).toMatch(/no fault stands out/);
  });

  it('refuses a bad body with 400 naming the field, and keeps answering', { timeout: 30_000 }, async () => {
    const bad = await post({ context: { logs: 42 }, options: { min_confidence: 2 } });
    expect(bad.status).toBe(400);
    const message = JSON.stringify(bad.body);
    expect(message).toContain('options.min_confidence');
    expect(message).toContain('context.logs');
    const again = await post({ context: {} });
    expect(again.status).toBe(200);
  });
});
