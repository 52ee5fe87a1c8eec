/**
 * Records core/v1 Events the way client-go's recorder does: the same reason and message about the same
 * object within 10 minutes bumps `count` and `lastTimestamp` of one Event instead of creating another.
 */
import type { Clock } from './clock.js';
import type { KubeObject } from './kube-types.js';
import { res } from './resources.js';
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
      const name = `${obj.metadata.name}.${(now * 1000 + (this.#seq++ % 1000)).toString(16)}`;
      const ts = this.#clock.isoNow();
      const created = this.#store.create(events, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
        },
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
