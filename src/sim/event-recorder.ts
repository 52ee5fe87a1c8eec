/**
 * Records core/v1 Events the way client-go's recorder does: the same reason and message about the same
 * object within 10 minutes bumps `count` and `lastTimestamp` of one Event instead of creating another.
 */
import type { Clock } from './clock.js';
import { objectRef, type KubeObject } from '../core/kube/kube-types.js';
import { res } from './resources.js';
import type { Controller, SimContext } from './sim-context.js';
import type { ObjectStore } from './store/object-store.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** `kubelet`, `default-scheduler`, `deployment-controller`, `node-controller`, ... */
  component: string;
  /** The node, for kubelet events. */
  host?: string;
}

const AGGREGATION_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  readonly #store: ObjectStore;
  readonly #clock: Clock;
  readonly #recent = new Map<string, { name: string; namespace: string; last: number }>();
  #seq = 0;

  constructor(store: ObjectStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Records an event about `obj`; returns the Event as stored. Never throws (events are best effort, as in Kubernetes). */
  record(obj: KubeObject, type: EventType, reason: string, message: string, source: EventSource, fieldPath?: string): KubeObject | undefined {
    const namespace = obj.metadata.namespace ?? 'default';
    const now = this.#clock.now();
    const key = [obj.metadata.uid, fieldPath ?? '', type, reason, message, source.component, source.host ?? ''].join('\u0000');
    const events = res('events');
    try {
      const prior = this.#recent.get(key);
      if (prior && now - prior.last < AGGREGATION_WINDOW_MS) {
        const existing = this.#store.get(events, prior.namespace, prior.name);
        if (existing) {
          prior.last = now;
          return this.#store.mutate(events, prior.namespace, prior.name, (e) => {
            e['count'] = ((e['count'] as number | undefined) ?? 1) + 1;
            e['lastTimestamp'] = this.#clock.isoNow();
          });
        }
      }
      // Kubernetes names events `<object>.<unix nanoseconds in hex>`; a sequence stands in for the
      // nanoseconds so that many events in one simulated millisecond stay distinct.
      const name = `${obj.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16)}`;
      const ts = this.#clock.isoNow();
      const created = this.#store.create(events, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: objectRef(obj, fieldPath),
        reason,
        message,
        source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      });
      this.#recent.set(key, { name, namespace, last: now });
      if (this.#recent.size > 50_000) this.#recent.delete(this.#recent.keys().next().value as string);
      return created;
    } catch {
      return undefined;
    }
  }
}

export interface EventTtlOptions {
  /** How long an Event lives after its lastTimestamp, simulated ms. Default 1 h, the API server's `--event-ttl`. */
  ttlMs?: number;
  /** How often expired Events are swept, simulated ms. Default 5 min. */
  sweepEveryMs?: number;
}

export const DEFAULT_EVENT_TTL_MS = 60 * 60_000;
export const DEFAULT_EVENT_SWEEP_MS = 5 * 60_000;

/** Deletes core Events whose lastTimestamp is older than the TTL, as etcd leases expire them on a real cluster. */
export class EventTtlController implements Controller {
  readonly name = 'event-ttl';
  readonly #ctx: SimContext;
  readonly #ttlMs: number;
  readonly #sweepEveryMs: number;
  #timer: ReturnType<Clock['setTimer']> | undefined;

  constructor(ctx: SimContext, options: EventTtlOptions = {}) {
    this.#ctx = ctx;
    this.#ttlMs = options.ttlMs ?? DEFAULT_EVENT_TTL_MS;
    this.#sweepEveryMs = options.sweepEveryMs ?? DEFAULT_EVENT_SWEEP_MS;
  }

  start(): void {
    this.stop();
    this.#schedule();
  }

  stop(): void {
    this.#ctx.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** Deletes every expired Event now; returns how many. */
  sweep(): number {
    const events = res('events');
    const cutoff = this.#ctx.clock.now() - this.#ttlMs;
    let deleted = 0;
    for (const e of this.#ctx.store.list(events).items) {
      const stamp = [e['lastTimestamp'], e['eventTime'], e['firstTimestamp'], e.metadata.creationTimestamp].find((v): v is string => typeof v === 'string' && v !== '');
      const at = stamp === undefined ? NaN : Date.parse(stamp);
      if (!Number.isFinite(at) || at >= cutoff) continue;
      try {
        this.#ctx.store.delete(events, e.metadata.namespace, e.metadata.name);
        deleted++;
      } catch {
        // deleted meanwhile
      }
    }
    return deleted;
  }

  #schedule(): void {
    this.#timer = this.#ctx.clock.setTimer(this.#sweepEveryMs, () => {
      this.sweep();
      this.#schedule();
    });
  }
}
