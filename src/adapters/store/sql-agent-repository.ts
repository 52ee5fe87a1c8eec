import type { AgentHeartbeat, AgentRegister } from '../../contracts/index.js';
import { decodeKeyCursor, encodeKeyCursor, pageSize } from './key-cursor.js';
import { jsonParam } from './sql-client.js';
import type { AgentQuery, AgentRecord, AgentRepository, AgentStatus, Page, SqlClient } from './store.js';

const COLUMNS = `agent_id, cluster_id, version, hostname, kubernetes_version, capabilities, labels, config, status,
  registered_at, last_heartbeat_at, heartbeat`;

/**
 * Agents in SQL. `registered_at` and `last_heartbeat_at` are the database's clock at receipt, not the
 * agent's `timestamp`: liveness is judged against the control plane's clock, and agent clocks drift.
 */
export class SqlAgentRepository implements AgentRepository {
  constructor(private readonly sql: SqlClient) {}

  /** Creates the agent or refreshes every registered field; status becomes `online`. */
  async upsertRegistration(msg: AgentRegister): Promise<AgentRecord> {
    const res = await this.sql.query<AgentRecord>(
      `INSERT INTO agents (agent_id, cluster_id, version, hostname, kubernetes_version, capabilities, labels, config, status, registered_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, 'online', now())
       ON CONFLICT (agent_id) DO UPDATE SET
         cluster_id = EXCLUDED.cluster_id, version = EXCLUDED.version, hostname = EXCLUDED.hostname,
         kubernetes_version = EXCLUDED.kubernetes_version, capabilities = EXCLUDED.capabilities,
         labels = EXCLUDED.labels, config = EXCLUDED.config, status = 'online', registered_at = now()
       RETURNING ${COLUMNS}`,
      [
        msg.agent_id,
        msg.cluster_id,
        msg.version,
        msg.hostname ?? null,
        msg.kubernetes_version ?? null,
        jsonParam(msg.capabilities ?? []),
        jsonParam(msg.labels ?? {}),
        jsonParam(msg.config ?? {}),
      ],
    );
    const row = res.rows[0];
    if (!row) throw new Error('unreachable: INSERT … RETURNING returned no row');
    return row;
  }

  /**
   * Records the heartbeat (the message without `schema_version`) and marks the agent `online`, in one
   * statement that also returns the status it had before (so a return from `offline` is seen without a
   * second query per heartbeat). Undefined when no agent with this id is registered for this cluster.
   */
  async recordHeartbeat(msg: AgentHeartbeat): Promise<AgentStatus | undefined> {
    const { schema_version: _v, ...heartbeat } = msg;
    const res = await this.sql.query<{ previous_status: AgentStatus }>(
      `UPDATE agents a SET last_heartbeat_at = now(), heartbeat = $3::jsonb, status = 'online'
         FROM (SELECT agent_id, status FROM agents WHERE agent_id = $1 AND cluster_id = $2 FOR UPDATE) prev
        WHERE a.agent_id = prev.agent_id
        RETURNING prev.status AS previous_status`,
      [msg.agent_id, msg.cluster_id, jsonParam(heartbeat)],
    );
    return res.rows[0]?.previous_status;
  }

  async get(agentId: string): Promise<AgentRecord | undefined> {
    const res = await this.sql.query<AgentRecord>(`SELECT ${COLUMNS} FROM agents WHERE agent_id = $1`, [agentId]);
    return res.rows[0];
  }

  /** Ordered by `agent_id` (bytewise). */
  async list(filter: { cluster_id?: string; status?: AgentStatus } = {}): Promise<AgentRecord[]> {
    const res = await this.sql.query<AgentRecord>(
      `SELECT ${COLUMNS} FROM agents
        WHERE ($1::text IS NULL OR cluster_id = $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY agent_id COLLATE "C"`,
      [filter.cluster_id ?? null, filter.status ?? null],
    );
    return res.rows;
  }

  /** Keyset pages by `agent_id` (bytewise): a page never repeats or skips an agent, whatever is added meanwhile. */
  async listPage(query: AgentQuery): Promise<Page<AgentRecord>> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? null : decodeKeyCursor('agents', query.cursor);
    const res = await this.sql.query<AgentRecord>(
      `SELECT ${COLUMNS} FROM agents
        WHERE ($1::text IS NULL OR cluster_id = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR agent_id COLLATE "C" > $3::text COLLATE "C")
        ORDER BY agent_id COLLATE "C" LIMIT $4`,
      [query.cluster_id ?? null, query.status ?? null, after, limit + 1],
    );
    const items = res.rows.slice(0, limit);
    const last = items.at(-1);
    return res.rows.length > limit && last ? { items, next_cursor: encodeKeyCursor('agents', last.agent_id) } : { items };
  }

  async markOfflineBefore(before: Date, agentIds?: readonly string[]): Promise<AgentRecord[]> {
    const res = await this.sql.query<AgentRecord>(
      `UPDATE agents SET status = 'offline'
        WHERE status = 'online' AND coalesce(last_heartbeat_at, registered_at) < $1::timestamptz
          AND ($2::text[] IS NULL OR agent_id = ANY($2::text[]))
        RETURNING ${COLUMNS}`,
      [before.toISOString(), agentIds ? [...agentIds] : null],
    );
    return res.rows.sort((a, b) => (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0));
  }

  async delete(agentId: string): Promise<boolean> {
    const res = await this.sql.query(`DELETE FROM agents WHERE agent_id = $1`, [agentId]);
    return res.rowCount > 0;
  }
}
