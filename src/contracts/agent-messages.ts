/**
 * Messages on `aetherius.agent.{cluster_id}.*`, field names exactly as in the architecture's JSON
 * examples. Unknown fields are ignored (stripped) so older consumers accept newer producers; missing or
 * mistyped known fields are rejected with the field path.
 */
import { z } from 'zod';
import type { AgentMessageKind } from './subjects.js';
import { clusterId, duration, id, schemaVersion, severity, stringMap, timestamp } from './common.js';
import { toValidationIssues } from './validate.js';

const MAX_MESSAGE_CHARS = 32_768;
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;

/** Categories an agent assigns from its classification table (docs/event-reasons.md). */
export const eventCategory = z.enum(['pod_failure', 'scheduling', 'image', 'storage', 'node', 'network', 'config', 'scaling', 'job', 'application']);
export type EventCategory = z.infer<typeof eventCategory>;

export const objectRef = z.object({
  kind: z.string().min(1).max(128),
  name: z.string().min(1).max(253),
  namespace: z.string().max(253).optional(),
  uid: z.string().max(128).optional(),
  api_version: z.string().max(128).optional(),
});
export type ObjectRef = z.infer<typeof objectRef>;

// ---- register ----------------------------------------------------------------------------------

export const agentRegister = z.object({
  schema_version: schemaVersion,
  agent_id: id,
  cluster_id: clusterId,
  timestamp,
  /** Agent build version. */
  version: z.string().min(1).max(64),
  hostname: z.string().max(253).optional(),
  kubernetes_version: z.string().max(64).optional(),
  /** What this agent can do, e.g. `events`, `metrics`, `commands`. */
  capabilities: z.array(z.string().max(64)).max(64).default([]),
  labels: stringMap.optional(),
  /** The agent's effective intervals, so the manager can judge missed heartbeats. */
  config: z
    .object({
      heartbeat_interval: duration,
      metrics_interval: duration,
      buffer_size: z.number().int().positive(),
      enable_metrics: z.boolean(),
      enable_events: z.boolean(),
    })
    .partial()
    .optional(),
});
export type AgentRegister = z.infer<typeof agentRegister>;

// ---- heartbeat ---------------------------------------------------------------------------------

export const agentHeartbeat = z.object({
  schema_version: schemaVersion,
  agent_id: id,
  cluster_id: clusterId,
  timestamp,
  status: z.enum(['healthy', 'degraded']),
  uptime_seconds: z.number().nonnegative().optional(),
  stats: z
    .object({
      events_sent: z.number().int().nonnegative(),
      events_buffered: z.number().int().nonnegative(),
      events_dropped: z.number().int().nonnegative(),
      commands_executed: z.number().int().nonnegative(),
    })
    .partial()
    .optional(),
});
export type AgentHeartbeat = z.infer<typeof agentHeartbeat>;

// ---- event -------------------------------------------------------------------------------------

export const agentEvent = z.object({
  schema_version: schemaVersion,
  id,
  cluster_id: clusterId,
  timestamp,
  /** `k8s_event` for a Kubernetes Event; `state_change` for a signal derived from object state. */
  type: z.enum(['k8s_event', 'state_change']),
  source: z.string().min(1).max(128),
  severity,
  reason: z.string().min(1).max(128),
  message: z.string().max(MAX_MESSAGE_CHARS),
  /** Empty for cluster-scoped objects (nodes, PVs). */
  namespace: z.string().max(253),
  labels: z
    .object({
      kind: z.string().min(1).max(128),
      name: z.string().min(1).max(253),
      node: z.string().max(253).optional(),
    })
    .catchall(z.string().max(1024)),
  raw_data: z
    .object({
      count: z.number().int().min(1),
      first_timestamp: timestamp,
      last_timestamp: timestamp,
    })
    .catchall(z.unknown()),
  category: eventCategory.optional(),
  /** The object the event is about, with its uid so the control plane can correlate without an API call. */
  involved_object: objectRef.optional(),
  /** Owner chain, nearest first (Pod → ReplicaSet → Deployment). */
  owners: z.array(objectRef).max(16).optional(),
});
export type AgentEvent = z.infer<typeof agentEvent>;

// ---- metrics -----------------------------------------------------------------------------------

const percent = z.number().min(0).max(100_000); // usage can exceed 100% of requests; bounded against garbage
const count = z.number().int().nonnegative();
const quantity = z.number().nonnegative();

export const clusterMetrics = z.object({
  total_nodes: count,
  ready_nodes: count,
  total_pods: count,
  running_pods: count,
  pending_pods: count.optional(),
  failed_pods: count.optional(),
  cpu_usage_percent: percent.optional(),
  memory_usage_percent: percent.optional(),
});

export const nodeMetrics = z.object({
  name: z.string().min(1).max(253),
  ready: z.boolean(),
  pod_count: count,
  cpu_usage_percent: percent.optional(),
  memory_usage_percent: percent.optional(),
  cpu_usage_millicores: quantity.optional(),
  memory_usage_bytes: quantity.optional(),
  cpu_allocatable_millicores: quantity.optional(),
  memory_allocatable_bytes: quantity.optional(),
  /** Condition type → status (`True`, `False`, `Unknown`). */
  conditions: stringMap.default({}),
});

export const podMetrics = z.object({
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  node: z.string().max(253).optional(),
  phase: z.string().max(32),
  ready: z.boolean().optional(),
  restarts: count,
  cpu_usage_millicores: quantity.optional(),
  memory_usage_bytes: quantity.optional(),
  cpu_request_millicores: quantity.optional(),
  cpu_limit_millicores: quantity.optional(),
  memory_request_bytes: quantity.optional(),
  memory_limit_bytes: quantity.optional(),
});

