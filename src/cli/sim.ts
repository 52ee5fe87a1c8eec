import { resolve } from 'node:path';
import { NotFoundError } from '../contracts/errors.js';
import { createLogger, type Logger } from '../adapters/telemetry/index.js';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../sim/api/index.js';
import { loadScenario } from '../sim/scenario/library.js';
import type { Scenario } from '../sim/scenario/schema.js';
import { ScenarioError, formatIssue } from '../sim/scenario/validate.js';
import { Simulation } from '../sim/simulation.js';
import { waitForSignal } from './signals.js';

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

export interface SimCluster {
  id: string;
  url: string;
  speed: number;
  simulation: Simulation;
}

export interface SimHandle {
  clusters: SimCluster[];
  kubeconfig: string;
  /** Stops the clocks and the API servers. Idempotent. */
  stop(): Promise<void>;
}

/** Bad usage or an invalid scenario: the caller prints `message` and exits 2. */
export class SimUsageError extends Error {}

/**
 * Loads the scenarios, serves one simulated cluster each over the Kubernetes API, writes the
 * kubeconfig and starts the clocks.
 * @throws SimUsageError on bad options or an invalid scenario (message ready to print).
 * @throws Error when a server cannot start or the kubeconfig cannot be written.
 */
export async function startSimClusters(options: SimCommandOptions, logger: Logger): Promise<SimHandle> {
  if (!options.scenario.length) throw new SimUsageError('--scenario NAME|FILE is required (see aetherius scenario list)');
  if (options.clusters !== undefined && options.clusters < 1) throw new SimUsageError('--clusters must be at least 1');
  if (options.clusters !== undefined && options.scenario.length > 1 && options.clusters !== options.scenario.length) {
    throw new SimUsageError(`--clusters ${options.clusters} conflicts with ${options.scenario.length} --scenario options: give one scenario with --clusters, or one --scenario per cluster`);
  }
  if (options.speed !== undefined && !(options.speed > 0)) throw new SimUsageError('--speed must be a positive number');
  if (options.port !== undefined && (options.port < 0 || options.port > 65535)) throw new SimUsageError('--port must be between 0 and 65535');

  const loaded: Scenario[] = [];
  for (const s of options.scenario) {
    try {
      loaded.push((await loadScenario(s)).scenario);
    } catch (err) {
      if (err instanceof ScenarioError) {
        throw new SimUsageError(`${s}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}\n${err.issues.map((i) => `  ${formatIssue(err.source, i)}`).join('\n')}`);
      }
      if (err instanceof NotFoundError) throw new SimUsageError(err.message);
      throw err;
    }
  }
  const count = options.clusters ?? loaded.length;
  const scenarios = Array.from({ length: count }, (_, i) => loaded[loaded.length === 1 ? 0 : i] as Scenario);
  const ids = clusterIds(scenarios);

  const sims: Simulation[] = [];
  const servers: SimApiServer[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const sim of sims) sim.stop();
      await Promise.allSettled(servers.map((srv) => srv.close()));
    })();
    return stopping;
  };
  try {
    for (const [i, scenario] of scenarios.entries()) {
      const clusterId = ids[i] as string;
      const sim = Simulation.create({ scenario, clusterId, logger, ...(options.seed !== undefined ? { seed: options.seed + i } : {}) });
      sims.push(sim);
      servers.push(await startSimApiServer(sim.ctx, { host: options.host ?? DEFAULT_SIM_HOST, port: options.port ? options.port + i : 0 }));
    }
    const kubeconfig = resolve(options.kubeconfigOut ?? DEFAULT_KUBECONFIG_OUT);
    await writeKubeconfig(kubeconfig, ids.map((name, i) => ({ name, server: (servers[i] as SimApiServer).url })), ids[0]);
    const clusters = sims.map((simulation, i) => {
      const speed = options.speed ?? simulation.scenario.spec.speed ?? 1;
      simulation.start(speed);
      return { id: ids[i] as string, url: (servers[i] as SimApiServer).url, speed, simulation };
    });
    return { clusters, kubeconfig, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Prints where each cluster is and how to reach it with kubectl. */
export function printSimBanner(handle: SimHandle, out: NodeJS.WritableStream = process.stdout): void {
  for (const c of handle.clusters) {
    out.write(`cluster ${c.id}: scenario ${c.simulation.scenario.metadata.name} at ${c.url} (speed ${c.speed}x, scenario duration ${c.simulation.scenario.spec.duration})\n`);
  }
  out.write(`kubeconfig: ${handle.kubeconfig}\n`);
  if (handle.clusters.length === 1) out.write(`try: kubectl --kubeconfig ${handle.kubeconfig} get pods -A\n`);
  else for (const c of handle.clusters) out.write(`try: kubectl --kubeconfig ${handle.kubeconfig} --context ${c.id} get pods -A\n`);
}

/**
 * `aetherius sim`: serves one simulated cluster per scenario (or `--clusters N` copies of one) over the
 * Kubernetes API, writes a kubeconfig with one context per cluster, and runs until SIGINT/SIGTERM.
 * Exit codes: 0 after a clean shutdown, 1 when a server cannot start, 2 on bad usage or an invalid scenario.
 */
export async function runSim(options: SimCommandOptions): Promise<number> {
  const logger = createLogger({ level: 'info', base: { target: 'sim' }, destination: process.stderr });
  let handle: SimHandle;
  try {
    handle = await startSimClusters(options, logger);
  } catch (err) {
    if (err instanceof SimUsageError) {
      process.stderr.write(`aetherius sim: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`aetherius sim: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  printSimBanner(handle);
  process.stdout.write('press Ctrl-C to stop\n');
  await waitForSignal(logger);
  await handle.stop();
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
