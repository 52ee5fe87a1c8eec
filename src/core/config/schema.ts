/**
 * The configuration schema: one YAML file plus `AETHERIUS_*` environment variables, validated once,
 * frozen and injected. Every key carries its description here; docs/configuration.md and the
 * environment-variable names are derived from this schema (see describe.ts), so they cannot drift.
 *
 * Durations are written as Kubernetes and Go write them (`30s`, `1m30s`, `500ms`) and are parsed to
 * milliseconds.
 */
import { z } from 'zod';
import { CLUSTER_ID_PATTERN, DURATION_PATTERN, parseDuration } from '../../contracts/index.js';
import { metricsConfigSchema, prometheusConfigSchema } from './metrics-schema.js';
import { llmConfigSchema } from './llm-schema.js';

function durationKey(defaultValue: string, description: string) {
  return z
    .string({ error: 'must be a duration such as 30s, 1m30s or 500ms' })
    .regex(DURATION_PATTERN, 'must be a duration such as 30s, 1m30s or 500ms')
    .transform((text) => parseDuration(text))
    .prefault(defaultValue)
    .meta({ description, kind: 'duration' });
}

const port = (def: number, description: string) =>
  z.number({ error: 'must be a port number' }).int('must be an integer').min(0, 'must be 0-65535').max(65535, 'must be 0-65535').default(def).meta({ description });

const natsUrls = z
  .string()
  .refine(
    (s) => s === '' || s.split(',').every((u) => /^(nats|tls|ws|wss):\/\/[^\s/]+/.test(u.trim())),
    'must be empty or one or more comma-separated nats://, tls://, ws:// or wss:// URLs',
  );

