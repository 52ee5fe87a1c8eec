/**
 * Messages to and from the reasoning service: `ai.reasoning.request` (answered by a reply) and
 * `ai.feedback.data`. Field names follow the architecture's "AI 分析请求/响应" examples, with one
 * deliberate difference: a root cause's `type` is a root-cause taxonomy id (root-cause-taxonomy.ts)
 * and a recommendation's `action` is a remediation action id (remediation-actions.ts). Those ids are
 * the stable API; the architecture's `OOMKiller` and `increase_memory_limit` are illustrations of
 * them (`OOMKilled`, `UpdateResourceLimits`) and are rejected on the wire.
 */
import { z } from 'zod';
import type { AI_SUBJECTS } from './subjects.js';
import { clusterId, duration, id, schemaVersion, timestamp } from './common.js';
import { remediationAction, riskLevel } from './remediation-actions.js';
import { rootCauseType } from './root-cause-taxonomy.js';

const MAX_LOG_CHARS = 1024 * 1024;
const MAX_TEXT_CHARS = 4096;

/** Free-form JSON object with bounded keys, bounded as a whole by the bus's maximum payload. */
const looseObject = z.record(z.string().max(256), z.unknown());

const confidence = z.number().min(0).max(1);

/** A list of ranked items must come best first, so a consumer can take the first. */
function bestFirst<T extends { confidence: number }>(items: readonly T[]): boolean {
  return items.every((item, i) => i === 0 || item.confidence <= (items[i - 1]?.confidence ?? Infinity));
}

// ---- ai.reasoning.request ----------------------------------------------------------------------

export const analysisType = z.enum(['root_cause', 'predict', 'recommend']);
export type AnalysisType = z.infer<typeof analysisType>;

export const DEFAULT_ANALYSIS_TIMEOUT = '30s';
export const DEFAULT_MIN_CONFIDENCE = 0.7;

export const reasoningRequest = z.object({
  schema_version: schemaVersion,
  request_id: id,
  workflow_id: id.optional(),
  analysis_type: analysisType,
  /** What the orchestrator gathered. Every part is optional: the service reasons from what it gets. */
  context: z
    .object({
      /** The event under analysis: an agent event or an internal event, as it was received. */
      event: looseObject,
      /** Log excerpts, newest last. */
      logs: z.string().max(MAX_LOG_CHARS),
      metrics: looseObject,
      /** Owners, services, endpoints and nodes around the resource. */
      topology: looseObject,
    })
    .partial()
    .default({}),
  options: z
    .object({
      /** How long the caller waits for the reply. */
      timeout: duration.default(DEFAULT_ANALYSIS_TIMEOUT),
      /** Root causes below this confidence are returned as candidates only. */
      min_confidence: confidence.default(DEFAULT_MIN_CONFIDENCE),
    })
    .prefault({}),
});
export type ReasoningRequest = z.infer<typeof reasoningRequest>;

// ---- reply to ai.reasoning.request -------------------------------------------------------------

export const rootCauseFinding = z.object({
  type: rootCauseType,
  confidence,
  /** Sentences a person can check, e.g. "Exit code 137 indicates OOMKilled". */
  evidence: z.array(z.string().min(1).max(MAX_TEXT_CHARS)).max(64).default([]),
  /** The object at fault, which may differ from the one the event was about. */
  resource: z
    .object({
      kind: z.string().min(1).max(128),
      name: z.string().min(1).max(253),
      namespace: z.string().max(253).optional(),
      cluster_id: clusterId.optional(),
    })
    .optional(),
});
export type RootCauseFinding = z.infer<typeof rootCauseFinding>;

export const rootCauseCandidate = z.object({ type: rootCauseType, confidence });
export type RootCauseCandidate = z.infer<typeof rootCauseCandidate>;

