/**
 * Builds a SimContext by hand for the node controllers' unit tests: namespace, nodes and bare pods
 * created straight in the store, and small readers for what a user would look at.
 */
import { createSimContext } from '../../create-sim-context.js';
import { type SimClock } from '../../clock.js';
import type { KubeObject, KubeObjectInput } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { type Controller, type ContainerBehavior, type SimContext } from '../../sim-context.js';
import { createNodeControllers } from './node-controllers.js';
import type { ContainerSpec, PodSpec, Taint } from './pod-spec.js';

export const START = Date.parse('2025-01-01T00:00:00Z');

export interface TestCluster {
  ctx: SimContext;
  clock: SimClock;
  controllers: Controller[];
  run(ms: number): Promise<void>;
  stop(): void;
}

export function testContext(): SimContext {
  return createSimContext({ clusterId: 'test', start: START, onError: (err) => { throw err; } });
}

export interface NodeInput {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
}

/** A cluster with namespaces `default` and `shop`, the given nodes, and the node controllers started. */
export function testCluster(nodes: NodeInput[], ctx: SimContext = testContext()): TestCluster {
  // Node events live in `default`, as on a real cluster.
  for (const name of ['default', 'shop']) ctx.store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const n of nodes) addNode(ctx, n);
  const controllers = createNodeControllers(ctx);
  for (const c of controllers) c.start();
  const clock = ctx.clock;
  return {
    ctx,
    clock,
    controllers,
    run: (ms) => clock.runFor(ms),
    stop: () => {
      for (const c of controllers) c.stop();
    },
  };
}

export function addNode(ctx: SimContext, n: NodeInput): KubeObject {
  const capacity = { cpu: n.cpu ?? '4', memory: n.memory ?? '16Gi', pods: String(n.pods ?? 110), 'ephemeral-storage': '100Gi' };
  return ctx.store.create(res('nodes'), {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: n.labels ?? {} },
    spec: n.taints ? { taints: n.taints } : {},
    status: { capacity, allocatable: capacity },
  });
}

export interface PodInput extends Partial<PodSpec> {
  name: string;
  containers?: ContainerSpec[];
  behavior?: ContainerBehavior;
  labels?: Record<string, string>;
}

/** A bare pod in `shop` with one container `app` (unless containers are given) and its behavior. */
export function addPod(ctx: SimContext, input: PodInput): KubeObject {
  const { name, behavior, labels, containers, ...spec } = input;
  const cs = containers ?? [{ name: 'app', image: 'registry.local/shop/app:1.0', ports: [{ containerPort: 8080 }] }];
  if (behavior) for (const c of cs) ctx.behaviors.set({ namespace: 'shop', kind: 'Pod', name, container: c.name }, behavior);
  const pod: KubeObjectInput = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: labels ?? {} }, spec: { restartPolicy: 'Always', ...spec, containers: cs } };
  return ctx.store.create(res('pods'), pod);
}

export function getPod(ctx: SimContext, name: string): KubeObject & { spec: PodSpec; status: PodStatusView } {
  return ctx.store.mustGet(res('pods'), 'shop', name) as KubeObject & { spec: PodSpec; status: PodStatusView };
}

export interface ContainerStatusView {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason: string; message?: string }; running?: { startedAt: string }; terminated?: { exitCode: number; reason: string; message?: string } };
  lastState: { terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string } };
}

export interface PodStatusView {
  phase?: string;
  reason?: string;
  message?: string;
  podIP?: string;
  hostIP?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: ContainerStatusView[];
}

export function containerStatus(ctx: SimContext, pod: string, container = 'app'): ContainerStatusView | undefined {
  return getPod(ctx, pod).status.containerStatuses?.find((c) => c.name === container);
}

export function condition(ctx: SimContext, pod: string, type: string): { status: string; reason?: string; message?: string } | undefined {
  return getPod(ctx, pod).status.conditions?.find((c) => c.type === type);
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  count: number;
  involvedObject: { kind: string; name: string; fieldPath?: string };
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
}

/** Events about an object, oldest first. */
export function eventsFor(ctx: SimContext, name: string, reason?: string): EventView[] {
  return (ctx.store.list(res('events')).items as unknown as EventView[])
    .filter((e) => e.involvedObject.name === name && (!reason || e.reason === reason))
    .sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp));
}

export function logText(ctx: SimContext, pod: string, instance: number, container = 'app'): string[] {
  return (ctx.logs.read('shop', pod, container, instance) ?? []).map((l) => l.text);
}

/** The log lines of the newest container instance that has any (the LogStore keeps only the last two). */
export function latestLogText(ctx: SimContext, pod: string, container = 'app'): string[] {
  const restarts = containerStatus(ctx, pod, container)?.restartCount ?? 0;
  for (let instance = restarts + 1; instance >= 0; instance--) {
    const lines = ctx.logs.read('shop', pod, container, instance);
    if (lines) return lines.map((l) => l.text);
  }
  return [];
}
