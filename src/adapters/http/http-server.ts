/**
 * The HTTP server every target shares: `/health/live`, `/health/ready`, `/metrics`, and whatever routes
 * the services in this process register (the REST API under `/api/v1`). Errors go through one handler.
 */
import { LogController, fastify, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { NotFoundError } from '../../contracts/index.js';
import type { Health } from '../telemetry/health.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { tracer } from '../telemetry/tracing.js';
import { errorHandler, toErrorResponse } from './error-handler.js';

export interface HttpServerOptions {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  /** Longest a request may take; default 30s. */
  requestTimeoutMs?: number;
  /** Largest request body in bytes; default 1 MiB. */
  bodyLimit?: number;
}

export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>;

const spans = new WeakMap<object, Span>();

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const loggerInstance: FastifyBaseLogger = options.logger.child({ component: 'http' });
  const app: HttpServer = fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    connectionTimeout: options.requestTimeoutMs ?? 30_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    return503OnClosing: true,
    // Errors the router raises before any route runs (an undecodable URL, an over-long parameter) get
    // the same body shape as every other error.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toErrorResponse(error);
      void (reply as unknown as FastifyReply).status(status >= 500 ? 400 : status).send(body);
    },
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request) => {
    throw new NotFoundError(`no route for ${request.method} ${request.url.split('?')[0] ?? ''}`);
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const span = tracer().startSpan(`HTTP ${request.method}`, { attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] } });
    spans.set(request, span);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpRequestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.updateName(`${request.method} ${route}`);
      span.end();
    }
    request.log.debug({ method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });

  app.get('/health/live', () => ({ status: 'live' }));
  app.get('/health/ready', async (_request, reply) => {
    const report = await options.health.readiness();
    return reply.status(report.status === 'ready' ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await options.metrics.exposition();
    return reply.type(contentType).send(body);
  });
  return app;
}
