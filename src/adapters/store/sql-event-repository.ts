import { InputError, type AgentEvent } from '../../contracts/index.js';
import { decodeEventCursor, encodeEventCursor } from './event-cursor.js';
import { pageSize } from './key-cursor.js';
import type { EventQuery, EventRecord, EventRepository, InsertEventsOptions, InsertEventsResult, Page, SqlClient } from './store.js';

/** `manager.event_aggregation_window`'s default. */
export const DEFAULT_EVENT_AGGREGATION_WINDOW_MS = 10 * 60_000;
/**
 * The longest aggregation window. An aggregate never spans more than its window, so an aggregate whose
 * last occurrence is after an instant began at most this long before it: time filters and retention
 * rely on it whatever the window was when a row was written.
 */
export const MAX_EVENT_AGGREGATION_WINDOW_MS = 60 * 60_000;

const COLUMNS = `e.id, e.cluster_id, e."timestamp", e.type, e.source, e.severity, e.reason, e.message, e.namespace, e.labels,
  e.raw_data, e.category, e.involved_object, e.owners, e.count, e.last_timestamp, e.received_at`;

type EventRow = Omit<EventRecord, 'category' | 'involved_object' | 'owners' | 'first_timestamp'> & {
  category: EventRecord['category'] | null;
  involved_object: EventRecord['involved_object'] | null;
  owners: EventRecord['owners'] | null;
};

function toRecord(row: EventRow): EventRecord {
  const { category, involved_object, owners, count, last_timestamp, received_at, ...rest } = row;
  const record: EventRecord = { ...rest, count, first_timestamp: rest.timestamp, last_timestamp, received_at };
  if (category !== null) record.category = category;
  if (involved_object !== null) record.involved_object = involved_object;
  if (owners !== null) record.owners = owners;
  return record;
}

/**
 * The whole batch in ONE statement, so it is atomic and needs one round trip:
 *
 * 1. `input`: the events travel as one JSON array; the first copy of an id in the batch wins.
 *    Timestamps are truncated to milliseconds so that what is read back (and put in cursors) is
 *    exactly what is stored.
 * 2. `keyed`: each event's fingerprint — SHA-256 of the JSON array [cluster_id, namespace, kind, name,
 *    reason] (a hash, so one fixed-size unique index serves any name length; SHA-256, so no agent can
 *    craft a collision with another cluster's events) — and its window: tumbling windows of `$2` ms
 *    aligned on the epoch. With `$2` = 0 every event is its own aggregate.
 * 3. `fresh`: the ids go into `event_ids`; ids already there (redeliveries, or another replica's
 *    concurrent copy, whose transaction we wait for) are skipped. Only the ids that went in are counted.
 * 4. `upserted`: the fresh events, grouped by (fingerprint, window), are upserted into `events`: a new
 *    aggregate takes its first event's id; an existing one adds the count, keeps the earliest first
 *    occurrence, and takes the descriptive fields of whichever occurrence is latest.
 *
 * Both inserts run in a fixed order (ids, then keys, each sorted), so replicas writing overlapping
 * batches at once wait for each other instead of deadlocking. The statement returns the fresh ids.
 */
