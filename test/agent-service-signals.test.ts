/**
 * Issue 5: the agent's signals that need more than one object or time — ServiceHasNoEndpoints,
 * CPUThrottlingHigh / MemoryNearLimit, and the re-emission of conditions that still hold — against
 * the built-in scenarios. Each scenario runs in its own simulated cluster served over HTTP, watched by
 * its own agent through a kubeconfig, publishing to real NATS.
 *
 * The simulator runs on virtual time while the agent's timers are wall-clock, so, as the agent's own
 * timers would on a real cluster, the test collects metrics and runs `resyncStates()` once per
 * simulated minute; the agent measures grace periods and intervals in cluster time (object and metrics
 * timestamps), not in the few wall seconds the run takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import { STREAMS, type AgentEvent, type Severity } from '../src/contracts/index.js';
import type { ConfigInput } from '../src/core/config/index.js';
import { listScenarios, type ScenarioEntry } from '../src/sim/scenario/library.js';
import { Simulation } from '../src/sim/simulation.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { startAgentHarness } from './support/agent-harness.js';
import { TEST_NATS_URL, uniqueName } from './support/services.js';

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const NEW_REASONS = ['ServiceHasNoEndpoints', 'CPUThrottlingHigh', 'MemoryNearLimit'];
const STEP_MS = 15_000;

interface Run {
  name: string;
  events: AgentEvent[];
}

async function runScenario(entry: ScenarioEntry, shared: { bus: NatsBus; namespace: string }, agentConfig: NonNullable<ConfigInput['agent']> = {}): Promise<Run> {
  const { name, scenario } = entry;
  const clusterId = `ss-${name}`.slice(0, 63);
  const sim = Simulation.create({ scenario, clusterId });
  const h = await startAgentHarness({
    ctx: sim.ctx,
    clusterId,
    shared,
    config: { agent: { enable_metrics: true, metrics_interval: '1h', heartbeat_interval: '5s', ...agentConfig } },
  });
  try {
    for (let t = 0; t < sim.durationMs; t += STEP_MS) {
      await sim.runFor(Math.min(STEP_MS, sim.durationMs - t));
      await settle(h.agent);
      if ((t + STEP_MS) % 60_000 === 0) {
        await h.agent.collectMetrics();
        h.agent.resyncStates();
      }
    }
    await settle(h.agent);
    await waitQuiet(h.agent, h.events);
    return { name, events: [...h.events] };
  } finally {
    sim.stop();
    await h.stop();
  }
}

/** Lets the watches deliver what the last simulated step changed and the watcher convert it. */
async function settle(agent: { watcher: { backlog: number } }): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 50 && agent.watcher.backlog > 0; i++) await new Promise((r) => setTimeout(r, 20));
}

async function waitQuiet(agent: { watcher: { backlog: number }; flush(ms: number): Promise<boolean> }, events: readonly unknown[]): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await agent.flush(5000);
    if (agent.watcher.backlog === 0 && events.length === last) return;
    last = events.length;
  }
}

const ofReason = (events: readonly AgentEvent[], reason: string) => events.filter((e) => e.type === 'state_change' && e.reason === reason);
const repeats = (e: AgentEvent) => (typeof e.raw_data['repeat'] === 'number' ? e.raw_data['repeat'] : 0);

function summarize(events: readonly AgentEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'state_change') continue;
    const k = `${e.reason}/${e.severity}@${e.labels.kind}/${e.namespace}/${e.labels.name}${repeats(e) ? `#${repeats(e)}` : ''}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(', ').slice(0, 3000);
}

/** Runs `entries` four at a time. */
async function runAll(entries: ScenarioEntry[], shared: { bus: NatsBus; namespace: string }, config?: (e: ScenarioEntry) => NonNullable<ConfigInput['agent']>): Promise<Map<string, Run>> {
  const out = new Map<string, Run>();
  const queue = [...entries];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let e = queue.shift(); e; e = queue.shift()) out.set(e.name, await runScenario(e, shared, config?.(e)));
    }),
  );
  return out;
}

