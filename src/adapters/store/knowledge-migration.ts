/**
 * Migration 6: the knowledge graph and the learning store (docs/knowledge.md).
 *
 * - `kg_nodes`: one row per (kind, key); `props` free-form. `props.source = 'catalog'` marks what the
 *   seed wrote, so a re-seed refreshes it and leaves what operators and feedback added.
 * - `kg_edges`: typed, weighted, one per (from, to, type); `to_id` indexed for walks against the
 *   direction (the dependents of a resource). RESOLVED_BY edges count remediation outcomes in `props`.
 * - `kg_cases`: one row per diagnosed case, with its signal fingerprint (`text[]`, GIN-indexed so
 *   similar cases are found by overlapping tokens), the prediction, the judgement and the outcome.
 * - `learning_state`: one row per model, the learned state as JSON, rewritten under a row lock;
 *   `version` counts the changes.
 * - `feedback`: every feedback as received, by id, so a redelivered feedback is recognised and learned once.
 */
import type { Migration } from './migrations.js';

export const knowledgeMigration: Migration = {
  version: 6,
  name: 'knowledge',
  up: `
CREATE TABLE kg_nodes (
  id         bigserial PRIMARY KEY,
  kind       text NOT NULL CONSTRAINT kg_nodes_kind_check CHECK (kind IN ('event_type', 'cause', 'solution', 'resource', 'case')),
  key        text NOT NULL,
  props      jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CONSTRAINT kg_nodes_kind_key_unique UNIQUE (kind, key)
);

CREATE TABLE kg_edges (
  from_id    bigint NOT NULL REFERENCES kg_nodes (id) ON DELETE CASCADE,
  to_id      bigint NOT NULL REFERENCES kg_nodes (id) ON DELETE CASCADE,
  type       text NOT NULL CONSTRAINT kg_edges_type_check CHECK (type IN ('CAUSED_BY', 'RESOLVED_BY', 'AFFECTS', 'APPLIES_TO', 'DEPENDS_ON', 'SIMILAR_TO')),
  weight     double precision NOT NULL DEFAULT 1 CONSTRAINT kg_edges_weight_check CHECK (weight >= 0 AND weight <= 1),
  props      jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (from_id, to_id, type),
  CONSTRAINT kg_edges_no_loop CHECK (from_id <> to_id)
);
CREATE INDEX kg_edges_to_idx ON kg_edges (to_id, type);
CREATE INDEX kg_edges_type_from_idx ON kg_edges (type, from_id);

CREATE TABLE kg_cases (
  id               text COLLATE "C" PRIMARY KEY,
  model            text NOT NULL,
  cluster_id       text,
  incident_id      text,
  request_id       text,
  fingerprint      text[] NOT NULL DEFAULT '{}',
  fired_evidence   text[] NOT NULL DEFAULT '{}',
  predicted_cause  text NOT NULL,
  actual_cause     text,
  correct          boolean,
  confidence       double precision CONSTRAINT kg_cases_confidence_check CHECK (confidence >= 0 AND confidence <= 1),
  action           text,
  action_succeeded boolean,
  resource         jsonb,
  diagnosis        jsonb,
  created_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX kg_cases_fingerprint_idx ON kg_cases USING GIN (fingerprint);
CREATE INDEX kg_cases_model_created_idx ON kg_cases (model, created_at DESC);
CREATE INDEX kg_cases_incident_idx ON kg_cases (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE learning_state (
  model      text PRIMARY KEY,
  version    bigint NOT NULL DEFAULT 0,
  state      jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE feedback (
  id          text COLLATE "C" PRIMARY KEY,
  model       text NOT NULL,
  case_id     text NOT NULL,
  raw         jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX feedback_case_idx ON feedback (case_id);
`,
  down: `
DROP TABLE feedback;
DROP TABLE learning_state;
DROP TABLE kg_cases;
DROP TABLE kg_edges;
DROP TABLE kg_nodes;
`,
};
