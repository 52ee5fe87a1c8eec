/**
 * The metrics store in SQL (PostgreSQL and PGlite alike). Layout and reasons: metrics-migration.ts and
 * the ADR on the metrics store. Writes are one statement per call whatever the number of samples;
 * reads are one statement per metric a selector selects.
 */
import { InputError, type AgentMetrics } from '../../contracts/index.js';
import {
  ENTITY_KINDS,
  METRICS,
  entityId,
  entityLabels,
  extraLabel,
  messageEntities,
  metricDefinition,
  recordSamples,
  type EntityKind,
  type EntityRef,
  type FlatSample,
  type MetricDefinition,
} from '../../core/metric-series/index.js';
import type { Matcher, RawSeries } from '../../core/promql/index.js';
import { METRIC_SAMPLE_TABLES } from './metrics-migration.js';
import type {
  AvailabilityQuery,
  AvailabilityResult,
  MetricRepository,
  MetricRetentionResult,
  MetricWriteResult,
  SeriesQuery,
  SloAlertStateChange,
} from './metric-store.js';
import type { SqlClient } from './store.js';

/** Advisory lock held while partitions are created or dropped, so replicas never race on the catalog. */
export const METRIC_PARTITION_LOCK_KEY = 4_173_021_968;

const DAY_MS = 86_400_000;
/** An entity's `last_seen` is refreshed when a sample this much newer arrives. */
const ENTITY_REFRESH_MS = 3_600_000;
const ENTITY_CACHE_MAX = 500_000;

/** Sample columns per entity kind: the agent message's field names, with their SQL types. */
const COLUMNS: Readonly<Record<EntityKind, readonly (readonly [string, string])[]>> = {
  cluster: [
    ['total_nodes', 'integer'],
    ['ready_nodes', 'integer'],
    ['total_pods', 'integer'],
    ['running_pods', 'integer'],
    ['pending_pods', 'integer'],
    ['failed_pods', 'integer'],
    ['cpu_usage_percent', 'double precision'],
    ['memory_usage_percent', 'double precision'],
  ],
  node: [
    ['ready', 'boolean'],
    ['pod_count', 'integer'],
    ['cpu_usage_percent', 'double precision'],
    ['memory_usage_percent', 'double precision'],
    ['cpu_usage_millicores', 'double precision'],
    ['memory_usage_bytes', 'double precision'],
    ['cpu_allocatable_millicores', 'double precision'],
    ['memory_allocatable_bytes', 'double precision'],
    ['conditions', 'jsonb'],
  ],
  pod: [
    ['phase', 'text'],
    ['ready', 'boolean'],
    ['restarts', 'integer'],
    ['cpu_usage_millicores', 'double precision'],
    ['memory_usage_bytes', 'double precision'],
    ['cpu_request_millicores', 'double precision'],
    ['cpu_limit_millicores', 'double precision'],
    ['memory_request_bytes', 'double precision'],
    ['memory_limit_bytes', 'double precision'],
  ],
  namespace: [
    ['total_pods', 'integer'],
    ['running_pods', 'integer'],
    ['pending_pods', 'integer'],
    ['failed_pods', 'integer'],
    ['restarts', 'integer'],
    ['cpu_usage_millicores', 'double precision'],
    ['memory_usage_bytes', 'double precision'],
  ],
};

/** The entity column each label reads, per kind. Labels a kind does not have read as "". */
const LABEL_COLUMNS: Readonly<Record<EntityKind, Readonly<Record<string, string>>>> = {
  cluster: { cluster: 'e.cluster_id' },
  node: { cluster: 'e.cluster_id', node: 'e.name' },
  pod: { cluster: 'e.cluster_id', namespace: 'e.namespace', pod: 'e.name', node: 'e.node' },
  namespace: { cluster: 'e.cluster_id', namespace: 'e.namespace' },
};

