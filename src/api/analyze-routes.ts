/**
 * `POST /api/v1/analyze/root-cause`: the architecture's AI analysis request over HTTP. The body is an
 * `ai.reasoning.request` without the envelope fields a client should not have to invent
 * (`schema_version`, `request_id` and `analysis_type` are filled in); it is sent over the bus to the
 * reasoning service and its reply is returned as it came (docs/reasoning.md).
 */
import { randomUUID } from 'node:crypto';
import { AI_SUBJECTS, SCHEMA_VERSION, TimeoutError, UnavailableError, errorMessage, parseDuration, reasoningRequest } from '../contracts/index.js';
import type { Bus } from '../adapters/bus/index.js';
import type { ApiRoutes } from './route-registry.js';

export interface AnalyzeRouteOptions {
  bus: Bus;
  /** How long to wait for the reasoning service (`reasoning.request_timeout`). */
  timeoutMs: number;
}

const analyzeBody = reasoningRequest.omit({ schema_version: true, request_id: true, analysis_type: true }).extend({
  request_id: reasoningRequest.shape.request_id.optional(),
  schema_version: reasoningRequest.shape.schema_version.optional(),
});

export function addAnalyzeRoutes(routes: ApiRoutes, o: AnalyzeRouteOptions): void {
  routes.add(
    {
      method: 'POST',
      path: '/api/v1/analyze/root-cause',
      tag: 'analysis',
      summary: 'Ranked root causes with evidence and recommendations for an event, its logs, metrics and surrounding objects',
      body: analyzeBody,
      responses: { 200: 'the analysis (status completed or partial)', 400: 'invalid body', 503: 'no reasoning service answered', 504: 'the reasoning service did not answer in time' },
    },
    async ({ body }) => {
      const request = { ...body, schema_version: SCHEMA_VERSION, request_id: body.request_id ?? randomUUID(), analysis_type: 'root_cause' as const };
      let reply;
      try {
        reply = await o.bus.request(AI_SUBJECTS.reasoningRequest, request, { timeoutMs: Math.min(o.timeoutMs, parseDuration(body.options.timeout)) });
      } catch (err) {
        if (err instanceof TimeoutError) throw new TimeoutError(`the reasoning service did not answer within ${o.timeoutMs} ms`, { cause: err });
        throw new UnavailableError(`no reasoning service answered (start one with --target reasoning, or all): ${errorMessage(err)}`, { cause: err });
      }
      return reply.json();
    },
  );
}
