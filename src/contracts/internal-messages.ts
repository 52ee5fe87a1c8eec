/**
 * Messages on the internal bus (`internal.*`): agent-manager to orchestrator and reasoning. Field names
 * follow the architecture's "内部事件总线格式" examples. As on the agent subjects, unknown fields are
 * stripped and missing or mistyped known fields are rejected with the field path.
 */
import { z } from 'zod';
import type { INTERNAL_SUBJECTS } from './subjects.js';
import { agentResult, eventCategory, objectRef } from './agent-messages.js';
import { clusterId, duration, id, schemaVersion, severity, timestamp } from './common.js';
import { incidentChange } from './incidents.js';

const MAX_TEXT_CHARS = 32_768;

/**
 * Free-form facts for people and for the reasoning service. Keys are bounded; values are whatever
 * JSON the producer sends, bounded as a whole by the bus's maximum payload.
 */
const details = z.record(z.string().max(256), z.unknown());

const labelSet = z.record(z.string().min(1).max(317), z.string().max(1024));

// ---- internal.event.critical -------------------------------------------------------------------

/** An event the manager judged to need a response now; the orchestrator starts a workflow for it. */
export const criticalEvent = z.object({
  schema_version: schemaVersion,
  /** The agent event that triggered this one. */
  event_id: id,
  cluster_id: clusterId,
  timestamp,
  severity,
  category: eventCategory,
  /** The object the event is about; namespace is absent for cluster-scoped objects. */
  resource: objectRef,
  /** The Kubernetes reason, e.g. `CrashLoopBackOff`, so strategies can match without reading details. */
  reason: z.string().min(1).max(128).optional(),
  details: details.default({}),
  /** A workflow the manager proposes; the orchestrator matches its own strategies when absent. */
  suggested_workflow: z.string().min(1).max(253).optional(),
  /** Set when the manager already attached the event to an open incident. */
  incident_id: id.optional(),
});
export type CriticalEvent = z.infer<typeof criticalEvent>;

// ---- internal.event.anomaly --------------------------------------------------------------------

/** A metric series left its expected band. */
export const anomalyEvent = z
  .object({
    schema_version: schemaVersion,
    id,
    cluster_id: clusterId,
    timestamp,
    series: z.object({
      /** Metric name, e.g. `pod_memory_usage_bytes`. */
      metric: z.string().min(1).max(256),
      /** What the series is about; other label pairs are kept as strings. */
      labels: z
        .object({
          kind: z.string().min(1).max(128).optional(),
          name: z.string().min(1).max(253).optional(),
          namespace: z.string().max(253).optional(),
          node: z.string().max(253).optional(),
        })
        .catchall(z.string().max(1024))
        .default({}),
    }),
    /** The observed value. */
    value: z.number(),
    /** What the detector expected at this point. */
    expected: z.number(),
    /** Distance from the expectation in standard deviations; its sign agrees with `direction`. */
    z_score: z.number(),
    direction: z.enum(['up', 'down']),
    severity,
    /** The span of history the expectation was learned over. */
    window: duration,
    /** Which detector fired, e.g. `ewma_zscore`. */
    detector: z.string().min(1).max(64),
    details: details.optional(),
  })
  .refine((a) => (a.direction === 'up' ? a.z_score >= 0 : a.z_score <= 0), {
    path: ['z_score'],
    message: 'must be >= 0 when direction is up and <= 0 when direction is down',
  });
export type AnomalyEvent = z.infer<typeof anomalyEvent>;

// ---- internal.event.slo_breach -----------------------------------------------------------------

/** A fraction in [0, 1]. */
const fraction = z.number().min(0).max(1);

/** An SLO burns its error budget faster than its alert allows (multi-window burn-rate alerting). */
export const sloBreachEvent = z.object({
  schema_version: schemaVersion,
  id,
  cluster_id: clusterId,
  timestamp,
  slo: z.object({
    name: z.string().min(1).max(253),
    workload: z.object({
      kind: z.string().min(1).max(128),
      name: z.string().min(1).max(253),
      namespace: z.string().max(253).optional(),
    }),
    /** Target success ratio, e.g. 0.999. Strictly between 0 and 1: an objective of 1 leaves no budget to burn. */
    objective: z.number().gt(0).lt(1),
    /** The SLO period, e.g. `720h`. */
    window: duration,
  }),
  /** Error-budget consumption rate: 1 spends exactly the budget over the SLO window. */
  burn_rate: z.number().nonnegative(),
  long_window: duration,
  short_window: duration,
  /** Share of the budget left in the SLO window; 0 once it is spent. */
  error_budget_remaining: fraction,
  severity,
});
export type SloBreachEvent = z.infer<typeof sloBreachEvent>;

// ---- internal.command.result -------------------------------------------------------------------

/** An agent's result, republished by the manager with who asked for it and why. */
export const internalCommandResult = agentResult.extend({
  /** Copied from the command, e.g. the workflow that issued it. */
  correlation_id: z.string().max(253).optional(),
  issued_by: z.string().min(1).max(253).optional(),
});
export type InternalCommandResult = z.infer<typeof internalCommandResult>;

// ---- internal.metrics.alert --------------------------------------------------------------------

/** An alert rule changed state, e.g. `AgentOffline` firing or resolved. */
export const metricsAlert = z.object({
  schema_version: schemaVersion,
  id,
  cluster_id: clusterId,
  timestamp,
  /** Rule name, e.g. `AgentOffline`. */
  alert: z.string().min(1).max(128),
  severity,
  status: z.enum(['firing', 'resolved']),
  resource: z
    .object({
      kind: z.string().min(1).max(128),
      name: z.string().min(1).max(253),
      namespace: z.string().max(253).optional(),
    })
    .partial()
    .optional(),
  summary: z.string().min(1).max(1024),
  description: z.string().max(MAX_TEXT_CHARS).default(''),
  labels: labelSet.default({}),
  /** The value that crossed the threshold, when there is one. */
  value: z.number().optional(),
});
export type MetricsAlert = z.infer<typeof metricsAlert>;

/** The schema for each internal subject, keyed like INTERNAL_SUBJECTS. */
export const INTERNAL_MESSAGE_SCHEMAS = {
  eventCritical: criticalEvent,
  eventAnomaly: anomalyEvent,
  eventSloBreach: sloBreachEvent,
  commandResult: internalCommandResult,
  metricsAlert,
  incidentChanged: incidentChange,
} as const satisfies Record<keyof typeof INTERNAL_SUBJECTS, z.ZodType>;
