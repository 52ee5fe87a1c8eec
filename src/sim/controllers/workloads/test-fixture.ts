/**
 * A hand-built SimContext for the workload controllers' unit tests: no scheduler or kubelet runs, so
 * tests move pods through their lifecycle themselves (`setPodPhase`, `setPodReady`).
 */
import { createSimContext } from '../../create-sim-context.js';
import type { KubeObject, KubeObjectInput } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { type Controller, type SimContext } from '../../sim-context.js';

export const START = Date.parse('2025-01-01T00:00:00Z');

export function makeContext(namespaces: string[] = ['default', 'shop']): SimContext {
  return createSimContext({ clusterId: 'test', start: START, namespaces, onError: (err) => { throw err; } });
}

export function startAll(controllers: Controller[]): () => void {
  for (const c of controllers) c.start();
  return () => {
    for (const c of controllers) c.stop();
  };
}

export function create(ctx: SimContext, resource: string, obj: KubeObjectInput): KubeObject {
  return ctx.store.create(res(resource), obj);
}

export function pods(ctx: SimContext, namespace = 'shop'): KubeObject[] {
  return ctx.store.list(res('pods'), { namespace }).items;
}

export function events(ctx: SimContext, reason?: string): { reason: string; message: string; type: string; source: { component: string }; involvedObject: { kind: string; name: string }; count: number }[] {
  return ctx.store
    .list(res('events'))
    .items.map((e) => e as unknown as { reason: string; message: string; type: string; source: { component: string }; involvedObject: { kind: string; name: string }; count: number })
    .filter((e) => !reason || e.reason === reason);
}

/** What the scheduler + kubelet would do: bind, run, and (optionally) mark Ready. */
export function setPodState(ctx: SimContext, pod: KubeObject, state: { phase?: string; ready?: boolean; ip?: string; node?: string; restarts?: number }): void {
  ctx.store.mutate(res('pods'), pod.metadata.namespace, pod.metadata.name, (p) => {
    const spec = p['spec'] as Record<string, unknown>;
    spec['nodeName'] = state.node ?? (spec['nodeName']) ?? 'node-1';
  });
  ctx.store.mutate(
    res('pods'),
    pod.metadata.namespace,
    pod.metadata.name,
    (p) => {
      const status = (p['status'] as Record<string, unknown> | undefined) ?? {};
      const now = ctx.clock.isoNow();
      if (state.phase) status['phase'] = state.phase;
      if (state.ip) status['podIP'] = state.ip;
      const conditions = ((status['conditions'] as { type: string; status: string; lastTransitionTime: string }[] | undefined) ?? []).filter((c) => c.type !== 'Ready');
      if (state.ready !== undefined) {
        const prior = ((status['conditions'] as { type: string; status: string; lastTransitionTime: string }[] | undefined) ?? []).find((c) => c.type === 'Ready');
        conditions.push({ type: 'Ready', status: state.ready ? 'True' : 'False', lastTransitionTime: prior && prior.status === (state.ready ? 'True' : 'False') ? prior.lastTransitionTime : now });
        status['conditions'] = conditions;
      }
      if (state.restarts !== undefined) status['containerStatuses'] = [{ name: 'app', restartCount: state.restarts, ready: !!state.ready }];
      p['status'] = status;
    },
    { subresource: 'status' },
  );
}

/** Marks every pending pod Running and Ready (a healthy kubelet). */
export function runAll(ctx: SimContext, namespace = 'shop', filter: (p: KubeObject) => boolean = () => true): void {
  let ip = 10;
  for (const p of pods(ctx, namespace)) {
    ip++;
    const status = p['status'] as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    const ready = status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready && status?.phase !== 'Failed' && status?.phase !== 'Succeeded' && filter(p)) setPodState(ctx, p, { phase: 'Running', ready: true, ip: `10.244.0.${ip}` });
  }
}

export function deployment(name: string, opts: { replicas?: number; image?: string; strategy?: Record<string, unknown>; minReadySeconds?: number; cpu?: string; progressDeadlineSeconds?: number; revisionHistoryLimit?: number } = {}): KubeObjectInput {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      ...(opts.strategy ? { strategy: opts.strategy } : {}),
      ...(opts.minReadySeconds !== undefined ? { minReadySeconds: opts.minReadySeconds } : {}),
      ...(opts.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      ...(opts.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: opts.revisionHistoryLimit } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: opts.image ?? `registry.local/shop/${name}:1.0.0`,
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: { requests: { cpu: opts.cpu ?? '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };
}
