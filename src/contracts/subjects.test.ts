import { describe, it, expect } from 'vitest';
import {
  AGENT_MESSAGE_KINDS,
  INTERNAL_SUBJECTS,
  STREAMS,
  agentSubject,
  agentSubjectAllClusters,
  deadLetterSubject,
  parseAgentSubject,
} from './subjects.js';

describe('agent subjects', () => {
  it('builds aetherius.agent.{cluster_id}.{kind} as in the architecture', () => {
    expect(agentSubject('prod-us-west', 'event')).toBe('aetherius.agent.prod-us-west.event');
    expect(agentSubjectAllClusters('metrics')).toBe('aetherius.agent.*.metrics');
  });

  it('rejects cluster ids that would break or widen a subject', () => {
    for (const bad of ['a.b', '*', '>', 'prod us', '', ' prod', '-prod', 'x'.repeat(64)]) {
      expect(() => agentSubject(bad, 'event'), JSON.stringify(bad)).toThrow(RangeError);
    }
  });

  it('round-trips every kind through parseAgentSubject', () => {
    for (const kind of AGENT_MESSAGE_KINDS) {
      expect(parseAgentSubject(agentSubject('prod_eu-1', kind))).toEqual({ clusterId: 'prod_eu-1', kind });
    }
  });

  it('returns undefined for subjects that are not agent subjects', () => {
    for (const other of [
      'aetherius.agent.*.event',
      'aetherius.agent.prod.unknown',
      'aetherius.agent.prod.event.extra',
      'aetherius.agents.prod.event',
      'internal.event.critical',
      'aetherius.deadletter.aetherius.agent.prod.event',
      '',
    ]) {
      expect(parseAgentSubject(other), other).toBeUndefined();
    }
  });
});

describe('streams', () => {
  it('covers every internal subject with the internal stream', () => {
    expect(STREAMS.internal.subjects).toEqual(['internal.>']);
    for (const subject of Object.values(INTERNAL_SUBJECTS)) expect(subject.startsWith('internal.')).toBe(true);
  });

  it('prefixes dead letters with the original subject', () => {
    expect(deadLetterSubject('internal.event.critical')).toBe('aetherius.deadletter.internal.event.critical');
  });
});
