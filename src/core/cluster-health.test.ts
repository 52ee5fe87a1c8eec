import { describe, expect, it } from 'vitest';
import { clusterStatus, type ClusterHealthFacts } from './cluster-health.js';

const none = { P0: 0, P1: 0, P2: 0, P3: 0 };
const live = [{ agent_id: 'a1', live: true, reported: 'healthy' as const }];
const facts = (over: Partial<ClusterHealthFacts>): ClusterHealthFacts => ({ agents: live, nodes: { total: 3, notReady: 0, names: [] }, openIncidents: none, ...over });

describe('clusterStatus', () => {
  it('is healthy with a live agent, every node ready and no incident above P3', () => {
    expect(clusterStatus(facts({ openIncidents: { ...none, P3: 4 } }))).toEqual({ status: 'healthy', reasons: [] });
  });

  it('is critical with an open P0 incident or half the nodes not ready, even without a live agent', () => {
    expect(clusterStatus(facts({ openIncidents: { ...none, P0: 1 } })).status).toBe('critical');
    const half = clusterStatus(facts({ nodes: { total: 4, notReady: 2, names: ['n1', 'n2'] } }));
    expect(half).toEqual({ status: 'critical', reasons: ['2 of 4 nodes not ready: n1, n2'] });
    const blind = clusterStatus(facts({ agents: [], openIncidents: { ...none, P0: 2 } }));
    expect(blind.status).toBe('critical');
    expect(blind.reasons).toEqual(['open P0 incidents: 2', 'no agent has registered for this cluster']);
  });

  it('is unknown when no agent is live, whatever else is degraded', () => {
    const r = clusterStatus(facts({ agents: [{ agent_id: 'a1', live: false }], openIncidents: { ...none, P1: 1 } }));
    expect(r.status).toBe('unknown');
    expect(r.reasons[0]).toContain('no live agent (a1 missed their heartbeats)');
  });

  it('is degraded by a P1/P2 incident, one node not ready, an offline second agent or a self-reported degraded agent', () => {
    expect(clusterStatus(facts({ openIncidents: { ...none, P2: 1 } })).status).toBe('degraded');
    expect(clusterStatus(facts({ nodes: { total: 3, notReady: 1, names: ['n3'] } })).reasons).toEqual(['1 of 3 nodes not ready: n3']);
    expect(clusterStatus(facts({ nodes: { notReady: 1, names: ['n3'] } })).reasons).toEqual(['nodes not ready: n3']);
    expect(clusterStatus(facts({ agents: [...live, { agent_id: 'a2', live: false }] })).reasons).toEqual(['agents offline: a2']);
    expect(clusterStatus(facts({ agents: [{ agent_id: 'a1', live: true, reported: 'degraded' }] })).status).toBe('degraded');
  });

  it('never calls nodes known only from events critical: their total is unknown', () => {
    expect(clusterStatus(facts({ nodes: { notReady: 5, names: ['a', 'b', 'c', 'd', 'e', 'f'].slice(0, 5) } })).status).toBe('degraded');
  });
});
