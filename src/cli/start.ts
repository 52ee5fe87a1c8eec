import { AetheriusError, ConfigError, NotImplementedError } from '../contracts/index.js';
import { expandTargets } from '../core/targets.js';
import { startApp } from './app.js';
import { agentEnv, loadConfig } from './load-config.js';
import { printConfigError } from './print-error.js';
import { waitForSignal } from './signals.js';

export const EXIT_NOT_IMPLEMENTED = 3;

/**
 * `aetherius start --target T`: runs until SIGINT/SIGTERM, then shuts down gracefully.
 * Exit codes: 0 after a clean shutdown, 1 on a start failure, 2 on bad usage or config (including no
 * cluster for the agent to watch), 3 when the target is not implemented yet.
 */
export async function runStart(options: { target: string; config?: string }): Promise<number> {
  let services;
  try {
    services = expandTargets(options.target);
  } catch (err) {
    process.stderr.write(`aetherius start: ${(err as Error).message}\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = await loadConfig(options.config);
  } catch (err) {
    if (err instanceof ConfigError) return printConfigError(err);
    throw err;
  }

  let app;
  try {
    app = await startApp({ config: loaded.config, services, agentEnv: agentEnv(), agentOptional: !options.target.split(',').map((t) => t.trim()).includes('agent') });
  } catch (err) {
    if (err instanceof NotImplementedError) {
      process.stderr.write(`aetherius start: ${err.message}\n`);
      return EXIT_NOT_IMPLEMENTED;
    }
    // A configuration found wanting only at start (no cluster for the agent, an unreadable key file).
    if (err instanceof ConfigError) {
      process.stderr.write(`aetherius start: ${err.message}\n`);
      return printConfigError(err);
    }
    const detail = err instanceof AetheriusError ? `${err.code}: ${err.message}` : String(err);
    process.stderr.write(`aetherius start: failed: ${detail}\n`);
    return 1;
  }
  for (const w of loaded.warnings) app.logger.warn({ warning: w }, 'configuration warning');

  await waitForSignal(app.logger);
  const timer = setTimeout(() => {
    app.logger.error('shutdown took longer than 30s; exiting');
    process.exit(1);
  }, 30_000);
  timer.unref();
  await app.stop();
  return 0;
}
