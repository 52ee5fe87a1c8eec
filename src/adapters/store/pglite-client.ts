/**
 * `SqlClient` over PGlite: PostgreSQL compiled to WebAssembly, in this process. One connection only;
 * PGlite queues every `query`/`exec` behind a running `transaction()`, so a plain query issued while a
 * transaction is open waits for it to finish instead of running inside it.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { StoreError } from '../../contracts/index.js';
import { TYPE_PARSERS, inSavepoint, toStoreError } from './sql-client.js';
import type { QueryResult, SqlClient } from './store.js';

export interface PGliteSqlClientOptions {
  /**
   * Directory holding the database files, created when missing. `undefined` or `""`: in memory, gone when
   * the process exits. One process at a time may open a directory.
   */
  dataDir?: string;
}

interface PGliteResults {
  rows: unknown[];
  affectedRows?: number;
  command?: string;
}

function toResult<R>(res: PGliteResults): QueryResult<R> {
  // PGlite reports affectedRows 0 for SELECT; `pg` reports the number of rows. Match `pg`.
  const rowCount = res.command === 'SELECT' || res.affectedRows === undefined ? res.rows.length : res.affectedRows;
  return { rows: res.rows as R[], rowCount };
}

class PGliteTransactionClient implements SqlClient {
  readonly dialect = 'pglite' as const;
  finished = false;

  constructor(private readonly tx: Transaction) {}

  private check(): void {
    if (this.finished) throw new StoreError('transaction already finished: use the client passed to transaction() only inside it');
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.check();
    try {
      return toResult<R>(await this.tx.query(text, params ? [...params] : undefined));
    } catch (err) {
      throw toStoreError(err, 'query');
    }
  }

  async exec(sql: string): Promise<void> {
    this.check();
    try {
      await this.tx.exec(sql);
    } catch (err) {
      throw toStoreError(err, 'exec');
    }
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    this.check();
    return inSavepoint(this, fn);
  }
}

export class PGliteSqlClient implements SqlClient {
  readonly dialect = 'pglite' as const;
  readonly #db: PGlite;
  #closing: Promise<void> | undefined;

  private constructor(db: PGlite) {
    this.#db = db;
  }

  /**
   * Starts the embedded database (about 3 s; a new directory is initialised first).
   * @throws StoreError when the directory cannot be created or PGlite fails to start.
   */
  static async create(options: PGliteSqlClientOptions = {}): Promise<PGliteSqlClient> {
    const dataDir = options.dataDir === '' ? undefined : options.dataDir;
    try {
      if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
      const db = await PGlite.create({ dataDir, parsers: { ...TYPE_PARSERS } });
      return new PGliteSqlClient(db);
    } catch (err) {
      throw toStoreError(err, `start embedded database${dataDir === undefined ? ' (in memory)' : ` in ${dataDir}`}`);
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  #check(): void {
    if (this.#closing) throw new StoreError('store is closed (embedded database)');
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.#check();
    try {
      return toResult<R>(await this.#db.query(text, params ? [...params] : undefined));
    } catch (err) {
      throw toStoreError(err, 'query');
    }
  }

  async exec(sql: string): Promise<void> {
    this.#check();
    try {
      await this.#db.exec(sql);
    } catch (err) {
      throw toStoreError(err, 'exec');
    }
  }

  /**
   * Runs `fn` inside PGlite's own `transaction()`, which holds the connection exclusively: other queries
   * wait. Calling this client (rather than `tx`) from inside `fn` therefore waits forever — use `tx`.
   * The error `fn` throws is rethrown unchanged.
   */
  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    this.#check();
    let failure: { err: unknown } | undefined;
    try {
      return await this.#db.transaction(async (raw) => {
        const tx = new PGliteTransactionClient(raw);
        try {
          return await fn(tx);
        } catch (err) {
          failure = { err };
          throw err;
        } finally {
          tx.finished = true;
        }
      });
    } catch (err) {
      if (failure && failure.err === err) throw err;
      throw toStoreError(err, 'transaction');
    }
  }

  /** Waits for running work, then shuts the embedded database down. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#db.close().catch(() => undefined);
    return this.#closing;
  }
}
