import { describe, it, expect } from 'vitest';
import type { z } from 'zod';
import { InputError } from './errors.js';
import { INTERNAL_MESSAGE_SCHEMAS, anomalyEvent, criticalEvent, internalCommandResult, metricsAlert, sloBreachEvent } from './internal-messages.js';
import { INTERNAL_SUBJECTS } from './subjects.js';
import { parseWith } from './validate.js';

/** Parses expecting failure; returns the paths of the bad fields. */
function badPaths(schema: z.ZodType, input: unknown): string[] {
  try {
    parseWith(schema, input, 'test message');
  } catch (err) {
    if (err instanceof InputError) return err.issues.map((i) => i.path);
    throw err;
  }
  throw new Error('expected an InputError');
}

// The architecture's "关键事件" example, with schema_version and timestamp added and "{...}" filled in.
const CRITICAL_EXAMPLE = {
  schema_version: 1,
  event_id: 'evt-20250930-abc123',
  cluster_id: 'prod-us-west',
  timestamp: '2025-09-30T10:15:30Z',
  severity: 'critical',
  category: 'pod_failure',
  resource: { kind: 'Pod', name: 'api-server-7f9b8c-xyz', namespace: 'production' },
  details: { reason: 'CrashLoopBackOff', restart_count: 5, last_exit_code: 137 },
  suggested_workflow: 'diagnose_pod_crashloop',
};

const ANOMALY_EXAMPLE = {
  schema_version: 1,
  id: 'anom-20250930-001',
  cluster_id: 'prod-us-west',
  timestamp: '2025-09-30T10:15:00Z',
  series: { metric: 'pod_memory_usage_bytes', labels: { kind: 'Pod', name: 'api-server-7f9b8c-xyz', namespace: 'production', node: 'node-1' } },
  value: 510_000_000,
  expected: 260_000_000,
  z_score: 4.2,
  direction: 'up',
  severity: 'high',
  window: '1h',
  detector: 'ewma_zscore',
};

const SLO_BREACH_EXAMPLE = {
  schema_version: 1,
  id: 'slo-20250930-001',
  cluster_id: 'prod-us-west',
  timestamp: '2025-09-30T10:15:00Z',
  slo: { name: 'checkout-availability', workload: { kind: 'Deployment', name: 'checkout', namespace: 'production' }, objective: 0.999, window: '720h' },
  burn_rate: 14.4,
  long_window: '1h',
  short_window: '5m',
  error_budget_remaining: 0.62,
  severity: 'critical',
};

const COMMAND_RESULT_EXAMPLE = {
  schema_version: 1,
  command_id: 'cmd-20250930-xyz789',
  cluster_id: 'prod-us-west',
  status: 'success',
  exit_code: 0,
  output: '...',
  error: '',
  execution_time: '2.5s',
  timestamp: '2025-09-30T10:15:35Z',
  correlation_id: 'workflow-abc123',
  issued_by: 'orchestrator-service',
};

const ALERT_EXAMPLE = {
  schema_version: 1,
  id: 'alert-20250930-001',
  cluster_id: 'prod-us-west',
  timestamp: '2025-09-30T10:16:30Z',
  alert: 'AgentOffline',
  severity: 'high',
  status: 'firing',
  summary: 'Agent agent-1 missed 3 heartbeats',
  labels: { agent_id: 'agent-1' },
};

describe('internal.event.critical', () => {
  it('parses the architecture example', () => {
    const event = parseWith(criticalEvent, CRITICAL_EXAMPLE, 'critical event');
    expect(event.resource.namespace).toBe('production');
    expect(event.details).toMatchObject({ restart_count: 5 });
  });

  it('names a wrong nested field', () => {
    expect(badPaths(criticalEvent, { ...CRITICAL_EXAMPLE, resource: { kind: 'Pod' } })).toEqual(['resource.name']);
  });

  it('rejects a category the agents do not use', () => {
    expect(badPaths(criticalEvent, { ...CRITICAL_EXAMPLE, category: 'crash' })).toEqual(['category']);
  });

  it('rejects an unsupported schema_version', () => {
    expect(badPaths(criticalEvent, { ...CRITICAL_EXAMPLE, schema_version: 0 })).toEqual(['schema_version']);
  });

  it('accepts an incident id and no suggested workflow', () => {
    const { suggested_workflow: _workflow, ...rest } = CRITICAL_EXAMPLE;
    expect(parseWith(criticalEvent, { ...rest, incident_id: 'inc-1' }, 'critical event').incident_id).toBe('inc-1');
  });
});

describe('internal.event.anomaly', () => {
  it('parses an EWMA z-score anomaly', () => {
    expect(parseWith(anomalyEvent, ANOMALY_EXAMPLE, 'anomaly').series.labels.node).toBe('node-1');
  });

  it('rejects a z-score whose sign contradicts the direction', () => {
    expect(badPaths(anomalyEvent, { ...ANOMALY_EXAMPLE, z_score: -4.2 })).toEqual(['z_score']);
  });

  it('rejects a window that is not a duration', () => {
    expect(badPaths(anomalyEvent, { ...ANOMALY_EXAMPLE, window: 'an hour' })).toEqual(['window']);
  });
});

describe('internal.event.slo_breach', () => {
  it('parses a multi-window burn-rate breach', () => {
    expect(parseWith(sloBreachEvent, SLO_BREACH_EXAMPLE, 'slo breach').slo.objective).toBe(0.999);
  });

  it('rejects an objective of 1 (no error budget) and a remaining budget above 1', () => {
    expect(badPaths(sloBreachEvent, { ...SLO_BREACH_EXAMPLE, slo: { ...SLO_BREACH_EXAMPLE.slo, objective: 1 } })).toEqual(['slo.objective']);
    expect(badPaths(sloBreachEvent, { ...SLO_BREACH_EXAMPLE, error_budget_remaining: 1.5 })).toEqual(['error_budget_remaining']);
  });
});

describe('internal.command.result', () => {
  it('parses an agent result with who issued the command', () => {
    const result = parseWith(internalCommandResult, COMMAND_RESULT_EXAMPLE, 'command result');
    expect(result.correlation_id).toBe('workflow-abc123');
    expect(result.issued_by).toBe('orchestrator-service');
  });

  it('still requires the agent result fields', () => {
    const { execution_time: _time, ...rest } = COMMAND_RESULT_EXAMPLE;
    expect(badPaths(internalCommandResult, rest)).toEqual(['execution_time']);
  });
});

describe('internal.metrics.alert', () => {
  it('parses an AgentOffline alert and fills defaults', () => {
    const alert = parseWith(metricsAlert, ALERT_EXAMPLE, 'alert');
    expect(alert.description).toBe('');
    expect(alert.value).toBeUndefined();
  });

  it('rejects a status other than firing or resolved', () => {
    expect(badPaths(metricsAlert, { ...ALERT_EXAMPLE, status: 'pending' })).toEqual(['status']);
  });

  it('names a bad label value', () => {
    expect(badPaths(metricsAlert, { ...ALERT_EXAMPLE, labels: { agent_id: 7 } })).toEqual(['labels.agent_id']);
  });
});

it('has a schema for every internal subject', () => {
  expect(Object.keys(INTERNAL_MESSAGE_SCHEMAS).sort()).toEqual(Object.keys(INTERNAL_SUBJECTS).sort());
});
