/**
 * Agent liveness: an agent that missed three heartbeats (of its own interval, as it registered it) is
 * marked `offline` and an `AgentOffline` alert fires on `internal.metrics.alert`; the next heartbeat or
 * registration brings it back `online` and resolves the alert. Every manager replica sweeps; the
 * store's conditional update hands each transition to exactly one of them, so an alert fires once.
 */
import { INTERNAL_SUBJECTS, SCHEMA_VERSION, errorMessage, type MetricsAlert } from '../contracts/index.js';
import { MISSED_HEARTBEATS, heartbeatIntervalMs, isAgentLive } from '../core/agent-liveness.js';
import type { Bus } from '../adapters/bus/index.js';
import type { AgentRecord, Store } from '../adapters/store/index.js';
import type { Logger } from '../adapters/telemetry/index.js';

export function agentAlert(agent: AgentRecord, status: 'firing' | 'resolved', now: Date): MetricsAlert {
  const interval = heartbeatIntervalMs(agent);
  return {
    schema_version: SCHEMA_VERSION,
    id: `agent-offline-${agent.agent_id}-${Date.parse(agent.last_heartbeat_at ?? agent.registered_at)}`.slice(0, 253),
    cluster_id: agent.cluster_id,
    timestamp: now.toISOString(),
    alert: 'AgentOffline',
    severity: 'high',
    status,
    resource: { kind: 'Agent', name: agent.agent_id },
    summary:
      status === 'firing'
        ? `agent ${agent.agent_id} of cluster ${agent.cluster_id} missed ${MISSED_HEARTBEATS} heartbeats`
        : `agent ${agent.agent_id} of cluster ${agent.cluster_id} is reporting again`,
    description: `last heartbeat ${agent.last_heartbeat_at ?? `never (registered ${agent.registered_at})`}; heartbeat interval ${interval / 1000}s`,
    labels: { cluster_id: agent.cluster_id, agent_id: agent.agent_id },
  };
}

export interface AgentLivenessOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** How often to sweep. Default 5 s. */
  everyMs?: number;
  now?: () => number;
  /** Called once per agent this replica marked offline (the incident engine opens its incident). */
  onOffline?: (agent: AgentRecord) => Promise<void>;
}

/** One sweep: marks overdue agents offline and fires their alerts; returns the agents it marked. */
export async function sweepAgents(o: AgentLivenessOptions): Promise<AgentRecord[]> {
  const now = o.now?.() ?? Date.now();
  const online = await o.store.agents.list({ status: 'online' });
  // One conditional update per distinct interval: each agent is judged by its own heartbeat interval.
  const byInterval = new Map<number, string[]>();
  for (const a of online) {
    if (isAgentLive(a, now)) continue;
    const interval = heartbeatIntervalMs(a);
    byInterval.set(interval, [...(byInterval.get(interval) ?? []), a.agent_id]);
  }
  const marked: AgentRecord[] = [];
  for (const [interval, ids] of byInterval) marked.push(...(await o.store.agents.markOfflineBefore(new Date(now - MISSED_HEARTBEATS * interval), ids)));
  for (const agent of marked) {
    o.logger.warn({ agentId: agent.agent_id, clusterId: agent.cluster_id, lastHeartbeat: agent.last_heartbeat_at }, 'agent offline: missed heartbeats');
    const alert = agentAlert(agent, 'firing', new Date(now));
    await o.bus.publish(INTERNAL_SUBJECTS.metricsAlert, alert, { msgId: `${alert.id}-firing` });
    await o.onOffline?.(agent);
  }
  return marked;
}

/** Sweeps every `everyMs` until stopped. */
export function startAgentLiveness(o: AgentLivenessOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepAgents(o)
      .catch((err: unknown) => o.logger.error({ err: errorMessage(err) }, 'agent liveness sweep failed'))
      .finally(() => (running = false));
  }, o.everyMs ?? 5000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
