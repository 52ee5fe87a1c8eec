/**
 * agent-manager, the part this issue lays down: it ensures the durable streams, registers agents,
 * tracks heartbeats, stores events (batched, deduplicated by id) and command results, and republishes
 * results on `internal.command.result`. Incidents, metrics storage and command dispatch arrive with
 * issue 5 and plug in here.
 *
 * Every message passes the validating boundary first: a malformed one is counted, dead-lettered and
 * acked, never crashing a consumer or poisoning a stream. An agent may only publish for the cluster in
 * its subject: a payload whose `cluster_id` differs is rejected the same way.
 */
import { type z } from 'zod';
import {
  INTERNAL_SUBJECTS,
  SCHEMA_VERSION,
  STREAMS,
  agentSubjectAllClusters,
  parseAgentSubject,
  schemaForSubject,
  type AgentEvent,
  type AgentHeartbeat,
  type AgentRegister,
  type AgentResult,
} from '../contracts/index.js';
import { consumeValidated, subscribeValidated, type Bus, type Subscription } from '../adapters/bus/index.js';
import type { AgentRecord, Store } from '../adapters/store/index.js';
import type { Health, Logger, Metrics } from '../adapters/telemetry/index.js';
import type { Config } from '../core/config/index.js';
import type { RunningService } from '../core/targets.js';
import { EventBatcher } from './event-batcher.js';
import { agentAlert, startAgentLiveness } from './agent-liveness.js';
import { startEventRetention } from './event-retention.js';

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
export async function startManager(deps: ManagerDeps): Promise<RunningService> {
  const { bus, store, metrics, config } = deps;
  const logger = deps.logger.child({ service: 'manager' });
  deps.health.setComponent('manager', 'starting');

  await bus.ensureStreams(Object.values(STREAMS).map((s) => ({ ...s, subjects: [...s.subjects] })));

  const lookup = sameClusterLookup();
  const boundary = { logger, metrics };
  const subscriptions: Subscription[] = [];
  const batcher = new EventBatcher(
    store.events,
    { batchSize: config.manager.ingest_batch_size, flushIntervalMs: config.manager.ingest_flush_interval },
    logger,
    metrics,
  );

  // A heartbeat or registration from an agent marked offline resolves its AgentOffline alert.
  const resolveOffline = async (agent: AgentRecord) => {
    logger.info({ agentId: agent.agent_id, clusterId: agent.cluster_id }, 'agent back online');
    const alert = agentAlert(agent, 'resolved', new Date());
    await bus.publish(INTERNAL_SUBJECTS.metricsAlert, alert, { msgId: `${alert.id}-resolved` });
  };
  const liveness = startAgentLiveness({ store, bus, logger, everyMs: config.manager.liveness_sweep_interval });
  const retention = startEventRetention({ store, logger, retentionMs: config.manager.event_retention, everyMs: config.manager.retention_interval });

  subscriptions.push(
    subscribeValidated<AgentRegister>(
      bus,
      agentSubjectAllClusters('register'),
      lookup,
      async (msg, raw) => {
        await store.clusters.ensure(msg.cluster_id);
        const before = await store.agents.get(msg.agent_id);
        const agent = await store.agents.upsertRegistration(msg);
        if (before?.status === 'offline') await resolveOffline(before);
        logger.info({ agentId: agent.agent_id, clusterId: agent.cluster_id, version: agent.version }, 'agent registered');
        raw.respond({ schema_version: SCHEMA_VERSION, accepted: true, agent_id: agent.agent_id });
      },
      { queue: MANAGER_QUEUE },
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
        if (previous === undefined) {
          metrics.rejectedMessages.inc({ subject: agentSubjectAllClusters('heartbeat'), reason: 'unknown_agent' });
          logger.warn({ agentId: msg.agent_id, clusterId: msg.cluster_id }, 'heartbeat from an unregistered agent ignored');
        }
      },
      { queue: MANAGER_QUEUE },
      boundary,
    ),
  );

  subscriptions.push(
    await consumeValidated<AgentEvent>(
      bus,
      {
        stream: STREAMS.events.name,
        durable: `${config.manager.consumer_name}-events`,
        ack: 'manual',
        // Long enough for a batch to fill, flush and be acked.
        ackWaitMs: Math.max(30_000, config.manager.ingest_flush_interval * 10),
        maxAckPending: Math.max(1000, config.manager.ingest_batch_size * 4),
      },
      lookup,
      (event, raw) => batcher.add(event, raw),
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
        }
      },
      boundary,
    ),
  );

  logger.info({ streams: Object.values(STREAMS).map((s) => s.name) }, 'manager consuming');
  logger.warn('metrics messages are kept in their stream but not stored yet: the metrics store arrives with issue 5');
  deps.health.setComponent('manager', 'running');

  let stopped: Promise<void> | undefined;
  return {
    name: 'manager',
    stop() {
      stopped ??= (async () => {
        deps.health.setComponent('manager', 'stopping');
        liveness.stop();
        retention.stop();
        await Promise.all(subscriptions.map((s) => s.unsubscribe()));
        await batcher.flush();
        logger.info('manager stopped');
      })();
      return stopped;
    },
  };
}

/**
 * The boundary's schema lookup, tightened so that the payload's `cluster_id` must equal the cluster in
 * the subject: an agent may only publish for its own cluster.
 */
function sameClusterLookup(): (subject: string) => z.ZodType | undefined {
  const cache = new Map<string, z.ZodType>();
  return (subject) => {
    const cached = cache.get(subject);
    if (cached) return cached;
    const schema = schemaForSubject(subject);
    const parsed = parseAgentSubject(subject);
    if (!schema || !parsed) return schema;
    const tightened = schema.superRefine((value, ctx) => {
      const clusterId = (value as { cluster_id?: unknown }).cluster_id;
      if (clusterId !== parsed.clusterId) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster_id'],
          message: `must equal the subject's cluster id ${JSON.stringify(parsed.clusterId)} (an agent may only publish for its own cluster)`,
        });
      }
    });
    if (cache.size < 10_000) cache.set(subject, tightened);
    return tightened;
  };
}
