/**
 * REST API, `/api/v1`. This issue serves the resources the foundation stores (agents, clusters,
 * events); issue 5 adds search, incidents, metrics and commands. Bodies and query strings are validated
 * with the wire schemas; errors go through the server's one error handler.
 */
import { z } from 'zod';
import { NotFoundError, clusterId, parseWith, severity, stringMap, timestamp } from '../contracts/index.js';
import type { HttpServer } from '../adapters/http/index.js';
import type { Store } from '../adapters/store/index.js';
import type { Health } from '../adapters/telemetry/index.js';

export interface ApiDeps {
  store: Store;
  health: Health;
}

const agentListQuery = z.strictObject({ cluster_id: z.string().optional(), status: z.enum(['online', 'offline']).optional() });

const eventListQuery = z.strictObject({
  cluster_id: z.string().max(63).optional(),
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

export function registerApiRoutes(app: HttpServer, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/api/v1/agents', async (req) => {
    const query = parseWith(agentListQuery, req.query, 'query');
    return { items: await store.agents.list(query) };
  });

  app.get('/api/v1/agents/:id', async (req) => {
    const { id } = parseWith(idParam, req.params, 'path');
    const agent = await store.agents.get(id);
    if (!agent) throw new NotFoundError(`agent ${JSON.stringify(id)} not found`);
    return agent;
  });

  app.delete('/api/v1/agents/:id', async (req, reply) => {
    const { id } = parseWith(idParam, req.params, 'path');
    if (!(await store.agents.delete(id))) throw new NotFoundError(`agent ${JSON.stringify(id)} not found`);
    return reply.status(204).send();
  });

  app.get('/api/v1/clusters', async () => ({ items: await store.clusters.list() }));

  app.post('/api/v1/clusters', async (req, reply) => {
    const body = parseWith(clusterCreateBody, req.body, 'request body');
    return reply.status(201).send(await store.clusters.create(body));
  });

  app.get('/api/v1/clusters/:id', async (req) => {
    const { id } = parseWith(idParam, req.params, 'path');
    const cluster = await store.clusters.get(id);
    if (!cluster) throw new NotFoundError(`cluster ${JSON.stringify(id)} not found`);
    return cluster;
  });

  app.get('/api/v1/events', async (req) => {
    const query = parseWith(eventListQuery, req.query, 'query');
    return store.events.list(query);
  });

  app.post('/api/v1/events/search', async (req) => {
    const body = parseWith(eventSearchBody, req.body ?? {}, 'body');
    const page = await store.events.list(body);
    return { items: page.items, next_cursor: page.next_cursor ?? null };
  });

  app.get('/api/v1/events/:id', async (req) => {
    const { id } = parseWith(idParam, req.params, 'path');
    const event = await store.events.get(id);
    if (!event) throw new NotFoundError(`event ${JSON.stringify(id)} not found`);
    return event;
  });
}
