/**
 * The scenario format, `apiVersion: aetherius.io/v1`, `kind: Scenario` (docs/scenarios.md documents
 * every field). Kubernetes-style YAML, so keys are camelCase. Every object is strict: a misspelt key is
 * an error, never silently ignored. Durations (`30s`, `2m`, `1h`) and quantities (`500m`, `16Gi`) stay
 * strings as written; `durationMs`, `cpuMillicores` and `quantityBytes` convert them.
 */
import { z } from 'zod';
import { parseQuantity } from '../../core/kube/units.js';
import { DURATION_PATTERN, parseDuration } from '../../contracts/common.js';
import type { ContainerBehavior } from '../sim-context.js';
import { rootCauseType } from '../../contracts/root-cause-taxonomy.js';
import { remediationAction } from '../../contracts/remediation-actions.js';

// ---------------------------------------------------------------------------------------------- scalars

const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `30s`, `2m`, `1m30s`, `1.5h`, `500ms`: Go and Kubernetes durations, one grammar for the whole project. */
export const duration = z
  .string({ error: 'must be a duration such as 30s, 2m, 1m30s or 1h' })
  .regex(DURATION_PATTERN, { error: 'must be a duration such as 30s, 2m, 1m30s or 1h (units: ms, s, m, h)' });

/** Milliseconds of a duration string. @throws RangeError for a malformed duration (validated input never is). */
export function durationMs(text: string): number {
  return Math.round(parseDuration(text));
}

/** A Kubernetes quantity (`4`, `500m`, `16Gi`, `64Mi`); YAML numbers are accepted and kept as strings. */
export const quantity = z
  .union([z.string(), z.number().nonnegative()], { error: 'must be a quantity such as 500m, 2, 64Mi or 16Gi' })
  .transform((v) => String(v))
  .pipe(z.string().regex(QUANTITY, { error: 'must be a quantity such as 500m, 2, 64Mi or 16Gi' }));

/** The plain number a quantity stands for (`500m` → 0.5, `64Mi` → 67108864). @throws RangeError when malformed. */
export function quantityValue(text: string): number {
  const value = QUANTITY.test(text) ? parseQuantity(text) : undefined;
  if (value === undefined) throw new RangeError(`not a quantity: ${text}`);
  return value;
}

/** `500m` → 500, `2` → 2000. */
export function cpuMillicores(text: string): number {
  return Math.round(quantityValue(text) * 1000);
}

/** `64Mi` → 67108864. */
export function quantityBytes(text: string): number {
  return Math.round(quantityValue(text));
}

/** A Kubernetes object name (lowercase RFC 1123). */
export const name = z
  .string({ error: 'must be a name (lowercase letters, digits, - and .)' })
  .min(1)
  .max(253)
  .regex(DNS_NAME, { error: 'must be a lowercase RFC 1123 name: lowercase letters, digits, - and ., starting and ending with a letter or digit' });

/** YAML scalars where Kubernetes wants strings (label values, ConfigMap data): `version: 2` is "2". */
const stringish = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string' }).transform((v) => String(v));
const stringMap = z.record(z.string(), stringish);
const port = z.number({ error: 'must be a port number' }).int().min(1).max(65535);
const intOrName = z.union([port, z.string().min(1)], { error: 'must be a port number or a port name' });

// ------------------------------------------------------------------------------------------- behaviour

export const probeBehavior = z.union([z.enum(['pass', 'fail']), z.strictObject({ failAfter: duration })], {
  error: 'must be pass, fail or {failAfter: <duration>}',
});

