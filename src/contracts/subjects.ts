import { CLUSTER_ID_PATTERN } from './common.js';

/**
 * The kinds of message an agent exchanges with the control plane, one subject each. `events` is ours,
 * not the architecture's: several events in one envelope (docs/adr/0016-batched-event-messages.md).
 */
export const AGENT_MESSAGE_KINDS = ['register', 'heartbeat', 'event', 'events', 'metrics', 'command', 'result'] as const;
export type AgentMessageKind = (typeof AGENT_MESSAGE_KINDS)[number];

/**
 * `aetherius.agent.{cluster_id}.{kind}`, exactly as in the architecture.
 * @throws RangeError when the cluster id is not a safe subject token.
 */
export function agentSubject(clusterId: string, kind: AgentMessageKind): string {
  if (!CLUSTER_ID_PATTERN.test(clusterId)) throw new RangeError(`invalid cluster id for a subject: ${JSON.stringify(clusterId)}`);
  return `aetherius.agent.${clusterId}.${kind}`;
}

/** Wildcard subject matching one kind from every cluster, e.g. `aetherius.agent.*.event`. */
export function agentSubjectAllClusters(kind: AgentMessageKind): string {
  return `aetherius.agent.*.${kind}`;
}

/** Splits `aetherius.agent.{cluster_id}.{kind}`; undefined for any other subject. */
export function parseAgentSubject(subject: string): { clusterId: string; kind: AgentMessageKind } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'aetherius' || parts[1] !== 'agent') return undefined;
  const [, , clusterId, kind] = parts;
  if (clusterId === undefined || !CLUSTER_ID_PATTERN.test(clusterId)) return undefined;
  if (!(AGENT_MESSAGE_KINDS as readonly string[]).includes(kind ?? '')) return undefined;
  return { clusterId, kind: kind as AgentMessageKind };
}

/** Internal bus between agent-manager, orchestrator and reasoning. */
export const INTERNAL_SUBJECTS = {
  eventCritical: 'internal.event.critical',
  eventAnomaly: 'internal.event.anomaly',
  eventSloBreach: 'internal.event.slo_breach',
  commandResult: 'internal.command.result',
  metricsAlert: 'internal.metrics.alert',
  incidentChanged: 'internal.incident.changed',
} as const;

export const AI_SUBJECTS = {
  reasoningRequest: 'ai.reasoning.request',
  feedbackData: 'ai.feedback.data',
} as const;

/**
 * Where a rejected message goes, with the reason in its headers: `aetherius.deadletter.{original subject}`.
 */
export const DEAD_LETTER_PREFIX = 'aetherius.deadletter';
export function deadLetterSubject(original: string): string {
  return `${DEAD_LETTER_PREFIX}.${original}`;
}

const HOUR_MS = 3_600_000;

/**
 * Durable JetStream streams (logical names; adapters may namespace them). Streams are buffers between
 * services, not the system of record (PostgreSQL is): each keeps what a consumer that was down for a
 * while still needs, and no more — 3 days of events and results (a long weekend without a manager), a
 * day of metrics (5,000 pods send ~1.7 GB a day), a week of internal messages and dead letters, 30 days
 * of learning feedback.
 */
export const STREAMS = {
  events: { name: 'AETHERIUS_EVENTS', subjects: [agentSubjectAllClusters('event'), agentSubjectAllClusters('events')], description: 'agent events, one per message or batched', maxAgeMs: 72 * HOUR_MS },
  metrics: { name: 'AETHERIUS_METRICS', subjects: [agentSubjectAllClusters('metrics')], description: 'agent metrics', maxAgeMs: 24 * HOUR_MS },
  results: { name: 'AETHERIUS_RESULTS', subjects: [agentSubjectAllClusters('result')], description: 'command results from agents', maxAgeMs: 72 * HOUR_MS },
  internal: { name: 'AETHERIUS_INTERNAL', subjects: ['internal.>'], description: 'control plane to orchestrator and reasoning', maxAgeMs: 7 * 24 * HOUR_MS },
  // ai.reasoning.request is request/reply and stays out of streams; feedback is kept for learning.
  feedback: { name: 'AETHERIUS_FEEDBACK', subjects: [AI_SUBJECTS.feedbackData], description: 'diagnosis and remediation feedback for learning', maxAgeMs: 30 * 24 * HOUR_MS },
  deadLetter: { name: 'AETHERIUS_DEADLETTER', subjects: [`${DEAD_LETTER_PREFIX}.>`], description: 'rejected messages with their reason', maxAgeMs: 7 * 24 * HOUR_MS },
} as const;
