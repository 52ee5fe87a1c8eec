/**
 * Incidents: what the manager makes of correlated signals. One incident per correlated group (a workload, a
 * node, a dependency and its clients), with a primary resource, the resources it affects, a P0–P3
 * severity and a timeline. Served by `GET /api/v1/incidents` and announced on `internal.incident.changed`
 * (the live stream and other replicas listen there).
 */
import { z } from 'zod';
import { eventCategory, objectRef } from './agent-messages.js';
import { recommendation, rootCauseCandidate, rootCauseFinding } from './ai-messages.js';
import { clusterId, id, schemaVersion, timestamp } from './common.js';

/**
 * P0: a service or node is down for everyone; P1: core function affected; P2: partial degradation; P3:
 * minor or not yet user-visible (the operations guide's levels; docs/incidents.md has the rules).
 */
export const incidentSeverity = z.enum(['P0', 'P1', 'P2', 'P3']);
export type IncidentSeverity = z.infer<typeof incidentSeverity>;
export const INCIDENT_SEVERITIES = incidentSeverity.options;

export const incidentStatus = z.enum(['open', 'resolved']);
export type IncidentStatus = z.infer<typeof incidentStatus>;

/** Event categories plus what only the control plane sees. */
export const incidentCategory = z.union([eventCategory, z.enum(['agent_offline', 'dependency', 'anomaly', 'slo'])]);
export type IncidentCategory = z.infer<typeof incidentCategory>;

export const incidentResource = objectRef.pick({ kind: true, name: true, namespace: true });
export type IncidentResource = z.infer<typeof incidentResource>;

export const timelineEntryType = z.enum(['signal', 'diagnosis', 'command', 'action', 'status', 'note']);
export type TimelineEntryType = z.infer<typeof timelineEntryType>;

export const timelineEntry = z.object({
  at: timestamp,
  type: timelineEntryType,
  summary: z.string().min(1).max(2048),
  /** For a signal: event_id, reason, severity, resource, count. Free-form otherwise. */
  data: z.record(z.string().max(256), z.unknown()).default({}),
});
export type TimelineEntry = z.infer<typeof timelineEntry>;

export const blastRadius = z.object({
  pods: z.number().int().nonnegative(),
  workloads: z.number().int().nonnegative(),
  nodes: z.number().int().nonnegative(),
  namespaces: z.array(z.string().max(253)),
});
export type BlastRadius = z.infer<typeof blastRadius>;

/**
 * The reasoning service's latest analysis of an incident: the rest of the analysis reply
 * (`ai.reasoning.request`) beside `root_cause`.
 */
export const incidentDiagnosis = z.object({
  status: z.enum(['completed', 'partial', 'failed']),
  candidates: z.array(rootCauseCandidate).max(64),
  recommendations: z.array(recommendation).max(32),
  /** Workloads failing because of the root cause. */
  impacted: z.array(incidentResource).max(256),
  diagnosed_at: timestamp,
  /** Why there is no root cause, or why it is only a best guess. */
  note: z.string().max(4096).optional(),
});
export type IncidentDiagnosis = z.infer<typeof incidentDiagnosis>;

export const incident = z.object({
  id,
  cluster_id: clusterId,
  status: incidentStatus,
  severity: incidentSeverity,
  category: incidentCategory,
  title: z.string().min(1).max(512),
  /** The resource the incident is about: the root of the correlated group. */
  resource: incidentResource,
  /** Namespace of the primary resource; absent for cluster-scoped ones (nodes). */
  namespace: z.string().max(253).optional(),
  /** Every resource with a signal in the group (primary first), bounded. */
  affected: z.array(incidentResource),
  blast_radius: blastRadius,
  signal_count: z.number().int().nonnegative(),
  /** Reasons seen, most frequent first. */
  reasons: z.array(z.string().max(128)),
  first_seen: timestamp,
  last_seen: timestamp,
  opened_at: timestamp,
  updated_at: timestamp,
  resolved_at: timestamp.nullable(),
  /** `auto` (healthy for the configured window) or who resolved it, with why. */
  resolution: z.object({ by: z.string().min(1).max(253), reason: z.string().max(2048) }).nullable(),
  suggested_workflow: z.string().max(253).optional(),
  /** The latest diagnosis's root cause (the analysis reply's shape); null until one is made or when none stands out. */
  root_cause: rootCauseFinding.nullable().optional(),
  diagnosis: incidentDiagnosis.nullable().optional(),
});
export type Incident = z.infer<typeof incident>;

export const incidentWithTimeline = incident.extend({ timeline: z.array(timelineEntry) });
export type IncidentWithTimeline = z.infer<typeof incidentWithTimeline>;

/** `internal.incident.changed`: an incident was opened, grew, changed severity or was resolved. */
export const incidentChange = z.object({
  schema_version: schemaVersion,
  change: z.enum(['opened', 'updated', 'resolved']),
  incident,
});
export type IncidentChange = z.infer<typeof incidentChange>;
