/**
 * The reasoning service (`aetherius start --target reasoning`): answers `ai.reasoning.request` with a
 * ranked, evidenced root cause from the deterministic engine (src/core/rca, rules in rules/*.yaml).
 * Replicas share the requests through a queue group. The REST API's `POST /api/v1/analyze/root-cause`
 * reaches it over the bus, so the API never runs analyses itself and reasoning scales on its own.
 */
import { AI_SUBJECTS, errorMessage, SCHEMA_VERSION, type ReasoningRequest } from '../contracts/index.js';
import { sameClusterLookup, subscribeValidated, type Bus, type Subscription } from '../adapters/bus/index.js';
import { loadRules } from '../adapters/rules/index.js';
import type { Health, Logger, Metrics } from '../adapters/telemetry/index.js';
import type { Config } from '../core/config/index.js';
import { createAnalyzer, type AnalysisResult, type CompiledRuleSet } from '../core/rca/index.js';
import { replyOf, snapshotFromRequest, type AnalysisReply } from '../core/analysis/index.js';
import type { RunningService } from '../core/targets.js';
import type { Store } from '../adapters/store/index.js';
import { HttpCommandRunner, type CommandRunner } from './context-gatherer.js';
import { IncidentDiagnoser } from './incident-diagnoser.js';

export const REASONING_QUEUE = 'aetherius-reasoning';

export interface ReasoningDeps {
  config: Config;
  bus: Bus;
  /** Where incidents are read and their diagnoses stored; without it incidents are not diagnosed. */
  store?: Store | undefined;
  /** The command API's base URL when `reasoning.api_url` is empty (this process's own server), read when first needed. */
  apiUrl?: () => string | undefined;
  logger: Logger;
  metrics: Metrics;
  health: Health;
  now?: () => number;
}

export interface RunningReasoning extends RunningService {
  readonly rules: CompiledRuleSet;
  /** Answers one request as the bus handler does (also used by `aetherius analyze`). */
  answer(request: ReasoningRequest): AnalysisReply;
}

/**
 * @throws NotFoundError / ConfigError when the rule files cannot be read or are invalid (each problem
 *   names the file and field); BusError when the subscription cannot be made.
 */
export async function startReasoning(deps: ReasoningDeps): Promise<RunningReasoning> {
  const { config, bus, logger, health } = deps;
  const now = deps.now ?? Date.now;
  const rules = await loadRules(config.reasoning.rules_dir || undefined);
  const analyzer = createAnalyzer(rules);
  logger.info({ rules: rules.rules.length }, 'reasoning rules loaded');

  const answer = (request: ReasoningRequest): AnalysisReply => {
    const started = performance.now();
    const { snapshot, focus, ignored } = snapshotFromRequest(request.context, now(), clusterOf(request));
    const minConfidence = request.options.min_confidence ?? config.reasoning.min_confidence;
    const result: AnalysisResult = analyzer(snapshot, focus, { minConfidence });
    return replyOf(request.request_id, result, { tookMs: performance.now() - started, ignored });
  };

  let diagnoser: IncidentDiagnoser | undefined;
  if (deps.store && config.reasoning.diagnose_incidents) {
    const url = () => config.reasoning.api_url || deps.apiUrl?.() || '';
    const http = new LazyHttpRunner(url, config.manager.command_timeout_max);
    diagnoser = new IncidentDiagnoser({
      bus,
      store: deps.store,
      runner: http,
      analyze: (snapshot, focus) => analyzer(snapshot, focus, { minConfidence: config.reasoning.min_confidence }),
      logger,
      minIntervalMs: config.reasoning.diagnosis_interval,
    });
    diagnoser.start();
  }

  const subscriptions: Subscription[] = [
    subscribeValidated<ReasoningRequest>(
      bus,
      AI_SUBJECTS.reasoningRequest,
      sameClusterLookup(),
      (request, msg) => {
        let reply: object;
        try {
          reply = answer(request);
        } catch (err) {
          // A bug in a rule or the engine must not leave the caller waiting for its timeout.
          logger.error({ err, requestId: request.request_id }, 'analysis failed');
          reply = { schema_version: SCHEMA_VERSION, request_id: request.request_id, status: 'failed', error: `analysis failed: ${errorMessage(err)}`, candidates: [], recommendations: [], similar_cases: [] };
        }
        msg.respond(reply);
      },
      { queue: REASONING_QUEUE },
      { logger, metrics: deps.metrics, maxPayloadBytes: bus.maxPayloadBytes },
    ),
  ];
  await bus.ping();
  health.setComponent('reasoning', 'running');

  let stopping: Promise<void> | undefined;
  return {
    name: 'reasoning',
    rules,
    answer,
    stop() {
      stopping ??= (async () => {
        health.setComponent('reasoning', 'stopping');
        await diagnoser?.stop();
        await Promise.all(subscriptions.map((s) => s.unsubscribe().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'reasoning: unsubscribe failed'))));
      })();
      return stopping;
    },
  };
}

function clusterOf(request: ReasoningRequest): string | undefined {
  const id = request.context.event?.['cluster_id'];
  return typeof id === 'string' ? id : undefined;
}

/** An HTTP runner whose base URL is known only once the server listens. */
class LazyHttpRunner implements CommandRunner {
  readonly #url: () => string;
  readonly #timeoutMs: number;
  #runner: HttpCommandRunner | undefined;

  constructor(url: () => string, timeoutMs: number) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
  }

  run(request: Parameters<CommandRunner['run']>[0]): ReturnType<CommandRunner['run']> {
    if (!this.#runner) {
      const url = this.#url();
      if (!url) return Promise.reject(new Error('no command API to gather context from: set reasoning.api_url, or run the api target in this process'));
      this.#runner = new HttpCommandRunner(url, Math.min(this.#timeoutMs, 30_000));
    }
    return this.#runner.run(request);
  }
}
