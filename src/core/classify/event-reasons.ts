/**
 * The classification table: every Kubernetes event reason, container-state reason and state-derived
 * signal reason the agent knows, with the severity and category an SRE would give it. Data only; the
 * classifier (classify.ts) compiles it once at load and docs/event-reasons.md is generated from it.
 *
 * Severity never follows the event type: the kubelet records NodeNotReady and NodeHasDiskPressure as
 * `Normal`, the PV controller records FailedBinding as `Normal`, and a `Warning` can be routine.
 */
import type { EventCategory } from '../../contracts/agent-messages.js';
import type { Severity } from '../../contracts/common.js';

/** The components that produce reasons (documentation and the `source` of a classification). */
export const REASON_SOURCES = [
  'kubelet',
  'scheduler',
  'node-controller',
  'controller-manager',
  'hpa',
  'volume',
  'endpoints',
  'node-problem-detector',
  'container-state',
  'agent',
  'container-logs',
] as const;
export type ReasonSource = (typeof REASON_SOURCES)[number];

/**
 * A refinement of an entry that applies when the involved object's kind and/or the message match.
 * Variants are tried in order; the first whose conditions all hold wins.
 */
export interface ReasonVariant {
  /** Involved-object kinds the variant applies to; absent: any kind. */
  readonly kinds?: readonly string[];
  /** Regular expression (case-insensitive, searched anywhere) the message must match; absent: any message. */
  readonly message?: string;
  readonly severity?: Severity;
  readonly category?: EventCategory;
  readonly source?: ReasonSource;
  /** What the refined case means, one line. */
  readonly description: string;
}

export interface ReasonEntry {
  /** The reason exactly as Kubernetes (or the agent) writes it. */
  readonly reason: string;
  readonly severity: Severity;
  readonly category: EventCategory;
  readonly source: ReasonSource;
  /** What it means for an SRE, one line. */
  readonly description: string;
  readonly variants?: readonly ReasonVariant[];
}

const WORKLOAD_JOB_KINDS = ['Job', 'CronJob'] as const;

// Message patterns shared by several reasons. Image first: a config error can name a pull secret
// ("secret \"regcred\" not found"), so "pull" alone must not decide the image case.
const IMAGE_MESSAGE = String.raw`ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|Failed to pull image|pulling image|pull access denied|not present with pull policy`;
const CONFIG_MESSAGE = String.raw`CreateContainerConfigError|configmap|secret|couldn't find key`;
const QUOTA_MESSAGE = String.raw`exceeded quota|is forbidden|admission webhook|denied the request|must specify limits|must specify requests`;

