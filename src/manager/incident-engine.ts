/**
 * The incident engine: feeds newly stored events to the correlator (src/core/incidents), stores what it
 * decides, and announces it — `internal.incident.changed` for every change, `internal.event.critical`
 * (with `suggested_workflow`) when an incident opens at, or escalates to, P0 or P1. It also opens an
 * `agent_offline` incident when an agent stops heartbeating and resolves it when the agent returns.
 *
 * Actions are applied one at a time, in order. A store failure loses nothing the correlator knows: every
 * draft carries the incident's whole state, and an update that finds no open row opens it instead.
 */
import {
  INTERNAL_SUBJECTS,
  SCHEMA_VERSION,
  errorMessage,
  incidentChange,
  type AgentEvent,
  type CriticalEvent,
  type Incident,
  type IncidentChange,
  type IncidentSeverity,
  type TimelineEntry,
} from '../contracts/index.js';
import { Correlator, describe, toSignal, type CorrelatorAction, type IncidentDraft as CoreDraft, type IncidentRules, type Signal } from '../core/incidents/index.js';
import type { Bus, Subscription } from '../adapters/bus/index.js';
import type { AgentRecord, IncidentDraft, Store } from '../adapters/store/index.js';
import type { Logger, Metrics } from '../adapters/telemetry/index.js';

export interface IncidentEngineOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  rules?: Partial<IncidentRules>;
  /** How often open incidents are re-evaluated (group wait, resolution, coalesced updates). Default 1 s. */
  tickMs?: number;
  /** Open incidents no replica has touched for this long are resolved as stale. Default 1 h. */
  staleAfterMs?: number;
}

/** Queued write batches beyond which the ingest hook waits for the store. */
const MAX_QUEUED_WRITES = 64;

const URGENT: ReadonlySet<IncidentSeverity> = new Set(['P0', 'P1']);
const RANK: Record<IncidentSeverity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

function signalEntry(s: Signal): TimelineEntry {
  return {
    at: new Date(s.at).toISOString(),
    type: 'signal',
    summary: `${s.reason} on ${describe(s.object)}: ${s.message}`.slice(0, 2048),
    data: { event_id: s.eventId, reason: s.reason, severity: s.severity, resource: s.object, count: s.count },
  };
}

function toStoreDraft(d: CoreDraft): IncidentDraft {
  const { worst: _worst, ...rest } = d;
  return rest;
}

/** The architecture's critical event carries an event category; control-plane categories map onto one. */
function eventCategoryOf(c: Incident['category']): CriticalEvent['category'] {
  if (c === 'dependency') return 'network';
  if (c === 'agent_offline') return 'node';
  if (c === 'anomaly' || c === 'slo') return 'pod_failure';
  return c;
}

export class IncidentEngine {
  readonly correlator: Correlator;
  readonly #o: IncidentEngineOptions;
  readonly #log: Logger;
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #sweeps = 0;
  #depth = 0;
  #resolutions: Subscription | undefined;

