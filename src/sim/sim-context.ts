/**
 * What every simulated controller shares: the store, the clock, the event recorder, and the pieces of
 * the simulated world that Kubernetes does not hold (what each container does, which images exist,
 * container logs, resource usage).
 */
import type { Logger } from '../adapters/telemetry/index.js';
import type { SimClock } from './clock.js';
import type { EventRecorder } from './event-recorder.js';
import type { ObjectStore } from './store/object-store.js';

/** Probe outcome a scenario prescribes: `pass`, `fail`, or `{ failAfter: '60s' }` (passes, then fails). */
export type ProbeBehavior = 'pass' | 'fail' | { failAfter: string };

/**
 * What a simulated container does (scenario `behavior`, camelCase as in the YAML). Every field is
 * optional; defaults: starts in 2s, 50Mi and 50m, listens on its declared ports, passes probes, runs
 * forever.
 */
export interface ContainerBehavior {
  startupSeconds?: number;
  memory?: { baseMi?: number; growthMiPerMinute?: number };
  cpu?: { millicores?: number };
  listensOn?: number[];
  requireEnv?: string[];
  missingEnvLog?: string;
  dependsOn?: { service: string; namespace?: string; port?: number }[];
  dependencyErrorLog?: string;
  exit?: { afterSeconds: number; code: number };
  logs?: string[];
  errorLogs?: string[];
  logEverySeconds?: number;
  probes?: { liveness?: ProbeBehavior; readiness?: ProbeBehavior };
  disk?: { volume: string; usedMi?: number; growthMiPerMinute?: number };
  /** When set, a container whose `command[0]` is not listed fails with "executable file not found in $PATH". */
  knownCommands?: string[];
}

/** Where a behavior applies: a workload's container, optionally only for one image. */
export interface BehaviorKey {
  namespace: string;
  /** The top-level owner: `Deployment`, `StatefulSet`, `DaemonSet`, `Job`, or `Pod` for a bare pod. */
  kind: string;
  name: string;
  container: string;
  image?: string;
}

export class BehaviorRegistry {
  readonly #byKey = new Map<string, ContainerBehavior>();

  set(key: BehaviorKey, behavior: ContainerBehavior): void {
    this.#byKey.set(keyOf(key), behavior);
  }

  /** Merges `patch` into the current behavior (fault `set-behavior`). */
  patch(key: BehaviorKey, patch: ContainerBehavior): void {
    this.#byKey.set(keyOf(key), { ...(this.#byKey.get(keyOf(key)) ?? this.#byKey.get(keyOf({ ...key, image: undefined })) ?? {}), ...patch });
  }

  /** The behavior for a container running `image`: image-specific first, then the container's, else `{}`. */
  get(key: BehaviorKey): ContainerBehavior {
    return this.#byKey.get(keyOf(key)) ?? this.#byKey.get(keyOf({ ...key, image: undefined })) ?? {};
  }
}

function keyOf(k: BehaviorKey): string {
  return [k.namespace, k.kind, k.name, k.container, k.image ?? ''].join('/');
}

/** The simulated registry: every image pulls unless listed missing or unauthorized. */
export class ImageRegistry {
  readonly missing = new Set<string>();
  readonly unauthorized = new Set<string>();

  pull(image: string): 'ok' | 'missing' | 'unauthorized' {
    if (this.missing.has(image)) return 'missing';
    if (this.unauthorized.has(image)) return 'unauthorized';
    return 'ok';
  }
}

export interface LogLine {
  /** Simulated time, epoch ms. */
  time: number;
  text: string;
}

/** Container logs per pod, container and instance (restart count), so `--previous` works. */
export class LogStore {
  readonly #logs = new Map<string, LogLine[]>();
  /** Per container, the instances whose logs are kept: the current one and the previous one, as a kubelet keeps. */
  readonly #instances = new Map<string, number[]>();
  readonly #maxLinesPerInstance: number;

  constructor(maxLinesPerInstance = 5000) {
    this.#maxLinesPerInstance = maxLinesPerInstance;
  }

