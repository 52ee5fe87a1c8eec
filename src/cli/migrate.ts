import { AetheriusError, ConfigError } from '../contracts/index.js';
import { createStore } from '../adapters/store/index.js';
import { createLogger } from '../adapters/telemetry/index.js';
import { storeOptions } from './adapter-options.js';
import { loadConfig } from './load-config.js';
import { printConfigError } from './print-error.js';

export type MigrateAction = 'up' | 'down' | 'status';

/**
 * `aetherius migrate up [--to N] | down [--steps N] | status` against `database.url` (or the embedded
 * database at `database.embedded_dir`; an in-memory embedded database is refused since the result
 * would vanish).
 */
export async function runMigrate(action: MigrateAction, options: { config?: string; to?: number; steps?: number; json?: boolean }): Promise<number> {
  let config;
  try {
    ({ config } = await loadConfig(options.config));
  } catch (err) {
    if (err instanceof ConfigError) return printConfigError(err);
    throw err;
  }
  if (!config.database.url && !config.database.embedded_dir) {
    process.stderr.write('aetherius migrate: no database configured: set database.url (AETHERIUS_DATABASE_URL) or database.embedded_dir (AETHERIUS_DATABASE_EMBEDDED_DIR)\n');
    return 2;
  }
  let store;
  try {
    store = await createStore(storeOptions(config.database, createLogger({ level: 'warn', destination: process.stderr }), { poolMax: 2 }));
    switch (action) {
      case 'up': {
        const applied = await store.migrations.up(options.to);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'nothing to apply: the schema is current\n');
        return 0;
      }
      case 'down': {
        const reverted = await store.migrations.down(options.steps ?? 1);
        process.stdout.write(reverted.length ? `reverted: ${reverted.join(', ')}\n` : 'nothing to revert\n');
        return 0;
      }
      case 'status': {
        const rows = await store.migrations.status();
        if (options.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else for (const r of rows) process.stdout.write(`${String(r.version).padStart(4, '0')}  ${r.applied ? 'applied' : 'pending'}  ${r.name}${r.applied_at ? `  (${r.applied_at})` : ''}\n`);
        return 0;
      }
      default:
        process.stderr.write(`aetherius migrate: unknown action ${String(action)}\n`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`aetherius migrate ${action}: ${err instanceof AetheriusError ? `${err.code}: ${err.message}` : String(err)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}
