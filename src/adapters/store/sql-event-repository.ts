import { InputError, type AgentEvent } from '../../contracts/index.js';
import { decodeEventCursor, encodeEventCursor } from './event-cursor.js';
import type { EventQuery, EventRecord, EventRepository, Page, SqlClient } from './store.js';

export const DEFAULT_EVENT_PAGE_SIZE = 100;
export const MAX_EVENT_PAGE_SIZE = 1000;

const COLUMNS = `id, cluster_id, "timestamp", type, source, severity, reason, message, namespace, labels, raw_data,
  category, involved_object, owners, received_at`;

type EventRow = Omit<EventRecord, 'category' | 'involved_object' | 'owners'> & {
  category: EventRecord['category'] | null;
  involved_object: EventRecord['involved_object'] | null;
  owners: EventRecord['owners'] | null;
};

function toRecord(row: EventRow): EventRecord {
  const { category, involved_object, owners, ...rest } = row;
  const record: EventRecord = rest;
  if (category !== null) record.category = category;
  if (involved_object !== null) record.involved_object = involved_object;
  if (owners !== null) record.owners = owners;
  return record;
}

/**
 * One statement for the whole batch: the events travel as one JSON array, are de-duplicated by id (the
 * first copy in the batch wins) and inserted, skipping ids already stored. Timestamps are truncated to
 * milliseconds so that what is read back (and put in cursors) is exactly what is stored.
 */
const INSERT_MANY = `
INSERT INTO events (id, cluster_id, "timestamp", type, source, severity, reason, message, namespace, kind, name, node,
                    labels, raw_data, category, involved_object, owners)
SELECT DISTINCT ON (e.doc->>'id')
       e.doc->>'id', e.doc->>'cluster_id', date_trunc('milliseconds', (e.doc->>'timestamp')::timestamptz),
       e.doc->>'type', e.doc->>'source', e.doc->>'severity', e.doc->>'reason', e.doc->>'message',
       coalesce(e.doc->>'namespace', ''), e.doc->'labels'->>'kind', e.doc->'labels'->>'name', e.doc->'labels'->>'node',
       e.doc->'labels', e.doc->'raw_data', e.doc->>'category',
       nullif(e.doc->'involved_object', 'null'::jsonb), nullif(e.doc->'owners', 'null'::jsonb)
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(doc, ord)
 ORDER BY e.doc->>'id', e.ord
    ON CONFLICT (id) DO NOTHING`;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which container output sometimes carries; it is stored
 * as U+FFFD instead of failing the whole batch. Only real `\u0000` escapes are replaced, not an escaped
 * backslash followed by the text `u0000`.
 */
function withoutNulChars(json: string): string {
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

function timestampParam(value: string | undefined, field: 'since' | 'until'): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InputError(`invalid ${field}: ${JSON.stringify(value)} is not a timestamp`, [
      { path: field, message: 'must be an RFC 3339 timestamp such as 2025-09-30T10:15:30Z' },
    ]);
  }
  return new Date(ms).toISOString();
}

/**
 * Events in SQL. Timestamps come back as ISO 8601 UTC with milliseconds (`2025-09-30T10:15:30.000Z`):
 * the same instant as sent, in one canonical form.
 */
export class SqlEventRepository implements EventRepository {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Stores a batch in one round trip; ids already stored, or repeated in the batch, count as duplicates.
   * @throws InputError when the database rejects a value (e.g. an unknown severity); nothing is stored then.
   * @throws StoreError when the database fails.
   */
  async insertMany(events: readonly AgentEvent[]): Promise<{ inserted: number; duplicates: number }> {
    if (events.length === 0) return { inserted: 0, duplicates: 0 };
    const docs = events.map(({ schema_version: _v, ...rest }) => rest);
    const res = await this.sql.query(INSERT_MANY, [withoutNulChars(JSON.stringify(docs))]);
    return { inserted: res.rowCount, duplicates: events.length - res.rowCount };
  }

  async get(id: string): Promise<EventRecord | undefined> {
    const res = await this.sql.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE id = $1`, [id]);
    const row = res.rows[0];
    return row ? toRecord(row) : undefined;
  }

  /**
   * Newest first (`timestamp`, then `id`, both descending). `since` is inclusive, `until` exclusive.
   * @throws InputError naming the field: `limit` outside 1–1000, a malformed `cursor`, `since`/`until`
   *   that are not timestamps.
   */
  async list(query: EventQuery): Promise<Page<EventRecord>> {
    const limit = query.limit ?? DEFAULT_EVENT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_PAGE_SIZE) {
      throw new InputError(`invalid limit ${String(limit)}: must be an integer from 1 to ${MAX_EVENT_PAGE_SIZE}`, [
        { path: 'limit', message: `must be an integer from 1 to ${MAX_EVENT_PAGE_SIZE}` },
      ]);
    }
    const cursor = query.cursor === undefined ? undefined : decodeEventCursor(query.cursor);
    const since = timestampParam(query.since, 'since');
    const until = timestampParam(query.until, 'until');

    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (query.text !== undefined && query.text.trim() !== '') add((p) => `search @@ websearch_to_tsquery('english', ${p})`, query.text);
    if (query.cluster_id !== undefined) add((p) => `cluster_id = ${p}`, query.cluster_id);
    if (query.namespace !== undefined) add((p) => `namespace = ${p}`, query.namespace);
    if (query.kind !== undefined) add((p) => `kind = ${p}`, query.kind);
    if (query.name !== undefined) add((p) => `name = ${p}`, query.name);
    if (query.reason !== undefined) add((p) => `reason = ${p}`, query.reason);
    if (query.severity !== undefined) add((p) => `severity = ${p}`, query.severity);
    if (since !== undefined) add((p) => `"timestamp" >= ${p}::timestamptz`, since);
    if (until !== undefined) add((p) => `"timestamp" < ${p}::timestamptz`, until);
    if (cursor) {
      params.push(cursor.timestamp, cursor.id);
      where.push(`("timestamp", id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit + 1);
    const sql =
      `SELECT ${COLUMNS} FROM events` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY "timestamp" DESC, id DESC LIMIT $${params.length}`;
    const res = await this.sql.query<EventRow>(sql, params);
    const items = res.rows.slice(0, limit).map(toRecord);
    const last = items.at(-1);
    if (res.rows.length > limit && last) {
      return { items, next_cursor: encodeEventCursor({ timestamp: last.timestamp, id: last.id }) };
    }
    return { items };
  }

  /** Deletes events whose `timestamp` is before `before`; returns how many. */
  async deleteOlderThan(before: Date, batchSize = 10_000): Promise<number> {
    // In batches, so a first run over a large backlog never holds one long transaction and its locks
    // (or hits statement_timeout); each batch walks the time index.
    let total = 0;
    for (;;) {
      const res = await this.sql.query(
        `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE "timestamp" < $1::timestamptz ORDER BY "timestamp" LIMIT $2)`,
        [before.toISOString(), batchSize],
      );
      total += res.rowCount;
      if (res.rowCount < batchSize) return total;
    }
  }
}
