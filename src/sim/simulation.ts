/**
 * One simulated cluster playing one scenario: the shared context, every controller, the initial world
 * and the faults on the clock. `run()` plays the whole scenario as fast as the CPU allows (tests,
 * benchmarks); `start(speed)` plays it in real time for `aetherius sim`.
 */
import { createSimContext } from './create-sim-context.js';
import { silentLogger, type Logger } from '../adapters/telemetry/index.js';
import { type SimClock } from './clock.js';
import { createNodeControllers } from './controllers/node/index.js';
import { createWorkloadControllers } from './controllers/workloads/index.js';
import { FaultInjector, type TimelineEntry } from './scenario/faults.js';
import { loadScenario } from './scenario/loader.js';
import { durationMs, type Scenario } from './scenario/schema.js';
import { type Controller, type SimContext } from './sim-context.js';

export const DEFAULT_CLUSTER_ID = 'sim';
export const DEFAULT_SEED = 1;
export const DEFAULT_SPEED = 1;

export interface SimulationOptions {
  scenario: Scenario;
  /** Default: the scenario's `spec.clusterId`, else `sim`. */
  clusterId?: string;
  /** Seed of every random choice. Default: the scenario's `spec.seed`, else 1. */
  seed?: number;
  /** Default: a silent logger. */
  logger?: Logger;
  /** Simulated start, epoch ms. Default: the wall clock, rounded to the second. */
  startTime?: number;
  /** The controllers to run. Default: every built-in one (workloads, scheduler, nodes, kubelet). */
  controllers?: (ctx: SimContext) => Controller[];
}

/** Every built-in controller. */
export function builtInControllers(ctx: SimContext): Controller[] {
  return [...createWorkloadControllers(ctx), ...createNodeControllers(ctx)];
}

export class Simulation {
  readonly scenario: Scenario;
  readonly ctx: SimContext;
  /** Errors thrown by timer callbacks (controllers, faults); the clock goes on after each. */
  readonly errors: unknown[] = [];
  readonly #clock: SimClock;
  readonly #controllers: Controller[];
  readonly #faults: FaultInjector;
  readonly #startMs: number;
  readonly #durationMs: number;
  #stopped = false;

  private constructor(options: SimulationOptions) {
    const { scenario } = options;
    this.scenario = scenario;
    const logger = options.logger ?? silentLogger();
    const clusterId = options.clusterId ?? scenario.spec.clusterId ?? DEFAULT_CLUSTER_ID;
    this.ctx = createSimContext({
      clusterId,
      ...(options.startTime !== undefined ? { start: options.startTime } : {}),
      seed: options.seed ?? scenario.spec.seed ?? DEFAULT_SEED,
      logger: logger.child({ clusterId, scenario: scenario.metadata.name }),
      onError: (err) => {
        this.errors.push(err);
        logger.error({ clusterId, err }, 'simulation timer failed');
      },
    });
    this.#clock = this.ctx.clock;
    this.#startMs = this.#clock.now();
    this.#durationMs = durationMs(scenario.spec.duration);
    this.#controllers = (options.controllers ?? builtInControllers)(this.ctx);
    this.#faults = new FaultInjector(this.ctx, scenario, { startMs: this.#startMs });
  }

  /**
   * Builds the cluster: starts the controllers, creates the scenario's objects, schedules its faults.
   * Nothing runs until `runFor`, `run` or `start`.
   * @throws StatusError when the store refuses a scenario object (a validated scenario never does).
   */
  static create(options: SimulationOptions): Simulation {
    const sim = new Simulation(options);
    try {
      for (const c of sim.#controllers) c.start();
      loadScenario(sim.ctx, sim.scenario);
      sim.#faults.schedule();
    } catch (err) {
      sim.stop();
      throw err;
    }
    sim.ctx.logger.info({ nodes: sim.scenario.spec.nodes.length, workloads: sim.scenario.spec.workloads.length, faults: sim.scenario.spec.faults.length }, 'simulation created');
    return sim;
  }

  /** Faults applied so far: `{at, action, target, …}`. */
  get timeline(): readonly TimelineEntry[] {
    return this.#faults.timeline;
  }

  /** The scenario's `duration` in ms. */
  get durationMs(): number {
    return this.#durationMs;
  }

  /** Simulated ms since the scenario started. */
  get elapsedMs(): number {
    return this.#clock.now() - this.#startMs;
  }

  /** Simulated epoch ms at which the scenario started. */
  get startTime(): number {
    return this.#startMs;
  }

  /** Plays `ms` of simulated time as fast as possible. */
  runFor(ms: number): Promise<void> {
    return this.#clock.runFor(ms);
  }

  /** Plays the rest of the scenario's `duration` as fast as possible. */
  run(): Promise<void> {
    return this.#clock.runFor(Math.max(0, this.#durationMs - this.elapsedMs));
  }

  /**
   * Plays in real time, `speed` simulated seconds per wall second (default: the scenario's `speed`,
   * else 1), until `stop()`. The cluster keeps running after `duration`: the scenario's end only
   * bounds `run()`.
   */
  start(speed: number = this.scenario.spec.speed ?? DEFAULT_SPEED): void {
    if (this.#stopped) return;
    this.#clock.start(speed);
  }

  /** Stops the clock, the faults not yet applied and every controller. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clock.stop();
    this.#faults.cancel();
    for (const c of this.#controllers) {
      try {
        c.stop();
      } catch (err) {
        this.ctx.logger.warn({ controller: c.name, err }, 'controller did not stop cleanly');
      }
    }
  }
}