const INSERT_MANY = `
WITH input AS (
  SELECT DISTINCT ON (e.doc->>'id' COLLATE "C") e.doc->>'id' COLLATE "C" AS id, e.doc,
         date_trunc('milliseconds', (e.doc->>'timestamp')::timestamptz) AS ts
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(doc, ord)
   ORDER BY e.doc->>'id' COLLATE "C", e.ord
),
keyed AS (
  SELECT id, doc, ts,
         CASE WHEN $2::bigint > 0
              THEN sha256(convert_to(jsonb_build_array(doc->>'cluster_id', coalesce(doc->>'namespace', ''), doc->'labels'->>'kind',
                                                       doc->'labels'->>'name', doc->>'reason')::text, 'UTF8'))
              ELSE sha256(convert_to('event:' || id, 'UTF8')) END AS fingerprint,
         CASE WHEN $2::bigint > 0 THEN date_bin(make_interval(secs => $2::bigint / 1000.0), ts, timestamptz '1970-01-01 00:00:00+00')
              ELSE ts END AS window_start
    FROM input
),
fresh AS (
  INSERT INTO event_ids (id, fingerprint, window_start, "timestamp")
  SELECT id, fingerprint, window_start, ts FROM keyed ORDER BY id
      ON CONFLICT (id) DO NOTHING
  RETURNING id
),
grouped AS (
  SELECT k.fingerprint, k.window_start, count(*)::int AS n, min(k.ts) AS first_ts, max(k.ts) AS last_ts,
         (array_agg(k.id ORDER BY k.ts, k.id))[1] AS first_id,
         (array_agg(k.doc ORDER BY k.ts DESC, k.id DESC))[1] AS doc
    FROM keyed k JOIN fresh f ON f.id = k.id
   GROUP BY k.fingerprint, k.window_start
),
upserted AS (
  INSERT INTO events AS ev (id, cluster_id, "timestamp", type, source, severity, reason, message, namespace, kind, name, node,
                            labels, raw_data, category, involved_object, owners, fingerprint, window_start, count, last_timestamp)
  SELECT g.first_id, g.doc->>'cluster_id', g.first_ts, g.doc->>'type', g.doc->>'source', g.doc->>'severity', g.doc->>'reason',
         g.doc->>'message', coalesce(g.doc->>'namespace', ''), g.doc->'labels'->>'kind', g.doc->'labels'->>'name',
         g.doc->'labels'->>'node', g.doc->'labels', g.doc->'raw_data', g.doc->>'category',
         nullif(g.doc->'involved_object', 'null'::jsonb), nullif(g.doc->'owners', 'null'::jsonb),
         g.fingerprint, g.window_start, g.n, g.last_ts
    FROM grouped g
   ORDER BY g.fingerprint, g.window_start
      ON CONFLICT (fingerprint, window_start) DO UPDATE SET
         count = ev.count + excluded.count,
         "timestamp" = least(ev."timestamp", excluded."timestamp"),
         last_timestamp = greatest(ev.last_timestamp, excluded.last_timestamp),
         type = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.type ELSE ev.type END,
         source = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.source ELSE ev.source END,
         severity = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.severity ELSE ev.severity END,
         message = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.message ELSE ev.message END,
         node = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.node ELSE ev.node END,
         labels = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.labels ELSE ev.labels END,
         raw_data = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.raw_data ELSE ev.raw_data END,
         category = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.category ELSE ev.category END,
         involved_object = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.involved_object ELSE ev.involved_object END,
         owners = CASE WHEN excluded.last_timestamp >= ev.last_timestamp THEN excluded.owners ELSE ev.owners END
  RETURNING 1
)
SELECT id FROM fresh`;

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

function windowParam(options: InsertEventsOptions | undefined): number {
  const ms = options?.aggregationWindowMs ?? DEFAULT_EVENT_AGGREGATION_WINDOW_MS;
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_EVENT_AGGREGATION_WINDOW_MS) {
    throw new InputError(`invalid aggregation window ${String(ms)} ms: must be an integer from 0 to ${MAX_EVENT_AGGREGATION_WINDOW_MS}`, [
      { path: 'aggregationWindowMs', message: `must be an integer from 0 (no aggregation) to ${MAX_EVENT_AGGREGATION_WINDOW_MS} ms` },
    ]);
  }
  return ms;
}

/**
 * Events in SQL. Timestamps come back as ISO 8601 UTC with milliseconds (`2025-09-30T10:15:30.000Z`):
 * the same instant as sent, in one canonical form.
 */
export class SqlEventRepository implements EventRepository {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Stores a batch in one statement; ids already stored, or repeated in the batch, count as duplicates.
   * @throws InputError when the database rejects a value (e.g. an unknown severity), or the window is out
   *   of range; nothing is stored then.
   * @throws StoreError when the database fails.
   */
  async insertMany(events: readonly AgentEvent[], options?: InsertEventsOptions): Promise<InsertEventsResult> {
    const windowMs = windowParam(options);
    if (events.length === 0) return { inserted: 0, duplicates: 0, stored: [] };
    const docs = events.map(({ schema_version: _v, ...rest }) => rest);
    const res = await this.sql.query<{ id: string }>(INSERT_MANY, [withoutNulChars(JSON.stringify(docs)), windowMs]);
    const fresh = new Set(res.rows.map((r) => r.id));
    const stored: AgentEvent[] = [];
    for (const e of events) {
      if (fresh.delete(e.id)) stored.push(e);
    }
    return { inserted: res.rows.length, duplicates: events.length - res.rows.length, stored };
  }