export const namespaceMetrics = z.object({
  namespace: z.string().min(1).max(253),
  total_pods: count,
  running_pods: count,
  pending_pods: count.optional(),
  failed_pods: count.optional(),
  restarts: count.optional(),
  cpu_usage_millicores: quantity.optional(),
  memory_usage_bytes: quantity.optional(),
});

export const agentMetrics = z.object({
  schema_version: schemaVersion,
  cluster_id: clusterId,
  timestamp,
  cluster_metrics: clusterMetrics,
  node_metrics: z.array(nodeMetrics).max(10_000).default([]),
  pod_metrics: z.array(podMetrics).max(200_000).default([]),
  namespace_metrics: z.array(namespaceMetrics).max(10_000).default([]),
  /**
   * Set when one collection was split to fit the bus's message size limit (a NATS server's max_payload,
   * 1 MiB by default; a 5,000-pod cluster's pod metrics are larger): every part repeats
   * `cluster_metrics`, the first carries node and namespace metrics, and `pod_metrics` is divided.
   */
  part: z.object({ collection_id: z.string().min(1).max(253), index: z.number().int().nonnegative(), total: z.number().int().positive() }).optional(),
});
export type AgentMetrics = z.infer<typeof agentMetrics>;
export type NodeMetrics = z.infer<typeof nodeMetrics>;
export type PodMetrics = z.infer<typeof podMetrics>;
export type NamespaceMetrics = z.infer<typeof namespaceMetrics>;

// ---- command -----------------------------------------------------------------------------------

export const agentCommand = z.object({
  schema_version: schemaVersion,
  id,
  cluster_id: clusterId,
  /** `diagnostic` commands are read-only; `remediation` needs explicit configuration and approval. */
  type: z.enum(['diagnostic', 'remediation']),
  tool: z.string().min(1).max(64),
  action: z.string().min(1).max(64),
  args: z.array(z.string().max(4096)).max(64).default([]),
  namespace: z.string().max(253).optional(),
  timeout: duration.default('30s'),
  issued_by: z.string().min(1).max(253),
  correlation_id: z.string().max(253).optional(),
  timestamp: timestamp.optional(),
  /** Approval token for a `remediation` command, signed by the control plane (docs/commands.md). */
  approval: z.string().max(4096).optional(),
});
export type AgentCommand = z.infer<typeof agentCommand>;

// ---- result ------------------------------------------------------------------------------------

export const commandStatus = z.enum(['success', 'error', 'rejected', 'timeout']);
export type CommandStatus = z.infer<typeof commandStatus>;

export const agentResult = z.object({
  schema_version: schemaVersion,
  command_id: id,
  cluster_id: clusterId,
  status: commandStatus,
  exit_code: z.number().int(),
  output: z.string().max(MAX_OUTPUT_CHARS),
  error: z.string().max(MAX_MESSAGE_CHARS).default(''),
  execution_time: duration,
  timestamp,
  /** True when `output` was cut to fit the size limit. */
  truncated: z.boolean().optional(),
});
export type AgentResult = z.infer<typeof agentResult>;

// ---- events (a batch) ---------------------------------------------------------------------------

/** Most events one `events` message may carry. */
export const MAX_EVENTS_PER_BATCH = 1000;

/**
 * Several events in one message on `aetherius.agent.{cluster_id}.events` (ADR 0016). The envelope is
 * validated here; each element is validated on its own by the consumer against `agentEvent`, so that
 * one bad event is dead-lettered alone and its batch-mates are stored.
 */
export const agentEventBatch = z.object({
  schema_version: schemaVersion,
  cluster_id: clusterId,
  agent_id: id.optional(),
  events: z
    .array(z.unknown())
    .min(1, 'must hold at least one event')
    .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events`),
});
export type AgentEventBatch = z.infer<typeof agentEventBatch>;

export interface EventBatchParts {
  valid: AgentEvent[];
  /** Each invalid element, with a detail naming `events[i].field` and the problem. */
  invalid: { index: number; element: unknown; detail: string }[];
}

/** Validates each event of a batch on its own; an event must carry the batch's cluster id. Never throws. */
export function splitEventBatch(batch: AgentEventBatch): EventBatchParts {
  const parts: EventBatchParts = { valid: [], invalid: [] };
  for (const [index, element] of batch.events.entries()) {
    const parsed = agentEvent.safeParse(element);
    if (!parsed.success) {
      const detail = toValidationIssues(parsed.error)
        .map((i) => `events[${index}].${i.path}: ${i.message}`)
        .join('; ');
      parts.invalid.push({ index, element, detail });
    } else if (parsed.data.cluster_id !== batch.cluster_id) {
      parts.invalid.push({ index, element, detail: `events[${index}].cluster_id: must equal the batch's cluster id ${JSON.stringify(batch.cluster_id)}` });
    } else {
      parts.valid.push(parsed.data);
    }
  }
  return parts;
}

/** The schema for each agent subject kind. */
export const AGENT_MESSAGE_SCHEMAS = {
  register: agentRegister,
  heartbeat: agentHeartbeat,
  event: agentEvent,
  events: agentEventBatch,
  metrics: agentMetrics,
  command: agentCommand,
  result: agentResult,
} as const satisfies Record<AgentMessageKind, z.ZodType>;
