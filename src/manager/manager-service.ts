/**
 * agent-manager, the part this issue lays down: it ensures the durable streams, registers agents,
 * tracks heartbeats, stores events (batched, deduplicated by id) and command results, and republishes
 * results on `internal.command.result`. Incidents, metrics storage and command dispatch arrive with
 * issue 5 and plug in here.
 *
 * Every message passes the validating boundary first: a malformed one is counted, dead-lettered and
 * acked, never crashing a consumer or poisoning a stream. An agent may only publish for the cluster in
 * its subject: a payload whose `cluster_id` differs is rejected the same way, and so is a message
 * naming an agent registered for another cluster (agent-identity.ts; `identity_mismatch`).
 */
import {
  INTERNAL_SUBJECTS,
  SCHEMA_VERSION,
  STREAMS,
  agentSubjectAllClusters,
  parseAgentSubject,
  type AgentEvent,
  type AgentEventBatch,
  type AgentHeartbeat,
  type AgentRegister,
  type AgentResult,
} from '../contracts/index.js';
import { consumeValidated, sameClusterLookup, subscribeValidated, type Bus, type Subscription } from '../adapters/bus/index.js';
import type { AgentRecord, Store } from '../adapters/store/index.js';
import type { Health, Logger, Metrics } from '../adapters/telemetry/index.js';
import type { Config } from '../core/config/index.js';
import type { RunningService } from '../core/targets.js';
import { EventBatcher } from './event-batcher.js';
import { takeEventBatch } from './event-batch-intake.js';

import { AgentIdentity } from './agent-identity.js';
import { agentAlert, startAgentLiveness } from './agent-liveness.js';
import { startEventRetention } from './event-retention.js';
import { IncidentEngine } from './incident-engine.js';
import { startMetricsPipeline } from './metrics/index.js';

export interface ManagerDeps {
  config: Config;
  bus: Bus;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  health: Health;
}

/** Queue group for core subscriptions (register, heartbeat): one replica handles each message. */
export const MANAGER_QUEUE = 'aetherius-manager';

/**
 * Starts the manager's consumers.
 * @throws BusError when the streams cannot be created.
 */
/** The running manager; `incidents` is exposed for clusters on virtual time (the simulator's tests). */
export interface RunningManager extends RunningService {
  incidents: IncidentEngine;
}

