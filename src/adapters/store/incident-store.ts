/**
 * The incident repository's contract (see ./sql-incident-repository.ts for the SQL).
 */
import type { Incident, IncidentSeverity, IncidentStatus, IncidentWithTimeline, TimelineEntry } from '../../contracts/index.js';
import type { Page } from './store.js';

/** An incident as the correlator computed it, before the store gives it an id. */
export interface IncidentDraft extends Omit<Incident, 'id' | 'status' | 'opened_at' | 'updated_at' | 'resolved_at' | 'resolution'> {
  /** Correlation key, unique among the open incidents of a cluster. */
  key: string;
}

export interface IncidentQuery {
  cluster_id?: string;
  status?: IncidentStatus;
  severity?: IncidentSeverity;
  namespace?: string;
  /** Page size, 1–1000; default 100. */
  limit?: number;
  cursor?: string;
}

export interface IncidentRepository {
  /**
   * Opens an incident for `draft.key`, or — when one is open for that key already (another replica got
   * there first) — updates that one. Timeline entries are appended either way.
   */
  open(draft: IncidentDraft, timeline: readonly TimelineEntry[]): Promise<{ incident: Incident; created: boolean }>;
  /** Updates the open incident for `key`; undefined when none is open. */
  update(draft: IncidentDraft, timeline: readonly TimelineEntry[]): Promise<Incident | undefined>;
  /** Records the latest diagnosis and its timeline entry; undefined when there is no such incident. */
  setDiagnosis(id: string, rootCause: Incident['root_cause'], diagnosis: NonNullable<Incident['diagnosis']>, entry: TimelineEntry): Promise<Incident | undefined>;
  /**
   * Resolves the open incident for `key`; undefined when none is open, or when `quietSince` is given and
   * its `last_seen` is not older (another replica saw a newer signal).
   */
  resolveByKey(clusterId: string, key: string, resolution: { by: string; reason: string }, at: Date, quietSince?: Date): Promise<Incident | undefined>;
  /**
   * Resolves an incident by id (a person did).
   * @throws NotFoundError when there is no such incident; ConflictError when it is resolved already.
   */
  resolve(id: string, resolution: { by: string; reason: string }): Promise<Incident>;
  /** The correlation key of an incident (for the engine). */
  keyOf(id: string): Promise<{ cluster_id: string; key: string } | undefined>;
  appendTimeline(id: string, entries: readonly TimelineEntry[]): Promise<void>;
  /** With its timeline, oldest first (at most `timelineLimit`, default 1000, the newest kept). */
  get(id: string, timelineLimit?: number): Promise<IncidentWithTimeline | undefined>;
  /** Newest opened first, keyset-paginated. @throws InputError naming the field on a bad limit or cursor. */
  list(query: IncidentQuery): Promise<Page<Incident>>;
  countOpenBySeverity(clusterId?: string): Promise<Record<IncidentSeverity, number>>;
  /** Deletes incidents resolved before `before` (their timelines go with them), `batchSize` per statement; returns how many. */
  deleteResolvedBefore(before: Date, batchSize?: number): Promise<number>;
  /** Open incidents not updated since `before` (wall clock; orphans of a stopped replica). */
  listStale(before: Date, limit?: number): Promise<Incident[]>;
}
