/**
 * ReplicaSet → Pods: keeps `spec.replicas` active pods stamped from the template, replacing pods that
 * are deleted, evicted or fail; deletes the least useful pods first on scale-down; asks quota
 * admission before every create and reports refusals as `FailedCreate`.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { deletePodGracefully } from '../../pod-deletion.js';
import type { Change } from '../../store/object-store.js';
import { KeyedController, splitKey, type ReconcileResult } from './keyed-controller.js';
import {
  findCondition,
  intOr,
  isPodActive,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  phaseOf,
  podFromTemplate,
  podsOwnedBy,
  randomSuffix,
  writeStatus,
  type Condition,
  type PodTemplate,
  allKeys,
  ownerKeysFor,
} from './pod-utils.js';
import { admitPod } from './resource-quota.js';
import { fromLabelSelectorObject, matchesLabels } from '../../store/selectors.js';

const SOURCE = { component: 'replicaset-controller' };
/** The real controller creates at most this many pods per sync. */
const BURST_REPLICAS = 500;
const CREATE_BACKOFF_START_MS = 10_000;
const CREATE_BACKOFF_MAX_MS = 5 * 60_000;

interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: { matchLabels?: Record<string, string> };
  template?: PodTemplate;
}

/** Which pods go first when scaling down: unscheduled, pending, not ready, recently ready, restarting, newest. */
export function deletionOrder(a: KubeObject, b: KubeObject): number {
  const nodeA = (a['spec'] as { nodeName?: string } | undefined)?.nodeName ? 1 : 0;
  const nodeB = (b['spec'] as { nodeName?: string } | undefined)?.nodeName ? 1 : 0;
  if (nodeA !== nodeB) return nodeA - nodeB;
  const rank = (p: KubeObject) => ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[phaseOf(p)] ?? 0;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const readyA = isPodReady(a) ? 1 : 0;
  const readyB = isPodReady(b) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  const since = (p: KubeObject) => findCondition(p, 'Ready')?.lastTransitionTime ?? '';
  if (readyA && since(a) !== since(b)) return since(a) > since(b) ? -1 : 1;
  const restarts = (p: KubeObject) =>
    ((p['status'] as { containerStatuses?: { restartCount?: number }[] } | undefined)?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: KubeObject) => p.metadata.creationTimestamp;
  if (created(a) !== created(b)) return created(a) > created(b) ? -1 : 1;
  return a.metadata.name < b.metadata.name ? 1 : -1;
}

export class ReplicaSetController extends KeyedController {
  readonly name = 'replicaset-controller';
  /** Per ReplicaSet uid: when pod creation may be retried after a refusal, and the next delay. */
  readonly #backoff = new Map<string, { until: number; delay: number }>();

  protected keysFor(change: Change): string[] {
    return ownerKeysFor(change, 'replicasets.apps', 'pods', 'ReplicaSet');
  }

  protected initialKeys(): string[] {
    return allKeys(this.ctx, 'replicasets.apps');
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const rs = this.ctx.store.get(res('replicasets.apps'), namespace, name);
    if (!rs) return;
    const spec = (rs['spec'] as ReplicaSetSpec | undefined) ?? {};
    const replicas = Math.max(0, intOr(spec.replicas, 1));
    const active = podsOwnedBy(this.ctx, rs).filter(isPodActive);
    const now = this.ctx.clock.now();
    let failure: string | undefined;
    let requeue: number | undefined;
    const diff = active.length - replicas;
    if (diff < 0) {
      const backoff = this.#backoff.get(rs.metadata.uid);
      if (backoff && now < backoff.until) {
        requeue = backoff.until - now;
        failure = findCondition(rs, 'ReplicaFailure')?.message;
      } else {
        failure = this.#createPods(rs, spec, Math.min(-diff, BURST_REPLICAS));
        if (failure) {
          const delay = backoff ? Math.min(backoff.delay * 2, CREATE_BACKOFF_MAX_MS) : CREATE_BACKOFF_START_MS;
          this.#backoff.set(rs.metadata.uid, { until: now + delay, delay });
          requeue = delay;
        } else this.#backoff.delete(rs.metadata.uid);
      }
    } else if (diff > 0) {
      this.#backoff.delete(rs.metadata.uid);
      for (const pod of active.sort(deletionOrder).slice(0, diff)) {
        try {
          deletePodGracefully(this.ctx, namespace, pod.metadata.name);
          this.ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, SOURCE);
        } catch (err) {
          this.ctx.events.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`, SOURCE);
        }
      }
    } else this.#backoff.delete(rs.metadata.uid);

    const wait = this.#updateStatus(rs, spec, failure);
    return requeue === undefined ? wait : wait === undefined ? requeue : Math.min(requeue, wait);
  }

  /** Creates up to `count` pods; returns the failure message when one was refused. */
  #createPods(rs: KubeObject, spec: ReplicaSetSpec, count: number): string | undefined {
    const namespace = rs.metadata.namespace ?? 'default';
    for (let i = 0; i < count; i++) {
      let podName = `${rs.metadata.name}-${randomSuffix(this.ctx.random)}`;
      while (this.ctx.store.get(res('pods'), namespace, podName)) podName = `${rs.metadata.name}-${randomSuffix(this.ctx.random)}`;
      const pod = podFromTemplate(spec.template ?? {}, { name: podName, namespace, owner: rs });
      const admission = admitPod(this.ctx, pod);
      let error: string | undefined;
      if (!admission.allowed) error = admission.message;
      else {
        try {
          this.ctx.store.create(res('pods'), pod);
        } catch (err) {
          error = (err as Error).message;
        }
      }
      if (error !== undefined) {
        const message = `Error creating: ${error}`;
        this.ctx.events.record(rs, 'Warning', 'FailedCreate', message, SOURCE);
        return error;
      }
      this.ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`, SOURCE);
    }
    return undefined;
  }

  /** Writes status from the pods as they are now; returns when a pod becomes available (minReadySeconds). */
  #updateStatus(rs: KubeObject, spec: ReplicaSetSpec, failure: string | undefined): number | undefined {
    const current = this.ctx.store.get(res('replicasets.apps'), rs.metadata.namespace, rs.metadata.name);
    if (!current) return undefined;
    const now = this.ctx.clock.now();
    const minReady = intOr(spec.minReadySeconds, 0);
    const active = podsOwnedBy(this.ctx, current).filter(isPodActive);
    const templateSelector = fromLabelSelectorObject({ matchLabels: spec.template?.metadata?.labels ?? {} });
    let wait: number | undefined;
    for (const p of active) {
      const left = msUntilAvailable(p, minReady, now);
      if (left !== undefined) wait = wait === undefined ? left : Math.min(wait, left);
    }
    const old = (current['status'] as { conditions?: Condition[] } | undefined) ?? {};
    let conditions = (old.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
    const prevFailure = findCondition(current, 'ReplicaFailure');
    if (failure !== undefined) {
      conditions = [
        ...conditions,
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: prevFailure?.lastTransitionTime ?? this.ctx.clock.isoNow() },
      ];
    }
    const status: Record<string, unknown> = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matchesLabels(templateSelector, p.metadata.labels)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: current.metadata.generation ?? 1,
      ...(conditions.length ? { conditions } : {}),
    };
    writeStatus(this.ctx, 'replicasets.apps', current, status);
    return wait;
  }
}
