/**
 * One pod as its node's kubelet runs it: volumes, image pulls, config resolution, container starts,
 * what each container's scenario behavior makes it do (logs, memory, disk, exits, dependencies),
 * probes, restarts with the CrashLoopBackOff back-off, and the pod status the kubelet reports.
 * Internal state is the truth; `publish` writes it to the store (coalesced by the Kubelet).
 */
import type { Timer } from '../../clock.js';
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { BehaviorKey, ContainerBehavior, ProbeBehavior, SimContext } from '../../sim-context.js';
import { serviceReachable } from './network-policy.js';
import { KUBELET, msg, pullError, qualifiedImage, startError } from './messages.js';
import {
  effectiveRequests,
  formatPod,
  memoryLimit,
  podSpec,
  qosClass,
  topLevelOwner,
  type ContainerSpec,
  type PodSpec,
  type ProbeSpec,
} from './pod-spec.js';
import { MI, bytesOf, cpuMillis, parseDurationMs } from '../../../core/kube/units.js';

/** What a pod worker needs from its kubelet. */
export interface KubeletHost {
  readonly ctx: SimContext;
  nodeRunning(node: string): boolean;
  hostIP(node: string): string;
  allocatePodIP(node: string): string;
  releasePodIP(node: string, ip: string): void;
  imagePresent(node: string, image: string): boolean;
  addImage(node: string, image: string): void;
  /** Used space (Mi) of a claim's volume; survives pods, as the data on a PersistentVolume does. */
  diskUsage(claim: string, initialMi: number): number;
  setDiskUsage(claim: string, usedMi: number): void;
  requestPublish(worker: PodWorker): void;
  /** The worker finished deleting its pod. */
  forget(worker: PodWorker): void;
}

const DEFAULTS = { startupSeconds: 2, baseMi: 50, millicores: 50, logEverySeconds: 5 };
const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** A back-off entry not touched for twice the maximum is forgotten: a container running 10 min starts over. */
const BACKOFF_RESET_MS = 2 * BACKOFF_MAX_MS;
/** How often the kubelet re-syncs a pod that waits (re-emitting BackOff and config errors, as real ones do). */
const RESYNC_MS = 10_000;
const SYNC_DELAY_MS = 1000;
const MOUNT_RETRY_INITIAL_MS = 500;
const MOUNT_RETRY_MAX_MS = 122_000;
const TICK_MS = 1000;
/** How often a running app notices a dependency that went away. */
const DEPENDENCY_CHECK_MS = 5000;
const USAGE_EVERY_MS = 10_000;
const HARD_EVICTION_GRACE_MS = 0;
const DELETE_GRACE_MS = 2000;

type Waiting = { kind: 'waiting'; reason: string; message?: string };
type Running = { kind: 'running'; startedAt: number };
export type Terminated = { kind: 'terminated'; exitCode: number; reason: string; message?: string; startedAt: number; finishedAt: number; containerID?: string };
type ContainerState = Waiting | Running | Terminated;

interface Instance {
  startedAt: number;
  up: boolean;
  grownMi: number;
  diskGrownMi: number;
  lastTick: number;
  lastErrorLog: number;
  lastDependencyCheck: number;
  errorLogIndex: number;
  liveFailures: number;
  readyFailures: number;
  readySuccesses: number;
  env: Map<string, string>;
  /** One pending timer per purpose (tick, startup, exit, each probe): rescheduling replaces it. */
  timers: Map<'tick' | 'startup' | 'exit' | 'liveness' | 'readiness', Timer>;
}

interface ContainerRun {
  spec: ContainerSpec;
  state: ContainerState;
  lastTerminated: Terminated | undefined;
  /** The termination before lastTerminated: `lastState` while the current state is itself terminated. */
  priorTerminated: Terminated | undefined;
  restartCount: number;
  /** Instances created so far; the next one gets restartCount = created. */
  created: number;
  ready: boolean;
  imageID: string | undefined;
  containerID: string | undefined;
  pullFailures: number;
  backoff: { durationMs: number; lastUpdate: number } | undefined;
  step: Timer | undefined;
  resync: Timer | undefined;
  instance: Instance | undefined;
  /** No more restarts (restartPolicy says so). */
  done: boolean;
}

type ConditionStatus = 'True' | 'False';

export class PodWorker {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
  readonly #host: KubeletHost;
  readonly #ctx: SimContext;
  #pod: KubeObject;
  readonly #owner: Pick<BehaviorKey, 'kind' | 'name'>;
  readonly #containers: ContainerRun[];
  #podIP: string | undefined;
  readonly #startTime: string;
  #mounted = false;
  #mountRetryMs = MOUNT_RETRY_INITIAL_MS;
  #mountTimer: Timer | undefined;
  #usageTimer: Timer | undefined;
  #terminal: { phase: 'Succeeded' | 'Failed'; reason?: string; message?: string } | undefined;
  #evicted: { message: string } | undefined;
  #deleting = false;
  #stopped = false;
  readonly #conditionTimes = new Map<string, { status: string; time: string }>();

