import { describe, it, expect } from 'vitest';
import { agentEvent, agentResult } from './agent-messages.js';
import { feedbackData, reasoningRequest, reasoningResponse } from './ai-messages.js';
import { SUBJECT_SCHEMAS, replySchemaForSubject, schemaForSubject } from './bus-messages.js';
import { criticalEvent, internalCommandResult, metricsAlert } from './internal-messages.js';
import { AI_SUBJECTS, INTERNAL_SUBJECTS, agentSubject } from './subjects.js';

describe('schemaForSubject', () => {
  it('finds the agent schema for a concrete agent subject', () => {
    expect(schemaForSubject(agentSubject('prod-us-west', 'event'))).toBe(agentEvent);
    expect(schemaForSubject(agentSubject('prod-us-west', 'result'))).toBe(agentResult);
  });

  it('finds the internal and AI schemas', () => {
    expect(schemaForSubject(INTERNAL_SUBJECTS.eventCritical)).toBe(criticalEvent);
    expect(schemaForSubject(INTERNAL_SUBJECTS.commandResult)).toBe(internalCommandResult);
    expect(schemaForSubject(INTERNAL_SUBJECTS.metricsAlert)).toBe(metricsAlert);
    expect(schemaForSubject(AI_SUBJECTS.reasoningRequest)).toBe(reasoningRequest);
    expect(schemaForSubject(AI_SUBJECTS.feedbackData)).toBe(feedbackData);
  });

  it('has a schema for every subject the contracts name', () => {
    for (const subject of [...Object.values(INTERNAL_SUBJECTS), ...Object.values(AI_SUBJECTS)]) {
      expect(schemaForSubject(subject), subject).toBeDefined();
    }
    expect(SUBJECT_SCHEMAS.size).toBe(7 + Object.keys(INTERNAL_SUBJECTS).length + Object.keys(AI_SUBJECTS).length);
  });

  it('returns undefined for wildcards, unknown subjects and inherited property names', () => {
    for (const other of ['aetherius.agent.*.event', 'aetherius.agent.prod.nope', 'internal.event', 'aetherius.deadletter.internal.event.critical', 'constructor', '__proto__']) {
      expect(schemaForSubject(other), other).toBeUndefined();
    }
  });
});

describe('replySchemaForSubject', () => {
  it('gives the response schema for ai.reasoning.request only', () => {
    expect(replySchemaForSubject(AI_SUBJECTS.reasoningRequest)).toBe(reasoningResponse);
    expect(replySchemaForSubject(AI_SUBJECTS.feedbackData)).toBeUndefined();
  });
});
