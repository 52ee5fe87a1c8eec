import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EDGE_ENDPOINTS, edgeEndpointProblem, knowledgeEdgeInput } from '../../contracts/knowledge.js';
import { REMEDIATION_ACTIONS } from '../../contracts/remediation-actions.js';
import { ROOT_CAUSE_TAXONOMY } from '../../contracts/root-cause-taxonomy.js';
import { EVENT_REASONS } from '../classify/event-reasons.js';
import { parseRules } from '../rca/rules.js';
import { buildSeedGraph, rulePriors } from './seed.js';

const RULES_DIR = new URL('../../../rules/', import.meta.url);
const rules = parseRules(readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => ({ path: `rules/${f}`, text: readFileSync(new URL(f, RULES_DIR), 'utf8') })));
const graph = buildSeedGraph({ rules: rules.rules });
const key = (kind: string, k: string) => `${kind}:${k}`;
const edgesOf = (type: string, fromKey: string) => graph.edges.filter((e) => e.type === type && e.from.key === fromKey);

describe('seed graph', () => {
  it('has a node for every cause, action and reason in the catalogs, each once', () => {
    const keys = graph.nodes.map((n) => key(n.kind, n.key));
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of ROOT_CAUSE_TAXONOMY) expect(keys).toContain(key('cause', c.id));
    for (const a of REMEDIATION_ACTIONS) expect(keys).toContain(key('solution', a.id));
    for (const r of EVENT_REASONS) expect(keys).toContain(key('event_type', r.reason));
    expect(graph.nodes.every((n) => n.props['source'] === 'catalog')).toBe(true);
  });

  it('links an event type to the causes whose rules test its reason, strongest by likelihood ratio', () => {
    const oom = edgesOf('CAUSED_BY', 'OOMKilled').find((e) => e.to.key === 'OOMKilled');
    expect(oom?.weight).toBeGreaterThan(0.9);
    expect(oom?.props['via']).toBe('rule');
    // A category-only link is weaker than any rule link.
    const crash = edgesOf('CAUSED_BY', 'BackOff');
    expect(crash.length).toBeGreaterThan(0);
    expect(crash.filter((e) => e.props['via'] === 'category').every((e) => e.weight === 0.1)).toBe(true);
  });

  it('resolves each cause with its rule’s recommendations at their confidence', () => {
    for (const rule of rules.rules) {
      const resolved = new Map(edgesOf('RESOLVED_BY', rule.cause).map((e) => [e.to.key, e.weight]));
      for (const rec of rule.recommendations) expect(resolved.get(rec.action), `${rule.cause} → ${rec.action}`).toBeGreaterThanOrEqual(rec.confidence);
    }
    expect(new Map(edgesOf('RESOLVED_BY', 'OOMKilled').map((e) => [e.to.key, e.weight])).get('UpdateResourceLimits')).toBe(0.9);
  });

  it('only joins node kinds its edge type allows, with weights in [0, 1], every edge once', () => {
    const ids = graph.edges.map((e) => `${e.type} ${e.from.kind}:${e.from.key} ${e.to.kind}:${e.to.key}`);
    expect(new Set(ids).size).toBe(ids.length);
    const nodes = new Set(graph.nodes.map((n) => key(n.kind, n.key)));
    for (const e of graph.edges) {
      expect(edgeEndpointProblem(e.type, e.from.kind, e.to.kind), `${e.type} ${e.from.key} → ${e.to.key}`).toBeUndefined();
      expect(nodes.has(key(e.from.kind, e.from.key)) && nodes.has(key(e.to.kind, e.to.key))).toBe(true);
      expect(e.weight).toBeGreaterThanOrEqual(0);
      expect(e.weight).toBeLessThanOrEqual(1);
      expect(knowledgeEdgeInput.safeParse(e).success).toBe(true);
    }
    for (const type of Object.keys(EDGE_ENDPOINTS)) if (type !== 'SIMILAR_TO') expect(graph.edges.some((e) => e.type === type), type).toBe(true);
  });

  it('knows what a node failure reaches through DEPENDS_ON, and where node actions apply', () => {
    const dependents = (k: string) => graph.edges.filter((e) => e.type === 'DEPENDS_ON' && e.to.key === k).map((e) => e.from.key);
    expect(dependents('Node')).toEqual(['Pod']);
    expect(dependents('Pod')).toEqual(expect.arrayContaining(['ReplicaSet', 'Service', 'StatefulSet']));
    expect(edgesOf('APPLIES_TO', 'DrainNode').map((e) => e.to.key)).toEqual(['Node']);
    expect(edgesOf('AFFECTS', 'NodeNotReady').map((e) => e.to.key)).toContain('Node');
  });

  it('is deterministic, and carries the rule priors', () => {
    expect(buildSeedGraph({ rules: rules.rules })).toEqual(graph);
    expect(graph.nodes.find((n) => n.kind === 'cause' && n.key === 'OOMKilled')?.props['prior']).toBe(rules.byCause.get('OOMKilled')?.prior);
    expect(rulePriors(rules.rules).size).toBe(rules.rules.length);
  });
});
