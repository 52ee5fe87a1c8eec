/**
 * The knowledge graph and learning store on real PostgreSQL and on embedded PGlite: migration 6 up and
 * down, seeding from the built-in catalogs (twice), impact radius over a dependency cycle, solutions
 * reordered by remediation feedback, similar cases by fingerprint, feedback idempotency, bounded
 * learning, and accuracy figures on recorded cases.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  InputError,
  NotFoundError,
  knowledgeQueryResult,
  modelList,
  modelMetrics,
  parseWith,
  type FeedbackData,
  type KnowledgeQueryResult,
} from '../src/contracts/index.js';
import { MIGRATIONS, createStore, type Store } from '../src/adapters/store/index.js';
import { loadRules } from '../src/adapters/rules/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { buildSeedGraph, fingerprint, rankSolutions, type KnowledgeGraph } from '../src/core/knowledge/index.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

const KNOWLEDGE_TABLES = ['kg_nodes', 'kg_edges', 'kg_cases', 'learning_state', 'feedback'];

function uid(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

function feedback(over: Partial<FeedbackData> & Pick<FeedbackData, 'predicted_root_cause'>): FeedbackData {
  return { schema_version: 1, id: uid('fb'), timestamp: '2025-09-30T10:30:00Z', kind: 'diagnosis', submitted_by: 'alice', ...over };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** Every answer must be what the API contract promises. */
function valid(result: KnowledgeQueryResult): KnowledgeQueryResult {
  return parseWith(knowledgeQueryResult, result, 'knowledge query result');
}

function impact(result: KnowledgeQueryResult) {
  valid(result);
  if (result.type !== 'impact_radius') throw new Error(`expected impact_radius, got ${result.type}`);
  return result;
}

function solutions(result: KnowledgeQueryResult) {
  valid(result);
  if (result.type !== 'solutions') throw new Error(`expected solutions, got ${result.type}`);
  return result.solutions;
}

function similar(result: KnowledgeQueryResult) {
  valid(result);
  if (result.type !== 'similar_cases') throw new Error(`expected similar_cases, got ${result.type}`);
  return result.cases;
}

