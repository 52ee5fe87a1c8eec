/**
 * Job → Pods: runs up to `parallelism` pods until `completions` succeed; counts failed pods
 * (restartPolicy Never) or container restarts (OnFailure) against `backoffLimit` (default 6) with the
 * 10 s doubling back-off between retries; `activeDeadlineSeconds`; `suspend`;
 * `ttlSecondsAfterFinished`. Finished jobs carry `Complete` or `Failed` conditions and events.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { deletePodGracefully } from '../../pod-deletion.js';
import type { Change } from '../../store/object-store.js';
import { KeyedController, splitKey, type ReconcileResult } from './keyed-controller.js';
import { intOr, isPodActive, isPodReady, phaseOf, podFromTemplate, podsOwnedBy, randomSuffix, writeStatus, type Condition, type PodTemplate, allKeys, ownerKeysFor } from './pod-utils.js';
import { admitPod } from './resource-quota.js';

const SOURCE = { component: 'job-controller' };
const DEFAULT_BACKOFF_LIMIT = 6;
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 6 * 60_000;

interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  ttlSecondsAfterFinished?: number;
  template?: PodTemplate;
}

export interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  conditions?: Condition[];
}

export function jobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const conditions = ((job['status'] as JobStatus | undefined)?.conditions ?? []).filter((c) => c.status === 'True');
  if (conditions.some((c) => c.type === 'Complete')) return 'Complete';
  if (conditions.some((c) => c.type === 'Failed')) return 'Failed';
  return undefined;
}

function restartsOf(pod: KubeObject): number {
  const status = pod['status'] as { containerStatuses?: { restartCount?: number }[]; initContainerStatuses?: { restartCount?: number }[] } | undefined;
  return [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].reduce((s, c) => s + (c.restartCount ?? 0), 0);
}

export class JobController extends KeyedController {
  readonly name = 'job-controller';
  /** Terminated pods already counted, per job uid (the real controller tracks them with a finalizer). */
  readonly #counted = new Map<string, { succeeded: Set<string>; failed: Set<string>; lastFailure: number }>();

  protected keysFor(change: Change): string[] {
    return ownerKeysFor(change, 'jobs.batch', 'pods', 'Job');
  }

  protected initialKeys(): string[] {
    return allKeys(this.ctx, 'jobs.batch');
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const job = this.ctx.store.get(res('jobs.batch'), namespace, name);
    if (!job) return;
    const spec = (job['spec'] as JobSpec | undefined) ?? {};
    const old = (job['status'] as JobStatus | undefined) ?? {};
    const now = this.ctx.clock.now();
    const nowIso = this.ctx.clock.isoNow();
    const finished = jobFinished(job);
    if (finished) return this.#ttl(job, spec, old);

    const pods = podsOwnedBy(this.ctx, job);
    let tracked = this.#counted.get(job.metadata.uid);
    if (!tracked) {
      tracked = { succeeded: new Set(), failed: new Set(), lastFailure: 0 };
      this.#counted.set(job.metadata.uid, tracked);
    }
    for (const p of pods) {
      const phase = phaseOf(p);
      if (phase === 'Succeeded') tracked.succeeded.add(p.metadata.uid);
      if (phase === 'Failed' && !tracked.failed.has(p.metadata.uid)) {
        tracked.failed.add(p.metadata.uid);
        tracked.lastFailure = now;
      }
    }
    const succeeded = Math.max(old.succeeded ?? 0, tracked.succeeded.size);
    const failed = Math.max(old.failed ?? 0, tracked.failed.size);
    let active = pods.filter(isPodActive);
    const parallelism = Math.max(0, intOr(spec.parallelism, 1));
    const completions = spec.completions === null ? undefined : spec.completions ?? (spec.parallelism === undefined ? 1 : undefined);
    const backoffLimit = intOr(spec.backoffLimit, DEFAULT_BACKOFF_LIMIT);
    const startTime = old.startTime ?? (spec.suspend ? undefined : nowIso);
    let conditions = old.conditions ?? [];
    let completionTime: string | undefined;
    let requeue: number | undefined;

    const restartPolicy = (spec.template?.spec?.['restartPolicy'] as string | undefined) ?? 'Never';
    const restarts = restartPolicy === 'OnFailure' ? active.reduce((s, p) => s + restartsOf(p), 0) : 0;
    const deadline = spec.activeDeadlineSeconds;
    let failure: { reason: string; message: string } | undefined;
    // OnFailure restarts containers in place: their restarts count against the limit (pastBackoffLimitOnFailure).
    const pastOnFailure = restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
    if (failed > backoffLimit || pastOnFailure) {
      failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    } else if (deadline !== undefined && startTime && Date.parse(startTime) + deadline * 1000 <= now) {
      failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }

    const complete = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
    if (failure) {
      for (const p of active) this.#deletePod(job, p);
      active = [];
      conditions = [
        ...conditions,
        { type: 'FailureTarget', status: 'True', reason: failure.reason, message: failure.message, lastProbeTime: nowIso, lastTransitionTime: nowIso },
        { type: 'Failed', status: 'True', reason: failure.reason, message: failure.message, lastProbeTime: nowIso, lastTransitionTime: nowIso },
      ];
      this.ctx.events.record(job, 'Warning', failure.reason, failure.message, SOURCE);
    } else if (complete) {
      for (const p of active) this.#deletePod(job, p);
      active = [];
      completionTime = nowIso;
      conditions = [
        ...conditions,
        { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: nowIso, lastTransitionTime: nowIso },
        { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: nowIso, lastTransitionTime: nowIso },
      ];
      this.ctx.events.record(job, 'Normal', 'Completed', 'Job completed', SOURCE);
    } else if (spec.suspend) {
      for (const p of active) this.#deletePod(job, p);
      active = [];
      if (!conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        conditions = [...conditions.filter((c) => c.type !== 'Suspended'), { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastProbeTime: nowIso, lastTransitionTime: nowIso }];
        this.ctx.events.record(job, 'Normal', 'Suspended', 'Job suspended', SOURCE);
      }
    } else {
      if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        conditions = conditions.map((c) => (c.type === 'Suspended' ? { ...c, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastTransitionTime: nowIso } : c));
        this.ctx.events.record(job, 'Normal', 'Resumed', 'Job resumed', SOURCE);
      }
      const remaining = completions !== undefined ? completions - succeeded : succeeded > 0 ? 0 : parallelism;
      const want = Math.max(0, Math.min(parallelism, remaining)) - active.length;
      if (want > 0) {
        const backoff = failed > 0 ? Math.min(BACKOFF_BASE_MS * 2 ** (failed - 1), BACKOFF_MAX_MS) : 0;
        const readyAt = tracked.lastFailure + backoff;
        if (failed > 0 && tracked.lastFailure > 0 && now < readyAt) requeue = readyAt - now;
        else active = [...active, ...this.#createPods(job, spec, want)];
      }
      if (deadline !== undefined && startTime) {
        const left = Date.parse(startTime) + deadline * 1000 - now;
        requeue = requeue === undefined ? Math.max(1, left) : Math.min(requeue, Math.max(1, left));
      }
    }

    const status: JobStatus = {
      ...(startTime ? { startTime } : {}),
      ...(completionTime ? { completionTime } : {}),
      active: active.length,
      ready: active.filter(isPodReady).length,
      succeeded,
      failed,
      ...(conditions.length ? { conditions } : {}),
    };
    const written = writeStatus(this.ctx, 'jobs.batch', job, status as Record<string, unknown>);
    if (failure || complete) return written ? this.#ttl(written, spec, status) : undefined;
    return requeue;
  }

  #createPods(job: KubeObject, spec: JobSpec, count: number): KubeObject[] {
    const namespace = job.metadata.namespace ?? 'default';
    const created: KubeObject[] = [];
    const template: PodTemplate = structuredClone(spec.template ?? {});
    template.spec = { ...(template.spec ?? {}) };
    template.spec['restartPolicy'] ??= 'Never';
    for (let i = 0; i < count; i++) {
      let podName = `${job.metadata.name}-${randomSuffix(this.ctx.random)}`;
      while (this.ctx.store.get(res('pods'), namespace, podName)) podName = `${job.metadata.name}-${randomSuffix(this.ctx.random)}`;
      const pod = podFromTemplate(template, {
        name: podName,
        namespace,
        owner: job,
        labels: {
          'batch.kubernetes.io/controller-uid': job.metadata.uid,
          'batch.kubernetes.io/job-name': job.metadata.name,
          'controller-uid': job.metadata.uid,
          'job-name': job.metadata.name,
        },
      });
      const admission = admitPod(this.ctx, pod);
      let error: string | undefined;
      if (!admission.allowed) error = admission.message;
      else {
        try {
          created.push(this.ctx.store.create(res('pods'), pod));
        } catch (err) {
          error = (err as Error).message;
        }
      }
      if (error !== undefined) {
        this.ctx.events.record(job, 'Warning', 'FailedCreate', `Error creating: ${error}`, SOURCE);
        break;
      }
      this.ctx.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`, SOURCE);
    }
    return created;
  }

  #deletePod(job: KubeObject, pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) return; // already terminating
    try {
      deletePodGracefully(this.ctx, pod.metadata.namespace, pod.metadata.name);
      this.ctx.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, SOURCE);
    } catch {
      // already gone
    }
  }

  /** ttl-after-finished: deletes a finished job `ttlSecondsAfterFinished` after it finished. */
  #ttl(job: KubeObject, spec: JobSpec, status: JobStatus): ReconcileResult {
    if (spec.ttlSecondsAfterFinished === undefined) return;
    const finishedAt = Date.parse(status.completionTime ?? status.conditions?.find((c) => c.type === 'Failed' || c.type === 'Complete')?.lastTransitionTime ?? '');
    if (!Number.isFinite(finishedAt)) return;
    const left = finishedAt + spec.ttlSecondsAfterFinished * 1000 - this.ctx.clock.now();
    if (left > 0) return left;
    try {
      this.ctx.store.delete(res('jobs.batch'), job.metadata.namespace, job.metadata.name);
    } catch {
      // already gone
    }
    this.#counted.delete(job.metadata.uid);
    return undefined;
  }
}
