/**
 * Deployment → ReplicaSets, following pkg/controller/deployment: one ReplicaSet per distinct pod
 * template (`<deploy>-<pod-template-hash>`), revisions in `deployment.kubernetes.io/revision`
 * (a template that returns to an old ReplicaSet reuses it with the next revision — `rollout undo`),
 * RollingUpdate within maxSurge/maxUnavailable, Recreate, history cleanup, and the `Available` /
 * `Progressing` conditions including `ProgressDeadlineExceeded`.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { controllerOf } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { StatusError } from '../../status-error.js';
import type { Change } from '../../store/object-store.js';
import { KeyedController, nsKey, splitKey, type ReconcileResult } from './keyed-controller.js';
import { intOr, isControlledBy, isPodActive, ownerRef, podsOwnedBy, stableStringify, templateHash, writeStatus, type Condition, type PodTemplate } from './pod-utils.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
const SOURCE = { component: 'deployment-controller' };
const DEFAULT_REVISION_HISTORY_LIMIT = 10;
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

type IntOrString = number | string;

export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  template?: PodTemplate;
  strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

interface RsStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: Condition[];
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

/**
 * `25%` of `total`, rounded up (maxSurge) or down (maxUnavailable), as intstr.GetScaledValueFromIntOrPercent.
 * @throws RangeError for a value that is neither an integer nor a percentage.
 */
