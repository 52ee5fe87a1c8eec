/**
 * Write commands through the REST API, end to end: `POST /api/v1/commands` with an approval on the
 * control plane (manager + api, real PostgreSQL), which signs an approval token with
 * `remediation.approval_key`, over real NATS to the agent of a simulated cluster (remediation enabled,
 * same key), which verifies it and scales the Deployment in the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { resolveConfig } from '../src/core/config/index.js';
import { res } from '../src/sim/resources.js';
import type { SimContext } from '../src/sim/sim-context.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { startAgentHarness, type AgentHarness } from './support/agent-harness.js';
import { eventually } from './support/cli.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';
import { createSimContext, seedWorld } from './support/sim-world.js';

const CLUSTER = 'approve';
const KEY = 'an-approval-key-of-at-least-32-bytes-for-tests';

describe('approved write commands through the REST API', () => {
  const namespace = uniqueName('approve');
  let db: TestDatabase;
  let app: App;
  let keyless: App;
  let agentBus: NatsBus;
  let agent: AgentHarness;
  let ctx: SimContext;
  const post = (base: string, body: unknown) => fetch(`${base}/api/v1/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const replicas = () => (ctx.store.get(res('deployments.apps'), 'shop', 'checkout')?.['spec'] as { replicas?: number } | undefined)?.replicas;
  const scale = (n: number) => ({ cluster_id: CLUSTER, type: 'remediation', tool: 'kubectl', action: 'scale', args: ['deployment/checkout', `--replicas=${n}`], namespace: 'shop', timeout: '10s' });

  beforeAll(async () => {
    db = await createTestDatabase('aet_approve');
    const env = { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_BUS_URL: TEST_NATS_URL, AETHERIUS_BUS_NAMESPACE: namespace, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent' };
    app = await startApp({ config: resolveConfig({ env: { ...env, AETHERIUS_REMEDIATION_APPROVAL_KEY: KEY } }).config, services: ['manager', 'api'], logger: silentLogger() });
    // A second API process on the same database and bus, without the key.
    keyless = await startApp({ config: resolveConfig({ env }).config, services: ['api'], logger: silentLogger() });
    agentBus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: 'approve-agent' });
    ctx = createSimContext(CLUSTER);
    seedWorld(ctx);
    agent = await startAgentHarness({
      ctx,
      clusterId: CLUSTER,
      shared: { bus: agentBus, namespace },
      config: { agent: { enable_metrics: false, heartbeat_interval: '1s' }, remediation: { enabled: true, approval_key: KEY } },
    });
    await eventually(async () => ((await (await fetch(`${app.url}/api/v1/agents?cluster_id=${CLUSTER}`)).json()) as { items: unknown[] }).items.length > 0 || undefined, 15_000, 'agent registered');
  });

  afterAll(async () => {
    await agent?.stop();
    await agentBus?.close();
    await keyless?.stop();
    await app?.stop();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  it('signs an approved scale, which the agent verifies and executes in the cluster', async () => {
    expect(replicas()).toBe(2);
    const res = await post(app.url, { ...scale(4), approval: { approved_by: 'alice@example.com', reason: 'checkout saturated (INC-42)' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { command: { id: string; state: string }; result: { status: string; output: string; error: string }; approval: unknown };
    expect(body.result).toMatchObject({ status: 'success', output: 'deployment.apps/checkout scaled\n' });
    expect(body.command.state).toBe('completed');
    expect(body.approval).toEqual({ approved_by: 'alice@example.com', reason: 'checkout saturated (INC-42)' });
    expect(replicas()).toBe(4);
  });

  it('refuses a write without approval (403 naming the field) and sends nothing to the agent', async () => {
    const res = await post(app.url, { ...scale(7), id: 'unapproved-scale' });
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('AETHERIUS_E_NOT_ALLOWED');
    expect(error.message).toContain('"approval"');
    expect((await fetch(`${app.url}/api/v1/commands/unapproved-scale`)).status).toBe(404);
    expect(replicas()).toBe(4);
  });

  it('refuses writes on a server without remediation.approval_key, naming the setting', async () => {
    const res = await post(keyless.url, { ...scale(9), approval: { approved_by: 'alice@example.com', reason: 'test' } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('remediation.approval_key');
    expect(replicas()).toBe(4);
  });

  it('answers 400 for an approval on a read-only command, a malformed approval, or write arguments the grammar refuses', async () => {
    const approval = { approved_by: 'alice@example.com', reason: 'test' };
    const cases = [
      { cluster_id: CLUSTER, type: 'diagnostic', tool: 'kubectl', action: 'get', args: ['pods'], namespace: 'shop', approval },
      { ...scale(3), approval: { approved_by: '' } },
      { ...scale(3), args: ['deployment/checkout'], approval },
    ];
    const paths: string[] = [];
    for (const body of cases) {
      const res = await post(app.url, body);
      expect(res.status).toBe(400);
      paths.push(((await res.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path ?? '');
    }
    expect(paths[0]).toBe('approval');
    expect(paths[1]).toMatch(/^approval\./);
    expect(paths[2]).toBeTruthy();
    expect(replicas()).toBe(4);
  });
});
