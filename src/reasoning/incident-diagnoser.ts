/**
 * Diagnoses incidents as they open and grow: on `internal.incident.changed` (opened, updated) it
 * gathers the cluster's state around the incident's resource through the command API, runs the
 * root-cause engine focused on that resource, stores the result on the incident (`root_cause`,
 * `diagnosis`, a `diagnosis` timeline entry) and announces the change. One diagnosis per incident at
 * a time; an update during one queues one more, and an incident is not diagnosed again sooner than
 * `minIntervalMs` after its last diagnosis unless its severity changed.
 */
import { INTERNAL_SUBJECTS, SCHEMA_VERSION, errorMessage, type Incident, type IncidentChange } from '../contracts/index.js';
import { sameClusterLookup, subscribeValidated, type Bus, type Subscription } from '../adapters/bus/index.js';
import type { Store } from '../adapters/store/index.js';
import type { Logger } from '../adapters/telemetry/index.js';
import type { AnalysisResult, ClusterSnapshot, Focus } from '../core/rca/index.js';
import { gatherSnapshot, type CommandRunner } from './context-gatherer.js';

export const DIAGNOSER_QUEUE = 'aetherius-reasoning-incidents';

export interface IncidentDiagnoserOptions {
  bus: Bus;
  store: Store;
  runner: CommandRunner;
  analyze: (snapshot: ClusterSnapshot, focus: Focus) => AnalysisResult;
  logger: Logger;
  /** Default 30 s. */
  minIntervalMs?: number;
  now?: () => number;
}

interface State {
  running: boolean;
  again: boolean;
  lastAt: number;
  lastSeverity: string | undefined;
}

export class IncidentDiagnoser {
  readonly #o: IncidentDiagnoserOptions;
  readonly #state = new Map<string, State>();
  readonly #inFlight = new Set<Promise<void>>();
  #subscription: Subscription | undefined;
  #stopped = false;

  constructor(options: IncidentDiagnoserOptions) {
    this.#o = options;
  }

  start(): void {
    this.#subscription = subscribeValidated<IncidentChange>(
      this.#o.bus,
      INTERNAL_SUBJECTS.incidentChanged,
      sameClusterLookup(),
      (change) => {
        // Our own announcement of a diagnosis must not start another one.
        if (change.change === 'resolved' || this.#stopped) {
          if (change.change === 'resolved') this.#state.delete(change.incident.id);
          return;
        }
        this.request(change.incident);
      },
      { queue: DIAGNOSER_QUEUE },
      { logger: this.#o.logger },
    );
  }

  /** Asks for a diagnosis of the incident (coalesced and rate-limited per incident). */
  request(incident: Incident): void {
    const now = (this.#o.now ?? Date.now)();
    let st = this.#state.get(incident.id);
    if (!st) {
      st = { running: false, again: false, lastAt: Number.NEGATIVE_INFINITY, lastSeverity: undefined };
      if (this.#state.size > 10_000) this.#state.clear();
      this.#state.set(incident.id, st);
    }
    if (st.running) {
      st.again = true;
      return;
    }
    const due = st.lastSeverity !== incident.severity || now - st.lastAt >= (this.#o.minIntervalMs ?? 30_000);
    if (!due) return;
    st.running = true;
    st.lastAt = now;
    st.lastSeverity = incident.severity;
    const run = this.#diagnose(incident)
      .catch((err: unknown) => this.#o.logger.error({ err: errorMessage(err), incidentId: incident.id }, 'incident diagnosis failed'))
      .finally(() => {
        this.#inFlight.delete(run);
        const s = this.#state.get(incident.id);
        if (!s) return;
        s.running = false;
        if (s.again && !this.#stopped) {
          s.again = false;
          void this.#o.store.incidents.get(incident.id, 0).then((fresh) => fresh && fresh.status === 'open' && this.request(fresh));
        }
      });
    this.#inFlight.add(run);
  }

  async #diagnose(incident: Incident): Promise<void> {
    const { resource } = incident;
    const focus: Focus = { kind: resource.kind, name: resource.name, ...(resource.namespace ? { namespace: resource.namespace } : {}) };
    const started = performance.now();
    const gathered = await gatherSnapshot(this.#o.runner, { clusterId: incident.cluster_id, focus, correlationId: incident.id, now: (this.#o.now ?? Date.now)() });
    const result = this.#o.analyze(gathered.snapshot, focus);
    const tookMs = Math.round(performance.now() - started);
    const rc = result.root_cause;
    const note =
      result.status === 'completed'
        ? undefined
        : rc
          ? `best guess ${rc.type} is below the confidence threshold`
          : 'no fault stands out in the evidence gathered';
    const diagnosis = {
      status: result.status === 'completed' ? ('completed' as const) : ('partial' as const),
      candidates: result.candidates,
      recommendations: result.recommendations,
      impacted: result.impacted,
      diagnosed_at: new Date().toISOString(),
      ...(note ? { note } : {}),
    };
    const summary = rc
      ? `diagnosis: ${rc.type} (confidence ${rc.confidence.toFixed(2)})${rc.resource ? ` on ${rc.resource.kind} ${rc.resource.namespace ? `${rc.resource.namespace}/` : ''}${rc.resource.name}` : ''}`
      : 'diagnosis: no root cause stands out';
    const updated = await this.#o.store.incidents.setDiagnosis(incident.id, rc ?? null, diagnosis, {
      at: diagnosis.diagnosed_at,
      type: 'diagnosis',
      summary,
      data: { took_ms: tookMs, commands: gathered.commands, warnings: gathered.warnings.slice(0, 20), top_recommendation: result.recommendations[0]?.action ?? null },
    });
    this.#o.logger.info({ incidentId: incident.id, clusterId: incident.cluster_id, rootCause: rc?.type, confidence: rc?.confidence, tookMs, commands: gathered.commands }, 'incident diagnosed');
    if (updated && updated.status === 'open') {
      await this.#o.bus
        .publish(INTERNAL_SUBJECTS.incidentChanged, { schema_version: SCHEMA_VERSION, change: 'updated', incident: updated } satisfies IncidentChange)
        .catch((err: unknown) => this.#o.logger.warn({ err: errorMessage(err), incidentId: incident.id }, 'could not announce a diagnosis'));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#subscription?.unsubscribe().catch(() => undefined);
    await Promise.all([...this.#inFlight]);
  }
}
