import { resolve } from 'node:path';
import { NotFoundError } from '../contracts/errors.js';
import { createLogger } from '../adapters/telemetry/index.js';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../sim/api/index.js';
import { loadScenario } from '../sim/scenario/library.js';
import type { Scenario } from '../sim/scenario/schema.js';
import { ScenarioError, formatIssue } from '../sim/scenario/validate.js';
import { Simulation } from '../sim/simulation.js';

export const DEFAULT_KUBECONFIG_OUT = '.aetherius/kubeconfig';
export const DEFAULT_SIM_HOST = '127.0.0.1';

export interface SimCommandOptions {
  /** Names or files; one cluster each (repeatable). */
  scenario: string[];
  /** Run N clusters of one scenario. */
  clusters?: number;
  /** Port of the first cluster; the next ones count up. 0 (default) = free ports. */
  port?: number;
  host?: string;
  /** Simulated seconds per wall second; default each scenario's `speed`, else 1. */
  speed?: number;
  kubeconfigOut?: string;
  seed?: number;
}

/**
 * `aetherius sim`: serves one simulated cluster per scenario (or `--clusters N` copies of one) over the
 * Kubernetes API, writes a kubeconfig with one context per cluster, and runs until SIGINT/SIGTERM.
 * Exit codes: 0 after a clean shutdown, 1 when a server cannot start, 2 on bad usage or an invalid scenario.
 */
export async function runSim(options: SimCommandOptions): Promise<number> {
  const usage = (message: string) => {
    process.stderr.write(`aetherius sim: ${message}\n`);
    return 2;
  };
  if (!options.scenario.length) return usage('--scenario NAME|FILE is required (see aetherius scenario list)');
  if (options.clusters !== undefined && options.clusters < 1) return usage('--clusters must be at least 1');
  if (options.clusters !== undefined && options.scenario.length > 1 && options.clusters !== options.scenario.length) {
    return usage(`--clusters ${options.clusters} conflicts with ${options.scenario.length} --scenario options: give one scenario with --clusters, or one --scenario per cluster`);
  }
  if (options.speed !== undefined && !(options.speed > 0)) return usage('--speed must be a positive number');
  if (options.port !== undefined && (options.port < 0 || options.port > 65535)) return usage('--port must be between 0 and 65535');

  const loaded: Scenario[] = [];
  for (const s of options.scenario) {
    try {
      loaded.push((await loadScenario(s)).scenario);
    } catch (err) {
      if (err instanceof ScenarioError) {
        process.stderr.write(`aetherius sim: ${s}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}\n`);
        for (const issue of err.issues) process.stderr.write(`  ${formatIssue(err.source, issue)}\n`);
        return 2;
      }
      if (err instanceof NotFoundError) return usage(err.message);
      throw err;
    }
  }
  const count = options.clusters ?? loaded.length;
  const scenarios = Array.from({ length: count }, (_, i) => loaded[loaded.length === 1 ? 0 : i] as Scenario);
  const ids = clusterIds(scenarios);

  const logger = createLogger({ level: 'info', base: { target: 'sim' }, destination: process.stderr });
  const sims: Simulation[] = [];
  const servers: SimApiServer[] = [];
  const shutdown = async () => {
    for (const sim of sims) sim.stop();
    await Promise.allSettled(servers.map((s) => s.close()));
  };
  try {
    for (const [i, scenario] of scenarios.entries()) {
      const clusterId = ids[i] as string;
      const sim = Simulation.create({ scenario, clusterId, logger, ...(options.seed !== undefined ? { seed: options.seed + i } : {}) });
      sims.push(sim);
      servers.push(await startSimApiServer(sim.ctx, { host: options.host ?? DEFAULT_SIM_HOST, port: options.port ? options.port + i : 0 }));
    }
  } catch (err) {
    await shutdown();
    process.stderr.write(`aetherius sim: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }

  const kubeconfig = resolve(options.kubeconfigOut ?? DEFAULT_KUBECONFIG_OUT);
  try {
    await writeKubeconfig(kubeconfig, ids.map((name, i) => ({ name, server: (servers[i] as SimApiServer).url })), ids[0]);
  } catch (err) {
    await shutdown();
    process.stderr.write(`aetherius sim: cannot write kubeconfig ${kubeconfig}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  for (const [i, sim] of sims.entries()) {
    const speed = options.speed ?? sim.scenario.spec.speed ?? 1;
    sim.start(speed);
    process.stdout.write(
      `cluster ${ids[i] ?? ''}: scenario ${sim.scenario.metadata.name} at ${(servers[i] as SimApiServer).url} (speed ${speed}x, scenario duration ${sim.scenario.spec.duration})\n`,
    );
  }
  process.stdout.write(`kubeconfig: ${kubeconfig}\n`);
  if (ids.length === 1) process.stdout.write(`try: kubectl --kubeconfig ${kubeconfig} get pods -A\n`);
  else for (const id of ids) process.stdout.write(`try: kubectl --kubeconfig ${kubeconfig} --context ${id} get pods -A\n`);
  process.stdout.write('press Ctrl-C to stop\n');

  await new Promise<void>((done) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      done();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await shutdown();
  return 0;
}

/** One id per cluster: the scenario's clusterId (else its name), made unique with -2, -3, … */
export function clusterIds(scenarios: readonly Scenario[]): string[] {
  const seen = new Map<string, number>();
  return scenarios.map((s) => {
    const base = s.spec.clusterId ?? s.metadata.name;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}
