/**
 * The correlator turns a stream of signals into incidents. Pure and synchronous: it keeps per-cluster
 * state in memory and returns what should happen (open, update, resolve); the manager's incident engine
 * stores and announces it. Time is event time (the cluster's clock as the signals carry it), advanced by
 * the caller between signals, so a replay or a simulated cluster behaves exactly like a live one.
 *
 * Signals group by subject (a pod's workload, a node, a quota, a Service's backend). A group that fires
 * (see `isFiring`) waits `groupWaitMs` for related groups, then opens one incident. Groups are related
 * when they fire within `correlationWindowMs` of each other in the same namespace, when one is a node and
 * the other has pods on it or fails with it, or when one is a Service with no endpoints and the other
 * fails with it anywhere in the cluster. A related set is one incident; its primary resource is the
 * group with the highest precedence (node > dependency > quota > claim > Service > HPA > workload).
 */
import type { BlastRadius, EventCategory, IncidentCategory, IncidentResource, IncidentSeverity, Severity } from '../../contracts/index.js';
import {
  DEFAULT_INCIDENT_RULES,
  SEVERITY_RANK,
  UNAVAILABLE_REASONS,
  incidentCategory,
  incidentSeverity,
  isBad,
  isFiring,
  isSupportingOnly,
  precedence,
  rankReasons,
  suggestedWorkflow,
  type GroupStats,
  type IncidentRules,
} from './rules.js';
import { resourceKey, type Signal, type SignalRole } from './signal.js';

const MAX_AFFECTED = 50;
const MAX_PODS = 1000;
const MAX_PENDING_SIGNALS = 1000;
/** How far ahead of the cluster's clock (and the wall clock) a signal may be before it counts as now. */
const MAX_CLOCK_LEAD_MS = 10 * 60_000;
/** Signals kept on one incident's timeline; later ones are counted in `signal_count` only. */
const MAX_TIMELINE_SIGNALS = 2000;
/** Wall time between two updates of one incident while signals pour in (a tick flushes the rest). */
const UPDATE_INTERVAL_MS = 1000;
const WORKLOAD = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet']);

/** What an incident looks like now; the engine stores it. */
export interface IncidentDraft {
  cluster_id: string;
  /** Stable correlation key of the incident (its first root's key), unique among open incidents of a cluster. */
  key: string;
  resource: IncidentResource;
  namespace?: string;
  affected: IncidentResource[];
  blast_radius: BlastRadius;
  signal_count: number;
  reasons: string[];
  first_seen: string;
  last_seen: string;
  severity: IncidentSeverity;
  worst: Severity;
  category: IncidentCategory;
  title: string;
  suggested_workflow?: string;
}

export type CorrelatorAction =
  | { type: 'open'; draft: IncidentDraft; signals: Signal[] }
  | { type: 'update'; draft: IncidentDraft; signals: Signal[]; rerooted: boolean; previous_severity: IncidentSeverity }
  | { type: 'resolve'; cluster_id: string; key: string; at: number; reason: string; merged_into?: string };

interface Group {
  key: string;
  subject: IncidentResource;
  role: SignalRole;
  supportingOnly: boolean;
  orphan: boolean;
  serverSide: boolean;
  stats: GroupStats;
  firingSince: number | undefined;
  lastAt: number;
  worst: Severity;
  signalCount: number;
  reasons: Map<string, number>;
  categories: Map<EventCategory, number>;
  objects: Map<string, IncidentResource>;
  pods: Set<string>;
  nodes: Set<string>;
  incident: Incident | undefined;
}

interface Incident {
  key: string;
  groups: Set<Group>;
  root: Group;
  openAt: number;
  opened: boolean;
  severity: IncidentSeverity;
  dirty: boolean;
  rerooted: boolean;
  pending: Signal[];
  /** Wall time of the last open/update emitted, to coalesce updates. */
  emittedAt: number;
  /** Signals put on the timeline so far. */
  recorded: number;
}

interface ClusterState {
  id: string;
  /** Newest event time seen, and the wall clock when it was seen. */
  watermark: number;
  wallAtWatermark: number;
  groups: Map<string, Group>;
  incidents: Set<Incident>;
}

export class Correlator {
  readonly #rules: IncidentRules;
  readonly #clusters = new Map<string, ClusterState>();