function buildWriteSql(): string {
  const ctes = ENTITY_KINDS.map((kind) => {
    const cols = COLUMNS[kind];
    const names = cols.map(([n]) => n);
    return `k_${kind} AS (
  INSERT INTO ${METRIC_SAMPLE_TABLES[kind]} (entity_id, ts, ${names.join(', ')})
  SELECT x.entity_id, x.ts, ${names.map((n) => `x.${n}`).join(', ')}
    FROM jsonb_to_recordset($1::jsonb -> '${kind}') AS x(entity_id bigint, ts timestamptz, ${cols.map(([n, t]) => `${n} ${t}`).join(', ')})
  ON CONFLICT DO NOTHING
  RETURNING 1
)`;
  });
  // Entities: inserted when new; refreshed only when an hour has passed, an older sample arrives, or a
  // pod moved — so a steady cluster costs no entity writes between hours. Sorted by id so replicas
  // upserting overlapping sets lock rows in the same order.
  return `
WITH ent AS (
  INSERT INTO metric_entities AS e (id, cluster_id, kind, namespace, name, node, first_seen, last_seen)
  SELECT x.id, x.cluster_id, x.kind, x.namespace, x.name, x.node, x.first_seen, x.last_seen
    FROM jsonb_to_recordset($1::jsonb -> 'entities') AS x(id bigint, cluster_id text, kind text, namespace text, name text, node text, first_seen timestamptz, last_seen timestamptz)
   ORDER BY x.id
  ON CONFLICT (id) DO UPDATE SET
    first_seen = least(e.first_seen, excluded.first_seen),
    last_seen = greatest(e.last_seen, excluded.last_seen),
    node = CASE WHEN excluded.node <> '' AND excluded.last_seen >= e.last_seen THEN excluded.node ELSE e.node END
  WHERE excluded.last_seen > e.last_seen + interval '1 hour'  -- ENTITY_REFRESH_MS
     OR excluded.first_seen < e.first_seen
     OR (excluded.node <> '' AND excluded.node <> e.node AND excluded.last_seen >= e.last_seen)
  RETURNING 1
),
${ctes.join(',\n')}
SELECT ${ENTITY_KINDS.map((k) => `(SELECT count(*) FROM k_${k})`).join(' + ')} AS rows`;
}

const WRITE_SQL = buildWriteSql();

function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function dayTag(dayMs: number): string {
  return new Date(dayMs).toISOString().slice(0, 10).replace(/-/g, '');
}

/** `metric_pod_samples_p20250930` → the day's start (unix ms); undefined for any other name. */
function partitionDay(name: string): number | undefined {
  const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(ms) ? ms : undefined;
}

/** A PromQL matcher on a label a series does not have: it is tested against "". */
function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test('');
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test('');
  }
}

function sqlOperator(op: Matcher['op']): string {
  return op === '=' ? '=' : op === '!=' ? '<>' : op === '=~' ? '~' : '!~';
}

function sqlValue(m: Matcher): string {
  return m.op === '=~' || m.op === '!~' ? `^(?:${m.value})$` : m.value;
}

interface SampleRow {
  id: string;
  cluster_id: string;
  namespace: string;
  name: string;
  node: string;
  extra: string | null;
  t: number;
  v: number;
}

/**
 * Metrics in SQL.
 * @see MetricRepository for what each method promises and throws.
 */
