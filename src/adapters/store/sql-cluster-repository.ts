import { ConflictError } from '../../contracts/index.js';
import { decodeKeyCursor, encodeKeyCursor, pageSize } from './key-cursor.js';
import { jsonParam } from './sql-client.js';
import type { ClusterRecord, ClusterRepository, Page, PageQuery, SqlClient } from './store.js';

const COLUMNS = 'id, name, environment, labels, created_at, updated_at';

export class SqlClusterRepository implements ClusterRepository {
  constructor(private readonly sql: SqlClient) {}

  /** @throws ConflictError when a cluster with this id exists. */
  async create(c: { id: string; name: string; environment?: string; labels?: Record<string, string> }): Promise<ClusterRecord> {
    const res = await this.sql
      .query<ClusterRecord>(`INSERT INTO clusters (id, name, environment, labels) VALUES ($1, $2, $3, $4::jsonb) RETURNING ${COLUMNS}`, [
        c.id,
        c.name,
        c.environment ?? null,
        jsonParam(c.labels ?? {}),
      ])
      .catch((err: unknown) => {
        throw err instanceof ConflictError ? new ConflictError(`cluster ${JSON.stringify(c.id)} already exists`, { cause: err }) : err;
      });
    const row = res.rows[0];
    if (!row) throw new Error('unreachable: INSERT … RETURNING returned no row');
    return row;
  }

  /** Creates `{ id, name: id }` unless the cluster exists; an existing record is left untouched. */
  async ensure(id: string): Promise<void> {
    await this.sql.query(`INSERT INTO clusters (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING`, [id]);
  }

  async get(id: string): Promise<ClusterRecord | undefined> {
    const res = await this.sql.query<ClusterRecord>(`SELECT ${COLUMNS} FROM clusters WHERE id = $1`, [id]);
    return res.rows[0];
  }

  /** Ordered by `id` (bytewise). */
  async list(): Promise<ClusterRecord[]> {
    const res = await this.sql.query<ClusterRecord>(`SELECT ${COLUMNS} FROM clusters ORDER BY id COLLATE "C"`);
    return res.rows;
  }

  /** Keyset pages by `id` (bytewise). */
  async listPage(query: PageQuery): Promise<Page<ClusterRecord>> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? null : decodeKeyCursor('clusters', query.cursor);
    const res = await this.sql.query<ClusterRecord>(
      `SELECT ${COLUMNS} FROM clusters WHERE ($1::text IS NULL OR id COLLATE "C" > $1::text COLLATE "C") ORDER BY id COLLATE "C" LIMIT $2`,
      [after, limit + 1],
    );
    const items = res.rows.slice(0, limit);
    const last = items.at(-1);
    return res.rows.length > limit && last ? { items, next_cursor: encodeKeyCursor('clusters', last.id) } : { items };
  }
}
