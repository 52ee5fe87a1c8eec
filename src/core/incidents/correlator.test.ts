import { describe, expect, it } from 'vitest';
import type { AgentEvent, Severity } from '../../contracts/index.js';
import { Correlator, type CorrelatorAction } from './correlator.js';
import { toSignal } from './signal.js';

const T0 = Date.parse('2025-09-30T10:00:00Z');
let seq = 0;

interface Ev {
  t: number;
  reason: string;
  severity: Severity;
  kind?: string;
  name?: string;
  ns?: string;
  node?: string;
  owner?: [string, string];
  message?: string;
  raw?: Record<string, unknown>;
  cluster?: string;
}

function ev(e: Ev): AgentEvent {
  const kind = e.kind ?? 'Pod';
  return {
    schema_version: 1,
    id: `e${++seq}`,
    cluster_id: e.cluster ?? 'c1',
    timestamp: new Date(T0 + e.t * 1000).toISOString(),
    type: 'k8s_event',
    source: 'test',
    severity: e.severity,
    reason: e.reason,
    message: e.message ?? e.reason,
    namespace: kind === 'Node' ? '' : (e.ns ?? 'shop'),
    labels: { kind, name: e.name ?? 'checkout-abc-1', ...(e.node ? { node: e.node } : {}) },
    raw_data: { count: 1, first_timestamp: new Date(T0).toISOString(), last_timestamp: new Date(T0).toISOString(), ...e.raw },
    ...(e.owner ? { owners: [{ kind: 'ReplicaSet', name: `${e.owner[1]}-abc` }, { kind: e.owner[0], name: e.owner[1] }] } : {}),
  };
}

function run(events: Ev[], endT: number, c = new Correlator()): CorrelatorAction[] {
  const out: CorrelatorAction[] = [];
  for (const e of [...events].sort((a, b) => a.t - b.t)) out.push(...c.ingest([toSignal(ev(e))], T0));
  out.push(...c.advance(events[0]?.cluster ?? 'c1', T0 + endT * 1000, T0));
  return out;
}

const opened = (a: CorrelatorAction[]) => a.filter((x) => x.type === 'open').map((x) => (x.type === 'open' ? x.draft : undefined)!);
const crash = (t: number, app: string, ns = 'shop'): Ev => ({ t, reason: 'CrashLoopBackOff', severity: 'critical', ns, name: `${app}-abc-${t}`, owner: ['Deployment', app] });

