/**
 * Which schema a message on a given subject must satisfy, so every boundary (bus consumer, dead-letter
 * handler, API replay) validates with the same rule.
 */
import type { z } from 'zod';
import { AGENT_MESSAGE_SCHEMAS } from './agent-messages.js';
import { AI_MESSAGE_SCHEMAS, reasoningResponse } from './ai-messages.js';
import { INTERNAL_MESSAGE_SCHEMAS } from './internal-messages.js';
import { AGENT_MESSAGE_KINDS, AI_SUBJECTS, INTERNAL_SUBJECTS, agentSubjectAllClusters, parseAgentSubject } from './subjects.js';

/** Subject or subject pattern → the schema of the messages published on it. */
export const SUBJECT_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ...AGENT_MESSAGE_KINDS.map((kind) => [agentSubjectAllClusters(kind), AGENT_MESSAGE_SCHEMAS[kind]] as const),
  ...(Object.keys(INTERNAL_SUBJECTS) as (keyof typeof INTERNAL_SUBJECTS)[]).map((k) => [INTERNAL_SUBJECTS[k], INTERNAL_MESSAGE_SCHEMAS[k]] as const),
  ...(Object.keys(AI_SUBJECTS) as (keyof typeof AI_SUBJECTS)[]).map((k) => [AI_SUBJECTS[k], AI_MESSAGE_SCHEMAS[k]] as const),
]);

/** Request subject → the schema of its reply. */
export const REPLY_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([[AI_SUBJECTS.reasoningRequest, reasoningResponse]]);

/**
 * The schema for a concrete subject such as `aetherius.agent.prod-us-west.event` or
 * `internal.event.critical`; undefined for a subject no contract covers (dead letters included).
 */
export function schemaForSubject(subject: string): z.ZodType | undefined {
  const agent = parseAgentSubject(subject);
  if (agent) return AGENT_MESSAGE_SCHEMAS[agent.kind];
  if (subject.startsWith('aetherius.agent.')) return undefined; // never match the pattern text itself
  return SUBJECT_SCHEMAS.get(subject);
}

/** The schema of the reply to a request subject; undefined when the subject is not a request. */
export function replySchemaForSubject(subject: string): z.ZodType | undefined {
  return REPLY_SCHEMAS.get(subject);
}
