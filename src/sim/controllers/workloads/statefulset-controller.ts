/**
 * StatefulSet → Pods `<sts>-0 … <sts>-(n-1)` with stable names, PVCs from volumeClaimTemplates
 * (`<claim>-<sts>-<i>`, kept on scale-down), OrderedReady (one at a time, each waiting for the previous
 * to be Ready) or Parallel management, RollingUpdate from the highest ordinal down (with partition),
 * and ControllerRevisions for the templates.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { deletePodGracefully } from '../../pod-deletion.js';
import type { Change } from '../../store/object-store.js';
import { ensureControllerRevision } from './controller-revision.js';
import { KeyedController, splitKey, type ReconcileResult } from './keyed-controller.js';
import { intOr, isPodAvailable, isPodReady, msUntilAvailable, phaseOf, podFromTemplate, podsOwnedBy, writeStatus, type PodTemplate, allKeys, ownerKeysFor } from './pod-utils.js';
import { admitPod } from './resource-quota.js';

const SOURCE = { component: 'statefulset-controller' };
const REVISION_LABEL = 'controller-revision-hash';

interface StatefulSetSpec {
  replicas?: number;
  serviceName?: string;
  minReadySeconds?: number;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
  selector?: { matchLabels?: Record<string, string> };
  template?: PodTemplate;
  volumeClaimTemplates?: { metadata: { name: string; labels?: Record<string, string> }; spec?: Record<string, unknown> }[];
}

function ordinalOf(sts: KubeObject, pod: KubeObject): number {
  const suffix = pod.metadata.name.slice(sts.metadata.name.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : -1;
}

function healthy(pod: KubeObject): boolean {
  return phaseOf(pod) === 'Running' && isPodReady(pod) && !pod.metadata.deletionTimestamp;
}

export class StatefulSetController extends KeyedController {
  readonly name = 'statefulset-controller';

  protected keysFor(change: Change): string[] {
    return ownerKeysFor(change, 'statefulsets.apps', 'pods', 'StatefulSet');
  }

  protected initialKeys(): string[] {
    return allKeys(this.ctx, 'statefulsets.apps');
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const sts = this.ctx.store.get(res('statefulsets.apps'), namespace, name);
    if (!sts) return;
    const spec = (sts['spec'] as StatefulSetSpec | undefined) ?? {};
    const replicas = Math.max(0, intOr(spec.replicas, 1));
    const ordered = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const updateRevision = ensureControllerRevision(this.ctx, sts, spec.template);
    const oldStatus = (sts['status'] as { currentRevision?: string } | undefined) ?? {};
    const currentRevision = oldStatus.currentRevision ?? updateRevision;
    const byOrdinal = new Map<number, KubeObject>();
    for (const p of podsOwnedBy(this.ctx, sts)) {
      const i = ordinalOf(sts, p);
      if (i >= 0) byOrdinal.set(i, p);
    }

    let blocked = false;
    let failedCreate = false;
    for (let i = 0; i < replicas && !blocked; i++) {
      const pod = byOrdinal.get(i);
      if (!pod) {
        const created = this.#createPod(sts, spec, i, updateRevision);
        if (created) byOrdinal.set(i, created);
        else failedCreate = true;
        if (ordered || !created) blocked = true;
        continue;
      }
      // A terminating ordinal keeps its name until the kubelet removes it: only then is it recreated.
      if (pod.metadata.deletionTimestamp) {
        if (ordered) blocked = true;
        continue;
      }
      const phase = phaseOf(pod);
      if (phase === 'Failed' || phase === 'Succeeded') {
        this.#deletePod(sts, pod);
        byOrdinal.delete(i);
        if (ordered) blocked = true;
        continue;
      }
      if (ordered && !healthy(pod)) blocked = true;
    }

    // Scale down from the highest ordinal, one at a time when ordered and only when the rest is healthy.
    const surplus = [...byOrdinal.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
    if (surplus.length && !(ordered && blocked)) {
      const allHealthy = [...byOrdinal.entries()].filter(([i]) => i < replicas).every(([, p]) => healthy(p));
      // Ordered: one at a time, and not while a surplus pod is still terminating.
      const terminating = surplus.some((i) => byOrdinal.get(i)?.metadata.deletionTimestamp);
      for (const i of ordered ? surplus.slice(0, allHealthy && !terminating ? 1 : 0) : surplus) {
        const pod = byOrdinal.get(i);
        if (pod) this.#deletePod(sts, pod);
        byOrdinal.delete(i);
      }
    }

    // Rolling update: the highest stale ordinal at or above the partition, once everything is healthy.
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && !blocked && surplus.length === 0) {
      const partition = intOr(spec.updateStrategy?.rollingUpdate?.partition, 0);
      const pods = [...byOrdinal.entries()].sort(([a], [b]) => b - a);
      if (pods.length === replicas && pods.every(([, p]) => healthy(p))) {
        const stale = pods.find(([i, p]) => i >= partition && p.metadata.labels?.[REVISION_LABEL] !== updateRevision);
        if (stale) {
          this.#deletePod(sts, stale[1]);
          byOrdinal.delete(stale[0]);
        }
      }
    }

    const now = this.ctx.clock.now();
    const minReady = intOr(spec.minReadySeconds, 0);
    const pods = [...byOrdinal.values()].filter((p) => !p.metadata.deletionTimestamp);
    const updated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === updateRevision).length;
    const current = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length;
    const done = updated === replicas && pods.length === replicas;
    let wait: number | undefined;
    for (const p of pods) {
      const left = msUntilAvailable(p, minReady, now);
      if (left !== undefined) wait = wait === undefined ? left : Math.min(wait, left);
    }
    writeStatus(this.ctx, 'statefulsets.apps', sts, {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: pods.length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
      currentReplicas: done ? updated : current,
      updatedReplicas: updated,
      currentRevision: done ? updateRevision : currentRevision,
      updateRevision,
      collisionCount: 0,
    });
    return failedCreate ? Math.min(wait ?? 10_000, 10_000) : wait;
  }

  #createPod(sts: KubeObject, spec: StatefulSetSpec, ordinal: number, revision: string): KubeObject | undefined {
    const namespace = sts.metadata.namespace ?? 'default';
    const podName = `${sts.metadata.name}-${ordinal}`;
    const claims = spec.volumeClaimTemplates ?? [];
    for (const claim of claims) {
      const claimName = `${claim.metadata.name}-${podName}`;
      if (this.ctx.store.get(res('persistentvolumeclaims'), namespace, claimName)) continue;
      try {
        this.ctx.store.create(res('persistentvolumeclaims'), {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: claimName, namespace, labels: { ...(spec.selector?.matchLabels ?? {}), ...(claim.metadata.labels ?? {}) } },
          spec: { volumeMode: 'Filesystem', ...structuredClone(claim.spec ?? {}) },
          status: { phase: 'Pending' },
        });
        this.ctx.events.record(sts, 'Normal', 'SuccessfulCreate', `create Claim ${claimName} Pod ${podName} in StatefulSet ${sts.metadata.name} success`, SOURCE);
      } catch (err) {
        this.ctx.events.record(sts, 'Warning', 'FailedCreate', `create Claim ${claimName} for Pod ${podName} in StatefulSet ${sts.metadata.name} failed error: ${(err as Error).message}`, SOURCE);
        return undefined;
      }
    }
    const template: PodTemplate = structuredClone(spec.template ?? {});
    const podSpec = { ...(template.spec ?? {}) };
    podSpec['hostname'] = podName;
    if (spec.serviceName) podSpec['subdomain'] = spec.serviceName;
    if (claims.length) {
      const names = new Set(claims.map((c) => c.metadata.name));
      const volumes = ((podSpec['volumes'] as { name: string }[] | undefined) ?? []).filter((v) => !names.has(v.name));
      for (const c of claims) volumes.push({ name: c.metadata.name, persistentVolumeClaim: { claimName: `${c.metadata.name}-${podName}` } } as { name: string });
      podSpec['volumes'] = volumes;
    }
    template.spec = podSpec;
    const pod = podFromTemplate(template, {
      name: podName,
      namespace,
      owner: sts,
      labels: { [REVISION_LABEL]: revision, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(ordinal) },
    });
    const admission = admitPod(this.ctx, pod);
    let error: string | undefined;
    let created: KubeObject | undefined;
    if (!admission.allowed) error = admission.message;
    else {
      try {
        created = this.ctx.store.create(res('pods'), pod);
      } catch (err) {
        error = (err as Error).message;
      }
    }
    if (error !== undefined) {
      this.ctx.events.record(sts, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${sts.metadata.name} failed error: ${error}`, SOURCE);
      return undefined;
    }
    this.ctx.events.record(sts, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${sts.metadata.name} successful`, SOURCE);
    return created;
  }

  #deletePod(sts: KubeObject, pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) return; // already terminating
    try {
      deletePodGracefully(this.ctx, pod.metadata.namespace, pod.metadata.name);
      this.ctx.events.record(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`, SOURCE);
    } catch {
      // already gone
    }
  }
}
