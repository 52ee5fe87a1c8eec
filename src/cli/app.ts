/**
 * Composition root: builds the adapters a set of services needs from the frozen config, starts the
 * services, serves HTTP, and tears everything down in reverse order.
 */
import type { AddressInfo } from 'node:net';
import { ConfigError, NotImplementedError } from '../contracts/index.js';
import { createBus, type Bus } from '../adapters/bus/index.js';
import type { HttpServer } from '../adapters/http/index.js';
import { createProbeServer } from '../adapters/http/probe-server.js';
import type { Store } from '../adapters/store/index.js';
import { Health, Metrics, createLogger, setupTracing, type Logger } from '../adapters/telemetry/index.js';
import type { Config } from '../core/config/index.js';
import { NOT_IMPLEMENTED, type RunningService, type ServiceName } from '../core/targets.js';
import type { AgentEnv } from '../agent/index.js';
import { busOptions, storeOptions } from './adapter-options.js';
import { versionInfo } from './version.js';

export interface AppOptions {
  config: Config;
  services: readonly ServiceName[];
  logger?: Logger;
  /** CLUSTER_ID, KUBECONFIG and friends for the agent (the cli reads them). */
  agentEnv?: AgentEnv;
  /**
   * The agent was not asked for by name (`--target all`): when no cluster can be found it is skipped
   * with a warning instead of failing the start.
   */
  agentOptional?: boolean;
}

export interface App {
  readonly url: string;
  readonly services: readonly ServiceName[];
  readonly bus: Bus | undefined;
  readonly store: Store | undefined;
  /** The fastify server when this process serves the REST API; undefined otherwise (probes only). */
  readonly http: HttpServer | undefined;
  readonly logger: Logger;
  /** Graceful shutdown. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the given services in this process.
 * @throws NotImplementedError when none of them exists yet.
 * @throws UnavailableError / BusError / StoreError when a dependency cannot be reached.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const version = versionInfo().version;
  const logger = options.logger ?? createLogger({ level: config.log_level, base: { version } });
  const missing = options.services.filter((s) => NOT_IMPLEMENTED[s]);
  const runnable = options.services.filter((s) => !NOT_IMPLEMENTED[s]);
  if (runnable.length === 0) {
    throw new NotImplementedError(missing.map((s) => `the '${s}' target is not implemented yet: ${NOT_IMPLEMENTED[s] ?? ''}`).join('; ') + '; nothing to run');
  }

  const metrics = new Metrics({ target: options.services.length === 5 ? 'all' : options.services.join(',') });
  const health = new Health(metrics);
  const tracing = await setupTracing({ exporter: config.tracing.exporter, otlpEndpoint: config.tracing.otlp_endpoint, sampleRatio: config.tracing.sample_ratio, serviceVersion: version });
  const cleanups: (() => Promise<void>)[] = [() => tracing.shutdown()];
  const started: RunningService[] = [];
  let bus: Bus | undefined;
  let store: Store | undefined;
  /** This process's REST API, once it listens (the reasoning service gathers context through it). */
  let ownUrl: string | undefined;

