/**
 * Pod deletion as the API server does it, shared by every path that deletes a pod (API DELETE and
 * eviction, the workload controllers, taint eviction, pod GC, scenario faults): a pod bound to a node
 * gets `metadata.deletionTimestamp` (now + grace) and `deletionGracePeriodSeconds` and shows as
 * Terminating until its kubelet stops the containers and removes it; an unbound pod, a grace of 0
 * (`--force --grace-period=0`) or a world without a kubelet removes it at once.
 */
import type { KubeObject } from '../core/kube/kube-types.js';
import { res } from './resources.js';
import type { SimContext } from './sim-context.js';

/** `spec.terminationGracePeriodSeconds` when the pod does not set it. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

export interface PodDeletion {
  /** The stored pod after the call: the tombstone when removed, else the terminating pod. */
  pod: KubeObject;
  /** True when the pod left the store. */
  removed: boolean;
}

/** A pod being deleted gracefully (it still exists, with a deletionTimestamp). */
export function isTerminating(pod: KubeObject): boolean {
  return !!pod.metadata.deletionTimestamp;
}

/**
 * Deletes a pod with `graceSeconds` (default: the pod's own `terminationGracePeriodSeconds`, or 30).
 * A second delete of a terminating pod only shortens its grace. `dryRun` computes without writing.
 * @throws StatusError 404 when the pod does not exist.
 */
export function deletePodGracefully(
  ctx: Pick<SimContext, 'store' | 'clock' | 'kubeletRunning'>,
  namespace: string | undefined,
  name: string,
  graceSeconds?: number,
  options: { dryRun?: boolean } = {},
): PodDeletion {
  const { store, clock } = ctx;
  const current = store.mustGet(res('pods'), namespace, name);
  const spec = (current['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const requested = graceSeconds ?? current.metadata.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
  const grace = Math.max(0, Math.floor(Number.isFinite(requested) ? requested : DEFAULT_TERMINATION_GRACE_SECONDS));
  if (!spec.nodeName || grace === 0 || !ctx.kubeletRunning) {
    if (options.dryRun) return { pod: current, removed: true };
    return { pod: store.delete(res('pods'), current.metadata.namespace, name), removed: true };
  }
  const prior = current.metadata.deletionGracePeriodSeconds;
  if (current.metadata.deletionTimestamp && prior !== undefined && grace >= prior) return { pod: current, removed: false };
  let deadline = clock.now() + grace * 1000;
  if (current.metadata.deletionTimestamp) deadline = Math.min(deadline, Date.parse(current.metadata.deletionTimestamp));
  const stamp = new Date(Math.floor(deadline / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  if (options.dryRun) return { pod: { ...current, metadata: { ...current.metadata, deletionTimestamp: stamp, deletionGracePeriodSeconds: grace } }, removed: false };
  const pod = store.mutate(res('pods'), current.metadata.namespace, name, (p) => {
    p.metadata.deletionTimestamp = stamp;
    p.metadata.deletionGracePeriodSeconds = grace;
  });
  return { pod, removed: false };
}