export const recommendation = z.object({
  action: remediationAction,
  confidence,
  risk: riskLevel,
  /** Expected effect, e.g. "pods restart one at a time". */
  impact: z.string().max(MAX_TEXT_CHARS).optional(),
  steps: z.array(z.string().min(1).max(MAX_TEXT_CHARS)).max(64).default([]),
  rollback: z.array(z.string().min(1).max(MAX_TEXT_CHARS)).max(64).default([]),
});
export type Recommendation = z.infer<typeof recommendation>;

export const similarCase = z.object({
  case_id: id,
  similarity: z.number().min(0).max(1),
  root_cause: rootCauseType,
  /** What fixed it, in words. */
  resolution: z.string().max(MAX_TEXT_CHARS).optional(),
  occurred_at: timestamp.optional(),
});
export type SimilarCase = z.infer<typeof similarCase>;

const candidates = z.array(rootCauseCandidate).max(64).refine(bestFirst, 'must be ordered by confidence, highest first');
const recommendations = z.array(recommendation).max(32).refine(bestFirst, 'must be ordered by confidence, highest first');

/** Fields every reply carries, whatever its status. */
const replyFields = <S extends 'completed' | 'partial' | 'failed'>(status: S) => ({
  schema_version: schemaVersion,
  request_id: id,
  status: z.literal(status),
});

const rankedFields = {
  /** Alternatives, best first; the chosen root cause may be among them. */
  candidates: candidates.default([]),
  /** Best first. */
  recommendations: recommendations.default([]),
  similar_cases: z.array(similarCase).max(32).default([]),
};

/**
 * The reply to `ai.reasoning.request`, a union on `status`: `completed` carries a root cause;
 * `partial` may (the time ran out or the evidence was thin); `failed` carries an error and no root cause.
 */
export const reasoningResponse = z.discriminatedUnion('status', [
  z.object({ ...replyFields('completed'), root_cause: rootCauseFinding, ...rankedFields, error: z.string().max(MAX_TEXT_CHARS).optional() }),
  z.object({ ...replyFields('partial'), root_cause: rootCauseFinding.optional(), ...rankedFields, error: z.string().max(MAX_TEXT_CHARS).optional() }),
  z.object({
    ...replyFields('failed'),
    root_cause: z.never({ error: 'must be absent when status is failed' }).optional(),
    ...rankedFields,
    error: z.string().min(1, 'must say why the analysis failed').max(MAX_TEXT_CHARS),
  }),
]);
export type ReasoningResponse = z.infer<typeof reasoningResponse>;
export type ReasoningStatus = ReasoningResponse['status'];

// ---- ai.feedback.data --------------------------------------------------------------------------

/** What turned out to be true after a diagnosis or a remediation, for learning and accuracy figures. */
export const feedbackData = z
  .object({
    schema_version: schemaVersion,
    id,
    request_id: id.optional(),
    incident_id: id.optional(),
    cluster_id: clusterId.optional(),
    timestamp,
    /** `diagnosis` judges the root cause; `remediation` judges an executed action. */
    kind: z.enum(['diagnosis', 'remediation']),
    predicted_root_cause: rootCauseType,
    actual_root_cause: rootCauseType.optional(),
    /** Whether the prediction was right; absent when nobody has judged it yet. */
    correct: z.boolean().optional(),
    action: remediationAction.optional(),
    action_succeeded: z.boolean().optional(),
    /** A user name or a service, e.g. `orchestrator-service`. */
    submitted_by: z.string().min(1).max(253),
    comment: z.string().max(MAX_TEXT_CHARS).optional(),
  })
  .refine((f) => f.kind !== 'remediation' || f.action !== undefined, { path: ['action'], message: 'is required when kind is remediation' });
export type FeedbackData = z.infer<typeof feedbackData>;

/** The schema for each AI subject, keyed like AI_SUBJECTS. */
export const AI_MESSAGE_SCHEMAS = {
  reasoningRequest,
  feedbackData,
} as const satisfies Record<keyof typeof AI_SUBJECTS, z.ZodType>;
