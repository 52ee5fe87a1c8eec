/**
 * CronJob → Jobs: at each scheduled (simulated, UTC) time creates `<cronjob>-<minutes since epoch>`
 * from the job template, honouring concurrencyPolicy, startingDeadlineSeconds and suspend; tracks
 * active jobs, notices finished ones (`SawCompletedJob`) and trims history to the limits.
 */
import type { KubeObject, ObjectReference } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { Change } from '../../store/object-store.js';
import { parseCronSchedule, nextCronTime } from './cron-schedule.js';
import { jobFinished, type JobStatus } from './job-controller.js';
import { KeyedController, splitKey, type ReconcileResult } from './keyed-controller.js';
import { isControlledBy, ownerRef, writeStatus, allKeys, ownerKeysFor } from './pod-utils.js';

const SOURCE = { component: 'cronjob-controller' };
const MAX_MISSED_SCAN = 10_000;

interface CronJobSpec {
  schedule?: string;
  suspend?: boolean;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class CronJobController extends KeyedController {
  readonly name = 'cronjob-controller';

  protected keysFor(change: Change): string[] {
    return ownerKeysFor(change, 'cronjobs.batch', 'jobs.batch', 'CronJob');
  }

  protected initialKeys(): string[] {
    return allKeys(this.ctx, 'cronjobs.batch');
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const cj = this.ctx.store.get(res('cronjobs.batch'), namespace, name);
    if (!cj) return;
    const spec = (cj['spec'] as CronJobSpec | undefined) ?? {};
    const old = (cj['status'] as CronJobStatus | undefined) ?? {};
    const now = this.ctx.clock.now();
    const jobs = this.ctx.store.list(res('jobs.batch'), { namespace }).items.filter((j) => isControlledBy(j, cj));
    const byUid = new Map(jobs.map((j) => [j.metadata.uid, j]));
    let active = (old.active ?? []).filter((ref) => byUid.has(ref.uid ?? ''));
    let lastSuccessfulTime = old.lastSuccessfulTime;
    for (const job of jobs) {
      const finished = jobFinished(job);
      const inActive = active.some((r) => r.uid === job.metadata.uid);
      if (finished) {
        if (inActive) {
          active = active.filter((r) => r.uid !== job.metadata.uid);
          this.ctx.events.record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`, SOURCE);
        }
        const completion = (job['status'] as JobStatus | undefined)?.completionTime;
        if (finished === 'Complete' && completion && (!lastSuccessfulTime || completion > lastSuccessfulTime)) lastSuccessfulTime = completion;
      } else if (!inActive) active.push(this.#ref(job));
    }
    this.#trimHistory(cj, spec, jobs);

    let lastScheduleTime = old.lastScheduleTime;
    let requeue: number | undefined;
    let schedule;
    try {
      schedule = parseCronSchedule(spec.schedule ?? '');
    } catch (err) {
      this.ctx.events.record(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec.schedule ?? '')} : ${(err as Error).message}`, SOURCE);
      schedule = undefined;
    }
    if (schedule && !spec.suspend) {
      const since = Date.parse(old.lastScheduleTime ?? cj.metadata.creationTimestamp);
      let due: number | undefined;
      let t = nextCronTime(schedule, since);
      for (let i = 0; t !== undefined && t <= now && i < MAX_MISSED_SCAN; i++) {
        due = t;
        t = nextCronTime(schedule, t);
      }
      if (due !== undefined) {
        const tooLate = spec.startingDeadlineSeconds !== undefined && now - due > spec.startingDeadlineSeconds * 1000;
        const policy = spec.concurrencyPolicy ?? 'Allow';
        if (tooLate) {
          this.ctx.events.record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${iso(due)}`, SOURCE);
          lastScheduleTime = iso(due);
        } else if (policy === 'Forbid' && active.length > 0) {
          this.ctx.events.record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid', SOURCE);
          // Stays due: retried when the active job finishes.
        } else {
          if (policy === 'Replace') {
            for (const ref of active) {
              try {
                this.ctx.store.delete(res('jobs.batch'), namespace, ref.name);
                this.ctx.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`, SOURCE);
              } catch {
                // already gone
              }
            }
            active = [];
          }
          const job = this.#createJob(cj, spec, due);
          if (job) active.push(this.#ref(job));
          lastScheduleTime = iso(due);
        }
      }
      const next = nextCronTime(schedule, Math.max(now, Date.parse(lastScheduleTime ?? cj.metadata.creationTimestamp)));
      if (next !== undefined) requeue = Math.max(1, next - now);
    }
    const status: CronJobStatus = {
      ...(active.length ? { active } : {}),
      ...(lastScheduleTime ? { lastScheduleTime } : {}),
      ...(lastSuccessfulTime ? { lastSuccessfulTime } : {}),
    };
    writeStatus(this.ctx, 'cronjobs.batch', cj, status as Record<string, unknown>);
    return requeue;
  }

  #ref(job: KubeObject): ObjectReference {
    return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace ?? 'default', uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion };
  }

  #createJob(cj: KubeObject, spec: CronJobSpec, scheduled: number): KubeObject | undefined {
    const namespace = cj.metadata.namespace ?? 'default';
    const name = `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
    const existing = this.ctx.store.get(res('jobs.batch'), namespace, name);
    if (existing) return isControlledBy(existing, cj) ? existing : undefined;
    try {
      const job = this.ctx.store.create(res('jobs.batch'), {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace,
          labels: { ...(spec.jobTemplate?.metadata?.labels ?? {}) },
          annotations: { ...(spec.jobTemplate?.metadata?.annotations ?? {}), 'batch.kubernetes.io/cronjob-scheduled-timestamp': iso(scheduled) },
          ownerReferences: [ownerRef(cj)],
        },
        spec: structuredClone(spec.jobTemplate?.spec ?? {}),
      });
      this.ctx.events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`, SOURCE);
      return job;
    } catch (err) {
      this.ctx.events.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`, SOURCE);
      return undefined;
    }
  }

  /** Deletes the oldest finished jobs beyond successfulJobsHistoryLimit (3) and failedJobsHistoryLimit (1). */
  #trimHistory(cj: KubeObject, spec: CronJobSpec, jobs: KubeObject[]): void {
    const byStart = (a: KubeObject, b: KubeObject) => (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : a.metadata.creationTimestamp > b.metadata.creationTimestamp ? 1 : a.metadata.name < b.metadata.name ? -1 : 1);
    for (const [kind, limit] of [['Complete', spec.successfulJobsHistoryLimit ?? 3], ['Failed', spec.failedJobsHistoryLimit ?? 1]] as const) {
      const finished = jobs.filter((j) => jobFinished(j) === kind).sort(byStart);
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        try {
          this.ctx.store.delete(res('jobs.batch'), job.metadata.namespace, job.metadata.name);
          this.ctx.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`, SOURCE);
        } catch {
          // already gone
        }
      }
    }
  }
}
