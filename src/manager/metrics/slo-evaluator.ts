/**
 * SLO evaluation: every `evaluation_interval`, each SLO's error ratio is measured over every window its
 * burn-rate alerts need, and each alert judged (src/core/slo/burn-rate.ts). The firing state lives in
 * PostgreSQL (`slo_alert_states`); the replica whose update flips an alert to firing publishes
 * `internal.event.slo_breach`, once per breach, however many replicas evaluate.
 *
 * What the SLIs measure (docs/metrics.md):
 * - `pods_ready`, from the agents' metrics: the share of the workload's pod samples in which the pod
 *   ran, was Ready and had not restarted since its previous sample.
 * - `latency`, only through Prometheus (the agents measure no request latency): the ratio of the SLO's
 *   `good_query` to its `total_query`, each evaluated with `$window` set to the window.
 */
import { createHash } from 'node:crypto';
import { INTERNAL_SUBJECTS, SCHEMA_VERSION, errorMessage, parseWith, sloBreachEvent, type SloBreachEvent } from '../../contracts/index.js';
import type { Bus } from '../../adapters/bus/index.js';
import type { PrometheusClient } from '../../adapters/prometheus/index.js';
import type { AvailabilityResult, MetricRepository } from '../../adapters/store/index.js';
import type { Logger } from '../../adapters/telemetry/index.js';
import type { SloDefinition } from '../../core/config/metrics-schema.js';
import {
  alertKey,
  errorBudgetRemaining,
  evaluateBurnRateAlerts,
  formatWindow,
  windowsNeeded,
  workloadPodPattern,
  type BurnRateAlert,
  type WindowCounts,
} from '../../core/slo/index.js';
import type { PipelineCounters } from './pipeline-counters.js';

export interface SloEvaluatorOptions {
  repo: MetricRepository;
  bus: Bus;
  logger: Logger;
  counters: PipelineCounters;
  objectives: readonly SloDefinition[];
  alerts: readonly BurnRateAlert[];
  /** Needed by latency SLOs. */
  prometheus: Pick<PrometheusClient, 'query'> | undefined;
  now?: () => number;
}

export class SloEvaluator {
  readonly #o: SloEvaluatorOptions;
  readonly #now: () => number;

  constructor(o: SloEvaluatorOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /**
   * Evaluates every SLO once; one SLO's failure is logged and does not stop the others.
   * @returns the breaches this call published.
   */
  async evaluateAll(): Promise<SloBreachEvent[]> {
    const published: SloBreachEvent[] = [];
    for (const slo of this.#o.objectives) {
      try {
        published.push(...(await this.evaluate(slo)));
      } catch (err) {
        this.#o.logger.error({ err: errorMessage(err), slo: slo.name }, 'SLO evaluation failed');
      }
    }
    return published;
  }

  /** Evaluates one SLO in every cluster it applies to. @throws StoreError, BusError, and Prometheus errors. */
  async evaluate(slo: SloDefinition): Promise<SloBreachEvent[]> {
    const now = this.#now();
    const windows = windowsNeeded(this.#o.alerts, slo.window);
    const results = slo.sli.type === 'pods_ready' ? await this.#podsReady(slo, windows, now) : await this.#latency(slo, windows, now);
    const published: SloBreachEvent[] = [];
    for (const r of results) {
      const verdicts = evaluateBurnRateAlerts(r.windows, slo.objective, this.#o.alerts);
      for (const v of verdicts) {
        const key = alertKey(v.alert);
        const changed = await this.#o.repo.setSloAlertState({ slo: slo.name, cluster_id: r.cluster_id, alert: key, firing: v.firing, burn_rate: v.longBurn ?? null, at: new Date(now) });
        if (!changed || !v.firing) continue;
        const event = this.#event(slo, r, v.alert, v.longBurn ?? 0, now);
        await this.#o.bus.publish(INTERNAL_SUBJECTS.eventSloBreach, event, { msgId: event.id });
        this.#o.counters.sloBreaches.inc({ slo: slo.name, severity: event.severity });
        this.#o.logger.warn({ slo: slo.name, clusterId: r.cluster_id, alert: key, burnRate: event.burn_rate, budgetRemaining: event.error_budget_remaining }, 'SLO burn-rate alert firing');
        published.push(event);
      }
    }
    return published;
  }

  async #podsReady(slo: SloDefinition, windows: number[], now: number): Promise<AvailabilityResult[]> {
    return this.#o.repo.podAvailability({
      cluster_id: slo.cluster_id,
      namespace: slo.workload.namespace,
      podPattern: workloadPodPattern(slo.workload.kind, slo.workload.name),
      windowsMs: windows,
      nowMs: now,
    });
  }

  async #latency(slo: SloDefinition, windows: number[], now: number): Promise<AvailabilityResult[]> {
    if (slo.sli.type !== 'latency') return [];
    const prometheus = this.#o.prometheus;
    if (!prometheus) throw new Error(`SLO ${slo.name}: a latency SLI needs prometheus.url`);
    const counts = new Map<number, WindowCounts>();
    for (const w of windows) {
      const good = await this.#scalar(prometheus, slo.sli.good_query.replaceAll('$window', formatWindow(w)), now);
      const total = await this.#scalar(prometheus, slo.sli.total_query.replaceAll('$window', formatWindow(w)), now);
      if (good === undefined || total === undefined || !(total > 0)) continue;
      counts.set(w, { total, bad: Math.max(0, total - good) });
    }
    // Prometheus holds the whole period: the SLO window is observed in full.
    return counts.size ? [{ cluster_id: slo.cluster_id, windows: counts, firstSampleMs: now - slo.window }] : [];
  }

  /** The single value of a query's answer; undefined when it has none. */
  async #scalar(prometheus: Pick<PrometheusClient, 'query'>, query: string, now: number): Promise<number | undefined> {
    const data = await prometheus.query(query, now);
    const text = data.resultType === 'scalar' ? data.result[1] : data.resultType === 'vector' && data.result.length === 1 ? data.result[0]?.value[1] : undefined;
    const v = text === undefined ? Number.NaN : Number(text);
    return Number.isFinite(v) ? v : undefined;
  }

  #event(slo: SloDefinition, r: AvailabilityResult, alert: BurnRateAlert, burn: number, now: number): SloBreachEvent {
    const key = alertKey(alert);
    const digest = createHash('sha256').update(`${slo.name}\u0000${r.cluster_id}\u0000${key}\u0000${now}`).digest('hex').slice(0, 24);
    const budget = errorBudgetRemaining(r.windows.get(slo.window), slo.objective, now - r.firstSampleMs, slo.window);
    return parseWith(
      sloBreachEvent,
      {
        schema_version: SCHEMA_VERSION,
        id: `slo-breach-${digest}`,
        cluster_id: r.cluster_id,
        timestamp: new Date(now).toISOString(),
        slo: { name: slo.name, workload: { kind: slo.workload.kind, name: slo.workload.name, namespace: slo.workload.namespace }, objective: slo.objective, window: formatWindow(slo.window) },
        burn_rate: Math.round(burn * 1000) / 1000,
        long_window: formatWindow(alert.longWindowMs),
        short_window: formatWindow(alert.shortWindowMs),
        error_budget_remaining: budget,
        severity: alert.severity,
      },
      'SLO breach event',
    );
  }
}
