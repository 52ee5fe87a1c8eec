/**
 * `GET /api/v1/stream`: Server-Sent Events of agent events (`event: k8s_event`) and incident changes
 * (`event: incident`), filtered by cluster, namespace, lowest severity and kind. Works in an `api`-only
 * process: it listens on the bus, not in the manager. The hub (stream-hub.ts) holds the rules for slow
 * clients, heartbeats and the cap on open streams; docs/api.md describes the frames.
 */
import { z } from 'zod';
import { clusterId, severity } from '../contracts/index.js';
import type { Bus } from '../adapters/bus/index.js';
import type { HttpServer } from '../adapters/http/index.js';
import type { Logger, Metrics } from '../adapters/telemetry/index.js';
import type { ApiRoutes } from './route-registry.js';
import { StreamHub, streamKinds, type StreamHubOptions } from './stream-hub.js';

export interface StreamRouteOptions {
  bus: Bus;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** `server.max_streams`. */
  maxStreams: number;
  /** Tests shorten these. */
  hub?: Partial<Pick<StreamHubOptions, 'heartbeatMs' | 'maxBufferedBytes' | 'stuckMs' | 'retryMs'>>;
}

const KIND_LIST = /^(events|incidents)(,(events|incidents))?$/;

const streamQuery = z.strictObject({
  cluster_id: clusterId.optional(),
  namespace: z.string().min(1).max(253).optional(),
  min_severity: severity.optional(),
  types: z.string().max(32).regex(KIND_LIST, 'must be events, incidents, or events,incidents').optional(),
});

/** Registers the route and ends every open stream when the server closes; returns the hub. */
export function addStreamRoutes(app: HttpServer, routes: ApiRoutes, o: StreamRouteOptions): StreamHub {
  const hub = new StreamHub({ bus: o.bus, logger: o.logger.child({ component: 'stream' }), metrics: o.metrics, maxClients: o.maxStreams, ...o.hub });
  // Open streams would hold the server's close forever.
  app.addHook('preClose', async () => hub.close());

  routes.add(
    {
      method: 'GET',
      path: '/api/v1/stream',
      tag: 'stream',
      summary: 'Live Server-Sent Events: event: k8s_event (agent events) and event: incident (incident changes), with heartbeat comments',
      query: streamQuery,
      produces: 'text/event-stream',
      responses: { 200: 'an endless text/event-stream', 400: 'invalid query', 429: 'server.max_streams streams are open' },
    },
    async ({ query, request, reply }) => {
      // fastify answers HEAD through GET routes: headers only, no stream.
      if (request.method === 'HEAD') return reply.status(200).type('text/event-stream; charset=utf-8').send();
      hub.reserve();
      reply.hijack();
      const res = reply.raw;
      let opened = false;
      try {
        // A stream is long-lived by design: the server's idle timeout must not cut it; heartbeats and
        // TCP keep-alive find clients that went away.
        request.raw.socket.setTimeout(0);
        request.raw.socket.setKeepAlive(true, 30_000);
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        opened = true;
        await hub.open({ kinds: streamKinds(query.types), clusterId: query.cluster_id, namespace: query.namespace, minSeverity: query.min_severity ?? 'low' }, res);
      } catch (err) {
        if (!opened) hub.release();
        o.logger.warn({ err }, 'stream could not be opened');
        res.destroy();
      }
    },
  );
  return hub;
}
