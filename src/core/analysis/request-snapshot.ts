/**
 * Turns the context of an analysis request (`ai.reasoning.request`, `POST /api/v1/analyze/root-cause`)
 * into the snapshot the root-cause engine reads, and says what the engine should focus on. The context
 * is free-form on the wire; docs/reasoning.md documents what is read:
 *
 * - `context.topology.objects` (or `.items`): Kubernetes objects as `kubectl get -o json` prints them —
 *   Pods, workloads, ReplicaSets, Services, Endpoints, Nodes, core/v1 Events, … Items without
 *   `kind` take it from `context.topology.kind` (`PodList` → `Pod`).
 * - `context.event`: an agent event (docs/contracts.md) or a core/v1 Event; it becomes an Event in the
 *   snapshot and its object becomes the focus.
 * - `context.logs`: log text of the event's pod (container `context.event.raw_data.container`, else the
 *   pod's first container); a `--previous` block may follow a line `--- previous ---`.
 * - `context.metrics.series`: `[{name, labels, samples: [[ms, value], …]}]`.
 *
 * Pure and total: anything unreadable is skipped and reported in `ignored`, never thrown.
 */
import type { KubeObject } from '../kube/kube-types.js';
import { isRecord, list, num, record, text, type JsonRecord } from '../kube/read.js';
import type { ContainerLog, ClusterSnapshot, MetricSeries } from '../rca/snapshot.js';
import type { Focus } from '../rca/engine.js';

export interface RequestContext {
  event?: Record<string, unknown>;
  logs?: string;
  metrics?: Record<string, unknown>;
  topology?: Record<string, unknown>;
}

export interface RequestSnapshot {
  snapshot: ClusterSnapshot;
  focus: Focus | undefined;
  /** What could not be read, e.g. `topology.objects[3]: not a Kubernetes object`. */
  ignored: string[];
}

/** Most objects, log lines and series taken from one request: the bus bounds the payload anyway. */
const MAX_OBJECTS = 20_000;
const MAX_LOG_LINES = 2_000;
const MAX_SERIES = 2_000;
const PREVIOUS_MARKER = /^-{3,}\s*previous\s*-{3,}$/i;

function kindOfListItem(listKind: string | undefined): string | undefined {
  return listKind?.endsWith('List') ? listKind.slice(0, -4) : undefined;
}

function asKubeObject(value: unknown, fallbackKind: string | undefined): KubeObject | undefined {
  if (!isRecord(value)) return undefined;
  const meta = record(value['metadata']);
  const kind = text(value['kind']) ?? fallbackKind;
  const name = text(meta['name']);
  if (!kind || !name) return undefined;
  return {
    ...value,
    apiVersion: text(value['apiVersion']) ?? 'v1',
    kind,
    metadata: {
      ...meta,
      name,
      uid: text(meta['uid']) ?? `${kind}/${text(meta['namespace']) ?? ''}/${name}`,
      resourceVersion: text(meta['resourceVersion']) ?? '0',
      creationTimestamp: text(meta['creationTimestamp']) ?? new Date(0).toISOString(),
    },
  };
}

