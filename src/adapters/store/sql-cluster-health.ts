/**
 * Read-only queries behind `GET /api/v1/clusters/{id}/health` that look at the events table: how many
 * events a cluster reported lately, and what its nodes last said about their readiness. Kept apart
 * from the event repository because they answer a cluster question, not an event one.
 */
import type { SqlClient } from './store.js';

export interface EventRate {
  /** Window length in minutes. */
  window_minutes: number;
  /** Events in the window, repeats of an aggregated event included. */
  events: number;
  per_minute: number;
}

/** Longest span of one aggregated event (manager.event_aggregation_window is at most 1h). */
const MAX_AGGREGATE_SPAN_MS = 60 * 60_000;

export interface NodeReadinessSignal {
  node: string;
  ready: boolean;
  /** `NodeReady` or `NodeNotReady`. */
  reason: string;
  /** When the node last said so. */
  since: string;
}

/** Reasons that say whether a node is ready (docs/event-reasons.md). */
const READINESS_REASONS = ['NodeReady', 'NodeNotReady'];

export class SqlClusterHealthQueries {

  constructor(private readonly sql: SqlClient) {}

  /**
   * Events per minute over each window ending at `now`, by event time. Where the manager stores repeats
   * as one row with a `count` and first (`timestamp`) and last (`last_timestamp`) occurrence, a row
   * counts in full when its last occurrence falls in the window (an aggregate spans at most the
   * aggregation window, so this overstates by at most the repeats before the window's start); where it
   * does not, rows are counted by their timestamp.
   */
  async eventRates(clusterId: string, now: Date, windowsMinutes: readonly number[]): Promise<EventRate[]> {
    if (windowsMinutes.length === 0) return [];
    // Repeats are folded into one row with a count (migration 5): an event counts in full when its last
    // occurrence is in the window.
    const measure = (filter: string) => `coalesce(sum("count") FILTER (WHERE ${filter}), 0)`;
    const lastAt = 'last_timestamp';
    const longest = Math.max(...windowsMinutes) * 60_000 + MAX_AGGREGATE_SPAN_MS;
    const params: unknown[] = [clusterId, new Date(now.getTime() - longest).toISOString(), now.toISOString()];
    const columns = windowsMinutes.map((w, i) => {
      params.push(new Date(now.getTime() - w * 60_000).toISOString());
      return `${measure(`${lastAt} >= $${params.length}::timestamptz`)} AS w${i}`;
    });
    // The bound on "timestamp" (first occurrence) lets the (cluster_id, "timestamp") index serve the scan.
    const res = await this.sql.query<Record<string, string | number>>(
      `SELECT ${columns.join(', ')} FROM events
        WHERE cluster_id = $1 AND "timestamp" >= $2::timestamptz AND "timestamp" <= $3::timestamptz`,
      params,
    );
    const row = res.rows[0] ?? {};
    return windowsMinutes.map((w, i) => {
      const events = Number(row[`w${i}`] ?? 0);
      return { window_minutes: w, events, per_minute: Math.round((events / w) * 100) / 100 };
    });
  }

  /** Per node of the cluster, its newest `NodeReady`/`NodeNotReady` signal since `since`, by node name. */
  async nodeReadinessSignals(clusterId: string, since: Date): Promise<NodeReadinessSignal[]> {
    const lastAt = 'last_timestamp';
    const from = new Date(since.getTime() - MAX_AGGREGATE_SPAN_MS).toISOString();
    const res = await this.sql.query<{ name: string; reason: string; at: string }>(
      `SELECT DISTINCT ON (name) name, reason, ${lastAt} AS at FROM events
        WHERE cluster_id = $1 AND namespace = '' AND kind = 'Node' AND reason = ANY($2::text[])
          AND "timestamp" >= $3::timestamptz AND ${lastAt} >= $4::timestamptz
        ORDER BY name, ${lastAt} DESC, id DESC`,
      [clusterId, READINESS_REASONS, from, since.toISOString()],
    );
    return res.rows.map((r) => ({ node: r.name, ready: r.reason === 'NodeReady', reason: r.reason, since: new Date(r.at).toISOString() }));
  }
}
