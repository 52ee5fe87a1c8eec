/**
 * The root-cause engine: signals (signals.ts) × rules (rules/*.yaml) → ranked hypotheses
 * (cause, resource) with calibrated confidences, evidence sentences, the impacted resources and
 * recommendations. Deterministic and pure.
 *
 * Scoring (docs/rules.md): a hypothesis starts at the log-odds of its cause's prior and adds, for each
 * evidence item of the rule that a signal about the hypothesis's resource matches, ln(likelihood
 * ratio × weight). Weights come from feedback, clamped to [0.1, 10], so no amount of feedback can
 * silence or force a rule. Confidences are a softmax over the hypotheses' log-odds next to a "no
 * fault" outcome of log-odds 0: one hypothesis with odds o gets o / (1 + o), its posterior; several
 * share the mass in proportion to their odds. With a focus, hypotheses unrelated to it are
 * discounted by FOCUS_PENALTY.
 */
import { remediationActionEntry } from '../../contracts/remediation-actions.js';
import { DEFAULT_MIN_CONFIDENCE, type Recommendation, type RootCauseCandidate, type RootCauseFinding } from '../../contracts/ai-messages.js';
import type { RootCauseType } from '../../contracts/root-cause-taxonomy.js';
import type { EvidenceRule, Rule } from './rule-schema.js';
import { matchesWhen, type CompiledRuleSet } from './rules.js';
import { extractSignals } from './signals.js';
import type { ClusterSnapshot } from './snapshot.js';
import { renderTemplate } from './template.js';
import { buildTopology, type Topology } from './topology.js';
import { refKey, refText, sameRef, type FieldValue, type ResourceRef, type Role, type Signal } from './types.js';

/** The wire's default `min_confidence`: one number for the engine and its callers. */
export { DEFAULT_MIN_CONFIDENCE };
/** Below this a hypothesis is noise: not even a candidate. */
export const CANDIDATE_FLOOR = 0.01;
export const MIN_WEIGHT = 0.1;
export const MAX_WEIGHT = 10;
/** Odds multiplier of a hypothesis unrelated to the focus. */
export const FOCUS_PENALTY = 0.05;
const MAX_EVIDENCE = 12;
const MAX_CANDIDATES = 10;
const MAX_RECOMMENDATIONS = 8;

export interface Focus {
  kind: string;
  name: string;
  namespace?: string;
}

export interface AnalyzeOptions {
  rules: CompiledRuleSet;
  /** Per cause, replaces the rule's prior (the knowledge graph's base rates). Clamped to [1e-4, 0.9]. */
  priors?: ReadonlyMap<string, number>;
  /** Per `<cause>.<evidence id>`, multiplies the likelihood ratio; clamped to [0.1, 10]. */
  weights?: ReadonlyMap<string, number>;
  /** A root cause below this is reported as inconclusive. Default 0.7, the wire's default. */
  minConfidence?: number;
  clusterId?: string;
}

export interface EvidenceScore {
  id: string;
  signal: string;
  likelihood_ratio: number;
  weight: number;
  /** ln(likelihood_ratio × weight), what the item added to the log-odds. */
  contribution: number;
  says: string;
  present: boolean;
}

export interface HypothesisScore {
  type: RootCauseType;
  resource: ResourceRef;
  confidence: number;
  log_odds: number;
  prior: number;
  related_to_focus: boolean;
  evidence: EvidenceScore[];
  impacted: ResourceRef[];
}

export type AnalysisStatus = 'completed' | 'inconclusive' | 'no_fault';

/** The reply's analysis part (`completed` reply of src/contracts/ai-messages.ts), plus what a person debugging needs. */
export interface AnalysisResult {
  /** `completed`: a root cause at or above min confidence; `inconclusive`: the best guess is below it; `no_fault`: nothing stands out. */
  status: AnalysisStatus;
  root_cause?: RootCauseFinding;
  candidates: RootCauseCandidate[];
  recommendations: Recommendation[];
  /** The downstream symptoms of the root cause: workloads that fail because of it. */
  impacted: ResourceRef[];
  /** Every hypothesis above the floor, best first, with its score breakdown. */
  hypotheses: HypothesisScore[];
  signal_count: number;
}

