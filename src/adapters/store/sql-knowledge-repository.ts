/**
 * The knowledge graph and the learning store in SQL (migration 6, docs/knowledge.md). Every line runs
 * on PostgreSQL and PGlite alike: lists travel as JSON (`jsonb_array_elements_text`, `jsonb_to_recordset`),
 * never as driver arrays, and arrays come back as JSON (`to_jsonb`).
 */
import {
  ConflictError,
  DEFAULT_MODEL_ID,
  InputError,
  KNOWLEDGE_NODE_KINDS,
  MODEL_ID_PATTERN,
  NotFoundError,
  feedbackData,
  knowledgeQuery,
  knowledgeUpdate,
  parseWith,
  type FeedbackData,
  type FeedbackOutcome,
  type ImpactedNode,
  type KnowledgeCase,
  type KnowledgeEdgeType,
  type KnowledgeNode,
  type KnowledgeNodeKind,
  type KnowledgeNodeRef,
  type KnowledgeQueryInput,
  type KnowledgeQueryResult,
  type KnowledgeUpdateInput,
  type KnowledgeUpdateResult,
  type ModelInfo,
  type ModelMetrics,
  type SolutionRanking,
} from '../../contracts/index.js';
import {
  CATALOG_SOURCE,
  applyFeedback,
  judge,
  parseLearningState,
  priorsFrom,
  similarity as jaccard,
  solutionScore,
  successRate,
  weightsFrom,
  withBasePriors,
  type GraphEdge,
  type GraphNode,
  type KnowledgeGraph,
} from '../../core/knowledge/index.js';
import { jsonParam, withoutNulls } from './sql-client.js';
import type { CaseDraft, FeedbackContext, KnowledgeRepository, KnowledgeSearchOptions, LearnedModel, SeedResult, SqlClient } from './store.js';

/** A new case links SIMILAR_TO this many earlier cases at most, those at least this similar. */
export const SIMILAR_LINKS = 3;
export const SIMILAR_LINK_MIN = 0.5;
/** Similar-case candidates (overlapping a token) scored per query, newest first. */
export const SIMILAR_CANDIDATES = 1000;
/** Weight of a RESOLVED_BY edge that feedback created (no catalog opinion): the neutral 0.5. */
export const LEARNED_EDGE_WEIGHT = 0.5;
const MAX_SEARCH_TERMS = 8;

const MODEL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [DEFAULT_MODEL_ID]: 'Root-cause rules (rules/*.yaml) scored with priors and evidence weights learned from feedback',
};

/** `ARRAY[...]` of the JSON string array in parameter `n`, order kept. */
const textArray = (n: number): string => `ARRAY(SELECT x FROM jsonb_array_elements_text($${n}::jsonb) WITH ORDINALITY AS t(x, o) ORDER BY o)`;

const CASE_COLUMNS = `id, model, cluster_id, incident_id, request_id, to_jsonb(fingerprint) AS fingerprint, to_jsonb(fired_evidence) AS fired_evidence,
  predicted_cause, actual_cause, correct, confidence, action, action_succeeded, resource, created_at, updated_at`;

interface CaseRow {
  id: string;
  model: string;
  cluster_id: string | null;
  incident_id: string | null;
  request_id: string | null;
  fingerprint: string[];
  fired_evidence: string[];
  predicted_cause: string;
  actual_cause: string | null;
  correct: boolean | null;
  confidence: number | null;
  action: string | null;
  action_succeeded: boolean | null;
  resource: KnowledgeCase['resource'] | null;
  created_at: string;
  updated_at: string;
}

function toCase(row: CaseRow): KnowledgeCase {
  const { id, predicted_cause, actual_cause, ...rest } = row;
  const rootCause = actual_cause ?? (row.correct === false ? null : predicted_cause);
  return withoutNulls({ case_id: id, ...rest, predicted_root_cause: predicted_cause, actual_root_cause: actual_cause, root_cause: rootCause }) as KnowledgeCase;
}

function uniqueTokens(tokens: readonly string[] | undefined): string[] {
  return [...new Set(tokens ?? [])].sort();
}

/** A LIKE pattern matching `term` literally (`\\` is PostgreSQL's default LIKE escape). */
function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const nodeId = (kind: string, key: string): string => `${kind}\u0000${key}`;

/** Merges repeats of one node (an upsert may touch a row once per statement). */
function dedupeNodes(nodes: readonly GraphNode[]): GraphNode[] {
  const out = new Map<string, GraphNode>();
  for (const n of nodes) {
    const id = nodeId(n.kind, n.key);
    const had = out.get(id);
    out.set(id, had ? { ...had, props: { ...had.props, ...n.props } } : { kind: n.kind, key: n.key, props: { ...n.props } });
  }
  return [...out.values()];
}

