/**
 * Prometheus metrics every target shares. One `Metrics` per process, injected; no global registry, so
 * tests and several services in one process never collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** Label added to every series (e.g. the target list `all` or `manager`). */
  target?: string;
  /** Collect Node.js process metrics (event loop lag, heap, GC). Default true. */
  collectDefault?: boolean;
}

export class Metrics {
  readonly registry = new Registry();

  /** Messages refused at a bus boundary, by application subject and reason. */
  readonly rejectedMessages = new Counter({
    name: 'aetherius_rejected_messages_total',
    help: 'Messages rejected at a bus boundary (malformed, unsupported schema_version, wrong cluster), by subject and reason',
    labelNames: ['subject', 'reason'] as const,
    registers: [this.registry],
  });

  /** Messages accepted and handled at a bus boundary. */
  readonly handledMessages = new Counter({
    name: 'aetherius_handled_messages_total',
    help: 'Messages accepted and handled at a bus boundary, by subject pattern and outcome',
    labelNames: ['subject', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly storedEvents = new Counter({
    name: 'aetherius_events_stored_total',
    help: 'Agent events stored, by result (inserted or duplicate)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly httpRequestDuration = new Histogram({
    name: 'aetherius_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly dependencyUp = new Gauge({
    name: 'aetherius_dependency_up',
    help: '1 when the named dependency answered its last readiness check, else 0',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  /** Reconnections of the bus after a lost connection. */
  readonly busReconnects = new Counter({
    name: 'aetherius_bus_reconnects_total',
    help: 'Times the bus connection was re-established after it was lost',
    registers: [this.registry],
  });

  /** 1 while the bus connection is up. */
  readonly busConnected = new Gauge({
    name: 'aetherius_bus_connected',
    help: '1 while the bus connection is up, 0 while it is lost and reconnecting',
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    if (options.target) this.registry.setDefaultLabels({ target: options.target });
    if (options.collectDefault ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'aetherius_' });
  }

  /** Prometheus text exposition of every registered series. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
