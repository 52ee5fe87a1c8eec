/**
 * The manager's metrics pipeline: a JetStream durable consumer on `AETHERIUS_METRICS` (shared by every
 * manager replica) that stores each agent metrics message, remote-writes it to Prometheus when
 * configured, and runs anomaly detection; plus two timers, SLO evaluation and partition maintenance
 * (next days' partitions, retention). docs/metrics.md describes it; the ADR on the metrics store says
 * why samples are stored as they are.
 *
 * A collection split into parts (agent-messages.ts `part`) is not reassembled: each part is stored and
 * judged on its own. That is equivalent — every stored row is keyed by entity and collection time, the
 * parts divide the pods between them and carry nodes, namespaces and cluster totals once (part 0) — and
 * it is the only choice that works with replicas, since the parts of one collection are delivered to
 * whichever replicas pull them.
 *
 * Every failure is contained: a message the database refuses is dropped and counted (never retried
 * forever), a database or bus failure naks the message for redelivery (storage is idempotent, detection
 * deterministic, events deduplicated by msgId), and timers log their errors and carry on.
 */
import {
  ConfigError,
  InputError,
  STREAMS,
  errorMessage,
  type AgentMetrics,
} from '../../contracts/index.js';
import { consumeValidated, sameClusterLookup, type Bus, type Subscription } from '../../adapters/bus/index.js';
import { RemoteWriteQueue, prometheusFromConfig } from '../../adapters/prometheus/index.js';
import { SqlMetricRepository, type MetricRepository, type Store } from '../../adapters/store/index.js';
import type { Logger, Metrics } from '../../adapters/telemetry/index.js';
import type { Config } from '../../core/config/index.js';
import { flattenMetrics } from '../../core/metric-series/index.js';
import type { BurnRateAlert } from '../../core/slo/index.js';
import { AnomalyTracker } from './anomaly-tracker.js';
import { pipelineCounters, type PipelineCounters } from './pipeline-counters.js';
import { SloEvaluator } from './slo-evaluator.js';

export interface MetricsPipelineDeps {
  config: Config;
  bus: Bus;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Clock (tests). */
  now?: () => number;
}