const res = (key: string) => ({ kind: 'resource' as const, key });

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`knowledge repository (${kind})`, () => {
    let db: TestDatabase | undefined;
    let store: Store;
    let graph: KnowledgeGraph;

    beforeAll(async () => {
      if (kind === 'postgres') {
        db = await createTestDatabase('aet_knowledge');
        store = await createStore({ kind, url: db.url, poolMax: 6, logger: silentLogger() });
      } else {
        store = await createStore({ kind });
      }
      await store.migrations.up();
      graph = buildSeedGraph({ rules: (await loadRules()).rules });
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await db?.drop();
    });

    const tables = async () => {
      const r = await store.sql.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`);
      return new Set(r.rows.map((x) => x.name));
    };

    it('migration 6 creates the knowledge tables and its down removes only them', async () => {
      for (const t of KNOWLEDGE_TABLES) expect((await tables()).has(t), t).toBe(true);
      // Later migrations go first: they may build on these tables.
      const from6 = MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version);
      expect(await store.migrations.down(from6.length)).toEqual([...from6].reverse());
      const after = await tables();
      for (const t of KNOWLEDGE_TABLES) expect(after.has(t), t).toBe(false);
      expect(after.has('incidents')).toBe(true);
      expect(await store.migrations.up()).toEqual(from6);
    }, 30_000);

    it('seeds the catalogs once: a second run changes nothing, and what operators added or edited survives', async () => {
      const first = await store.knowledge.seed(graph);
      expect(first.nodes).toBe(graph.nodes.length);
      expect(first.edges).toBe(graph.edges.length);
      const count = async (t: string) => Number((await store.sql.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n);

      await store.knowledge.update({
        nodes: [{ kind: 'resource', key: 'Deployment/shop/checkout', props: { team: 'payments' } }],
        edges: [
          { type: 'DEPENDS_ON', from: res('Deployment/shop/checkout'), to: res('Node'), weight: 0.5 },
          // An operator's view of a catalog edge.
          { type: 'RESOLVED_BY', from: { kind: 'cause', key: 'OOMKilled' }, to: { kind: 'solution', key: 'RestartPod' }, weight: 0.05 },
        ],
      });
      const nodes = await count('kg_nodes');
      const edges = await count('kg_edges');
      expect(await store.knowledge.seed(graph)).toEqual({ nodes: 0, edges: 0 });
      expect(await count('kg_nodes')).toBe(nodes);
      expect(await count('kg_edges')).toBe(edges);
      expect((await store.knowledge.search('Deployment/shop/checkout', { kinds: ['resource'] }))[0]?.props).toMatchObject({ team: 'payments' });
      const ranked = solutions(await store.knowledge.query({ type: 'solutions', cause: 'OOMKilled' }));
      expect(ranked.find((s) => s.action === 'RestartPod')?.weight).toBe(0.05);

      // A changed catalog refreshes what the catalog owns.
      const changed: KnowledgeGraph = {
        nodes: graph.nodes,
        edges: graph.edges.map((e) => (e.type === 'RESOLVED_BY' && e.from.key === 'OOMKilled' && e.to.key === 'NotifyOwner' ? { ...e, weight: 0.45 } : e)),
      };
      expect(await store.knowledge.seed(changed)).toEqual({ nodes: 0, edges: 1 });
      await store.knowledge.seed(graph);
    }, 30_000);

    it('searches keys and properties, exact key first, with kinds and a bounded limit', async () => {
      const oom = await store.knowledge.search('OOMKilled');
      expect(oom[0]).toMatchObject({ key: 'OOMKilled' });
      expect(oom.map((n) => n.kind)).toEqual(expect.arrayContaining(['cause', 'event_type']));
      expect((await store.knowledge.search('oomkilled', { kinds: ['cause'] })).map((n) => `${n.kind}:${n.key}`)).toEqual(['cause:OOMKilled']);
      // Every word must match; LIKE wildcards are literal.
      const both = await store.knowledge.search('memory limit', { kinds: ['cause'] });
      expect(both.length).toBeGreaterThan(0);
      for (const n of both) expect(JSON.stringify(n).toLowerCase()).toMatch(/memory[\s\S]*limit|limit[\s\S]*memory/);
      expect(await store.knowledge.search('100%_')).toEqual([]);
      expect(await store.knowledge.search('e', { limit: 3 })).toHaveLength(3);
      expect(await rejection(store.knowledge.search('e', { limit: 1000 }))).toBeInstanceOf(InputError);
    });

    it('walks the impact radius over DEPENDS_ON and AFFECTS, bounded by depth, through a cycle', async () => {
      // frontend → checkout → payments → postgres → checkout (a cycle); a cause affects postgres.
      await store.knowledge.update({
        nodes: ['frontend', 'checkout', 'payments', 'postgres'].map((n) => ({ kind: 'resource' as const, key: `svc/${n}` })),
        edges: [
          { type: 'DEPENDS_ON', from: res('svc/frontend'), to: res('svc/checkout'), weight: 0.5 },
          { type: 'DEPENDS_ON', from: res('svc/checkout'), to: res('svc/payments'), weight: 0.8 },
          { type: 'DEPENDS_ON', from: res('svc/payments'), to: res('svc/postgres'), weight: 0.9 },
          { type: 'DEPENDS_ON', from: res('svc/postgres'), to: res('svc/checkout') },
          { type: 'AFFECTS', from: { kind: 'cause', key: 'DiskFull' }, to: res('svc/postgres'), weight: 0.7 },
        ],
      });
      const fromDb = impact(await store.knowledge.query({ type: 'impact_radius', from: res('svc/postgres'), max_depth: 6 }));
      expect(fromDb.nodes.map((n) => [n.key, n.depth])).toEqual([
        ['svc/payments', 1],
        ['svc/checkout', 2],
        ['svc/frontend', 3],
      ]);
      const frontend = fromDb.nodes.find((n) => n.key === 'svc/frontend');
      expect(frontend?.weight).toBeCloseTo(0.9 * 0.8 * 0.5);
      expect(frontend?.path.map((p) => p.key)).toEqual(['svc/postgres', 'svc/payments', 'svc/checkout', 'svc/frontend']);
      expect(fromDb.truncated).toBe(false);

      const shallow = impact(await store.knowledge.query({ type: 'impact_radius', from: res('svc/postgres'), max_depth: 2 }));
      expect(shallow.nodes.map((n) => n.key)).toEqual(['svc/payments', 'svc/checkout']);
      const fromCause = impact(await store.knowledge.query({ type: 'impact_radius', from: { kind: 'cause', key: 'DiskFull' }, max_depth: 4 }));
      expect(fromCause.nodes.find((n) => n.key === 'svc/postgres')).toMatchObject({ depth: 1, via: 'AFFECTS' });
      expect(fromCause.nodes.find((n) => n.key === 'svc/frontend')?.depth).toBe(4);

      // The seeded kind-level structure: a node failure reaches pods, then what runs them, then Services' users.
      const node = impact(await store.knowledge.query({ type: 'impact_radius', from: res('Node'), max_depth: 3, limit: 4 }));
      expect(node.nodes[0]).toMatchObject({ key: 'Pod', depth: 1, via: 'DEPENDS_ON' });
      expect(node.nodes).toHaveLength(4);
      expect(node.truncated).toBe(true);

      expect(await rejection(store.knowledge.query({ type: 'impact_radius', from: res('svc/nowhere') }))).toBeInstanceOf(NotFoundError);
      const bad = await rejection(store.knowledge.query({ type: 'impact_radius', from: res('svc/postgres'), max_depth: 50 }));
      expect((bad as InputError).issues.map((i) => i.path)).toEqual(['max_depth']);
    }, 30_000);

    it('reorders the solutions of a cause after remediation feedback, exactly as the learning rule ranks them', async () => {
      const before = solutions(await store.knowledge.query({ type: 'solutions', cause: 'OOMKilled' })).map((s) => s.action);
      expect(before[0]).toBe('UpdateResourceLimits');
      for (let i = 0; i < 3; i++) {
        await store.knowledge.recordFeedback(feedback({ kind: 'remediation', predicted_root_cause: 'OOMKilled', action: 'UpdateResourceLimits', action_succeeded: false }));
        await store.knowledge.recordFeedback(feedback({ kind: 'remediation', predicted_root_cause: 'OOMKilled', action: 'NotifyOwner', action_succeeded: true }));
      }
      const after = solutions(await store.knowledge.query({ type: 'solutions', cause: 'OOMKilled' }));
      expect(after[0]).toMatchObject({ action: 'NotifyOwner', successes: 3, failures: 0 });
      expect(after.findIndex((s) => s.action === 'UpdateResourceLimits')).toBeGreaterThan(after.findIndex((s) => s.action === 'NotifyOwner'));
      const { state } = await store.knowledge.learning();
      expect(rankSolutions(state, 'OOMKilled', after).map((s) => s.action)).toEqual(after.map((s) => s.action));
      // An action the catalog never proposed for a cause becomes a solution once it worked.
      await store.knowledge.recordFeedback(feedback({ kind: 'remediation', predicted_root_cause: 'DiskFull', action: 'ExpandPVC', action_succeeded: true }));
      const disk = solutions(await store.knowledge.query({ type: 'solutions', cause: 'DiskFull' }));
      expect(disk.find((s) => s.action === 'ExpandPVC')?.successes).toBeGreaterThanOrEqual(1);
      expect(await rejection(store.knowledge.query({ type: 'solutions', cause: 'NoSuchCause' }))).toBeInstanceOf(NotFoundError);
    }, 30_000);

    it('finds similar past cases by fingerprint, most similar first, and links new cases to them', async () => {
      const oomSignals = [
        { name: 'container_terminated', fields: { reason: 'OOMKilled' } },
        { name: 'container_waiting', fields: { reason: 'CrashLoopBackOff' } },
      ];
      const model = uid('sim');
      const near = fingerprint({ signals: oomSignals, reasons: ['BackOff'], cause: 'OOMKilled' });
      const partial = fingerprint({ signals: [oomSignals[1]!, { name: 'container_terminated', fields: { reason: 'Error' } }], reasons: ['BackOff'], cause: 'ApplicationCrash' });
      const unrelated = fingerprint({ signals: [{ name: 'node_condition', fields: { condition: 'Ready' } }], cause: 'NodeNotReady' });
      await store.knowledge.recordCase({ id: uid('case-near'), model, predicted_root_cause: 'OOMKilled', fingerprint: near, resource: { kind: 'Deployment', name: 'a', namespace: 'x' } });
      await store.knowledge.recordCase({ id: uid('case-partial'), model, predicted_root_cause: 'ApplicationCrash', fingerprint: partial });
      await store.knowledge.recordCase({ id: uid('case-unrelated'), model, predicted_root_cause: 'NodeNotReady', fingerprint: unrelated });
      const found = similar(await store.knowledge.query({ type: 'similar_cases', fingerprint: near, model, limit: 5 }));
      expect(found.map((c) => c.predicted_root_cause)).toEqual(['OOMKilled', 'ApplicationCrash']);
      expect(found[0]?.similarity).toBe(1);
      expect(found[1]?.similarity).toBeGreaterThan(0);
      expect(found[1]?.similarity).toBeLessThan(1);
      expect(found[0]?.resource).toEqual({ kind: 'Deployment', name: 'a', namespace: 'x' });
      const strict = similar(await store.knowledge.query({ type: 'similar_cases', fingerprint: near, model, min_similarity: 0.9 }));
      expect(strict).toHaveLength(1);

      // A judged new case with the same fingerprint is linked SIMILAR_TO the earlier one.
      const fb = feedback({ predicted_root_cause: 'OOMKilled', correct: true, request_id: uid('req') });
      await store.knowledge.recordFeedback(fb, { model, fingerprint: near });
      const links = await store.sql.query<{ to_key: string; weight: number }>(
        `SELECT t.key AS to_key, e.weight FROM kg_edges e JOIN kg_nodes f ON f.id = e.from_id JOIN kg_nodes t ON t.id = e.to_id
          WHERE e.type = 'SIMILAR_TO' AND f.kind = 'case' AND f.key = $1`,
        [fb.request_id],
      );
      const byWeight = links.rows.map((r) => [r.to_key.replace(/-[0-9a-f]+$/, ''), Number(r.weight)]).sort((a, b) => Number(b[1]) - Number(a[1]));
      expect(byWeight).toEqual([
        ['case-near', 1],
        ['case-partial', 0.714],
      ]);
    }, 30_000);

    it('learns each feedback id once; the same id with other content is a conflict', async () => {
      const fb = feedback({ predicted_root_cause: 'ImagePullError', actual_root_cause: 'BadRollout', correct: false });
      const first = await store.knowledge.recordFeedback(fb);
      expect(first.duplicate).toBe(false);
      const learned = await store.knowledge.learning();
      const again = await store.knowledge.recordFeedback(fb);
      expect(again).toEqual({ ...first, duplicate: true });
      const still = await store.knowledge.learning();
      expect(still.version).toBe(learned.version);
      expect(still.state.cause_counts).toEqual(learned.state.cause_counts);
      expect(await rejection(store.knowledge.recordFeedback({ ...fb, comment: 'changed my mind' }))).toBeInstanceOf(ConflictError);
      const contradiction = await rejection(store.knowledge.recordFeedback(feedback({ predicted_root_cause: 'OOMKilled', actual_root_cause: 'DiskFull', correct: true })));
      expect((contradiction as InputError).issues[0]?.path).toBe('correct');
      expect(await store.knowledge.getCase(first.case_id)).toMatchObject({ predicted_root_cause: 'ImagePullError', actual_root_cause: 'BadRollout', root_cause: 'BadRollout', correct: false });
    }, 30_000);

    it('shifts priors towards the confirmed cause and never drives a rule weight below 0.1', async () => {
      const before = await store.knowledge.learning();
      // Nothing learned about these yet: the seeded rule prior is what the engine gets.
      expect(before.priors.get('NetworkPolicyBlocked')).toBeGreaterThan(0);
      const caseId = uid('req');
      await store.knowledge.recordCase({ id: caseId, predicted_root_cause: 'DNSResolutionFailure', fired_evidence: ['DNSResolutionFailure.lookup-fails-log', 'NetworkPolicyBlocked.policy-blocks'] });
      await store.knowledge.recordFeedback(feedback({ request_id: caseId, predicted_root_cause: 'DNSResolutionFailure', actual_root_cause: 'NetworkPolicyBlocked' }));
      const after = await store.knowledge.learning();
      expect(after.priors.get('NetworkPolicyBlocked')!).toBeGreaterThan(before.priors.get('NetworkPolicyBlocked')!);
      expect(after.priors.get('DNSResolutionFailure')!).toBeLessThan(before.priors.get('DNSResolutionFailure')!);
      // The fired evidence recorded with the case was used: the actual cause's item up, the prediction's down.
      expect(after.weights.get('NetworkPolicyBlocked.policy-blocks')).toBeCloseTo(1.1);
      expect(after.weights.get('DNSResolutionFailure.lookup-fails-log')).toBeCloseTo(0.9);

      for (let i = 0; i < 40; i++) {
        await store.knowledge.recordFeedback(feedback({ predicted_root_cause: 'HPAMaxedOut', correct: false }), { fired_evidence: ['HPAMaxedOut.at-max'] });
      }
      const flooded = await store.knowledge.learning();
      expect(flooded.weights.get('HPAMaxedOut.at-max')).toBe(0.1);
      expect(flooded.version).toBe(after.version + 40);
    }, 60_000);

    if (kind === 'postgres')
      it('serialises concurrent learners: every feedback counts, a redelivered one once', async () => {
        const before = await store.knowledge.learning();
        const distinct = Array.from({ length: 8 }, () => feedback({ predicted_root_cause: 'JobFailed', correct: true }));
        const dup = feedback({ predicted_root_cause: 'JobFailed', correct: true });
        const results = await Promise.all([...distinct, dup, dup, dup].map((f) => store.knowledge.recordFeedback(f, { fired_evidence: ['JobFailed.backoff-limit'] })));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(9);
        const after = await store.knowledge.learning();
        expect(after.version).toBe(before.version + 9);
        expect((after.state.cause_counts['JobFailed'] ?? 0) - (before.state.cause_counts['JobFailed'] ?? 0)).toBe(9);
        expect(after.weights.get('JobFailed.backoff-limit')).toBeCloseTo(Math.min(10, 1.1 ** 9));
      }, 30_000);

    it('reports accuracy, per-cause precision and recall, and calibration on recorded cases', async () => {
      const model = uid('metrics');
      const judged: [string, string, number][] = [
        ['OOMKilled', 'OOMKilled', 0.95],
        ['OOMKilled', 'OOMKilled', 0.92],
        ['OOMKilled', 'MemoryLeak', 0.91],
        ['MemoryLeak', 'MemoryLeak', 0.55],
      ];
      for (const [predicted, actual, confidence] of judged) {
        await store.knowledge.recordFeedback(
          feedback({ predicted_root_cause: predicted as FeedbackData['predicted_root_cause'], actual_root_cause: actual as FeedbackData['predicted_root_cause'] }),
          { model, confidence },
        );
      }
      await store.knowledge.recordFeedback(feedback({ predicted_root_cause: 'DiskFull' }), { model }); // unjudged
      const m = parseWith(modelMetrics, await store.knowledge.modelMetrics(model), 'model metrics');
      expect(m).toMatchObject({ model_id: model, cases: 5, judged: 4, correct: 3, accuracy: 0.75 });
      const oom = m.per_cause.find((c) => c.cause === 'OOMKilled');
      expect(oom).toMatchObject({ predicted: 3, actual: 2, true_positives: 2, recall: 1 });
      expect(oom?.precision).toBeCloseTo(2 / 3);
      expect(m.per_cause.find((c) => c.cause === 'MemoryLeak')).toMatchObject({ predicted: 1, actual: 2, true_positives: 1, precision: 1, recall: 0.5 });
      expect(m.calibration.map((b) => [b.lower, b.upper, b.count])).toEqual([
        [0.5, 0.6, 1],
        [0.9, 1, 3],
      ]);
      expect(m.calibration[0]).toMatchObject({ mean_confidence: 0.55, accuracy: 1 });
      expect(m.calibration[1]?.mean_confidence).toBeCloseTo((0.95 + 0.92 + 0.91) / 3, 10);
      expect(m.calibration[1]?.accuracy).toBeCloseTo(2 / 3, 10);
      const models = parseWith(modelList, { items: await store.knowledge.models() }, 'model list').items;
      expect(models.map((x) => x.id)).toEqual(expect.arrayContaining(['rca-rules', model]));
      expect(models.find((x) => x.id === model)).toMatchObject({ cases: 5, judged: 4, learning_version: 5 });
      expect(await rejection(store.knowledge.modelMetrics('no-such-model'))).toBeInstanceOf(NotFoundError);
    }, 30_000);

    it('rejects updates that name missing nodes or join kinds an edge type does not allow, naming the field', async () => {
      const missing = await rejection(store.knowledge.update({ edges: [{ type: 'DEPENDS_ON', from: res('svc/frontend'), to: res('svc/ghost') }] }));
      expect(missing).toBeInstanceOf(InputError);
      expect((missing as InputError).issues.map((i) => i.path)).toEqual(['edges.0.to']);
      const wrongKind = await rejection(store.knowledge.update({ edges: [{ type: 'RESOLVED_BY', from: { kind: 'cause', key: 'OOMKilled' }, to: res('Pod') }] }));
      expect((wrongKind as InputError).issues.map((i) => i.path)).toEqual(['edges.0.to.kind']);
      const badWeight = await rejection(store.knowledge.update({ edges: [{ type: 'DEPENDS_ON', from: res('Pod'), to: res('Node'), weight: 3 }] }));
      expect((badWeight as InputError).issues.map((i) => i.path)).toEqual(['edges.0.weight']);
      // Nothing of a rejected update was stored.
      expect(await store.knowledge.search('svc/ghost')).toEqual([]);
    });
  });
}
