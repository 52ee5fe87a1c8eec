/**
 * Migration 3: incidents and their timelines. At most one open incident per (cluster, correlation key),
 * enforced by a partial unique index, so manager replicas that correlate the same group at once converge
 * on one incident.
 */
import type { Migration } from './migrations.js';

export const incidentsMigration: Migration = {
  version: 3,
  name: 'incidents',
  up: `
CREATE TABLE incidents (
  id                 text COLLATE "C" PRIMARY KEY,
  cluster_id         text NOT NULL,
  correlation_key    text NOT NULL,
  status             text NOT NULL CONSTRAINT incidents_status_check CHECK (status IN ('open', 'resolved')),
  severity           text NOT NULL CONSTRAINT incidents_severity_check CHECK (severity IN ('P0', 'P1', 'P2', 'P3')),
  category           text NOT NULL,
  title              text NOT NULL,
  resource           jsonb NOT NULL,
  namespace          text,
  affected           jsonb NOT NULL DEFAULT '[]',
  blast_radius       jsonb NOT NULL,
  signal_count       integer NOT NULL DEFAULT 0,
  reasons            jsonb NOT NULL DEFAULT '[]',
  first_seen         timestamptz NOT NULL,
  last_seen          timestamptz NOT NULL,
  -- Milliseconds, like every timestamp the API returns, so keyset cursors never skip a row.
  opened_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  resolved_at        timestamptz,
  resolution         jsonb,
  suggested_workflow text
);
CREATE UNIQUE INDEX incidents_open_key_idx ON incidents (cluster_id, correlation_key) WHERE status = 'open';
CREATE INDEX incidents_opened_idx ON incidents (opened_at DESC, id DESC);
CREATE INDEX incidents_cluster_opened_idx ON incidents (cluster_id, opened_at DESC, id DESC);
CREATE INDEX incidents_open_updated_idx ON incidents (updated_at) WHERE status = 'open';

CREATE TABLE incident_timeline (
  incident_id text COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  seq         bigserial,
  at          timestamptz NOT NULL,
  type        text NOT NULL CONSTRAINT incident_timeline_type_check CHECK (type IN ('signal', 'diagnosis', 'command', 'action', 'status', 'note')),
  summary     text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (incident_id, seq)
);
`,
  down: `
DROP TABLE incident_timeline;
DROP TABLE incidents;
`,
};
