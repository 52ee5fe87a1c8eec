import { describe, expect, it } from 'vitest';
import { knowledgeQuery, knowledgeSearchQuery, knowledgeUpdate } from './knowledge.js';
import { parseWith } from './validate.js';
import { InputError } from './errors.js';

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('knowledge API bodies', () => {
  it('reads search parameters as a query string gives them', () => {
    expect(parseWith(knowledgeSearchQuery, { q: ' oom ', kinds: 'cause, solution', limit: '5' }, 'query')).toEqual({ q: 'oom', kinds: ['cause', 'solution'], limit: 5 });
    expect(parseWith(knowledgeSearchQuery, { q: 'x' }, 'query').limit).toBe(20);
    expect(issues(() => parseWith(knowledgeSearchQuery, { q: '', kinds: 'cause,pod', limit: '500' }, 'query'))).toEqual([
      'q: must not be empty',
      'kinds.1: must be one of event_type, cause, solution, resource, case',
      'limit: must be at most 100',
    ]);
  });

  it('tells query types apart by `type` and fills defaults', () => {
    expect(parseWith(knowledgeQuery, { type: 'impact_radius', from: { kind: 'resource', key: 'Node' } }, 'body')).toEqual({ type: 'impact_radius', from: { kind: 'resource', key: 'Node' }, max_depth: 3, limit: 100 });
    expect(parseWith(knowledgeQuery, { type: 'similar_cases', fingerprint: ['family:node'] }, 'body')).toMatchObject({ limit: 5, min_similarity: 0 });
    expect(issues(() => parseWith(knowledgeQuery, { type: 'shortest_path' }, 'body'))).toEqual(['type: must be impact_radius, solutions or similar_cases']);
    expect(issues(() => parseWith(knowledgeQuery, { type: 'solutions', cause: 'OOMKilled', extra: 1 }, 'body'))[0]).toMatch(/extra/);
  });

  it('refuses edges between kinds their type does not join, self loops and empty updates', () => {
    const edge = (over: object) => ({ edges: [{ type: 'APPLIES_TO', from: { kind: 'solution', key: 'DrainNode' }, to: { kind: 'resource', key: 'Node' }, ...over }] });
    expect(parseWith(knowledgeUpdate, edge({}), 'body').edges[0]).toMatchObject({ weight: 1, props: {} });
    expect(issues(() => parseWith(knowledgeUpdate, edge({ from: { kind: 'cause', key: 'NodeNotReady' } }), 'body'))).toEqual(['edges.0.from.kind: a APPLIES_TO edge starts at a solution node, not a cause']);
    expect(issues(() => parseWith(knowledgeUpdate, edge({ type: 'SIMILAR_TO', to: { kind: 'resource', key: 'Node' } }), 'body'))[0]).toMatch(/^edges\.0\.to\.kind: .*same kind/);
    expect(issues(() => parseWith(knowledgeUpdate, edge({ type: 'DEPENDS_ON', from: { kind: 'resource', key: 'Node' } }), 'body'))).toEqual(['edges.0.to: must differ from from: an edge never loops to its own node']);
    expect(issues(() => parseWith(knowledgeUpdate, {}, 'body'))).toEqual(['nodes: nodes or edges must name at least one item']);
    expect(issues(() => parseWith(knowledgeUpdate, { nodes: [{ kind: 'case', key: 'c', props: { blob: 'x'.repeat(20_000) } }] }, 'body'))[0]).toMatch(/^nodes\.0\.props: must be at most/);
  });
});
