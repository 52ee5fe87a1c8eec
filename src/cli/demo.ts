import { ConfigError, NotImplementedError } from '../contracts/index.js';
import { createLogger } from '../adapters/telemetry/index.js';
import { SERVICE_NAMES } from '../core/targets.js';
import { startApp, type App } from './app.js';
import { INTERNAL_SUBJECTS, type IncidentChange } from '../contracts/index.js';
import { loadConfig } from './load-config.js';
import { printConfigError } from './print-error.js';
import { waitForSignal } from './signals.js';
import { SimUsageError, printSimBanner, startSimClusters, type SimHandle } from './sim.js';

export const DEFAULT_DEMO_SCENARIO = 'postgres-outage-cascade';
export const DEFAULT_DEMO_SPEED = 5;

export interface DemoOptions {
  scenario?: string;
  speed?: number;
  config?: string;
  kubeconfigOut?: string;
}

/**
 * `aetherius demo` (what `npm start` runs): a simulated cluster playing a fault scenario, served over
 * the Kubernetes API with a kubeconfig, beside the control plane (`--target all`) with embedded
 * defaults. Runs until SIGINT/SIGTERM.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(options.config);
  } catch (err) {
    if (err instanceof ConfigError) return printConfigError(err);
    throw err;
  }
  const logger = createLogger({ level: loaded.config.log_level, base: { target: 'demo' } });
  let sim: SimHandle;
  try {
    sim = await startSimClusters(
      {
        scenario: [options.scenario ?? DEFAULT_DEMO_SCENARIO],
        speed: options.speed ?? DEFAULT_DEMO_SPEED,
        ...(options.kubeconfigOut ? { kubeconfigOut: options.kubeconfigOut } : {}),
      },
      logger,
    );
  } catch (err) {
    process.stderr.write(`aetherius demo: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof SimUsageError ? 2 : 1;
  }
  let app: App;
  try {
    // The agent watches the simulated cluster through its kubeconfig, exactly as it would a real one.
    const first = sim.clusters[0];
    const config = {
      ...loaded.config,
      kube: { ...loaded.config.kube, kubeconfig: sim.kubeconfig, context: first?.id ?? '' },
      agent: { ...loaded.config.agent, cluster_id: loaded.config.agent.cluster_id || (first?.id ?? '') },
    };
    app = await startApp({ config, services: SERVICE_NAMES, logger });
  } catch (err) {
    await sim.stop();
    process.stderr.write(`aetherius demo: control plane failed to start: ${err instanceof NotImplementedError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const out = process.stderr;
  out.write('\nAetherius demo\n');
  printSimBanner(sim, out);
  out.write(`control plane: ${app.url}  (/health/ready, /metrics, /api/v1/agents, /api/v1/events)\n`);
  out.write('agent: watching the simulated cluster and reporting to the control plane; try  curl -s ' + app.url + '/api/v1/events | head\n');
  out.write(`incidents: ${app.url}/api/v1/incidents  (each with its root_cause once diagnosed)\n`);
  out.write('press Ctrl-C to stop\n\n');
  const view = app.bus ? app.bus.subscribe(INTERNAL_SUBJECTS.incidentChanged, (m) => {
    const line = incidentLine(m.json() as IncidentChange);
    if (line) out.write(`${line}\n`);
  }) : undefined;
  await waitForSignal(logger);
  await view?.unsubscribe().catch(() => undefined);
  await app.stop();
  await sim.stop();
  return 0;
}

const shown = new Map<string, string>();

/** One terminal line per new fact about an incident: opened, diagnosed (or re-diagnosed), resolved. */
function incidentLine(change: IncidentChange): string | undefined {
  const i = change.incident;
  const r = i.resource;
  const what = `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
  const time = new Date().toISOString().slice(11, 19);
  const rc = i.root_cause;
  const state = change.change === 'resolved' ? 'resolved' : rc ? `rc:${rc.type}:${rc.confidence.toFixed(2)}` : 'open';
  if (shown.get(i.id) === state) return undefined;
  shown.set(i.id, state);
  if (change.change === 'resolved') return `${time}  ✔ RESOLVED ${i.severity} ${what} (${i.id})`;
  if (!rc) return `${time}  ● ${i.severity} ${what}: ${i.title} — diagnosing…`;
  const top = i.diagnosis?.recommendations[0];
  const where = rc.resource ? `${rc.resource.kind} ${rc.resource.namespace ? `${rc.resource.namespace}/` : ''}${rc.resource.name}` : what;
  return (
    `${time}  ◆ ${i.severity} ${what}: root cause ${rc.type} on ${where}, confidence ${rc.confidence.toFixed(2)}\n` +
    (rc.evidence[0] ? `            evidence: ${rc.evidence[0]}\n` : '') +
    (top ? `            fix: ${top.action} (risk ${top.risk}) — needs approval to run` : '            fix: none recommended')
  );
}
