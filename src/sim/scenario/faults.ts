/**
 * Injects a scenario's faults at their simulated times. Each fault changes the world the way a person or
 * an outage would: through the store (a new image rolls the Deployment, a deleted ConfigMap is gone) or
 * through the registries the kubelet and node controllers read (a container's behavior, a stopped
 * kubelet). Every applied fault is logged and recorded in the timeline.
 */
import { controllerOf, type KubeObject } from '../../core/kube/kube-types.js';
import { deletePodGracefully } from '../pod-deletion.js';
import { res } from '../resources.js';
import type { BehaviorKey, ContainerBehavior, SimContext } from '../sim-context.js';
import type { Timer } from '../clock.js';
import { WORKLOAD_RESOURCES } from './loader.js';
import { durationMs, type Fault, type FaultAction, type Scenario, type Workload, type WorkloadTarget } from './schema.js';

/** One applied fault. */
export interface TimelineEntry {
  /** When, as written in the scenario (`2m`). */
  at: string;
  /** When, in simulated ms since the scenario started. */
  atMs: number;
  /** When, as a simulated RFC 3339 timestamp. */
  time: string;
  action: FaultAction;
  target: Fault['target'];
  /** What happened, for a person: `Deployment shop/checkout container app image → …:1.5.0`. */
  description: string;
  /** Set when the fault could not be applied (its target was already gone). */
  error?: string;
}

export interface FaultInjectorOptions {
  /** Simulated epoch ms at which the scenario started; `at` counts from here. Default: now. */
  startMs?: number;
  /** Called after each fault (applied or failed). */
  onApplied?: (entry: TimelineEntry) => void;
}

export class FaultInjector {
  readonly #ctx: SimContext;
  readonly #scenario: Scenario;
  readonly #startMs: number;
  readonly #onApplied: ((entry: TimelineEntry) => void) | undefined;
  readonly #timers: Timer[] = [];
  readonly #timeline: TimelineEntry[] = [];
  /** Behavior keys registered per image by set-image, so later behavior faults reach them too. */
  readonly #imageKeys = new Set<string>();
  /** A Service's selector and ports before the first break-service. */
  readonly #originalServices = new Map<string, { selector: unknown; ports: unknown }>();

  constructor(ctx: SimContext, scenario: Scenario, options: FaultInjectorOptions = {}) {
    this.#ctx = ctx;
    this.#scenario = scenario;
    this.#startMs = options.startMs ?? ctx.clock.now();
    this.#onApplied = options.onApplied;
  }

  /** Faults applied so far, in order. */
  get timeline(): readonly TimelineEntry[] {
    return this.#timeline;
  }

  /** Schedules every fault of the scenario on the clock. */
  schedule(): void {
    for (const fault of this.#scenario.spec.faults) {
      const due = this.#startMs + durationMs(fault.at);
      this.#timers.push(this.#ctx.clock.setTimer(due - this.#ctx.clock.now(), () => this.apply(fault)));
    }
  }

