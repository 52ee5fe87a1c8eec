/**
 * Versioned schema migrations, the same SQL for PostgreSQL and PGlite. A released migration never changes:
 * its checksum is recorded when applied and checked on every later run. To change the schema, append a
 * migration.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../contracts/index.js';
import type { MigrationStatus, Migrator, SqlClient } from './store.js';
import { incidentsMigration } from './incidents-migration.js';
import { eventAggregationMigration } from './event-aggregation-migration.js';
import { metricsMigration } from './metrics-migration.js';
import { incidentDiagnosisMigration } from './incident-diagnosis-migration.js';
import { knowledgeMigration } from './knowledge-migration.js';

export interface Migration {
  /** Positive, strictly increasing in `MIGRATIONS`. */
  version: number;
  /** snake_case summary, e.g. `initial_schema`. */
  name: string;
  /** Statements separated by `;`, run in one transaction. */
  up: string;
  /** Undoes `up` exactly. */
  down: string;
}

export const MIGRATIONS_TABLE = 'aetherius_schema_migrations';

/**
 * Key of the advisory lock held (per transaction) while a migration is checked and applied, so replicas
 * starting together apply each migration once. Arbitrary but fixed: it must never change.
 */
export const MIGRATION_LOCK_KEY = 4_173_021_967;

const initialSchema: Migration = {
  version: 1,
  name: 'initial_schema',
  up: `
CREATE TABLE clusters (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  environment text,
  labels      jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
  agent_id           text PRIMARY KEY,
  cluster_id         text NOT NULL,
  version            text NOT NULL,
  hostname           text,
  kubernetes_version text,
  capabilities       jsonb NOT NULL DEFAULT '[]',
  labels             jsonb NOT NULL DEFAULT '{}',
  config             jsonb NOT NULL DEFAULT '{}',
  status             text NOT NULL DEFAULT 'online' CONSTRAINT agents_status_check CHECK (status IN ('online', 'offline')),
  registered_at      timestamptz NOT NULL DEFAULT now(),
  last_heartbeat_at  timestamptz,
  heartbeat          jsonb
);
CREATE INDEX agents_cluster_id_idx ON agents (cluster_id);
CREATE INDEX agents_status_idx ON agents (status);

-- Event ids sort bytewise (COLLATE "C") so keyset pages are ordered identically on every server, whatever
-- its default collation. Timestamps are stored at millisecond precision (see the event repository).
CREATE TABLE events (
  id              text COLLATE "C" PRIMARY KEY,
  cluster_id      text NOT NULL,
  "timestamp"     timestamptz NOT NULL,
  type            text NOT NULL CONSTRAINT events_type_check CHECK (type IN ('k8s_event', 'state_change')),
  source          text NOT NULL,
  severity        text NOT NULL CONSTRAINT events_severity_check CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  reason          text NOT NULL,
  message         text NOT NULL,
  namespace       text NOT NULL DEFAULT '',
  kind            text NOT NULL,
  name            text NOT NULL,
  node            text,
  labels          jsonb NOT NULL,
  raw_data        jsonb NOT NULL,
  category        text,
  involved_object jsonb,
  owners          jsonb,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_cluster_time_idx ON events (cluster_id, "timestamp" DESC, id DESC);
CREATE INDEX events_time_idx ON events ("timestamp" DESC, id DESC);
CREATE INDEX events_object_idx ON events (cluster_id, namespace, kind, name);
CREATE INDEX events_reason_idx ON events (reason);
CREATE INDEX events_severity_idx ON events (severity);

CREATE TABLE commands (
  id             text PRIMARY KEY,
  cluster_id     text NOT NULL,
  type           text NOT NULL CONSTRAINT commands_type_check CHECK (type IN ('diagnostic', 'remediation')),
  tool           text NOT NULL,
  action         text NOT NULL,
  args           jsonb NOT NULL DEFAULT '[]',
  namespace      text,
  timeout        text NOT NULL,
  issued_by      text NOT NULL,
  correlation_id text,
  "timestamp"    timestamptz,
  state          text NOT NULL DEFAULT 'pending' CONSTRAINT commands_state_check CHECK (state IN ('pending', 'sent', 'completed')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz
);
CREATE INDEX commands_cluster_created_idx ON commands (cluster_id, created_at DESC);
CREATE INDEX commands_correlation_idx ON commands (correlation_id) WHERE correlation_id IS NOT NULL;

-- No foreign key to commands: a result can arrive for a command this store never saw (an in-memory store
-- after a restart, a command issued by another control plane). It is kept anyway, for the audit trail.
CREATE TABLE command_results (
  command_id     text PRIMARY KEY,
  cluster_id     text NOT NULL,
  status         text NOT NULL CONSTRAINT command_results_status_check CHECK (status IN ('success', 'error', 'rejected', 'timeout')),
  exit_code      integer NOT NULL,
  output         text NOT NULL,
  error          text NOT NULL DEFAULT '',
  execution_time text NOT NULL,
  "timestamp"    timestamptz NOT NULL,
  truncated      boolean,
  received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX command_results_cluster_idx ON command_results (cluster_id);
`,
  down: `
DROP TABLE command_results;
DROP TABLE commands;
DROP TABLE events;
DROP TABLE agents;
DROP TABLE clusters;
`,
};