export async function startManager(deps: ManagerDeps): Promise<RunningManager> {
  const { bus, store, metrics, config } = deps;
  const logger = deps.logger.child({ service: 'manager' });
  deps.health.setComponent('manager', 'starting');

  await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));

  const lookup = sameClusterLookup();
  const identity = new AgentIdentity(store);
  const boundary = { logger, metrics };
  const subscriptions: Subscription[] = [];
  const incidents = new IncidentEngine({
    store,
    bus,
    logger,
    metrics,
    rules: {
      groupWaitMs: config.manager.incident_group_wait,
      correlationWindowMs: config.manager.incident_correlation_window,
      persistMs: config.manager.incident_persist,
      sustainMs: config.manager.incident_sustain,
      resolveAfterMs: config.manager.incident_resolve_after,
    },
  });
  const batcher = new EventBatcher(
    store.events,
    {
      batchSize: config.manager.ingest_batch_size,
      flushIntervalMs: config.manager.ingest_flush_interval,
      concurrency: config.manager.ingest_concurrency,
      aggregationWindowMs: config.manager.event_aggregation_window,
      onStored: incidents.onStored,
    },
    logger,
    metrics,
  );

  // A heartbeat or registration from an agent marked offline resolves its AgentOffline alert.
  const resolveOffline = async (agent: AgentRecord) => {
    logger.info({ agentId: agent.agent_id, clusterId: agent.cluster_id }, 'agent back online');
    const alert = agentAlert(agent, 'resolved', new Date());
    await bus.publish(INTERNAL_SUBJECTS.metricsAlert, alert, { msgId: `${alert.id}-resolved` });
    await incidents.agentOnline(agent);
  };
  const liveness = startAgentLiveness({ store, bus, logger, everyMs: config.manager.liveness_sweep_interval, onOffline: incidents.agentOffline });
  const retention = startEventRetention({ store, logger, retentionMs: config.manager.event_retention, everyMs: config.manager.retention_interval });

  subscriptions.push(
    subscribeValidated<AgentRegister>(
      bus,
      agentSubjectAllClusters('register'),
      lookup,
      async (msg, raw) => {
        await identity.checkRegister(msg);
        await store.clusters.ensure(msg.cluster_id);
        const before = await store.agents.get(msg.agent_id);
        const agent = await store.agents.upsertRegistration(msg);
        if (before?.status === 'offline') await resolveOffline(before);
        logger.info({ agentId: agent.agent_id, clusterId: agent.cluster_id, version: agent.version }, 'agent registered');
        raw.respond({ schema_version: SCHEMA_VERSION, accepted: true, agent_id: agent.agent_id });
      },
      // Each handler waits on the database: several at once keep thousands of agents' heartbeats flowing.
      { queue: MANAGER_QUEUE, concurrency: 32 },
      boundary,
    ),
  );

  subscriptions.push(
    subscribeValidated<AgentHeartbeat>(
      bus,
      agentSubjectAllClusters('heartbeat'),
      lookup,
      async (msg) => {
        const previous = await store.agents.recordHeartbeat(msg);
        if (previous === 'offline') {
          const agent = await store.agents.get(msg.agent_id);
          if (agent) await resolveOffline(agent);
        }
        if (previous === undefined && !(await identity.checkUnrecordedHeartbeat(msg))) {
          metrics.rejectedMessages.inc({ subject: agentSubjectAllClusters('heartbeat'), reason: 'unknown_agent' });
          logger.warn({ agentId: msg.agent_id, clusterId: msg.cluster_id }, 'heartbeat from an unregistered agent ignored');
        }
      },
      // Each handler waits on the database: several at once keep thousands of agents' heartbeats flowing.
      { queue: MANAGER_QUEUE, concurrency: 32 },
      boundary,
    ),
  );

  subscriptions.push(
    await consumeValidated<AgentEvent | AgentEventBatch>(
      bus,
      {
        stream: STREAMS.events.name,
        durable: `${config.manager.consumer_name}-events`,
        ack: 'manual',
        // Long enough for a batch to fill, flush and be acked.
        ackWaitMs: Math.max(30_000, config.manager.ingest_flush_interval * 10),
        // Room for the batches being written, the one filling, and the next one queued.
        maxAckPending: Math.max(1000, config.manager.ingest_batch_size * (config.manager.ingest_concurrency + 2)),
        // One pull request per batch rather than per 32 messages: the round trips, not the handling,
        // bound a small prefetch (docs/benchmarks.md, bench ingest).
        prefetch: config.manager.ingest_batch_size,
      },
      lookup,
      (value, raw) => {
        // One stream, two shapes: an event per message (the architecture's) or a batch (ADR 0016).
        // Back-pressure: the next message is taken only when the batcher has room for it.
        const take =
          parseAgentSubject(raw.subject)?.kind === 'events'
            ? () => takeEventBatch(bus, value as AgentEventBatch, raw, (event, share) => batcher.add(event, share), boundary).then(() => batcher.room())
            : () => {
                batcher.add(value as AgentEvent, raw);
                return batcher.room();
              };
        const checked = identity.checkEvent(value.cluster_id, raw);
        if (checked) return checked.then(take);
        return take();
      },
      boundary,
    ),
  );

  subscriptions.push(
    await consumeValidated<AgentResult>(
      bus,
      { stream: STREAMS.results.name, durable: `${config.manager.consumer_name}-results` },
      lookup,
      async (result) => {
        const { stored } = await store.commands.saveResult(result);
        if (stored) {
          const cmd = await store.commands.get(result.command_id);
          await bus.publish(
            INTERNAL_SUBJECTS.commandResult,
            { ...result, ...(cmd?.correlation_id ? { correlation_id: cmd.correlation_id } : {}), ...(cmd ? { issued_by: cmd.issued_by } : {}) },
            { msgId: `result-${result.command_id}` },
          );
          // A command run for an incident (its id as correlation_id) goes on the incident's timeline.
          if (cmd?.correlation_id && (await store.incidents.keyOf(cmd.correlation_id))) {
            await store.incidents.appendTimeline(cmd.correlation_id, [
              {
                at: result.timestamp,
                type: 'command',
                summary: `${cmd.tool} ${cmd.action} ${cmd.args.join(' ')}`.slice(0, 500) + ` → ${result.status}${result.error ? `: ${result.error}` : ''}`.slice(0, 1000),
                data: { command_id: cmd.id, issued_by: cmd.issued_by, status: result.status, output: result.output.slice(0, 4000) },
              },
            ]);
          }
        }
      },
      boundary,
    ),
  );

  logger.info({ streams: Object.values(STREAMS).map((s) => s.name) }, 'manager consuming');
  const metricsPipeline = await startMetricsPipeline({ config, bus, store, logger, metrics });
  incidents.start();
  deps.health.setComponent('manager', 'running');

  let stopped: Promise<void> | undefined;
  return {
    name: 'manager',
    incidents,
    stop() {
      stopped ??= (async () => {
        deps.health.setComponent('manager', 'stopping');
        liveness.stop();
        retention.stop();
        await Promise.all(subscriptions.map((s) => s.unsubscribe()));
        await batcher.flush();
        batcher.close();
        await incidents.stop();
        await metricsPipeline.stop();
        logger.info('manager stopped');
      })();
      return stopped;
    },
  };
}