  /** Cancels faults not yet applied. */
  cancel(): void {
    for (const t of this.#timers) this.#ctx.clock.clearTimer(t);
    this.#timers.length = 0;
  }

  /** Applies one fault now; never throws (a failure is recorded in the timeline entry). */
  apply(fault: Fault): TimelineEntry {
    const entry: TimelineEntry = {
      at: fault.at,
      atMs: this.#ctx.clock.now() - this.#startMs,
      time: this.#ctx.clock.isoNow(),
      action: fault.action,
      target: fault.target,
      description: '',
    };
    try {
      entry.description = this.#apply(fault);
      this.#ctx.logger.info({ clusterId: this.#ctx.clusterId, action: fault.action, target: targetText(fault), at: fault.at, description: entry.description }, 'fault applied');
    } catch (err) {
      entry.error = err instanceof Error ? err.message : String(err);
      entry.description = `${fault.action} ${targetText(fault)} failed`;
      this.#ctx.logger.warn({ clusterId: this.#ctx.clusterId, action: fault.action, target: targetText(fault), at: fault.at, err }, 'fault could not be applied');
    }
    this.#timeline.push(entry);
    this.#onApplied?.(entry);
    return entry;
  }

  #apply(f: Fault): string {
    const ctx = this.#ctx;
    switch (f.action) {
      case 'set-image': {
        const { key, workload } = this.#resolve(f.target);
        this.#mutateContainer(f.target, workload, (c) => {
          c['image'] = f.value.image;
        });
        if (f.value.behavior) {
          // The new image behaves like the old one except where the fault says otherwise.
          ctx.behaviors.set({ ...key, image: f.value.image }, { ...ctx.behaviors.get(key), ...structuredClone(f.value.behavior) });
          this.#imageKeys.add(keyText({ ...key, image: f.value.image }));
        }
        return `${describe(f.target, key.container)} image → ${f.value.image}`;
      }
      case 'set-env': {
        const { key, workload } = this.#resolve(f.target);
        const { name, value, valueFrom } = f.value;
        this.#mutateContainer(f.target, workload, (c) => {
          const env = ((c['env'] as Record<string, unknown>[] | undefined) ?? []).filter((e) => e['name'] !== name);
          env.push({ name, ...(value !== undefined ? { value } : {}), ...(valueFrom ? { valueFrom: structuredClone(valueFrom) } : {}) });
          c['env'] = env;
        });
        return `${describe(f.target, key.container)} env ${name} set`;
      }
      case 'unset-env': {
        const { key, workload } = this.#resolve(f.target);
        let found = false;
        this.#mutateContainer(f.target, workload, (c) => {
          const env = (c['env'] as Record<string, unknown>[] | undefined) ?? [];
          found = env.some((e) => e['name'] === f.value.name);
          const rest = env.filter((e) => e['name'] !== f.value.name);
          if (rest.length) c['env'] = rest;
          else delete c['env'];
        });
        return `${describe(f.target, key.container)} env ${f.value.name} ${found ? 'removed' : 'was not set'}`;
      }
      case 'set-resources': {
        const { key, workload } = this.#resolve(f.target);
        this.#mutateContainer(f.target, workload, (c) => {
          const current = (c['resources'] as { requests?: Record<string, string>; limits?: Record<string, string> } | undefined) ?? {};
          c['resources'] = {
            ...(current.requests || f.value.requests ? { requests: { ...current.requests, ...f.value.requests } } : {}),
            ...(current.limits || f.value.limits ? { limits: { ...current.limits, ...f.value.limits } } : {}),
          };
        });
        return `${describe(f.target, key.container)} resources ${JSON.stringify(f.value)}`;
      }
      case 'set-behavior': {
        const { key } = this.#resolve(f.target);
        this.#patchBehavior(key, () => structuredClone(f.value));
        return `${describe(f.target, key.container)} behavior ${Object.keys(f.value).join(', ')}`;
      }
      case 'set-probe': {
        const { key } = this.#resolve(f.target);
        this.#patchBehavior(key, (current) => ({ probes: { ...current.probes, ...structuredClone(f.value) } }));
        return `${describe(f.target, key.container)} probes ${JSON.stringify(f.value)}`;
      }
      case 'add-error-logs': {
        const { key } = this.#resolve(f.target);
        this.#patchBehavior(key, (current) => ({
          errorLogs: [...(current.errorLogs ?? []), ...f.value.lines],
          ...(f.value.everySeconds !== undefined ? { logEverySeconds: f.value.everySeconds } : {}),
        }));
        return `${describe(f.target, key.container)} error logs +${f.value.lines.length}`;
      }
      case 'delete-configmap':
        ctx.store.delete(res('configmaps'), f.target.namespace, f.target.name);
        return `ConfigMap ${f.target.namespace}/${f.target.name} deleted`;
      case 'delete-secret':
        ctx.store.delete(res('secrets'), f.target.namespace, f.target.name);
        return `Secret ${f.target.namespace}/${f.target.name} deleted`;
      case 'delete-pod': {
        const pods = podsOf(ctx, f.target).filter((p) => !p.metadata.deletionTimestamp);
        if (!pods.length) throw new Error(`${f.target.kind} ${f.target.namespace}/${f.target.name} has no pods to delete`);
        const pod = pods[Math.floor(ctx.random() * pods.length)] as KubeObject;
        deletePodGracefully(ctx, pod.metadata.namespace, pod.metadata.name);
        return `pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name} of ${f.target.kind} ${f.target.name} deleted`;
      }
      case 'scale': {
        const info = res(WORKLOAD_RESOURCES[f.target.kind].key);
        ctx.store.mutate(info, f.target.namespace, f.target.name, (o) => {
          const spec = o['spec'] as Record<string, unknown>;
          if (f.target.kind === 'Job') spec['parallelism'] = f.value.replicas;
          else spec['replicas'] = f.value.replicas;
        });
        return `${f.target.kind} ${f.target.namespace}/${f.target.name} scaled to ${f.value.replicas}`;
      }
      case 'node-not-ready':
        this.#mustNode(f.target.name);
        ctx.nodeFaults.set(f.target.name, { kubeletStopped: true });
        return `node ${f.target.name} kubelet stopped`;
      case 'node-ready':
        this.#mustNode(f.target.name);
        ctx.nodeFaults.set(f.target.name, { kubeletStopped: false });
        return `node ${f.target.name} kubelet running`;
      case 'node-disk-pressure': {
        this.#mustNode(f.target.name);
        const on = f.value?.active ?? true;
        ctx.nodeFaults.set(f.target.name, { diskPressure: on });
        return `node ${f.target.name} disk pressure ${on ? 'on' : 'off'}`;
      }
      case 'node-memory-pressure': {
        this.#mustNode(f.target.name);
        const on = f.value?.active ?? true;
        ctx.nodeFaults.set(f.target.name, { memoryPressure: on });
        return `node ${f.target.name} memory pressure ${on ? 'on' : 'off'}`;
      }
      case 'cordon':
        ctx.store.mutate(res('nodes'), undefined, f.target.name, (n) => {
          (n['spec'] as Record<string, unknown>)['unschedulable'] = true;
        });
        return `node ${f.target.name} cordoned`;
      case 'uncordon':
        ctx.store.mutate(res('nodes'), undefined, f.target.name, (n) => {
          delete (n['spec'] as Record<string, unknown>)['unschedulable'];
        });
        return `node ${f.target.name} uncordoned`;
      case 'break-service': {
        const { namespace, name } = f.target;
        const k = `${namespace}/${name}`;
        let description = '';
        ctx.store.mutate(res('services'), namespace, name, (s) => {
          const spec = s['spec'] as Record<string, unknown>;
          if (!this.#originalServices.has(k)) this.#originalServices.set(k, { selector: structuredClone(spec['selector']), ports: structuredClone(spec['ports']) });
          const selector = f.value?.selector ?? brokenSelector((spec['selector'] as Record<string, string> | undefined) ?? {});
          if (f.value?.targetPort !== undefined) {
            spec['ports'] = ((spec['ports'] as Record<string, unknown>[] | undefined) ?? []).map((p) => ({ ...p, targetPort: f.value?.targetPort }));
            description = `targetPort → ${String(f.value.targetPort)}`;
          }
          if (f.value?.selector !== undefined || f.value?.targetPort === undefined) {
            spec['selector'] = selector;
            description = `${description ? `${description}, ` : ''}selector → ${JSON.stringify(selector)}`;
          }
        });
        return `Service ${k} ${description}`;
      }
      case 'restore-service': {
        const { namespace, name } = f.target;
        const k = `${namespace}/${name}`;
        const original = this.#originalServices.get(k) ?? this.#scenarioService(namespace, name);
        ctx.store.mutate(res('services'), namespace, name, (s) => {
          const spec = s['spec'] as Record<string, unknown>;
          spec['selector'] = structuredClone(original.selector);
          spec['ports'] = structuredClone(original.ports);
        });
        this.#originalServices.delete(k);
        return `Service ${k} selector restored to ${JSON.stringify(original.selector)}`;
      }
    }
  }

  #resolve(target: WorkloadTarget): { key: BehaviorKey; workload: Workload } {
    const workload = this.#scenario.spec.workloads.find((w) => w.kind === target.kind && w.namespace === target.namespace && w.name === target.name);
    if (!workload) throw new Error(`${target.kind} ${target.namespace}/${target.name} is not in the scenario`);
    const container = target.container ?? workload.containers[0]?.name ?? '';
    if (!workload.containers.some((c) => c.name === container)) throw new Error(`${target.kind} ${target.namespace}/${target.name} has no container ${container}`);
    return { key: { namespace: target.namespace, kind: target.kind, name: target.name, container }, workload };
  }

  /** Changes one container of the workload's pod template: a new revision, so a rollout. */
  #mutateContainer(target: WorkloadTarget, workload: Workload, fn: (container: Record<string, unknown>) => void): void {
    const containerName = target.container ?? workload.containers[0]?.name;
    const info = res(WORKLOAD_RESOURCES[target.kind].key);
    this.#ctx.store.mutate(info, target.namespace, target.name, (obj) => {
      const template = templateOf(obj);
      const containers = ((template?.['spec'] as Record<string, unknown> | undefined)?.['containers'] as Record<string, unknown>[] | undefined) ?? [];
      const container = containers.find((c) => c['name'] === containerName);
      if (!container) throw new Error(`${target.kind} ${target.namespace}/${target.name} has no container ${containerName ?? ''} in its pod template`);
      fn(container);
    });
  }

  /** Merges into the container's behavior, and into any image-specific one set-image registered. */
  #patchBehavior(key: BehaviorKey, patch: (current: ContainerBehavior) => ContainerBehavior): void {
    const behaviors = this.#ctx.behaviors;
    behaviors.patch(key, patch(behaviors.get(key)));
    for (const k of this.#imageKeys) {
      const image = k.slice(keyText(key).length);
      if (!k.startsWith(keyText(key)) || !image) continue;
      const imageKey = { ...key, image };
      behaviors.patch(imageKey, patch(behaviors.get(imageKey)));
    }
  }

  #mustNode(name: string): void {
    this.#ctx.store.mustGet(res('nodes'), undefined, name);
  }

  #scenarioService(namespace: string, name: string): { selector: unknown; ports: unknown } {
    const s = this.#scenario.spec.services.find((x) => x.namespace === namespace && x.name === name);
    if (!s) throw new Error(`Service ${namespace}/${name} is not in the scenario`);
    return {
      selector: { ...s.selector },
      ports: [{ ...(s.portName ? { name: s.portName } : {}), protocol: s.protocol ?? 'TCP', port: s.port, targetPort: s.targetPort ?? s.port }],
    };
  }
}