  constructor(o: IncidentEngineOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'incidents' });
    this.correlator = new Correlator(o.rules);
  }

  start(): void {
    // A person resolved an incident (in any API process): forget its groups, so a fault that goes on
    // opens a new incident instead of updating the resolved one.
    this.#resolutions = this.#o.bus.subscribe(INTERNAL_SUBJECTS.incidentChanged, (m) => {
      const change = incidentChange.safeParse(m.json());
      if (!change.success || change.data.change !== 'resolved' || change.data.incident.resolution?.by === 'auto') return;
      const { id } = change.data.incident;
      void this.#serial(async () => {
        const key = await this.#o.store.incidents.keyOf(id);
        if (key) this.correlator.forget(key.cluster_id, key.key);
      });
    });
    this.#timer = setInterval(() => {
      void this.tick();
      if (++this.#sweeps % 60 === 0) void this.#serial(() => this.#resolveStale());
    }, this.#o.tickMs ?? 1000);
    this.#timer.unref();
  }

  /** Stops the timer and waits for queued work. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#resolutions?.unsubscribe();
    await this.#queue;
  }

  /**
   * The batcher's hook: events just stored (each event id reaches exactly one replica once). Correlation
   * runs now, in memory; the writes it implies are queued in order, and the hook waits for them only when
   * the queue is long (back-pressure on ingestion instead of unbounded memory).
   */
  onStored = async (events: readonly AgentEvent[]): Promise<void> => {
    const actions = this.correlator.ingest(events.map(toSignal));
    if (!actions.length) return;
    const done = this.#serial(() => this.#apply(actions));
    if (this.#depth > MAX_QUEUED_WRITES) await done;
  };

  tick(): Promise<void> {
    let actions: CorrelatorAction[];
    try {
      actions = this.correlator.tick();
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'incident tick failed');
      return this.#queue;
    }
    return actions.length ? this.#serial(() => this.#apply(actions)) : this.#queue;
  }

  /** For a cluster whose clock is virtual (the simulator): its clock now reads `at`. */
  advance(clusterId: string, at: number): Promise<void> {
    const actions = this.correlator.advance(clusterId, at);
    return this.#serial(() => this.#apply(actions));
  }

  /** An agent missed its heartbeats: one `agent_offline` incident per agent. */
  agentOffline = (agent: AgentRecord): Promise<void> =>
    this.#serial(async () => {
      const now = new Date().toISOString();
      const resource = { kind: 'Agent', name: agent.agent_id };
      const draft: IncidentDraft = {
        cluster_id: agent.cluster_id,
        key: `Agent/${agent.agent_id}`,
        resource,
        affected: [resource],
        blast_radius: { pods: 0, workloads: 0, nodes: 0, namespaces: [] },
        signal_count: 1,
        reasons: ['AgentOffline'],
        first_seen: agent.last_heartbeat_at ?? agent.registered_at,
        last_seen: now,
        severity: 'P1',
        category: 'agent_offline',
        title: `Agent ${agent.agent_id} of cluster ${agent.cluster_id} is offline: the cluster is not being watched`,
        suggested_workflow: 'diagnose_agent',
      };
      const entry: TimelineEntry = { at: now, type: 'signal', summary: `agent ${agent.agent_id} missed its heartbeats (last ${agent.last_heartbeat_at ?? 'never'})`, data: { agent_id: agent.agent_id } };
      const { incident, created } = await this.#o.store.incidents.open(draft, [entry]);
      await this.#announce(created ? 'opened' : 'updated', incident, undefined);
    });

  agentOnline = (agent: AgentRecord): Promise<void> =>
    this.#serial(async () => {
      const incident = await this.#o.store.incidents.resolveByKey(agent.cluster_id, `Agent/${agent.agent_id}`, { by: 'auto', reason: 'the agent is heartbeating again' }, new Date());
      if (incident) await this.#announce('resolved', incident, undefined);
    });

  #serial(fn: () => Promise<void>): Promise<void> {
    this.#depth++;
    const run = this.#queue.then(fn).finally(() => this.#depth--).catch((err: unknown) => {
      this.#o.metrics.rejectedMessages.inc({ subject: INTERNAL_SUBJECTS.incidentChanged, reason: 'incident_store_failed' });
      this.#log.error({ err: errorMessage(err) }, 'incident change not applied');
    });
    this.#queue = run;
    return run;
  }

  async #apply(actions: readonly CorrelatorAction[]): Promise<void> {
    // One failed write must not drop the others: each action stands alone (the next draft repairs it).
    for (const a of actions) {
      try {
        await this.#applyOne(a);
      } catch (err) {
        this.#o.metrics.rejectedMessages.inc({ subject: INTERNAL_SUBJECTS.incidentChanged, reason: 'incident_store_failed' });
        this.#log.error({ err: errorMessage(err), action: a.type, key: a.type === 'resolve' ? a.key : a.draft.key }, 'incident change not applied');
      }
    }
  }

  async #applyOne(a: CorrelatorAction): Promise<void> {
    if (a.type === 'resolve') {
      // Another replica may have seen newer signals of this incident: resolve only if nobody has.
      const quietSince = a.merged_into ? undefined : new Date(a.at - (this.correlator.rules.resolveAfterMs - 1000));
      const incident = await this.#o.store.incidents.resolveByKey(a.cluster_id, a.key, { by: 'auto', reason: a.reason }, new Date(), quietSince);
      if (incident) {
        this.#log.info({ incidentId: incident.id, clusterId: a.cluster_id, reason: a.reason }, 'incident resolved');
        await this.#announce('resolved', incident, undefined);
      }
      return;
    }
    const draft = toStoreDraft(a.draft);
    const timeline = a.signals.map(signalEntry);
    if (a.type === 'open') {
      const { incident, created } = await this.#o.store.incidents.open(draft, timeline);
      if (created) this.#log.info({ incidentId: incident.id, clusterId: incident.cluster_id, severity: incident.severity, resource: draft.resource }, 'incident opened');
      await this.#announce(created ? 'opened' : 'updated', incident, created ? undefined : 'P3', a.signals);
      return;
    }
    let incident = await this.#o.store.incidents.update(draft, timeline);
    if (!incident) {
      // Its open failed earlier, or a person resolved it while the fault went on: it opens (again).
      const reopened = await this.#o.store.incidents.open(draft, timeline);
      if (reopened.created) {
        await this.#announce('opened', reopened.incident, undefined, a.signals);
        return;
      }
      incident = reopened.incident;
    }
    if (a.rerooted) {
      await this.#o.store.incidents.appendTimeline(incident.id, [
        { at: draft.last_seen, type: 'diagnosis', summary: `correlated: the root is now ${describe(draft.resource)}`, data: { resource: draft.resource } },
      ]);
    }
    await this.#announce('updated', incident, a.previous_severity, a.signals);
  }

  async #announce(change: IncidentChange['change'], incident: Incident, previous: IncidentSeverity | undefined, signals: readonly Signal[] = []): Promise<void> {
    const message: IncidentChange = { schema_version: SCHEMA_VERSION, change, incident };
    await this.#o.bus.publish(INTERNAL_SUBJECTS.incidentChanged, message);
    const escalated = change === 'opened' || (previous !== undefined && RANK[incident.severity] < RANK[previous]);
    if (change !== 'resolved' && escalated && URGENT.has(incident.severity)) await this.#critical(incident, signals);
  }

  async #critical(incident: Incident, signals: readonly Signal[]): Promise<void> {
    const trigger = [...signals].sort((a, b) => (b.severity === 'critical' ? 1 : 0) - (a.severity === 'critical' ? 1 : 0))[0];
    const event: CriticalEvent = {
      schema_version: SCHEMA_VERSION,
      event_id: trigger?.eventId ?? `incident-${incident.id}`,
      cluster_id: incident.cluster_id,
      timestamp: new Date().toISOString(),
      severity: 'critical',
      category: eventCategoryOf(incident.category),
      resource: incident.resource,
      details: { incident_severity: incident.severity, title: incident.title, reasons: incident.reasons, affected: incident.affected.slice(0, 20), blast_radius: incident.blast_radius },
      incident_id: incident.id,
    };
    if (trigger) event.reason = trigger.reason;
    if (incident.suggested_workflow) event.suggested_workflow = incident.suggested_workflow;
    await this.#o.bus.publish(INTERNAL_SUBJECTS.eventCritical, event, { msgId: `critical-${incident.id}-${incident.severity}` });
  }

  async #resolveStale(): Promise<void> {
    const staleAfter = this.#o.staleAfterMs ?? 3_600_000;
    const stale = await this.#o.store.incidents.listStale(new Date(Date.now() - staleAfter));
    for (const inc of stale) {
      if (inc.category === 'agent_offline') continue;
      const key = await this.#o.store.incidents.keyOf(inc.id);
      if (!key || this.correlator.tracks(key.cluster_id, key.key)) continue;
      const resolved = await this.#o.store.incidents.resolveByKey(key.cluster_id, key.key, { by: 'auto', reason: `no replica has seen a signal for it in ${Math.round(staleAfter / 60_000)} minutes` }, new Date());
      if (resolved) await this.#announce('resolved', resolved, undefined);
    }
  }
}
