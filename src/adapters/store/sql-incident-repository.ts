/**
 * Incidents in SQL: one row per incident, the timeline in its own table. Opening is an upsert on the
 * partial unique index of open incidents, so two replicas opening the same group converge on one row.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, type Incident, type IncidentSeverity, type IncidentWithTimeline, type TimelineEntry } from '../../contracts/index.js';
import { decodeEventCursor, encodeEventCursor } from './event-cursor.js';
import { pageSize } from './key-cursor.js';
import type { IncidentDraft, IncidentQuery, IncidentRepository } from './incident-store.js';
import type { Page, SqlClient } from './store.js';

const COLUMNS = `id, cluster_id, status, severity, category, title, resource, namespace, affected, blast_radius, signal_count,
  reasons, first_seen, last_seen, opened_at, updated_at, resolved_at, resolution, suggested_workflow, root_cause, diagnosis`;

type Row = Omit<Incident, 'namespace' | 'suggested_workflow' | 'root_cause' | 'diagnosis'> & {
  namespace: string | null;
  suggested_workflow: string | null;
  root_cause: Incident['root_cause'] | null;
  diagnosis: Incident['diagnosis'] | null;
};

function toIncident(row: Row): Incident {
  const { namespace, suggested_workflow, root_cause, diagnosis, ...rest } = row;
  const out: Incident = { ...rest, root_cause: root_cause ?? null, diagnosis: diagnosis ?? null };
  if (namespace !== null) out.namespace = namespace;
  if (suggested_workflow !== null) out.suggested_workflow = suggested_workflow;
  return out;
}

/** `inc-20250930-<12 hex>`: sortable by day, unique. */
export function newIncidentId(now = new Date()): string {
  return `inc-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

const DRAFT_SET = `severity = $3, category = $4, title = $5, resource = $6::jsonb, namespace = $7, affected = $8::jsonb,
  blast_radius = $9::jsonb, signal_count = $10, reasons = $11::jsonb, first_seen = LEAST(incidents.first_seen, $12::timestamptz),
  last_seen = GREATEST(incidents.last_seen, $13::timestamptz), suggested_workflow = $14, updated_at = now()`;

function draftParams(d: IncidentDraft): unknown[] {
  return [
    d.cluster_id,
    d.key,
    d.severity,
    d.category,
    d.title,
    JSON.stringify(d.resource),
    d.namespace ?? null,
    JSON.stringify(d.affected),
    JSON.stringify(d.blast_radius),
    d.signal_count,
    JSON.stringify(d.reasons),
    d.first_seen,
    d.last_seen,
    d.suggested_workflow ?? null,
  ];
}

export class SqlIncidentRepository implements IncidentRepository {
  constructor(private readonly sql: SqlClient) {}

  async open(draft: IncidentDraft, timeline: readonly TimelineEntry[]): Promise<{ incident: Incident; created: boolean }> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query<Row>(
        `INSERT INTO incidents (cluster_id, correlation_key, severity, category, title, resource, namespace, affected, blast_radius,
                                signal_count, reasons, first_seen, last_seen, suggested_workflow, id, status)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9::jsonb, $10, $11::jsonb, $12::timestamptz, $13::timestamptz, $14, $15, 'open')
         ON CONFLICT (cluster_id, correlation_key) WHERE status = 'open' DO NOTHING
         RETURNING ${COLUMNS}`,
        [...draftParams(draft), newIncidentId()],
      );
      let row = inserted.rows[0];
      const created = row !== undefined;
      if (!row) {
        const updated = await tx.query<Row>(
          `UPDATE incidents SET ${DRAFT_SET} WHERE cluster_id = $1 AND correlation_key = $2 AND status = 'open' RETURNING ${COLUMNS}`,
          draftParams(draft),
        );
        row = updated.rows[0];
      }
      if (!row) throw new ConflictError(`incident for ${draft.key} in cluster ${draft.cluster_id} was resolved while it was being opened`);
      await appendTimeline(tx, row.id, timeline);
      return { incident: toIncident(row), created };
    });
  }

  async update(draft: IncidentDraft, timeline: readonly TimelineEntry[]): Promise<Incident | undefined> {
    return this.sql.transaction(async (tx) => {
      const res = await tx.query<Row>(
        `UPDATE incidents SET ${DRAFT_SET} WHERE cluster_id = $1 AND correlation_key = $2 AND status = 'open' RETURNING ${COLUMNS}`,
        draftParams(draft),
      );
      const row = res.rows[0];
      if (!row) return undefined;
      await appendTimeline(tx, row.id, timeline);
      return toIncident(row);
    });
  }

  async resolveByKey(clusterId: string, key: string, resolution: { by: string; reason: string }, at: Date, quietSince?: Date): Promise<Incident | undefined> {
    return this.sql.transaction(async (tx) => {
      const res = await tx.query<Row>(
        `UPDATE incidents SET status = 'resolved', resolved_at = $3::timestamptz, resolution = $4::jsonb, updated_at = now()
          WHERE cluster_id = $1 AND correlation_key = $2 AND status = 'open' AND ($5::timestamptz IS NULL OR last_seen < $5::timestamptz)
          RETURNING ${COLUMNS}`,
        [clusterId, key, at.toISOString(), JSON.stringify(resolution), quietSince?.toISOString() ?? null],
      );
      const row = res.rows[0];
      if (!row) return undefined;
      await appendTimeline(tx, row.id, [{ at: at.toISOString(), type: 'status', summary: `resolved by ${resolution.by}: ${resolution.reason}`.slice(0, 2048), data: { status: 'resolved', ...resolution } }]);
      return toIncident(row);
    });
  }

  async resolve(id: string, resolution: { by: string; reason: string }): Promise<Incident> {
    return this.sql.transaction(async (tx) => {
      const res = await tx.query<Row>(
        `UPDATE incidents SET status = 'resolved', resolved_at = now(), resolution = $2::jsonb, updated_at = now()
          WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
        [id, JSON.stringify(resolution)],
      );
      const row = res.rows[0];
      if (!row) {
        const exists = await tx.query(`SELECT 1 FROM incidents WHERE id = $1`, [id]);
        if (exists.rowCount) throw new ConflictError(`incident ${id} is resolved already`);
        throw new NotFoundError(`no incident ${id}`);
      }
      await appendTimeline(tx, id, [{ at: row.updated_at, type: 'status', summary: `resolved by ${resolution.by}: ${resolution.reason}`.slice(0, 2048), data: { status: 'resolved', ...resolution } }]);
      return toIncident(row);
    });
  }

  async keyOf(id: string): Promise<{ cluster_id: string; key: string } | undefined> {
    const res = await this.sql.query<{ cluster_id: string; correlation_key: string }>(`SELECT cluster_id, correlation_key FROM incidents WHERE id = $1`, [id]);
    const row = res.rows[0];
    return row ? { cluster_id: row.cluster_id, key: row.correlation_key } : undefined;
  }

  /**
   * Records the latest diagnosis of an incident and its timeline entry; does not touch `updated_at`
   * (a diagnosis is not a change in the cluster). Resolved incidents keep their last diagnosis.
   * @returns the incident, or undefined when there is no such incident.
   */
  async setDiagnosis(id: string, rootCause: Incident['root_cause'], diagnosis: NonNullable<Incident['diagnosis']>, entry: TimelineEntry): Promise<Incident | undefined> {
    return this.sql.transaction(async (tx) => {
      const res = await tx.query<Row>(`UPDATE incidents SET root_cause = $2::jsonb, diagnosis = $3::jsonb WHERE id = $1 RETURNING ${COLUMNS}`, [
        id,
        rootCause ? JSON.stringify(rootCause) : null,
        JSON.stringify(diagnosis),
      ]);
      const row = res.rows[0];
      if (!row) return undefined;
      await appendTimeline(tx, id, [entry]);
      return toIncident(row);
    });
  }

  async appendTimeline(id: string, entries: readonly TimelineEntry[]): Promise<void> {
    await appendTimeline(this.sql, id, entries);
  }

  async get(id: string, timelineLimit = 1000): Promise<IncidentWithTimeline | undefined> {
    const res = await this.sql.query<Row>(`SELECT ${COLUMNS} FROM incidents WHERE id = $1`, [id]);
    const row = res.rows[0];
    if (!row) return undefined;
    const tl = await this.sql.query<TimelineEntry>(
      `SELECT at, type, summary, data FROM (SELECT at, type, summary, data, seq FROM incident_timeline WHERE incident_id = $1 ORDER BY seq DESC LIMIT $2) t ORDER BY seq`,
      [id, timelineLimit],
    );
    return { ...toIncident(row), timeline: tl.rows };
  }

  async list(query: IncidentQuery): Promise<Page<Incident>> {
    const limit = pageSize(query.limit);
    const cursor = query.cursor === undefined ? undefined : decodeEventCursor(query.cursor);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: unknown) => {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    };
    if (query.cluster_id !== undefined) add('cluster_id', query.cluster_id);
    if (query.status !== undefined) add('status', query.status);
    if (query.severity !== undefined) add('severity', query.severity);
    if (query.namespace !== undefined) add('namespace', query.namespace);
    if (cursor) {
      params.push(cursor.timestamp, cursor.id);
      where.push(`(opened_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit + 1);
    const res = await this.sql.query<Row>(
      `SELECT ${COLUMNS} FROM incidents${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const items = res.rows.slice(0, limit).map(toIncident);
    const last = items.at(-1);
    if (res.rows.length > limit && last) return { items, next_cursor: encodeEventCursor({ timestamp: last.opened_at, id: last.id }) };
    return { items };
  }

  async countOpenBySeverity(clusterId?: string): Promise<Record<IncidentSeverity, number>> {
    const res = await this.sql.query<{ severity: IncidentSeverity; n: number }>(
      `SELECT severity, count(*)::int AS n FROM incidents WHERE status = 'open'${clusterId === undefined ? '' : ' AND cluster_id = $1'} GROUP BY severity`,
      clusterId === undefined ? [] : [clusterId],
    );
    const out: Record<IncidentSeverity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
    for (const r of res.rows) out[r.severity] = Number(r.n);
    return out;
  }

  async deleteResolvedBefore(before: Date, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.sql.query(
        `DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at < $1::timestamptz LIMIT $2)`,
        [before.toISOString(), batchSize],
      );
      total += res.rowCount;
      if (res.rowCount < batchSize) return total;
    }
  }

  async listStale(before: Date, limit = 500): Promise<Incident[]> {
    const res = await this.sql.query<Row>(`SELECT ${COLUMNS} FROM incidents WHERE status = 'open' AND category <> 'agent_offline' AND updated_at < $1::timestamptz ORDER BY updated_at LIMIT $2`, [
      before.toISOString(),
      limit,
    ]);
    return res.rows.map(toIncident);
  }
}

async function appendTimeline(sql: SqlClient, id: string, entries: readonly TimelineEntry[]): Promise<void> {
  if (!entries.length) return;
  await sql.query(
    `INSERT INTO incident_timeline (incident_id, at, type, summary, data)
     SELECT $1, (e->>'at')::timestamptz, e->>'type', e->>'summary', coalesce(e->'data', '{}'::jsonb)
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, ord) ORDER BY ord`,
    [id, JSON.stringify(entries)],
  );
}