/** The pod template of a workload object (a CronJob's sits in its job template). */
export function templateOf(obj: KubeObject): Record<string, unknown> | undefined {
  const spec = obj['spec'] as Record<string, unknown> | undefined;
  if (obj.kind === 'CronJob') return ((spec?.['jobTemplate'] as Record<string, unknown> | undefined)?.['spec'] as Record<string, unknown> | undefined)?.['template'] as Record<string, unknown> | undefined;
  return spec?.['template'] as Record<string, unknown> | undefined;
}

/** The pods a workload owns, directly or through a ReplicaSet or Job. */
export function podsOf(ctx: SimContext, target: Pick<WorkloadTarget, 'kind' | 'namespace' | 'name'>): KubeObject[] {
  const top = ctx.store.get(res(WORKLOAD_RESOURCES[target.kind].key), target.namespace, target.name);
  if (!top) return [];
  const middle = new Map<string, string>(); // uid of a ReplicaSet / Job → uid of its controller
  const ownerUid = (kind: string, uid: string): string | undefined => {
    if (!middle.has(uid)) {
      const key = kind === 'ReplicaSet' ? 'replicasets.apps' : kind === 'Job' ? 'jobs.batch' : undefined;
      if (!key) return undefined;
      const found = ctx.store.list(res(key), { namespace: target.namespace }).items.find((o) => o.metadata.uid === uid);
      middle.set(uid, (found && controllerOf(found)?.uid) ?? '');
    }
    return middle.get(uid);
  };
  return ctx.store
    .list(res('pods'), { namespace: target.namespace })
    .items.filter((p) => {
      const owner = controllerOf(p);
      if (!owner) return false;
      return owner.uid === top.metadata.uid || ownerUid(owner.kind, owner.uid) === top.metadata.uid;
    });
}

/** A selector that matches nothing the workload runs, as a typo in a release would: `app: checkout` → `app: checkout-v2`. */
function brokenSelector(selector: Record<string, string>): Record<string, string> {
  const entries = Object.entries(selector);
  if (!entries.length) return { 'app.kubernetes.io/name': 'nothing' };
  const [firstKey, firstValue] = entries[0] as [string, string];
  return { ...selector, [firstKey]: `${firstValue}-v2` };
}

function keyText(k: BehaviorKey): string {
  return `${k.namespace}/${k.kind}/${k.name}/${k.container}/${k.image ?? ''}`;
}

function describe(t: WorkloadTarget, container: string): string {
  return `${t.kind} ${t.namespace}/${t.name} container ${container}`;
}

/** `Deployment shop/checkout`, `Node node-1`. */
export function targetText(f: Pick<Fault, 'target'>): string {
  const t = f.target;
  return 'namespace' in t ? `${t.kind} ${t.namespace}/${t.name}${'container' in t && t.container ? ` (${t.container})` : ''}` : `${t.kind} ${t.name}`;
}
