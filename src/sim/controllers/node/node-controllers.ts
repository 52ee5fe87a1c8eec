/**
 * The node side of the simulated cluster: scheduler, node lifecycle (with taint eviction) and the
 * kubelets of every node; and the Event TTL sweep, which a real cluster does in the API server.
 */
import { EventTtlController } from '../../event-recorder.js';
import type { Controller, SimContext } from '../../sim-context.js';
import { Kubelet, type KubeletOptions } from './kubelet.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { Scheduler } from './scheduler.js';

export type NodeControllersOptions = KubeletOptions;

export function createNodeControllers(ctx: SimContext, options: NodeControllersOptions = {}): Controller[] {
  return [new Scheduler(ctx), new NodeLifecycleController(ctx), new Kubelet(ctx, options), new EventTtlController(ctx)];
}
