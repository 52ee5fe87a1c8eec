/**
 * The knowledge graph and the learning store (docs/knowledge.md): request and response bodies of
 * `GET /api/v1/knowledge/search`, `POST /api/v1/knowledge/query`, `POST /api/v1/knowledge/update`,
 * `GET /api/v1/models` and `GET /api/v1/models/{id}/metrics`.
 *
 * Nodes are `(kind, key)`: an event type is keyed by its reason (`CrashLoopBackOff`), a cause by its
 * taxonomy id (`OOMKilled`), a solution by its remediation action id (`UpdateResourceLimits`), a
 * resource by its Kubernetes kind (`Deployment`) or, for one object, `Kind/namespace/name`, a case by
 * its case id. Edge weights are strengths in [0, 1].
 */
import { z } from 'zod';
import { clusterId, id, timestamp } from './common.js';

export const KNOWLEDGE_NODE_KINDS = ['event_type', 'cause', 'solution', 'resource', 'case'] as const;
export const knowledgeNodeKind = z.enum(KNOWLEDGE_NODE_KINDS, { error: `must be one of ${KNOWLEDGE_NODE_KINDS.join(', ')}` });
export type KnowledgeNodeKind = z.infer<typeof knowledgeNodeKind>;

export const KNOWLEDGE_EDGE_TYPES = ['CAUSED_BY', 'RESOLVED_BY', 'AFFECTS', 'APPLIES_TO', 'DEPENDS_ON', 'SIMILAR_TO'] as const;
export const knowledgeEdgeType = z.enum(KNOWLEDGE_EDGE_TYPES, { error: `must be one of ${KNOWLEDGE_EDGE_TYPES.join(', ')}` });
export type KnowledgeEdgeType = z.infer<typeof knowledgeEdgeType>;

/**
 * Which node kinds each edge type joins, read as a sentence: an event type is CAUSED_BY a cause, a
 * cause is RESOLVED_BY a solution, a solution APPLIES_TO a resource kind, a resource DEPENDS_ON another,
 * a cause AFFECTS a resource. SIMILAR_TO joins two nodes of the same kind.
 */
export const EDGE_ENDPOINTS: Readonly<Record<KnowledgeEdgeType, { from: readonly KnowledgeNodeKind[]; to: readonly KnowledgeNodeKind[] }>> = {
  CAUSED_BY: { from: ['event_type', 'case', 'cause'], to: ['cause'] },
  RESOLVED_BY: { from: ['cause', 'case', 'event_type'], to: ['solution'] },
  AFFECTS: { from: ['cause', 'event_type', 'resource', 'case'], to: ['resource'] },
  APPLIES_TO: { from: ['solution'], to: ['resource'] },
  DEPENDS_ON: { from: ['resource'], to: ['resource'] },
  SIMILAR_TO: { from: KNOWLEDGE_NODE_KINDS, to: KNOWLEDGE_NODE_KINDS },
};

/** Why an edge of `type` cannot join `from` to `to`, or undefined when it can. */
export function edgeEndpointProblem(type: KnowledgeEdgeType, from: KnowledgeNodeKind, to: KnowledgeNodeKind): { field: 'from' | 'to'; message: string } | undefined {
  const allowed = EDGE_ENDPOINTS[type];
  if (!allowed.from.includes(from)) return { field: 'from', message: `a ${type} edge starts at a ${allowed.from.join(' or ')} node, not a ${from}` };
  if (!allowed.to.includes(to)) return { field: 'to', message: `a ${type} edge ends at a ${allowed.to.join(' or ')} node, not a ${to}` };
  if (type === 'SIMILAR_TO' && from !== to) return { field: 'to', message: `a SIMILAR_TO edge joins two nodes of the same kind, not a ${from} and a ${to}` };
  return undefined;
}

export const MAX_PROPS_CHARS = 16_384;
export const MAX_FINGERPRINT_TOKENS = 256;
export const DEFAULT_MODEL_ID = 'rca-rules';

const nodeKey = z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters');

/** Free-form properties, at most 16 KiB as JSON. */
export const knowledgeProps = z
  .record(z.string().max(256), z.unknown())
  .refine((p) => JSON.stringify(p).length <= MAX_PROPS_CHARS, `must be at most ${MAX_PROPS_CHARS} characters as JSON`);

export const knowledgeNodeRef = z.object({ kind: knowledgeNodeKind, key: nodeKey }).strict();
export type KnowledgeNodeRef = z.infer<typeof knowledgeNodeRef>;

const weight = z.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be at least 0').max(1, 'must be at most 1');
/** Model ids appear in URLs (`/api/v1/models/{id}/metrics`). */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const modelId = z.string().regex(MODEL_ID_PATTERN, 'must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');

// ---- POST /api/v1/knowledge/update ---------------------------------------------------------------