  const stopAll = async () => {
    for (const s of [...started].reverse()) await s.stop().catch((err: unknown) => logger.error({ err, service: s.name }, 'service did not stop cleanly'));
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => logger.error({ err }, 'cleanup failed'));
  };

  try {
    for (const s of missing) {
      health.setComponent(s, 'not_implemented');
      logger.warn({ target: s, reason: NOT_IMPLEMENTED[s] }, 'target not implemented yet; skipped');
    }

    const needsStore = runnable.includes('manager') || runnable.includes('api') || runnable.includes('reasoning');
    if (needsStore) {
      // Services are loaded on use: an agent-only process never loads the database drivers or the manager.
      const { createStore } = await import('../adapters/store/index.js');
      store = await createStore(storeOptions(config.database, logger));
      const s = store;
      cleanups.push(() => s.close());
      health.addCheck('database', () => s.ping());
      if (!config.database.url && runnable.includes('api') && !runnable.includes('manager')) {
        logger.warn('the api target with the embedded database sees only this process; set database.url to share PostgreSQL with the managers');
      }
      if (config.database.auto_migrate && runnable.includes('manager')) {
        const applied = await s.migrations.up();
        if (applied.length) logger.info({ versions: applied }, 'migrations applied');
      }
      logger.info({ store: s.kind }, 'store ready');
    }

    if (runnable.includes('manager') || runnable.includes('agent') || runnable.includes('api') || runnable.includes('reasoning')) {
      bus = await createBus(busOptions(config.bus), { logger, metrics });
      const b = bus;
      cleanups.push(() => b.close());
      health.addCheck('bus', () => b.ping());
      logger.info({ bus: b.kind }, 'bus ready');
    }

    // fastify only where the REST API is served; other processes (the agent above all, whose memory is
    // budgeted) answer /health and /metrics from a bare node:http server.
    let http: HttpServer | undefined;
    let listen: (o: { host: string; port: number }) => Promise<AddressInfo>;
    if (runnable.includes('api')) {
      const { createHttpServer } = await import('../adapters/http/http-server.js');
      const server = createHttpServer({ logger, metrics, health, requestTimeoutMs: config.server.request_timeout, bodyLimit: config.server.body_limit });
      cleanups.push(() => server.close());
      http = server;
      listen = async (o) => {
        await server.listen(o);
        return server.server.address() as AddressInfo;
      };
    } else {
      const probe = createProbeServer({ logger, metrics, health, requestTimeoutMs: config.server.request_timeout });
      cleanups.push(() => probe.close());
      listen = (o) => probe.listen(o);
    }

    if (runnable.includes('manager') && bus && store) {
      const { startManager } = await import('../manager/manager-service.js');
      started.push(await startManager({ config, bus, store, logger, metrics, health }));
    }
    if (runnable.includes('agent') && bus) {
      let agentBus = bus;
      const endpoint = config.agent.central_endpoint;
      if (endpoint && endpoint !== config.bus.url) {
        const b = await createBus(busOptions(config.bus, { url: endpoint }), { logger, metrics });
        cleanups.push(() => b.close());
        health.addCheck('agent_bus', () => b.ping());
        agentBus = b;
      }
      const { startAgent } = await import('../agent/index.js');
      try {
        started.push(await startAgent({ config, bus: agentBus, metrics, health, logger, version, ...(options.agentEnv ? { env: options.agentEnv } : {}) }));
      } catch (err) {
        if (!(options.agentOptional && err instanceof ConfigError)) throw err;
        health.setComponent('agent', 'disabled');
        logger.warn({ reason: err.message }, 'agent skipped: no cluster to watch (set kube.kubeconfig or KUBECONFIG, or run in a cluster)');
      }
    }
    if (runnable.includes('reasoning') && bus) {
      const { startReasoning } = await import('../reasoning/index.js');
      started.push(await startReasoning({ config, bus, store, logger, metrics, health, apiUrl: () => ownUrl }));
    }
    if (runnable.includes('api') && store && http) {
      const { registerApiRoutes, loadApprovalKey } = await import('../api/index.js');
      const approvalKey = await loadApprovalKey(config.remediation);
      registerApiRoutes(http, {
        store,
        health,
        version,
        bus,
        logger,
        metrics,
        stream: { maxStreams: config.server.max_streams },
        metricQueries: { metrics: config.metrics, prometheus: config.prometheus },
        commands: { bus, perCluster: config.manager.commands_per_cluster, maxTimeoutMs: config.manager.command_timeout_max, approvalKey, logger },
        ...(bus ? { analysis: { bus, timeoutMs: config.reasoning.request_timeout } } : {}),
      });
      health.setComponent('api', 'running');
    }

    const address = await listen({ host: config.server.host, port: config.server.port });
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    if (runnable.includes('api')) ownUrl = url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:');
    logger.info({ url, services: runnable, notImplemented: missing }, 'aetherius started');

    let stopping: Promise<void> | undefined;
    return {
      url,
      services: runnable,
      bus,
      store,
      http,
      logger,
      stop() {
        stopping ??= stopAll().then(() => logger.info('aetherius stopped'));
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
