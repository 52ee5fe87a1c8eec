import { isRecord, list, text } from '../../core/kube/read.js';
import type { KubeObject } from '../../core/kube/kube-types.js';

/** Earliest time taken as real: a zero or epoch timestamp of a broken object must not win or count. */
const EARLIEST = Date.UTC(2000, 0, 1);
/** How deep `status` is searched: conditions and container states sit at depth 3 to 4. */
const MAX_STATUS_DEPTH = 5;
const EVENT_TIMES = ['lastTimestamp', 'eventTime', 'firstTimestamp', 'deprecatedLastTimestamp'];

/**
 * The newest moment a set of objects records — event times, condition transitions and heartbeats,
 * container starts and ends, creation times — in ms since the epoch; undefined when none is readable.
 * A dump has no "taken at" of its own, and this is the closest the cluster itself says.
 * `deletionTimestamp` is left out: it lies in the future by the grace period.
 */
export function newestTimestamp(objects: readonly KubeObject[]): number | undefined {
  let newest: number | undefined;
  const see = (value: unknown) => {
    const s = text(value);
    if (s === undefined) return;
    const ms = Date.parse(s);
    if (Number.isFinite(ms) && ms >= EARLIEST && (newest === undefined || ms > newest)) newest = ms;
  };
  for (const obj of objects) {
    see(obj.metadata.creationTimestamp);
    if (obj.kind === 'Event') {
      for (const key of EVENT_TIMES) see(obj[key]);
      if (isRecord(obj['series'])) see(obj['series']['lastObservedTime']);
    }
    walkStatus(obj['status'], 0, see);
  }
  return newest;
}

function walkStatus(value: unknown, depth: number, see: (value: unknown) => void): void {
  if (depth > MAX_STATUS_DEPTH) return;
  if (Array.isArray(value)) {
    for (const item of list(value)) walkStatus(item, depth + 1, see);
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') {
      if (/(Time|Timestamp|At)$/.test(key)) see(v);
    } else walkStatus(v, depth + 1, see);
  }
}
