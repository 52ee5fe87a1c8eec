/**
 * The HTTP server of a process that serves no REST API (the agent alone): `/health/live`,
 * `/health/ready` and `/metrics` on node:http, without fastify. The agent's resident memory is budgeted
 * (under 128 MB on a 5,000-pod cluster) and a web framework would spend a tenth of it on three routes.
 * Same paths, bodies and status codes as the full server (http-server.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from '../telemetry/health.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface ProbeServerOptions {
  logger: Logger;
  metrics: Metrics;
  health: Health;
  /** Longest a request may take; default 30s. */
  requestTimeoutMs?: number;
}

export interface ProbeServer {
  readonly server: Server;
  /** @throws Error when the address cannot be bound. */
  listen(options: { host: string; port: number }): Promise<AddressInfo>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

export function createProbeServer(options: ProbeServerOptions): ProbeServer {
  const log = options.logger.child({ component: 'http' });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let route = 'unmatched';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: { name: 'InputError', code: 'AETHERIUS_E_INPUT', message: `method ${req.method ?? ''} not allowed on ${path}` } });
    } else if (path === '/health/live') {
      route = path;
      json(res, 200, { status: 'live' });
    } else if (path === '/health/ready') {
      route = path;
      const report = await options.health.readiness();
      json(res, report.status === 'ready' ? 200 : 503, report);
    } else if (path === '/metrics') {
      route = path;
      const { contentType, body } = await options.metrics.exposition();
      send(res, 200, contentType, body);
    } else {
      json(res, 404, { error: { name: 'NotFoundError', code: 'AETHERIUS_E_NOT_FOUND', message: `no route for ${req.method ?? ''} ${path}` } });
    }
    options.metrics.httpRequestDuration.observe({ method: req.method ?? '', route, status_code: String(res.statusCode) }, (performance.now() - started) / 1000);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'probe request failed');
      if (!res.headersSent) json(res, 500, { error: { name: 'InternalError', code: 'AETHERIUS_E_INTERNAL', message: 'internal error; see the server log' } });
      else res.destroy();
    });
  });
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  return {
    server,
    listen({ host, port }) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