/** What a simulated container does; every key optional (defaults in docs/scenarios.md). */
export const behaviorSchema = z.strictObject({
  startupSeconds: z.number().nonnegative().optional(),
  memory: z.strictObject({ baseMi: z.number().nonnegative().optional(), growthMiPerMinute: z.number().optional() }).optional(),
  cpu: z.strictObject({ millicores: z.number().nonnegative().optional() }).optional(),
  listensOn: z.array(port).optional(),
  requireEnv: z.array(z.string().min(1)).optional(),
  missingEnvLog: z.string().optional(),
  dependsOn: z.array(z.strictObject({ service: name, namespace: name.optional(), port: port.optional() })).optional(),
  dependencyErrorLog: z.string().optional(),
  exit: z.strictObject({ afterSeconds: z.number().nonnegative(), code: z.number().int().min(0).max(255) }).optional(),
  logs: z.array(z.string()).optional(),
  errorLogs: z.array(z.string()).optional(),
  logEverySeconds: z.number().positive().optional(),
  probes: z.strictObject({ liveness: probeBehavior.optional(), readiness: probeBehavior.optional() }).optional(),
  disk: z.strictObject({ volume: z.string().min(1), usedMi: z.number().nonnegative().optional(), growthMiPerMinute: z.number().optional() }).optional(),
  knownCommands: z.array(z.string().min(1)).optional(),
});
export type Behavior = z.infer<typeof behaviorSchema>;
// The engine hands behaviours to the kubelet as they are: the two types must stay compatible.
const _behaviorIsContainerBehavior: (b: Behavior) => ContainerBehavior = (b) => b;

// ------------------------------------------------------------------------------------------ containers

const resourceList = z.record(z.string(), quantity);
export const resourcesSchema = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

const keyRef = z.strictObject({ name, key: z.string().min(1), optional: z.boolean().optional() });
export const envVarSchema = z
  .strictObject({
    name: z.string().min(1),
    value: stringish.optional(),
    valueFrom: z
      .strictObject({ configMapKeyRef: keyRef.optional(), secretKeyRef: keyRef.optional() })
      .refine((v) => (v.configMapKeyRef ? 1 : 0) + (v.secretKeyRef ? 1 : 0) === 1, { error: 'needs exactly one of configMapKeyRef or secretKeyRef' })
      .optional(),
  })
  .refine((v) => v.value === undefined || v.valueFrom === undefined, { error: 'set either value or valueFrom, not both' });
export type EnvVar = z.infer<typeof envVarSchema>;

const envFromSchema = z
  .strictObject({
    configMapRef: z.strictObject({ name, optional: z.boolean().optional() }).optional(),
    secretRef: z.strictObject({ name, optional: z.boolean().optional() }).optional(),
    prefix: z.string().optional(),
  })
  .refine((v) => (v.configMapRef ? 1 : 0) + (v.secretRef ? 1 : 0) === 1, { error: 'needs exactly one of configMapRef or secretRef' });

const containerPort = z.union([port, z.strictObject({ containerPort: port, name: z.string().min(1).max(15).optional(), protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional() })], {
  error: 'must be a port number or {containerPort, name?, protocol?}',
});

export const probeSchema = z
  .strictObject({
    httpGet: z.strictObject({ path: z.string().default('/'), port: intOrName, scheme: z.enum(['HTTP', 'HTTPS']).optional() }).optional(),
    tcpSocket: z.strictObject({ port: intOrName }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    initialDelaySeconds: z.number().int().nonnegative().optional(),
    periodSeconds: z.number().int().positive().optional(),
    timeoutSeconds: z.number().int().positive().optional(),
    successThreshold: z.number().int().positive().optional(),
    failureThreshold: z.number().int().positive().optional(),
  })
  .refine((p) => (p.httpGet ? 1 : 0) + (p.tcpSocket ? 1 : 0) + (p.exec ? 1 : 0) === 1, { error: 'needs exactly one of httpGet, tcpSocket or exec' });
export type Probe = z.infer<typeof probeSchema>;

export const containerSchema = z.strictObject({
  name,
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  resources: resourcesSchema.optional(),
  env: z.array(envVarSchema).optional(),
  envFrom: z.array(envFromSchema).optional(),
  ports: z.array(containerPort).optional(),
  volumeMounts: z.array(z.strictObject({ name, mountPath: z.string().min(1), readOnly: z.boolean().optional(), subPath: z.string().optional() })).optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  behavior: behaviorSchema.optional(),
});
export type Container = z.infer<typeof containerSchema>;

// ------------------------------------------------------------------------------------------ scheduling

export const taintSchema = z.strictObject({ key: z.string().min(1), value: stringish.optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) });
export type Taint = z.infer<typeof taintSchema>;

export const tolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: stringish.optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});

