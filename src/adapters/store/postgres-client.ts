/**
 * `SqlClient` over a `pg.Pool`: real PostgreSQL, shared by several replicas.
 */
import pg from 'pg';
import { StoreError } from '../../contracts/index.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { PG_TYPES, inSavepoint, redactUrl, toStoreError } from './sql-client.js';
import type { QueryResult, SqlClient } from './store.js';

export const DEFAULT_POOL_MAX = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_APPLICATION_NAME = 'aetherius';

export interface PostgresSqlClientOptions {
  /** `postgres://user:password@host:5432/database`. */
  url: string;
  /** Most connections the pool opens. Default 10. */
  poolMax?: number;
  /** Server-side `statement_timeout` per connection, in ms; 0 disables it. Default 30 s. */
  statementTimeoutMs?: number;
  /** How long to wait for a new connection, in ms. Default 10 s. */
  connectTimeoutMs?: number;
  /** How long an unused connection stays open, in ms. Default 30 s. */
  idleTimeoutMs?: number;
  /** Shown in `pg_stat_activity`. Default `aetherius`. */
  applicationName?: string;
  /** Where pool errors go. Default: a JSON logger on stdout at level `warn`. */
  logger?: Logger;
}

type Queryable = pg.Pool | pg.PoolClient;

async function run<R>(db: Queryable, text: string, params: readonly unknown[] | undefined): Promise<QueryResult<R>> {
  const res = await db.query(text, params as unknown[] | undefined);
  return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length };
}

/** One checked-out connection inside BEGIN … COMMIT. Unusable once the transaction ends. */
class PostgresTransactionClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  finished = false;

  constructor(private readonly conn: pg.PoolClient) {}

  private check(): void {
    if (this.finished) throw new StoreError('transaction already finished: use the client passed to transaction() only inside it');
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.check();
    try {
      return await run<R>(this.conn, text, params);
    } catch (err) {
      throw toStoreError(err, 'query');
    }
  }

  async exec(sql: string): Promise<void> {
    this.check();
    try {
      await this.conn.query(sql);
    } catch (err) {
      throw toStoreError(err, 'exec');
    }
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    this.check();
    return inSavepoint(this, fn);
  }
}

/**
 * A pooled PostgreSQL client. Connections are opened lazily; construct it, then `ping()` through the store
 * to check readiness. Errors on idle connections (server restart, network) are logged, never thrown: the
 * pool drops the broken connection and opens a new one on next use.
 */
export class PostgresSqlClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #target: string;
  #closing: Promise<void> | undefined;

  /** Builds the pool (no connection yet). Options are expected validated (see `createStore`). */
  constructor(options: PostgresSqlClientOptions) {
    const logger = options.logger ?? createLogger({ level: 'warn', base: { component: 'store' } });
    this.#target = redactUrl(options.url);
    const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax ?? DEFAULT_POOL_MAX,
      // Sent in the startup packet, so it holds for every statement on every connection of the pool.
      statement_timeout: statementTimeout > 0 ? statementTimeout : false,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      application_name: options.applicationName ?? DEFAULT_APPLICATION_NAME,
      types: PG_TYPES,
    });
    const target = this.#target;
    this.#pool.on('error', (err) => {
      logger.warn({ err, database: target }, 'idle database connection failed');
    });
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  #check(): void {
    if (this.#closing) throw new StoreError(`store is closed (${this.#target})`);
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.#check();
    try {
      return await run<R>(this.#pool, text, params);
    } catch (err) {
      throw toStoreError(err, 'query');
    }
  }

  async exec(sql: string): Promise<void> {
    this.#check();
    try {
      await this.#pool.query(sql);
    } catch (err) {
      throw toStoreError(err, 'exec');
    }
  }

  /**
   * Runs `fn` on one checked-out connection between BEGIN and COMMIT (ROLLBACK when `fn` throws; its error
   * is rethrown unchanged). A connection whose ROLLBACK fails is destroyed rather than returned to the pool.
   * @throws StoreError when no connection can be had or BEGIN/COMMIT fails.
   */
  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    this.#check();
    let conn: pg.PoolClient;
    try {
      conn = await this.#pool.connect();
    } catch (err) {
      throw toStoreError(err, `connect to ${this.#target}`);
    }
    const tx = new PostgresTransactionClient(conn);
    let broken: Error | undefined;
    try {
      try {
        await conn.query('BEGIN');
      } catch (err) {
        broken = err instanceof Error ? err : new Error(String(err));
        throw toStoreError(err, 'begin transaction');
      }
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        tx.finished = true;
        try {
          await conn.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      }
      tx.finished = true;
      try {
        await conn.query('COMMIT');
      } catch (err) {
        broken = err instanceof Error ? err : new Error(String(err));
        throw toStoreError(err, 'commit transaction');
      }
      return result;
    } finally {
      tx.finished = true;
      conn.release(broken);
    }
  }

  /** Ends the pool after running queries finish. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.end().catch(() => undefined);
    return this.#closing;
  }
}
