/**
 * The garbage collector, background propagation: when an owner is deleted, every object whose
 * ownerReferences point at its uid is deleted too (or, when it still has a live owner, loses the dead
 * reference). Deleting a Deployment removes its ReplicaSets, whose deletion removes their pods.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { RESOURCES, res, storeKey } from '../../resources.js';
import { deletePodGracefully } from '../../pod-deletion.js';
import type { Change } from '../../store/object-store.js';
import { KeyedController, type ReconcileResult } from './keyed-controller.js';

/** Resources that never carry ownerReferences worth following (and are numerous). */
const SKIPPED = new Set(['events']);

interface DependentRef {
  resource: string;
  namespace: string | undefined;
  name: string;
}

export class GarbageCollector extends KeyedController {
  readonly name = 'garbage-collector';
  readonly #alive = new Set<string>();
  /** owner uid → dependents (`resource|namespace|name` → where to find them). */
  readonly #dependents = new Map<string, Map<string, DependentRef>>();

  protected keysFor(change: Change): string[] {
    if (SKIPPED.has(change.key)) return [];
    if (change.previous) this.#unindex(change.key, change.previous);
    if (change.type === 'DELETED') {
      this.#alive.delete(change.object.metadata.uid);
      return [change.object.metadata.uid];
    }
    this.#index(change.key, change.object);
    return [];
  }

  protected initialKeys(): string[] {
    this.#alive.clear();
    this.#dependents.clear();
    for (const t of RESOURCES) {
      if (t.group === 'events.k8s.io' || t.group === 'metrics.k8s.io') continue;
      const key = storeKey(t);
      if (SKIPPED.has(key)) continue;
      for (const obj of this.ctx.store.list(res(key)).items) this.#index(key, obj);
    }
    return [];
  }

  protected reconcile(ownerUid: string): ReconcileResult {
    const dependents = this.#dependents.get(ownerUid);
    if (!dependents) return;
    for (const dep of [...dependents.values()]) {
      const info = res(dep.resource);
      const obj = this.ctx.store.get(info, dep.namespace, dep.name);
      const refs = obj?.metadata.ownerReferences ?? [];
      if (!obj || !refs.some((r) => r.uid === ownerUid)) continue;
      const live = refs.filter((r) => r.uid !== ownerUid && this.#alive.has(r.uid));
      try {
        if (live.length === 0) {
          if (info.key === 'pods') {
            if (!obj.metadata.deletionTimestamp) deletePodGracefully(this.ctx, dep.namespace, dep.name);
          } else this.ctx.store.delete(info, dep.namespace, dep.name);
        }
        else {
          this.ctx.store.mutate(info, dep.namespace, dep.name, (o) => {
            o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
          });
        }
      } catch {
        // gone meanwhile
      }
    }
    this.#dependents.delete(ownerUid);
  }

  #index(resource: string, obj: KubeObject): void {
    this.#alive.add(obj.metadata.uid);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let deps = this.#dependents.get(ref.uid);
      if (!deps) {
        deps = new Map();
        this.#dependents.set(ref.uid, deps);
      }
      deps.set(`${resource}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`, { resource, namespace: obj.metadata.namespace, name: obj.metadata.name });
    }
  }

  #unindex(resource: string, obj: KubeObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      this.#dependents.get(ref.uid)?.delete(`${resource}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`);
    }
  }
}
