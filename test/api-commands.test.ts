/**
 * Commands through the REST API, end to end: `POST /api/v1/commands` on the control plane (manager + api,
 * real PostgreSQL), over real NATS to the agent of a simulated cluster, executed against the simulator
 * over HTTP, answered, and stored with its result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { resolveConfig } from '../src/core/config/index.js';
import { agentSubject } from '../src/contracts/index.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { startAgentHarness, type AgentHarness } from './support/agent-harness.js';
import { eventually } from './support/cli.js';
import { TEST_NATS_URL, createTestDatabase, uniqueName, type TestDatabase } from './support/services.js';
import { createSimContext, seedWorld } from './support/sim-world.js';

const CLUSTER = 'cmd-api';

describe('commands through the REST API', () => {
  const namespace = uniqueName('cmdapi');
  let db: TestDatabase;
  let app: App;
  let agentBus: NatsBus;
  let agent: AgentHarness;
  const api = (path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    db = await createTestDatabase('aet_cmdapi');
    const { config } = resolveConfig({
      env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_BUS_URL: TEST_NATS_URL, AETHERIUS_BUS_NAMESPACE: namespace, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent', AETHERIUS_MANAGER_COMMANDS_PER_CLUSTER: '2' },
    });
    app = await startApp({ config, services: ['manager', 'api'], logger: silentLogger() });
    agentBus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: 'cmd-api-agent' });
    const ctx = createSimContext(CLUSTER);
    seedWorld(ctx);
    agent = await startAgentHarness({ ctx, clusterId: CLUSTER, shared: { bus: agentBus, namespace }, config: { agent: { enable_metrics: false, heartbeat_interval: '1s' } } });
    // The agent registers at start; wait until the manager has it.
    await eventually(async () => ((await (await api(`/api/v1/agents?cluster_id=${CLUSTER}`)).json()) as { items: unknown[] }).items.length > 0 || undefined, 15_000, 'agent registered');
  });

  afterAll(async () => {
    await agent?.stop();
    await agentBus?.close();
    await app?.stop();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  it('runs a diagnostic command on the cluster’s agent and stores the command and its result', async () => {
    const res = await api('/api/v1/commands', { cluster_id: CLUSTER, type: 'diagnostic', tool: 'kubectl', action: 'logs', args: ['checkout-7f9c5d6b8-crash', '--previous'], namespace: 'shop', timeout: '10s', correlation_id: 'wf-1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { command: { id: string; state: string; issued_by: string }; result: { status: string; output: string } };
    expect(body.command).toMatchObject({ state: 'completed', issued_by: 'api' });
    expect(body.result.status).toBe('success');
    expect(body.result.output).toContain('DB_URL is not set (instance 2)');
    const stored = (await (await api(`/api/v1/commands/${body.command.id}`)).json()) as { correlation_id: string };
    expect(stored.correlation_id).toBe('wf-1');
    expect(((await (await api(`/api/v1/commands/${body.command.id}/result`)).json()) as { status: string }).status).toBe('success');
  });

  it('returns the agent’s refusal as the result: an injected argument never runs', async () => {
    const res = await api('/api/v1/commands', { cluster_id: CLUSTER, type: 'diagnostic', tool: 'kubectl', action: 'logs', args: ['checkout; rm -rf /'], namespace: 'shop' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { status: string; error: string } };
    expect(body.result.status).toBe('rejected');
    expect(body.result.error).toMatch(/^invalid_argument:/);
  });

  it('refuses more than manager.commands_per_cluster commands at once on one cluster with 429', async () => {
    // A stand-in agent for cluster "slow" that takes a second to answer.
    await agentBus.request(agentSubject('slow', 'register'), { schema_version: 1, agent_id: 'slow.agent', cluster_id: 'slow', timestamp: new Date().toISOString(), version: 'test' }, { timeoutMs: 5000 });
    const sub = agentBus.subscribe(agentSubject('slow', 'command'), async (m) => {
      const cmd = m.json() as { id: string };
      await new Promise((r) => setTimeout(r, 1000));
      m.respond({ schema_version: 1, command_id: cmd.id, cluster_id: 'slow', status: 'success', exit_code: 0, output: 'ok', error: '', execution_time: '1s', timestamp: new Date().toISOString() });
    });
    try {
      const post = () => api('/api/v1/commands', { cluster_id: 'slow', type: 'diagnostic', tool: 'kubectl', action: 'get', args: ['pods'], namespace: 'default' });
      const statuses = (await Promise.all([post(), post(), post()])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429]);
      expect((await post()).status).toBe(200); // the slots are free again
    } finally {
      await sub.unsubscribe();
    }
  });

  it('answers 400 naming the field for a malformed body, 404 for an unknown cluster or command, 409 for a cluster without a live agent', async () => {
    const bad = await api('/api/v1/commands', { cluster_id: CLUSTER, type: 'diagnostic', tool: 'kubectl', action: 'logs', args: 'not-a-list', shell: true });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/args|shell/);
    expect((await api('/api/v1/commands', { cluster_id: 'nowhere', type: 'diagnostic', tool: 'kubectl', action: 'get', args: ['pods'] })).status).toBe(404);
    expect((await api('/api/v1/commands/cmd-none')).status).toBe(404);
    expect((await api('/api/v1/clusters', { id: 'empty-cluster', name: 'no agent here' })).status).toBeLessThan(300);
    const offline = await api('/api/v1/commands', { cluster_id: 'empty-cluster', type: 'diagnostic', tool: 'kubectl', action: 'get', args: ['pods'] });
    expect(offline.status).toBe(409);
    expect(((await offline.json()) as { error: { message: string } }).error.message).toContain('no live agent');
  });
});
