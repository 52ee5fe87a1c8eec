/**
 * The one place where errors become HTTP responses. Body: `{ "error": { "name", "code", "message" } }`
 * plus `issues` for input errors. Unexpected errors are logged with their stack and answered with a
 * generic 500 that leaks nothing.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  AetheriusError,
  ConflictError,
  InputError,
  NoRespondersError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  TimeoutError,
  UnavailableError,
  KubeApiError,
  PayloadTooLargeError,
  RateLimitedError,
  type ValidationIssue,
} from '../../contracts/index.js';

export interface ErrorBody {
  error: { name: string; code: string; message: string; issues?: readonly ValidationIssue[] };
}

export function statusFor(err: AetheriusError): number {
  if (err instanceof InputError) return 400;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof NotAllowedError) return 403;
  if (err instanceof NotImplementedError) return 501;
  if (err instanceof TimeoutError) return 504;
  if (err instanceof NoRespondersError || err instanceof UnavailableError) return 503;
  if (err instanceof KubeApiError) return 502;
  if (err instanceof PayloadTooLargeError) return 413;
  if (err instanceof RateLimitedError) return 429;
  return 500;
}

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AetheriusError) {
    const body: ErrorBody = { error: { name: err.name, code: err.code, message: err.message } };
    if (err instanceof InputError && err.issues.length) body.error.issues = err.issues;
    return { status: statusFor(err), body };
  }
  const fe = err as Partial<FastifyError>;
  // fastify's own client errors: malformed JSON, wrong content type, body too large...
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 413 ? 'AETHERIUS_E_PAYLOAD_TOO_LARGE' : fe.statusCode === 404 ? 'AETHERIUS_E_NOT_FOUND' : 'AETHERIUS_E_INPUT';
    return { status: fe.statusCode, body: { error: { name: fe.statusCode === 413 ? 'PayloadTooLargeError' : 'InputError', code, message: fe.message ?? 'bad request' } } };
  }
  return { status: 500, body: { error: { name: 'InternalError', code: 'AETHERIUS_E_INTERNAL', message: 'internal error; see the server log' } } };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) request.log.error({ err, route: request.routeOptions.url }, 'request failed');
  else request.log.debug({ err: { message: body.error.message, code: body.error.code } }, 'request rejected');
  void reply.status(status).send(body);
}
