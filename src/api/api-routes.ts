/**
 * REST API, `/api/v1`: agents (agent-routes.ts), clusters and their health (cluster-routes.ts), events
 * (list, search), commands (command-routes.ts), the live stream (stream-routes.ts); more with issue 5
 * (incidents, metrics). Every route is declared with the schemas of its inputs (route-registry.ts):
 * they validate requests and generate `/api/openapi.json`. Errors go through the server's one error
 * handler.
 */
import { z } from 'zod';
import { NotFoundError, clusterId, severity, timestamp } from '../contracts/index.js';
import type { Bus } from '../adapters/bus/index.js';
import type { HttpServer } from '../adapters/http/index.js';
import type { Store } from '../adapters/store/index.js';
import type { Health, Logger, Metrics } from '../adapters/telemetry/index.js';
import { addAgentRoutes } from './agent-routes.js';
import { addAnalyzeRoutes, type AnalyzeRouteOptions } from './analyze-routes.js';
import { addClusterRoutes } from './cluster-routes.js';
import { addStreamRoutes, type StreamRouteOptions } from './stream-routes.js';
import { addCommandRoutes, type CommandRouteOptions } from './command-routes.js';
import { addIncidentRoutes } from './incident-routes.js';
import { addMetricRoutes, type MetricRouteOptions } from './metric-routes.js';
import { ApiRoutes } from './route-registry.js';

export interface ApiDeps {
  store: Store;
  health: Health;
  /** Command dispatch (POST /api/v1/commands); without it those routes are not served. */
  commands?: Omit<CommandRouteOptions, 'store'>;
  /** The bus this process listens on: the live stream and the clusters' latest metrics (node readiness). */
  bus?: Bus | undefined;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
  /** `GET /api/v1/stream` (needs `bus` and `logger`); without it the route is not served. */
  stream?: Omit<StreamRouteOptions, 'bus' | 'logger' | 'metrics'>;
  /** `GET /api/v1/metrics/range` and `/query`; without it those routes are not served. */
  metricQueries?: Omit<MetricRouteOptions, 'store'>;
  /** `POST /api/v1/analyze/*`, answered by the reasoning service over the bus; without it not served. */
  analysis?: AnalyzeRouteOptions;
  version?: string;
}

const eventListQuery = z.strictObject({
  cluster_id: clusterId.optional(),
  namespace: z.string().max(253).optional(),
  kind: z.string().max(128).optional(),
  name: z.string().max(253).optional(),
  reason: z.string().max(128).optional(),
  severity: severity.optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(1024).optional(),
});

/** `POST /api/v1/events/search`: the list filters plus `text` (web-search syntax), in a JSON body. */
const eventSearchBody = eventListQuery
  .extend({
    text: z.string().max(1024).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

const idParam = z.object({ id: z.string().min(1).max(253) });

export function registerApiRoutes(app: HttpServer, deps: ApiDeps): ApiRoutes {
  const { store } = deps;
  const routes = new ApiRoutes(app);
  const notFound = { 400: 'invalid id', 404: 'no such object' };

  addAgentRoutes(routes, { store });
  addClusterRoutes(routes, { store, bus: deps.bus, logger: deps.logger });
  if (deps.stream && deps.bus && deps.logger) addStreamRoutes(app, routes, { ...deps.stream, bus: deps.bus, logger: deps.logger, metrics: deps.metrics });

  routes.add(
    { method: 'GET', path: '/api/v1/events', tag: 'events', summary: 'Stored events (repeats aggregated), newest first', query: eventListQuery, responses: { 200: '{ items: Event[], next_cursor }; each Event carries count, first_timestamp and last_timestamp', 400: 'invalid query' } },
    async ({ query }) => {
      const page = await store.events.list(query);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

  routes.add(
    { method: 'POST', path: '/api/v1/events/search', tag: 'events', summary: 'Full-text search over events, with filters', body: eventSearchBody, responses: { 200: '{ items: Event[], next_cursor }; each Event carries count, first_timestamp and last_timestamp', 400: 'invalid body' } },
    async ({ body }) => {
      const page = await store.events.list(body);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

  routes.add({ method: 'GET', path: '/api/v1/events/:id', tag: 'events', summary: 'The stored event (aggregate) that an event id was folded into', params: idParam, responses: { 200: 'the event, with count, first_timestamp and last_timestamp', ...notFound } }, async ({ params }) => {
    const event = await store.events.get(params.id);
    if (!event) throw new NotFoundError(`event ${JSON.stringify(params.id)} not found`);
    return event;
  });

  if (deps.commands) addCommandRoutes(routes, { store, ...deps.commands });
  addIncidentRoutes(routes, { store, bus: deps.bus });
  if (deps.analysis) addAnalyzeRoutes(routes, deps.analysis);
  if (deps.metricQueries) addMetricRoutes(routes, { store, ...deps.metricQueries });

  const document = () => routes.openapi({ title: 'Aetherius API', version: deps.version ?? '0.0.0' });
  app.get('/api/openapi.json', () => document());
  return routes;
}