const selectorRequirement = z.strictObject({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(stringish).optional(),
});
const nodeSelectorTerm = z.strictObject({ matchExpressions: z.array(selectorRequirement).optional(), matchFields: z.array(selectorRequirement).optional() });
const labelSelector = z.strictObject({ matchLabels: stringMap.optional(), matchExpressions: z.array(selectorRequirement).optional() });
const podAffinityTerm = z.strictObject({
  labelSelector: labelSelector.optional(),
  namespaces: z.array(name).optional(),
  topologyKey: z.string().min(1),
});
const podAffinity = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(z.strictObject({ weight: z.number().int().min(1).max(100), podAffinityTerm })).optional(),
});

/** The Kubernetes `affinity` shape. */
export const affinitySchema = z.strictObject({
  nodeAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: z.strictObject({ nodeSelectorTerms: z.array(nodeSelectorTerm).min(1) }).optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z.array(z.strictObject({ weight: z.number().int().min(1).max(100), preference: nodeSelectorTerm })).optional(),
    })
    .optional(),
  podAffinity: podAffinity.optional(),
  podAntiAffinity: podAffinity.optional(),
});

export const volumeSchema = z
  .strictObject({
    name,
    persistentVolumeClaim: z.strictObject({ claimName: name, readOnly: z.boolean().optional() }).optional(),
    configMap: z.strictObject({ name, optional: z.boolean().optional(), items: z.array(z.strictObject({ key: z.string(), path: z.string() })).optional() }).optional(),
    secret: z.strictObject({ secretName: name, optional: z.boolean().optional(), items: z.array(z.strictObject({ key: z.string(), path: z.string() })).optional() }).optional(),
    emptyDir: z.strictObject({ sizeLimit: quantity.optional(), medium: z.enum(['', 'Memory']).optional() }).optional(),
  })
  .refine((v) => [v.persistentVolumeClaim, v.configMap, v.secret, v.emptyDir].filter(Boolean).length === 1, {
    error: 'needs exactly one of persistentVolumeClaim, configMap, secret or emptyDir',
  });
export type Volume = z.infer<typeof volumeSchema>;

// ------------------------------------------------------------------------------------------- workloads

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
export const workloadKind = z.enum(WORKLOAD_KINDS);

export const workloadSchema = z.strictObject({
  kind: workloadKind,
  namespace: name.default('default'),
  name,
  /** Default 1 (ignored by DaemonSet, which runs one pod per node). */
  replicas: z.number().int().nonnegative().optional(),
  /** Pod labels and the selector. Default `{app: <name>}`. */
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  nodeSelector: stringMap.optional(),
  tolerations: z.array(tolerationSchema).optional(),
  affinity: affinitySchema.optional(),
  volumes: z.array(volumeSchema).optional(),
  /** StatefulSet only: one claim per pod. */
  volumeClaimTemplates: z.array(z.strictObject({ name, storageClassName: name.optional(), size: quantity, accessModes: z.array(z.string()).optional() })).optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  terminationGracePeriodSeconds: z.number().int().nonnegative().optional(),
  /** Deployment: rolling-update knobs (Kubernetes defaults 25% / 25%). */
  strategy: z
    .strictObject({
      type: z.enum(['RollingUpdate', 'Recreate']).optional(),
      maxUnavailable: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+%$/)]).optional(),
      maxSurge: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+%$/)]).optional(),
    })
    .optional(),
  progressDeadlineSeconds: z.number().int().positive().optional(),
  minReadySeconds: z.number().int().nonnegative().optional(),
  /** Job / CronJob. */
  backoffLimit: z.number().int().nonnegative().optional(),
  completions: z.number().int().positive().optional(),
  parallelism: z.number().int().nonnegative().optional(),
  activeDeadlineSeconds: z.number().int().positive().optional(),
  /** CronJob only, e.g. `*\/5 * * * *`. */
  schedule: z.string().min(1).optional(),
  hpa: z
    .strictObject({
      minReplicas: z.number().int().positive().optional(),
      maxReplicas: z.number().int().positive(),
      targetCPUUtilization: z.number().int().positive().max(1000).optional(),
    })
    .optional(),
  containers: z.array(containerSchema).min(1, { error: 'a workload needs at least one container' }),
});
export type Workload = z.infer<typeof workloadSchema>;

