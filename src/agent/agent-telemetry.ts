/**
 * The agent's Prometheus series, registered on the process's `Metrics` registry: events seen, sent and
 * dropped by severity, buffer depth, informer state, command results by status, and the log scanner's
 * reads, bytes and error records.
 */
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../adapters/telemetry/index.js';

export class AgentTelemetry {
  readonly eventsSeen: Counter<'type' | 'severity'>;
  readonly eventsSent: Counter<'severity'>;
  readonly eventsDropped: Counter<'severity' | 'reason'>;
  readonly bufferDepth: Gauge<'where'>;
  readonly informerSynced: Gauge<'resource'>;
  readonly informerRelists: Gauge<'resource'>;
  readonly commandResults: Counter<'status'>;
  readonly commandRejections: Counter<'reason'>;
  readonly metricsSent: Counter;
  readonly logReads: Counter<'result'>;
  readonly logBytes: Counter;
  readonly logErrorRecords: Counter<'class'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.eventsSeen = new Counter({ name: 'aetherius_agent_events_seen_total', help: 'Signals the agent classified, by type (k8s_event, state_change) and severity, before filters', labelNames: ['type', 'severity'], registers });
    this.eventsSent = new Counter({ name: 'aetherius_agent_events_sent_total', help: 'Events acknowledged by the bus, by severity (a resend after an outage counts again)', labelNames: ['severity'], registers });
    this.eventsDropped = new Counter({
      name: 'aetherius_agent_events_dropped_total',
      help: 'Events not sent, by severity and reason: filtered (watcher filters), journal_full (oldest low-severity dropped), invalid (failed the wire schema: a bug)',
      labelNames: ['severity', 'reason'],
      registers,
    });
    this.bufferDepth = new Gauge({ name: 'aetherius_agent_buffer_depth', help: 'Outbound messages not yet acknowledged by the bus, in memory and in the on-disk journal', labelNames: ['where'], registers });
    this.informerSynced = new Gauge({ name: 'aetherius_agent_informer_synced', help: '1 when the informer cache of a resource has completed its first list', labelNames: ['resource'], registers });
    this.informerRelists = new Gauge({ name: 'aetherius_agent_informer_lists', help: 'Full lists an informer has done (the first, plus relists after 410 Gone)', labelNames: ['resource'], registers });
    this.commandResults = new Counter({ name: 'aetherius_agent_command_results_total', help: 'Commands answered, by result status', labelNames: ['status'], registers });
    this.commandRejections = new Counter({ name: 'aetherius_agent_command_rejections_total', help: 'Commands rejected, by validation layer reason', labelNames: ['reason'], registers });
    this.metricsSent = new Counter({ name: 'aetherius_agent_metrics_messages_total', help: 'Metrics messages queued for the bus', registers });
    this.logReads = new Counter({ name: 'aetherius_agent_log_reads_total', help: 'Container log reads by the log scanner, by result (ok, error)', labelNames: ['result'], registers });
    this.logBytes = new Counter({ name: 'aetherius_agent_log_bytes_total', help: 'Bytes of container logs the log scanner read', registers });
    this.logErrorRecords = new Counter({ name: 'aetherius_agent_log_error_records_total', help: 'Error records the log scanner found in new log lines, by class', labelNames: ['class'], registers });
  }
}