export const knowledgeNodeInput = z.object({ kind: knowledgeNodeKind, key: nodeKey, props: knowledgeProps.default({}) }).strict();
export type KnowledgeNodeInput = z.infer<typeof knowledgeNodeInput>;

export const knowledgeEdgeInput = z
  .object({ type: knowledgeEdgeType, from: knowledgeNodeRef, to: knowledgeNodeRef, weight: weight.default(1), props: knowledgeProps.default({}) })
  .strict()
  .superRefine((e, ctx) => {
    const problem = edgeEndpointProblem(e.type, e.from.kind, e.to.kind);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.field, 'kind'], message: problem.message });
    if (e.from.kind === e.to.kind && e.from.key === e.to.key) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must differ from from: an edge never loops to its own node' });
  });
export type KnowledgeEdgeInput = z.infer<typeof knowledgeEdgeInput>;

/** Nodes and edges to upsert. An edge's nodes must exist or be in the same body. Props merge into the stored ones. */
export const knowledgeUpdate = z
  .object({
    nodes: z.array(knowledgeNodeInput).max(500, 'must have at most 500 nodes').default([]),
    edges: z.array(knowledgeEdgeInput).max(1000, 'must have at most 1000 edges').default([]),
  })
  .strict()
  .refine((u) => u.nodes.length + u.edges.length > 0, { path: ['nodes'], message: 'nodes or edges must name at least one item' });
export type KnowledgeUpdate = z.infer<typeof knowledgeUpdate>;
/** What a caller writes: defaults may be left out. */
export type KnowledgeUpdateInput = z.input<typeof knowledgeUpdate>;

export const knowledgeUpdateResult = z.object({ nodes: z.number().int().nonnegative(), edges: z.number().int().nonnegative() });
export type KnowledgeUpdateResult = z.infer<typeof knowledgeUpdateResult>;

// ---- GET /api/v1/knowledge/search ----------------------------------------------------------------

/** Query parameters: `q`, `kinds` (comma-separated or repeated) and `limit` (1–100, default 20). */
export const knowledgeSearchQuery = z.object({
  q: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  kinds: z
    .preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(knowledgeNodeKind).min(1, 'must name at least one kind').max(KNOWLEDGE_NODE_KINDS.length))
    .optional(),
  limit: z.coerce.number({ error: 'must be an integer from 1 to 100' }).int('must be an integer from 1 to 100').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
});
export type KnowledgeSearchQuery = z.infer<typeof knowledgeSearchQuery>;

export const knowledgeNode = z.object({ kind: knowledgeNodeKind, key: nodeKey, props: z.record(z.string(), z.unknown()), created_at: timestamp, updated_at: timestamp });
export type KnowledgeNode = z.infer<typeof knowledgeNode>;

export const knowledgeSearchResult = z.object({ items: z.array(knowledgeNode) });
export type KnowledgeSearchResult = z.infer<typeof knowledgeSearchResult>;

// ---- POST /api/v1/knowledge/query ----------------------------------------------------------------

export const MAX_IMPACT_DEPTH = 6;

export const impactRadiusQuery = z
  .object({
    type: z.literal('impact_radius'),
    /** Usually a resource (`{kind: resource, key: Node}`) or a cause. */
    from: knowledgeNodeRef,
    max_depth: z.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_IMPACT_DEPTH, `must be at most ${MAX_IMPACT_DEPTH}`).default(3),
    limit: z.number().int('must be an integer').min(1, 'must be at least 1').max(500, 'must be at most 500').default(100),
  })
  .strict();

export const solutionsQuery = z
  .object({
    type: z.literal('solutions'),
    /** A cause node's key: a root-cause taxonomy id such as OOMKilled. */
    cause: nodeKey,
    limit: z.number().int('must be an integer').min(1, 'must be at least 1').max(50, 'must be at most 50').default(10),
  })
  .strict();

export const similarCasesQuery = z
  .object({
    type: z.literal('similar_cases'),
    /** Tokens of a signal fingerprint (src/core/knowledge/fingerprint.ts). */
    fingerprint: z.array(z.string().min(1).max(200)).min(1, 'must have at least one token').max(MAX_FINGERPRINT_TOKENS, `must have at most ${MAX_FINGERPRINT_TOKENS} tokens`),
    limit: z.number().int('must be an integer').min(1, 'must be at least 1').max(50, 'must be at most 50').default(5),
    min_similarity: z.number().min(0, 'must be at least 0').max(1, 'must be at most 1').default(0),
    model: modelId.optional(),
  })
  .strict();

export const knowledgeQuery = z.discriminatedUnion('type', [impactRadiusQuery, solutionsQuery, similarCasesQuery], {
  error: 'must be impact_radius, solutions or similar_cases',
});
export type KnowledgeQuery = z.infer<typeof knowledgeQuery>;
/** What a caller writes: defaults may be left out. */
export type KnowledgeQueryInput = z.input<typeof knowledgeQuery>;

