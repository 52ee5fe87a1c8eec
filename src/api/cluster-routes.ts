/**
 * Clusters: register, list (keyset pages), one, and `GET /api/v1/clusters/{id}/health` — its agents,
 * node readiness, open incidents by severity, event rate and an overall status (core/cluster-health.ts
 * has the rule).
 *
 * Node readiness comes from the cluster's newest metrics message in the `AETHERIUS_METRICS` stream
 * (`cluster_metrics.ready_nodes`/`total_nodes`, `node_metrics[].ready`); when there is none, or it is
 * older than three metrics intervals, from the newest `NodeReady`/`NodeNotReady` signal per node in the
 * last hour of stored events (which names the nodes not ready but not how many nodes there are); else
 * it says `unknown`.
 */
import { z } from 'zod';
import {
  INCIDENT_SEVERITIES,
  NotFoundError,
  STREAMS,
  agentSubject,
  clusterId,
  clusterMetrics,
  errorMessage,
  parseDuration,
  stringMap,
  type IncidentSeverity,
} from '../contracts/index.js';
import type { Bus } from '../adapters/bus/index.js';
import { SqlClusterHealthQueries, type AgentRecord, type Store } from '../adapters/store/index.js';
import type { Logger } from '../adapters/telemetry/index.js';
import { isAgentLive } from '../core/agent-liveness.js';
import { clusterStatus, type ClusterStatus } from '../core/cluster-health.js';
import type { ApiRoutes } from './route-registry.js';

export interface ClusterRouteOptions {
  store: Store;
  /** Where the newest metrics message of a cluster is read; without it node readiness comes from events. */
  bus?: Bus | undefined;
  logger?: Logger | undefined;
  now?: () => number;
}

const clusterCreateBody = z.strictObject({
  id: clusterId,
  name: z.string().min(1).max(253),
  environment: z.string().max(64).optional(),
  labels: stringMap.optional(),
});

const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(1024).optional(),
});

const idParam = z.object({ id: z.string().min(1).max(253) });

/** Windows of the event rate, minutes. */
const RATE_WINDOWS = [5, 60] as const;
/** How far back node signals in events are believed. */
const NODE_SIGNAL_WINDOW_MS = 60 * 60_000;
const DEFAULT_METRICS_INTERVAL_MS = 60_000;
/** A metrics message older than this many of the agent's metrics intervals is stale. */
const STALE_METRICS_INTERVALS = 3;

/** What a metrics message must carry for node readiness; everything else in it is ignored. */
const metricsReadiness = z.object({
  cluster_id: z.string(),
  timestamp: z.string(),
  cluster_metrics: clusterMetrics,
  node_metrics: z.array(z.object({ name: z.string().min(1).max(253), ready: z.boolean() })).max(10_000).default([]),
});

export interface NodeReadiness {
  /** `metrics`: the agent's newest metrics message; `events`: stored node signals; `none`: unknown. */
  source: 'metrics' | 'events' | 'none';
  /** When the data was true (the metrics message's timestamp, or the newest node signal). */
  as_of: string | null;
  total: number | null;
  ready: number | null;
  /** Nodes not ready (from events: those whose newest readiness signal says so). */
  not_ready_count: number;
  /** Their names, when known (a split metrics message names nodes in its first part only). */
  not_ready: string[];
}

export interface ClusterHealth {
  cluster_id: string;
  status: ClusterStatus;
  reasons: string[];
  checked_at: string;
  agents: { agent_id: string; status: 'online' | 'offline'; reported_status: string | null; version: string; last_heartbeat_at: string | null }[];
  nodes: NodeReadiness;
  open_incidents: Record<IncidentSeverity, number>;
  event_rate: { last_5m_per_min: number; last_60m_per_min: number; events_5m: number; events_60m: number };
}