export const EVENT_REASONS: readonly ReasonEntry[] = [
  // ---- kubelet: pods and containers --------------------------------------------------------------
  {
    reason: 'BackOff',
    severity: 'high',
    category: 'pod_failure',
    source: 'kubelet',
    description: 'The kubelet is backing off before retrying a failed operation on a container.',
    variants: [
      { message: 'pulling image', category: 'image', description: 'Back-off pulling image: the image cannot be pulled; the kubelet retries with growing delays.' },
      { message: 'restarting failed container', category: 'pod_failure', description: 'Back-off restarting failed container: the container keeps exiting (CrashLoopBackOff).' },
    ],
  },
  {
    reason: 'Failed',
    severity: 'high',
    category: 'pod_failure',
    source: 'kubelet',
    description: 'The kubelet failed to pull, create or start a container; the message names the error.',
    variants: [
      { message: IMAGE_MESSAGE, category: 'image', description: 'The image could not be pulled (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName).' },
      { message: CONFIG_MESSAGE, category: 'config', description: 'The container config references a ConfigMap, Secret or key that does not exist (CreateContainerConfigError).' },
    ],
  },
  {
    reason: 'FailedCreatePodSandBox',
    severity: 'high',
    category: 'pod_failure',
    source: 'kubelet',
    description: 'The pod sandbox (network namespace, pause container) could not be created; the pod cannot start.',
    variants: [{ message: String.raw`cni|network|IP address|ipam|\bIPs?\b`, category: 'network', description: 'The CNI plugin failed to set up pod networking (no IPs left, plugin down or misconfigured).' }],
  },
  { reason: 'FailedPodSandBoxStatus', severity: 'medium', category: 'pod_failure', source: 'kubelet', description: 'The kubelet could not read the status of the pod sandbox from the container runtime.' },
  { reason: 'SandboxChanged', severity: 'medium', category: 'pod_failure', source: 'kubelet', description: 'The pod sandbox changed (runtime restart or sandbox died); all containers are killed and re-created.' },
  { reason: 'FailedKillPod', severity: 'medium', category: 'pod_failure', source: 'kubelet', description: 'The kubelet could not stop a pod; it may linger and hold resources or volumes.' },
  { reason: 'FailedSync', severity: 'medium', category: 'pod_failure', source: 'kubelet', description: 'A kubelet sync of the pod failed (status or runtime error); retried on the next sync.' },
  { reason: 'FailedValidation', severity: 'high', category: 'config', source: 'kubelet', description: 'The kubelet rejected the pod spec as invalid; the pod will not run on this node.' },
  {
    reason: 'Unhealthy',
    severity: 'medium',
    category: 'pod_failure',
    source: 'kubelet',
    description: 'A container probe failed.',
    variants: [
      { message: 'liveness probe', severity: 'high', description: 'Liveness probe failed: the kubelet will restart the container after failureThreshold failures.' },
      { message: 'startup probe', severity: 'high', description: 'Startup probe failed: the container is killed and restarted if it does not start in time.' },
      { message: 'readiness probe', severity: 'medium', description: 'Readiness probe failed: the pod is taken out of Service endpoints until it passes again.' },
    ],
  },
  { reason: 'ProbeWarning', severity: 'low', category: 'pod_failure', source: 'kubelet', description: 'A probe succeeded with a warning (e.g. an HTTP redirect or a truncated body).' },
  { reason: 'Killing', severity: 'low', category: 'pod_failure', source: 'kubelet', description: 'The kubelet is stopping a container (deletion, spec change or failed liveness probe).' },
  { reason: 'Started', severity: 'low', category: 'pod_failure', source: 'kubelet', description: 'A container started.' },
  { reason: 'Created', severity: 'low', category: 'pod_failure', source: 'kubelet', description: 'A container was created.' },
  { reason: 'Pulling', severity: 'low', category: 'image', source: 'kubelet', description: 'The kubelet is pulling a container image.' },
  { reason: 'Pulled', severity: 'low', category: 'image', source: 'kubelet', description: 'A container image was pulled or is already present on the node.' },
  { reason: 'ErrImageNeverPull', severity: 'high', category: 'image', source: 'kubelet', description: 'The image is not on the node and imagePullPolicy is Never; the container cannot start.' },
  { reason: 'InspectFailed', severity: 'high', category: 'image', source: 'kubelet', description: 'The kubelet could not inspect the image (bad reference or runtime error); the container cannot start.' },
  { reason: 'FailedPostStartHook', severity: 'high', category: 'pod_failure', source: 'kubelet', description: 'The postStart hook failed; the container is killed.' },
  { reason: 'FailedPreStopHook', severity: 'medium', category: 'pod_failure', source: 'kubelet', description: 'The preStop hook failed; the container is stopped without its graceful shutdown step.' },
  { reason: 'ExceededGracePeriod', severity: 'medium', category: 'pod_failure', source: 'kubelet', description: 'A container did not stop within its termination grace period and was killed.' },
  { reason: 'Preempting', severity: 'medium', category: 'scheduling', source: 'kubelet', description: 'The kubelet is preempting pods on the node to admit a critical pod.' },
  { reason: 'Evicted', severity: 'high', category: 'pod_failure', source: 'kubelet', description: 'The kubelet evicted the pod to reclaim a node resource (memory, disk, PIDs); its controller must recreate it elsewhere.' },
  { reason: 'UnexpectedAdmissionError', severity: 'high', category: 'pod_failure', source: 'kubelet', description: 'The kubelet failed to admit the pod because of an internal error (often device plugins); the pod is Failed.' },
  { reason: 'NodeAffinity', severity: 'high', category: 'scheduling', source: 'kubelet', description: 'The kubelet rejected the pod because the node no longer matches its node affinity or selector.' },
  { reason: 'OutOfcpu', severity: 'high', category: 'scheduling', source: 'kubelet', description: 'The kubelet rejected the pod at admission: not enough allocatable CPU on the node.' },
  { reason: 'OutOfmemory', severity: 'high', category: 'scheduling', source: 'kubelet', description: 'The kubelet rejected the pod at admission: not enough allocatable memory on the node.' },
  { reason: 'OutOfpods', severity: 'high', category: 'scheduling', source: 'kubelet', description: 'The kubelet rejected the pod at admission: the node is at its pod limit.' },
  { reason: 'SysctlForbidden', severity: 'high', category: 'config', source: 'kubelet', description: 'The pod asks for a sysctl the kubelet does not allow; the pod is rejected.' },

  // ---- kubelet: volumes ----------------------------------------------------------------------------
  {
    reason: 'FailedMount',
    severity: 'high',
    category: 'storage',
    source: 'kubelet',
    description: 'A volume could not be mounted; the pod stays in ContainerCreating.',
    variants: [{ message: String.raw`configmap|secret|projected|serviceaccount`, category: 'config', description: 'The ConfigMap, Secret or projected source of a volume is missing.' }],
  },
  { reason: 'FailedMapVolume', severity: 'high', category: 'storage', source: 'kubelet', description: 'A raw block volume could not be mapped into the pod; the pod cannot start.' },
  { reason: 'FailedUnMount', severity: 'medium', category: 'storage', source: 'kubelet', description: 'A volume could not be unmounted; it may stay attached and block another pod from mounting it.' },
  { reason: 'VolumeResizeFailed', severity: 'medium', category: 'storage', source: 'volume', description: 'Expanding a volume failed; the claim keeps its old size.' },
  { reason: 'FileSystemResizeFailed', severity: 'medium', category: 'storage', source: 'kubelet', description: 'The filesystem on an expanded volume could not be grown on the node.' },
  { reason: 'FileSystemResizeSuccessful', severity: 'low', category: 'storage', source: 'kubelet', description: 'The filesystem on an expanded volume was grown.' },
  { reason: 'FailedAttachVolume', severity: 'high', category: 'storage', source: 'volume', description: 'The attach/detach controller could not attach a volume to the node (often Multi-Attach); the pod cannot start.' },
  { reason: 'FailedDetachVolume', severity: 'medium', category: 'storage', source: 'volume', description: 'A volume could not be detached from a node; pods elsewhere cannot attach it.' },
  { reason: 'SuccessfulAttachVolume', severity: 'low', category: 'storage', source: 'volume', description: 'A volume was attached to the node.' },
  { reason: 'SuccessfulDetachVolume', severity: 'low', category: 'storage', source: 'volume', description: 'A volume was detached from the node.' },

  // ---- kubelet: node -------------------------------------------------------------------------------
  {
    reason: 'NodeNotReady',
    severity: 'critical',
    category: 'node',
    source: 'node-controller',
    description: 'The node is not ready (kubelet down, runtime down or unreachable); its pods stop being served and are evicted after the toleration period.',
    variants: [{ kinds: ['Pod'], severity: 'high', description: 'The pod was marked not ready because its node is not ready; it is removed from Service endpoints.' }],
  },
  { reason: 'NodeReady', severity: 'low', category: 'node', source: 'kubelet', description: 'The node is ready again.' },
  { reason: 'NodeHasDiskPressure', severity: 'high', category: 'node', source: 'kubelet', description: 'The node is low on disk (nodefs or imagefs); the kubelet garbage-collects images and evicts pods.' },
  { reason: 'NodeHasNoDiskPressure', severity: 'low', category: 'node', source: 'kubelet', description: 'Disk pressure on the node has cleared.' },
  { reason: 'NodeHasInsufficientMemory', severity: 'high', category: 'node', source: 'kubelet', description: 'The node is under memory pressure; the kubelet evicts pods to reclaim memory.' },
  { reason: 'NodeHasSufficientMemory', severity: 'low', category: 'node', source: 'kubelet', description: 'Memory pressure on the node has cleared.' },
  { reason: 'NodeHasInsufficientPID', severity: 'high', category: 'node', source: 'kubelet', description: 'The node is running out of process IDs; new processes fail and the kubelet evicts pods.' },
  { reason: 'NodeHasSufficientPID', severity: 'low', category: 'node', source: 'kubelet', description: 'PID pressure on the node has cleared.' },
  { reason: 'NodeNotSchedulable', severity: 'medium', category: 'node', source: 'kubelet', description: 'The node was cordoned: no new pods are scheduled onto it.' },
  { reason: 'NodeSchedulable', severity: 'low', category: 'node', source: 'kubelet', description: 'The node was uncordoned and accepts new pods.' },
  { reason: 'Rebooted', severity: 'high', category: 'node', source: 'kubelet', description: 'The node rebooted (boot id changed); every pod on it was restarted.' },
  { reason: 'Starting', severity: 'low', category: 'node', source: 'kubelet', description: 'The kubelet (or kube-proxy) started on the node.' },
  { reason: 'Shutdown', severity: 'medium', category: 'node', source: 'kubelet', description: 'The kubelet detected a node shutdown and is terminating pods gracefully.' },
  { reason: 'NodeAllocatableEnforced', severity: 'low', category: 'node', source: 'kubelet', description: 'The kubelet applied the node allocatable limits to its cgroups.' },
  { reason: 'FailedNodeAllocatableEnforcement', severity: 'high', category: 'node', source: 'kubelet', description: 'The kubelet could not enforce node allocatable limits; system daemons are unprotected from pods.' },
  { reason: 'KubeletSetupFailed', severity: 'critical', category: 'node', source: 'kubelet', description: 'The kubelet failed to initialise; the node cannot run pods.' },
  { reason: 'ImageGCFailed', severity: 'medium', category: 'node', source: 'kubelet', description: 'Image garbage collection failed; disk usage on the node keeps growing.' },
  { reason: 'FreeDiskSpaceFailed', severity: 'high', category: 'node', source: 'kubelet', description: 'Image garbage collection could not free enough disk space; disk pressure and evictions follow.' },
  { reason: 'ContainerGCFailed', severity: 'medium', category: 'node', source: 'kubelet', description: 'Dead-container garbage collection failed, usually because the container runtime is unhealthy.' },
  { reason: 'InvalidDiskCapacity', severity: 'medium', category: 'node', source: 'kubelet', description: 'The kubelet read an invalid capacity for the image filesystem; image garbage collection is impaired.' },
  { reason: 'EvictionThresholdMet', severity: 'high', category: 'node', source: 'kubelet', description: 'A hard eviction threshold was crossed; the kubelet is evicting pods to reclaim the resource.' },
  { reason: 'SystemOOM', severity: 'critical', category: 'node', source: 'kubelet', description: 'The kernel OOM killer fired on the node outside any container limit: the node is out of memory.' },

  // ---- container state reasons ---------------------------------------------------------------------
  { reason: 'OOMKilled', severity: 'critical', category: 'pod_failure', source: 'container-state', description: 'The container exceeded its memory limit and was killed by the kernel (exit code 137).' },
  { reason: 'CrashLoopBackOff', severity: 'critical', category: 'pod_failure', source: 'container-state', description: 'The container keeps crashing; the kubelet waits longer (up to 5 minutes) before each restart.' },
  { reason: 'ImagePullBackOff', severity: 'high', category: 'image', source: 'container-state', description: 'Pulling the image failed repeatedly; the kubelet backs off between attempts.' },
  { reason: 'ErrImagePull', severity: 'high', category: 'image', source: 'container-state', description: 'Pulling the image failed (missing tag, no access, registry unreachable).' },
  { reason: 'InvalidImageName', severity: 'high', category: 'image', source: 'container-state', description: 'The image reference cannot be parsed; the container will never start until the spec is fixed.' },
  { reason: 'CreateContainerConfigError', severity: 'high', category: 'config', source: 'container-state', description: 'The container config cannot be built: a referenced ConfigMap, Secret or key is missing.' },
  { reason: 'CreateContainerError', severity: 'high', category: 'pod_failure', source: 'container-state', description: 'The container runtime failed to create the container (name conflict, mount error, bad command).' },
  { reason: 'RunContainerError', severity: 'high', category: 'pod_failure', source: 'container-state', description: 'The container runtime failed to start the container.' },
  { reason: 'ContainerCannotRun', severity: 'high', category: 'pod_failure', source: 'container-state', description: 'The runtime could not run the container (e.g. the entrypoint is not executable).' },
  { reason: 'StartError', severity: 'high', category: 'pod_failure', source: 'container-state', description: 'The container process could not be started (entrypoint missing, exit code 127/128).' },
  { reason: 'Error', severity: 'medium', category: 'pod_failure', source: 'container-state', description: 'The container exited with a non-zero exit code.' },
  { reason: 'ContainerStatusUnknown', severity: 'medium', category: 'pod_failure', source: 'container-state', description: 'The container state could not be determined (node lost, container gone).' },
  { reason: 'PreStopHookError', severity: 'medium', category: 'pod_failure', source: 'container-state', description: 'The preStop hook failed while the container was stopping.' },
  { reason: 'PostStartHookError', severity: 'high', category: 'pod_failure', source: 'container-state', description: 'The postStart hook failed; the container was killed.' },
  { reason: 'ContainerCreating', severity: 'low', category: 'pod_failure', source: 'container-state', description: 'The container is being created (normal while the pod starts).' },
  { reason: 'PodInitializing', severity: 'low', category: 'pod_failure', source: 'container-state', description: 'The container waits for init containers to finish (normal while the pod starts).' },

  // ---- scheduler -----------------------------------------------------------------------------------
  {
    reason: 'FailedScheduling',
    severity: 'high',
    category: 'scheduling',
    source: 'scheduler',
    description: 'No node fits the pod (resources, taints, affinity, volumes); it stays Pending.',
    variants: [
      {
        message: String.raw`persistentvolumeclaim|volume node affinity|unbound immediate|volume binding`,
        category: 'storage',
        description: 'The pod cannot be placed because of its volumes (unbound claim, volume node affinity).',
      },
    ],
  },
  { reason: 'Scheduled', severity: 'low', category: 'scheduling', source: 'scheduler', description: 'The pod was assigned to a node.' },
  { reason: 'Preempted', severity: 'medium', category: 'scheduling', source: 'scheduler', description: 'The pod was preempted (deleted) to make room for a higher-priority pod.' },

  // ---- node lifecycle controller -------------------------------------------------------------------
  { reason: 'RegisteredNode', severity: 'low', category: 'node', source: 'node-controller', description: 'A node registered with the control plane.' },
  { reason: 'RemovingNode', severity: 'medium', category: 'node', source: 'node-controller', description: 'The node is being removed from the cluster.' },
  { reason: 'DeletingNode', severity: 'medium', category: 'node', source: 'node-controller', description: 'The cloud node controller is deleting a node whose instance no longer exists.' },
  { reason: 'DeletingAllPods', severity: 'high', category: 'node', source: 'node-controller', description: 'All pods on a vanished node are being deleted.' },
  { reason: 'TaintManagerEviction', severity: 'high', category: 'pod_failure', source: 'node-controller', description: 'The pod is being deleted because its node has a NoExecute taint it does not tolerate (e.g. unreachable).' },
  { reason: 'CIDRNotAvailable', severity: 'high', category: 'network', source: 'node-controller', description: 'No pod CIDR is left to assign to the node; its pods cannot get addresses.' },
  { reason: 'CIDRAssignmentFailed', severity: 'high', category: 'network', source: 'node-controller', description: 'Assigning a pod CIDR to the node failed.' },

  // ---- workload controllers ------------------------------------------------------------------------
  {
    reason: 'FailedCreate',
    severity: 'high',
    category: 'scaling',
    source: 'controller-manager',
    description: 'A controller could not create a pod (or claim or job): the workload stays below its desired replicas.',
    variants: [
      { message: 'create Claim', category: 'storage', description: 'A StatefulSet could not create the PersistentVolumeClaim for a replica.' },
      { message: QUOTA_MESSAGE, category: 'config', description: 'Creation was refused by a ResourceQuota, LimitRange or admission webhook.' },
      { kinds: WORKLOAD_JOB_KINDS, category: 'job', description: 'A Job could not create its pod, or a CronJob its Job.' },
    ],
  },
  {
    reason: 'SuccessfulCreate',
    severity: 'low',
    category: 'scaling',
    source: 'controller-manager',
    description: 'A controller created a pod (or claim).',
    variants: [{ kinds: WORKLOAD_JOB_KINDS, category: 'job', description: 'A Job created a pod, or a CronJob created a Job.' }],
  },
  {
    reason: 'SuccessfulDelete',
    severity: 'low',
    category: 'scaling',
    source: 'controller-manager',
    description: 'A controller deleted a pod (scale-down or replacement).',
    variants: [{ kinds: WORKLOAD_JOB_KINDS, category: 'job', description: 'A Job deleted a pod, or a CronJob deleted an old Job.' }],
  },
  { reason: 'FailedDelete', severity: 'medium', category: 'scaling', source: 'controller-manager', description: 'A controller could not delete a pod; the workload may stay above its desired replicas.' },
  { reason: 'ScalingReplicaSet', severity: 'low', category: 'scaling', source: 'controller-manager', description: 'A Deployment scaled one of its ReplicaSets (rollout or scale).' },
  { reason: 'ReplicaSetCreateError', severity: 'high', category: 'scaling', source: 'controller-manager', description: 'A Deployment could not create its new ReplicaSet; the rollout is stuck.' },
  { reason: 'DeploymentRollback', severity: 'medium', category: 'scaling', source: 'controller-manager', description: 'A Deployment was rolled back to an earlier revision.' },
  { reason: 'SelectingAll', severity: 'medium', category: 'config', source: 'controller-manager', description: 'A Deployment has an empty selector and would select every pod; it is not reconciled.' },
  { reason: 'FailedDaemonPod', severity: 'high', category: 'scaling', source: 'controller-manager', description: 'A DaemonSet pod failed; the controller deletes it and creates a replacement.' },
  { reason: 'FailedPlacement', severity: 'medium', category: 'scheduling', source: 'controller-manager', description: 'A DaemonSet pod cannot be placed on a node (e.g. insufficient resources).' },
  { reason: 'RecreatingFailedPod', severity: 'medium', category: 'pod_failure', source: 'controller-manager', description: 'A StatefulSet pod is in phase Failed and is being recreated.' },

  // ---- jobs and cronjobs ---------------------------------------------------------------------------
  { reason: 'BackoffLimitExceeded', severity: 'high', category: 'job', source: 'controller-manager', description: 'The Job failed: its pods failed more often than backoffLimit allows.' },
  {
    reason: 'DeadlineExceeded',
    severity: 'high',
    category: 'job',
    source: 'controller-manager',
    description: 'The Job failed: it ran longer than activeDeadlineSeconds and its pods were killed.',
    variants: [{ kinds: ['Pod'], category: 'pod_failure', source: 'container-state', description: 'The pod ran longer than its activeDeadlineSeconds and was failed by the kubelet.' }],
  },
  {
    reason: 'Completed',
    severity: 'low',
    category: 'job',
    source: 'controller-manager',
    description: 'The Job completed successfully.',
    variants: [{ kinds: ['Pod'], category: 'pod_failure', source: 'container-state', description: 'The container exited with code 0.' }],
  },
  { reason: 'Suspended', severity: 'low', category: 'job', source: 'controller-manager', description: 'The Job was suspended; its active pods are deleted.' },
  { reason: 'Resumed', severity: 'low', category: 'job', source: 'controller-manager', description: 'The Job was resumed.' },
  { reason: 'SawCompletedJob', severity: 'low', category: 'job', source: 'controller-manager', description: 'A CronJob noticed that one of its Jobs finished.' },
  { reason: 'JobAlreadyActive', severity: 'low', category: 'job', source: 'controller-manager', description: 'A CronJob skipped a run because the previous one is still running and concurrencyPolicy is Forbid.' },
  { reason: 'MissSchedule', severity: 'medium', category: 'job', source: 'controller-manager', description: 'A CronJob missed a scheduled run (controller down or startingDeadlineSeconds passed).' },
  { reason: 'TooManyMissedTimes', severity: 'high', category: 'job', source: 'controller-manager', description: 'A CronJob missed too many runs (over 100) and stops trying to catch up; check its schedule and startingDeadlineSeconds.' },
  { reason: 'FailedNeedsStart', severity: 'medium', category: 'job', source: 'controller-manager', description: 'A CronJob could not determine whether a Job needs to start.' },
  { reason: 'UnexpectedJob', severity: 'medium', category: 'job', source: 'controller-manager', description: 'A CronJob found a Job it owns that it did not create.' },
  { reason: 'UnparseableSchedule', severity: 'high', category: 'config', source: 'controller-manager', description: 'A CronJob schedule cannot be parsed; the CronJob never runs.' },
  { reason: 'InvalidSchedule', severity: 'high', category: 'config', source: 'controller-manager', description: 'A CronJob schedule or time zone is invalid; the CronJob never runs.' },

  // ---- horizontal pod autoscaler -------------------------------------------------------------------
  { reason: 'SuccessfulRescale', severity: 'low', category: 'scaling', source: 'hpa', description: 'The HPA changed the target\'s replica count.' },
  { reason: 'FailedGetResourceMetric', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA could not read a resource metric (metrics-server down, pods without requests).' },
  { reason: 'FailedGetPodsMetric', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA could not read a pods metric from the custom metrics API.' },
  { reason: 'FailedGetObjectMetric', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA could not read an object metric from the custom metrics API.' },
  { reason: 'FailedGetExternalMetric', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA could not read an external metric.' },
  { reason: 'FailedGetContainerResourceMetric', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA could not read a container resource metric.' },
  { reason: 'FailedComputeMetricsReplicas', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA could not compute a replica count from its metrics; it does not scale.' },
  { reason: 'FailedGetScale', severity: 'high', category: 'scaling', source: 'hpa', description: 'The HPA cannot read its scale target (missing or wrong scaleTargetRef); it does not scale.' },
  { reason: 'FailedRescale', severity: 'high', category: 'scaling', source: 'hpa', description: 'The HPA could not update the target\'s replica count.' },
  { reason: 'TooManyReplicas', severity: 'medium', category: 'scaling', source: 'hpa', description: 'The HPA wants more replicas than maxReplicas allows; the workload may be under-provisioned.' },
  { reason: 'SelectorRequired', severity: 'medium', category: 'config', source: 'hpa', description: 'The HPA target has no selector; the HPA cannot find its pods.' },
  { reason: 'InvalidSelector', severity: 'medium', category: 'config', source: 'hpa', description: 'The HPA target\'s selector cannot be parsed.' },
  { reason: 'AmbiguousSelector', severity: 'medium', category: 'config', source: 'hpa', description: 'Several HPAs select the same pods; they fight over the replica count.' },

  // ---- persistent volumes --------------------------------------------------------------------------
  { reason: 'ProvisioningFailed', severity: 'high', category: 'storage', source: 'volume', description: 'Dynamic provisioning of a volume for the claim failed; pods using it stay Pending.' },
  { reason: 'ProvisioningSucceeded', severity: 'low', category: 'storage', source: 'volume', description: 'A volume was provisioned for the claim.' },
  { reason: 'Provisioning', severity: 'low', category: 'storage', source: 'volume', description: 'An external provisioner started provisioning a volume for the claim.' },
  { reason: 'ExternalProvisioning', severity: 'low', category: 'storage', source: 'volume', description: 'The claim waits for an external provisioner to create its volume.' },
  { reason: 'WaitForFirstConsumer', severity: 'low', category: 'storage', source: 'volume', description: 'The claim is not bound until a pod using it is scheduled (volumeBindingMode WaitForFirstConsumer).' },
  { reason: 'WaitForPodScheduled', severity: 'low', category: 'storage', source: 'volume', description: 'The claim waits for its pod to be scheduled before a volume is provisioned.' },
  { reason: 'FailedBinding', severity: 'medium', category: 'storage', source: 'volume', description: 'No persistent volume matches the claim and none can be provisioned (recorded as Normal).' },
  { reason: 'VolumeMismatch', severity: 'high', category: 'storage', source: 'volume', description: 'The volume named by the claim does not match it (size, access mode, class).' },
  { reason: 'ClaimLost', severity: 'critical', category: 'storage', source: 'volume', description: 'The claim\'s bound volume disappeared: the data behind it is unreachable or gone.' },
  { reason: 'ClaimMisbound', severity: 'high', category: 'storage', source: 'volume', description: 'The volume is bound to a different claim than the one that names it.' },
  { reason: 'VolumeFailedRecycle', severity: 'medium', category: 'storage', source: 'volume', description: 'Recycling a released volume failed; it cannot be reused.' },
  { reason: 'VolumeFailedDelete', severity: 'medium', category: 'storage', source: 'volume', description: 'Deleting a released volume failed; the storage may still exist and cost money.' },
  { reason: 'ExternalExpanding', severity: 'low', category: 'storage', source: 'volume', description: 'An external resizer is expanding the claim\'s volume.' },
  { reason: 'Resizing', severity: 'low', category: 'storage', source: 'volume', description: 'The claim\'s volume is being expanded.' },

  // ---- endpoints and services ----------------------------------------------------------------------
  { reason: 'FailedToUpdateEndpoint', severity: 'medium', category: 'network', source: 'endpoints', description: 'The endpoints controller could not update a Service\'s Endpoints; traffic may go to stale pods.' },
  { reason: 'FailedToCreateEndpoint', severity: 'medium', category: 'network', source: 'endpoints', description: 'The endpoints controller could not create a Service\'s Endpoints; the Service has no backends.' },
  { reason: 'FailedToUpdateEndpointSlices', severity: 'medium', category: 'network', source: 'endpoints', description: 'The EndpointSlice controller could not update a Service\'s slices.' },
  { reason: 'SyncLoadBalancerFailed', severity: 'high', category: 'network', source: 'controller-manager', description: 'The cloud load balancer for a Service could not be created or updated; external traffic may not reach it.' },
  { reason: 'CreatingLoadBalancerFailed', severity: 'high', category: 'network', source: 'controller-manager', description: 'Creating the cloud load balancer for a Service failed.' },
  { reason: 'UpdateLoadBalancerFailed', severity: 'medium', category: 'network', source: 'controller-manager', description: 'Updating the load balancer\'s backend nodes failed.' },
  { reason: 'DeleteLoadBalancerFailed', severity: 'medium', category: 'network', source: 'controller-manager', description: 'Deleting a Service\'s cloud load balancer failed; it may leak.' },
  { reason: 'EnsuringLoadBalancer', severity: 'low', category: 'network', source: 'controller-manager', description: 'The cloud load balancer for a Service is being created or updated.' },
  { reason: 'EnsuredLoadBalancer', severity: 'low', category: 'network', source: 'controller-manager', description: 'The cloud load balancer for a Service is in place.' },

  // ---- network (kubelet) ---------------------------------------------------------------------------
  { reason: 'NetworkNotReady', severity: 'high', category: 'network', source: 'kubelet', description: 'The container runtime network (CNI) is not ready; no new pods can start on the node.' },
  { reason: 'DNSConfigForming', severity: 'medium', category: 'network', source: 'kubelet', description: 'The pod\'s resolv.conf had to be truncated (too many nameservers or search domains); some lookups may fail.' },
  { reason: 'MissingClusterDNS', severity: 'high', category: 'network', source: 'kubelet', description: 'The kubelet has no cluster DNS configured; the pod falls back to the node\'s resolver and cannot resolve Services.' },
  { reason: 'CheckLimitsForResolvConf', severity: 'medium', category: 'network', source: 'kubelet', description: 'The node\'s resolv.conf exceeds resolver limits; pods inherit a truncated configuration.' },

  // ---- node-problem-detector -----------------------------------------------------------------------
  { reason: 'KernelOops', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The kernel reported an oops; the node may be unstable.' },
  { reason: 'TaskHung', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'A task was blocked for more than 120 seconds (often stuck I/O).' },
  { reason: 'OOMKilling', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The kernel OOM killer killed a process on the node.' },
  { reason: 'KernelDeadlock', severity: 'critical', category: 'node', source: 'node-problem-detector', description: 'The kernel is deadlocked (e.g. the container runtime is hung in the kernel); the node cannot run pods reliably.' },
  { reason: 'DockerHung', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The Docker daemon is hung; pods on the node cannot be started or stopped.' },
  { reason: 'ReadonlyFilesystem', severity: 'critical', category: 'node', source: 'node-problem-detector', description: 'A filesystem was remounted read-only after errors; writes fail and data is at risk.' },
  { reason: 'FilesystemCorruption', severity: 'critical', category: 'node', source: 'node-problem-detector', description: 'Filesystem corruption detected on the node; data is at risk.' },
  { reason: 'CorruptDockerOverlay2', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The overlay2 storage of the container runtime is corrupt; containers may fail to start.' },
  { reason: 'Ext4Error', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The kernel reported an ext4 error; the filesystem may be remounted read-only.' },
  { reason: 'Ext4Warning', severity: 'medium', category: 'node', source: 'node-problem-detector', description: 'The kernel reported an ext4 warning.' },
  { reason: 'AUFSUmountHung', severity: 'medium', category: 'node', source: 'node-problem-detector', description: 'Unmounting an AUFS filesystem hung; container teardown may block.' },
  { reason: 'UnregisterNetDevice', severity: 'medium', category: 'network', source: 'node-problem-detector', description: 'The kernel is stuck unregistering a network device; new pods on the node may hang in sandbox creation.' },
  { reason: 'FrequentKubeletRestart', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The kubelet restarts frequently; the node flaps and pod status is unreliable.' },
  { reason: 'FrequentContainerdRestart', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'containerd restarts frequently; containers on the node are disrupted.' },
  { reason: 'FrequentDockerRestart', severity: 'high', category: 'node', source: 'node-problem-detector', description: 'The Docker daemon restarts frequently; containers on the node are disrupted.' },

  // ---- state-derived signals (the agent's own reasons) ---------------------------------------------
  { reason: 'ContainerRestarted', severity: 'medium', category: 'pod_failure', source: 'agent', description: 'A container\'s restart count grew: it exited and the kubelet started it again.' },
  { reason: 'ContainerTerminated', severity: 'high', category: 'pod_failure', source: 'agent', description: 'A container terminated with a non-zero exit code (not OOM); the message has the code and reason.' },
  { reason: 'PodFailed', severity: 'high', category: 'pod_failure', source: 'agent', description: 'The pod reached phase Failed: all its containers terminated and at least one failed.' },
  { reason: 'Unschedulable', severity: 'high', category: 'scheduling', source: 'agent', description: 'The pod\'s PodScheduled condition turned False with reason Unschedulable: no node fits it.' },
  { reason: 'NodeHasMemoryPressure', severity: 'high', category: 'node', source: 'agent', description: 'The node\'s MemoryPressure condition turned True; the kubelet evicts pods.' },
  { reason: 'NodeHasPIDPressure', severity: 'high', category: 'node', source: 'agent', description: 'The node\'s PIDPressure condition turned True; new processes may fail.' },
  { reason: 'NodeNetworkUnavailable', severity: 'high', category: 'network', source: 'agent', description: 'The node\'s NetworkUnavailable condition turned True: pod networking on the node is not configured.' },
  { reason: 'ProgressDeadlineExceeded', severity: 'high', category: 'scaling', source: 'agent', description: 'The Deployment rollout made no progress within progressDeadlineSeconds (Progressing=False); the rollout is stuck.' },
  {
    reason: 'ReplicaFailure',
    severity: 'high',
    category: 'scaling',
    source: 'agent',
    description: 'The ReplicaFailure condition turned True: the controller cannot create pods.',
    variants: [{ message: QUOTA_MESSAGE, category: 'config', description: 'Pods are refused by a ResourceQuota, LimitRange or admission webhook.' }],
  },
  { reason: 'MinimumReplicasUnavailable', severity: 'high', category: 'scaling', source: 'agent', description: 'The Deployment\'s Available condition turned False: fewer pods are available than the rollout strategy requires.' },
  { reason: 'StatefulSetReplicasUnavailable', severity: 'high', category: 'scaling', source: 'agent', description: 'A StatefulSet lost ready replicas outside a rollout or scale change.' },
  { reason: 'DaemonSetPodsUnavailable', severity: 'high', category: 'scaling', source: 'agent', description: 'A DaemonSet has unavailable pods outside a rollout: some nodes lack the daemon.' },
  { reason: 'JobFailed', severity: 'high', category: 'job', source: 'agent', description: 'The Job\'s Failed condition turned True; the message has the condition reason (BackoffLimitExceeded, DeadlineExceeded, ...).' },
  { reason: 'ClaimPending', severity: 'medium', category: 'storage', source: 'agent', description: 'A claim that had left Pending went back to Pending; pods using it cannot start.' },
  { reason: 'ScalingLimited', severity: 'medium', category: 'scaling', source: 'agent', description: 'The HPA is pinned at maxReplicas (ScalingLimited=True, TooManyReplicas): demand exceeds the configured ceiling.' },
  { reason: 'HPAUnableToScale', severity: 'high', category: 'scaling', source: 'agent', description: 'The HPA\'s AbleToScale or ScalingActive condition turned False: it cannot read its target or metrics and does not scale.' },
  { reason: 'ServiceHasNoEndpoints', severity: 'high', category: 'network', source: 'agent', description: 'A Service with a selector has had no ready endpoint for longer than agent.service_endpoints_grace: its clients get connection refused. raw_data.backends lists the workloads it selects (none: a selector typo).' },
  { reason: 'CPUThrottlingHigh', severity: 'medium', category: 'pod_failure', source: 'agent', description: 'A container\'s CPU usage stayed at or above agent.cpu_throttling_ratio of its CPU limit in consecutive metrics collections: the kernel throttles it and requests slow down.' },
  { reason: 'MemoryNearLimit', severity: 'high', category: 'pod_failure', source: 'agent', description: 'A container\'s memory working set stayed at or above agent.memory_near_limit_ratio of its memory limit in consecutive metrics collections: the kernel OOM-kills it at the limit.' },
  { reason: 'MemoryGrowthTowardsLimit', severity: 'high', category: 'pod_failure', source: 'agent', description: 'A container\'s memory working set grew in agent.memory_growth_samples consecutive metrics collections and, at that pace, reaches its memory limit within agent.memory_growth_horizon: a leak, caught before the OOM kill.' },

  // ---- error-log signals (the agent's log scanner, src/core/classify/log-patterns.ts) ----------------
  { reason: 'CertificateErrors', severity: 'high', category: 'application', source: 'container-logs', description: 'A container keeps logging TLS certificate errors (expired, not yet valid, untrusted, rejected by the peer): every call over that connection fails.' },
  { reason: 'ConnectionPoolExhausted', severity: 'high', category: 'application', source: 'container-logs', description: 'A container keeps logging that its connection pool is used up (HikariCP, SQLAlchemy QueuePool, too many clients): requests wait and fail while the database may be healthy.' },
  { reason: 'DNSResolutionErrors', severity: 'high', category: 'application', source: 'container-logs', description: 'A container keeps failing to resolve host names (no such host, NXDOMAIN, UnknownHostException).' },
  { reason: 'UpstreamRateLimited', severity: 'medium', category: 'application', source: 'container-logs', description: 'An upstream keeps answering a container with HTTP 429 / Too Many Requests / throttling: its calls are refused until it backs off or the quota grows.' },
  { reason: 'DependencyConnectionErrors', severity: 'medium', category: 'application', source: 'container-logs', description: 'A container keeps logging refused, reset, unreachable or timed-out connections to a dependency.' },
  { reason: 'ApplicationErrors', severity: 'medium', category: 'application', source: 'container-logs', description: 'A container keeps logging error-level records or exceptions that match no more specific class.' },
];
