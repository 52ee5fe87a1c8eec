/**
 * `createStore`: one `Store` over either SQL adapter. Migrations are never run implicitly; the caller
 * decides (`await store.migrations.up()`), so a replica never changes a schema it was not asked to.
 */
import { ConfigError, UnavailableError, errorMessage, type ValidationIssue } from '../../contracts/index.js';
import type { Logger } from '../telemetry/logger.js';
import { SqlMigrator } from './migrations.js';
import { PGliteSqlClient } from './pglite-client.js';
import { PostgresSqlClient } from './postgres-client.js';
import { withDeadline } from './sql-client.js';
import { SqlAgentRepository } from './sql-agent-repository.js';
import { SqlClusterRepository } from './sql-cluster-repository.js';
import { SqlCommandRepository } from './sql-command-repository.js';
import { SqlEventRepository } from './sql-event-repository.js';
import { SqlIncidentRepository } from './sql-incident-repository.js';
import { SqlKnowledgeRepository } from './sql-knowledge-repository.js';
import type { IncidentRepository } from './incident-store.js';
import type { AgentRepository, ClusterRepository, CommandRepository, EventRepository, KnowledgeRepository, Migrator, SqlClient, Store } from './store.js';

export const DEFAULT_PING_TIMEOUT_MS = 5_000;

export interface PostgresStoreOptions {
  kind: 'postgres';
  /** `postgres://user:password@host:5432/database` (or `postgresql://`). */
  url: string;
  /** Most pooled connections. Default 10. */
  poolMax?: number;
  /** Server-side statement timeout, ms; 0 disables it. Default 30 000. A statement over it throws TimeoutError. */
  statementTimeoutMs?: number;
  /** Wait for a new connection, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Close connections idle this long, ms. Default 30 000. */
  idleTimeoutMs?: number;
  /** `ping()` budget, ms. Default 5 000. */
  pingTimeoutMs?: number;
  /** Pool errors are logged here. Default: JSON on stdout at level `warn`. */
  logger?: Logger;
}

export interface PGliteStoreOptions {
  kind: 'pglite';
  /** Directory of the embedded database; `undefined` or `""` keeps it in memory (lost on exit). */
  dataDir?: string;
  /** `ping()` budget, ms. Default 5 000. */
  pingTimeoutMs?: number;
}

export type StoreOptions = PostgresStoreOptions | PGliteStoreOptions;

function integerIssue(issues: ValidationIssue[], path: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    issues.push({ path, message: `must be an integer of at least ${min}, got ${String(value)}` });
  }
}

/**
 * Checks options before anything is opened.
 * @throws ConfigError listing every problem with its option name.
 */
export function validateStoreOptions(options: StoreOptions): void {
  const issues: ValidationIssue[] = [];
  const kind = (options as { kind: unknown }).kind;
  if (kind === 'postgres') {
    const o = options as PostgresStoreOptions;
    if (typeof o.url !== 'string' || !/^postgres(ql)?:\/\/./.test(o.url)) {
      issues.push({ path: 'url', message: 'must be a postgres:// or postgresql:// URL' });
    }
    integerIssue(issues, 'poolMax', o.poolMax, 1);
    integerIssue(issues, 'statementTimeoutMs', o.statementTimeoutMs, 0);
    integerIssue(issues, 'connectTimeoutMs', o.connectTimeoutMs, 1);
    integerIssue(issues, 'idleTimeoutMs', o.idleTimeoutMs, 1);
  } else if (kind !== 'pglite') {
    issues.push({ path: 'kind', message: `must be "postgres" or "pglite", got ${JSON.stringify(kind)}` });
  }
  integerIssue(issues, 'pingTimeoutMs', options.pingTimeoutMs, 1);
  if (issues.length) {
    throw new ConfigError(`invalid store options: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
}

interface ClosableSqlClient extends SqlClient {
  close(): Promise<void>;
}

class SqlStore implements Store {
  readonly migrations: Migrator;
  readonly agents: AgentRepository;
  readonly clusters: ClusterRepository;
  readonly events: EventRepository;
  readonly commands: CommandRepository;
  readonly incidents: IncidentRepository;
  readonly knowledge: KnowledgeRepository;

  constructor(
    readonly kind: 'postgres' | 'pglite',
    readonly sql: ClosableSqlClient,
    private readonly pingTimeoutMs: number,
  ) {
    this.migrations = new SqlMigrator(sql);
    this.agents = new SqlAgentRepository(sql);
    this.clusters = new SqlClusterRepository(sql);
    this.events = new SqlEventRepository(sql);
    this.commands = new SqlCommandRepository(sql);
    this.incidents = new SqlIncidentRepository(sql);
    this.knowledge = new SqlKnowledgeRepository(sql);
  }

  async ping(): Promise<void> {
    try {
      await withDeadline(this.sql.query('SELECT 1'), this.pingTimeoutMs, `${this.kind} store`);
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      throw new UnavailableError(`${this.kind} store ping failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}

/**
 * Opens a store. `postgres` builds a pool without connecting (use `ping()` for readiness); `pglite` starts
 * the embedded database (about 3 s). The schema is not touched: run `store.migrations.up()` when wanted.
 * @throws ConfigError on invalid options.
 * @throws StoreError when the embedded database cannot start.
 */
export async function createStore(options: StoreOptions): Promise<Store> {
  validateStoreOptions(options);
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  if (options.kind === 'postgres') {
    const sql = new PostgresSqlClient({
      url: options.url,
      poolMax: options.poolMax,
      statementTimeoutMs: options.statementTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      logger: options.logger,
    });
    return new SqlStore('postgres', sql, pingTimeoutMs);
  }
  const sql = await PGliteSqlClient.create({ dataDir: options.dataDir });
  return new SqlStore('pglite', sql, pingTimeoutMs);
}