  constructor(host: KubeletHost, pod: KubeObject) {
    this.#host = host;
    this.#ctx = host.ctx;
    this.#pod = pod;
    this.namespace = pod.metadata.namespace ?? 'default';
    this.name = pod.metadata.name;
    this.uid = pod.metadata.uid;
    this.node = podSpec(pod).nodeName ?? '';
    this.#owner = topLevelOwner(this.#ctx.store, pod);
    this.#startTime = this.#ctx.clock.isoNow();
    this.#containers = (podSpec(pod).containers ?? []).map((spec) => ({
      spec,
      state: { kind: 'waiting', reason: 'ContainerCreating' },
      lastTerminated: undefined,
      priorTerminated: undefined,
      restartCount: 0,
      created: 0,
      ready: false,
      imageID: undefined,
      containerID: undefined,
      pullFailures: 0,
      backoff: undefined,
      step: undefined,
      resync: undefined,
      instance: undefined,
      done: false,
    }));
  }

  get pod(): KubeObject {
    return this.#pod;
  }

  get terminal(): boolean {
    return this.#terminal !== undefined || this.#deleting;
  }

  /** Starts the pod: mount volumes, then start every container. */
  begin(): void {
    this.#dirty();
    this.#mountTimer = this.#timer(0, () => this.#mountVolumes());
    this.#usageTimer = this.#timer(USAGE_EVERY_MS, () => this.#reportUsage());
  }

  /** Cancels everything; the pod is gone. */
  stop(): void {
    this.#stopped = true;
    const { clock } = this.#ctx;
    clock.clearTimer(this.#mountTimer);
    clock.clearTimer(this.#usageTimer);
    for (const c of this.#containers) this.#cancelContainer(c);
    if (this.#podIP) this.#host.releasePodIP(this.node, this.#podIP);
  }

  /** The pod object changed in the store. */
  onPodUpdate(pod: KubeObject): void {
    this.#pod = pod;
    if (pod.metadata.deletionTimestamp && !this.#deleting) {
      this.#gracefulDelete();
      return;
    }
    // A changed image (kubectl set image on a bare pod) restarts that container.
    for (const c of this.#containers) {
      const next = (podSpec(pod).containers ?? []).find((s) => s.name === c.spec.name);
      if (!next || next.image === c.spec.image) {
        if (next) c.spec = next;
        continue;
      }
      c.spec = next;
      c.pullFailures = 0;
      c.imageID = undefined;
      if (this.terminal || c.done) continue;
      if (c.state.kind === 'running') {
        this.#event('Normal', 'Killing', msg.definitionChanged(c.spec.name), c);
        this.#exit(c, 137, 'Error', { restartNow: true });
      } else {
        this.#cancelStep(c);
        c.step = this.#timer(SYNC_DELAY_MS, () => this.#startContainer(c));
      }
    }
  }

  /** A ConfigMap or Secret appeared or changed in this namespace: retry what waits for one now. */
  nudge(): void {
    if (this.terminal) return;
    if (!this.#mounted) {
      this.#ctx.clock.clearTimer(this.#mountTimer);
      this.#mountTimer = this.#timer(0, () => this.#mountVolumes());
      return;
    }
    for (const c of this.#containers) {
      if (c.state.kind === 'waiting' && c.state.reason === 'CreateContainerConfigError') {
        this.#cancelStep(c);
        c.step = this.#timer(0, () => this.#startContainer(c));
      }
    }
  }

  /** Memory in use now (bytes) per container, for the eviction manager. */
  memoryUsage(): { name: string; bytes: number; request: string }[] {
    return this.#containers.map((c) => ({
      name: c.spec.name,
      bytes: c.state.kind === 'running' ? this.#memoryMi(c) * MI : 0,
      request: String(c.spec.resources?.requests?.['memory'] ?? '0'),
    }));
  }

  /** Kills every container and fails the pod with reason Evicted (the kubelet's eviction manager). */
  evict(message: string): void {
    if (this.terminal) return;
    this.#evicted = { message };
    for (const c of this.#containers) {
      if (c.state.kind === 'running') this.#event('Normal', 'Killing', msg.stopping(c.spec.name), c);
      this.#kill(c, 137, 'Error');
    }
    this.#terminal = { phase: 'Failed', reason: 'Evicted', message };
    this.#event('Warning', 'Evicted', message);
    this.#ctx.usage.dropPod(this.namespace, this.name);
    this.#dirty();
  }

  // ---- volumes ----

  #mountVolumes(): void {
    if (this.terminal) return;
    const { store } = this.#ctx;
    for (const v of podSpec(this.#pod).volumes ?? []) {
      let cause: string | undefined;
      if (v.configMap && !v.configMap.optional && !store.get(res('configmaps'), this.namespace, v.configMap.name)) cause = `configmap "${v.configMap.name}" not found`;
      if (v.secret && !v.secret.optional && !store.get(res('secrets'), this.namespace, v.secret.secretName)) cause = `secret "${v.secret.secretName}" not found`;
      if (v.persistentVolumeClaim) {
        const pvc = store.get(res('persistentvolumeclaims'), this.namespace, v.persistentVolumeClaim.claimName);
        if (!pvc) cause = `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`;
        else if ((pvc['status'] as { phase?: string } | undefined)?.phase !== 'Bound') cause = `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" is not bound`;
      }
      if (cause) {
        this.#event('Warning', 'FailedMount', msg.mountFailed(v.name, cause));
        this.#mountTimer = this.#timer(this.#mountRetryMs, () => this.#mountVolumes());
        this.#mountRetryMs = Math.min(this.#mountRetryMs * 2, MOUNT_RETRY_MAX_MS);
        return;
      }
    }
    this.#mounted = true;
    this.#podIP = this.#host.allocatePodIP(this.node);
    this.#dirty();
    for (const c of this.#containers) c.step = this.#timer(0, () => this.#startContainer(c));
  }

  // ---- container start pipeline: image, config, create, start ----

  #startContainer(c: ContainerRun): void {
    c.step = undefined;
    if (this.terminal || c.done || c.state.kind === 'running') return;
    this.#pullImage(c);
  }

  /** After an exit, each pod sync: restart now (arming the back-off) or wait in CrashLoopBackOff. */
  #restartDecision(c: ContainerRun): void {
    c.step = undefined;
    if (this.terminal || c.done || c.state.kind === 'running') return;
    if (this.#inBackOff(c)) return;
    this.#nextBackOff(c);
    this.#pullImage(c);
  }

  /** The flowcontrol back-off, keyed by container, measured from the last finish. */
  #inBackOff(c: ContainerRun): boolean {
    const now = this.#ctx.clock.now();
    const b = c.backoff;
    if (!b || now - b.lastUpdate > BACKOFF_RESET_MS) return false;
    const finished = c.lastTerminated?.finishedAt ?? 0;
    if (now - finished >= b.durationMs) return false;
    const podText = formatPod(this.#pod);
    c.state = { kind: 'waiting', reason: 'CrashLoopBackOff', message: msg.backOffRestartWaiting(b.durationMs, c.spec.name, podText) };
    this.#event('Warning', 'BackOff', msg.backOffRestartEvent(c.spec.name, podText), c);
    this.#dirty();
    c.step = this.#timer(finished + b.durationMs - now, () => this.#restartDecision(c));
    this.#resyncWhileWaiting(c, 'CrashLoopBackOff', () => this.#event('Warning', 'BackOff', msg.backOffRestartEvent(c.spec.name, podText), c));
    return true;
  }

  #nextBackOff(c: ContainerRun): void {
    const now = this.#ctx.clock.now();
    const b = c.backoff;
    c.backoff = !b || now - b.lastUpdate > BACKOFF_RESET_MS ? { durationMs: BACKOFF_INITIAL_MS, lastUpdate: now } : { durationMs: Math.min(b.durationMs * 2, BACKOFF_MAX_MS), lastUpdate: now };
  }

  #pullImage(c: ContainerRun): void {
    const image = c.spec.image ?? '';
    const policy = c.spec.imagePullPolicy ?? (/:latest$/.test(image) || !/[:@][^/]*$/.test(image) ? 'Always' : 'IfNotPresent');
    const present = this.#host.imagePresent(this.node, image);
    if (policy === 'Never' && !present) {
      c.state = { kind: 'waiting', reason: 'ErrImageNeverPull', message: msg.neverPull(image) };
      this.#event('Warning', 'ErrImageNeverPull', msg.neverPull(image), c);
      this.#event('Warning', 'Failed', msg.error('ErrImageNeverPull'), c);
      this.#dirty();
      c.step = this.#timer(RESYNC_MS, () => this.#startContainer(c));
      return;
    }
    if (present && policy !== 'Always') {
      this.#event('Normal', 'Pulled', msg.alreadyPresent(image), c);
      c.imageID ??= imageIdOf(image);
      this.#createContainer(c);
      return;
    }
    this.#event('Normal', 'Pulling', msg.pulling(image), c);
    const durationMs = present ? 300 + Math.round(this.#ctx.random() * 400) : 800 + Math.round(this.#ctx.random() * 3200);
    c.step = this.#timer(durationMs, () => {
      c.step = undefined;
      if (this.terminal || c.spec.image !== image) return;
      const result = this.#ctx.images.pull(image);
      if (result === 'ok') {
        c.pullFailures = 0;
        this.#host.addImage(this.node, image);
        c.imageID = imageIdOf(image);
        this.#event('Normal', 'Pulled', msg.pulled(image, durationMs), c);
        this.#createContainer(c);
        return;
      }
      const cause = pullError(image, result);
      this.#event('Warning', 'Failed', msg.pullFailed(image, cause), c);
      this.#event('Warning', 'Failed', msg.error('ErrImagePull'), c);
      c.state = { kind: 'waiting', reason: 'ErrImagePull', message: cause };
      this.#dirty();
      c.pullFailures++;
      const backoffMs = Math.min(BACKOFF_INITIAL_MS * 2 ** (c.pullFailures - 1), BACKOFF_MAX_MS);
      const failedAt = this.#ctx.clock.now();
      const emitBackOff = () => {
        this.#event('Normal', 'BackOff', msg.backOffPull(image), c);
        this.#event('Warning', 'Failed', msg.error('ImagePullBackOff'), c);
      };
      c.step = this.#timer(SYNC_DELAY_MS, () => {
        c.state = { kind: 'waiting', reason: 'ImagePullBackOff', message: msg.backOffPull(image) };
        emitBackOff();
        this.#dirty();
        c.step = this.#timer(failedAt + backoffMs - this.#ctx.clock.now(), () => this.#startContainer(c));
        this.#resyncWhileWaiting(c, 'ImagePullBackOff', emitBackOff);
      });
    });
  }

  /** While a container waits in a back-off, each pod sync repeats the event (the count grows, as in `x12 over 3m`). */
  #resyncWhileWaiting(c: ContainerRun, reason: string, emit: () => void): void {
    this.#ctx.clock.clearTimer(c.resync);
    c.resync = this.#timer(RESYNC_MS, () => {
      c.resync = undefined;
      if (this.terminal || c.state.kind !== 'waiting' || c.state.reason !== reason) return;
      emit();
      this.#resyncWhileWaiting(c, reason, emit);
    });
  }

  /** Resolves env and envFrom: the values, or the kubelet's error text. */
  #resolveEnv(c: ContainerSpec): { env: Map<string, string> } | { error: string } {
    const { store } = this.#ctx;
    const ns = this.namespace;
    const env = new Map<string, string>();
    const dataOf = (kind: 'configmaps' | 'secrets', name: string): Record<string, string> | undefined => {
      const obj = store.get(res(kind), ns, name);
      if (!obj) return undefined;
      const data = { ...((obj['data'] as Record<string, string> | undefined) ?? {}) };
      if (kind === 'secrets') for (const [k, v] of Object.entries(data)) data[k] = Buffer.from(v, 'base64').toString('utf8');
      return { ...((obj['stringData'] as Record<string, string> | undefined) ?? {}), ...data, ...((kind === 'configmaps' ? obj['binaryData'] : undefined) as Record<string, string> | undefined) };
    };
    for (const from of c.envFrom ?? []) {
      const ref = from.configMapRef ?? from.secretRef;
      if (!ref) continue;
      const kind = from.configMapRef ? 'configmaps' : 'secrets';
      const data = dataOf(kind, ref.name);
      if (!data) {
        if (ref.optional) continue;
        return { error: `${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found` };
      }
      for (const [k, v] of Object.entries(data)) env.set(`${from.prefix ?? ''}${k}`, v);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef) {
        const isCm = Boolean(e.valueFrom.configMapKeyRef);
        const ref = (e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef) as { name: string; key: string; optional?: boolean };
        const data = dataOf(isCm ? 'configmaps' : 'secrets', ref.name);
        if (!data) {
          if (ref.optional) continue;
          return { error: `${isCm ? 'configmap' : 'secret'} "${ref.name}" not found` };
        }
        const value = data[ref.key];
        if (value === undefined) {
          if (ref.optional) continue;
          return { error: `couldn't find key ${ref.key} in ${isCm ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}` };
        }
        env.set(e.name, value);
      } else if (e.valueFrom?.fieldRef) {
        const path = e.valueFrom.fieldRef.fieldPath;
        env.set(e.name, path === 'metadata.name' ? this.name : path === 'metadata.namespace' ? ns : path === 'spec.nodeName' ? this.node : path === 'status.podIP' ? (this.#podIP ?? '') : '');
      } else {
        env.set(e.name, e.value ?? '');
      }
    }
    return { env };
  }

  #createContainer(c: ContainerRun): void {
    if (this.terminal) return;
    const resolved = this.#resolveEnv(c.spec);
    if ('error' in resolved) {
      c.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message: resolved.error };
      this.#event('Warning', 'Failed', msg.error(resolved.error), c);
      this.#dirty();
      c.step = this.#timer(RESYNC_MS, () => this.#startContainer(c));
      return;
    }
    const behavior = this.#behavior(c);
    c.restartCount = c.created;
    c.created++;
    c.containerID = `containerd://${hex(this.#ctx.random, 64)}`;
    this.#event('Normal', 'Created', msg.created(c.spec.name), c);
    const command = c.spec.command?.[0];
    if (command && behavior.knownCommands && !behavior.knownCommands.includes(command)) {
      const text = startError(command);
      this.#event('Warning', 'Failed', msg.error(text), c);
      // A container that never started reports the zero time, as containerd does. The contract:
      // exit 128 for a path that does not exist, 127 for a bare name not found in $PATH (the shell's code).
      const exitCode = command.includes('/') ? 128 : 127;
      this.#finish(c, { kind: 'terminated', exitCode, reason: 'StartError', message: text, startedAt: 0, finishedAt: this.#ctx.clock.now(), containerID: c.containerID });
      return;
    }
    const now = this.#ctx.clock.now();
    c.state = { kind: 'running', startedAt: now };
    c.ready = !c.spec.readinessProbe;
    this.#event('Normal', 'Started', msg.started(c.spec.name), c);
    const inst: Instance = {
      startedAt: now,
      up: false,
      grownMi: 0,
      diskGrownMi: 0,
      lastTick: now,
      lastErrorLog: now,
      lastDependencyCheck: now,
      errorLogIndex: 0,
      liveFailures: 0,
      readyFailures: 0,
      readySuccesses: 0,
      env: resolved.env,
      timers: new Map(),
    };
    c.instance = inst;
    for (const line of behavior.logs ?? []) this.#log(c, line);
    const startupMs = (behavior.startupSeconds ?? DEFAULTS.startupSeconds) * 1000;
    const missing = (behavior.requireEnv ?? []).find((name) => !inst.env.has(name));
    if (missing !== undefined) {
      this.#instanceTimer(inst, 'startup', Math.min(startupMs, 500), () => {
        this.#log(c, behavior.missingEnvLog ?? `FATAL: required environment variable ${missing} is not set`);
        this.#exit(c, 1, 'Error');
      });
    } else {
      this.#instanceTimer(inst, 'startup', startupMs, () => this.#startupComplete(c, inst));
    }
    if (behavior.exit) {
      const { afterSeconds, code } = behavior.exit;
      this.#instanceTimer(inst, 'exit', afterSeconds * 1000, () => this.#exit(c, code, code === 0 ? 'Completed' : 'Error'));
    }
    this.#instanceTimer(inst, 'tick', TICK_MS, () => this.#tick(c, inst));
    this.#startProbe(c, inst, 'liveness');
    this.#startProbe(c, inst, 'readiness');
    this.#dirty();
  }

  #startupComplete(c: ContainerRun, inst: Instance): void {
    if (c.instance !== inst) return;
    const behavior = this.#behavior(c);
    const dependencyError = this.#dependencyError(behavior);
    if (dependencyError !== undefined) {
      this.#log(c, dependencyError);
      this.#exit(c, 1, 'Error');
      return;
    }
    const disk = this.#disk(c, behavior);
    if (disk && disk.usedMi >= disk.sizeMi) {
      this.#log(c, noSpaceLine(c.spec, disk.mountPath));
      this.#exit(c, 1, 'Error');
      return;
    }
    inst.up = true;
    this.#dirty();
  }

  /**
   * The log line an app prints when a service it depends on has no ready endpoint, or undefined when
   * every dependency is reachable.
   */
  #dependencyError(behavior: ContainerBehavior): string | undefined {
    for (const dep of behavior.dependsOn ?? []) {
      const ns = dep.namespace ?? this.namespace;
      const ep = this.#ctx.store.get(res('endpoints'), ns, dep.service);
      const ready = ((ep?.['subsets'] as { addresses?: unknown[] }[] | undefined) ?? []).some((s) => (s.addresses ?? []).length > 0);
      const svc = this.#ctx.store.get(res('services'), ns, dep.service);
      const ip = (svc?.['spec'] as { clusterIP?: string } | undefined)?.clusterIP ?? dep.service;
      if (!ready) return behavior.dependencyErrorLog ?? `Error: connect ECONNREFUSED ${ip}:${dep.port ?? 80}`;
      // A NetworkPolicy drop is silent: the SYN goes unanswered and the client times out.
      if (!serviceReachable(this.#ctx, svc, ep, dep.port ?? 80, { namespace: this.namespace, labels: this.#pod.metadata.labels })) {
        return behavior.dependencyErrorLog ?? `Error: connect ETIMEDOUT ${ip}:${dep.port ?? 80}`;
      }
    }
    return undefined;
  }

  /** Once a second: memory growth and the OOM killer, disk growth, lost dependencies, error logs. */
  #tick(c: ContainerRun, inst: Instance): void {
    if (c.instance !== inst) return;
    const now = this.#ctx.clock.now();
    const dtMin = (now - inst.lastTick) / 60_000;
    inst.lastTick = now;
    const behavior = this.#behavior(c);
    inst.grownMi += (behavior.memory?.growthMiPerMinute ?? 0) * dtMin;
    const limit = memoryLimit(c.spec);
    if (limit !== undefined && limit > 0 && this.#memoryMi(c) * MI >= limit) {
      this.#exit(c, 137, 'OOMKilled');
      return;
    }
    const disk = this.#disk(c, behavior);
    if (disk && inst.up) {
      const used = disk.usedMi + (behavior.disk?.growthMiPerMinute ?? 0) * dtMin;
      this.#host.setDiskUsage(disk.claim, Math.min(used, disk.sizeMi));
      if (used >= disk.sizeMi) {
        this.#log(c, noSpaceLine(c.spec, disk.mountPath));
        this.#exit(c, 1, 'Error');
        return;
      }
    }
    // A running app loses its database the way real ones do: the next query fails and it exits.
    if (inst.up && behavior.dependsOn?.length && now - inst.lastDependencyCheck >= DEPENDENCY_CHECK_MS) {
      inst.lastDependencyCheck = now;
      const dependencyError = this.#dependencyError(behavior);
      if (dependencyError !== undefined) {
        this.#log(c, dependencyError);
        this.#exit(c, 1, 'Error');
        return;
      }
    }
    const lines = behavior.errorLogs ?? [];
    const every = (behavior.logEverySeconds ?? DEFAULTS.logEverySeconds) * 1000;
    if (inst.up && lines.length && now - inst.lastErrorLog >= every) {
      inst.lastErrorLog = now;
      this.#log(c, lines[inst.errorLogIndex % lines.length] ?? '');
      inst.errorLogIndex++;
    }
    this.#instanceTimer(inst, 'tick', TICK_MS, () => this.#tick(c, inst));
  }

  #disk(c: ContainerRun, behavior: ContainerBehavior): { claim: string; usedMi: number; sizeMi: number; mountPath: string } | undefined {
    const d = behavior.disk;
    if (!d) return undefined;
    const volume = (podSpec(this.#pod).volumes ?? []).find((v) => v.name === d.volume);
    const mountPath = c.spec.volumeMounts?.find((m) => m.name === d.volume)?.mountPath ?? `/${d.volume}`;
    let sizeBytes = 0;
    let claim = `${this.namespace}/${this.name}/${d.volume}`;
    if (volume?.persistentVolumeClaim) {
      claim = `${this.namespace}/${volume.persistentVolumeClaim.claimName}`;
      const pvc = this.#ctx.store.get(res('persistentvolumeclaims'), this.namespace, volume.persistentVolumeClaim.claimName);
      const status = pvc?.['status'] as { capacity?: Record<string, string> } | undefined;
      const spec = pvc?.['spec'] as { resources?: { requests?: Record<string, string> } } | undefined;
      sizeBytes = bytesOf(status?.capacity?.['storage'] ?? spec?.resources?.requests?.['storage']);
    } else if (volume?.emptyDir?.sizeLimit) {
      sizeBytes = bytesOf(volume.emptyDir.sizeLimit);
    }
    if (!sizeBytes) return undefined;
    return { claim, usedMi: this.#host.diskUsage(claim, d.usedMi ?? 0), sizeMi: sizeBytes / MI, mountPath };
  }

  #memoryMi(c: ContainerRun): number {
    const base = this.#behavior(c).memory?.baseMi ?? DEFAULTS.baseMi;
    return base + (c.instance?.grownMi ?? 0);
  }

  // ---- probes ----

  #startProbe(c: ContainerRun, inst: Instance, kind: 'liveness' | 'readiness'): void {
    const probe = kind === 'liveness' ? c.spec.livenessProbe : c.spec.readinessProbe;
    if (!probe) return;
    const period = (probe.periodSeconds ?? 10) * 1000;
    const run = () => {
      if (c.instance !== inst || c.state.kind !== 'running') return;
      this.#probe(c, inst, kind, probe);
      if (c.instance === inst) this.#instanceTimer(inst, kind, period, run);
    };
    this.#instanceTimer(inst, kind, (probe.initialDelaySeconds ?? 0) * 1000 + (kind === 'readiness' ? 0 : 1), run);
  }

  #probe(c: ContainerRun, inst: Instance, kind: 'liveness' | 'readiness', probe: ProbeSpec): void {
    const failure = this.#probeFailure(c, inst, kind, probe);
    const threshold = probe.failureThreshold ?? 3;
    const label = kind === 'liveness' ? 'Liveness' : 'Readiness';
    if (failure !== undefined) this.#event('Warning', 'Unhealthy', `${label} probe failed: ${failure}`, c);
    if (kind === 'readiness') {
      if (failure === undefined) {
        inst.readyFailures = 0;
        inst.readySuccesses++;
        if (!c.ready && inst.readySuccesses >= (probe.successThreshold ?? 1)) {
          c.ready = true;
          this.#dirty();
        }
      } else {
        inst.readySuccesses = 0;
        inst.readyFailures++;
        if (c.ready && inst.readyFailures >= threshold) {
          c.ready = false;
          this.#dirty();
        }
      }
      return;
    }
    if (failure === undefined) {
      inst.liveFailures = 0;
      return;
    }
    inst.liveFailures++;
    if (inst.liveFailures >= threshold) {
      this.#event('Normal', 'Killing', msg.probeRestart(c.spec.name, 'liveness'), c);
      this.#exit(c, 137, 'Error');
    }
  }

  /** The prober's output for a failed probe, undefined when it passes. */
  #probeFailure(c: ContainerRun, inst: Instance, kind: 'liveness' | 'readiness', probe: ProbeSpec): string | undefined {
    const behavior = this.#behavior(c);
    const ip = this.#podIP ?? '';
    const portOf = (p: number | string): number => (typeof p === 'number' ? p : (c.spec.ports?.find((x) => x.name === p)?.containerPort ?? Number(p)));
    const declared = (c.spec.ports ?? []).map((p) => p.containerPort);
    const listening = (port: number) => inst.up && (behavior.listensOn ?? (declared.length ? declared : [port])).includes(port);
    const prescribed = behavior.probes?.[kind] ?? 'pass';
    const fails = probeFails(prescribed, this.#ctx.clock.now() - inst.startedAt);
    if (probe.httpGet) {
      const port = portOf(probe.httpGet.port);
      const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
      const host = probe.httpGet.host ?? ip;
      if (!listening(port)) return `Get "${scheme}://${host}:${port}${probe.httpGet.path ?? '/'}": dial tcp ${host}:${port}: connect: connection refused`;
      return fails ? 'HTTP probe failed with statuscode: 503' : undefined;
    }
    if (probe.tcpSocket) {
      const port = portOf(probe.tcpSocket.port);
      if (!listening(port)) return `dial tcp ${ip}:${port}: connect: connection refused`;
      return fails ? `dial tcp ${ip}:${port}: i/o timeout` : undefined;
    }
    if (probe.grpc) {
      if (!listening(probe.grpc.port)) return `timeout: failed to connect service "${ip}:${probe.grpc.port}" within 1s: context deadline exceeded`;
      return fails ? 'service unhealthy (responded with "NOT_SERVING")' : undefined;
    }
    return !inst.up || fails ? '' : undefined;
  }

  // ---- exits and restarts ----

  /** The container's process ended (or was killed) with `exitCode`. */
  #exit(c: ContainerRun, exitCode: number, reason: string, options: { restartNow?: boolean } = {}): void {
    if (c.state.kind !== 'running') return;
    const startedAt = c.state.startedAt;
    this.#clearInstance(c);
    this.#finish(c, { kind: 'terminated', exitCode, reason, startedAt, finishedAt: this.#ctx.clock.now(), containerID: c.containerID }, options);
  }

  #finish(c: ContainerRun, terminated: Terminated, options: { restartNow?: boolean } = {}): void {
    c.state = terminated;
    c.priorTerminated = c.lastTerminated;
    c.lastTerminated = terminated;
    c.ready = false;
    this.#usageFor(c, 0, 0);
    const policy = podSpec(this.#pod).restartPolicy ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && terminated.exitCode !== 0);
    if (!restart) {
      c.done = true;
      this.#checkCompletion();
      this.#dirty();
      return;
    }
    this.#dirty();
    if (options.restartNow) {
      c.step = this.#timer(SYNC_DELAY_MS, () => this.#createAfterRestart(c));
      return;
    }
    c.step = this.#timer(SYNC_DELAY_MS, () => this.#restartDecision(c));
  }

  #createAfterRestart(c: ContainerRun): void {
    c.step = undefined;
    if (this.terminal) return;
    this.#pullImage(c);
  }

  #checkCompletion(): void {
    if (this.#terminal || !this.#containers.every((c) => c.done)) return;
    const failed = this.#containers.some((c) => (c.lastTerminated?.exitCode ?? 0) !== 0);
    this.#terminal = { phase: failed ? 'Failed' : 'Succeeded' };
    this.#ctx.usage.dropPod(this.namespace, this.name);
  }

  #kill(c: ContainerRun, exitCode: number, reason: string): void {
    this.#cancelStep(c);
    if (c.state.kind === 'running') {
      const startedAt = c.state.startedAt;
      this.#clearInstance(c);
      c.state = { kind: 'terminated', exitCode, reason, startedAt, finishedAt: this.#ctx.clock.now(), containerID: c.containerID };
      c.priorTerminated = c.lastTerminated;
      c.lastTerminated = c.state;
    }
    c.ready = false;
    c.done = true;
  }

  /** The kubelet of this pod's node is up (not stopped by a fault): it can act on the pod. */
  #kubeletUp(): boolean {
    return this.#host.nodeRunning(this.node) && !this.#ctx.nodeFaults.get(this.node).kubeletStopped;
  }

  /**
   * The pod got a deletionTimestamp: SIGTERM every running container (they exit promptly, within
   * min(grace, 2 s) simulated), then remove the pod. A stopped kubelet does nothing: the pod stays
   * Terminating until the kubelet is back (`resumeDeletion`) or someone force-deletes it.
   */
  #gracefulDelete(): void {
    if (!this.#kubeletUp()) return;
    this.#deleting = true;
    for (const c of this.#containers) if (c.state.kind === 'running') this.#event('Normal', 'Killing', msg.stopping(c.spec.name), c);
    const meta = this.#pod.metadata;
    const graceSeconds = meta.deletionGracePeriodSeconds ?? podSpec(this.#pod).terminationGracePeriodSeconds ?? 30;
    const grace = Math.min(graceSeconds * 1000, DELETE_GRACE_MS);
    this.#timer(this.#evicted ? HARD_EVICTION_GRACE_MS : grace, () => {
      if (!this.#kubeletUp()) {
        // Stopped meanwhile: finish once the kubelet is back.
        this.#deleting = false;
        return;
      }
      for (const c of this.#containers) this.#kill(c, 143, 'Error');
      this.#ctx.usage.dropPod(this.namespace, this.name);
      try {
        const current = this.#ctx.store.get(res('pods'), this.namespace, this.name);
        if (current?.metadata.uid === this.uid) this.#ctx.store.delete(res('pods'), this.namespace, this.name);
      } catch {
        // already gone
      }
      this.#host.forget(this);
    });
  }

  /** The kubelet came back: a deletion it could not act on goes ahead now. */
  resumeDeletion(pod: KubeObject): void {
    this.#pod = pod;
    if (pod.metadata.deletionTimestamp && !this.#deleting) this.#gracefulDelete();
  }

  #clearInstance(c: ContainerRun): void {
    for (const t of c.instance?.timers.values() ?? []) this.#ctx.clock.clearTimer(t);
    c.instance?.timers.clear();
    c.instance = undefined;
  }

  #cancelStep(c: ContainerRun): void {
    this.#ctx.clock.clearTimer(c.step);
    c.step = undefined;
  }

  #cancelContainer(c: ContainerRun): void {
    this.#cancelStep(c);
    this.#ctx.clock.clearTimer(c.resync);
    this.#clearInstance(c);
  }

  // ---- usage ----

  #reportUsage(): void {
    if (this.terminal) return;
    for (const c of this.#containers) {
      if (c.state.kind !== 'running') continue;
      const behavior = this.#behavior(c);
      const limit = cpuMillis(c.spec.resources?.limits?.['cpu']);
      const base = behavior.cpu?.millicores ?? DEFAULTS.millicores;
      let cpu = Math.max(1, Math.round(base * (0.9 + this.#ctx.random() * 0.2)));
      if (limit > 0) cpu = Math.min(cpu, limit);
      this.#usageFor(c, cpu, Math.round(this.#memoryMi(c) * MI));
    }
    this.#usageTimer = this.#timer(USAGE_EVERY_MS, () => this.#reportUsage());
  }

  #usageFor(c: ContainerRun, cpuMillicores: number, memoryBytes: number): void {
    this.#ctx.usage.set(this.namespace, this.name, this.node, c.spec.name, { cpuMillicores, memoryBytes });
  }

  // ---- helpers ----

  #behavior(c: ContainerRun): ContainerBehavior {
    return this.#ctx.behaviors.get({ namespace: this.namespace, ...this.#owner, container: c.spec.name, ...(c.spec.image ? { image: c.spec.image } : {}) });
  }

  #log(c: ContainerRun, text: string): void {
    this.#ctx.logs.append(this.namespace, this.name, c.spec.name, c.restartCount, { time: this.#ctx.clock.now(), text });
  }

  #event(type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerRun): void {
    if (!this.#host.nodeRunning(this.node)) return;
    this.#ctx.events.record(this.#pod, type, reason, message, { component: KUBELET, host: this.node }, c ? `spec.containers{${c.spec.name}}` : undefined);
  }

  #timer(ms: number, fn: () => void): Timer {
    return this.#ctx.clock.setTimer(ms, () => {
      if (!this.#stopped) fn();
    });
  }

  #instanceTimer(inst: Instance, purpose: Instance['timers'] extends Map<infer K, Timer> ? K : never, ms: number, fn: () => void): void {
    this.#ctx.clock.clearTimer(inst.timers.get(purpose));
    inst.timers.set(purpose, this.#timer(ms, fn));
  }

  /** Pending timer handles of each container's current instance (tests: bounded, one per purpose). */
  get instanceTimerCount(): number {
    return this.#containers.reduce((n, c) => n + (c.instance?.timers.size ?? 0), 0);
  }

  #dirty(): void {
    this.#host.requestPublish(this);
  }

  /** The pod status as the kubelet reports it. */
  status(previous: Record<string, unknown> | undefined): Record<string, unknown> {
    const spec: PodSpec = podSpec(this.#pod);
    const now = this.#ctx.clock.isoNow();
    const phase = this.#terminal?.phase ?? podPhaseOf(this.#containers, spec.restartPolicy ?? 'Always');
    const unready = this.#containers.filter((c) => !c.ready).map((c) => c.spec.name);
    const completed = phase === 'Succeeded' || phase === 'Failed';
    const prevConditions = (previous?.['conditions'] as { type: string; status: string; lastTransitionTime?: string }[] | undefined) ?? [];
    const condition = (type: string, status: ConditionStatus, reason?: string, message?: string) => {
      const prior = this.#conditionTimes.get(type) ?? (() => {
        const p = prevConditions.find((x) => x.type === type);
        return p?.lastTransitionTime ? { status: p.status, time: p.lastTransitionTime } : undefined;
      })();
      const time = prior && prior.status === status ? prior.time : now;
      this.#conditionTimes.set(type, { status, time });
      return { type, status, lastProbeTime: null, lastTransitionTime: time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
    };
    const readyReason = completed ? 'PodCompleted' : unready.length ? 'ContainersNotReady' : undefined;
    const readyMessage = !completed && unready.length ? `containers with unready status: [${unready.join(' ')}]` : undefined;
    const readyStatus: ConditionStatus = !completed && !unready.length ? 'True' : 'False';
    const scheduled = prevConditions.find((x) => x.type === 'PodScheduled');
    const conditions = [
      condition('PodReadyToStartContainers', this.#mounted && !completed ? 'True' : this.#mounted ? 'False' : 'False'),
      condition('Initialized', 'True', completed ? 'PodCompleted' : undefined),
      condition('Ready', readyStatus, readyReason, readyMessage),
      condition('ContainersReady', readyStatus, readyReason, readyMessage),
      { ...(scheduled ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.#startTime }) },
    ];
    if (this.#evicted) conditions.unshift(condition('DisruptionTarget', 'True', 'TerminationByKubelet', this.#evicted.message));
    return {
      phase,
      conditions,
      ...(this.#terminal?.reason ? { reason: this.#terminal.reason } : {}),
      ...(this.#terminal?.message ? { message: this.#terminal.message } : {}),
      hostIP: this.#host.hostIP(this.node),
      hostIPs: [{ ip: this.#host.hostIP(this.node) }],
      ...(this.#podIP ? { podIP: this.#podIP, podIPs: [{ ip: this.#podIP }] } : {}),
      startTime: this.#startTime,
      containerStatuses: this.#containers.map((c) => ({
        name: c.spec.name,
        state: stateJson(c.state),
        lastState: (() => {
          const last = c.state.kind === 'terminated' ? c.priorTerminated : c.lastTerminated;
          return last ? stateJson(last) : {};
        })(),
        ready: c.ready,
        restartCount: c.restartCount,
        image: c.spec.image ?? '',
        imageID: c.imageID ?? '',
        ...(c.containerID ? { containerID: c.containerID } : {}),
        started: c.state.kind === 'running',
      })),
      qosClass: qosClass(this.#pod),
    };
  }
}

function podPhaseOf(containers: ContainerRun[], restartPolicy: string): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.state.kind === 'running') running++;
    else if (c.state.kind === 'terminated') {
      stopped++;
      if (c.state.exitCode === 0) succeeded++;
    } else if (c.lastTerminated) {
      stopped++;
      if (c.lastTerminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function stateJson(s: ContainerState): Record<string, unknown> {
  switch (s.kind) {
    case 'waiting':
      return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    case 'running':
      return { running: { startedAt: iso(s.startedAt) } };
    case 'terminated':
      return {
        terminated: {
          exitCode: s.exitCode,
          reason: s.reason,
          ...(s.message ? { message: s.message } : {}),
          startedAt: iso(s.startedAt),
          finishedAt: iso(s.finishedAt),
          ...(s.containerID ? { containerID: s.containerID } : {}),
        },
      };
  }
}

function probeFails(p: ProbeBehavior, sinceStartMs: number): boolean {
  if (p === 'pass') return false;
  if (p === 'fail') return true;
  const after = parseDurationMs(p.failAfter);
  return Number.isFinite(after) && sinceStartMs >= after;
}

function noSpaceLine(c: ContainerSpec, mountPath: string): string {
  if (/postgres/i.test(c.image ?? '')) return 'ERROR: could not write to file "base/16384/2619": No space left on device';
  return `ERROR: could not write to ${mountPath}: No space left on device`;
}

function imageIdOf(image: string): string {
  const ref = qualifiedImage(image).replace(/:[^:/@]*$/, '');
  let h = 0x811c9dc5;
  for (const ch of image) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  let digest = '';
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ i, 0x01000193) >>> 0;
    digest += h.toString(16).padStart(8, '0');
  }
  return `${ref}@sha256:${digest}`;
}

function hex(random: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(random() * 16).toString(16);
  return s;
}

/** Requests of one container (exported for the eviction manager's ranking). */
export function containerMemoryRequest(c: ContainerSpec): number {
  return effectiveRequests(c).memory;
}
