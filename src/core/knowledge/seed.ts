/**
 * The seed graph: what Aetherius knows before any incident, built from its own catalogs — the
 * root-cause taxonomy, the remediation actions, the event-reason table and the root-cause rules.
 *
 * - event_type -CAUSED_BY-> cause: from the rules (an evidence item that tests a signal's `reason`
 *   names the event type; weight LR / (1 + LR), the posterior at even odds), and, weaker (0.1), from
 *   the reason table's category for reasons of medium severity or worse.
 * - cause -RESOLVED_BY-> solution: the rule's recommendations, weight = the recommendation's confidence.
 * - solution -APPLIES_TO-> resource kind: what each action can change.
 * - cause -AFFECTS-> resource kind: the kinds the rule blames (its `resource` roles).
 * - resource kind -DEPENDS_ON-> resource kind: the Kubernetes structure (a Pod depends on its Node).
 *
 * Every seeded node and edge carries `props.source = 'catalog'`, which is how the store tells them
 * from what operators and feedback added.
 */
import type { EventCategory } from '../../contracts/agent-messages.js';
import type { KnowledgeEdgeType, KnowledgeNodeKind, KnowledgeNodeRef } from '../../contracts/knowledge.js';
import { REMEDIATION_ACTIONS, type RemediationAction, type RemediationActionEntry } from '../../contracts/remediation-actions.js';
import { ROOT_CAUSE_TAXONOMY, type RootCauseEntry } from '../../contracts/root-cause-taxonomy.js';
import { EVENT_REASONS, type ReasonEntry } from '../classify/event-reasons.js';

export interface GraphNode {
  kind: KnowledgeNodeKind;
  key: string;
  props: Record<string, unknown>;
}

export interface GraphEdge {
  type: KnowledgeEdgeType;
  from: KnowledgeNodeRef;
  to: KnowledgeNodeRef;
  /** Strength in [0, 1]. */
  weight: number;
  props: Record<string, unknown>;
}

export interface KnowledgeGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The parts of a root-cause rule (src/core/rca/rule-schema.ts) the seed reads. */
export interface SeedRule {
  cause: string;
  prior: number;
  resource: readonly string[];
  evidence: readonly { id: string; signal: string; when?: Readonly<Record<string, unknown>>; likelihood_ratio: number; absent?: boolean }[];
  recommendations: readonly { action: string; confidence: number }[];
}

export interface SeedInput {
  rules?: readonly SeedRule[];
  taxonomy?: readonly RootCauseEntry[];
  actions?: readonly RemediationActionEntry[];
  reasons?: readonly ReasonEntry[];
}

export const CATALOG_SOURCE = 'catalog';
/** Weight of an event type → cause edge known only from their shared category. */
export const CATEGORY_EDGE_WEIGHT = 0.1;

/** The Kubernetes kinds each rule role names. */
export const ROLE_KINDS: Readonly<Record<string, readonly string[]>> = {
  workload: ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'],
  pod: ['Pod'],
  node: ['Node'],
  service: ['Service'],
  pvc: ['PersistentVolumeClaim'],
  quota: ['ResourceQuota'],
  hpa: ['HorizontalPodAutoscaler'],
  policy: ['NetworkPolicy'],
  dependency: ['Service'],
  dependency_service: ['Service'],
  dns: ['Service'],
  configmap: ['ConfigMap'],
  secret: ['Secret'],
};

/** The resource kinds each action changes; NotifyOwner changes nothing. */
export const ACTION_KINDS: Readonly<Record<RemediationAction, readonly string[]>> = {
  RestartPod: ['Deployment', 'StatefulSet', 'DaemonSet', 'Pod'],
  DeletePod: ['Pod'],
  ScaleDeployment: ['Deployment', 'StatefulSet'],
  UpdateResourceLimits: ['Deployment', 'StatefulSet', 'DaemonSet'],
  ApplyConfigPatch: ['ConfigMap', 'Deployment', 'StatefulSet', 'DaemonSet', 'Service'],
  RollbackDeployment: ['Deployment'],
  CordonNode: ['Node'],
  DrainNode: ['Node'],
  ExpandPVC: ['PersistentVolumeClaim'],
  NotifyOwner: [],
};

/** `[dependent, dependency]`: when the dependency fails, the dependent is impacted. */
export const KIND_DEPENDENCIES: readonly (readonly [string, string])[] = [
  ['Pod', 'Node'],
  ['Pod', 'ConfigMap'],
  ['Pod', 'Secret'],
  ['Pod', 'PersistentVolumeClaim'],
  ['Pod', 'ResourceQuota'],
  ['Pod', 'NetworkPolicy'],
  ['ReplicaSet', 'Pod'],
  ['Deployment', 'ReplicaSet'],
  ['StatefulSet', 'Pod'],
  ['DaemonSet', 'Pod'],
  ['Job', 'Pod'],
  ['CronJob', 'Job'],
  ['Service', 'Pod'],
  ['Ingress', 'Service'],
  ['PersistentVolumeClaim', 'PersistentVolume'],
  ['PersistentVolumeClaim', 'StorageClass'],
  ['HorizontalPodAutoscaler', 'Deployment'],
  ['HorizontalPodAutoscaler', 'StatefulSet'],
];

