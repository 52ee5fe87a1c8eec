/**
 * Agents: list (keyset pages by agent id), one, deregister.
 */
import { z } from 'zod';
import { NotFoundError, clusterId } from '../contracts/index.js';
import type { Store } from '../adapters/store/index.js';
import type { ApiRoutes } from './route-registry.js';

const agentListQuery = z.strictObject({
  cluster_id: clusterId.optional(),
  status: z.enum(['online', 'offline']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(1024).optional(),
});

const idParam = z.object({ id: z.string().min(1).max(253) });

export function addAgentRoutes(routes: ApiRoutes, o: { store: Store }): void {
  const { store } = o;
  const notFound = { 400: 'invalid id', 404: 'no such agent' };

  routes.add(
    { method: 'GET', path: '/api/v1/agents', tag: 'agents', summary: 'Registered agents, by agent id', query: agentListQuery, responses: { 200: '{ items: Agent[], next_cursor }', 400: 'invalid query' } },
    async ({ query }) => {
      const page = await store.agents.listPage(query);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

  routes.add({ method: 'GET', path: '/api/v1/agents/:id', tag: 'agents', summary: 'One agent', params: idParam, responses: { 200: 'the agent', ...notFound } }, async ({ params }) => {
    const agent = await store.agents.get(params.id);
    if (!agent) throw new NotFoundError(`agent ${JSON.stringify(params.id)} not found`);
    return agent;
  });

  routes.add(
    {
      method: 'DELETE',
      path: '/api/v1/agents/:id',
      tag: 'agents',
      summary: "Deregister an agent (a running agent's heartbeats are then ignored until it registers again at its next start)",
      params: idParam,
      responses: { 204: 'deregistered', ...notFound },
    },
    async ({ params, reply }) => {
      if (!(await store.agents.delete(params.id))) throw new NotFoundError(`agent ${JSON.stringify(params.id)} not found`);
      return reply.status(204).send();
    },
  );
}