export interface MetricsPipeline {
  /** Evaluates every SLO now (the timer does this every `metrics.slo.evaluation_interval`). */
  evaluateSlos(): Promise<void>;
  /** Creates upcoming partitions and applies retention now (the timer does this every `metrics.maintenance_interval`). */
  maintain(): Promise<void>;
  /** Stops consuming, waits for work in flight, stops the timers and the remote-write queue. Idempotent. */
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** Burn-rate alerts from the configuration's form. */
export function burnRateAlerts(config: Config['metrics']['slo']): BurnRateAlert[] {
  return config.burn_rate_alerts.map((a) => ({ longWindowMs: a.long_window, shortWindowMs: a.short_window, burnRate: a.burn_rate, severity: a.severity }));
}

/**
 * Starts the pipeline.
 * @throws ConfigError when a latency SLO is configured without `prometheus.url`.
 * @throws BusError when the streams or the consumer cannot be created.
 */
export async function startMetricsPipeline(deps: MetricsPipelineDeps): Promise<MetricsPipeline> {
  const { config, bus, store } = deps;
  const logger = deps.logger.child({ component: 'metrics' });
  const now = deps.now ?? Date.now;
  const m = config.metrics;
  const counters: PipelineCounters = pipelineCounters(deps.metrics);
  const repo: MetricRepository = new SqlMetricRepository(store.sql);
  const prometheus = prometheusFromConfig(config.prometheus, 'aetherius-manager');

  const latencyWithoutPrometheus = m.slo.objectives.findIndex((o) => o.sli.type === 'latency');
  if (latencyWithoutPrometheus >= 0 && !prometheus) {
    const path = `metrics.slo.objectives.${latencyWithoutPrometheus}.sli`;
    throw new ConfigError(`${path}: a latency SLI is measured by Prometheus (the agents measure no request latency); set prometheus.url`, [{ path, message: 'type latency needs prometheus.url' }]);
  }

  const remoteWrite =
    prometheus && config.prometheus.remote_write
      ? new RemoteWriteQueue({
          client: prometheus,
          capacity: config.prometheus.remote_write_queue,
          maxSamplesPerRequest: config.prometheus.remote_write_max_samples,
          logger,
          onSent: (n) => counters.remoteWrite.inc({ result: 'sent' }, n),
          onDropped: (n, reason) => counters.remoteWrite.inc({ result: reason }, n),
        })
      : undefined;

  const anomalies = m.anomaly.enabled
    ? new AnomalyTracker({
        repo,
        bus,
        logger,
        counters,
        metrics: m.anomaly.metrics,
        historyMs: m.anomaly.history,
        maxSeries: m.anomaly.max_series,
        detector: {
          alpha: m.anomaly.alpha,
          warmupSamples: m.anomaly.warmup_samples,
          zThreshold: m.anomaly.z_threshold,
          zResolve: m.anomaly.z_resolve,
          zHigh: m.anomaly.z_high,
          cooldownMs: m.anomaly.cooldown,
          minStdRatio: m.anomaly.min_std_ratio,
          minStd: m.anomaly.min_std,
        },
      })
    : undefined;

  const slos = new SloEvaluator({ repo, bus, logger, counters, objectives: m.slo.objectives, alerts: burnRateAlerts(m.slo), prometheus, now });

  const handle = async (msg: AgentMetrics): Promise<void> => {
    const t = Date.parse(msg.timestamp);
    const at = now();
    if (t > at + m.max_clock_skew) {
      counters.dropped.inc({ reason: 'future' });
      logger.warn({ clusterId: msg.cluster_id, timestamp: msg.timestamp }, 'metrics message stamped in the future beyond metrics.max_clock_skew; dropped (check the agent clock)');
      return;
    }
    if (m.retention > 0 && t <= at - m.retention) {
      counters.dropped.inc({ reason: 'expired' });
      logger.debug({ clusterId: msg.cluster_id, timestamp: msg.timestamp }, 'metrics message older than metrics.retention; dropped');
      return;
    }
    let result;
    try {
      result = await repo.write([msg]);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      counters.dropped.inc({ reason: 'store_rejected' });
      logger.warn({ err: errorMessage(err), clusterId: msg.cluster_id, timestamp: msg.timestamp }, 'metrics message refused by the database; dropped');
      return;
    }
    counters.rows.inc({ result: 'inserted' }, result.rows);
    if (result.duplicates) counters.rows.inc({ result: 'duplicate' }, result.duplicates);
    const samples = flattenMetrics(msg);
    // Only what this delivery newly stored: a redelivered message was remote-written the first time.
    if (remoteWrite && result.rows > 0) remoteWrite.push(samples.map((s) => ({ labels: { __name__: s.metric, ...s.labels }, t: s.t, v: s.value })));
    if (anomalies) await anomalies.observe(msg, samples);
  };

  await bus.ensureStreams([STREAMS.metrics, STREAMS.internal].map((s) => ({ ...s, subjects: [...s.subjects] })));
  const subscription: Subscription = await consumeValidated<AgentMetrics>(
    bus,
    // A 5,000-pod collection with a cold anomaly state takes seconds; the ack wait leaves room for it.
    { stream: STREAMS.metrics.name, durable: `${config.manager.consumer_name}-metrics`, ackWaitMs: 120_000 },
    sameClusterLookup(),
    handle,
    { logger, metrics: deps.metrics, maxPayloadBytes: bus.maxPayloadBytes },
  );

  const timers = startTimers({
    logger,
    slo: m.slo.objectives.length ? { everyMs: m.slo.evaluation_interval, run: () => slos.evaluateAll().then(() => undefined) } : undefined,
    maintenance: {
      everyMs: m.maintenance_interval,
      run: async () => {
        const at = now();
        await repo.ensurePartitions(at, at + 2 * DAY_MS);
        if (m.retention > 0) {
          const r = await repo.applyRetention(new Date(at - m.retention));
          if (r.partitions || r.entities) logger.info({ partitions: r.partitions, entities: r.entities }, 'metrics retention: old partitions dropped');
        }
      },
    },
  });

  logger.info(
    { durable: `${config.manager.consumer_name}-metrics`, anomaly: m.anomaly.enabled, slos: m.slo.objectives.length, prometheus: prometheus?.url ?? null, remoteWrite: Boolean(remoteWrite) },
    'metrics pipeline consuming',
  );

  let stopped: Promise<void> | undefined;
  return {
    evaluateSlos: () => timers.runNow('slo'),
    maintain: () => timers.runNow('maintenance'),
    stop() {
      stopped ??= (async () => {
        await subscription.unsubscribe();
        await timers.stop();
        if (remoteWrite) {
          await Promise.race([remoteWrite.flush(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
          await remoteWrite.stop();
        }
        logger.info('metrics pipeline stopped');
      })();
      return stopped;
    },
  };
}

interface Job {
  everyMs: number;
  run: () => Promise<void>;
}

/** Runs each job after a short delay and then every `everyMs`, never two runs of one job at once. */
function startTimers(o: { logger: Logger; slo: Job | undefined; maintenance: Job }): { runNow(name: 'slo' | 'maintenance'): Promise<void>; stop(): Promise<void> } {
  const jobs = { slo: o.slo, maintenance: o.maintenance };
  const running = new Map<string, Promise<void>>();
  const handles: NodeJS.Timeout[] = [];
  let stopped = false;
  const run = (name: 'slo' | 'maintenance'): Promise<void> => {
    const job = jobs[name];
    if (!job || stopped) return Promise.resolve();
    const current = running.get(name);
    if (current) return current;
    const p = job
      .run()
      .catch((err: unknown) => o.logger.error({ err: errorMessage(err), job: name }, 'metrics job failed'))
      .finally(() => running.delete(name));
    running.set(name, p);
    return p;
  };
  for (const name of ['slo', 'maintenance'] as const) {
    const job = jobs[name];
    if (!job || job.everyMs <= 0) continue;
    const first = setTimeout(() => void run(name), Math.min(1000, job.everyMs));
    first.unref();
    const every = setInterval(() => void run(name), job.everyMs);
    every.unref();
    handles.push(first, every);
  }
  return {
    runNow: run,
    async stop() {
      stopped = true;
      for (const h of handles) clearTimeout(h);
      await Promise.all(running.values());
    },
  };
}