export class SqlMetricRepository implements MetricRepository {
  readonly #sql: SqlClient;
  /** Day starts (ms) whose partitions this instance created or saw. */
  readonly #days = new Set<number>();
  /**
   * Entities this instance upserted recently, so a steady cluster's collections skip the entity upsert
   * (which locks every row it touches) until an hour has passed, a pod moved, or older data arrived —
   * the same rule the statement applies. Bounded; the oldest entries go first.
   */
  readonly #entities = new Map<string, { first: number; last: number; node: string }>();

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async write(messages: readonly AgentMetrics[]): Promise<MetricWriteResult> {
    if (messages.length === 0) return { rows: 0, duplicates: 0 };
    const doc: Record<string, unknown[]> = { entities: [], cluster: [], node: [], pod: [], namespace: [] };
    const entities = new Map<string, { id: string; cluster_id: string; kind: EntityKind; namespace: string; name: string; node: string; first_seen: string; last_seen: string }>();
    const times: number[] = [];
    let attempted = 0;
    for (const msg of messages) {
      const ts = msg.timestamp;
      const ms = Date.parse(ts);
      if (!Number.isFinite(ms)) throw new InputError(`metrics message timestamp ${JSON.stringify(ts)} is not a date`, [{ path: 'timestamp', message: 'must be an RFC 3339 timestamp' }]);
      times.push(ms);
      // Every part repeats cluster_metrics: stored from each (the duplicates are skipped) so a lost part 0
      // does not lose the cluster row.
      const all = [{ entity: { kind: 'cluster' as const, cluster_id: msg.cluster_id, namespace: '', name: msg.cluster_id, node: '' }, record: msg.cluster_metrics }, ...messageEntities(msg).filter((x) => x.entity.kind !== 'cluster')];
      for (const { entity, record } of all) {
        const id = entityId(entity.cluster_id, entity.kind, entity.namespace, entity.name);
        const row: Record<string, unknown> = { entity_id: id, ts };
        for (const [col] of COLUMNS[entity.kind]) row[col] = (record as Record<string, unknown>)[col] ?? null;
        doc[entity.kind]?.push(row);
        attempted++;
        const seen = entities.get(id);
        if (!seen) entities.set(id, { id, ...entity, first_seen: ts, last_seen: ts });
        else {
          if (ms < Date.parse(seen.first_seen)) seen.first_seen = ts;
          if (ms >= Date.parse(seen.last_seen)) {
            seen.last_seen = ts;
            if (entity.node) seen.node = entity.node;
          }
        }
      }
    }
    doc['entities'] = [...entities.values()].filter((e) => {
      const known = this.#entities.get(e.id);
      if (!known) return true;
      const first = Date.parse(e.first_seen);
      const last = Date.parse(e.last_seen);
      return last > known.last + ENTITY_REFRESH_MS || first < known.first || (e.node !== '' && e.node !== known.node && last >= known.last);
    });
    await this.ensurePartitions(Math.min(...times), Math.max(...times));
    const json = JSON.stringify(doc);
    let res;
    try {
      res = await this.#sql.query<{ rows: number }>(WRITE_SQL, [json]);
    } catch (err) {
      // A partition dropped by another replica's retention (or never made): make it and try once more.
      if (!isMissingPartition(err)) throw err;
      for (const t of times) this.#days.delete(dayOf(t));
      await this.ensurePartitions(Math.min(...times), Math.max(...times));
      res = await this.#sql.query<{ rows: number }>(WRITE_SQL, [json]);
    }
    for (const e of doc['entities'] as { id: string; first_seen: string; last_seen: string; node: string }[]) {
      const known = this.#entities.get(e.id);
      this.#entities.delete(e.id);
      this.#entities.set(e.id, {
        first: Math.min(known?.first ?? Infinity, Date.parse(e.first_seen)),
        last: Math.max(known?.last ?? 0, Date.parse(e.last_seen)),
        node: e.node || known?.node || '',
      });
    }
    while (this.#entities.size > ENTITY_CACHE_MAX) {
      const oldest = this.#entities.keys().next().value;
      if (oldest === undefined) break;
      this.#entities.delete(oldest);
    }
    const rows = Number(res.rows[0]?.rows ?? 0);
    return { rows, duplicates: attempted - rows };
  }

  async select(q: SeriesQuery): Promise<RawSeries[]> {
    const path = q.path ?? 'query';
    const defs = await this.#definitions(q, path);
    const out: RawSeries[] = [];
    let budget = q.maxSamples;
    for (const d of defs) {
      const series = await this.#selectOne(d, q, budget, path);
      for (const s of series) budget -= s.t.length;
      out.push(...series);
    }
    return out;
  }

  /** The catalog metrics the selector's name (or `__name__` matchers) selects. */
  async #definitions(q: SeriesQuery, path: string): Promise<MetricDefinition[]> {
    const nameMatchers = q.matchers.filter((m) => m.label === '__name__');
    if (q.name !== undefined) {
      const d = metricDefinition(q.name);
      return d ? [d] : [];
    }
    let names = METRICS.map((d) => d.name);
    const regex = nameMatchers.filter((m) => m.op === '=~' || m.op === '!~');
    for (const m of nameMatchers) {
      if (m.op === '=') names = names.filter((n) => n === m.value);
      if (m.op === '!=') names = names.filter((n) => n !== m.value);
    }
    if (regex.length && names.length) {
      // Regular expressions from clients run in the database (bounded by statement_timeout), never in
      // this process, where a pathological pattern could stall the event loop.
      const params: unknown[] = [names];
      const where = regex.map((m) => {
        params.push(sqlValue(m));
        return `n ${sqlOperator(m.op)} $${params.length}`;
      });
      const res = await this.#regexQuery<{ n: string }>(`SELECT n FROM unnest($1::text[]) AS n WHERE ${where.join(' AND ')}`, params, path);
      names = res.map((r) => r.n);
    }
    return names.map((n) => metricDefinition(n)).filter((d): d is MetricDefinition => d !== undefined);
  }

  async #selectOne(d: MetricDefinition, q: SeriesQuery, budget: number, path: string): Promise<RawSeries[]> {
    const kind = d.entity;
    const extra = extraLabel(d);
    const params: unknown[] = [new Date(q.startMs).toISOString(), new Date(q.endMs).toISOString()];
    const where = ['e.kind = ' + `'${kind}'`, 's.ts > $1::timestamptz', 's.ts <= $2::timestamptz'];
    let from = `metric_entities e JOIN ${METRIC_SAMPLE_TABLES[kind]} s ON s.entity_id = e.id`;
    let value: string;
    let extraExpr = 'NULL::text';
    switch (d.value) {
      case 'number':
        value = `s.${d.field}::float8`;
        where.push(`s.${d.field} IS NOT NULL`);
        break;
      case 'bool':
        value = `(CASE WHEN s.${d.field} THEN 1 ELSE 0 END)::float8`;
        where.push(`s.${d.field} IS NOT NULL`);
        break;
      case 'phase':
        value = '1::float8';
        extraExpr = `s.${d.field}`;
        where.push(`s.${d.field} IS NOT NULL AND s.${d.field} <> ''`);
        break;
      case 'conditions':
        from += ` CROSS JOIN LATERAL jsonb_each_text(coalesce(s.${d.field}, '{}'::jsonb)) AS c(condition, status)`;
        value = `(CASE WHEN c.status = 'True' THEN 1 ELSE 0 END)::float8`;
        extraExpr = 'c.condition';
        where.push(`c.status IN ('True', 'False')`);
        break;
    }
    const columns: Record<string, string> = { ...LABEL_COLUMNS[kind] };
    if (extra) columns[extra] = extraExpr;
    for (const m of q.matchers) {
      if (m.label === '__name__') continue;
      const column = columns[m.label];
      if (column === undefined) {
        if (!matchesEmpty(m)) return [];
        continue;
      }
      params.push(sqlValue(m));
      where.push(`${column} ${sqlOperator(m.op)} $${params.length}`);
    }
    params.push(budget + 1);
    const sql = `SELECT e.id::text AS id, e.cluster_id, e.namespace, e.name, e.node, ${extraExpr} AS extra,
       round(extract(epoch FROM s.ts) * 1000)::float8 AS t, ${value} AS v
  FROM ${from}
 WHERE ${where.join(' AND ')}
 ORDER BY e.id, extra, s.ts
 LIMIT $${params.length}`;
    const rows = await this.#regexQuery<SampleRow>(sql, params, path);
    if (rows.length > budget) {
      throw new InputError(`the query selects more than ${q.maxSamples} samples; narrow the selector (cluster, namespace, pod, node) or the time range`, [
        { path, message: `selects more than ${q.maxSamples} samples` },
      ]);
    }
    const series: RawSeries[] = [];
    let current: RawSeries | undefined;
    let key = '';
    for (const r of rows) {
      const k = `${r.id}\u0000${r.extra ?? ''}`;
      if (!current || k !== key) {
        const entity: EntityRef = { kind, cluster_id: r.cluster_id, namespace: r.namespace, name: r.name, node: r.node };
        const labels: Record<string, string> = { __name__: d.name, ...entityLabels(entity) };
        if (extra && r.extra !== null) labels[extra] = r.extra;
        current = { labels, t: [], v: [] };
        series.push(current);
        key = k;
      }
      current.t.push(Number(r.t));
      current.v.push(Number(r.v));
    }
    return series;
  }

  /** Runs a statement with client-supplied regular expressions; the database's refusal becomes an InputError on `path`. */
  async #regexQuery<R>(sql: string, params: unknown[], path: string): Promise<R[]> {
    try {
      return (await this.#sql.query<R>(sql, params)).rows;
    } catch (err) {
      if (err instanceof InputError && (err.cause as { code?: string } | undefined)?.code === '2201B') {
        throw new InputError(`invalid regular expression in the query: ${String((err.cause as { message?: string }).message ?? err.message)}`, [{ path, message: 'has a regular expression the database cannot compile' }], { cause: err });
      }
      throw err;
    }
  }

  async samplesOf(kind: EntityKind, entityIds: readonly string[], metrics: readonly MetricDefinition[], sinceMs: number, untilMs: number): Promise<FlatSample[]> {
    if (entityIds.length === 0 || metrics.length === 0) return [];
    const wanted = new Set(metrics.filter((d) => d.entity === kind).map((d) => d.name));
    if (wanted.size === 0) return [];
    const cols = COLUMNS[kind].map(([n]) => `s.${n}`).join(', ');
    const res = await this.#sql.query<Record<string, unknown> & { id: string; cluster_id: string; namespace: string; name: string; node: string; t: number }>(
      `SELECT e.id::text AS id, e.cluster_id, e.namespace, e.name, e.node, round(extract(epoch FROM s.ts) * 1000)::float8 AS t, ${cols}
         FROM ${METRIC_SAMPLE_TABLES[kind]} s JOIN metric_entities e ON e.id = s.entity_id
        WHERE s.entity_id = ANY($1::text[]::bigint[]) AND s.ts > $2::timestamptz AND s.ts <= $3::timestamptz
        ORDER BY s.entity_id, s.ts`,
      [entityIds, new Date(sinceMs).toISOString(), new Date(untilMs).toISOString()],
    );
    const out: FlatSample[] = [];
    for (const row of res.rows) {
      const entity: EntityRef = { kind, cluster_id: row.cluster_id, namespace: row.namespace, name: row.name, node: row.node };
      for (const s of recordSamples(entity, row, Number(row.t), row.id)) if (wanted.has(s.metric)) out.push(s);
    }
    return out;
  }

  async podAvailability(q: AvailabilityQuery): Promise<AvailabilityResult[]> {
    if (q.windowsMs.length === 0) return [];
    const longest = Math.max(...q.windowsMs);
    const now = q.nowMs;
    const iso = (ms: number) => new Date(ms).toISOString();
    const params: unknown[] = [q.namespace, q.podPattern, q.cluster_id, iso(now - longest - 3_600_000), iso(now - longest - 10 * 60_000), iso(now)];
    const filters = q.windowsMs.map((w, i) => {
      params.push(iso(now - w));
      const p = `$${params.length}::timestamptz`;
      return `count(*) FILTER (WHERE ts > ${p}) AS total_${i}, count(*) FILTER (WHERE ts > ${p} AND NOT good) AS bad_${i}`;
    });
    params.push(iso(now - longest));
    const first = `$${params.length}::timestamptz`;
    // A pod sample is good when the pod runs, is Ready, and did not restart since its previous sample
    // (a crash loop can be Ready at the instant of a sample). Succeeded pods (finished Jobs) do not count.
    const sql = `
WITH pods AS (
  SELECT id, cluster_id FROM metric_entities
   WHERE kind = 'pod' AND namespace = $1 AND name ~ $2 AND ($3 = '' OR cluster_id = $3) AND last_seen > $4::timestamptz
), samples AS (
  SELECT p.cluster_id, s.ts, s.phase,
         (s.phase = 'Running' AND s.ready IS TRUE
          AND coalesce(s.restarts <= lag(s.restarts) OVER (PARTITION BY s.entity_id ORDER BY s.ts), true)) AS good
    FROM pods p JOIN metric_pod_samples s ON s.entity_id = p.id
   WHERE s.ts > $5::timestamptz AND s.ts <= $6::timestamptz
)
SELECT cluster_id, round(extract(epoch FROM min(ts) FILTER (WHERE ts > ${first})) * 1000)::float8 AS first_ms, ${filters.join(', ')}
  FROM samples
 WHERE phase IS DISTINCT FROM 'Succeeded' AND ts > ${first}
 GROUP BY cluster_id
 ORDER BY cluster_id`;
    const res = await this.#sql.query<Record<string, unknown> & { cluster_id: string; first_ms: number | null }>(sql, params);
    return res.rows.map((row) => ({
      cluster_id: row.cluster_id,
      firstSampleMs: Number(row.first_ms ?? now),
      windows: new Map(q.windowsMs.map((w, i) => [w, { total: Number(row[`total_${i}`] ?? 0), bad: Number(row[`bad_${i}`] ?? 0) }])),
    }));
  }

  async setSloAlertState(c: SloAlertStateChange): Promise<boolean> {
    const res = await this.#sql.query(
      `INSERT INTO slo_alert_states AS s (slo, cluster_id, alert, firing, burn_rate, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
       ON CONFLICT (slo, cluster_id, alert) DO UPDATE SET firing = excluded.firing, burn_rate = excluded.burn_rate, changed_at = excluded.changed_at
       WHERE s.firing IS DISTINCT FROM excluded.firing
       RETURNING firing`,
      [c.slo, c.cluster_id, c.alert, c.firing, c.burn_rate, c.at.toISOString()],
    );
    return res.rowCount > 0;
  }

  async ensurePartitions(fromMs: number, toMs: number): Promise<void> {
    const missing: number[] = [];
    for (let day = dayOf(fromMs); day <= dayOf(toMs); day += DAY_MS) if (!this.#days.has(day)) missing.push(day);
    if (missing.length === 0) return;
    await this.#sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${METRIC_PARTITION_LOCK_KEY})`);
      const existing = new Set((await this.#partitions(tx)).map((p) => p.name));
      const statements: string[] = [];
      for (const day of missing) {
        for (const table of Object.values(METRIC_SAMPLE_TABLES)) {
          const name = `${table}_p${dayTag(day)}`;
          if (existing.has(name)) continue;
          statements.push(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM ('${new Date(day).toISOString()}') TO ('${new Date(day + DAY_MS).toISOString()}')`);
        }
      }
      if (statements.length) await tx.exec(statements.join(';\n'));
    });
    for (const day of missing) this.#days.add(day);
  }

  async #partitions(db: SqlClient): Promise<{ name: string; day: number }[]> {
    const res = await db.query<{ name: string }>(
      `SELECT c.relname AS name
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = ANY($1::text[]) AND pg_table_is_visible(p.oid)`,
      [Object.values(METRIC_SAMPLE_TABLES)],
    );
    return res.rows.flatMap((r) => {
      const day = partitionDay(r.name);
      return day === undefined ? [] : [{ name: r.name, day }];
    });
  }

  async applyRetention(before: Date): Promise<MetricRetentionResult> {
    const cutoff = before.getTime();
    const dropped = await this.#sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${METRIC_PARTITION_LOCK_KEY})`);
      const old = (await this.#partitions(tx)).filter((p) => p.day + DAY_MS <= cutoff);
      if (old.length) await tx.exec(old.map((p) => `DROP TABLE IF EXISTS ${p.name}`).join(';\n'));
      return old;
    });
    for (const p of dropped) this.#days.delete(p.day);
    // Entities are deleted below; the next writes upsert theirs again rather than trust this cache.
    this.#entities.clear();
    let entities = 0;
    for (;;) {
      const res = await this.#sql.query(`DELETE FROM metric_entities WHERE id IN (SELECT id FROM metric_entities WHERE last_seen < $1::timestamptz LIMIT 10000)`, [before.toISOString()]);
      entities += res.rowCount;
      if (res.rowCount < 10_000) break;
    }
    return { partitions: dropped.length, entities };
  }
}

function isMissingPartition(err: unknown): boolean {
  return err instanceof InputError && (err.cause as { code?: string } | undefined)?.code === '23514';
}