/** An agent event (labels.kind/name) or a core/v1 Event (involvedObject) as a core/v1 Event. */
function eventObject(event: JsonRecord, at: number): { object: KubeObject; focus: Focus } | undefined {
  if (text(event['kind']) === 'Event' && isRecord(event['involvedObject'])) {
    const obj = asKubeObject(event, 'Event');
    const involved = record(event['involvedObject']);
    const kind = text(involved['kind']);
    const name = text(involved['name']);
    if (!obj || !kind || !name) return undefined;
    const namespace = text(involved['namespace']);
    return { object: obj, focus: { kind, name, ...(namespace ? { namespace } : {}) } };
  }
  const labels = record(event['labels']);
  const involved = record(event['involved_object']);
  const kind = text(involved['kind']) ?? text(labels['kind']);
  const name = text(involved['name']) ?? text(labels['name']);
  const reason = text(event['reason']);
  if (!kind || !name || !reason) return undefined;
  const namespace = text(involved['namespace']) ?? (text(event['namespace']) || undefined);
  const raw = record(event['raw_data']);
  const ts = text(event['timestamp']) ?? new Date(at).toISOString();
  const object: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${name}.${text(event['id']) ?? 'event'}`,
      ...(namespace ? { namespace } : {}),
      uid: text(event['id']) ?? `${kind}/${name}/${reason}`,
      resourceVersion: '0',
      creationTimestamp: ts,
    },
    involvedObject: { kind, name, ...(namespace ? { namespace } : {}), ...(text(involved['uid']) ? { uid: text(involved['uid']) } : {}) },
    reason,
    message: text(event['message']) ?? '',
    type: text(event['severity']) === 'low' ? 'Normal' : 'Warning',
    count: num(raw['count']) ?? 1,
    firstTimestamp: text(raw['first_timestamp']) ?? ts,
    lastTimestamp: text(raw['last_timestamp']) ?? ts,
    source: { component: text(event['source']) ?? 'aetherius-agent', ...(text(labels['node']) ? { host: text(labels['node']) } : {}) },
  };
  return { object, focus: { kind, name, ...(namespace ? { namespace } : {}) } };
}

function splitLogs(logs: string, pod: KubeObject | undefined, focus: Focus | undefined, container: string | undefined): ContainerLog[] {
  if (!focus || focus.kind !== 'Pod' || !focus.namespace) return [];
  const containers = list(record(pod?.['spec'])['containers']);
  const name = container ?? text(record(containers[0])['name']) ?? 'app';
  const current: string[] = [];
  const previous: string[] = [];
  let target = current;
  for (const line of logs.split(/\r?\n/)) {
    if (PREVIOUS_MARKER.test(line.trim())) {
      target = previous;
      continue;
    }
    if (line !== '') target.push(line);
  }
  const out: ContainerLog[] = [];
  const base = { namespace: focus.namespace, pod: focus.name, container: name };
  if (current.length) out.push({ ...base, previous: false, lines: current.slice(-MAX_LOG_LINES) });
  if (previous.length) out.push({ ...base, previous: true, lines: previous.slice(-MAX_LOG_LINES) });
  return out;
}

function readSeries(value: unknown, index: number, ignored: string[]): MetricSeries | undefined {
  const s = record(value);
  const name = text(s['name']);
  const samples: [number, number][] = [];
  for (const p of list(s['samples'])) {
    const pair = list(p);
    const t = num(pair[0]);
    const v = num(pair[1]);
    if (t !== undefined && v !== undefined && Number.isFinite(t) && Number.isFinite(v)) samples.push([t, v]);
  }
  if (!name || samples.length === 0) {
    ignored.push(`metrics.series[${index}]: needs a name and samples [[ms, value], …]`);
    return undefined;
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(s['labels']))) if (typeof v === 'string') labels[k] = v;
  samples.sort((a, b) => a[0] - b[0]);
  return { name, labels, samples };
}

/**
 * The snapshot and focus of a request's context. `now` (ms) is the snapshot time when nothing in the
 * context is newer.
 */
export function snapshotFromRequest(context: RequestContext, now: number, clusterId?: string): RequestSnapshot {
  const ignored: string[] = [];
  const objects: KubeObject[] = [];
  const topology = record(context.topology);
  const listKind = kindOfListItem(text(topology['kind']));
  const items = list(topology['objects']).length ? list(topology['objects']) : list(topology['items']);
  items.slice(0, MAX_OBJECTS).forEach((item, i) => {
    // A nested List (kubectl get a,b -o json) is flattened.
    if (isRecord(item) && Array.isArray(item['items'])) {
      const nestedKind = kindOfListItem(text(item['kind']));
      for (const nested of list(item['items'])) {
        const obj = asKubeObject(nested, nestedKind);
        if (obj) objects.push(obj);
      }
      return;
    }
    const obj = asKubeObject(item, listKind);
    if (obj) objects.push(obj);
    else ignored.push(`topology.objects[${i}]: not a Kubernetes object (needs kind and metadata.name)`);
  });
  if (items.length > MAX_OBJECTS) ignored.push(`topology.objects: only the first ${MAX_OBJECTS} objects are read`);

  let focus: Focus | undefined;
  if (context.event) {
    const ev = eventObject(context.event, now);
    if (ev) {
      objects.push(ev.object);
      focus = ev.focus;
    } else {
      ignored.push('event: needs reason and the object it is about (labels.kind and labels.name, or involvedObject)');
    }
  }
  const focusObject = focus ? objects.find((o) => o.kind === focus?.kind && o.metadata.name === focus.name && (o.metadata.namespace ?? '') === (focus.namespace ?? '')) : undefined;
  const container = text(record(context.event?.['raw_data'])['container']);
  const logs = context.logs ? splitLogs(context.logs, focusObject, focus, container) : [];
  if (context.logs && logs.length === 0) ignored.push('logs: read only for an event about a namespaced Pod');

  const metrics: MetricSeries[] = [];
  list(record(context.metrics)['series'])
    .slice(0, MAX_SERIES)
    .forEach((s, i) => {
      const series = readSeries(s, i, ignored);
      if (series) metrics.push(series);
    });

  let at = now;
  for (const m of metrics) at = Math.max(at, m.samples.at(-1)?.[0] ?? at);
  return {
    snapshot: { ...(clusterId !== undefined ? { clusterId } : {}), at, objects, logs, metrics },
    focus,
    ignored,
  };
}
