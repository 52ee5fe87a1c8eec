/**
 * Incidents: `GET /api/v1/incidents` (filters, cursor pages), `GET /api/v1/incidents/{id}` with its
 * timeline, `POST /api/v1/incidents/{id}/resolve`. A person's resolution is announced on
 * `internal.incident.changed` like the manager's own; if the fault goes on, the manager opens a new incident.
 */
import { z } from 'zod';
import { INTERNAL_SUBJECTS, NotFoundError, SCHEMA_VERSION, clusterId, incidentSeverity, incidentStatus, type IncidentChange } from '../contracts/index.js';
import type { Bus } from '../adapters/bus/index.js';
import type { Store } from '../adapters/store/index.js';
import type { ApiRoutes } from './route-registry.js';

export interface IncidentRouteOptions {
  store: Store;
  /** Where resolutions are announced; without a bus they are only stored. */
  bus: Bus | undefined;
}

const listQuery = z.strictObject({
  cluster_id: clusterId.optional(),
  status: incidentStatus.optional(),
  severity: incidentSeverity.optional(),
  namespace: z.string().max(253).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(1024).optional(),
});

const idParam = z.object({ id: z.string().min(1).max(253) });

const resolveBody = z.strictObject({
  /** Who resolves it (until authentication arrives, the caller says). */
  resolved_by: z
    .string()
    .min(1)
    .max(253)
    .refine((v) => v !== 'auto', 'must not be "auto" (reserved for the manager\'s own resolutions)')
    .default('api'),
  reason: z.string().min(1).max(2048),
});

export function addIncidentRoutes(routes: ApiRoutes, o: IncidentRouteOptions): void {
  routes.add(
    { method: 'GET', path: '/api/v1/incidents', tag: 'incidents', summary: 'Incidents, newest opened first', query: listQuery, responses: { 200: '{ items: Incident[], next_cursor }', 400: 'invalid query' } },
    async ({ query }) => {
      const page = await o.store.incidents.list(query);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

  routes.add(
    { method: 'GET', path: '/api/v1/incidents/:id', tag: 'incidents', summary: 'An incident with its timeline', params: idParam, responses: { 200: 'the incident and its timeline', 404: 'no such incident' } },
    async ({ params }) => {
      const incident = await o.store.incidents.get(params.id);
      if (!incident) throw new NotFoundError(`incident ${JSON.stringify(params.id)} not found`);
      return incident;
    },
  );

  routes.add(
    {
      method: 'POST',
      path: '/api/v1/incidents/:id/resolve',
      tag: 'incidents',
      summary: 'Resolve an incident by hand',
      params: idParam,
      body: resolveBody,
      responses: { 200: 'the resolved incident', 400: 'invalid body', 404: 'no such incident', 409: 'resolved already' },
    },
    async ({ params, body }) => {
      const incident = await o.store.incidents.resolve(params.id, { by: body.resolved_by, reason: body.reason });
      const change: IncidentChange = { schema_version: SCHEMA_VERSION, change: 'resolved', incident };
      await o.bus?.publish(INTERNAL_SUBJECTS.incidentChanged, change);
      return incident;
    },
  );
}