export function addClusterRoutes(routes: ApiRoutes, o: ClusterRouteOptions): void {
  const { store } = o;
  const now = o.now ?? Date.now;
  const queries = new SqlClusterHealthQueries(store.sql);
  const notFound = { 400: 'invalid id', 404: 'no such cluster' };

  routes.add(
    { method: 'GET', path: '/api/v1/clusters', tag: 'clusters', summary: 'Clusters, by id', query: pageQuery, responses: { 200: '{ items: Cluster[], next_cursor }', 400: 'invalid query' } },
    async ({ query }) => {
      const page = await store.clusters.listPage(query);
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    },
  );

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
    {
      method: 'GET',
      path: '/api/v1/clusters/:id/health',
      tag: 'clusters',
      summary: 'Agent status, node readiness, open incidents by severity, event rate and an overall status',
      params: idParam,
      responses: { 200: '{ cluster_id, status, reasons, agents, nodes, open_incidents, event_rate }', ...notFound },
    },
    async ({ params }): Promise<ClusterHealth> => {
      const id = params.id;
      const [cluster, agents] = await Promise.all([store.clusters.get(id), store.agents.list({ cluster_id: id })]);
      if (!cluster && agents.length === 0) throw new NotFoundError(`cluster ${JSON.stringify(id)} not found`);
      const at = now();
      const [nodes, incidents, rates] = await Promise.all([
        nodeReadiness(id, agents, at),
        store.incidents.countOpenBySeverity(id),
        queries.eventRates(id, new Date(at), RATE_WINDOWS),
      ]);
      const openIncidents = Object.fromEntries(INCIDENT_SEVERITIES.map((s) => [s, incidents[s] ?? 0])) as Record<IncidentSeverity, number>;
      const agentViews = agents.map((a) => ({
        agent_id: a.agent_id,
        status: isAgentLive(a, at) ? ('online' as const) : ('offline' as const),
        reported_status: typeof a.heartbeat?.['status'] === 'string' ? a.heartbeat['status'] : null,
        version: a.version,
        last_heartbeat_at: a.last_heartbeat_at,
      }));
      const verdict = clusterStatus({
        agents: agentViews.map((a) => ({ agent_id: a.agent_id, live: a.status === 'online', reported: a.reported_status === 'degraded' ? 'degraded' : 'healthy' })),
        nodes: { total: nodes.total ?? undefined, notReady: nodes.not_ready_count, names: nodes.not_ready },
        openIncidents,
      });
      const [r5, r60] = rates;
      return {
        cluster_id: id,
        status: verdict.status,
        reasons: verdict.reasons,
        checked_at: new Date(at).toISOString(),
        agents: agentViews,
        nodes,
        open_incidents: openIncidents,
        event_rate: { last_5m_per_min: r5?.per_minute ?? 0, last_60m_per_min: r60?.per_minute ?? 0, events_5m: r5?.events ?? 0, events_60m: r60?.events ?? 0 },
      };
    },
  );

  async function nodeReadiness(id: string, agents: readonly AgentRecord[], at: number): Promise<NodeReadiness> {
    const fromMetrics = await readinessFromMetrics(id, agents, at).catch((err: unknown) => {
      o.logger?.warn({ clusterId: id, err: errorMessage(err) }, 'cluster health: could not read the latest metrics message; using node events');
      return undefined;
    });
    if (fromMetrics) return fromMetrics;
    const signals = await queries.nodeReadinessSignals(id, new Date(at - NODE_SIGNAL_WINDOW_MS));
    if (signals.length === 0) return { source: 'none', as_of: null, total: null, ready: null, not_ready_count: 0, not_ready: [] };
    const notReady = signals.filter((s) => !s.ready).map((s) => s.node);
    return { source: 'events', as_of: signals.map((s) => s.since).sort().at(-1) ?? null, total: null, ready: null, not_ready_count: notReady.length, not_ready: notReady };
  }

  async function readinessFromMetrics(id: string, agents: readonly AgentRecord[], at: number): Promise<NodeReadiness | undefined> {
    if (!o.bus) return undefined;
    const msg = await o.bus.lastMessage(STREAMS.metrics.name, agentSubject(id, 'metrics'));
    if (!msg) return undefined;
    const interval = Math.max(DEFAULT_METRICS_INTERVAL_MS, ...agents.map(metricsIntervalMs));
    if (at - msg.storedAt > STALE_METRICS_INTERVALS * interval) return undefined;
    const parsed = metricsReadiness.safeParse(msg.json());
    if (!parsed.success || parsed.data.cluster_id !== id) return undefined;
    const m = parsed.data;
    const total = m.cluster_metrics.total_nodes;
    const ready = Math.min(m.cluster_metrics.ready_nodes, total);
    // Later parts of a split collection carry no node list; their counts still hold.
    return { source: 'metrics', as_of: m.timestamp, total, ready, not_ready_count: total - ready, not_ready: m.node_metrics.filter((n) => !n.ready).map((n) => n.name) };
  }
}

function metricsIntervalMs(agent: AgentRecord): number {
  const text = agent.config['metrics_interval'];
  if (typeof text !== 'string') return DEFAULT_METRICS_INTERVAL_MS;
  try {
    return parseDuration(text) || DEFAULT_METRICS_INTERVAL_MS;
  } catch {
    return DEFAULT_METRICS_INTERVAL_MS;
  }
}