interface ServiceExpectation {
  service: { namespace: string; name: string };
  selector?: Record<string, string>;
  backends: { kind: string; namespace: string; name: string; replicas: number }[];
}

const SERVICE_FAULTS: Record<string, ServiceExpectation> = {
  'redis-scaled-to-zero-cascade': { service: { namespace: 'cache', name: 'redis' }, selector: { app: 'redis' }, backends: [{ kind: 'Deployment', namespace: 'cache', name: 'redis', replicas: 0 }] },
  'postgres-outage-cascade': { service: { namespace: 'shop', name: 'postgres' }, selector: { app: 'postgres' }, backends: [{ kind: 'StatefulSet', namespace: 'shop', name: 'postgres', replicas: 0 }] },
  'mongodb-gone-catalog-cascade': { service: { namespace: 'data', name: 'mongodb' }, selector: { app: 'mongodb' }, backends: [{ kind: 'StatefulSet', namespace: 'data', name: 'mongodb', replicas: 0 }] },
  'coredns-down-dns-failure': { service: { namespace: 'kube-system', name: 'kube-dns' }, selector: { 'k8s-app': 'kube-dns' }, backends: [{ kind: 'Deployment', namespace: 'kube-system', name: 'coredns', replicas: 0 }] },
  // Selector typos: the Service selects no workload at all.
  'catalog-service-selector-typo': { service: { namespace: 'shop', name: 'catalog' }, selector: { app: 'catalog-api' }, backends: [] },
  'session-redis-service-broken': { service: { namespace: 'identity', name: 'session-redis' }, backends: [] },
};

const CPU_FAULTS: Record<string, { namespace: string; deployment: string; container: string }> = {
  'pdf-renderer-cpu-throttled': { namespace: 'billing', deployment: 'pdf-renderer', container: 'renderer' },
  'search-api-cpu-throttled': { namespace: 'search', deployment: 'search-api', container: 'api' },
};

