/**
 * events.k8s.io/v1 is a view of the core Events in the store: converted on the way out and back on the
 * way in, as the real API server converts between the two versions of one stored resource.
 */
import type { KubeObject } from '../../core/kube/kube-types.js';
import type { FieldSelector } from '../store/selectors.js';

type Obj = Record<string, unknown>;

function defined(entries: [string, unknown][]): Obj {
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== ''));
}

export function coreToEventsV1(ev: KubeObject): KubeObject {
  const series = ev['series'] as Obj | undefined;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: ev.metadata,
    eventTime: ev['eventTime'] ?? null,
    ...defined([
      ['series', series ? { count: series['count'], lastObservedTime: series['lastObservedTime'] } : undefined],
      ['reportingController', (ev['reportingComponent']) || (ev['source'] as Obj | undefined)?.['component']],
      ['reportingInstance', (ev['reportingInstance']) || (ev['source'] as Obj | undefined)?.['host']],
      ['action', ev['action']],
      ['reason', ev['reason']],
      ['regarding', ev['involvedObject']],
      ['related', ev['related']],
      ['note', ev['message']],
      ['type', ev['type']],
      ['deprecatedSource', ev['source']],
      ['deprecatedFirstTimestamp', ev['firstTimestamp']],
      ['deprecatedLastTimestamp', ev['lastTimestamp']],
      ['deprecatedCount', ev['count']],
    ]),
  };
}

export function eventsV1ToCore(ev: KubeObject): KubeObject {
  const series = ev['series'] as Obj | undefined;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: ev.metadata,
    involvedObject: ev['regarding'] ?? {},
    eventTime: ev['eventTime'] ?? null,
    ...defined([
      ['series', series ? { count: series['count'], lastObservedTime: series['lastObservedTime'] } : undefined],
      ['reportingComponent', ev['reportingController']],
      ['reportingInstance', ev['reportingInstance']],
      ['action', ev['action']],
      ['reason', ev['reason']],
      ['related', ev['related']],
      ['message', ev['note']],
      ['type', ev['type']],
      ['source', ev['deprecatedSource'] ?? (ev['reportingController'] ? { component: ev['reportingController'], ...(ev['reportingInstance'] ? { host: ev['reportingInstance'] } : {}) } : undefined)],
      ['firstTimestamp', ev['deprecatedFirstTimestamp']],
      ['lastTimestamp', ev['deprecatedLastTimestamp']],
      ['count', ev['deprecatedCount']],
    ]),
  };
}

const FIELD_MAP: [string, string][] = [
  ['regarding.', 'involvedObject.'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource.', 'source.'],
  ['deprecatedCount', 'count'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
];

/** Field selector paths of events.k8s.io/v1 in terms of the stored core Event. */
export function eventsV1FieldSelector(sel: FieldSelector): FieldSelector {
  return sel.map((req) => {
    for (const [from, to] of FIELD_MAP) {
      if (from.endsWith('.') ? req.path.startsWith(from) : req.path === from) return { ...req, path: to + req.path.slice(from.length) };
    }
    return req;
  });
}
