import { describe, it, expect } from 'vitest';
import type { z } from 'zod';
import { feedbackData, reasoningRequest, reasoningResponse } from './ai-messages.js';
import { InputError } from './errors.js';
import { parseWith } from './validate.js';

/** Parses expecting failure; returns the issues. */
function issuesOf(schema: z.ZodType, input: unknown): InputError['issues'] {
  try {
    parseWith(schema, input, 'test message');
  } catch (err) {
    if (err instanceof InputError) return err.issues;
    throw err;
  }
  throw new Error('expected an InputError');
}

const paths = (schema: z.ZodType, input: unknown): string[] => issuesOf(schema, input).map((i) => i.path);

// The architecture's "AI 分析请求" example, with schema_version added and "{...}" filled in.
const REQUEST_EXAMPLE = {
  schema_version: 1,
  request_id: 'req-20250930-aaa111',
  workflow_id: 'workflow-abc123',
  analysis_type: 'root_cause',
  context: {
    event: { id: 'evt-20250930-abc123', reason: 'CrashLoopBackOff', labels: { kind: 'Pod', name: 'api-server-7f9b8c-xyz' } },
    logs: '...',
    metrics: { memory_usage_bytes: 536_870_912, memory_limit_bytes: 536_870_912 },
    topology: { owners: [{ kind: 'Deployment', name: 'api-server' }] },
  },
  options: { timeout: '30s', min_confidence: 0.7 },
};

// The architecture's "AI 分析响应" example, with schema_version added, "[...]" filled in, and its
// illustrative names replaced by taxonomy ids: OOMKiller → OOMKilled, increase_memory_limit → UpdateResourceLimits.
const RESPONSE_EXAMPLE = {
  schema_version: 1,
  request_id: 'req-20250930-aaa111',
  status: 'completed',
  root_cause: {
    type: 'OOMKilled',
    confidence: 0.92,
    evidence: ["Found 'Out of memory' in logs", 'Memory usage reached 100% before crash', 'Exit code 137 indicates OOMKilled'],
  },
  recommendations: [{ action: 'UpdateResourceLimits', confidence: 0.88, risk: 'low', steps: ['Update deployment', 'Apply changes'] }],
  similar_cases: [{ case_id: 'case-0042', similarity: 0.81, root_cause: 'OOMKilled', resolution: 'Raised the memory limit to 1Gi' }],
};

describe('ai.reasoning.request', () => {
  it('parses the architecture example', () => {
    const request = parseWith(reasoningRequest, REQUEST_EXAMPLE, 'reasoning request');
    expect(request.options).toEqual({ timeout: '30s', min_confidence: 0.7 });
    expect(request.context.logs).toBe('...');
  });

  it('fills the documented defaults when options and context are left out', () => {
    const { options: _o, context: _c, workflow_id: _w, ...minimal } = REQUEST_EXAMPLE;
    const request = parseWith(reasoningRequest, minimal, 'reasoning request');
    expect(request.options).toEqual({ timeout: '30s', min_confidence: 0.7 });
    expect(request.context).toEqual({});
  });

  it('names bad nested options', () => {
    expect(paths(reasoningRequest, { ...REQUEST_EXAMPLE, options: { timeout: '30', min_confidence: 1.2 } })).toEqual([
      'options.timeout',
      'options.min_confidence',
    ]);
  });

  it('rejects an unknown analysis type', () => {
    expect(paths(reasoningRequest, { ...REQUEST_EXAMPLE, analysis_type: 'guess' })).toEqual(['analysis_type']);
  });

  it('rejects an unsupported schema_version with a message saying so', () => {
    const issues = issuesOf(reasoningRequest, { ...REQUEST_EXAMPLE, schema_version: 3 });
    expect(issues).toEqual([{ path: 'schema_version', message: 'unsupported schema_version 3; this build speaks 1' }]);
  });
});