export const impactedNode = knowledgeNodeRef.extend({
  /** Hops from the start (1 = a direct dependent or affected resource). */
  depth: z.number().int().positive(),
  /** Product of the edge weights along the strongest shortest path. */
  weight: weight,
  /** The edge type of the last hop. */
  via: knowledgeEdgeType,
  /** The nodes from the start to this one, both included. */
  path: z.array(knowledgeNodeRef),
});
export type ImpactedNode = z.infer<typeof impactedNode>;

export const solutionRanking = z.object({
  action: nodeKey,
  /** The catalog's (or an operator's) confidence that the action fixes the cause. */
  weight,
  successes: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  /** Laplace-smoothed: (successes + 1) / (successes + failures + 2). */
  success_rate: z.number().min(0).max(1),
  /** What the list is ordered by: (successes + 2·weight) / (successes + failures + 2). */
  score: z.number().min(0).max(1),
  props: z.record(z.string(), z.unknown()),
});
export type SolutionRanking = z.infer<typeof solutionRanking>;

export const knowledgeCase = z.object({
  case_id: id,
  model: modelId,
  cluster_id: clusterId.optional(),
  incident_id: id.optional(),
  request_id: id.optional(),
  predicted_root_cause: z.string(),
  actual_root_cause: z.string().optional(),
  /** What the case is known to be: the actual cause, else the prediction unless it was judged wrong. */
  root_cause: z.string().optional(),
  correct: z.boolean().optional(),
  confidence: z.number().min(0).max(1).optional(),
  action: z.string().optional(),
  action_succeeded: z.boolean().optional(),
  resource: z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() }).optional(),
  fingerprint: z.array(z.string()),
  fired_evidence: z.array(z.string()),
  created_at: timestamp,
  updated_at: timestamp,
});
export type KnowledgeCase = z.infer<typeof knowledgeCase>;

export const knowledgeQueryResult = z.discriminatedUnion('type', [
  z.object({ type: z.literal('impact_radius'), from: knowledgeNodeRef, nodes: z.array(impactedNode), truncated: z.boolean() }),
  z.object({ type: z.literal('solutions'), cause: nodeKey, solutions: z.array(solutionRanking) }),
  z.object({ type: z.literal('similar_cases'), cases: z.array(knowledgeCase.extend({ similarity: z.number().min(0).max(1) })) }),
]);
export type KnowledgeQueryResult = z.infer<typeof knowledgeQueryResult>;

// ---- feedback and models -------------------------------------------------------------------------

/** The answer to a recorded feedback (`POST /api/v1/feedback`). */
export const feedbackOutcome = z.object({
  feedback_id: id,
  /** True when this feedback id was recorded before: nothing was learned twice. */
  duplicate: z.boolean(),
  case_id: id,
  /** The learning state's version after this feedback. */
  learning_version: z.number().int().nonnegative(),
});
export type FeedbackOutcome = z.infer<typeof feedbackOutcome>;

export const modelInfo = z.object({
  id: modelId,
  description: z.string(),
  /** Incremented by every feedback that changed what the model learned. */
  learning_version: z.number().int().nonnegative(),
  updated_at: timestamp.nullable(),
  cases: z.number().int().nonnegative(),
  judged: z.number().int().nonnegative(),
});
export type ModelInfo = z.infer<typeof modelInfo>;

export const modelList = z.object({ items: z.array(modelInfo) });
export type ModelList = z.infer<typeof modelList>;

const ratio = z.number().min(0).max(1).nullable();

export const modelMetrics = z.object({
  model_id: modelId,
  /** Every recorded case; `judged` those whose diagnosis was judged right or wrong. */
  cases: z.number().int().nonnegative(),
  judged: z.number().int().nonnegative(),
  correct: z.number().int().nonnegative(),
  /** correct / judged; null when nothing was judged. */
  accuracy: ratio,
  per_cause: z.array(
    z.object({
      cause: z.string(),
      /** Judged cases predicted as this cause / whose actual cause was this cause. */
      predicted: z.number().int().nonnegative(),
      actual: z.number().int().nonnegative(),
      true_positives: z.number().int().nonnegative(),
      precision: ratio,
      recall: ratio,
    }),
  ),
  /** Judged cases with a recorded confidence, in tenths of confidence: a calibrated model's accuracy matches its mean confidence. */
  calibration: z.array(
    z.object({
      lower: z.number().min(0).max(1),
      upper: z.number().min(0).max(1),
      count: z.number().int().positive(),
      mean_confidence: z.number().min(0).max(1),
      accuracy: z.number().min(0).max(1),
    }),
  ),
  remediation: z.object({ judged: z.number().int().nonnegative(), succeeded: z.number().int().nonnegative(), success_rate: ratio }),
});
export type ModelMetrics = z.infer<typeof modelMetrics>;