  constructor(rules: Partial<IncidentRules> = {}) {
    this.#rules = { ...DEFAULT_INCIDENT_RULES, ...rules };
  }

  get rules(): IncidentRules {
    return this.#rules;
  }

  /** Open or pending incidents per cluster (for metrics and tests). */
  openCount(clusterId?: string): number {
    let n = 0;
    for (const [id, st] of this.#clusters) if (!clusterId || id === clusterId) n += st.incidents.size;
    return n;
  }

  /** Feeds signals; returns what changed. `wallNow` is the wall clock at receipt. */
  ingest(signals: readonly Signal[], wallNow: number = Date.now()): CorrelatorAction[] {
    const touched = new Set<ClusterState>();
    for (const signal of signals) {
      const st = this.#cluster(signal.clusterId, wallNow);
      const clock = this.#now(st, wallNow);
      // A node with a skewed clock must not drag the cluster's clock into the future (which would
      // resolve everything at once): a signal far ahead of both clocks counts as "now".
      const reference = st.watermark ? Math.max(clock, wallNow) : wallNow;
      const s = !Number.isFinite(signal.at) || signal.at > reference + MAX_CLOCK_LEAD_MS ? { ...signal, at: reference } : signal;
      if (s.at > st.watermark) {
        st.watermark = s.at;
        st.wallAtWatermark = wallNow;
      }
      this.#add(st, s, this.#now(st, wallNow));
      touched.add(st);
    }
    const out: CorrelatorAction[] = [];
    for (const [id, st] of this.#clusters) if (touched.has(st)) this.#evaluate(id, st, this.#now(st, wallNow), out, wallNow);
    return out;
  }

  /**
   * Advances time: opens incidents whose group wait is over, resolves quiet ones, forgets stale groups.
   * A cluster's clock is its newest event time plus the wall time since it was seen.
   */
  tick(wallNow: number = Date.now()): CorrelatorAction[] {
    const out: CorrelatorAction[] = [];
    for (const [id, st] of this.#clusters) this.#evaluate(id, st, this.#now(st, wallNow), out, wallNow, true);
    return out;
  }

  /**
   * Tells the correlator a cluster's clock reads `at` (event time), for clusters whose clock is not the
   * wall clock (the simulator's virtual time), then evaluates that cluster.
   */
  advance(clusterId: string, at: number, wallNow: number = Date.now()): CorrelatorAction[] {
    const st = this.#cluster(clusterId, wallNow);
    if (at > st.watermark) {
      st.watermark = at;
      st.wallAtWatermark = wallNow;
    }
    const out: CorrelatorAction[] = [];
    this.#evaluate(clusterId, st, this.#now(st, wallNow), out, wallNow, true);
    return out;
  }

  /** Whether this correlator holds the incident `key` of a cluster (open or waiting to open). */
  tracks(clusterId: string, key: string): boolean {
    for (const inc of this.#clusters.get(clusterId)?.incidents ?? []) if (inc.key === key) return true;
    return false;
  }

  /**
   * Forgets an incident resolved from outside (a user): its groups start afresh, so a fault that goes on
   * opens a new incident.
   */
  forget(clusterId: string, key: string): void {
    const st = this.#clusters.get(clusterId);
    if (!st) return;
    for (const inc of st.incidents) {
      if (inc.key !== key) continue;
      st.incidents.delete(inc);
      for (const g of inc.groups) st.groups.delete(g.key);
    }
  }

  #cluster(id: string, wallNow: number): ClusterState {
    let st = this.#clusters.get(id);
    if (!st) {
      st = { id, watermark: 0, wallAtWatermark: wallNow, groups: new Map(), incidents: new Set() };
      this.#clusters.set(id, st);
    }
    return st;
  }

  #now(st: ClusterState, wallNow: number): number {
    return st.watermark + Math.max(0, wallNow - st.wallAtWatermark);
  }

  #add(st: ClusterState, s: Signal, now: number): void {
    const key = resourceKey(s.subject);
    let g = st.groups.get(key);
    if (!isBad(s)) {
      // Low signals never start a group; they only show that a known one is still alive.
      if (g) g.lastAt = Math.max(g.lastAt, s.at);
      return;
    }
    if (s.at < now - this.#rules.resolveAfterMs) {
      // Late (an agent draining its journal, a relist of old Events): history for an open incident's
      // timeline, never the start of a new one.
      if (g?.incident && g.incident.pending.length < MAX_PENDING_SIGNALS) g.incident.pending.push(s);
      return;
    }
    if (!g) {
      g = {
        key,
        subject: s.subject,
        role: s.role,
        supportingOnly: true,
        orphan: false,
        serverSide: false,
        stats: { critical: 0, high: 0, bad: 0, firstBadAt: s.at, lastBadAt: s.at, firstHighAt: NaN, lastHighAt: NaN },
        firingSince: undefined,
        lastAt: s.at,
        worst: s.severity,
        signalCount: 0,
        reasons: new Map(),
        categories: new Map(),
        objects: new Map(),
        pods: new Set(),
        nodes: new Set(),
        incident: undefined,
      };
      st.groups.set(key, g);
    }
    if (s.role !== 'object' && g.role === 'object') g.role = s.role;
    if (!isSupportingOnly(s)) g.supportingOnly = false;
    if (s.orphan) g.orphan = true;
    if (s.serverSide) g.serverSide = true;
    const stats = g.stats;
    if (s.severity === 'critical') stats.critical++;
    if (s.severity === 'high') stats.high++;
    if (SEVERITY_RANK[s.severity] >= SEVERITY_RANK.high) {
      stats.firstHighAt = Number.isNaN(stats.firstHighAt) ? s.at : Math.min(stats.firstHighAt, s.at);
      stats.lastHighAt = Number.isNaN(stats.lastHighAt) ? s.at : Math.max(stats.lastHighAt, s.at);
    }
    stats.bad++;
    stats.firstBadAt = Math.min(stats.firstBadAt, s.at);
    stats.lastBadAt = Math.max(stats.lastBadAt, s.at);
    g.lastAt = Math.max(g.lastAt, s.at);
    if (SEVERITY_RANK[s.severity] > SEVERITY_RANK[g.worst]) g.worst = s.severity;
    g.signalCount++;
    g.reasons.set(s.reason, (g.reasons.get(s.reason) ?? 0) + 1);
    if (s.category) g.categories.set(s.category, (g.categories.get(s.category) ?? 0) + 1);
    if (g.objects.size < MAX_AFFECTED) g.objects.set(resourceKey(s.object), s.object);
    if (s.object.kind === 'Pod' && g.pods.size < MAX_PODS) g.pods.add(resourceKey(s.object));
    if (s.node) g.nodes.add(s.node);
    if (g.firingSince === undefined && !g.supportingOnly && isFiring(stats, this.#rules)) g.firingSince = s.at;
    if (g.incident) {
      g.incident.dirty = true;
      if (g.incident.pending.length < MAX_PENDING_SIGNALS && g.incident.recorded++ < MAX_TIMELINE_SIGNALS) g.incident.pending.push(s);
    } else if (g.firingSince !== undefined || g.role !== 'object') {
      this.#attach(st, g, s);
    } else if (s.node) {
      // Not failing enough on its own, but on a node that is: one more symptom of the node.
      const nodeIncident = [...st.incidents].find((inc) => [...inc.groups].some((h) => h.role === 'node' && h.subject.name === s.node));
      if (nodeIncident) this.#join(nodeIncident, g, s);
    }
  }

  /** When a group starts to matter, in event time. */
  #since(g: Group): number {
    return g.firingSince ?? g.stats.firstBadAt;
  }

  #linked(a: Group, b: Group): boolean {
    const w = this.#rules.correlationWindowMs;
    const close = Math.abs(this.#since(a) - this.#since(b)) <= w;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      if (x.role === 'node' && (y.nodes.has(x.subject.name) || close)) return true;
      if (x.role === 'dependency' && x.orphan && close) return true;
    }
    return close && !!a.subject.namespace && a.subject.namespace === b.subject.namespace;
  }

  /** Puts a group that started to matter into the incident it belongs to, or a new one. */
  #attach(st: ClusterState, g: Group, s: Signal): void {
    const linked = [...st.incidents].filter((inc) => [...inc.groups].some((h) => this.#linked(h, g)));
    const firing = g.firingSince !== undefined;
    if (!linked.length) {
      // A root-capable group (node, dependency) that is not firing yet waits for something to explain.
      if (!firing) return;
      const inc: Incident = { key: g.key, groups: new Set(), root: g, openAt: this.#since(g) + this.#rules.groupWaitMs, opened: false, severity: 'P3', dirty: true, rerooted: false, pending: [], emittedAt: 0, recorded: 0 };
      st.incidents.add(inc);
      this.#join(inc, g, s);
      // Root-capable groups that were waiting and are linked to this one join it.
      for (const h of st.groups.values()) if (h !== g && !h.incident && h.role !== 'object' && this.#linked(h, g)) this.#join(inc, h);
      return;
    }
    // Oldest opened first, then oldest pending: the survivor keeps its id.
    linked.sort((a, b) => Number(b.opened) - Number(a.opened) || a.openAt - b.openAt);
    const [keep, ...rest] = linked as [Incident, ...Incident[]];
    this.#join(keep, g, s);
    for (const other of rest) this.#merge(st, keep, other);
  }

  #join(inc: Incident, g: Group, s?: Signal): void {
    g.incident = inc;
    inc.groups.add(g);
    inc.dirty = true;
    if (s && inc.pending.length < MAX_PENDING_SIGNALS) inc.pending.push(s);
    const p = (x: Group) => precedence(x.subject, x.role, x);
    if (p(g) > p(inc.root) || (p(g) === p(inc.root) && this.#since(g) < this.#since(inc.root))) {
      if (inc.root !== g) inc.rerooted = true;
      inc.root = g;
    }
  }

  #mergeActions: CorrelatorAction[] = [];

  #merge(st: ClusterState, keep: Incident, other: Incident): void {
    for (const g of other.groups) this.#join(keep, g);
    keep.pending.push(...other.pending.slice(0, Math.max(0, MAX_PENDING_SIGNALS - keep.pending.length)));
    keep.openAt = Math.min(keep.openAt, other.openAt);
    st.incidents.delete(other);
    if (other.opened) {
      this.#mergeActions.push({ type: 'resolve', cluster_id: st.id, key: other.key, at: st.watermark, reason: `merged into the incident on ${describe(keep.root.subject)}`, merged_into: keep.key });
    }
  }

  /**
   * `force`: emit every pending update (a tick); otherwise an incident's update waits until
   * `updateIntervalMs` (wall) passed since its last one, unless its severity or root changed.
   */
  #evaluate(clusterId: string, st: ClusterState, now: number, out: CorrelatorAction[], wallNow: number, force = false): void {
    out.push(...this.#mergeActions.filter((a) => a.type === 'resolve' && a.cluster_id === clusterId));
    this.#mergeActions = this.#mergeActions.filter((a) => !(a.type === 'resolve' && a.cluster_id === clusterId));
    for (const inc of [...st.incidents]) {
      // A group quiet for the resolve window leaves its incident: if it fails again it starts afresh.
      if (inc.opened && inc.groups.size > 1) this.#dropQuiet(st, inc, now);
      let lastBad = -Infinity;
      for (const g of inc.groups) if (!g.supportingOnly && g.stats.lastBadAt > lastBad) lastBad = g.stats.lastBadAt;
      if (inc.opened && now - lastBad >= this.#rules.resolveAfterMs) {
        out.push({ type: 'resolve', cluster_id: clusterId, key: inc.key, at: now, reason: `no signal of medium or higher severity for ${Math.round(this.#rules.resolveAfterMs / 1000)}s` });
        st.incidents.delete(inc);
        for (const g of inc.groups) st.groups.delete(g.key);
        continue;
      }
      if (!inc.opened && now >= inc.openAt) {
        inc.opened = true;
        const draft = this.#draft(clusterId, inc);
        inc.severity = draft.severity;
        out.push({ type: 'open', draft, signals: inc.pending });
        inc.emittedAt = wallNow;
        inc.pending = [];
        inc.dirty = false;
        inc.rerooted = false;
        continue;
      }
      if (inc.opened && inc.dirty) {
        const previous = inc.severity;
        const draft = this.#draft(clusterId, inc);
        if (!force && !inc.rerooted && draft.severity === previous && wallNow - inc.emittedAt < UPDATE_INTERVAL_MS) continue;
        inc.emittedAt = wallNow;
        inc.severity = draft.severity;
        out.push({ type: 'update', draft, signals: inc.pending, rerooted: inc.rerooted, previous_severity: previous });
        inc.pending = [];
        inc.dirty = false;
        inc.rerooted = false;
      }
    }
    // Groups that never joined an incident are forgotten once quiet, so old blips do not add up.
    for (const g of [...st.groups.values()]) {
      if (!g.incident && now - g.stats.lastBadAt > this.#rules.correlationWindowMs) st.groups.delete(g.key);
    }
    if (!st.groups.size && !st.incidents.size && now - st.watermark > this.#rules.correlationWindowMs) this.#clusters.delete(clusterId);
  }

  #dropQuiet(st: ClusterState, inc: Incident, now: number): void {
    const quiet = [...inc.groups].filter((g) => now - g.stats.lastBadAt >= this.#rules.resolveAfterMs);
    if (!quiet.length || quiet.length === inc.groups.size) return;
    for (const g of quiet) {
      inc.groups.delete(g);
      st.groups.delete(g.key);
    }
    if (!inc.groups.has(inc.root)) {
      const p = (x: Group) => precedence(x.subject, x.role, x);
      inc.root = [...inc.groups].reduce((a, b) => (p(b) > p(a) || (p(b) === p(a) && this.#since(b) < this.#since(a)) ? b : a));
      inc.rerooted = true;
    }
    inc.dirty = true;
  }

  #draft(clusterId: string, inc: Incident): IncidentDraft {
    const groups = [...inc.groups].sort((a, b) => this.#since(a) - this.#since(b));
    const root = inc.root;
    const affected = new Map<string, IncidentResource>([[resourceKey(root.subject), root.subject]]);
    for (const g of groups) affected.set(resourceKey(g.subject), g.subject);
    for (const g of groups) for (const [k, o] of g.objects) if (affected.size < MAX_AFFECTED && !affected.has(k)) affected.set(k, o);
    const reasons = new Map<string, number>();
    const rootReasons = rankReasons(root.reasons);
    const pods = new Set<string>();
    const nodes = new Set<string>();
    const namespaces = new Set<string>();
    let worst: Severity = 'low';
    let signals = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const g of groups) {
      for (const [r, n] of g.reasons) reasons.set(r, (reasons.get(r) ?? 0) + n);
      for (const p of g.pods) pods.add(p);
      for (const n of g.nodes) nodes.add(n);
      if (g.subject.namespace) namespaces.add(g.subject.namespace);
      if (SEVERITY_RANK[g.worst] > SEVERITY_RANK[worst]) worst = g.worst;
      signals += g.signalCount;
      first = Math.min(first, g.stats.firstBadAt);
      // The problem was last seen at its last bad signal (low ones only show the workload lives).
      last = Math.max(last, g.stats.lastBadAt);
    }
    const workloads = groups.filter((g) => WORKLOAD.has(g.subject.kind)).length;
    const category = incidentCategory(root.role, root.categories);
    const ranked = [...new Set([...rootReasons, ...rankReasons(reasons)])];
    const severity = incidentSeverity(worst, {
      workloads,
      namespaces: namespaces.size,
      nodeDown: reasons.has('NodeNotReady'),
      unavailable: [...reasons.keys()].some((r) => UNAVAILABLE_REASONS.has(r)),
    });
    const others = groups.length - 1;
    const title = `${rootReasons[0] ?? 'Failures'} on ${describe(root.subject)}${others > 0 ? `; ${others} related resource${others === 1 ? '' : 's'} affected` : ''}`;
    const draft: IncidentDraft = {
      cluster_id: clusterId,
      key: inc.key,
      resource: root.subject,
      affected: [...affected.values()],
      blast_radius: { pods: pods.size, workloads, nodes: nodes.size, namespaces: [...namespaces].sort() },
      signal_count: signals,
      reasons: ranked.slice(0, 20),
      first_seen: new Date(first).toISOString(),
      last_seen: new Date(last).toISOString(),
      severity,
      worst,
      category,
      title: title.slice(0, 512),
    };
    if (root.subject.namespace) draft.namespace = root.subject.namespace;
    const workflow = suggestedWorkflow(rootReasons, category);
    if (workflow) draft.suggested_workflow = workflow;
    return draft;
  }
}

export function describe(r: IncidentResource): string {
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}
