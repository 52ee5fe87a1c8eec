/**
 * The agent's error-log signal against the simulator: every built-in scenario whose only footprint is
 * in application logs (an expired certificate, an upstream's 429s, an exhausted connection pool) must
 * produce its class's signal on a pod of the faulty workload, and no healthy scenario may produce an
 * error-log signal of medium severity or more.
 *
 * Each scenario runs in its own simulated cluster served over HTTP, watched by its own agent through a
 * kubeconfig, publishing to real NATS. The simulator runs on virtual time (`runFor` jumps its clock),
 * so the test drives the scanner once per simulated minute through `agent.scanLogs()` (the wall-clock
 * timer is set to an hour); the scanner's windows are in log time, so they see the simulated minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../src/adapters/bus/index.js';
import type { LogScanReport } from '../src/agent/index.js';
import { LOG_SIGNAL_REASONS } from '../src/core/classify/index.js';
import { STREAMS, type AgentEvent, type Severity } from '../src/contracts/index.js';
import { listScenarios, type ScenarioEntry } from '../src/sim/scenario/library.js';
import { durationMs } from '../src/sim/scenario/schema.js';
import { Simulation } from '../src/sim/simulation.js';
import { deleteNamespaceStreams } from './bus-contract.js';
import { startAgentHarness } from './support/agent-harness.js';
import { TEST_NATS_URL, uniqueName } from './support/services.js';

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The six scenarios with no Kubernetes footprint, and the signal each root cause must produce. */
const LOG_ONLY: Record<string, string> = {
  'fx-rates-internal-cert-expired': 'CertificateErrors',
  'payment-gateway-upstream-cert-expired': 'CertificateErrors',
  'geocoder-upstream-429': 'UpstreamRateLimited',
  'payments-upstream-rate-limited': 'UpstreamRateLimited',
  'invoicing-sqlalchemy-pool-exhausted': 'ConnectionPoolExhausted',
  'orders-hikari-pool-exhausted': 'ConnectionPoolExhausted',
};

interface Run {
  name: string;
  events: AgentEvent[];
  reports: LogScanReport[];
}

async function runScenario(entry: ScenarioEntry, shared: { bus: NatsBus; namespace: string }): Promise<Run> {
  const { name, scenario } = entry;
  const clusterId = `l-${name}`.slice(0, 63);
  const sim = Simulation.create({ scenario, clusterId });
  const h = await startAgentHarness({
    ctx: sim.ctx,
    clusterId,
    shared,
    config: { agent: { enable_metrics: false, heartbeat_interval: '5s', log_scan: { enabled: true, interval: '1h' } } },
  });
  const reports: LogScanReport[] = [];
  try {
    const total = sim.durationMs;
    for (let t = 0; t < total; t += 15_000) {
      await sim.runFor(Math.min(15_000, total - t));
      // Let the informers take the pods' new state before the scanner reads the cache.
      await new Promise((r) => setTimeout(r, 20));
      if ((t + 15_000) % 60_000 === 0) {
        const r = await h.agent.scanLogs();
        if (r) reports.push(r);
      }
    }
    await h.agent.flush(10_000);
    await new Promise((r) => setTimeout(r, 300));
    return { name, events: [...h.events], reports };
  } finally {
    sim.stop();
    await h.stop();
  }
}

async function runAll(entries: ScenarioEntry[], shared: { bus: NatsBus; namespace: string }): Promise<Run[]> {
  const runs: Run[] = [];
  const queue = [...entries];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let entry = queue.shift(); entry; entry = queue.shift()) runs.push(await runScenario(entry, shared));
    }),
  );
  return runs;
}

function logSignals(events: readonly AgentEvent[]): AgentEvent[] {
  return events.filter((e) => e.type === 'state_change' && LOG_SIGNAL_REASONS.includes(e.reason));
}