describe('agent: Services without endpoints, resource saturation and persistence re-emission on the built-in scenarios', () => {
  const namespace = uniqueName('agtss');
  let bus: NatsBus;
  let all: ScenarioEntry[] = [];

  beforeAll(async () => {
    bus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: 'agent-service-signals' });
    await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));
    all = await listScenarios();
  });

  afterAll(async () => {
    await bus?.close();
    await deleteNamespaceStreams(namespace);
  });

  const entry = (name: string): ScenarioEntry => {
    const e = all.find((s) => s.name === name);
    if (!e) throw new Error(`scenario ${name} is not in the library`);
    return e;
  };

  it('a Service that lost or never had its endpoints: ServiceHasNoEndpoints on the Service, with its selector and backends, re-emitted while it lasts', { timeout: 600_000 }, async () => {
    const runs = await runAll(Object.keys(SERVICE_FAULTS).map(entry), { bus, namespace });
    const problems: string[] = [];
    for (const [name, want] of Object.entries(SERVICE_FAULTS)) {
      const events = runs.get(name)?.events ?? [];
      const onService = ofReason(events, 'ServiceHasNoEndpoints').filter((e) => e.labels.kind === 'Service' && e.namespace === want.service.namespace && e.labels.name === want.service.name);
      const first = onService.find((e) => repeats(e) === 0);
      if (!first) {
        problems.push(`${name}: no ServiceHasNoEndpoints on Service ${want.service.namespace}/${want.service.name}; saw ${summarize(events)}`);
        continue;
      }
      if (first.severity !== 'high' || first.category !== 'network') problems.push(`${name}: severity/category ${first.severity}/${first.category}`);
      if (first.involved_object?.kind !== 'Service' || !first.involved_object.uid) problems.push(`${name}: involved_object ${JSON.stringify(first.involved_object)}`);
      if (JSON.stringify(first.raw_data['backends']) !== JSON.stringify(want.backends)) problems.push(`${name}: backends ${JSON.stringify(first.raw_data['backends'])}, want ${JSON.stringify(want.backends)}`);
      const selector = first.raw_data['selector'] as Record<string, string> | undefined;
      if (!selector || Object.keys(selector).length === 0) problems.push(`${name}: no selector in raw_data`);
      if (want.selector && JSON.stringify(selector) !== JSON.stringify(want.selector)) problems.push(`${name}: selector ${JSON.stringify(selector)}, want ${JSON.stringify(want.selector)}`);
      // One transition per episode: the first message is not repeated with another id.
      if (onService.filter((e) => repeats(e) === 0).length !== 1) problems.push(`${name}: ${onService.filter((e) => repeats(e) === 0).length} first emissions`);
      // Still without endpoints five simulated minutes later: re-emitted, same reason and object, new id.
      const again = onService.filter((e) => repeats(e) >= 1);
      if (!again.length) problems.push(`${name}: not re-emitted while the Service stayed without endpoints; saw ${summarize(events)}`);
      for (const e of again) {
        if (e.id === first.id || e.severity !== first.severity || e.involved_object?.uid !== first.involved_object?.uid) problems.push(`${name}: re-emission ${e.id} differs from the first in id/severity/object`);
        if (Date.parse(e.timestamp) - Date.parse(first.timestamp) < 5 * 60_000 * repeats(e) - 60_000) problems.push(`${name}: re-emission #${repeats(e)} only ${(Date.parse(e.timestamp) - Date.parse(first.timestamp)) / 1000}s after the first`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('a container pinned at its CPU limit: CPUThrottlingHigh on its pod, owners resolved to the Deployment', { timeout: 600_000 }, async () => {
    const runs = await runAll(Object.keys(CPU_FAULTS).map(entry), { bus, namespace });
    const problems: string[] = [];
    for (const [name, want] of Object.entries(CPU_FAULTS)) {
      const events = runs.get(name)?.events ?? [];
      const hits = ofReason(events, 'CPUThrottlingHigh').filter((e) => e.labels.kind === 'Pod' && e.namespace === want.namespace && (e.owners ?? []).some((o) => o.kind === 'Deployment' && o.name === want.deployment));
      if (!hits.length) {
        problems.push(`${name}: no CPUThrottlingHigh on a pod of Deployment ${want.namespace}/${want.deployment}; saw ${summarize(events)}`);
        continue;
      }
      const h = hits[0] as AgentEvent;
      if (h.severity !== 'medium' || h.category !== 'pod_failure' || h.labels['container'] !== want.container) problems.push(`${name}: ${h.severity}/${h.category} container ${h.labels['container']}`);
      if (!((h.raw_data['ratio'] as number) >= 0.9)) problems.push(`${name}: ratio ${String(h.raw_data['ratio'])}`);
      if (!hits.some((e) => repeats(e) >= 1 && e.involved_object?.uid === h.involved_object?.uid)) problems.push(`${name}: CPUThrottlingHigh not re-emitted while the pod stayed pinned; saw ${summarize(events)}`);
    }
    expect(problems).toEqual([]);
  });

  it('a leak that brings the working set near the limit: MemoryNearLimit on the pod, at the configured share of the limit', { timeout: 600_000 }, async () => {
    // The leaks of these scenarios end their runs at 78% (cart) and 68% (session-store) of the limit, so
    // the default 90% is never reached in the run: a lower configured share shows the path end to end.
    const leaks: Record<string, { namespace: string; owner: { kind: string; name: string } }> = {
      'cart-memory-leak': { namespace: 'shop', owner: { kind: 'Deployment', name: 'cart' } },
      'session-store-memory-leak': { namespace: 'identity', owner: { kind: 'StatefulSet', name: 'session-store' } },
    };
    const runs = await runAll(Object.keys(leaks).map(entry), { bus, namespace }, () => ({ memory_near_limit_ratio: 0.6 }));
    const problems: string[] = [];
    for (const [name, want] of Object.entries(leaks)) {
      const events = runs.get(name)?.events ?? [];
      const hits = ofReason(events, 'MemoryNearLimit').filter((e) => e.labels.kind === 'Pod' && e.namespace === want.namespace && (e.owners ?? []).some((o) => o.kind === want.owner.kind && o.name === want.owner.name));
      const h = hits[0];
      if (!h) problems.push(`${name}: no MemoryNearLimit on a pod of ${want.owner.kind} ${want.namespace}/${want.owner.name}; saw ${summarize(events)}`);
      else if (h.severity !== 'high' || !((h.raw_data['ratio'] as number) >= 0.6) || !((h.raw_data['limit_bytes'] as number) > 0)) problems.push(`${name}: ${h.severity} ${JSON.stringify(h.raw_data)}`);
    }
    expect(problems).toEqual([]);
  });

  it('conditions that last are re-emitted every state_resync_interval: a node still NotReady, an HPA still at its maximum, an image still not pullable', { timeout: 600_000 }, async () => {
    const lasting: Record<string, { reason: string[]; kind: string; name: string }> = {
      'node-1-kubelet-down': { reason: ['NodeNotReady'], kind: 'Node', name: 'node-1' },
      'storefront-hpa-maxed-out': { reason: ['ScalingLimited'], kind: 'HorizontalPodAutoscaler', name: 'storefront' },
      // The kubelet alternates ErrImagePull and ImagePullBackOff: one condition, re-emitted all the same.
      'payments-image-tag-typo': { reason: ['ImagePullBackOff', 'ErrImagePull'], kind: 'Pod', name: 'payments-worker-' },
    };
    const runs = await runAll(Object.keys(lasting).map(entry), { bus, namespace });
    const problems: string[] = [];
    for (const [name, want] of Object.entries(lasting)) {
      const events = (runs.get(name)?.events ?? []).filter((e) => e.type === 'state_change' && want.reason.includes(e.reason) && e.labels.kind === want.kind && e.labels.name.startsWith(want.name));
      const again = events.filter((e) => repeats(e) >= 1);
      const first = events.find((e) => repeats(e) === 0 && e.involved_object?.uid === again[0]?.involved_object?.uid);
      if (!again.length || !first) {
        problems.push(`${name}: no re-emission of ${want.reason.join('|')} on ${want.kind} ${want.name}; saw ${summarize(runs.get(name)?.events ?? [])}`);
        continue;
      }
      const r = again[0] as AgentEvent;
      if (r.id === first.id || r.severity !== first.severity || r.raw_data['first_timestamp'] === r.timestamp) problems.push(`${name}: re-emission ${JSON.stringify({ id: r.id, severity: r.severity, raw: r.raw_data })}`);
      // Every state_resync_interval (5m) while it lasts, counted in cluster time (simulated minutes). The
      // signal's own timestamp is the condition's transition time, which may precede its sending.
      const gap = (Date.parse(r.timestamp) - Date.parse(first.timestamp)) / 60_000;
      if (gap < 4 || gap > 11) problems.push(`${name}: first re-emission ${gap.toFixed(1)} min after the signal`);
      const next = again.find((e) => repeats(e) === 2 && e.involved_object?.uid === r.involved_object?.uid);
      const between = next ? (Date.parse(next.timestamp) - Date.parse(r.timestamp)) / 60_000 : 5;
      if (between < 4.9 || between > 6.1) problems.push(`${name}: re-emissions ${between.toFixed(1)} min apart`);
    }
    expect(problems).toEqual([]);
  });

  it('healthy scenarios: none of the three signals at medium or above, and nothing re-emitted', { timeout: 600_000 }, async () => {
    const healthy = all.filter((s) => s.scenario.spec.expect.healthy);
    expect(healthy.length).toBe(11);
    const runs = await runAll(healthy, { bus, namespace });
    const problems: string[] = [];
    for (const s of healthy) {
      const events = runs.get(s.name)?.events ?? [];
      const bad = events.filter((e) => e.type === 'state_change' && NEW_REASONS.includes(e.reason) && RANK[e.severity] >= RANK.medium);
      const again = events.filter((e) => repeats(e) > 0);
      if (bad.length || again.length) problems.push(`${s.name}: ${summarize([...bad, ...again])}`);
    }
    expect(problems).toEqual([]);
  });
});