export function resolveIntOrPercent(v: IntOrString | undefined, total: number, roundUp: boolean, dflt: IntOrString): number {
  const value = v ?? dflt;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new RangeError(`invalid value for IntOrString: invalid value: ${JSON.stringify(value)}`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** maxSurge and maxUnavailable resolved for `replicas`; never both zero. */
export function resolveFenceposts(spec: DeploymentSpec, replicas: number): { maxSurge: number; maxUnavailable: number } {
  if (spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const ru = spec.strategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(ru?.maxSurge, replicas, true, '25%');
  let maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

function specOf(obj: KubeObject): DeploymentSpec {
  return (obj['spec'] as DeploymentSpec | undefined) ?? {};
}
function rsReplicas(rs: KubeObject): number {
  return intOr((rs['spec'] as { replicas?: number } | undefined)?.replicas, 1);
}
function rsStatus(rs: KubeObject): RsStatus {
  return (rs['status'] as RsStatus | undefined) ?? {};
}
function revisionOf(rs: KubeObject): number {
  const n = Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
  return Number.isFinite(n) ? n : 0;
}
function byCreation(a: KubeObject, b: KubeObject): number {
  return a.metadata.creationTimestamp === b.metadata.creationTimestamp ? (a.metadata.name < b.metadata.name ? -1 : 1) : a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : 1;
}

/** A template without its pod-template-hash label, normalised, for comparing. */
function normaliseTemplate(t: PodTemplate | undefined): string {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return stableStringify(copy);
}

export function maxUnavailable(spec: DeploymentSpec): number {
  const replicas = intOr(spec.replicas, 1);
  if (spec.strategy?.type === 'Recreate' || replicas === 0) return 0;
  return Math.min(resolveFenceposts(spec, replicas).maxUnavailable, replicas);
}

function setCondition(conditions: Condition[], next: Condition): Condition[] {
  const current = conditions.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason) return conditions;
  const cond = current && current.status === next.status ? { ...next, lastTransitionTime: current.lastTransitionTime ?? next.lastTransitionTime } : next;
  return [...conditions.filter((c) => c.type !== next.type), cond];
}

export class DeploymentController extends KeyedController {
  readonly name = 'deployment-controller';

  protected keysFor(change: Change): string[] {
    const obj = change.object;
    if (change.key === 'deployments.apps') return [nsKey(obj.metadata.namespace, obj.metadata.name)];
    if (change.key === 'replicasets.apps') {
      const ref = controllerOf(obj);
      return ref?.kind === 'Deployment' ? [nsKey(obj.metadata.namespace, ref.name)] : [];
    }
    if (change.key === 'pods' && change.type === 'DELETED') {
      // Recreate waits for old pods to be gone.
      const ref = controllerOf(obj);
      if (ref?.kind !== 'ReplicaSet') return [];
      const rs = this.ctx.store.get(res('replicasets.apps'), obj.metadata.namespace, ref.name);
      const owner = rs && controllerOf(rs);
      return owner?.kind === 'Deployment' ? [nsKey(obj.metadata.namespace, owner.name)] : [];
    }
    return [];
  }

  protected initialKeys(): string[] {
    return this.ctx.store.list(res('deployments.apps')).items.map((d) => nsKey(d.metadata.namespace, d.metadata.name));
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const d = this.ctx.store.get(res('deployments.apps'), namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = specOf(d);
    if (spec.paused) return this.#syncStatus(d, this.#findNewRS(d, this.#ownedRSs(d)), true);
    return spec.strategy?.type === 'Recreate' ? this.#rolloutRecreate(d) : this.#rolloutRolling(d);
  }

  #ownedRSs(d: KubeObject): KubeObject[] {
    return this.ctx.store
      .list(res('replicasets.apps'), { namespace: d.metadata.namespace ?? 'default' })
      .items.filter((rs) => isControlledBy(rs, d))
      .sort(byCreation);
  }

  #findNewRS(d: KubeObject, rsList: KubeObject[]): KubeObject | undefined {
    const want = normaliseTemplate(specOf(d).template);
    return rsList.find((rs) => normaliseTemplate((rs['spec'] as { template?: PodTemplate } | undefined)?.template) === want);
  }

  #rolloutRolling(d: KubeObject): ReconcileResult {
    const newRS = this.#getNewReplicaSet(d, true);
    if (!newRS) return 1000; // a hash collision bumped collisionCount; try again with the new name
    const all = this.#ownedRSs(d);
    const fresh = all.find((r) => r.metadata.uid === newRS.metadata.uid) ?? newRS;
    const old = all.filter((r) => r.metadata.uid !== newRS.metadata.uid);
    if (this.#reconcileNewReplicaSet(d, all, fresh)) return this.#syncStatus(d, fresh);
    if (this.#reconcileOldReplicaSets(d, all, old, fresh)) return this.#syncStatus(d, fresh);
    if (this.#complete(d, (d['status'] as DeploymentStatus | undefined) ?? {})) this.#cleanup(d, old);
    return this.#syncStatus(d, fresh);
  }

  #rolloutRecreate(d: KubeObject): ReconcileResult {
    const replicas = intOr(specOf(d).replicas, 1);
    let newRS = this.#getNewReplicaSet(d, false);
    const all = this.#ownedRSs(d);
    const old = all.filter((r) => r.metadata.uid !== newRS?.metadata.uid);
    let scaledDown = false;
    for (const rs of old) if (rsReplicas(rs) > 0 && this.#scale(d, rs, 0)) scaledDown = true;
    if (scaledDown) return this.#syncStatus(d, newRS);
    const oldPodsRunning = old.some((rs) => podsOwnedBy(this.ctx, rs).some(isPodActive));
    if (oldPodsRunning) return this.#syncStatus(d, newRS);
    if (!newRS) {
      newRS = this.#getNewReplicaSet(d, true);
      if (!newRS) return 1000;
    }
    this.#scale(d, newRS, replicas);
    if (this.#complete(d, (d['status'] as DeploymentStatus | undefined) ?? {})) this.#cleanup(d, old);
    return this.#syncStatus(d, newRS);
  }

  /**
   * Finds the ReplicaSet whose template is the deployment's (bumping it to the newest revision if it
   * is an old one coming back), or creates it.
   */
  #getNewReplicaSet(d: KubeObject, create: boolean): KubeObject | undefined {
    const spec = specOf(d);
    const namespace = d.metadata.namespace ?? 'default';
    const rsList = this.#ownedRSs(d);
    const existing = this.#findNewRS(d, rsList);
    const maxOld = Math.max(0, ...rsList.filter((r) => r !== existing).map(revisionOf));
    const newRevision = maxOld + 1;
    const minReady = intOr(spec.minReadySeconds, 0);
    if (existing) {
      let rs = existing;
      const rsMinReady = intOr((rs['spec'] as { minReadySeconds?: number } | undefined)?.minReadySeconds, 0);
      if (revisionOf(rs) < newRevision || rsMinReady !== minReady) {
        rs = this.ctx.store.mutate(res('replicasets.apps'), namespace, rs.metadata.name, (o) => {
          o.metadata.annotations = { ...(o.metadata.annotations ?? {}) };
          if (revisionOf(o) < newRevision) o.metadata.annotations[REVISION_ANNOTATION] = String(newRevision);
          (o['spec'] as Record<string, unknown>)['minReadySeconds'] = minReady;
        });
      }
      this.#setDeploymentRevision(d, rs.metadata.annotations?.[REVISION_ANNOTATION] ?? String(newRevision));
      const current = this.ctx.store.get(res('deployments.apps'), namespace, d.metadata.name);
      const status = (current?.['status'] as DeploymentStatus | undefined) ?? {};
      if (current && this.#hasProgressDeadline(spec) && !(status.conditions ?? []).some((c) => c.type === 'Progressing')) {
        const now = this.ctx.clock.isoNow();
        const conditions = setCondition(status.conditions ?? [], {
          type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${rs.metadata.name}"`, lastUpdateTime: now, lastTransitionTime: now,
        });
        writeStatus(this.ctx, 'deployments.apps', current, { ...status, conditions });
      }
      return rs;
    }
    if (!create) return undefined;

    const status = (d['status'] as DeploymentStatus | undefined) ?? {};
    const collisionCount = status.collisionCount ?? 0;
    const hash = templateHash(spec.template ?? {}, collisionCount);
    const template = structuredClone(spec.template ?? {});
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(spec.selector ?? { matchLabels: { ...(spec.template?.metadata?.labels ?? {}) } });
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const replicas = intOr(spec.replicas, 1);
    const newReplicas = this.#newRSNewReplicas(d, rsList, undefined);
    const { maxSurge } = resolveFenceposts(spec, replicas);
    const rsName = `${d.metadata.name}-${hash}`;
    let created: KubeObject;
    try {
      created = this.ctx.store.create(res('replicasets.apps'), {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace,
          labels: { ...(template.metadata.labels ?? {}) },
          annotations: {
            ...(d.metadata.annotations ?? {}),
            [REVISION_ANNOTATION]: String(newRevision),
            [DESIRED_REPLICAS_ANNOTATION]: String(replicas),
            [MAX_REPLICAS_ANNOTATION]: String(replicas + maxSurge),
          },
          ownerReferences: [ownerRef(d)],
        },
        spec: { replicas: newReplicas, minReadySeconds: minReady, selector, template },
      });
    } catch (err) {
      if (err instanceof StatusError && err.reason === 'AlreadyExists') {
        const clash = this.ctx.store.get(res('replicasets.apps'), namespace, rsName);
        if (clash && isControlledBy(clash, d)) return clash;
        // Someone else's ReplicaSet holds the name: a hash collision. Bump collisionCount and retry.
        writeStatus(this.ctx, 'deployments.apps', d, { ...status, collisionCount: collisionCount + 1 });
        return undefined;
      }
      throw err;
    }
    if (newReplicas > 0) this.ctx.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName} from 0 to ${newReplicas}`, SOURCE);
    this.#setDeploymentRevision(d, String(newRevision));
    if (this.#hasProgressDeadline(spec)) {
      const current = this.ctx.store.get(res('deployments.apps'), namespace, d.metadata.name);
      if (current) {
        const st = (current['status'] as DeploymentStatus | undefined) ?? {};
        const now = this.ctx.clock.isoNow();
        const conditions = setCondition(st.conditions ?? [], {
          type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"`, lastUpdateTime: now, lastTransitionTime: now,
        });
        writeStatus(this.ctx, 'deployments.apps', current, { ...st, conditions });
      }
    }
    return created;
  }

  #setDeploymentRevision(d: KubeObject, revision: string): void {
    const current = this.ctx.store.get(res('deployments.apps'), d.metadata.namespace, d.metadata.name);
    if (!current || current.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    this.ctx.store.mutate(res('deployments.apps'), d.metadata.namespace, d.metadata.name, (o) => {
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
    });
  }

  #hasProgressDeadline(spec: DeploymentSpec): boolean {
    return spec.progressDeadlineSeconds !== 2147483647;
  }

  /** How many replicas the new ReplicaSet may have now (NewRSNewReplicas). */
  #newRSNewReplicas(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): number {
    const spec = specOf(d);
    const replicas = intOr(spec.replicas, 1);
    if (spec.strategy?.type === 'Recreate') return replicas;
    const { maxSurge } = resolveFenceposts(spec, replicas);
    const current = all.reduce((s, rs) => s + rsReplicas(rs), 0);
    const newCount = newRS ? rsReplicas(newRS) : 0;
    const maxTotal = replicas + maxSurge;
    if (current >= maxTotal) return newCount;
    return newCount + Math.max(0, Math.min(maxTotal - current, replicas - newCount));
  }

  #reconcileNewReplicaSet(d: KubeObject, all: KubeObject[], newRS: KubeObject): boolean {
    const replicas = intOr(specOf(d).replicas, 1);
    const current = rsReplicas(newRS);
    if (current === replicas) return false;
    if (current > replicas) return this.#scale(d, newRS, replicas);
    return this.#scale(d, newRS, this.#newRSNewReplicas(d, all, newRS));
  }

  #reconcileOldReplicaSets(d: KubeObject, all: KubeObject[], old: KubeObject[], newRS: KubeObject): boolean {
    const oldCount = old.reduce((s, rs) => s + rsReplicas(rs), 0);
    if (oldCount === 0) return false;
    const spec = specOf(d);
    const replicas = intOr(spec.replicas, 1);
    const allCount = all.reduce((s, rs) => s + rsReplicas(rs), 0);
    const minAvailable = replicas - maxUnavailable(spec);
    const newUnavailable = rsReplicas(newRS) - (rsStatus(newRS).availableReplicas ?? 0);
    const maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;

    // First the old pods that are not available anyway: removing them costs no availability.
    let cleaned = 0;
    const active = old.filter((rs) => rsReplicas(rs) > 0).sort(byCreation);
    const after = new Map<string, number>();
    for (const rs of active) {
      if (cleaned >= maxScaledDown) break;
      const available = rsStatus(rs).availableReplicas ?? 0;
      const count = rsReplicas(rs);
      if (count === available) continue;
      const down = Math.min(maxScaledDown - cleaned, count - available);
      if (down <= 0) continue;
      this.#scale(d, rs, count - down);
      after.set(rs.metadata.uid, count - down);
      cleaned += down;
    }

    // Then available old pods, as long as enough pods stay available.
    let scaled = 0;
    const availableTotal = all.reduce((s, rs) => s + (rsStatus(rs).availableReplicas ?? 0), 0);
    if (availableTotal > minAvailable) {
      const total = availableTotal - minAvailable;
      for (const rs of active) {
        if (scaled >= total) break;
        const count = after.get(rs.metadata.uid) ?? rsReplicas(rs);
        if (count === 0) continue;
        const down = Math.min(count, total - scaled);
        this.#scale(d, rs, count - down);
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  /** Scales `rs` to `to`; records ScalingReplicaSet. Returns whether anything changed. */
  #scale(d: KubeObject, rs: KubeObject, to: number): boolean {
    const spec = specOf(d);
    const replicas = intOr(spec.replicas, 1);
    const from = rsReplicas(rs);
    const desired = String(replicas);
    const max = String(replicas + resolveFenceposts(spec, replicas).maxSurge);
    const annotations = rs.metadata.annotations ?? {};
    if (from === to && annotations[DESIRED_REPLICAS_ANNOTATION] === desired && annotations[MAX_REPLICAS_ANNOTATION] === max) return false;
    this.ctx.store.mutate(res('replicasets.apps'), rs.metadata.namespace, rs.metadata.name, (o) => {
      (o['spec'] as Record<string, unknown>)['replicas'] = to;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: desired, [MAX_REPLICAS_ANNOTATION]: max };
    });
    if (from !== to) {
      this.ctx.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`, SOURCE);
    }
    return from !== to;
  }

  /** Deletes old, scaled-to-zero ReplicaSets beyond revisionHistoryLimit, oldest revision first. */
  #cleanup(d: KubeObject, old: KubeObject[]): void {
    const limit = intOr(specOf(d).revisionHistoryLimit, DEFAULT_REVISION_HISTORY_LIMIT);
    const fresh = old
      .map((rs) => this.ctx.store.get(res('replicasets.apps'), rs.metadata.namespace, rs.metadata.name))
      .filter((rs): rs is KubeObject => !!rs && rsReplicas(rs) === 0 && (rsStatus(rs).replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp);
    const surplus = fresh.length - limit;
    if (surplus <= 0) return;
    fresh.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of fresh.slice(0, surplus)) {
      try {
        this.ctx.store.delete(res('replicasets.apps'), rs.metadata.namespace, rs.metadata.name);
      } catch {
        // already gone
      }
    }
  }

  #complete(d: KubeObject, status: DeploymentStatus): boolean {
    const replicas = intOr(specOf(d).replicas, 1);
    return status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
  }

  /** Computes status and conditions from the ReplicaSets as they are now; returns when to look again for the deadline. */
  #syncStatus(dIn: KubeObject, newRSIn: KubeObject | undefined, paused = false): ReconcileResult {
    const d = this.ctx.store.get(res('deployments.apps'), dIn.metadata.namespace, dIn.metadata.name);
    if (!d) return;
    const spec = specOf(d);
    const replicas = intOr(spec.replicas, 1);
    const all = this.#ownedRSs(d);
    const newRS = newRSIn && all.find((r) => r.metadata.uid === newRSIn.metadata.uid);
    const old = (d['status'] as DeploymentStatus | undefined) ?? {};
    const now = this.ctx.clock.now();
    const nowIso = this.ctx.clock.isoNow();
    const available = all.reduce((s, rs) => s + (rsStatus(rs).availableReplicas ?? 0), 0);
    const total = all.reduce((s, rs) => s + rsReplicas(rs), 0);
    const next: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: all.reduce((s, rs) => s + (rsStatus(rs).replicas ?? 0), 0),
      updatedReplicas: newRS ? (rsStatus(newRS).replicas ?? 0) : 0,
      readyReplicas: all.reduce((s, rs) => s + (rsStatus(rs).readyReplicas ?? 0), 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
      ...(old.collisionCount ? { collisionCount: old.collisionCount } : {}),
    };
    let conditions = old.conditions ?? [];
    conditions =
      available >= replicas - maxUnavailable(spec)
        ? setCondition(conditions, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: nowIso, lastTransitionTime: nowIso })
        : setCondition(conditions, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: nowIso, lastTransitionTime: nowIso });

    const deadline = spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
    let requeue: number | undefined;
    if (!this.#hasProgressDeadline(spec)) {
      conditions = conditions.filter((c) => c.type !== 'Progressing');
    } else if (paused) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: nowIso, lastTransitionTime: nowIso });
    } else {
      const current = conditions.find((c) => c.type === 'Progressing');
      const completed = next.replicas === next.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
      if (!completed) {
        const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
        const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
        const progressing =
          (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || available > (old.availableReplicas ?? 0);
        const timedOut =
          current !== undefined &&
          current.reason !== 'NewReplicaSetAvailable' &&
          (current.reason === 'ProgressDeadlineExceeded' || Date.parse(current.lastUpdateTime ?? nowIso) + deadline * 1000 < now);
        if (this.#complete(d, next)) {
          conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS?.metadata.name ?? ''}" has successfully progressed.`, lastUpdateTime: nowIso, lastTransitionTime: nowIso });
        } else if (progressing) {
          const cond: Condition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS?.metadata.name ?? ''}" is progressing.`, lastUpdateTime: nowIso, lastTransitionTime: current?.status === 'True' ? (current.lastTransitionTime ?? nowIso) : nowIso };
          conditions = [...conditions.filter((c) => c.type !== 'Progressing'), cond];
        } else if (timedOut) {
          conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${newRS?.metadata.name ?? ''}" has timed out progressing.`, lastUpdateTime: nowIso, lastTransitionTime: nowIso });
        }
      }
      const after = conditions.find((c) => c.type === 'Progressing');
      if (after && after.reason !== 'NewReplicaSetAvailable' && after.reason !== 'ProgressDeadlineExceeded' && !this.#complete(d, next)) {
        requeue = Math.max(1, Date.parse(after.lastUpdateTime ?? nowIso) + deadline * 1000 - now + 1000);
      }
    }

    // Surface the ReplicaSets' failures (quota refusals) on the deployment.
    const failure = [newRS, ...all.filter((r) => r !== newRS)].map((rs) => rs && rsStatus(rs).conditions?.find((c) => c.type === 'ReplicaFailure')).find((c) => c);
    if (failure) {
      conditions = setCondition(conditions, { type: 'ReplicaFailure', status: failure.status, reason: failure.reason ?? 'FailedCreate', message: failure.message ?? '', lastUpdateTime: failure.lastTransitionTime ?? nowIso, lastTransitionTime: failure.lastTransitionTime ?? nowIso });
    } else conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');

    writeStatus(this.ctx, 'deployments.apps', d, { ...next, conditions });
    return requeue;
  }
}