function dedupeEdges(edges: readonly GraphEdge[]): GraphEdge[] {
  const out = new Map<string, GraphEdge>();
  for (const e of edges) out.set(`${e.type}\u0000${nodeId(e.from.kind, e.from.key)}\u0000${nodeId(e.to.kind, e.to.key)}`, e);
  return [...out.values()];
}

const edgeRecords = (edges: readonly GraphEdge[]) =>
  edges.map((e) => ({ type: e.type, from_kind: e.from.kind, from_key: e.from.key, to_kind: e.to.kind, to_key: e.to.key, weight: e.weight, props: e.props }));

/**
 * Upserts nodes; stored props are merged with the new ones (new keys win). With `keepSource`, an
 * existing node keeps its `source` (an operator editing a catalog node does not take it over).
 */
async function upsertNodes(sql: SqlClient, nodes: readonly GraphNode[], keepSource: boolean): Promise<number> {
  const list = dedupeNodes(nodes);
  if (!list.length) return 0;
  const merged = keepSource ? `kg_nodes.props || (excluded.props - 'source')` : `kg_nodes.props || excluded.props`;
  const res = await sql.query(
    `INSERT INTO kg_nodes (kind, key, props)
     SELECT n.kind, n.key, coalesce(n.props, '{}'::jsonb) FROM jsonb_to_recordset($1::jsonb) AS n(kind text, key text, props jsonb)
     ON CONFLICT (kind, key) DO UPDATE SET props = ${merged}, updated_at = date_trunc('milliseconds', now())
       WHERE NOT kg_nodes.props @> (${keepSource ? `excluded.props - 'source'` : 'excluded.props'})
     RETURNING id`,
    [JSON.stringify(list)],
  );
  return res.rowCount;
}

/** Nodes that feedback needs: created when missing, never changed. */
async function ensureNodes(sql: SqlClient, nodes: readonly KnowledgeNodeRef[], props: Record<string, unknown>): Promise<void> {
  await sql.query(
    `INSERT INTO kg_nodes (kind, key, props)
     SELECT n.kind, n.key, $2::jsonb FROM jsonb_to_recordset($1::jsonb) AS n(kind text, key text)
     ON CONFLICT (kind, key) DO NOTHING`,
    [JSON.stringify(nodes), JSON.stringify(props)],
  );
}

/**
 * Upserts edges between existing nodes. `catalogOnly`: an existing edge is refreshed only when the
 * catalog owns it (`props.source = 'catalog'`), so a re-seed never undoes an operator's edit.
 */
async function upsertEdges(sql: SqlClient, edges: readonly GraphEdge[], catalogOnly: boolean): Promise<number> {
  const list = dedupeEdges(edges);
  if (!list.length) return 0;
  const res = await sql.query(
    `INSERT INTO kg_edges (from_id, to_id, type, weight, props)
     SELECT f.id, t.id, e.type, e.weight, coalesce(e.props, '{}'::jsonb)
       FROM jsonb_to_recordset($1::jsonb) AS e(type text, from_kind text, from_key text, to_kind text, to_key text, weight float8, props jsonb)
       JOIN kg_nodes f ON f.kind = e.from_kind AND f.key = e.from_key
       JOIN kg_nodes t ON t.kind = e.to_kind AND t.key = e.to_key
     ON CONFLICT (from_id, to_id, type) DO UPDATE SET weight = excluded.weight, props = kg_edges.props || excluded.props, updated_at = date_trunc('milliseconds', now())
       WHERE ${catalogOnly ? `kg_edges.props->>'source' = '${CATALOG_SOURCE}' AND ` : ''}(kg_edges.weight <> excluded.weight OR NOT kg_edges.props @> excluded.props)
     RETURNING from_id`,
    [JSON.stringify(edgeRecords(list))],
  );
  return res.rowCount;
}

/** @throws InputError naming `model` when it is not a model id. */
function modelOf(model: string | undefined): string {
  if (model === undefined) return DEFAULT_MODEL_ID;
  if (!MODEL_ID_PATTERN.test(model)) throw new InputError(`model ${JSON.stringify(model.slice(0, 64))} is not a model id`, [{ path: 'model', message: 'must be 1-63 lower-case letters, digits, ".", "_" or "-"' }]);
  return model;
}