const postgresUrl = z.string().refine((s) => s === '' || /^postgres(ql)?:\/\/\S+$/.test(s), 'must be empty or a postgres:// or postgresql:// URL');

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const configSchema = z.strictObject({
  log_level: logLevel.default('info').meta({ description: 'Log level for every target: trace, debug, info, warn, error, fatal or silent.' }),

  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1').meta({ description: 'Address the HTTP server (REST API, /health, /metrics) binds. Use 0.0.0.0 inside a cluster.' }),
      port: port(8080, 'HTTP port for the REST API, /health/live, /health/ready and /metrics. 0 picks a free port.'),
      request_timeout: durationKey('30s', 'Longest time an HTTP request may take before the server answers 503.'),
      body_limit: z.number().int().positive().default(1_048_576).meta({ description: 'Largest accepted request body in bytes.' }),
      max_streams: z.number().int().min(1).max(100_000).default(100).meta({ description: 'Live streams (GET /api/v1/stream, Server-Sent Events) one API process serves at once; more are refused with 429.' }),
    })
    .prefault({}),

  bus: z
    .strictObject({
      url: natsUrls.default('').meta({ description: 'NATS server URL(s), comma-separated. Empty: the embedded in-process bus (one process only).' }),
      namespace: z
        .string()
        .regex(/^([A-Za-z0-9_-]+)?$/, 'must be letters, digits, "-" or "_" only')
        .default('')
        .meta({ description: 'Prefix put before every subject and stream on the wire, to share one NATS server between tenants or test runs. Leave empty in production: subjects are then exactly aetherius.agent.{cluster_id}.*.' }),
      name: z.string().min(1).default('aetherius').meta({ description: 'Connection name shown by the NATS server.' }),
      credentials_file: z.string().default('').meta({ description: 'NATS credentials (.creds) file with the JWT and NKey seed.' }),
      user: z.string().default('').meta({ description: 'NATS user name (with bus.password).' }),
      password: z.string().default('').meta({ description: 'NATS password (with bus.user). Prefer the environment variable.', secret: true }),
      token: z.string().default('').meta({ description: 'NATS authentication token. Prefer the environment variable.', secret: true }),
      nkey_seed_file: z.string().default('').meta({ description: 'File holding a NATS NKey user seed (SU...); the server lists its public key (U...). See docs/security.md for per-agent permissions.' }),
      inbox_prefix: z
        .string()
        .regex(/^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)?$/, 'must be subject tokens (letters, digits, "-" or "_") separated by "."')
        .default('')
        .meta({ description: 'Prefix of reply subjects on NATS. Empty: _INBOX. Give each agent its own (_INBOX_<cluster_id>) so its NATS user may subscribe to its own replies only (docs/security.md).' }),
      tls: z
        .strictObject({
          ca_file: z.string().default('').meta({ description: 'CA certificate (PEM) that signed the NATS server certificate. Setting any TLS key turns TLS on.' }),
          cert_file: z.string().default('').meta({ description: 'Client certificate (PEM) for mutual TLS.' }),
          key_file: z.string().default('').meta({ description: 'Client private key (PEM) for mutual TLS.' }),
        })
        .prefault({}),
      reconnect_delay: durationKey('2s', 'Wait between reconnect attempts (with jitter).'),
      max_reconnect_attempts: z.number().int().min(-1).default(-1).meta({ description: 'Reconnect attempts before giving up; -1 retries forever.' }),
      request_timeout: durationKey('30s', 'Default time a request (e.g. a command to an agent) waits for its reply.'),
    })
    .prefault({}),

  database: z
    .strictObject({
      url: postgresUrl.default('').meta({ description: 'PostgreSQL URL. Empty: the embedded database (PGlite), which needs no server.' }),
      embedded_dir: z.string().default('').meta({ description: 'Directory where the embedded database keeps its files. Empty: in memory, lost on exit.' }),
      pool_max: z.number().int().min(1).max(1000).default(10).meta({ description: 'Largest number of PostgreSQL connections per process.' }),
      statement_timeout: durationKey('30s', 'PostgreSQL statement_timeout for every connection.'),
      connect_timeout: durationKey('10s', 'Time allowed to open a PostgreSQL connection.'),
      auto_migrate: z.boolean().default(true).meta({ description: 'Apply pending migrations when the manager starts. Turn off to run `aetherius migrate up` as a separate step.' }),
    })
    .prefault({}),

  agent: z
    .strictObject({
      cluster_id: z
        .string()
        .refine((s) => s === '' || CLUSTER_ID_PATTERN.test(s), 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit')
        .default('')
        .meta({ description: 'Id of the cluster this agent watches. Empty: detected (CLUSTER_ID env, aetherius-config ConfigMap, kube-system namespace uid, node labels).' }),
      central_endpoint: natsUrls.default('').meta({ description: 'NATS URL of the control plane the agent reports to. Empty: bus.url.' }),
      heartbeat_interval: durationKey('30s', 'How often the agent sends a heartbeat; the manager marks it offline after 3 missed.'),
      metrics_interval: durationKey('60s', 'How often the agent collects and sends metrics.'),
      service_endpoints_grace: durationKey('60s', 'How long a Service with a selector may have no ready endpoint (cluster time) before the agent reports ServiceHasNoEndpoints; a workload starting up gets this long from its newest pod.'),
      state_resync_interval: durationKey('5m', 'While a state-derived condition still holds (node NotReady, HPA at its maximum, Service without endpoints, ...), the agent re-emits its signal this often with raw_data.repeat counting up. 0s: never.'),
      cpu_throttling_ratio: z.number().gt(0).max(1).default(0.9).meta({ description: 'Share of its CPU limit at or above which a container counts as throttled (CPUThrottlingHigh after saturation_samples collections in a row).' }),
      memory_near_limit_ratio: z.number().gt(0).max(1).default(0.9).meta({ description: 'Share of its memory limit at or above which a container\'s working set counts as near it (MemoryNearLimit after saturation_samples collections in a row).' }),
      saturation_samples: z.number().int().min(1).max(100).default(2).meta({ description: 'Consecutive metrics collections a container must be at or above a saturation ratio before the signal (needs enable_metrics and metrics.k8s.io).' }),
      memory_growth_samples: z.number().int().min(2).max(100).default(6).meta({ description: 'MemoryGrowthTowardsLimit: consecutive metrics collections in which a container\'s working set must grow (with the two keys below).' }),
      memory_growth_horizon: durationKey('1h', 'MemoryGrowthTowardsLimit: fire when, at the pace of the growth, the working set reaches the memory limit within this long.'),
      buffer_size: z.number().int().min(1).max(10_000_000).default(1000).meta({ description: 'Events the agent keeps while the bus is unreachable.' }),
      event_batch_max: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(500)
        .meta({ description: 'Most events sent in one message on aetherius.agent.{cluster_id}.events (ADR 0016), within the bus\'s max payload. 1: one event per message on .event, as the architecture shows it.' }),
      event_batch_linger: durationKey('20ms', 'How long an event may wait for others to share its message (like Kafka\'s linger.ms): fewer, larger messages under a steady trickle, at most this much added latency. 0ms: only events ready at once share a message.'),
      enable_metrics: z.boolean().default(true).meta({ description: 'Collect and send metrics.' }),
      enable_events: z.boolean().default(true).meta({ description: 'Watch and send events.' }),
      journal_dir: z
        .string()
        .default('')
        .meta({ description: 'Directory of the on-disk journal that holds outbound messages beyond buffer_size while the bus is unreachable. Empty: a directory under the system temp dir named after the cluster id.' }),
      journal_max_bytes: z
        .number()
        .int()
        .min(1024)
        .default(256 * 1024 * 1024)
        .meta({ description: 'Largest size of the on-disk journal. When full, the oldest low-severity messages are dropped first (counted in aetherius_agent_events_dropped_total).' }),
      watcher: z
        .strictObject({
          namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (DNS-1123 label)')).default([]).meta({ description: 'Namespaces to watch. Empty: all namespaces (cluster-scoped kinds such as nodes are always watched).' }),
          event_types: z.array(z.enum(['Normal', 'Warning'])).default([]).meta({ description: 'Kubernetes event types to report. Empty: both. Severity comes from the reason table, not the type: kubelet records NodeNotReady as Normal.' }),
          reason_filters: z.array(z.string().min(1).max(128)).default([]).meta({ description: 'Only report these reasons (event reasons and state-derived reasons). Empty: every reason.' }),
          min_severity: z.enum(['low', 'medium', 'high', 'critical']).default('low').meta({ description: 'Lowest severity reported: low, medium, high or critical.' }),
          worker_count: z.number().int().min(1).max(64).default(5).meta({ description: 'Workers classifying and converting watch notifications.' }),
          buffer_size: z.number().int().min(1).max(1_000_000).default(1000).meta({ description: 'Watch notifications queued for the workers before informers are paused.' }),
          resync_period: durationKey('30m', 'How often informers relist everything to repair anything a watch missed. 0s: never.'),
          sync_timeout: durationKey('60s', 'How long the agent waits at start for its informers to sync before it runs anyway, not ready, naming the resources still missing (e.g. forbidden by RBAC).'),
        })
        .prefault({}),
      commands: z
        .strictObject({
          timeout: durationKey('30s', 'Default and longest time a diagnostic command may run; a command asking for more gets this.'),
          max_output_bytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(1024 * 1024).meta({ description: 'Largest command output sent back; longer output is truncated with a marker.' }),
          rate_per_minute: z.number().int().min(1).max(100_000).default(120).meta({ description: 'Commands accepted per minute by this agent (token bucket); more are rejected with reason rate_limited.' }),
          max_concurrent: z.number().int().min(1).max(256).default(4).meta({ description: 'Commands running at once; more are rejected with reason concurrency_limited.' }),
        })
        .prefault({}),
      log_scan: z
        .strictObject({
          enabled: z.boolean().default(true).meta({ description: 'Read recent container logs of running pods and report error storms (expired certificates, upstream 429s, exhausted pools, …) as events (docs/agent.md, Error-log signals).' }),
          interval: durationKey('30s', 'How often a log-scan cycle runs; each cycle reads the next pods_per_cycle running pods, round-robin.'),
          pods_per_cycle: z.number().int().min(1).max(10_000).default(150).meta({ description: 'Pods whose running containers are read per cycle (one log request per container, within kube.qps).' }),
          window: durationKey('5m', 'Error records count towards a signal for this long, in log time; also the longest look-back of a read and the shortest gap between two signals of one container.'),
          min_errors: z.number().int().min(2).max(50).default(5).meta({ description: 'Error occurrences within the window that make a signal (records of one class within the same second count once).' }),
          max_bytes_per_read: z.number().int().min(1024).max(4 * 1024 * 1024).default(64 * 1024).meta({ description: 'Largest log read per container (limitBytes).' }),
          max_lines_per_read: z.number().int().min(10).max(100_000).default(500).meta({ description: 'Newest lines read per container (tailLines).' }),
        })
        .prefault({}),
    })
    .prefault({}),

  kube: z
    .strictObject({
      kubeconfig: z.string().default('').meta({ description: 'Kubeconfig file the agent uses outside a cluster. Empty: the in-cluster ServiceAccount when present, else KUBECONFIG, else ~/.kube/config.' }),
      context: z.string().default('').meta({ description: 'Kubeconfig context. Empty: the current-context.' }),
      qps: z.number().positive().max(10_000).default(50).meta({ description: 'Steady requests per second the agent sends to the Kubernetes API (watches excluded).' }),
      burst: z.number().int().min(1).max(100_000).default(100).meta({ description: 'Requests the agent may send at once above qps.' }),
    })
    .prefault({}),

  remediation: z
    .strictObject({
      enabled: z.boolean().default(false).meta({ description: 'Allow write actions (patch, scale, rollout undo, delete pod, cordon, drain). Even then each command needs an approval token signed by the control plane.' }),
      approval_key: z.string().default('').meta({ description: 'Shared HMAC key that signs and verifies approval tokens (at least 32 characters). Prefer approval_key_file or the AETHERIUS_REMEDIATION_APPROVAL_KEY variable over the file.', secret: true }),
      approval_key_file: z.string().default('').meta({ description: 'File holding the approval key (e.g. a mounted Secret). Used when approval_key is empty.' }),
    })
    .prefault({}),

  manager: z
    .strictObject({
      consumer_name: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "-" or "_" only')
        .default('aetherius-manager')
        .meta({ description: 'Durable consumer name shared by every manager replica; replicas with the same name split the work.' }),
      ingest_batch_size: z.number().int().min(1).max(10_000).default(500).meta({ description: 'Events written to the database in one statement.' }),
      ingest_flush_interval: durationKey('50ms', 'Longest time an accepted event waits for its batch to fill before it is written (at high rates batches fill first).'),
      ingest_concurrency: z.number().int().min(1).max(16).default(2).meta({ description: 'Event batches one manager writes to the database at once (each on its own connection); more use more database cores.' }),
      event_aggregation_window: z
        .string({ error: 'must be a duration such as 30s, 1m30s or 500ms' })
        .regex(DURATION_PATTERN, 'must be a duration such as 30s, 1m30s or 500ms')
        .transform((text) => parseDuration(text))
        .refine((ms) => ms <= 3_600_000, 'must be at most 1h')
        .prefault('10m')
        .meta({
          description:
            'Repeats of an event (same cluster, involved object and reason) within windows of this length are stored as one event with a count and first/last timestamps. At most 1h; 0s stores every event on its own.',
          kind: 'duration',
        }),
      event_retention: durationKey('720h', 'How long stored events are kept (by their last occurrence), and resolved incidents (by resolution time); older ones are deleted by a job every retention_interval. 0s: keep forever.'),
      retention_interval: durationKey('1h', 'How often the retention job runs.'),
      liveness_sweep_interval: durationKey('5s', 'How often the manager looks for agents that missed 3 heartbeats (of their own interval) and marks them offline.'),
      commands_per_cluster: z.number().int().min(1).max(1000).default(8).meta({ description: 'Commands (POST /api/v1/commands) running at once per cluster in one API process; more are refused with 429.' }),
      command_timeout_max: durationKey('5m', "Longest a command may wait for its agent's answer; a command asking for more gets this."),
      incident_group_wait: durationKey('90s', 'A group of signals that fires waits this long (event time) for related groups before its incident opens, so a cascade opens one incident.'),
      incident_correlation_window: durationKey('10m', 'Groups that start failing this close together (event time) are correlated: same namespace, a node and its pods, or a Service with no endpoints and its clients.'),
      incident_persist: durationKey('60s', 'High-severity signals open an incident only when two or more span at least this long (a start-up instant is noise).'),
      incident_sustain: durationKey('5m', 'Medium-severity signals open an incident only when three or more keep coming for this long (a probe blip is noise).'),
      incident_resolve_after: durationKey('10m', 'An open incident resolves automatically after this long without a signal of medium or higher severity.'),
    })
    .prefault({}),

  metrics: metricsConfigSchema,

  prometheus: prometheusConfigSchema,

  llm: llmConfigSchema,

  reasoning: z
    .strictObject({
      rules_dir: z
        .string()
        .default('')
        .meta({ description: 'Directory of root-cause rule files (one YAML file per cause, docs/rules.md). Empty: the built-in rules/.' }),
      min_confidence: z
        .number()
        .min(0)
        .max(1)
        .default(0.7)
        .meta({ description: 'A root cause below this confidence is answered as partial (the best guess, not a diagnosis), unless a request sets options.min_confidence.' }),
      request_timeout: durationKey('30s', 'Longest an API call to POST /api/v1/analyze/* waits for the reasoning service over the bus.'),
      api_url: z
        .string()
        .default('')
        .meta({ description: "Base URL of the API whose POST /api/v1/commands the reasoning service uses to gather an incident's context (read-only kubectl get/logs on the cluster's agent). Empty: this process's own server (target all or reasoning,api)." }),
      diagnose_incidents: z.boolean().default(true).meta({ description: 'Diagnose incidents as they open and grow, and store the result on the incident (root_cause, diagnosis).' }),
      diagnosis_interval: durationKey('30s', 'An incident is diagnosed again at most this often while it grows (sooner when its severity changes).'),
    })
    .prefault({}),

  tracing: z
    .strictObject({
      exporter: z.enum(['none', 'console', 'otlp']).default('none').meta({ description: 'Where OpenTelemetry spans go: none (hooks only, no cost), console, or otlp (HTTP/protobuf).' }),
      otlp_endpoint: z.url().default('http://127.0.0.1:4318/v1/traces').meta({ description: 'OTLP/HTTP traces endpoint when tracing.exporter is otlp.' }),
      sample_ratio: z.number().min(0).max(1).default(1).meta({ description: 'Fraction of root traces sampled (0-1).' }),
    })
    .prefault({}),
});

/** The validated, frozen configuration every service receives. Durations are milliseconds. */
export type Config = z.output<typeof configSchema>;
/** What a config file may contain (everything optional). */
export type ConfigInput = z.input<typeof configSchema>;