describe('agent: error-log signals on the built-in scenarios', () => {
  const namespace = uniqueName('agtlog');
  let bus: NatsBus;
  let all: ScenarioEntry[] = [];

  beforeAll(async () => {
    bus = await NatsBus.connect({ servers: TEST_NATS_URL, namespace, name: 'agent-log-scan' });
    await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));
    all = await listScenarios();
  });

  afterAll(async () => {
    await bus?.close();
    await deleteNamespaceStreams(namespace);
  });

  it('each log-only fault scenario: its class of signal, on a pod of the faulty workload', { timeout: 300_000 }, async () => {
    const entries = all.filter((e) => e.name in LOG_ONLY);
    expect(entries.map((e) => e.name).sort()).toEqual(Object.keys(LOG_ONLY).sort());
    const runs = await runAll(entries, { bus, namespace });
    const problems: string[] = [];
    for (const run of runs) {
      const scenario = (entries.find((e) => e.name === run.name) as ScenarioEntry).scenario;
      const resource = scenario.spec.expect.resource;
      const want = LOG_ONLY[run.name] as string;
      const onWorkload = (e: AgentEvent) =>
        e.labels.kind === 'Pod' &&
        e.namespace === (resource?.namespace ?? 'default') &&
        (e.owners ?? []).some((o) => o.kind === resource?.kind && o.name === resource?.name);
      const hits = logSignals(run.events).filter((e) => e.reason === want && RANK[e.severity] >= RANK.medium && onWorkload(e));
      const hit = hits[0];
      if (!hit) {
        const seen = logSignals(run.events).map((e) => `${e.reason}/${e.severity}@${e.labels.name}`);
        problems.push(`${run.name}: no ${want} on a pod of ${resource?.kind}/${resource?.name}; log signals: ${seen.join(', ') || 'none'}; reads ${run.reports.reduce((n, r) => n + r.reads, 0)}, error records ${run.reports.reduce((n, r) => n + r.error_records, 0)}`);
        continue;
      }
      // What a person reads: the count, the window and a quoted line; raw_data for machines.
      expect(hit.category, run.name).toBe('application');
      expect(hit.message, run.name).toMatch(/logged \d+ .* in the last 5m .*: ".+"/);
      expect(hit.raw_data, run.name).toMatchObject({ window: '5m', signal: 'error_logs' });
      expect(hit.raw_data.count, run.name).toBeGreaterThanOrEqual(1);
      expect(hit.involved_object?.kind).toBe('Pod');
      // At most one signal per container per 5-minute window.
      const perContainer = new Map<string, number>();
      for (const e of hits) perContainer.set(`${e.labels.name}/${e.labels['container']}`, (perContainer.get(`${e.labels.name}/${e.labels['container']}`) ?? 0) + 1);
      const longest = Math.floor(durationMs(scenario.spec.duration) / 300_000) + 1;
      for (const [k, n] of perContainer) expect(n, `${run.name} ${k}`).toBeLessThanOrEqual(longest);
    }
    expect(problems).toEqual([]);
  });

  it('no healthy scenario produces an error-log signal of medium severity or more', { timeout: 300_000 }, async () => {
    const entries = all.filter((e) => e.scenario.spec.expect.healthy);
    expect(entries.length).toBe(11);
    const runs = await runAll(entries, { bus, namespace });
    const noisy = runs.flatMap((r) => logSignals(r.events).filter((e) => RANK[e.severity] >= RANK.medium).map((e) => `${r.name}: ${e.reason} on ${e.labels.name}: ${e.message.slice(0, 200)}`));
    expect(noisy).toEqual([]);
    // The silence means something: the scanner read the logs of every running pod it had (a Job that
    // finished before the first scan leaves nothing running to read).
    for (const run of runs) {
      if (Math.max(0, ...run.reports.map((r) => r.population)) > 0) expect(run.reports.reduce((n, r) => n + r.reads, 0), run.name).toBeGreaterThan(0);
    }
    expect(runs.reduce((n, run) => n + run.reports.reduce((m, r) => m + r.lines, 0), 0)).toBeGreaterThan(0);
  });
});