  append(namespace: string, pod: string, container: string, instance: number, line: LogLine): void {
    const containerKey = `${namespace}/${pod}/${container}`;
    const k = `${containerKey}/${instance}`;
    let lines = this.#logs.get(k);
    if (!lines) {
      lines = [];
      this.#logs.set(k, lines);
      const kept = this.#instances.get(containerKey) ?? [];
      kept.push(instance);
      kept.sort((x, y) => x - y);
      // Instance n appending drops n-2 and older: only `logs` and `logs --previous` can reach them.
      while (kept.length > 2 || (kept[0] !== undefined && kept[0] < instance - 1)) this.#logs.delete(`${containerKey}/${kept.shift() ?? ''}`);
      this.#instances.set(containerKey, kept);
    }
    // A multi-line entry (a stack trace) is one entry per line, as a runtime writes them.
    for (const text of line.text.split('\n')) lines.push({ time: line.time, text });
    if (lines.length > this.#maxLinesPerInstance) lines.splice(0, lines.length - this.#maxLinesPerInstance);
  }

  read(namespace: string, pod: string, container: string, instance: number): LogLine[] | undefined {
    return this.#logs.get(`${namespace}/${pod}/${container}/${instance}`)?.slice();
  }

  /** Forgets a deleted pod. */
  dropPod(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const k of [...this.#logs.keys()]) if (k.startsWith(prefix)) this.#logs.delete(k);
    for (const k of [...this.#instances.keys()]) if (k.startsWith(prefix)) this.#instances.delete(k);
  }

  /** Container instances with logs held (diagnostics and tests). */
  get instanceCount(): number {
    return this.#logs.size;
  }
}

/** Current resource usage per container, written by the kubelet, read by metrics.k8s.io and the HPA. */
export interface ContainerUsage {
  cpuMillicores: number;
  memoryBytes: number;
}

export class UsageStore {
  readonly #pods = new Map<string, { node: string; containers: Map<string, ContainerUsage> }>();

  set(namespace: string, pod: string, node: string, container: string, usage: ContainerUsage): void {
    const k = `${namespace}/${pod}`;
    let entry = this.#pods.get(k);
    if (!entry) {
      entry = { node, containers: new Map() };
      this.#pods.set(k, entry);
    }
    entry.node = node;
    entry.containers.set(container, usage);
  }

  dropPod(namespace: string, pod: string): void {
    this.#pods.delete(`${namespace}/${pod}`);
  }

  pod(namespace: string, pod: string): { node: string; containers: Map<string, ContainerUsage> } | undefined {
    return this.#pods.get(`${namespace}/${pod}`);
  }

  pods(): { namespace: string; name: string; node: string; containers: Map<string, ContainerUsage> }[] {
    return [...this.#pods].map(([k, v]) => {
      const [namespace = '', name = ''] = k.split('/');
      return { namespace, name, ...v };
    });
  }
}

/**
 * What a fault does to a node's kubelet, read by the node controllers: a kubelet that stops posting
 * status makes the node NotReady after the grace period; pressure flips the node's conditions.
 */
export interface NodeFaults {
  kubeletStopped: boolean;
  diskPressure: boolean;
  memoryPressure: boolean;
  pidPressure: boolean;
}

export class NodeFaultRegistry {
  readonly #nodes = new Map<string, NodeFaults>();

  get(node: string): NodeFaults {
    return this.#nodes.get(node) ?? { kubeletStopped: false, diskPressure: false, memoryPressure: false, pidPressure: false };
  }

  set(node: string, patch: Partial<NodeFaults>): void {
    this.#nodes.set(node, { ...this.get(node), ...patch });
  }
}

export interface SimContext {
  clusterId: string;
  store: ObjectStore;
  clock: SimClock;
  events: EventRecorder;
  behaviors: BehaviorRegistry;
  images: ImageRegistry;
  logs: LogStore;
  usage: UsageStore;
  nodeFaults: NodeFaultRegistry;
  /**
   * Set while a Kubelet controller runs: someone will finish a pod's graceful deletion. Without one (a
   * hand-seeded store, controller unit tests) a pod delete removes the pod at once.
   */
  kubeletRunning?: boolean;
  /** Seeded, so a scenario plays the same way every time. */
  random: () => number;
  logger: Logger;
}

/** A simulated control loop. */
export interface Controller {
  readonly name: string;
  start(): void;
  stop(): void;
}
