/**
 * ResourceQuota: the quota controller keeps `status.used` in step with what the namespace holds, and
 * `admitPod` is the quota admission check the API server runs before a pod is created. Both count
 * from the store directly (the simulator is single-threaded, so there is no race to guard against).
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { SimContext } from '../../sim-context.js';
import type { Change } from '../../store/object-store.js';
import { KeyedController, nsKey, splitKey, type ReconcileResult } from './keyed-controller.js';
import { containersMissing, isPodActive, podResource, podSpec, writeStatus } from './pod-utils.js';
import { formatResource, parseQuantity } from '../../../core/kube/units.js';

export type PodAdmission = { allowed: true } | { allowed: false; message: string; quota: string };

/** Simple object counts a quota may limit by their short name. */
const OBJECT_COUNTS: Record<string, string> = {
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  resourcequotas: 'resourcequotas',
};

/** Normalises `cpu`/`memory` to their `requests.` form, as quota evaluation does. */
function canonical(resource: string): string {
  return resource === 'cpu' || resource === 'memory' || resource === 'ephemeral-storage' ? `requests.${resource}` : resource;
}

/** What one pod adds to quota resource `resource` (undefined: the pod does not count toward it). */
function podContribution(pod: KubeObject, resource: string): number | undefined {
  const r = canonical(resource);
  if (r === 'pods' || r === 'count/pods') return 1;
  const m = /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.exec(r);
  if (m) return podResource(podSpec(pod), m[1] as 'requests' | 'limits', m[2] ?? '');
  return undefined;
}

/** Current usage of every resource named in `hard`, in base units. */
export function quotaUsage(ctx: SimContext, namespace: string, resources: string[]): Map<string, number> {
  const used = new Map<string, number>();
  let pods: KubeObject[] | undefined;
  const activePods = (): KubeObject[] => (pods ??= ctx.store.list(res('pods'), { namespace }).items.filter(isPodActive));
  for (const resource of resources) {
    const r = canonical(resource);
    let value = 0;
    if (r === 'pods' || r === 'count/pods' || /^(requests|limits)\./.test(r) && r !== 'requests.storage') {
      for (const p of activePods()) value += podContribution(p, r) ?? 0;
    } else if (r === 'requests.storage') {
      for (const pvc of ctx.store.list(res('persistentvolumeclaims'), { namespace }).items) {
        value += parseQuantity((pvc['spec'] as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage) ?? 0;
      }
    } else if (r === 'services.loadbalancers' || r === 'services.nodeports') {
      const type = r === 'services.loadbalancers' ? 'LoadBalancer' : 'NodePort';
      value = ctx.store.list(res('services'), { namespace }).items.filter((s) => (s['spec'] as { type?: string } | undefined)?.type === type).length;
    } else {
      const key = r.startsWith('count/') ? r.slice('count/'.length) : OBJECT_COUNTS[r];
      if (key) {
        try {
          value = ctx.store.list(res(key), { namespace }).items.length;
        } catch {
          value = 0; // a resource the simulator does not serve holds nothing
        }
      }
    }
    used.set(resource, value);
  }
  return used;
}

function hardOf(quota: KubeObject): Record<string, string> {
  return ((quota['spec'] as { hard?: Record<string, string> } | undefined)?.hard ?? {});
}

/**
 * The quota admission check for creating `pod` in its namespace. The message is the API server's:
 * `pods "x" is forbidden: exceeded quota: compute-quota, requested: requests.cpu=500m, used: requests.cpu=800m, limited: requests.cpu=1`.
 */
export function admitPod(ctx: SimContext, pod: KubeObject): PodAdmission {
  const namespace = pod.metadata.namespace ?? 'default';
  const quotas = ctx.store.list(res('resourcequotas'), { namespace }).items;
  const prefix = `pods "${pod.metadata.name}" is forbidden: `;
  for (const quota of quotas) {
    const hard = hardOf(quota);
    const name = quota.metadata.name;
    // A quota on compute resources requires every container to declare them.
    const missing: string[] = [];
    for (const resource of Object.keys(hard).sort()) {
      const m = /^(requests|limits)\.(cpu|memory)$/.exec(canonical(resource));
      if (!m) continue;
      const containers = containersMissing(podSpec(pod), m[1] as 'requests' | 'limits', m[2] ?? '');
      if (containers.length) missing.push(`${canonical(resource)} for: ${containers.join(',')}`);
    }
    if (missing.length) return { allowed: false, quota: name, message: `${prefix}failed quota: ${name}: must specify ${missing.join('; ')}` };
  }
  for (const quota of quotas) {
    const hard = hardOf(quota);
    const resources = Object.keys(hard).filter((r) => podContribution(pod, r) !== undefined).sort();
    if (!resources.length) continue;
    const used = quotaUsage(ctx, namespace, resources);
    const requested: string[] = [];
    const usedText: string[] = [];
    const limited: string[] = [];
    for (const r of resources) {
      const add = podContribution(pod, r) ?? 0;
      const limit = parseQuantity(hard[r]) ?? Infinity;
      const current = used.get(r) ?? 0;
      if (add > 0 && current + add > limit + 1e-9) {
        requested.push(`${r}=${formatResource(r, add)}`);
        usedText.push(`${r}=${formatResource(r, current)}`);
        limited.push(`${r}=${hard[r] ?? ''}`);
      }
    }
    if (requested.length) {
      return {
        allowed: false,
        quota: quota.metadata.name,
        message: `${prefix}exceeded quota: ${quota.metadata.name}, requested: ${requested.join(',')}, used: ${usedText.join(',')}, limited: ${limited.join(',')}`,
      };
    }
  }
  return { allowed: true };
}

/** Keeps every ResourceQuota's `status.hard` and `status.used` current. */
export class ResourceQuotaController extends KeyedController {
  readonly name = 'resourcequota-controller';

  protected keysFor(change: Change): string[] {
    if (change.key === 'resourcequotas') return [nsKey(change.object.metadata.namespace, change.object.metadata.name)];
    const namespace = change.object.metadata.namespace;
    if (!namespace || change.key === 'events') return [];
    return this.ctx.store.list(res('resourcequotas'), { namespace }).items.map((q) => nsKey(namespace, q.metadata.name));
  }

  protected initialKeys(): string[] {
    return this.ctx.store.list(res('resourcequotas')).items.map((q) => nsKey(q.metadata.namespace, q.metadata.name));
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const quota = this.ctx.store.get(res('resourcequotas'), namespace, name);
    if (!quota) return;
    const hard = hardOf(quota);
    const used = quotaUsage(this.ctx, namespace, Object.keys(hard));
    const usedText: Record<string, string> = {};
    for (const [r, v] of used) usedText[r] = formatResource(r, v);
    writeStatus(this.ctx, 'resourcequotas', quota, { hard: { ...hard }, used: usedText });
  }
}