describe('Correlator', () => {
  it('rolls pod signals up to their Deployment and opens one incident after the group wait', () => {
    const actions = run([crash(0, 'checkout'), crash(10, 'checkout'), { t: 20, reason: 'BackOff', severity: 'high', name: 'checkout-abc-2', owner: ['Deployment', 'checkout'] }], 200);
    const inc = opened(actions);
    expect(inc).toHaveLength(1);
    expect(inc[0]).toMatchObject({ resource: { kind: 'Deployment', namespace: 'shop', name: 'checkout' }, category: 'pod_failure', suggested_workflow: 'diagnose_pod_crashloop' });
    expect(inc[0]?.severity).toBe('P1');
    expect(inc[0]?.blast_radius.pods).toBe(3);
  });

  it('does not open before the group wait is over', () => {
    expect(opened(run([crash(0, 'checkout')], 60))).toHaveLength(0);
    expect(opened(run([crash(0, 'checkout')], 91))).toHaveLength(1);
  });

  it('ignores noise: a probe blip, one transient high signal, a start-up instant', () => {
    const blip = Array.from({ length: 30 }, (_, i): Ev => ({ t: i * 5, reason: 'Unhealthy', severity: 'medium', name: 'orders-abc-1', owner: ['Deployment', 'orders'] }));
    expect(opened(run([...blip, { t: 100, reason: 'MinimumReplicasUnavailable', severity: 'high', kind: 'Deployment', name: 'orders' }], 1000))).toEqual([]);
    // Two high signals at the same instant (an event and its derived state) are one fact, not persistence.
    expect(opened(run([{ t: 0, reason: 'FailedScheduling', severity: 'high', name: 'pg-0', owner: ['StatefulSet', 'pg'] }, { t: 0, reason: 'Unschedulable', severity: 'high', name: 'pg-0', owner: ['StatefulSet', 'pg'] }], 1000))).toEqual([]);
  });

  it('opens on medium signals that keep coming, and on high signals that persist', () => {
    const probe = Array.from({ length: 80 }, (_, i): Ev => ({ t: i * 5, reason: 'Unhealthy', severity: 'medium', name: 'api-abc-1', owner: ['Deployment', 'api'] }));
    expect(opened(run(probe, 600))).toHaveLength(1);
    const sched = [0, 0, 300].map((t): Ev => ({ t, reason: 'FailedScheduling', severity: 'high', name: 'ml-0', owner: ['Deployment', 'ml'] }));
    expect(opened(run(sched, 500))[0]?.resource).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'ml' });
  });

  it('puts pods on a failing node into the node incident, whatever their namespace', () => {
    const actions = run(
      [
        { t: 0, reason: 'NodeNotReady', severity: 'critical', kind: 'Node', name: 'node-1' },
        { t: 40, reason: 'TaintManagerEviction', severity: 'high', ns: 'web', name: 'api-abc-1', node: 'node-1', owner: ['Deployment', 'api'] },
        { t: 50, reason: 'TaintManagerEviction', severity: 'high', ns: 'web', name: 'api-abc-2', node: 'node-1', owner: ['Deployment', 'api'] },
        { t: 45, reason: 'MinimumReplicasUnavailable', severity: 'high', kind: 'Deployment', ns: 'db', name: 'pg' },
        { t: 200, reason: 'MinimumReplicasUnavailable', severity: 'high', kind: 'Deployment', ns: 'db', name: 'pg' },
      ],
      400,
    );
    const inc = opened(actions);
    expect(inc).toHaveLength(1);
    expect(inc[0]?.resource).toEqual({ kind: 'Node', name: 'node-1' });
    expect(inc[0]?.severity).toBe('P0');
    expect(inc[0]?.affected.map((r) => r.name)).toEqual(expect.arrayContaining(['node-1', 'api', 'pg']));
  });

  it('makes a cascade one incident on the Service nothing serves, not one per crashing client', () => {
    const noEndpoints = (t: number): Ev => ({ t, reason: 'ServiceHasNoEndpoints', severity: 'high', kind: 'Service', ns: 'cache', name: 'redis', raw: { backends: [{ kind: 'Deployment', namespace: 'cache', name: 'redis', replicas: 0 }] } });
    const actions = run([noEndpoints(60), crash(30, 'session-api', 'edge'), crash(35, 'rate-limiter', 'edge'), crash(40, 'session-api', 'edge'), noEndpoints(360)], 600);
    const inc = opened(actions);
    expect(inc).toHaveLength(1);
    expect(inc[0]?.resource).toEqual({ kind: 'Deployment', namespace: 'cache', name: 'redis' });
    expect(inc[0]?.category).toBe('dependency');
    expect(inc[0]?.blast_radius.namespaces).toEqual(['cache', 'edge']);
  });

  it('a Service scaled to zero that nobody misses opens nothing', () => {
    const quiet = [60, 360, 660].map((t): Ev => ({ t, reason: 'ServiceHasNoEndpoints', severity: 'high', kind: 'Service', ns: 'batch', name: 'worker', raw: { backends: [{ kind: 'Deployment', namespace: 'batch', name: 'worker', replicas: 0 }] } }));
    expect(opened(run(quiet, 900))).toEqual([]);
  });

  it('keeps unrelated failures in different namespaces apart', () => {
    const actions = run([crash(0, 'checkout', 'shop'), crash(5, 'ledger', 'finance')], 200);
    expect(opened(actions).map((d) => d.resource.name).sort()).toEqual(['checkout', 'ledger']);
  });

  it('names the quota a failed create hit as the resource', () => {
    const fc = (t: number): Ev => ({ t, reason: 'FailedCreate', severity: 'high', kind: 'ReplicaSet', ns: 'ds', name: 'model-abc', owner: ['Deployment', 'model'], message: 'pods "model-abc-x" is forbidden: exceeded quota: ds-quota, requested: memory=4Gi' });
    expect(opened(run([fc(0), fc(70)], 300))[0]?.resource).toEqual({ kind: 'ResourceQuota', namespace: 'ds', name: 'ds-quota' });
  });

  it('updates an open incident as signals arrive and resolves it after the quiet window', () => {
    const c = new Correlator();
    const first = run([crash(0, 'checkout'), crash(5, 'checkout')], 100, c);
    expect(opened(first)).toHaveLength(1);
    // Within a second of the last update, signals are coalesced; the next one after it carries them.
    expect(c.ingest([toSignal(ev(crash(110, 'checkout')))], T0 + 500)).toEqual([]);
    const more = c.ingest([toSignal(ev(crash(120, 'checkout')))], T0 + 1500);
    expect(more).toEqual([expect.objectContaining({ type: 'update' })]);
    expect(more[0]?.type === 'update' && more[0].signals.map((x) => x.at - T0)).toEqual([110_000, 120_000]);
    expect(c.advance('c1', T0 + 120_000 + 9 * 60_000, T0 + 1500).filter((a) => a.type === 'resolve')).toEqual([]);
    const resolved = c.advance('c1', T0 + 120_000 + 10 * 60_000, T0 + 1500);
    expect(resolved).toEqual([expect.objectContaining({ type: 'resolve', cluster_id: 'c1' })]);
    // The fault comes back: a new incident.
    expect(opened(run([crash(2000, 'checkout'), crash(2005, 'checkout')], 2200, c))).toHaveLength(1);
  });

  it('does not let a skewed clock or a late signal open, resolve or merge anything', () => {
    const c = new Correlator();
    expect(opened(run([crash(0, 'checkout'), crash(5, 'checkout')], 100, c))).toHaveLength(1);
    // A Pulled event stamped a day ahead (a node with a skewed clock): counts as now, resolves nothing.
    const skewed = c.ingest([toSignal(ev({ t: 86_400, reason: 'Pulled', severity: 'low', name: 'checkout-abc-9', owner: ['Deployment', 'checkout'] }))], T0 + 100_000);
    expect(skewed.filter((a) => a.type === 'resolve')).toEqual([]);
    // A CrashLoopBackOff from 20 minutes ago (a relist after a restart) opens nothing new.
    const late = c.ingest([toSignal(ev({ ...crash(-1200, 'ledger', 'finance') }))], T0 + 100_000);
    expect(c.tick(T0 + 300_000).filter((a) => a.type === 'open')).toEqual([]);
    expect(late).toEqual([]);
  });

  it('a group quiet for the resolve window leaves its incident, and failing again starts afresh', () => {
    const c = new Correlator();
    const noEndpoints = (t: number): Ev => ({ t, reason: 'ServiceHasNoEndpoints', severity: 'high', kind: 'Service', ns: 'legacy', name: 'old', raw: { backends: [] } });
    run([noEndpoints(0), noEndpoints(300), crash(310, 'checkout'), crash(320, 'checkout')], 400, c);
    // The Service keeps re-emitting; checkout stops crashing. Twenty minutes later it leaves the incident.
    for (const t of [600, 900, 1200, 1500, 1800]) c.ingest([toSignal(ev(noEndpoints(t)))], T0);
    const after = c.advance('c1', T0 + 1_800_000, T0);
    const update = after.find((a) => a.type === 'update');
    expect(update?.type === 'update' && update.draft.affected.map((r) => r.name)).toEqual(['old']);
    // checkout crashes again a day later: its own new incident.
    c.advance('c1', T0 + 86_390_000, T0);
    const again = run([crash(86_400, 'checkout'), crash(86_410, 'checkout')], 86_600, c);
    expect(opened(again).map((d) => d.resource.name)).toEqual(['checkout']);
  });

  it('keeps clusters apart', () => {
    const c = new Correlator();
    run([crash(0, 'checkout')], 100, c);
    const other = run([{ ...crash(0, 'checkout'), cluster: 'c2' }], 100, c);
    expect(opened(other).map((d) => d.cluster_id)).toEqual(['c2']);
    expect(c.openCount()).toBe(2);
  });

  it('advances time with the wall clock when a cluster is quiet', () => {
    const c = new Correlator();
    c.ingest([toSignal(ev(crash(0, 'checkout')))], T0);
    expect(c.tick(T0 + 30_000)).toEqual([]);
    expect(c.tick(T0 + 91_000).filter((a) => a.type === 'open')).toHaveLength(1);
  });
});
