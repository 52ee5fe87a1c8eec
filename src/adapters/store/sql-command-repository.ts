import { ConflictError, NotFoundError, type AgentCommand, type AgentResult } from '../../contracts/index.js';
import { jsonParam } from './sql-client.js';
import type { CommandRecord, CommandRepository, CommandResultRecord, CommandState, SqlClient } from './store.js';

const COMMAND_COLUMNS = `id, cluster_id, type, tool, action, args, namespace, timeout, issued_by, correlation_id, "timestamp",
  state, created_at, completed_at`;
const RESULT_COLUMNS = `command_id, cluster_id, status, exit_code, output, error, execution_time, "timestamp", truncated, received_at`;

type CommandRow = Omit<CommandRecord, 'namespace' | 'correlation_id' | 'timestamp'> & {
  namespace: string | null;
  correlation_id: string | null;
  timestamp: string | null;
};
type ResultRow = Omit<CommandResultRecord, 'truncated'> & { truncated: boolean | null };

function toCommand(row: CommandRow): CommandRecord {
  const { namespace, correlation_id, timestamp, ...rest } = row;
  const record: CommandRecord = rest;
  if (namespace !== null) record.namespace = namespace;
  if (correlation_id !== null) record.correlation_id = correlation_id;
  if (timestamp !== null) record.timestamp = timestamp;
  return record;
}

function toResult(row: ResultRow): CommandResultRecord {
  const { truncated, ...rest } = row;
  const record: CommandResultRecord = rest;
  if (truncated !== null) record.truncated = truncated;
  return record;
}

/**
 * Commands and their results in SQL. A command's state only moves forward to `completed`: once a result
 * is stored, `setState('sent')` (which can race with a fast result) leaves it completed.
 */
export class SqlCommandRepository implements CommandRepository {
  constructor(private readonly sql: SqlClient) {}

  /** Stores a new command in state `pending`. @throws ConflictError when the id exists. */
  async create(cmd: AgentCommand): Promise<CommandRecord> {
    const res = await this.sql
      .query<CommandRow>(
        `INSERT INTO commands (id, cluster_id, type, tool, action, args, namespace, timeout, issued_by, correlation_id, "timestamp")
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::timestamptz)
         RETURNING ${COMMAND_COLUMNS}`,
        [
          cmd.id,
          cmd.cluster_id,
          cmd.type,
          cmd.tool,
          cmd.action,
          jsonParam(cmd.args ?? []),
          cmd.namespace ?? null,
          cmd.timeout ?? '30s',
          cmd.issued_by,
          cmd.correlation_id ?? null,
          cmd.timestamp ?? null,
        ],
      )
      .catch((err: unknown) => {
        throw err instanceof ConflictError ? new ConflictError(`command ${JSON.stringify(cmd.id)} already exists`, { cause: err }) : err;
      });
    const row = res.rows[0];
    if (!row) throw new Error('unreachable: INSERT … RETURNING returned no row');
    return toCommand(row);
  }

  /**
   * Moves the command to `state` (a completed command stays completed).
   * @throws NotFoundError when there is no such command.
   */
  async setState(id: string, state: CommandState): Promise<void> {
    const res = await this.sql.query<{ found: boolean }>(
      `WITH updated AS (
         UPDATE commands
            SET state = $2, completed_at = CASE WHEN $2 = 'completed' THEN coalesce(completed_at, now()) ELSE completed_at END
          WHERE id = $1 AND state <> 'completed'
         RETURNING id)
       SELECT EXISTS (SELECT 1 FROM commands WHERE id = $1) AS found`,
      [id, state],
    );
    if (!res.rows[0]?.found) throw new NotFoundError(`command ${JSON.stringify(id)} not found`);
  }

  async get(id: string): Promise<CommandRecord | undefined> {
    const res = await this.sql.query<CommandRow>(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE id = $1`, [id]);
    const row = res.rows[0];
    return row ? toCommand(row) : undefined;
  }

  /**
   * Stores the result unless one is stored for this command already (the first wins: `stored: false` for
   * later ones), and completes the command when it is known. A result for an unknown command is stored too.
   * One statement, so result and command state never disagree.
   */
  async saveResult(result: AgentResult): Promise<{ stored: boolean }> {
    const res = await this.sql.query<{ stored: boolean }>(
      `WITH inserted AS (
         INSERT INTO command_results (command_id, cluster_id, status, exit_code, output, error, execution_time, "timestamp", truncated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9)
         ON CONFLICT (command_id) DO NOTHING
         RETURNING command_id),
       completed AS (
         UPDATE commands SET state = 'completed', completed_at = coalesce(completed_at, now())
           FROM inserted WHERE commands.id = inserted.command_id
         RETURNING commands.id)
       SELECT EXISTS (SELECT 1 FROM inserted) AS stored, (SELECT count(*) FROM completed) AS completed`,
      [
        result.command_id,
        result.cluster_id,
        result.status,
        result.exit_code,
        result.output,
        result.error ?? '',
        result.execution_time,
        result.timestamp,
        result.truncated ?? null,
      ],
    );
    return { stored: res.rows[0]?.stored === true };
  }

  async getResult(commandId: string): Promise<CommandResultRecord | undefined> {
    const res = await this.sql.query<ResultRow>(`SELECT ${RESULT_COLUMNS} FROM command_results WHERE command_id = $1`, [commandId]);
    const row = res.rows[0];
    return row ? toResult(row) : undefined;
  }
}