async function basePriors(sql: SqlClient): Promise<Map<string, number>> {
  const res = await sql.query<{ key: string; prior: number }>(
    `SELECT key, (props->>'prior')::float8 AS prior FROM kg_nodes WHERE kind = 'cause' AND jsonb_typeof(props->'prior') = 'number'`,
  );
  return new Map(res.rows.map((r) => [r.key, Number(r.prior)]));
}

export class SqlKnowledgeRepository implements KnowledgeRepository {
  constructor(private readonly sql: SqlClient) {}

  async seed(graph: KnowledgeGraph): Promise<SeedResult> {
    return this.sql.transaction(async (tx) => {
      const nodes = await upsertNodes(tx, graph.nodes.map((n) => ({ ...n, props: { ...n.props, source: CATALOG_SOURCE } })), false);
      const edges = await upsertEdges(tx, graph.edges.map((e) => ({ ...e, props: { ...e.props, source: CATALOG_SOURCE } })), true);
      return { nodes, edges };
    });
  }

  async search(text: string, options: KnowledgeSearchOptions = {}): Promise<KnowledgeNode[]> {
    const terms = text.trim().split(/\s+/).filter(Boolean);
    const limit = options.limit ?? 20;
    if (!terms.length || text.length > 256) throw new InputError('search text must be 1-256 characters', [{ path: 'q', message: 'must be 1-256 characters' }]);
    if (terms.length > MAX_SEARCH_TERMS) throw new InputError(`search text has ${terms.length} words; at most ${MAX_SEARCH_TERMS}`, [{ path: 'q', message: `must have at most ${MAX_SEARCH_TERMS} words` }]);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InputError(`limit must be an integer from 1 to 100, got ${limit}`, [{ path: 'limit', message: 'must be an integer from 1 to 100' }]);
    const kinds = options.kinds?.length ? options.kinds : KNOWLEDGE_NODE_KINDS;
    const bad = kinds.find((k) => !KNOWLEDGE_NODE_KINDS.includes(k));
    if (bad !== undefined) throw new InputError(`unknown node kind ${JSON.stringify(bad)}`, [{ path: 'kinds', message: `must be among ${KNOWLEDGE_NODE_KINDS.join(', ')}` }]);
    const params: unknown[] = [JSON.stringify(kinds), text.trim(), escapeLike(terms[0] ?? ''), limit];
    const where = terms.map((t) => {
      params.push(`%${escapeLike(t)}%`);
      return `(key ILIKE $${params.length} OR props::text ILIKE $${params.length})`;
    });
    // Exact key first, then keys starting with the first word, then the rest; within each, by kind and key.
    const res = await this.sql.query<KnowledgeNode>(
      `SELECT kind, key, props, created_at, updated_at FROM kg_nodes
        WHERE kind IN (SELECT jsonb_array_elements_text($1::jsonb)) AND ${where.join(' AND ')}
        ORDER BY CASE WHEN lower(key) = lower($2) THEN 0 WHEN key ILIKE $3 || '%' THEN 1 ELSE 2 END, kind, key
        LIMIT $4`,
      params,
    );
    return res.rows;
  }

