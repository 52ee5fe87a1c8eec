/**
 * Maps the frozen configuration onto adapter options, once, for every subcommand that opens a store or
 * a bus.
 */
import type { CreateBusOptions } from '../adapters/bus/index.js';
import type { StoreOptions } from '../adapters/store/index.js';
import type { Logger } from '../adapters/telemetry/index.js';
import type { Config } from '../core/config/index.js';

export function storeOptions(database: Config['database'], logger: Logger, overrides: { poolMax?: number } = {}): StoreOptions {
  if (!database.url) return { kind: 'pglite', dataDir: database.embedded_dir || undefined };
  return {
    kind: 'postgres',
    url: database.url,
    poolMax: overrides.poolMax ?? database.pool_max,
    statementTimeoutMs: database.statement_timeout,
    connectTimeoutMs: database.connect_timeout,
    logger,
  };
}

export function busOptions(bus: Config['bus'], overrides: { url?: string } = {}): CreateBusOptions {
  const url = overrides.url ?? bus.url;
  const tlsSet = Boolean(bus.tls.ca_file || bus.tls.cert_file || bus.tls.key_file);
  return {
    url: url || undefined,
    namespace: bus.namespace || undefined,
    name: bus.name,
    credentialsFile: bus.credentials_file || undefined,
    user: bus.user || undefined,
    password: bus.password || undefined,
    token: bus.token || undefined,
    nkeySeedFile: bus.nkey_seed_file || undefined,
    inboxPrefix: bus.inbox_prefix || undefined,
    tls: tlsSet ? { caFile: bus.tls.ca_file || undefined, certFile: bus.tls.cert_file || undefined, keyFile: bus.tls.key_file || undefined } : undefined,
    reconnectTimeWaitMs: bus.reconnect_delay,
    maxReconnectAttempts: bus.max_reconnect_attempts,
  };
}
