/**
 * REST API, `/api/v1`: agents, clusters, events (list, search), commands; more with issue 5 (incidents,
 * metrics). Every route is declared with the schemas of its inputs (route-registry.ts): they validate
 * requests and generate `/api/openapi.json`. Errors go through the server's one error handler.
 */
import { z } from 'zod';
import { NotFoundError, clusterId, severity, stringMap, timestamp } from '../contracts/index.js';
import type { HttpServer } from '../adapters/http/index.js';
import type { Store } from '../adapters/store/index.js';
import type { Health } from '../adapters/telemetry/index.js';
import { addCommandRoutes, type CommandRouteOptions } from './command-routes.js';
import { ApiRoutes } from './route-registry.js';

export interface ApiDeps {
  store: Store;
  health: Health;
  /** Command dispatch (POST /api/v1/commands); without it those routes are not served. */
  commands?: Omit<CommandRouteOptions, 'store'>;
  version?: string;
}

const agentListQuery = z.strictObject({ cluster_id: clusterId.optional(), status: z.enum(['online', 'offline']).optional() });

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

const clusterCreateBody = z.strictObject({
  id: clusterId,
  name: z.string().min(1).max(253),
  environment: z.string().max(64).optional(),
  labels: stringMap.optional(),
});

const idParam = z.object({ id: z.string().min(1).max(253) });

export function registerApiRoutes(app: HttpServer, deps: ApiDeps): ApiRoutes {
  const { store } = deps;
  const routes = new ApiRoutes(app);
  const notFound = { 400: 'invalid id', 404: 'no such object' };

  routes.add({ method: 'GET', path: '/api/v1/agents', tag: 'agents', summary: 'Registered agents', query: agentListQuery, responses: { 200: '{ items: Agent[] }', 400: 'invalid query' } }, async ({ query }) => ({
    items: await store.agents.list(query),
  }));

  routes.add({ method: 'GET', path: '/api/v1/agents/:id', tag: 'agents', summary: 'One agent', params: idParam, responses: { 200: 'the agent', ...notFound } }, async ({ params }) => {
    const agent = await store.agents.get(params.id);
    if (!agent) throw new NotFoundError(`agent ${JSON.stringify(params.id)} not found`);
    return agent;
  });

  routes.add({ method: 'DELETE', path: '/api/v1/agents/:id', tag: 'agents', summary: 'Deregister an agent', params: idParam, responses: { 204: 'deregistered', ...notFound } }, async ({ params, reply }) => {
    if (!(await store.agents.delete(params.id))) throw new NotFoundError(`agent ${JSON.stringify(params.id)} not found`);
    return reply.status(204).send();
  });

  routes.add({ method: 'GET', path: '/api/v1/clusters', tag: 'clusters', summary: 'Clusters', responses: { 200: '{ items: Cluster[] }' } }, async () => ({ items: await store.clusters.list() }));

  routes.add(
    { method: 'POST', path: '/api/v1/clusters', tag: 'clusters', summary: 'Register a cluster', body: clusterCreateBody, responses: { 201: 'the cluster', 400: 'invalid body', 409: 'the id exists' } },
    async ({ body, reply }) => reply.status(201).send(await store.clusters.create(body)),
  );

  routes.add({ method: 'GET', path: '/api/v1/clusters/:id', tag: 'clusters', summary: 'One cluster', params: idParam, responses: { 200: 'the cluster', ...notFound } }, async ({ params }) => {
    const cluster = await store.clusters.get(params.id);
    if (!cluster) throw new NotFoundError(`cluster ${JSON.stringify(params.id)} not found`);
    return cluster;
  });

  routes.add(
    { method: 'GET', path: '/api/v1/events', tag: 'events', summary: 'Stored events, newest first', query: eventListQuery, responses: { 200: '{ items: Event[], next_cursor }', 400: 'invalid query' } },
    async ({ query }) => {
      const page = await store.events.list(query);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

  routes.add(
    { method: 'POST', path: '/api/v1/events/search', tag: 'events', summary: 'Full-text search over events, with filters', body: eventSearchBody, responses: { 200: '{ items: Event[], next_cursor }', 400: 'invalid body' } },
    async ({ body }) => {
      const page = await store.events.list(body);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

  routes.add({ method: 'GET', path: '/api/v1/events/:id', tag: 'events', summary: 'One event as stored', params: idParam, responses: { 200: 'the event', ...notFound } }, async ({ params }) => {
    const event = await store.events.get(params.id);
    if (!event) throw new NotFoundError(`event ${JSON.stringify(params.id)} not found`);
    return event;
  });

  if (deps.commands) addCommandRoutes(routes, { store, ...deps.commands });

  const document = () => routes.openapi({ title: 'Aetherius API', version: deps.version ?? '0.0.0' });
  app.get('/api/openapi.json', () => document());
  return routes;
}
