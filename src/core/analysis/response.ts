/**
 * The wire reply (`ai.reasoning.request`'s answer, `POST /api/v1/analyze/root-cause`) of an analysis:
 * `completed` with a root cause at or above the requested confidence; `partial` with the best guess
 * below it (or, when nothing stands out, no root cause and a sentence saying so). The engine's score
 * breakdown stays out of the reply; `impacted` rides along, as the issue asks clients to be listed.
 */
import type { ReasoningResponse, SimilarCase } from '../../contracts/index.js';
import { SCHEMA_VERSION } from '../../contracts/index.js';
import type { AnalysisResult } from '../rca/engine.js';
import type { ResourceRef } from '../rca/types.js';

export type AnalysisReply = ReasoningResponse & {
  /** Workloads that fail because of the root cause (its downstream symptoms). */
  impacted: ResourceRef[];
  /** How long the analysis took, ms. */
  took_ms: number;
  /** Parts of the request that could not be read. */
  ignored?: string[];
};

export const NO_FAULT_MESSAGE = 'no fault stands out in the evidence: no rule scored above its prior';

export function replyOf(
  requestId: string,
  result: AnalysisResult,
  extra: { tookMs: number; similarCases?: SimilarCase[]; ignored?: string[] },
): AnalysisReply {
  const base = {
    schema_version: SCHEMA_VERSION as 1,
    request_id: requestId,
    candidates: result.candidates,
    recommendations: result.recommendations,
    similar_cases: extra.similarCases ?? [],
    impacted: result.impacted,
    took_ms: Math.round(extra.tookMs * 1000) / 1000,
    ...(extra.ignored?.length ? { ignored: extra.ignored } : {}),
  };
  if (result.status === 'completed' && result.root_cause) return { ...base, status: 'completed', root_cause: result.root_cause };
  if (result.root_cause) {
    return { ...base, status: 'partial', root_cause: result.root_cause, error: `best cause ${result.root_cause.type} is below the requested confidence` };
  }
  return { ...base, status: 'partial', error: NO_FAULT_MESSAGE };
}