  async query(input: KnowledgeQueryInput): Promise<KnowledgeQueryResult> {
    const q = parseWith(knowledgeQuery, input, 'knowledge query');
    switch (q.type) {
      case 'impact_radius':
        return this.#impactRadius(q.from, q.max_depth, q.limit);
      case 'solutions':
        return { type: 'solutions', cause: q.cause, solutions: await this.#solutions(this.sql, q.cause, q.limit) };
      case 'similar_cases': {
        const cases = await this.#similarCases(this.sql, uniqueTokens(q.fingerprint), q.limit, q.min_similarity, q.model);
        return { type: 'similar_cases', cases };
      }
    }
  }

  async #impactRadius(from: KnowledgeNodeRef, maxDepth: number, limit: number): Promise<KnowledgeQueryResult> {
    const start = await this.sql.query(`SELECT 1 FROM kg_nodes WHERE kind = $1 AND key = $2`, [from.kind, from.key]);
    if (!start.rowCount) throw new NotFoundError(`no ${from.kind} node ${JSON.stringify(from.key)} in the knowledge graph`);
    // What fails with a node: whatever DEPENDS_ON it (walked against the edge) and whatever it AFFECTS.
    // A path never revisits a node (cycles), the depth is bounded, and each node is reported once, by
    // its shortest then strongest path.
    const res = await this.sql.query<{ kind: KnowledgeNodeKind; key: string; depth: number; weight: number; via: KnowledgeEdgeType; path: KnowledgeNodeRef[] }>(
      `WITH RECURSIVE step AS (
         SELECT to_id AS src, from_id AS dst, type, weight FROM kg_edges WHERE type = 'DEPENDS_ON'
         UNION ALL
         SELECT from_id, to_id, type, weight FROM kg_edges WHERE type = 'AFFECTS'
       ), walk (node_id, depth, weight, via, path) AS (
         SELECT id, 0, 1::float8, NULL::text, ARRAY[id] FROM kg_nodes WHERE kind = $1 AND key = $2
         UNION ALL
         SELECT s.dst, w.depth + 1, w.weight * s.weight, s.type, w.path || s.dst
           FROM walk w JOIN step s ON s.src = w.node_id
          WHERE w.depth < $3 AND s.dst <> ALL (w.path)
       ), best AS (
         SELECT DISTINCT ON (node_id) node_id, depth, weight, via, path FROM walk WHERE depth > 0 ORDER BY node_id, depth, weight DESC
       )
       SELECT n.kind, n.key, b.depth, b.weight, b.via,
              (SELECT jsonb_agg(jsonb_build_object('kind', p.kind, 'key', p.key) ORDER BY u.ord)
                 FROM unnest(b.path) WITH ORDINALITY AS u(id, ord) JOIN kg_nodes p ON p.id = u.id) AS path
         FROM best b JOIN kg_nodes n ON n.id = b.node_id
        ORDER BY b.depth, b.weight DESC, n.kind, n.key
        LIMIT $4`,
      [from.kind, from.key, maxDepth, limit + 1],
    );
    const nodes: ImpactedNode[] = res.rows.slice(0, limit).map((r) => ({ kind: r.kind, key: r.key, depth: Number(r.depth), weight: Number(r.weight), via: r.via, path: r.path }));
    return { type: 'impact_radius', from, nodes, truncated: res.rows.length > limit };
  }