/**
 * Full-text search over events (`POST /api/v1/events/search`): a stored tsvector of what a person
 * searches for — reason, message, object, namespace, node — with a GIN index. The `english`
 * configuration stems words ("restarting" finds "restart"); identifiers such as `CrashLoopBackOff`
 * stay whole tokens.
 */
const eventSearch: Migration = {
  version: 2,
  name: 'event_full_text_search',
  up: `
ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS (
  to_tsvector('english', reason || ' ' || message || ' ' || kind || ' ' || name || ' ' || namespace || ' ' || coalesce(node, ''))
) STORED;
CREATE INDEX events_search_idx ON events USING GIN (search);
`,
  down: `
DROP INDEX events_search_idx;
ALTER TABLE events DROP COLUMN search;
`,
};

/** Every migration, oldest first. Append only. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([initialSchema, eventSearch, incidentsMigration, metricsMigration, eventAggregationMigration, knowledgeMigration, incidentDiagnosisMigration]);

/** SHA-256 (hex) of a migration's `up` SQL, as recorded when it is applied. */
export function migrationChecksum(m: Pick<Migration, 'up'>): string {
  return createHash('sha256').update(m.up, 'utf8').digest('hex');
}

/**
 * Checks that versions are positive integers, strictly increasing, with unique names.
 * @throws InputError naming the offending entry.
 */
export function validateMigrations(list: readonly Migration[]): void {
  let previous = 0;
  const names = new Set<string>();
  list.forEach((m, i) => {
    const path = `migrations[${i}]`;
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new InputError(`${path}: version ${m.version} must be an integer greater than ${previous}`, [
        { path: `${path}.version`, message: `must be an integer greater than ${previous}` },
      ]);
    }
    if (!/^[a-z][a-z0-9_]*$/.test(m.name) || names.has(m.name)) {
      throw new InputError(`${path}: name ${JSON.stringify(m.name)} must be unique snake_case`, [
        { path: `${path}.name`, message: 'must be unique snake_case' },
      ]);
    }
    names.add(m.name);
    previous = m.version;
  });
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
}

/**
 * Applies and reverts `MIGRATIONS` (or another list, for tests). Each migration runs in its own
 * transaction holding `pg_advisory_xact_lock(MIGRATION_LOCK_KEY)`; inside it the recorded state is re-read,
 * so a migration that another replica applied meanwhile is skipped. Migration transactions run without
 * a statement timeout.
 *
 * Every method refuses to work on a database this build does not match:
 * @throws InputError when an applied migration's checksum differs from this build's SQL, or when the
 *   database records a version this build does not know (written by a newer build).
 * @throws StoreError (or TimeoutError) when the database fails.
 */
export class SqlMigrator implements Migrator {
  readonly #sql: SqlClient;
  readonly #migrations: readonly Migration[];

  constructor(sql: SqlClient, migrations: readonly Migration[] = MIGRATIONS) {
    validateMigrations(migrations);
    this.#sql = sql;
    this.#migrations = migrations;
  }

