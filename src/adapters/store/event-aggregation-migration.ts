/**
 * Migration 5: repeats of one event — same cluster, involved object (kind, namespace, name) and reason —
 * within an aggregation window are stored as ONE row of `events` with a `count` and first/last
 * timestamps, while every event id an agent sent is remembered in `event_ids`, so that a redelivered id
 * is recognised exactly and `GET /api/v1/events/{id}` finds the aggregate of any id folded into it.
 * Design and alternatives: docs/adr/0012-event-aggregation.md.
 *
 * - `events.fingerprint`: SHA-256 of the aggregation key (see the event repository); rows stored before
 *   this migration get a fingerprint of their own id, so each stays an aggregate of one.
 * - `events.window_start`: start of the aggregation window (tumbling windows aligned on the epoch).
 *   `(fingerprint, window_start)` is unique: replicas writing the same repeat at once converge on one row.
 * - `events."timestamp"` is the first occurrence (the sort key of every list, so cursors stay valid
 *   while an aggregate grows) and `events.last_timestamp` the latest; the descriptive fields (message,
 *   severity, raw_data, ...) are those of the latest occurrence.
 * - `event_ids`: one row per event id ever stored, naming its aggregate by `(fingerprint, window_start)`.
 *   A BRIN index on the event time serves retention at almost no cost per insert.
 * - `events_severity_idx` goes: four values over millions of rows never narrowed a query, and each index
 *   costs every insert (listing by severity uses the time indexes and filters).
 * - `fillfactor = 80` leaves room on each page so that folding a repeat whose indexed values did not
 *   change (same message) is a heap-only (HOT) update instead of a new entry in every index.
 */
import type { Migration } from './migrations.js';

export const eventAggregationMigration: Migration = {
  version: 5,
  name: 'event_aggregation',
  up: `
ALTER TABLE events
  ADD COLUMN fingerprint bytea,
  ADD COLUMN window_start timestamptz,
  ADD COLUMN count integer NOT NULL DEFAULT 1 CONSTRAINT events_count_check CHECK (count >= 1),
  ADD COLUMN last_timestamp timestamptz;
UPDATE events SET fingerprint = sha256(convert_to('event:' || id, 'UTF8')), window_start = "timestamp", last_timestamp = "timestamp";
ALTER TABLE events
  ALTER COLUMN fingerprint SET NOT NULL,
  ALTER COLUMN window_start SET NOT NULL,
  ALTER COLUMN last_timestamp SET NOT NULL;
ALTER TABLE events SET (fillfactor = 80);
CREATE UNIQUE INDEX events_aggregate_idx ON events (fingerprint, window_start);
DROP INDEX events_severity_idx;

CREATE TABLE event_ids (
  id           text COLLATE "C" PRIMARY KEY,
  fingerprint  bytea NOT NULL,
  window_start timestamptz NOT NULL,
  "timestamp"  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_ids_timestamp_idx ON event_ids USING brin ("timestamp");
INSERT INTO event_ids (id, fingerprint, window_start, "timestamp", received_at)
  SELECT id, fingerprint, window_start, "timestamp", received_at FROM events;
`,
  down: `
DROP TABLE event_ids;
CREATE INDEX events_severity_idx ON events (severity);
DROP INDEX events_aggregate_idx;
ALTER TABLE events RESET (fillfactor);
ALTER TABLE events
  DROP COLUMN fingerprint,
  DROP COLUMN window_start,
  DROP COLUMN count,
  DROP COLUMN last_timestamp;
`,
};
