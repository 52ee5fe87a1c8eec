/**
 * Commands through the running agent, end to end: sent over real NATS to
 * `aetherius.agent.{cluster_id}.command`, validated and executed by the agent against the simulator
 * over HTTP, answered by reply and stored on the results stream.
 *
 * The hostile corpus (test/fixtures/hostile-commands.ts, 600+ commands) must be rejected 100%, each
 * with its reason, with no request reaching the Kubernetes API beyond the agent's own watches. Good
 * commands must answer what kubectl answers.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from './support/kubectl.js';
import { agentSubject, type AgentResult } from '../src/contracts/index.js';
import { startAgentHarness, type AgentHarness } from './support/agent-harness.js';
import { HOSTILE_APPROVAL_KEY, HOSTILE_CLUSTER_ID, hostileCommands } from './fixtures/hostile-commands.js';
import { createSimContext, seedWorld } from './support/sim-world.js';


describe('agent commands over NATS against the simulator', () => {
  let h: AgentHarness;
  let apiRequests = 0;

  beforeAll(async () => {
    const ctx = createSimContext(HOSTILE_CLUSTER_ID);
    seedWorld(ctx);
    // Count what reaches the API server: every store read the API layer makes goes through list/get.
    const store = ctx.store as unknown as { list: (...a: unknown[]) => unknown; get: (...a: unknown[]) => unknown };
    for (const method of ['list', 'get'] as const) {
      const original = store[method].bind(ctx.store);
      store[method] = (...args: unknown[]) => {
        apiRequests++;
        return original(...args);
      };
    }
    h = await startAgentHarness({
      ctx,
      clusterId: HOSTILE_CLUSTER_ID,
      record: ['result'],
      config: { agent: { enable_metrics: false, commands: { rate_per_minute: 100_000, max_concurrent: 64 } }, remediation: { enabled: true, approval_key: HOSTILE_APPROVAL_KEY } },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** Sends `command` as its JSON encoding (a string entry becomes a JSON string), or `raw` bytes as they are. */
  const send = async (command: unknown, raw?: string): Promise<AgentResult> => {
    const payload = raw ?? JSON.stringify(command);
    const reply = await h.bus.request(agentSubject(HOSTILE_CLUSTER_ID, 'command'), payload, { timeoutMs: 10_000 });
    return reply.json() as AgentResult;
  };

  it('rejects every hostile command with its reason and never reaches the Kubernetes API', { timeout: 120_000 }, async () => {
    const corpus = hostileCommands();
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    const before = apiRequests;
    const wrong: string[] = [];
    let refusedByTransport = 0;
    for (const c of corpus) {
      const payload = JSON.stringify(c.command) ?? '';
      if (Buffer.byteLength(payload) > h.bus.maxPayloadBytes) {
        // A megabyte argument never reaches the agent over NATS: the server's max_payload refuses it.
        // (The executor's own size checks are proven in src/agent/command-executor.test.ts.)
        await expect(send(c.command)).rejects.toThrow(/max_payload/);
        refusedByTransport++;
        continue;
      }
      const r = await send(c.command);
      if (r.status !== 'rejected' || !r.error.startsWith(`${c.reason}:`)) wrong.push(`${c.name}: ${r.status} ${r.error.slice(0, 120)}`);
    }
    // Bytes that are not JSON at all.
    for (const raw of ['not json', '{"schema_version":1,', '\u0000\u0001\u0002', '[]', 'null', '"; rm -rf /"']) {
      const r = await send(undefined, raw);
      if (r.status !== 'rejected' || !r.error.startsWith('schema:')) wrong.push(`raw ${JSON.stringify(raw)}: ${r.status} ${r.error.slice(0, 120)}`);
    }
    expect(wrong, `${wrong.length} of ${corpus.length + 6} hostile commands not rejected as expected`).toEqual([]);
    expect(apiRequests - before, 'Kubernetes API requests caused by hostile commands').toBe(0);
    const rejections = await h.metrics.registry.getSingleMetricAsString('aetherius_agent_command_rejections_total');
    const counted = [...rejections.matchAll(/ (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(corpus.length - refusedByTransport + 6);
    expect(refusedByTransport).toBeLessThan(10);
  });

  it('answers logs, get and describe like kubectl, through the API', { timeout: 60_000 }, async () => {
    const cmd = (action: string, args: string[], extra: Record<string, unknown> = {}) => ({
      schema_version: 1,
      id: `cmd-${action}-${Math.random().toString(36).slice(2)}`,
      cluster_id: HOSTILE_CLUSTER_ID,
      type: 'diagnostic',
      tool: 'kubectl',
      action,
      args,
      namespace: 'shop',
      issued_by: 'agent-commands-test',
      ...extra,
    });
    const cache = join(h.dir, 'kubectl-cache');
    const before = apiRequests;
    const getPods = await send(cmd('get', ['pods']));
    expect(getPods.status).toBe('success');
    // The counter the hostile test relies on does see a command's API requests.
    expect(apiRequests).toBeGreaterThan(before);
    const viaKubectl = await kubectl(h.kubeconfig, cache, ['get', 'pods', '-n', 'shop']);
    // Same columns and rows as kubectl (AGE may tick between the two calls).
    const strip = (t: string) => t.split('\n').map((l) => l.replace(/\s+\S+$/, '').trimEnd());
    expect(strip(getPods.output)).toEqual(strip(viaKubectl));

    const logs = await send(cmd('logs', ['checkout-7f9c5d6b8-crash', '--previous', '--tail=10']));
    expect(logs.status).toBe('success');
    expect(logs.output).toContain('FATAL: environment variable DB_URL is not set (instance 2)');

    const describe = await send(cmd('describe', ['pod/checkout-7f9c5d6b8-crash']));
    expect(describe.status).toBe('success');
    expect(describe.output).toMatch(/Restart Count:\s+3/);
    expect(describe.output).toContain('Back-off restarting failed container');

    const missing = await send(cmd('get', ['pod', 'no-such-pod']));
    expect(missing).toMatchObject({ status: 'error', exit_code: 1 });
    expect(missing.error).toContain('pods "no-such-pod" not found');

    // The durable copy of each result is on the results stream too.
    await h.agent.flush(10_000);
    const stored = (h.messages.get('result') ?? []) as AgentResult[];
    expect(stored.map((r) => r.command_id)).toEqual(expect.arrayContaining([getPods.command_id, logs.command_id, describe.command_id, missing.command_id]));
  });
});