interface Hypothesis {
  rule: Rule;
  resource: ResourceRef;
  /** Per evidence index, the matching signals. */
  matches: Signal[][];
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function rolesOf(rule: Rule, e: EvidenceRule): readonly Role[] {
  return e.about ?? rule.resource;
}

function isAbout(signal: Signal, roles: readonly Role[], resource: ResourceRef): boolean {
  for (const role of roles) for (const r of signal.refs[role] ?? []) if (sameRef(r, resource)) return true;
  return false;
}

/** Strongest first: more occurrences, more pods, more recent. */
function signalStrength(s: Signal): number {
  return Number(s.fields['count'] ?? 0) + 10 * Number(s.fields['pods'] ?? 0) + Number(s.fields['restarts'] ?? 0);
}

function resourceFields(r: ResourceRef): Record<string, FieldValue> {
  return { resource: refText(r), kind: r.kind, kind_lower: r.kind.toLowerCase(), name: r.name, namespace: r.namespace ?? '' };
}

/** The resources around a focus: its workload, that workload's dependencies, node, claims, HPA, Services. */
function relatedTo(topo: Topology, focus: Focus): Set<string> {
  const out = new Set<string>();
  const add = (r: ResourceRef): void => {
    out.add(refKey(r));
  };
  const focusRef: ResourceRef = { kind: focus.kind, name: focus.name, ...(focus.namespace ? { namespace: focus.namespace } : {}) };
  add(focusRef);
  const obj = topo.getRef(focusRef);
  let workload = focusRef;
  if (obj && (obj.kind === 'Pod' || obj.kind === 'ReplicaSet')) workload = topo.workloadOf(obj);
  add(workload);
  const ns = focusRef.namespace ?? 'default';
  for (const p of topo.podsOf(workload)) {
    add({ kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace ?? ns });
    const node = (p['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof node === 'string') add({ kind: 'Node', name: node });
  }
  if (obj?.kind === 'Pod') {
    const node = (obj['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof node === 'string') add({ kind: 'Node', name: node });
  }
  for (const s of topo.servicesSelecting(workload)) add(s.ref);
  for (const c of topo.claimsOf(workload)) add(c);
  const hpa = topo.hpaFor(workload);
  if (hpa) add({ kind: 'HorizontalPodAutoscaler', name: hpa.metadata.name, namespace: ns });
  for (const q of topo.list('ResourceQuota')) if ((q.metadata.namespace ?? 'default') === ns) add({ kind: 'ResourceQuota', name: q.metadata.name, namespace: ns });
  const namespaces = new Set([ns]);
  for (const ref of topo.references(workload)) {
    add(ref.service.ref);
    namespaces.add(ref.service.ref.namespace ?? 'default');
    for (const b of ref.service.backends) add(b);
  }
  if (topo.dnsService) {
    add(topo.dnsService.ref);
    for (const b of topo.dnsService.backends) add(b);
  }
  // Policies that can drop its traffic: in its namespace or in a namespace it calls into.
  for (const np of topo.list('NetworkPolicy')) if (namespaces.has(np.metadata.namespace ?? 'default')) add({ kind: 'NetworkPolicy', name: np.metadata.name, namespace: np.metadata.namespace ?? 'default' });
  return out;
}

/**
 * Analyses a snapshot.
 * @param focus the incident's resource or an event's involved object: hypotheses about it, its
 *   dependencies, its node, claims, HPA and quotas rank first.
 */
export function analyze(snapshot: ClusterSnapshot, focus: Focus | undefined, options: AnalyzeOptions): AnalysisResult {
  const topo = buildTopology(snapshot);
  const { signals } = extractSignals(snapshot, topo);
  const bySignal = new Map<string, Signal[]>();
  for (const s of signals) {
    let arr = bySignal.get(s.name);
    if (!arr) bySignal.set(s.name, (arr = []));
    arr.push(s);
  }
  for (const arr of bySignal.values()) arr.sort((a, b) => signalStrength(b) - signalStrength(a));

  // Hypotheses: every (cause, resource) an item able to seed points at.
  const hyps = new Map<string, Hypothesis>();
  for (const rule of options.rules.rules) {
    for (const e of rule.evidence) {
      if (e.absent || e.likelihood_ratio <= 1 || e.seed === false) continue;
      for (const s of bySignal.get(e.signal) ?? []) {
        if (!matchesWhen(s.fields, e.when)) continue;
        const role = rolesOf(rule, e).find((r) => (s.refs[r]?.length ?? 0) > 0);
        const resource = role ? s.refs[role]?.[0] : undefined;
        if (!resource) continue;
        const key = `${rule.cause}|${refKey(resource)}`;
        if (!hyps.has(key)) hyps.set(key, { rule, resource, matches: [] });
      }
    }
  }
  for (const h of hyps.values()) {
    h.matches = h.rule.evidence.map((e) => (bySignal.get(e.signal) ?? []).filter((s) => isAbout(s, rolesOf(h.rule, e), h.resource) && matchesWhen(s.fields, e.when)));
  }

  const related = focus ? relatedTo(topo, focus) : undefined;
  const dependencyErrors = bySignal.get('dependency_error') ?? [];
  // Evidence sentences are rendered only for the hypotheses kept: most hypotheses are noise.
  type Draft = EvidenceScore & { render: () => string };
  const scored: (Omit<HypothesisScore, 'evidence'> & { evidence: Draft[]; fields: Record<string, FieldValue>; rule: Rule })[] = [];
  for (const h of hyps.values()) {
    const prior = clamp(options.priors?.get(h.rule.cause) ?? h.rule.prior, 1e-4, 0.9);
    let logOdds = logit(prior);
    const evidence: Draft[] = [];
    const fields: Record<string, FieldValue> = { ...resourceFields(h.resource), cause: h.rule.cause };
    const impacted = new Map<string, ResourceRef>();
    h.rule.evidence.forEach((e, i) => {
      const matches = h.matches[i] ?? [];
      const present = matches.length > 0;
      if (present === Boolean(e.absent)) return;
      const weight = clamp(options.weights?.get(`${h.rule.cause}.${e.id}`) ?? 1, MIN_WEIGHT, MAX_WEIGHT);
      const contribution = Math.log(e.likelihood_ratio * weight);
      logOdds += contribution;
      const best = matches[0];
      const render = (): string => renderTemplate(e.says, best ? { ...resourceFields(h.resource), ...best.fields, subject: refText(best.subject) } : resourceFields(h.resource));
      evidence.push({ id: e.id, signal: e.signal, likelihood_ratio: e.likelihood_ratio, weight, contribution, says: '', present, render });
      if (best && e.likelihood_ratio > 1) {
        for (const [k, v] of Object.entries(best.fields)) if (!(k in fields)) fields[k] = v;
        for (const m of matches) for (const w of m.refs.workload ?? []) if (!sameRef(w, h.resource)) impacted.set(refKey(w), w);
      }
    });
    // Downstream of downstream: clients of an impacted workload fail too (a node → its database → the database's clients).
    let frontier: ResourceRef[] = [h.resource, ...impacted.values()];
    for (let depth = 0; depth < 3 && frontier.length; depth++) {
      const next: ResourceRef[] = [];
      for (const d of dependencyErrors) {
        if (!frontier.some((f) => (d.refs.dependency ?? []).some((x) => sameRef(x, f)))) continue;
        for (const w of d.refs.workload ?? []) {
          if (sameRef(w, h.resource) || impacted.has(refKey(w))) continue;
          impacted.set(refKey(w), w);
          next.push(w);
        }
      }
      frontier = next;
    }
    let isRelated = true;
    if (related) {
      isRelated = related.has(refKey(h.resource)) || [...impacted.keys()].some((k) => related.has(k));
      if (!isRelated) logOdds += Math.log(FOCUS_PENALTY);
    }
    evidence.sort((a, b) => b.contribution - a.contribution);
    scored.push({ type: h.rule.cause, resource: h.resource, confidence: 0, log_odds: logOdds, prior, related_to_focus: isRelated, evidence, impacted: [...impacted.values()], fields, rule: h.rule });
  }

  // Softmax next to "no fault" (log-odds 0); shifted by the maximum for numerical safety.
  const maxLo = Math.max(0, ...scored.map((s) => s.log_odds));
  const denom = Math.exp(-maxLo) + scored.reduce((acc, s) => acc + Math.exp(s.log_odds - maxLo), 0);
  for (const s of scored) s.confidence = Math.exp(s.log_odds - maxLo) / denom;
  scored.sort((a, b) => b.confidence - a.confidence || a.type.localeCompare(b.type) || refKey(a.resource).localeCompare(refKey(b.resource)));
  const kept = scored.filter((s) => s.confidence >= CANDIDATE_FLOOR);
  for (const s of kept) for (const e of s.evidence) e.says = e.render();

  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const top = kept[0];
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const candidates: RootCauseCandidate[] = [];
  const seenType = new Set<string>();
  for (const s of kept) {
    if (seenType.has(s.type)) continue;
    seenType.add(s.type);
    candidates.push({ type: s.type, confidence: round(s.confidence) });
    if (candidates.length >= MAX_CANDIDATES) break;
  }

  const recommendations: Recommendation[] = [];
  const seenAction = new Set<string>();
  for (const s of kept.slice(0, 3)) {
    for (const rec of s.rule.recommendations) {
      if (!matchesWhen(s.fields, rec.when)) continue;
      const key = `${rec.action}|${refKey(s.resource)}`;
      if (seenAction.has(key)) continue;
      seenAction.add(key);
      recommendations.push({
        action: rec.action,
        confidence: round(rec.confidence * s.confidence),
        risk: rec.risk ?? remediationActionEntry(rec.action)?.risk ?? 'medium',
        ...(rec.impact ? { impact: renderTemplate(rec.impact, s.fields) } : {}),
        steps: rec.steps.map((t) => renderTemplate(t, s.fields)),
        rollback: rec.rollback.map((t) => renderTemplate(t, s.fields)),
      });
    }
  }
  recommendations.sort((a, b) => b.confidence - a.confidence);
  recommendations.splice(MAX_RECOMMENDATIONS);

  const clusterId = options.clusterId ?? snapshot.clusterId;
  const hypotheses: HypothesisScore[] = kept.map(({ fields: _f, rule: _r, evidence, ...rest }) => ({
    ...rest,
    confidence: round(rest.confidence),
    log_odds: Math.round(rest.log_odds * 1000) / 1000,
    evidence: evidence.map(({ render: _render, ...e }) => e),
  }));
  const result: AnalysisResult = {
    status: !top ? 'no_fault' : top.confidence >= minConfidence ? 'completed' : 'inconclusive',
    candidates,
    recommendations,
    impacted: top?.impacted ?? [],
    hypotheses,
    signal_count: signals.length,
  };
  if (top) {
    result.root_cause = {
      type: top.type,
      confidence: round(top.confidence),
      evidence: top.evidence.filter((e) => e.present && e.likelihood_ratio > 1).slice(0, MAX_EVIDENCE).map((e) => e.says),
      resource: { kind: top.resource.kind, name: top.resource.name, ...(top.resource.namespace ? { namespace: top.resource.namespace } : {}), ...(clusterId ? { cluster_id: clusterId } : {}) },
    };
  }
  return result;
}

/** A bound analyzer for one rule set. */
export function createAnalyzer(rules: CompiledRuleSet): (snapshot: ClusterSnapshot, focus?: Focus, options?: Omit<AnalyzeOptions, 'rules'>) => AnalysisResult {
  return (snapshot, focus, options = {}) => analyze(snapshot, focus, { ...options, rules });
}