const SEVERE = new Set(['critical', 'high', 'medium']);

const ref = (kind: KnowledgeNodeKind, key: string): KnowledgeNodeRef => ({ kind, key });
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The string values a rule's `when` accepts for `field`: `reason: OOMKilled`, `[A, B]` or `{in: [A, B]}`. */
function acceptedValues(when: Readonly<Record<string, unknown>> | undefined, field: string): string[] {
  const c = when?.[field];
  if (typeof c === 'string') return [c];
  if (Array.isArray(c)) return c.filter((v): v is string => typeof v === 'string');
  if (typeof c === 'object' && c !== null && Array.isArray((c as { in?: unknown }).in)) return ((c as { in: unknown[] }).in).filter((v): v is string => typeof v === 'string');
  return [];
}

/** Base rates per cause from the rules, for the learning state's Dirichlet. */
export function rulePriors(rules: readonly SeedRule[]): Map<string, number> {
  return new Map(rules.map((r) => [r.cause, r.prior]));
}

/** Builds the seed graph. Deterministic: the same catalogs give the same nodes and edges in the same order. */
export function buildSeedGraph(input: SeedInput = {}): KnowledgeGraph {
  const taxonomy = input.taxonomy ?? ROOT_CAUSE_TAXONOMY;
  const actions = input.actions ?? REMEDIATION_ACTIONS;
  const reasons = input.reasons ?? EVENT_REASONS;
  const rules = input.rules ?? [];
  const catalog = { source: CATALOG_SOURCE };

  const nodes = new Map<string, GraphNode>();
  const node = (kind: KnowledgeNodeKind, key: string, props: Record<string, unknown> = {}): KnowledgeNodeRef => {
    const id = `${kind}\u0000${key}`;
    const had = nodes.get(id);
    if (had) Object.assign(had.props, props);
    else nodes.set(id, { kind, key, props: { ...catalog, ...props } });
    return ref(kind, key);
  };
  const edges = new Map<string, GraphEdge>();
  /** Keeps the strongest weight of a repeated edge and merges its props. */
  const edge = (type: KnowledgeEdgeType, from: KnowledgeNodeRef, to: KnowledgeNodeRef, weight: number, props: Record<string, unknown> = {}): void => {
    const id = `${type}\u0000${from.kind}\u0000${from.key}\u0000${to.kind}\u0000${to.key}`;
    const had = edges.get(id);
    if (!had) {
      edges.set(id, { type, from, to, weight: round3(weight), props: { ...catalog, ...props } });
      return;
    }
    if (weight > had.weight) {
      had.weight = round3(weight);
      Object.assign(had.props, props);
    }
  };

  const byCategory = new Map<EventCategory, string[]>();
  const causeKeys = new Set<string>();
  for (const c of taxonomy) {
    node('cause', c.id, { category: c.category, meaning: c.meaning });
    causeKeys.add(c.id);
    const list = byCategory.get(c.category) ?? [];
    list.push(c.id);
    byCategory.set(c.category, list);
  }
  for (const a of actions) {
    const solution = node('solution', a.id, { meaning: a.meaning, writes: a.writes, risk: a.risk });
    for (const kind of ACTION_KINDS[a.id as RemediationAction] ?? []) edge('APPLIES_TO', solution, node('resource', kind, { scope: 'kind' }), 1);
  }
  for (const [dependent, dependency] of KIND_DEPENDENCIES) {
    edge('DEPENDS_ON', node('resource', dependent, { scope: 'kind' }), node('resource', dependency, { scope: 'kind' }), 1);
  }

  const ruleEdges = new Set<string>();
  for (const rule of rules) {
    const cause = node('cause', rule.cause, { prior: rule.prior });
    for (const role of rule.resource) for (const kind of ROLE_KINDS[role] ?? []) edge('AFFECTS', cause, node('resource', kind, { scope: 'kind' }), 1, { role });
    for (const e of rule.evidence) {
      if (e.absent || e.likelihood_ratio <= 1) continue;
      for (const reason of acceptedValues(e.when, 'reason')) {
        edge('CAUSED_BY', node('event_type', reason), cause, e.likelihood_ratio / (1 + e.likelihood_ratio), { via: 'rule', evidence: `${rule.cause}.${e.id}` });
        ruleEdges.add(`${reason}\u0000${rule.cause}`);
      }
    }
    for (const rec of rule.recommendations) edge('RESOLVED_BY', cause, node('solution', rec.action), rec.confidence, { via: 'rule' });
  }

  for (const r of reasons) {
    const categories = new Set<EventCategory>([r.category, ...(r.variants ?? []).flatMap((v) => (v.category ? [v.category] : []))]);
    const eventType = node('event_type', r.reason, { severity: r.severity, category: r.category, component: r.source, description: r.description });
    if (!SEVERE.has(r.severity)) continue;
    for (const category of categories) {
      for (const cause of byCategory.get(category) ?? []) {
        if (!ruleEdges.has(`${r.reason}\u0000${cause}`) && causeKeys.has(cause)) edge('CAUSED_BY', eventType, ref('cause', cause), CATEGORY_EDGE_WEIGHT, { via: 'category', category });
      }
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
