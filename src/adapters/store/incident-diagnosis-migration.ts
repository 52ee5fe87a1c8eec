/**
 * Migration 7: an incident carries the reasoning service's latest diagnosis — its root cause (the
 * analysis reply's `root_cause`) and the rest of the reply (candidates, recommendations, impacted).
 */
import type { Migration } from './migrations.js';

export const incidentDiagnosisMigration: Migration = {
  version: 7,
  name: 'incident_diagnosis',
  up: `
ALTER TABLE incidents
  ADD COLUMN root_cause jsonb,
  ADD COLUMN diagnosis jsonb;
`,
  down: `
ALTER TABLE incidents
  DROP COLUMN root_cause,
  DROP COLUMN diagnosis;
`,
};