// ------------------------------------------------------------------------------------- cluster objects

export const nodeSchema = z.strictObject({
  name,
  cpu: quantity.default('4'),
  memory: quantity.default('16Gi'),
  pods: z.number().int().positive().default(110),
  ephemeralStorage: quantity.default('100Gi'),
  labels: stringMap.optional(),
  taints: z.array(taintSchema).optional(),
  unschedulable: z.boolean().optional(),
});
export type ScenarioNode = z.infer<typeof nodeSchema>;

const namespaced = { namespace: name.default('default'), name };

export const configMapSchema = z.strictObject({ ...namespaced, data: stringMap.default({}) });
export const secretSchema = z.strictObject({ ...namespaced, type: z.string().optional(), data: stringMap.default({}) });
export const storageClassSchema = z.strictObject({
  name,
  provisioner: z.string().min(1),
  default: z.boolean().optional(),
  allowVolumeExpansion: z.boolean().optional(),
  volumeBindingMode: z.enum(['Immediate', 'WaitForFirstConsumer']).optional(),
  reclaimPolicy: z.enum(['Delete', 'Retain']).optional(),
});
export const pvcSchema = z.strictObject({ ...namespaced, storageClassName: name.optional(), size: quantity, accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])).optional() });
export const resourceQuotaSchema = z.strictObject({ ...namespaced, hard: z.record(z.string(), quantity) });
const peer = z.strictObject({ podSelector: stringMap.optional(), namespaceSelector: stringMap.optional() });
export const networkPolicySchema = z.strictObject({
  ...namespaced,
  /** Labels of the pods the policy applies to; `{}` = every pod in the namespace. */
  podSelector: stringMap.default({}),
  /** Allowed ingress sources; `[]` or absent = deny all ingress. */
  ingressFrom: z.array(peer).optional(),
  /** Allowed egress destinations; absent = egress not restricted, `[]` = deny all egress. */
  egressTo: z.array(peer).optional(),
});
export const serviceSchema = z.strictObject({
  ...namespaced,
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
  clusterIP: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/).optional(),
  selector: stringMap.default({}),
  port,
  /** Default: `port`. */
  targetPort: intOrName.optional(),
  portName: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
});
export type ScenarioService = z.infer<typeof serviceSchema>;

// ---------------------------------------------------------------------------------------------- faults

export const workloadTarget = z.strictObject({ kind: workloadKind, namespace: name.default('default'), name, container: name.optional() });
export type WorkloadTarget = z.infer<typeof workloadTarget>;
export const nodeTarget = z.strictObject({ kind: z.literal('Node'), name });
export const serviceTarget = z.strictObject({ kind: z.literal('Service'), namespace: name.default('default'), name });
export const configMapTarget = z.strictObject({ kind: z.literal('ConfigMap'), namespace: name.default('default'), name });
export const secretTarget = z.strictObject({ kind: z.literal('Secret'), namespace: name.default('default'), name });

const noValue = z.strictObject({}).optional();
const active = z.strictObject({ active: z.boolean().default(true) }).optional();
const at = duration;

function fault<A extends string, T extends z.ZodType, V extends z.ZodType>(action: A, target: T, value: V) {
  return z.strictObject({ at, action: z.literal(action), target, value, description: z.string().optional() });
}