  async #solutions(sql: SqlClient, cause: string, limit: number): Promise<SolutionRanking[]> {
    const res = await sql.query<{ action: string; weight: number; successes: number; failures: number; props: Record<string, unknown> }>(
      `SELECT s.key AS action, e.weight, e.props,
              coalesce((e.props->>'successes')::int, 0) AS successes, coalesce((e.props->>'failures')::int, 0) AS failures
         FROM kg_nodes c
         JOIN kg_edges e ON e.from_id = c.id AND e.type = 'RESOLVED_BY'
         JOIN kg_nodes s ON s.id = e.to_id AND s.kind = 'solution'
        WHERE c.kind = 'cause' AND c.key = $1`,
      [cause],
    );
    if (!res.rowCount) {
      const exists = await sql.query(`SELECT 1 FROM kg_nodes WHERE kind = 'cause' AND key = $1`, [cause]);
      if (!exists.rowCount) throw new NotFoundError(`no cause ${JSON.stringify(cause)} in the knowledge graph`);
    }
    // Ranked by the same functions the learning rule documents, so the API and the rule never disagree.
    return res.rows
      .map((r) => {
        const counts = { successes: Number(r.successes), failures: Number(r.failures) };
        return { action: r.action, weight: Number(r.weight), ...counts, success_rate: successRate(counts), score: solutionScore(Number(r.weight), counts), props: r.props };
      })
      .sort((a, b) => b.score - a.score || b.weight - a.weight || a.action.localeCompare(b.action))
      .slice(0, limit);
  }

  async #similarCases(sql: SqlClient, tokens: readonly string[], limit: number, minSimilarity: number, model?: string, exclude?: string): Promise<(KnowledgeCase & { similarity: number })[]> {
    if (!tokens.length) return [];
    // Candidates share at least one token (GIN index); the newest SIMILAR_CANDIDATES are scored by Jaccard.
    const res = await sql.query<CaseRow & { similarity: number }>(
      `WITH q AS (SELECT ${textArray(1)} AS t),
       cand AS (
         SELECT c.* FROM kg_cases c, q
          WHERE c.fingerprint && q.t AND ($2::text IS NULL OR c.model = $2) AND ($3::text IS NULL OR c.id <> $3)
          ORDER BY c.created_at DESC LIMIT ${SIMILAR_CANDIDATES}
       ), scored AS (
         SELECT cand.*, i.inter::float8 / (cardinality(cand.fingerprint) + cardinality(q.t) - i.inter) AS similarity
           FROM cand, q, LATERAL (SELECT count(*) AS inter FROM unnest(cand.fingerprint) x WHERE x = ANY (q.t)) i
       )
       SELECT ${CASE_COLUMNS}, similarity FROM scored WHERE similarity >= $4
        ORDER BY similarity DESC, created_at DESC, id LIMIT $5`,
      [JSON.stringify(tokens), model ?? null, exclude ?? null, minSimilarity, limit],
    );
    return res.rows.map((r) => {
      const { similarity, ...row } = r;
      return { ...toCase(row), similarity: Number(similarity) };
    });
  }

  async update(input: KnowledgeUpdateInput): Promise<KnowledgeUpdateResult> {
    const body = parseWith(knowledgeUpdate, input, 'knowledge update');
    return this.sql.transaction(async (tx) => {
      const nodes = await upsertNodes(tx, body.nodes.map((n) => ({ ...n, props: { ...n.props, source: 'user' } })), true);
      const refs = new Map<string, KnowledgeNodeRef>();
      for (const e of body.edges) for (const r of [e.from, e.to]) refs.set(nodeId(r.kind, r.key), r);
      if (refs.size) {
        const found = await tx.query<{ kind: string; key: string }>(
          `SELECT n.kind, n.key FROM kg_nodes n JOIN jsonb_to_recordset($1::jsonb) AS r(kind text, key text) ON n.kind = r.kind AND n.key = r.key`,
          [JSON.stringify([...refs.values()])],
        );
        const present = new Set(found.rows.map((r) => nodeId(r.kind, r.key)));
        const issues = body.edges.flatMap((e, i) =>
          (['from', 'to'] as const).filter((end) => !present.has(nodeId(e[end].kind, e[end].key))).map((end) => ({ path: `edges.${i}.${end}`, message: `no ${e[end].kind} node ${JSON.stringify(e[end].key)}: add it under nodes` })),
        );
        if (issues.length) throw new InputError(`invalid knowledge update: ${issues.slice(0, 10).map((x) => `${x.path}: ${x.message}`).join('; ')}`, issues);
      }
      const edges = await upsertEdges(tx, body.edges.map((e) => ({ ...e, props: { ...e.props, source: 'user' } })), false);
      return { nodes, edges };
    });
  }

  async recordCase(draft: CaseDraft): Promise<KnowledgeCase> {
    const res = await this.sql.query<CaseRow>(
      `INSERT INTO kg_cases (id, model, cluster_id, incident_id, request_id, fingerprint, fired_evidence, predicted_cause, confidence, resource, diagnosis)
       VALUES ($1, $2, $3, $4, $5, ${textArray(6)}, ${textArray(7)}, $8, $9, $10::jsonb, $11::jsonb)
       ON CONFLICT (id) DO UPDATE SET cluster_id = coalesce(excluded.cluster_id, kg_cases.cluster_id), incident_id = coalesce(excluded.incident_id, kg_cases.incident_id),
         request_id = coalesce(excluded.request_id, kg_cases.request_id), fingerprint = excluded.fingerprint, fired_evidence = excluded.fired_evidence,
         predicted_cause = excluded.predicted_cause, confidence = excluded.confidence, resource = coalesce(excluded.resource, kg_cases.resource),
         diagnosis = coalesce(excluded.diagnosis, kg_cases.diagnosis), updated_at = date_trunc('milliseconds', now())
       RETURNING ${CASE_COLUMNS}`,
      [
        draft.id,
        modelOf(draft.model),
        draft.cluster_id ?? null,
        draft.incident_id ?? null,
        draft.request_id ?? null,
        JSON.stringify(uniqueTokens(draft.fingerprint)),
        JSON.stringify(uniqueTokens(draft.fired_evidence)),
        draft.predicted_root_cause,
        draft.confidence ?? null,
        jsonParam(draft.resource),
        jsonParam(draft.diagnosis),
      ],
    );
    const row = res.rows[0];
    if (!row) throw new Error('unreachable: upsert returned no row');
    return toCase(row);
  }

  async getCase(id: string): Promise<KnowledgeCase | undefined> {
    const res = await this.sql.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM kg_cases WHERE id = $1`, [id]);
    const row = res.rows[0];
    return row ? toCase(row) : undefined;
  }

  async recordFeedback(input: FeedbackData, context: FeedbackContext = {}): Promise<FeedbackOutcome> {
    const f = parseWith(feedbackData, input, 'feedback');
    const verdict = judge(f);
    const model = modelOf(context.model);
    return this.sql.transaction(async (tx) => {
      const caseId = await this.#caseIdFor(tx, f, context, model);
      const inserted = await tx.query(`INSERT INTO feedback (id, model, case_id, raw) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`, [
        f.id,
        model,
        caseId,
        JSON.stringify(f),
      ]);
      if (!inserted.rowCount) {
        const had = await tx.query<{ case_id: string; same: boolean; version: number | null }>(
          `SELECT f.case_id, f.raw = $2::jsonb AS same, s.version FROM feedback f LEFT JOIN learning_state s ON s.model = f.model WHERE f.id = $1`,
          [f.id, JSON.stringify(f)],
        );
        const row = had.rows[0];
        if (row && !row.same) throw new ConflictError(`feedback ${f.id} was recorded before with different content; a feedback id names one judgement`);
        return { feedback_id: f.id, duplicate: true, case_id: row?.case_id ?? caseId, learning_version: Number(row?.version ?? 0) };
      }

      const judged = verdict.correct !== undefined;
      const caseRes = await tx.query<CaseRow>(
        `INSERT INTO kg_cases (id, model, cluster_id, incident_id, request_id, fingerprint, fired_evidence, predicted_cause, actual_cause, correct, confidence, action, action_succeeded, resource, diagnosis)
         VALUES ($1, $2, $3, $4, $5, ${textArray(6)}, ${textArray(7)}, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb)
         ON CONFLICT (id) DO UPDATE SET
           cluster_id = coalesce(excluded.cluster_id, kg_cases.cluster_id),
           incident_id = coalesce(excluded.incident_id, kg_cases.incident_id),
           request_id = coalesce(excluded.request_id, kg_cases.request_id),
           fingerprint = CASE WHEN cardinality(excluded.fingerprint) > 0 THEN excluded.fingerprint ELSE kg_cases.fingerprint END,
           fired_evidence = CASE WHEN cardinality(excluded.fired_evidence) > 0 THEN excluded.fired_evidence ELSE kg_cases.fired_evidence END,
           predicted_cause = CASE WHEN $16 THEN excluded.predicted_cause ELSE kg_cases.predicted_cause END,
           actual_cause = CASE WHEN $17 THEN excluded.actual_cause ELSE kg_cases.actual_cause END,
           correct = CASE WHEN $17 THEN excluded.correct ELSE kg_cases.correct END,
           confidence = coalesce(excluded.confidence, kg_cases.confidence),
           action = coalesce(excluded.action, kg_cases.action),
           action_succeeded = CASE WHEN excluded.action IS NOT NULL THEN excluded.action_succeeded ELSE kg_cases.action_succeeded END,
           resource = coalesce(excluded.resource, kg_cases.resource),
           diagnosis = coalesce(excluded.diagnosis, kg_cases.diagnosis),
           updated_at = date_trunc('milliseconds', now())
         RETURNING ${CASE_COLUMNS}`,
        [
          caseId,
          model,
          f.cluster_id ?? null,
          f.incident_id ?? null,
          f.request_id ?? null,
          JSON.stringify(uniqueTokens(context.fingerprint)),
          JSON.stringify(uniqueTokens(context.fired_evidence)),
          f.predicted_root_cause,
          verdict.actual ?? null,
          verdict.correct ?? null,
          context.confidence ?? null,
          f.action ?? null,
          f.action === undefined ? null : (f.action_succeeded ?? null),
          jsonParam(context.resource),
          jsonParam(context.diagnosis),
          f.kind === 'diagnosis',
          judged,
        ],
      );
      const stored = caseRes.rows[0];
      if (!stored) throw new Error('unreachable: upsert returned no row');

      // The row lock serialises learners: each feedback reads the state the previous one wrote.
      await tx.query(`INSERT INTO learning_state (model) VALUES ($1) ON CONFLICT (model) DO NOTHING`, [model]);
      const stateRes = await tx.query<{ state: unknown }>(`SELECT state FROM learning_state WHERE model = $1 FOR UPDATE`, [model]);
      const learnFrom: FeedbackData = f.kind === 'remediation' && f.actual_root_cause === undefined && stored.actual_cause ? { ...f, actual_root_cause: stored.actual_cause as FeedbackData['predicted_root_cause'] } : f;
      const next = applyFeedback(parseLearningState(stateRes.rows[0]?.state), learnFrom, stored.fired_evidence);
      const version = await tx.query<{ version: number }>(
        `UPDATE learning_state SET state = $2::jsonb, version = version + 1, updated_at = date_trunc('milliseconds', now()) WHERE model = $1 RETURNING version`,
        [model, JSON.stringify({ ...next, base_priors: {} })],
      );

      await this.#recordInGraph(tx, toCase(stored), learnFrom);
      return { feedback_id: f.id, duplicate: false, case_id: caseId, learning_version: Number(version.rows[0]?.version ?? 0) };
    });
  }

  /** The case a feedback is about: named by the caller, else its analysis request, else its incident's latest case, else its own id. */
  async #caseIdFor(tx: SqlClient, f: FeedbackData, context: FeedbackContext, model: string): Promise<string> {
    if (context.case_id) return context.case_id;
    if (f.request_id) return f.request_id;
    if (f.incident_id) {
      const res = await tx.query<{ id: string }>(`SELECT id FROM kg_cases WHERE incident_id = $1 AND model = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, [f.incident_id, model]);
      return res.rows[0]?.id ?? f.incident_id;
    }
    return f.id;
  }

  /** The case as a node: what caused it, what resolved it, which earlier cases it resembles; remediation outcomes on RESOLVED_BY. */
  async #recordInGraph(tx: SqlClient, c: KnowledgeCase, f: FeedbackData): Promise<void> {
    const caseRef: KnowledgeNodeRef = { kind: 'case', key: c.case_id };
    const props = withoutNulls({
      model: c.model,
      predicted_root_cause: c.predicted_root_cause,
      actual_root_cause: c.actual_root_cause ?? null,
      correct: c.correct ?? null,
      action: c.action ?? null,
      action_succeeded: c.action_succeeded ?? null,
      cluster_id: c.cluster_id ?? null,
    });
    await upsertNodes(tx, [{ ...caseRef, props: { ...props, source: 'feedback' } }], true);
    const learned = { source: 'feedback' };
    const edges: GraphEdge[] = [];
    await tx.query(`DELETE FROM kg_edges WHERE type = 'CAUSED_BY' AND from_id = (SELECT id FROM kg_nodes WHERE kind = 'case' AND key = $1)`, [c.case_id]);
    if (c.root_cause) {
      await ensureNodes(tx, [{ kind: 'cause', key: c.root_cause }], learned);
      edges.push({ type: 'CAUSED_BY', from: caseRef, to: { kind: 'cause', key: c.root_cause }, weight: 1, props: learned });
    }
    if (f.kind === 'remediation' && f.action !== undefined && f.action_succeeded !== undefined) {
      const cause = f.actual_root_cause ?? f.predicted_root_cause;
      await ensureNodes(tx, [{ kind: 'cause', key: cause }, { kind: 'solution', key: f.action }], learned);
      await tx.query(
        `INSERT INTO kg_edges (from_id, to_id, type, weight, props)
         SELECT c.id, s.id, 'RESOLVED_BY', $3, jsonb_build_object('source', 'feedback', 'successes', $4::int, 'failures', $5::int)
           FROM kg_nodes c, kg_nodes s WHERE c.kind = 'cause' AND c.key = $1 AND s.kind = 'solution' AND s.key = $2
         ON CONFLICT (from_id, to_id, type) DO UPDATE SET
           props = kg_edges.props || jsonb_build_object('successes', coalesce((kg_edges.props->>'successes')::int, 0) + $4::int,
                                                        'failures', coalesce((kg_edges.props->>'failures')::int, 0) + $5::int),
           updated_at = date_trunc('milliseconds', now())`,
        [cause, f.action, LEARNED_EDGE_WEIGHT, f.action_succeeded ? 1 : 0, f.action_succeeded ? 0 : 1],
      );
      if (f.action_succeeded) edges.push({ type: 'RESOLVED_BY', from: caseRef, to: { kind: 'solution', key: f.action }, weight: 1, props: learned });
    }
    if (f.kind === 'diagnosis' && c.fingerprint.length) {
      const similar = await this.#similarCases(tx, c.fingerprint, SIMILAR_LINKS, SIMILAR_LINK_MIN, c.model, c.case_id);
      if (similar.length) await ensureNodes(tx, similar.map((s) => ({ kind: 'case' as const, key: s.case_id })), learned);
      for (const s of similar) edges.push({ type: 'SIMILAR_TO', from: caseRef, to: { kind: 'case', key: s.case_id }, weight: Math.round(jaccard(c.fingerprint, s.fingerprint) * 1000) / 1000, props: learned });
    }
    await upsertEdges(tx, edges, false);
  }

  async learning(model: string = DEFAULT_MODEL_ID): Promise<LearnedModel> {
    const res = await this.sql.query<{ state: unknown; version: number; updated_at: string }>(`SELECT state, version, updated_at FROM learning_state WHERE model = $1`, [model]);
    const row = res.rows[0];
    const state = withBasePriors(parseLearningState(row?.state), await basePriors(this.sql));
    return { model, version: Number(row?.version ?? 0), updated_at: row?.updated_at ?? null, state, priors: priorsFrom(state), weights: weightsFrom(state) };
  }

  async models(): Promise<ModelInfo[]> {
    const res = await this.sql.query<{ id: string; version: number | null; updated_at: string | null; cases: number | null; judged: number | null }>(
      `SELECT m.model AS id, s.version, s.updated_at, c.cases, c.judged
         FROM (SELECT model FROM learning_state UNION SELECT model FROM kg_cases UNION SELECT $1::text) m
         LEFT JOIN learning_state s ON s.model = m.model
         LEFT JOIN (SELECT model, count(*) AS cases, count(correct) AS judged FROM kg_cases GROUP BY model) c ON c.model = m.model
        ORDER BY m.model`,
      [DEFAULT_MODEL_ID],
    );
    return res.rows.map((r) => ({
      id: r.id,
      description: MODEL_DESCRIPTIONS[r.id] ?? `Diagnoses recorded as model ${r.id}`,
      learning_version: Number(r.version ?? 0),
      updated_at: r.updated_at,
      cases: Number(r.cases ?? 0),
      judged: Number(r.judged ?? 0),
    }));
  }

  async modelMetrics(model: string = DEFAULT_MODEL_ID): Promise<ModelMetrics> {
    const totals = await this.sql.query<{ cases: number; judged: number; correct: number; rem_judged: number; rem_succeeded: number; known: boolean }>(
      `SELECT count(*) AS cases, count(correct) AS judged, count(*) FILTER (WHERE correct) AS correct,
              count(action_succeeded) AS rem_judged, count(*) FILTER (WHERE action_succeeded) AS rem_succeeded,
              EXISTS (SELECT 1 FROM learning_state WHERE model = $1) AS known
         FROM kg_cases WHERE model = $1`,
      [model],
    );
    const t = totals.rows[0];
    if (!t || (Number(t.cases) === 0 && !t.known && model !== DEFAULT_MODEL_ID)) throw new NotFoundError(`no model ${JSON.stringify(model)}`);
    const perCause = await this.sql.query<{ cause: string; predicted: number; actual: number; tp: number }>(
      `WITH j AS (
         SELECT predicted_cause AS p, coalesce(actual_cause, CASE WHEN correct THEN predicted_cause END) AS a, correct
           FROM kg_cases WHERE model = $1 AND correct IS NOT NULL
       )
       SELECT cause, sum(pred)::int AS predicted, sum(act)::int AS actual, sum(tp)::int AS tp FROM (
         SELECT p AS cause, 1 AS pred, 0 AS act, CASE WHEN correct THEN 1 ELSE 0 END AS tp FROM j
         UNION ALL
         SELECT a, 0, 1, 0 FROM j WHERE a IS NOT NULL
       ) x GROUP BY cause ORDER BY cause`,
      [model],
    );
    const calibration = await this.sql.query<{ b: number; count: number; mean_confidence: number; accuracy: number }>(
      `SELECT least(floor(confidence * 10), 9)::int AS b, count(*) AS count, avg(confidence)::float8 AS mean_confidence,
              avg(CASE WHEN correct THEN 1.0 ELSE 0.0 END)::float8 AS accuracy
         FROM kg_cases WHERE model = $1 AND correct IS NOT NULL AND confidence IS NOT NULL
        GROUP BY 1 ORDER BY 1`,
      [model],
    );
    const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
    const judged = Number(t.judged);
    const remJudged = Number(t.rem_judged);
    return {
      model_id: model,
      cases: Number(t.cases),
      judged,
      correct: Number(t.correct),
      accuracy: ratio(Number(t.correct), judged),
      per_cause: perCause.rows.map((r) => ({
        cause: r.cause,
        predicted: Number(r.predicted),
        actual: Number(r.actual),
        true_positives: Number(r.tp),
        precision: ratio(Number(r.tp), Number(r.predicted)),
        recall: ratio(Number(r.tp), Number(r.actual)),
      })),
      calibration: calibration.rows.map((r) => ({
        lower: Number(r.b) / 10,
        upper: (Number(r.b) + 1) / 10,
        count: Number(r.count),
        mean_confidence: Number(r.mean_confidence),
        accuracy: Number(r.accuracy),
      })),
      remediation: { judged: remJudged, succeeded: Number(t.rem_succeeded), success_rate: ratio(Number(t.rem_succeeded), remJudged) },
    };
  }
}
