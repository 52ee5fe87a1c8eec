/**
 * The `aetherius` command. One file per subcommand; this one only parses arguments and dispatches.
 * Subcommands are imported when run, so each process loads only what its command uses (the agent's
 * resident memory is budgeted).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TARGETS } from '../core/targets.js';
import { runVersion, versionInfo } from './version.js';
import type { BenchIngestOptions } from './bench-ingest.js';
import type { AnalyzeCliOptions } from './analyze.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function atLeastOne(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

type BenchIngestCliOptions = BenchIngestOptions;

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('aetherius')
    .description('AIOps for Kubernetes: watch clusters, rank root causes with evidence, fix safely and verify')
    .version(versionInfo().version, '-v, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('start')
    .description('run services: all in one process, or one target for scale-out')
    .addOption(new Option('-t, --target <target>', `what to run: ${TARGETS.join('|')} (or a comma-separated list)`).default('all'))
    .option('-c, --config <file>', 'YAML config file (else AETHERIUS_CONFIG, else embedded defaults)')
    .action(async (opts: { target: string; config?: string }) => {
      const { runStart } = await import('./start.js');
      exitCode = await runStart(opts);
    });

  const migrate = program.command('migrate').description('apply, revert or list database migrations');
  migrate
    .command('up')
    .description('apply pending migrations')
    .option('-c, --config <file>', 'YAML config file')
    .option('--to <version>', 'stop at this version', positiveInt)
    .action(async (opts: { config?: string; to?: number }) => {
      const { runMigrate } = await import('./migrate.js');
      exitCode = await runMigrate('up', opts);
    });
  migrate
    .command('down')
    .description('revert the newest applied migrations')
    .option('-c, --config <file>', 'YAML config file')
    .option('--steps <n>', 'how many to revert', positiveInt, 1)
    .action(async (opts: { config?: string; steps?: number }) => {
      const { runMigrate } = await import('./migrate.js');
      exitCode = await runMigrate('down', opts);
    });
  migrate
    .command('status')
    .description('list migrations and whether each is applied')
    .option('-c, --config <file>', 'YAML config file')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const { runMigrate } = await import('./migrate.js');
      exitCode = await runMigrate('status', opts);
    });

  program
    .command('version')
    .description('print the version')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      exitCode = runVersion(opts);
    });

  const config = program.command('config').description('check, print or document configuration');
  config
    .command('check <file>')
    .description('validate a config file (with the current AETHERIUS_* environment) and print every problem')
    .action(async (file: string) => {
      const { runConfigCheck } = await import('./config-command.js');
      exitCode = await runConfigCheck(file);
    });
  config
    .command('print')
    .description('print the effective configuration as JSON, secrets redacted')
    .option('-c, --config <file>', 'YAML config file')
    .action(async (opts: { config?: string }) => {
      const { runConfigPrint } = await import('./config-command.js');
      exitCode = await runConfigPrint(opts.config);
    });
  config
    .command('docs')
    .description('print the Markdown reference of every key')
    .action(async () => {
      const { runConfigDocs } = await import('./config-command.js');
      exitCode = runConfigDocs();
    });

  program
    .command('sim')
    .description('serve simulated Kubernetes clusters playing fault scenarios; writes a kubeconfig')
    .option('-s, --scenario <name|file>', 'a built-in scenario name or a scenario file (repeat for several clusters)', collect, [])
    .option('--clusters <n>', 'run N clusters of one scenario', positiveInt)
    .option('-p, --port <port>', 'port of the first cluster, the next ones count up (default: free ports)', port)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--speed <n>', "simulated seconds per wall second (default: the scenario's speed, else 1)", positiveNumber)
    .option('--seed <n>', "seed of the simulation's random choices (default: the scenario's)", integer)
    .option('--kubeconfig-out <file>', 'where to write the kubeconfig', '.aetherius/kubeconfig')
    .action(async (opts: { scenario: string[]; clusters?: number; port?: number; host: string; speed?: number; seed?: number; kubeconfigOut: string }) => {
      // Loaded on use: the simulator and its controllers are not needed by any other command.
      const { runSim } = await import('./sim.js');
      exitCode = await runSim(opts);
    });

  program
    .command('demo')
    .description('the demo: a simulated cluster playing a fault scenario beside the control plane (what npm start runs)')
    .option('-s, --scenario <name|file>', 'a built-in scenario name or a scenario file', 'postgres-outage-cascade')
    .option('--speed <n>', 'simulated seconds per wall second', positiveNumber, 5)
    .option('-c, --config <file>', 'YAML config file for the control plane')
    .option('--kubeconfig-out <file>', 'where to write the kubeconfig', '.aetherius/kubeconfig')
    .action(async (opts: { scenario: string; speed: number; config?: string; kubeconfigOut: string }) => {
      const { runDemo } = await import('./demo.js');
      exitCode = await runDemo(opts);
    });

  const bench = program.command('bench').description('benchmarks: print figures and a baseline measured in the same run');
  bench
    .command('agent')
    .description("the agent's events/s (watch → classify → publish) and resident memory on a large simulated cluster; needs NATS")
    .option('--pods <n>', 'pods in the simulated cluster', positiveInt, 5000)
    .option('--events <n>', 'Kubernetes events to push through the agent', positiveInt, 20000)
    .option('--nats-url <url>', 'NATS with JetStream', 'nats://127.0.0.1:4222')
    .option('--node-options <flags>', "NODE_OPTIONS for the agent process (default: the deployment's, see docs/agent.md; '' for Node's defaults)")
    .option('--json', 'print one JSON object')
    .action(async (opts: { pods: number; events: number; natsUrl: string; json?: boolean; nodeOptions?: string }) => {
      const { runBenchAgent } = await import('./bench.js');
      exitCode = await runBenchAgent(opts);
    });
  bench
    .command('ingest')
    .description('events/s, publish-to-stored latency and loss through NATS into manager processes and PostgreSQL, against a raw COPY of the same rows; needs NATS and PostgreSQL')
    .option('--agents <n>', 'synthetic agents (one cluster and NATS connection each)', atLeastOne, 20)
    .option('--rate <n>', 'events per second offered by all agents together (0: as fast as they publish)', positiveInt, 20000)
    .option('--duration <s>', 'seconds of publishing', positiveNumber, 10)
    .option('--repeat <fraction>', 'share of events repeating a recent object and reason (what aggregation folds), 0-1', fraction, 0)
    .option('--managers <n>', 'manager processes sharing the durable consumer', atLeastOne, 1)
    .option('--event-batch <n>', 'events per NATS message the agents send (agent.event_batch_max; 1: one per message)', atLeastOne)
    .option('--linger <ms>', 'how long an event waits for others to share its message (agent.event_batch_linger, ms)', positiveNumber)
    .option('--prefill', 'publish everything first, then measure how fast the managers drain it (the control plane alone; no latency figures)')
    .option('--batch-size <n>', 'manager.ingest_batch_size (default: the configuration default)', atLeastOne)
    .option('--flush-interval <duration>', 'manager.ingest_flush_interval')
    .option('--concurrency <n>', 'manager.ingest_concurrency', atLeastOne)
    .option('--window <duration>', 'manager.event_aggregation_window')
    .option('--nats-url <url>', 'NATS with JetStream', 'nats://127.0.0.1:4222')
    .option('--database-url <url>', 'PostgreSQL whose user may create databases (a throwaway one is created and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--json', 'print one JSON object')
    .action(async (opts: BenchIngestCliOptions) => {
      const { runBenchIngest } = await import('./bench-ingest.js');
      exitCode = await runBenchIngest(opts);
    });
  bench
    .command('agents')
    .description("the manager process's CPU and memory with thousands of agents registering and heartbeating, and its false AgentOffline alerts; needs NATS and PostgreSQL")
    .option('--agents <n>', 'synthetic agents (one cluster each)', atLeastOne, 5000)
    .option('--interval <duration>', 'heartbeat interval of every agent (shorten it for a quick run)', '30s')
    .option('--periods <n>', 'heartbeat periods measured after all agents registered', atLeastOne, 4)
    .option('--connections <n>', 'NATS connections the agents share', atLeastOne, 100)
    .option('--nats-url <url>', 'NATS with JetStream', 'nats://127.0.0.1:4222')
    .option('--database-url <url>', 'PostgreSQL whose user may create databases (a throwaway one is created and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--json', 'print one JSON object')
    .action(async (opts: { agents: number; interval: string; periods: number; connections: number; natsUrl: string; databaseUrl: string; json?: boolean }) => {
      const { runBenchAgents } = await import('./bench-agents.js');
      exitCode = await runBenchAgents(opts);
    });
  bench
    .command('metrics')
    .description("the metrics store: write rate against a raw COPY of the same rows, bytes per row, retention by partition drop, query latency; needs PostgreSQL")
    .option('--pods <n>', 'pods per collection', positiveInt, 5000)
    .option('--days <n>', 'days of history to write', positiveInt, 2)
    .option('--interval <minutes>', 'minutes between collections', positiveInt, 10)
    .option('--database-url <url>', 'PostgreSQL whose user may create databases (a throwaway one is created and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--json', 'print one JSON object')
    .action(async (opts: { pods: number; days: number; interval: number; databaseUrl: string; json?: boolean }) => {
      const { runBenchMetrics } = await import('./bench-metrics.js');
      exitCode = await runBenchMetrics(opts);
    });
  bench.command('idle', { hidden: true }).action(async () => {
    const { runBenchIdle } = await import('./bench-idle.js');
    exitCode = await runBenchIdle();
  });

  program
    .command('analyze')
    .description('diagnose a cluster offline: a `kubectl cluster-info dump --output-directory DIR --all-namespaces` directory, or `kubectl get … -o json` files')
    .option('--dump <dir>', 'a kubectl cluster-info dump directory')
    .option('-f, --file <file...>', 'files of kubectl get … -o json output')
    .option('--resource <ref>', 'rank causes related to this object first: Kind/namespace/name or Kind/name')
    .option('--rules <dir>', 'root-cause rule directory (default: the built-in rules/)')
    .option('--min-confidence <p>', 'a root cause below this is reported as a best guess (exit 1)', fraction)
    .option('--json', 'print the analysis as JSON (the API\'s reply shape)')
    .action(async (opts: AnalyzeCliOptions) => {
      const { runAnalyze } = await import('./analyze.js');
      exitCode = await runAnalyze(opts);
    });

  const scenario = program.command('scenario').description('list and validate fault scenarios');
  scenario
    .command('list')
    .description('list the built-in scenarios with their expected root cause (or healthy)')
    .option('--dir <dir>', 'scenario directory (default: the built-in library)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string; json?: boolean }) => {
      const { runScenarioList } = await import('./scenario.js');
      exitCode = await runScenarioList(opts);
    });
  scenario
    .command('validate <file...>')
    .description('validate scenario files (or built-in names); prints every problem with its YAML path, line and hint')
    .action(async (files: string[]) => {
      const { runScenarioValidate } = await import('./scenario.js');
      exitCode = await runScenarioValidate(files);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
  return exitCode;
}