export const FAULT_ACTIONS = [
  'set-image', 'set-env', 'unset-env', 'set-resources', 'set-behavior', 'delete-configmap', 'delete-secret',
  'delete-pod', 'scale', 'node-not-ready', 'node-ready', 'node-disk-pressure', 'node-memory-pressure',
  'cordon', 'uncordon', 'break-service', 'restore-service', 'set-probe', 'add-error-logs',
] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export const faultSchema = z.discriminatedUnion('action', [
  fault('set-image', workloadTarget, z.strictObject({ image: z.string().min(1), behavior: behaviorSchema.optional() })),
  fault('set-env', workloadTarget, envVarSchema),
  fault('unset-env', workloadTarget, z.strictObject({ name: z.string().min(1) })),
  fault(
    'set-resources',
    workloadTarget,
    resourcesSchema.refine((r) => r.requests !== undefined || r.limits !== undefined, { error: 'needs requests or limits' }),
  ),
  fault('set-behavior', workloadTarget, behaviorSchema),
  fault('delete-configmap', configMapTarget, noValue),
  fault('delete-secret', secretTarget, noValue),
  fault('delete-pod', workloadTarget, noValue),
  fault('scale', workloadTarget, z.strictObject({ replicas: z.number().int().nonnegative() })),
  fault('node-not-ready', nodeTarget, noValue),
  fault('node-ready', nodeTarget, noValue),
  fault('node-disk-pressure', nodeTarget, active),
  fault('node-memory-pressure', nodeTarget, active),
  fault('cordon', nodeTarget, noValue),
  fault('uncordon', nodeTarget, noValue),
  fault('break-service', serviceTarget, z.strictObject({ selector: stringMap.optional(), targetPort: intOrName.optional() }).optional()),
  fault('restore-service', serviceTarget, noValue),
  fault(
    'set-probe',
    workloadTarget,
    z.strictObject({ liveness: probeBehavior.optional(), readiness: probeBehavior.optional() }).refine((v) => v.liveness !== undefined || v.readiness !== undefined, {
      error: 'needs liveness or readiness',
    }),
  ),
  fault('add-error-logs', workloadTarget, z.strictObject({ lines: z.array(z.string()).min(1), everySeconds: z.number().positive().optional() })),
]);
export type Fault = z.infer<typeof faultSchema>;

// ------------------------------------------------------------------------------------------ the whole

export const EXPECT_RESOURCE_KINDS = [...WORKLOAD_KINDS, 'Node', 'Service', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'ResourceQuota', 'NetworkPolicy', 'HorizontalPodAutoscaler', 'StorageClass'] as const;

export const expectSchema = z.strictObject({
  /** True: a noise scenario in which no incident may be opened. */
  healthy: z.boolean().default(false),
  rootCause: rootCauseType.optional(),
  acceptable: z.array(rootCauseType).default([]),
  resource: z.strictObject({ kind: z.enum(EXPECT_RESOURCE_KINDS), namespace: name.optional(), name }).optional(),
  remediation: remediationAction.optional(),
});
export type ScenarioExpect = z.infer<typeof expectSchema>;

export const scenarioSpecSchema = z.strictObject({
  clusterId: z.string().min(1).optional(),
  /** Simulated seconds per wall second for `aetherius sim`. Default 1. */
  speed: z.number().positive().optional(),
  duration,
  /** Seed of the simulation's random choices. Default 1. */
  seed: z.number().int().optional(),
  nodes: z.array(nodeSchema).min(1, { error: 'a cluster needs at least one node' }),
  namespaces: z.array(name).default([]),
  configMaps: z.array(configMapSchema).default([]),
  secrets: z.array(secretSchema).default([]),
  storageClasses: z.array(storageClassSchema).default([]),
  persistentVolumeClaims: z.array(pvcSchema).default([]),
  resourceQuotas: z.array(resourceQuotaSchema).default([]),
  networkPolicies: z.array(networkPolicySchema).default([]),
  services: z.array(serviceSchema).default([]),
  images: z.strictObject({ missing: z.array(z.string()).default([]), unauthorized: z.array(z.string()).default([]) }).default({ missing: [], unauthorized: [] }),
  workloads: z.array(workloadSchema).default([]),
  faults: z.array(faultSchema).default([]),
  expect: expectSchema,
});
export type ScenarioSpec = z.infer<typeof scenarioSpecSchema>;

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal('aetherius.io/v1'),
  kind: z.literal('Scenario'),
  metadata: z.strictObject({ name, description: z.string().default(''), labels: stringMap.optional() }),
  spec: scenarioSpecSchema,
});
export type Scenario = z.infer<typeof scenarioSchema>;

/** The pod-template kinds whose template a fault may change: a Job's template is immutable. */
export const TEMPLATE_MUTABLE_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];

/** Default labels of a workload: its own, else `{app: <name>}`. */
export function workloadLabels(w: Pick<Workload, 'labels' | 'name'>): Record<string, string> {
  return w.labels && Object.keys(w.labels).length ? w.labels : { app: w.name };
}