  /**
   * Applies pending migrations up to `to` (default: the latest). Returns the versions this call applied.
   * @throws InputError when `to` is not a version of this build (and see the class).
   */
  async up(to?: number): Promise<number[]> {
    const latest = this.#migrations.at(-1)?.version ?? 0;
    const target = to ?? latest;
    if (to !== undefined && !this.#migrations.some((m) => m.version === to)) {
      throw new InputError(`cannot migrate up to version ${to}: this build knows versions ${this.#known()}`, [
        { path: 'to', message: `must be one of ${this.#known()}` },
      ]);
    }
    const applied: number[] = [];
    for (const m of this.#migrations) {
      if (m.version > target) break;
      const did = await this.#sql.transaction(async (tx) => {
        const rows = await this.#lockAndRead(tx);
        if (rows.some((r) => r.version === m.version)) return false;
        await tx.exec(m.up);
        await tx.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [
          m.version,
          m.name,
          migrationChecksum(m),
        ]);
        return true;
      });
      if (did) applied.push(m.version);
    }
    return applied;
  }

  /**
   * Reverts the newest `steps` applied migrations (default 1), newest first. Returns the versions reverted;
   * fewer than `steps` when fewer were applied.
   * @throws InputError when `steps` is not a positive integer (and see the class).
   */
  async down(steps = 1): Promise<number[]> {
    if (!Number.isInteger(steps) || steps < 1) {
      throw new InputError(`cannot migrate down ${steps} steps: steps must be a positive integer`, [
        { path: 'steps', message: 'must be a positive integer' },
      ]);
    }
    const reverted: number[] = [];
    for (let i = 0; i < steps; i++) {
      const version = await this.#sql.transaction(async (tx) => {
        const rows = await this.#lockAndRead(tx);
        const newest = rows.at(-1);
        if (!newest) return undefined;
        const m = this.#migrations.find((x) => x.version === newest.version);
        if (!m) throw new Error(`unreachable: migration ${newest.version} was verified`);
        await tx.exec(m.down);
        await tx.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE version = $1`, [m.version]);
        return m.version;
      });
      if (version === undefined) break;
      reverted.push(version);
    }
    return reverted;
  }

  /** Every migration of this build, oldest first, with whether and when it was applied. */
  async status(): Promise<MigrationStatus[]> {
    const present = await this.#sql.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
    const rows = present.rows[0]?.present ? await this.#read(this.#sql) : [];
    this.#verify(rows);
    return this.#migrations.map((m) => {
      const row = rows.find((r) => r.version === m.version);
      return { version: m.version, name: m.name, applied: row !== undefined, applied_at: row?.applied_at ?? null };
    });
  }

  async #lockAndRead(tx: SqlClient): Promise<AppliedRow[]> {
    // The pool's statement_timeout is sized for requests; a replica waiting for another's migration, or a
    // migration building an index on a large table, may legitimately take longer.
    await tx.exec('SET LOCAL statement_timeout = 0');
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    // Created under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog.
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await this.#read(tx);
    this.#verify(rows);
    return rows;
  }

  async #read(db: SqlClient): Promise<AppliedRow[]> {
    const res = await db.query<AppliedRow>(`SELECT version, name, checksum, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY version`);
    return res.rows;
  }

  #verify(rows: readonly AppliedRow[]): void {
    for (const row of rows) {
      const m = this.#migrations.find((x) => x.version === row.version);
      const path = `migrations.${row.version}`;
      if (!m) {
        throw new InputError(
          `the database has migration ${row.version} (${row.name}) applied, which this build does not know (it knows ${this.#known()}); ` +
            'it was written by a newer Aetherius: run that version or restore a matching backup',
          [{ path, message: 'applied in the database but unknown to this build' }],
        );
      }
      const expected = migrationChecksum(m);
      if (row.checksum !== expected) {
        throw new InputError(
          `migration ${row.version} (${m.name}) was applied from different SQL than this build's ` +
            `(checksum ${row.checksum.slice(0, 12)} in the database, ${expected.slice(0, 12)} here); ` +
            'released migrations must never change: add a new migration instead',
          [{ path, message: 'checksum differs from the applied migration' }],
        );
      }
    }
  }

  #known(): string {
    const versions = this.#migrations.map((m) => m.version);
    return versions.length ? versions.join(', ') : '(none)';
  }
}
