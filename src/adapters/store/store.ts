/**
 * Persistent state behind repository interfaces. Two adapters share every line of SQL: `postgres`
 * (real PostgreSQL through `pg`) and `pglite` (PostgreSQL compiled to WebAssembly, the embedded
 * default). Repositories are written once against `SqlClient`; see docs/adr/0001-embedded-store.md.
 * One contract suite (test/store-contract.ts) runs unchanged against both.
 */
import type { IncidentRepository } from './incident-store.js';
import type { AgentCommand, AgentEvent, AgentHeartbeat, AgentRegister, AgentResult, Severity } from '../../contracts/index.js';
import type {
  FeedbackData,
  FeedbackOutcome,
  KnowledgeCase,
  KnowledgeNode,
  KnowledgeNodeKind,
  KnowledgeQueryInput,
  KnowledgeQueryResult,
  KnowledgeUpdateInput,
  KnowledgeUpdateResult,
  ModelInfo,
  ModelMetrics,
} from '../../contracts/index.js';
import type { KnowledgeGraph, LearningState } from '../../core/knowledge/index.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** The least a repository needs from a PostgreSQL connection. */
export interface SqlClient {
  readonly dialect: 'postgres' | 'pglite';
  /**
   * Runs one parameterised statement (`$1`, `$2`, ...).
   * @throws StoreError (or ConflictError on a unique violation), with the driver error as `cause`.
   */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs several statements separated by `;` with no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (its error is
   * rethrown unchanged). Inside `fn` use only `tx`: on PGlite (one connection) the outer client waits for
   * the transaction to end. `tx.transaction()` nests as a savepoint.
   * @throws StoreError when BEGIN/COMMIT fails or no connection can be had.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

// ---- records -------------------------------------------------------------------------------------
// Timestamps are ISO 8601 strings in UTC with milliseconds (`2025-09-30T10:15:30.000Z`): the instant that
// was stored, in one canonical form whatever offset or precision it was written with.

export type AgentStatus = 'online' | 'offline';

export interface AgentRecord {
  agent_id: string;
  cluster_id: string;
  version: string;
  hostname: string | null;
  kubernetes_version: string | null;
  capabilities: string[];
  labels: Record<string, string>;
  config: Record<string, unknown>;
  status: AgentStatus;
  registered_at: string;
  last_heartbeat_at: string | null;
  heartbeat: Record<string, unknown> | null;
}

export interface ClusterRecord {
  id: string;
  name: string;
  environment: string | null;
  labels: Record<string, string>;
  created_at: string;
  updated_at: string;
}

/**
 * A stored event: the aggregate of every repeat of one event — same cluster, involved object (kind,
 * namespace, name) and reason — within one aggregation window (`manager.event_aggregation_window`).
 * `id` is the first event id stored into it; `timestamp` is its first occurrence (the sort key of every
 * list), `last_timestamp` its latest; the other fields (message, severity, raw_data, ...) are those of
 * the latest occurrence. A single event is an aggregate with `count` 1.
 */
export interface EventRecord extends Omit<AgentEvent, 'schema_version'> {
  /** How many distinct event ids were folded into this row (a redelivered id never counts twice). */
  count: number;
  /** Equal to `timestamp`: the first occurrence. */
  first_timestamp: string;
  /** The latest occurrence, whose message and fields the record carries. */
  last_timestamp: string;
  /** When the control plane stored the first of them. */
  received_at: string;
}

export interface InsertEventsOptions {
  /**
   * Repeats within windows of this length (aligned on the epoch) fold into one row; 0 stores every
   * event as its own row. Default 10 minutes; at most 1 hour.
   */
  aggregationWindowMs?: number;
}

export interface InsertEventsResult {
  /** New event ids stored (as a new row or folded into an existing one). */
  inserted: number;
  /** Ids already stored, or repeated within the batch. */
  duplicates: number;
  /** The events that were new, in batch order (first copy of each id): what downstream consumers act on. */
  stored: AgentEvent[];
}

export type CommandState = 'pending' | 'sent' | 'completed';

export interface CommandRecord extends Omit<AgentCommand, 'schema_version'> {
  state: CommandState;
  created_at: string;
  completed_at: string | null;
}

export interface CommandResultRecord extends Omit<AgentResult, 'schema_version'> {
  received_at: string;
}

export interface EventQuery {
  /**
   * Full-text search over reason, message, object, namespace and node, in web-search syntax:
   * `oom checkout`, `"back-off restarting"`, `crash -readiness`, `oom or evicted`.
   */
  text?: string;
  cluster_id?: string;
  namespace?: string;
  kind?: string;
  name?: string;
  reason?: string;
  severity?: Severity;
  since?: string;
  until?: string;
  /** Page size, 1–1000; default 100. */
  limit?: number;
  /** Opaque cursor from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface PageQuery {
  /** Page size, 1–1000; default 100. */
  limit?: number;
  /** Opaque cursor from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface AgentQuery extends PageQuery {
  cluster_id?: string;
  status?: AgentStatus;
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow. */
  next_cursor?: string;
}

// ---- repositories --------------------------------------------------------------------------------

export interface AgentRepository {
  /**
   * Creates or refreshes the agent from its `register` message; sets status `online`. `registered_at` and
   * `last_heartbeat_at` are the database clock at receipt (liveness is judged on the control plane's clock).
   */
  upsertRegistration(msg: AgentRegister): Promise<AgentRecord>;
  /**
   * Records a heartbeat and sets status `online`; returns the status the agent had before, or undefined
   * when the agent is unknown or registered for another cluster (it must register first).
   */
  recordHeartbeat(msg: AgentHeartbeat): Promise<AgentStatus | undefined>;
  get(agentId: string): Promise<AgentRecord | undefined>;
  /** Every matching agent, ordered by `agent_id` (bytewise); for the manager's own sweeps. */
  list(filter?: { cluster_id?: string; status?: AgentStatus }): Promise<AgentRecord[]>;
  /**
   * One page of matching agents, ordered by `agent_id` (bytewise), keyset-paginated.
   * @throws InputError naming `limit` or `cursor` when either is malformed.
   */
  listPage(query: AgentQuery): Promise<Page<AgentRecord>>;
  /**
   * Marks `online` agents whose last heartbeat (or registration) is older than `before` as offline —
   * only those in `agentIds` when given — and returns the ones it changed. Each transition is returned
   * by exactly one caller, however many manager replicas sweep at once.
   */
  markOfflineBefore(before: Date, agentIds?: readonly string[]): Promise<AgentRecord[]>;
  /** @returns false when there was no such agent. */
  delete(agentId: string): Promise<boolean>;
}

export interface ClusterRepository {
  /**
   * Creates a cluster.
   * @throws ConflictError when the id exists.
   */
  create(c: { id: string; name: string; environment?: string; labels?: Record<string, string> }): Promise<ClusterRecord>;
  /** Creates the cluster when an agent first reports for it; keeps an existing record untouched. */
  ensure(id: string): Promise<void>;
  get(id: string): Promise<ClusterRecord | undefined>;
  /** Every cluster, ordered by `id` (bytewise). */
  list(): Promise<ClusterRecord[]>;
  /**
   * One page of clusters, ordered by `id` (bytewise), keyset-paginated.
   * @throws InputError naming `limit` or `cursor` when either is malformed.
   */
  listPage(query: PageQuery): Promise<Page<ClusterRecord>>;
}

export interface EventRepository {
  /**
   * Stores a batch in one statement, atomically. Events whose `id` is already stored are skipped (agents
   * deliver at least once), so the call is idempotent; within a batch the first copy of an id wins. New
   * events fold into the aggregate of their fingerprint and window (see `EventRecord`), whichever replica
   * writes them, each id counted once.
   * @throws InputError when the database rejects a value (or `aggregationWindowMs` is out of range);
   *   nothing of the batch is stored then.
   * @throws StoreError when the database fails (a deadlock with another writer included): nothing stored.
   */
  insertMany(events: readonly AgentEvent[], options?: InsertEventsOptions): Promise<InsertEventsResult>;
  /** The aggregate that event `id` was folded into (any of its ids finds it), or undefined. */
  get(id: string): Promise<EventRecord | undefined>;
  /**
   * Newest first (`timestamp`, i.e. first occurrence, then `id` bytewise, descending), keyset-paginated.
   * `since` (inclusive) keeps aggregates whose last occurrence is at or after it, `until` (exclusive)
   * those whose first occurrence is before it: an aggregate overlapping the range is listed.
   * @throws InputError naming the field on a malformed cursor, limit, since or until.
   */
  list(query: EventQuery): Promise<Page<EventRecord>>;
  /**
   * Deletes aggregates whose last occurrence is before `before` (and the ids folded into them),
   * `batchSize` rows per statement; returns how many aggregates went.
   */
  deleteOlderThan(before: Date, batchSize?: number): Promise<number>;
}

export interface CommandRepository {
  /** @throws ConflictError when the id exists. */
  create(cmd: AgentCommand): Promise<CommandRecord>;
  /**
   * Moves a command to `state`; a `completed` command stays completed (a result may beat `sent`).
   * @throws NotFoundError when there is no such command.
   */
  setState(id: string, state: CommandState): Promise<void>;
  get(id: string): Promise<CommandRecord | undefined>;
  /**
   * Stores a result (idempotent per command id: the first result wins) and completes the command. A result
   * for a command this store never saw is stored too (audit trail), with `stored: true`.
   */
  saveResult(result: AgentResult): Promise<{ stored: boolean }>;
  getResult(commandId: string): Promise<CommandResultRecord | undefined>;
}

export interface KnowledgeSearchOptions {
  /** Default: every kind. */
  kinds?: readonly KnowledgeNodeKind[];
  /** 1–100; default 20. */
  limit?: number;
}

/** What the seed changed: nodes and edges inserted or refreshed (0 and 0 when run again on the same catalogs). */
export interface SeedResult {
  nodes: number;
  edges: number;
}

/** A diagnosis as the reasoning service records it, before anyone judges it. */
export interface CaseDraft {
  /** Usually the analysis request id, which feedback names as `request_id`. */
  id: string;
  /** Default `rca-rules`. */
  model?: string;
  cluster_id?: string;
  incident_id?: string;
  request_id?: string;
  predicted_root_cause: string;
  confidence?: number;
  /** src/core/knowledge/fingerprint.ts. */
  fingerprint?: readonly string[];
  /** `<cause>.<evidence id>` of every evidence item whose ratio the diagnosis applied, any hypothesis. */
  fired_evidence?: readonly string[];
  resource?: { kind: string; name: string; namespace?: string };
  /** The analysis itself, kept for audit. */
  diagnosis?: unknown;
}

/** What a feedback message does not carry; each part, when given, updates the case. */
export interface FeedbackContext {
  /** Default: the feedback's request_id, else its incident's latest case (or incident_id), else its own id. */
  case_id?: string;
  /** Default `rca-rules`. */
  model?: string;
  /** Default: what `recordCase` stored for the case. */
  fired_evidence?: readonly string[];
  fingerprint?: readonly string[];
  confidence?: number;
  resource?: { kind: string; name: string; namespace?: string };
  diagnosis?: unknown;
}

/** What a model has learned, ready for `AnalyzeOptions.priors` / `.weights` of the root-cause engine. */
export interface LearnedModel {
  model: string;
  /** Incremented by every recorded feedback. */
  version: number;
  updated_at: string | null;
  /** Base priors from the seeded cause nodes, counts from feedback. */
  state: LearningState;
  priors: Map<string, number>;
  weights: Map<string, number>;
}

/** The knowledge graph, similar cases and learning from feedback (docs/knowledge.md). */
export interface KnowledgeRepository {
  /**
   * Upserts the catalog graph in one transaction. Idempotent: running it again changes nothing;
   * nodes and edges operators or feedback added survive, and so do their edits of catalog edges.
   */
  seed(graph: KnowledgeGraph): Promise<SeedResult>;
  /**
   * Nodes whose key or props contain every word of `text` (case-insensitive), exact key first.
   * @throws InputError naming `q`, `kinds` or `limit`.
   */
  search(text: string, options?: KnowledgeSearchOptions): Promise<KnowledgeNode[]>;
  /**
   * `impact_radius`, `solutions` or `similar_cases` (src/contracts/knowledge.ts).
   * @throws InputError naming the field of a malformed query; NotFoundError for an unknown start node or cause.
   */
  query(q: KnowledgeQueryInput): Promise<KnowledgeQueryResult>;
  /**
   * Upserts nodes (props merged) and edges in one transaction.
   * @throws InputError naming the field, e.g. `edges.2.from` when that node does not exist.
   */
  update(body: KnowledgeUpdateInput): Promise<KnowledgeUpdateResult>;
  /** Records (or re-records) a diagnosis so that later feedback finds its fingerprint and fired evidence. */
  recordCase(draft: CaseDraft): Promise<KnowledgeCase>;
  getCase(id: string): Promise<KnowledgeCase | undefined>;
  /**
   * In one transaction: stores the feedback, updates its case, applies the learning rule to the model's
   * state under a row lock, and counts a remediation's outcome on the cause's RESOLVED_BY edge.
   * Idempotent by feedback id: a redelivery returns `duplicate: true` and learns nothing.
   * @throws InputError when the feedback is malformed or contradicts itself; ConflictError when its id
   *   was recorded with different content.
   */
  recordFeedback(feedback: FeedbackData, context?: FeedbackContext): Promise<FeedbackOutcome>;
  /** The priors and weights a model has learned (nothing learned yet: the seeded priors, no weights). */
  learning(model?: string): Promise<LearnedModel>;
  models(): Promise<ModelInfo[]>;
  /**
   * Accuracy of a model on its recorded cases.
   * @throws NotFoundError for a model with no cases and no state (other than the default).
   */
  modelMetrics(model?: string): Promise<ModelMetrics>;
}

export interface MigrationStatus {
  version: number;
  name: string;
  applied: boolean;
  applied_at: string | null;
}

/**
 * Every method refuses a database this build does not match.
 * @throws InputError when an applied migration's checksum differs from this build's SQL, or the database
 *   records a version this build does not know.
 */
export interface Migrator {
  /** Applies pending migrations up to `to` (default: latest) in order; each in its own transaction. Returns versions applied. */
  up(to?: number): Promise<number[]>;
  /** Reverts the newest `steps` applied migrations (default 1). Returns versions reverted. */
  down(steps?: number): Promise<number[]>;
  status(): Promise<MigrationStatus[]>;
}

export interface Store {
  readonly kind: 'postgres' | 'pglite';
  readonly sql: SqlClient;
  readonly migrations: Migrator;
  readonly agents: AgentRepository;
  readonly clusters: ClusterRepository;
  readonly events: EventRepository;
  readonly commands: CommandRepository;
  readonly incidents: IncidentRepository;
  readonly knowledge: KnowledgeRepository;
  /** Round trip to the database (readiness). @throws UnavailableError */
  ping(): Promise<void>;
  /** Closes the pool / the embedded database. Idempotent. */
  close(): Promise<void>;
}
