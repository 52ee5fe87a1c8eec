/**
 * A cluster's overall status from what the control plane knows about it: its agents, its nodes'
 * readiness and its open incidents. One rule, documented in docs/api.md:
 *
 * 1. `critical` — an open P0 incident, or at least half of the cluster's nodes not ready (when the
 *    node count is known from the agent's metrics).
 * 2. `unknown` — otherwise, when no agent of the cluster is live (none registered, or none reported
 *    within 3 heartbeat intervals): what is not reported cannot be called healthy.
 * 3. `degraded` — otherwise, an open P1 or P2 incident, a node not ready, an agent offline while
 *    another is live, or an agent reporting itself `degraded`.
 * 4. `healthy` — none of the above. P3 incidents are listed but do not change the status.
 *
 * `reasons` lists every condition found, most serious first, so a person sees why.
 */
import type { IncidentSeverity } from '../contracts/index.js';

export type ClusterStatus = 'healthy' | 'degraded' | 'critical' | 'unknown';

export interface ClusterHealthFacts {
  agents: readonly { agent_id: string; live: boolean; reported?: 'healthy' | 'degraded' | undefined }[];
  /**
   * `total` undefined when only the nodes not ready are known (from events), not how many there are;
   * `names` may be fewer than `notReady` (a split metrics message names nodes in its first part only).
   */
  nodes: { total?: number | undefined; notReady: number; names: readonly string[] };
  openIncidents: Readonly<Record<IncidentSeverity, number>>;
}

export function clusterStatus(facts: ClusterHealthFacts): { status: ClusterStatus; reasons: string[] } {
  const critical: string[] = [];
  const degraded: string[] = [];
  const { P0, P1, P2 } = facts.openIncidents;
  if (P0 > 0) critical.push(`open P0 incidents: ${P0}`);
  const { notReady, total, names } = facts.nodes;
  const which = names.length ? `: ${list(names)}` : '';
  if (total !== undefined && total > 0 && notReady * 2 >= total) critical.push(`${notReady} of ${total} nodes not ready${which}`);
  else if (notReady > 0) degraded.push(total !== undefined ? `${notReady} of ${total} nodes not ready${which}` : `nodes not ready${which || `: ${notReady}`}`);
  if (P1 + P2 > 0) degraded.push(`open P1/P2 incidents: ${P1 + P2}`);

  const live = facts.agents.filter((a) => a.live);
  const offline = facts.agents.filter((a) => !a.live);
  const unknown: string[] = [];
  if (live.length === 0) unknown.push(facts.agents.length === 0 ? 'no agent has registered for this cluster' : `no live agent (${list(offline.map((a) => a.agent_id))} missed their heartbeats)`);
  else if (offline.length > 0) degraded.push(`agents offline: ${list(offline.map((a) => a.agent_id))}`);
  const selfDegraded = live.filter((a) => a.reported === 'degraded');
  if (selfDegraded.length) degraded.push(`agents reporting themselves degraded: ${list(selfDegraded.map((a) => a.agent_id))}`);

  const reasons = [...critical, ...unknown, ...degraded];
  if (critical.length) return { status: 'critical', reasons };
  if (unknown.length) return { status: 'unknown', reasons };
  if (degraded.length) return { status: 'degraded', reasons };
  return { status: 'healthy', reasons };
}

/** The first five, then an ellipsis. */
function list(items: readonly string[]): string {
  return items.slice(0, 5).join(', ') + (items.length > 5 ? `, … (${items.length} in all)` : '');
}