describe('reply to ai.reasoning.request', () => {
  it('parses the architecture example with taxonomy ids', () => {
    const response = parseWith(reasoningResponse, RESPONSE_EXAMPLE, 'reasoning response');
    expect(response.status).toBe('completed');
    if (response.status === 'completed') expect(response.root_cause.type).toBe('OOMKilled');
    expect(response.recommendations[0]?.rollback).toEqual([]);
    expect(response.candidates).toEqual([]);
  });

  it("rejects the architecture's illustrative names, naming the fields", () => {
    const literal = {
      ...RESPONSE_EXAMPLE,
      root_cause: { ...RESPONSE_EXAMPLE.root_cause, type: 'OOMKiller' },
      recommendations: [{ ...RESPONSE_EXAMPLE.recommendations[0], action: 'increase_memory_limit' }],
    };
    expect(paths(reasoningResponse, literal)).toEqual(['root_cause.type', 'recommendations.0.action']);
  });

  it('requires a root cause when completed and an error when failed', () => {
    const { root_cause: _rc, ...withoutRootCause } = RESPONSE_EXAMPLE;
    expect(paths(reasoningResponse, withoutRootCause)).toEqual(['root_cause']);
    expect(paths(reasoningResponse, { ...withoutRootCause, status: 'failed' })).toEqual(['error']);
    expect(parseWith(reasoningResponse, { ...withoutRootCause, status: 'failed', error: 'no logs' }, 'reply').status).toBe('failed');
    expect(parseWith(reasoningResponse, { ...withoutRootCause, status: 'partial' }, 'reply').status).toBe('partial');
  });

  it('rejects a status outside completed, failed and partial', () => {
    expect(paths(reasoningResponse, { ...RESPONSE_EXAMPLE, status: 'done' })).toEqual(['status']);
  });

  it('requires candidates best first', () => {
    const candidates = [
      { type: 'MemoryLeak', confidence: 0.4 },
      { type: 'OOMKilled', confidence: 0.9 },
    ];
    expect(paths(reasoningResponse, { ...RESPONSE_EXAMPLE, candidates })).toEqual(['candidates']);
    expect(parseWith(reasoningResponse, { ...RESPONSE_EXAMPLE, candidates: candidates.reverse() }, 'reply').candidates[0]?.type).toBe('OOMKilled');
  });

  it('bounds confidence to [0, 1]', () => {
    expect(paths(reasoningResponse, { ...RESPONSE_EXAMPLE, root_cause: { ...RESPONSE_EXAMPLE.root_cause, confidence: 92 } })).toEqual([
      'root_cause.confidence',
    ]);
  });
});

describe('ai.feedback.data', () => {
  const FEEDBACK = {
    schema_version: 1,
    id: 'fb-1',
    request_id: 'req-20250930-aaa111',
    incident_id: 'inc-7',
    cluster_id: 'prod-us-west',
    timestamp: '2025-09-30T11:00:00Z',
    kind: 'diagnosis',
    predicted_root_cause: 'OOMKilled',
    actual_root_cause: 'MemoryLeak',
    correct: false,
    submitted_by: 'alice',
    comment: 'It leaks on every deploy',
  };

  it('parses diagnosis feedback', () => {
    expect(parseWith(feedbackData, FEEDBACK, 'feedback').actual_root_cause).toBe('MemoryLeak');
  });

  it('requires the action for remediation feedback', () => {
    expect(paths(feedbackData, { ...FEEDBACK, kind: 'remediation' })).toEqual(['action']);
    const ok = parseWith(feedbackData, { ...FEEDBACK, kind: 'remediation', action: 'UpdateResourceLimits', action_succeeded: true }, 'feedback');
    expect(ok.action_succeeded).toBe(true);
  });

  it('rejects a root cause outside the taxonomy', () => {
    expect(paths(feedbackData, { ...FEEDBACK, predicted_root_cause: 'Gremlins' })).toEqual(['predicted_root_cause']);
  });
});
