/**
 * Liveness and readiness. Live: the process answers. Ready: every registered dependency answered its
 * check within its time budget. Components (services in this process) report their state for people.
 */
import { errorMessage } from '../../contracts/index.js';
import type { Metrics } from './metrics.js';

/** `disabled`: not configured to run here (e.g. the agent in `all` with no cluster to watch). */
export type ComponentState = 'starting' | 'running' | 'stopping' | 'not_implemented' | 'disabled' | 'failed';

export interface CheckResult {
  status: 'up' | 'down';
  duration_ms: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, CheckResult>;
  components: Record<string, ComponentState>;
}

interface Check {
  run: () => Promise<void>;
  timeoutMs: number;
}

export class Health {
  readonly #checks = new Map<string, Check>();
  readonly #components = new Map<string, ComponentState>();
  readonly #metrics: Metrics | undefined;

  constructor(metrics?: Metrics) {
    this.#metrics = metrics;
  }

  /** Adds a readiness check (e.g. `database`, `bus`). A check passes when `run` resolves in time. */
  addCheck(name: string, run: () => Promise<void>, timeoutMs = 2000): void {
    this.#checks.set(name, { run, timeoutMs });
  }

  setComponent(name: string, state: ComponentState): void {
    this.#components.set(name, state);
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        const started = performance.now();
        let result: CheckResult;
        try {
          await withTimeout(check.run(), check.timeoutMs, `${name} check timed out after ${check.timeoutMs}ms`);
          result = { status: 'up', duration_ms: round(performance.now() - started) };
        } catch (err) {
          result = { status: 'down', duration_ms: round(performance.now() - started), error: errorMessage(err) };
        }
        this.#metrics?.dependencyUp.set({ dependency: name }, result.status === 'up' ? 1 : 0);
        return [name, result] as const;
      }),
    );
    const components = Object.fromEntries(this.#components);
    const componentsOk = Object.values(components).every((s) => s === 'running' || s === 'not_implemented' || s === 'disabled');
    const checksOk = entries.every(([, r]) => r.status === 'up');
    return { status: checksOk && componentsOk ? 'ready' : 'not_ready', checks: Object.fromEntries(entries), components };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