  async get(id: string): Promise<EventRecord | undefined> {
    const res = await this.sql.query<EventRow>(
      `SELECT ${COLUMNS} FROM event_ids i JOIN events e ON e.fingerprint = i.fingerprint AND e.window_start = i.window_start WHERE i.id = $1`,
      [id],
    );
    const row = res.rows[0];
    return row ? toRecord(row) : undefined;
  }

  /**
   * Newest first (`timestamp`, then `id`, both descending). An aggregate is listed when it overlaps
   * [`since`, `until`).
   * @throws InputError naming the field: `limit` outside 1–1000, a malformed `cursor`, `since`/`until`
   *   that are not timestamps.
   */
  async list(query: EventQuery): Promise<Page<EventRecord>> {
    const limit = pageSize(query.limit);
    const cursor = query.cursor === undefined ? undefined : decodeEventCursor(query.cursor);
    const since = timestampParam(query.since, 'since');
    const until = timestampParam(query.until, 'until');

    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (query.text !== undefined && query.text.trim() !== '') add((p) => `e.search @@ websearch_to_tsquery('english', ${p})`, query.text);
    if (query.cluster_id !== undefined) add((p) => `e.cluster_id = ${p}`, query.cluster_id);
    if (query.namespace !== undefined) add((p) => `e.namespace = ${p}`, query.namespace);
    if (query.kind !== undefined) add((p) => `e.kind = ${p}`, query.kind);
    if (query.name !== undefined) add((p) => `e.name = ${p}`, query.name);
    if (query.reason !== undefined) add((p) => `e.reason = ${p}`, query.reason);
    if (query.severity !== undefined) add((p) => `e.severity = ${p}`, query.severity);
    if (since !== undefined) {
      add((p) => `e.last_timestamp >= ${p}::timestamptz`, since);
      // The same condition in a form the time indexes can use (an aggregate spans less than its window).
      add((p) => `e."timestamp" > ${p}::timestamptz`, new Date(Date.parse(since) - MAX_EVENT_AGGREGATION_WINDOW_MS).toISOString());
    }
    if (until !== undefined) add((p) => `e."timestamp" < ${p}::timestamptz`, until);
    if (cursor) {
      params.push(cursor.timestamp, cursor.id);
      where.push(`(e."timestamp", e.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit + 1);
    const sql =
      `SELECT ${COLUMNS} FROM events e` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY e."timestamp" DESC, e.id DESC LIMIT $${params.length}`;
    const res = await this.sql.query<EventRow>(sql, params);
    const items = res.rows.slice(0, limit).map(toRecord);
    const last = items.at(-1);
    if (res.rows.length > limit && last) {
      return { items, next_cursor: encodeEventCursor({ timestamp: last.timestamp, id: last.id }) };
    }
    return { items };
  }

  /**
   * Deletes aggregates whose last occurrence is before `before`, then the ids of events older than
   * `before` minus the longest window (every aggregate they could belong to is gone by then); returns
   * how many aggregates went.
   */
  async deleteOlderThan(before: Date, batchSize = 10_000): Promise<number> {
    // In batches, so a first run over a large backlog never holds one long transaction and its locks
    // (or hits statement_timeout); each batch walks the time index (an aggregate's first occurrence is
    // never after its last).
    let total = 0;
    for (;;) {
      const res = await this.sql.query(
        `DELETE FROM events WHERE id IN (
           SELECT id FROM events WHERE "timestamp" < $1::timestamptz AND last_timestamp < $1::timestamptz ORDER BY "timestamp" LIMIT $2)`,
        [before.toISOString(), batchSize],
      );
      total += res.rowCount;
      if (res.rowCount < batchSize) break;
    }
    const idsBefore = new Date(before.getTime() - MAX_EVENT_AGGREGATION_WINDOW_MS).toISOString();
    for (;;) {
      const res = await this.sql.query(`DELETE FROM event_ids WHERE id IN (SELECT id FROM event_ids WHERE "timestamp" < $1::timestamptz LIMIT $2)`, [
        idsBefore,
        batchSize,
      ]);
      if (res.rowCount < batchSize) return total;
    }
  }
}
