import { silentLogger, type Logger } from '../adapters/telemetry/index.js';
import { SimClock } from './clock.js';
import { EventRecorder } from './event-recorder.js';
import { res } from './resources.js';
import { BehaviorRegistry, ImageRegistry, LogStore, NodeFaultRegistry, UsageStore, type SimContext } from './sim-context.js';
import { seededRandom } from '../core/random.js';
import { ObjectStore } from './store/object-store.js';

export interface CreateSimContextOptions {
  clusterId?: string;
  /** Simulated start, epoch ms. Default: now. */
  start?: number;
  /** PRNG seed; the same seed plays a scenario the same way. Default 1. */
  seed?: number;
  logger?: Logger;
  /** A timer callback that throws (a controller bug). Default: rethrown asynchronously. */
  onError?: (err: unknown) => void;
  /** Namespaces to create at once. */
  namespaces?: string[];
}

/** A fresh, empty simulated cluster: store, clock and every registry, ready for controllers. */
export function createSimContext(options: CreateSimContextOptions = {}): SimContext {
  const clock = new SimClock({ ...(options.start !== undefined ? { start: options.start } : {}), ...(options.onError ? { onError: options.onError } : {}) });
  const logger = options.logger ?? silentLogger();
  const clusterId = options.clusterId ?? 'sim';
  const store = new ObjectStore({
    clock,
    onListenerError: (err, change) => logger.error({ clusterId, err, resource: change.key, name: change.object.metadata.name, type: change.type }, 'sim store listener failed'),
  });
  for (const name of options.namespaces ?? []) store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return {
    clusterId,
    store,
    clock,
    events: new EventRecorder(store, clock),
    behaviors: new BehaviorRegistry(),
    images: new ImageRegistry(),
    logs: new LogStore(),
    usage: new UsageStore(),
    nodeFaults: new NodeFaultRegistry(),
    random: seededRandom(options.seed ?? 1),
    logger,
  };
}
