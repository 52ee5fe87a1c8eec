import { describe, it, expect } from 'vitest';
import type { z } from 'zod';
import { AGENT_MESSAGE_SCHEMAS, MAX_EVENTS_PER_BATCH, agentCommand, agentEvent, agentEventBatch, agentHeartbeat, agentMetrics, agentRegister, agentResult, splitEventBatch } from './agent-messages.js';
import { InputError } from './errors.js';
import { parseWith } from './validate.js';

/** Parses expecting failure; returns the InputError. */
function rejection(schema: z.ZodType, input: unknown): InputError {
  try {
    parseWith(schema, input, 'test message');
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

// The architecture's "NATS 消息格式" examples, with schema_version added ("[...]" became []).
const EVENT_EXAMPLE = {
  schema_version: 1,
  id: 'evt-20250930-abc123',
  cluster_id: 'prod-us-west',
  timestamp: '2025-09-30T10:15:30Z',
  type: 'k8s_event',
  source: 'kubernetes',
  severity: 'high',
  reason: 'CrashLoopBackOff',
  message: 'Back-off restarting failed container',
  namespace: 'production',
  labels: { kind: 'Pod', name: 'api-server-7f9b8c-xyz', node: 'node-1' },
  raw_data: { count: 5, first_timestamp: '2025-09-30T10:10:00Z', last_timestamp: '2025-09-30T10:15:30Z' },
};

const METRICS_EXAMPLE = {
  schema_version: 1,
  cluster_id: 'prod-us-west',
  timestamp: '2025-09-30T10:15:00Z',
  cluster_metrics: { total_nodes: 10, ready_nodes: 9, total_pods: 150, running_pods: 142, cpu_usage_percent: 65.5, memory_usage_percent: 72.3 },
  node_metrics: [],
  pod_metrics: [],
  namespace_metrics: [],
};

const COMMAND_EXAMPLE = {
  schema_version: 1,
  id: 'cmd-20250930-xyz789',
  cluster_id: 'prod-us-west',
  type: 'diagnostic',
  tool: 'kubectl',
  action: 'logs',
  args: ['--tail=100', '--previous', 'api-server-7f9b8c-xyz'],
  namespace: 'production',
  timeout: '30s',
  issued_by: 'orchestrator-service',
  correlation_id: 'workflow-abc123',
};

const RESULT_EXAMPLE = {
  schema_version: 1,
  command_id: 'cmd-20250930-xyz789',
  cluster_id: 'prod-us-west',
  status: 'success',
  exit_code: 0,
  output: '...',
  error: '',
  execution_time: '2.5s',
  timestamp: '2025-09-30T10:15:35Z',
};

describe('architecture examples', () => {
  it('parses the event example', () => {
    const event = parseWith(agentEvent, EVENT_EXAMPLE, 'event');
    expect(event.labels.node).toBe('node-1');
    expect(event.raw_data.count).toBe(5);
  });

  it('parses the metrics example', () => {
    expect(parseWith(agentMetrics, METRICS_EXAMPLE, 'metrics').cluster_metrics.ready_nodes).toBe(9);
  });

  it('parses the command example', () => {
    expect(parseWith(agentCommand, COMMAND_EXAMPLE, 'command').args).toHaveLength(3);
  });

  it('parses the result example', () => {
    expect(parseWith(agentResult, RESULT_EXAMPLE, 'result').execution_time).toBe('2.5s');
  });
});

describe('agent event', () => {
  it('names the nested field that is wrong', () => {
    const err = rejection(agentEvent, { ...EVENT_EXAMPLE, raw_data: { ...EVENT_EXAMPLE.raw_data, count: 'five' } });
    expect(err.issues.map((i) => i.path)).toEqual(['raw_data.count']);
    expect(err.message).toMatch(/^invalid test message: raw_data\.count: /);
  });

  it('names a missing field', () => {
    const { reason: _reason, ...withoutReason } = EVENT_EXAMPLE;
    expect(rejection(agentEvent, withoutReason).issues.map((i) => i.path)).toEqual(['reason']);
  });

  it('rejects an unsupported schema_version with a message saying so', () => {
    const err = rejection(agentEvent, { ...EVENT_EXAMPLE, schema_version: 2 });
    expect(err.issues).toEqual([{ path: 'schema_version', message: 'unsupported schema_version 2; this build speaks 1' }]);
  });

  it('rejects a cluster id that could not be a subject token', () => {
    expect(rejection(agentEvent, { ...EVENT_EXAMPLE, cluster_id: 'prod.us' }).issues.map((i) => i.path)).toEqual(['cluster_id']);
  });

  it('drops unknown fields so newer producers still reach older consumers', () => {
    const event = parseWith(agentEvent, { ...EVENT_EXAMPLE, added_later: true }, 'event');
    expect(event).not.toHaveProperty('added_later');
  });

  it('rejects an oversized message instead of holding it', () => {
    expect(rejection(agentEvent, { ...EVENT_EXAMPLE, message: 'x'.repeat(40_000) }).issues.map((i) => i.path)).toEqual(['message']);
  });
});

describe('other agent messages', () => {
  it('fills the defaults a command may leave out', () => {
    const { timeout: _timeout, args: _args, ...minimal } = COMMAND_EXAMPLE;
    const command = parseWith(agentCommand, minimal, 'command');
    expect(command.timeout).toBe('30s');
    expect(command.args).toEqual([]);
  });

  it('rejects a command timeout that is not a duration', () => {
    expect(rejection(agentCommand, { ...COMMAND_EXAMPLE, timeout: '30' }).issues.map((i) => i.path)).toEqual(['timeout']);
  });

  it('rejects a result status outside the list', () => {
    expect(rejection(agentResult, { ...RESULT_EXAMPLE, status: 'ok' }).issues.map((i) => i.path)).toEqual(['status']);
  });

  it('parses a register and a heartbeat', () => {
    const base = { schema_version: 1, agent_id: 'agent-1', cluster_id: 'prod-us-west', timestamp: '2025-09-30T10:15:00Z' };
    expect(parseWith(agentRegister, { ...base, version: '0.1.0', config: { heartbeat_interval: '30s' } }, 'register').capabilities).toEqual([]);
    expect(parseWith(agentHeartbeat, { ...base, status: 'healthy' }, 'heartbeat').status).toBe('healthy');
    expect(rejection(agentHeartbeat, { ...base, status: 'dead' }).issues.map((i) => i.path)).toEqual(['status']);
  });

  it('has a schema for every agent subject kind', () => {
    expect(Object.keys(AGENT_MESSAGE_SCHEMAS).sort()).toEqual(['command', 'event', 'events', 'heartbeat', 'metrics', 'register', 'result']);
  });
});

describe('agentEventBatch', () => {
  const ev = (id: string, clusterId = 'c1') => ({
    schema_version: 1,
    id,
    cluster_id: clusterId,
    timestamp: '2026-11-22T10:00:00Z',
    type: 'k8s_event',
    source: 'kubelet',
    severity: 'high',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    namespace: 'shop',
    labels: { kind: 'Pod', name: 'cart-1' },
    raw_data: { count: 1, first_timestamp: '2026-11-22T10:00:00Z', last_timestamp: '2026-11-22T10:00:00Z' },
  });

  it('accepts an envelope of events and refuses an empty or oversized one, naming the field', () => {
    expect(agentEventBatch.safeParse({ schema_version: 1, cluster_id: 'c1', agent_id: 'a', events: [ev('a')] }).success).toBe(true);
    const empty = agentEventBatch.safeParse({ schema_version: 1, cluster_id: 'c1', events: [] });
    expect(empty.error?.issues[0]?.path).toEqual(['events']);
    const tooMany = agentEventBatch.safeParse({ schema_version: 1, cluster_id: 'c1', events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, (_, i) => ev(`e${i}`)) });
    expect(tooMany.error?.issues[0]?.message).toMatch(/at most/);
  });

  it('splits a batch into valid events and invalid ones with their index, the field and the problem', () => {
    const parts = splitEventBatch({ schema_version: 1, cluster_id: 'c1', events: [ev('a'), { ...ev('b'), reason: '' }, ev('c', 'c2'), 42] });
    expect(parts.valid.map((e) => e.id)).toEqual(['a']);
    expect(parts.invalid.map((i) => i.index)).toEqual([1, 2, 3]);
    expect(parts.invalid[0]?.detail).toMatch(/^events\[1\]\.reason: /);
    expect(parts.invalid[1]?.detail).toMatch(/^events\[2\]\.cluster_id: must equal the batch's cluster id "c1"/);
  });
});
