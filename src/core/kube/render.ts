/**
 * Printing Kubernetes objects the way kubectl does (`get` tables, `-o json|yaml|name`, `events`, `top`),
 * so output read by a person or a language model looks like what they know from a terminal.
 * Alignment follows Go's text/tabwriter, which kubectl prints through.
 */
import { stringify } from 'yaml';
import type { KubeTable } from './kube-api.js';
import type { KubeObject } from './kube-types.js';
import { asRecord, isRecord, list, record, text } from './read.js';
import { cpuMillis, bytesOf } from './units.js';

type Obj = Record<string, unknown>;

export interface TabOptions {
  /** Smallest column width, padding included. */
  minWidth: number;
  /** Spaces added to the widest cell of a column. */
  padding: number;
}

/** kubectl get / events / top: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0). */
export const GET_TABS: TabOptions = { minWidth: 6, padding: 3 };
/** kubectl describe: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export const DESCRIBE_TABS: TabOptions = { minWidth: 0, padding: 2 };

/**
 * Aligns tab-separated text as Go's text/tabwriter does: a column block is a run of consecutive lines
 * that all have a cell in that column, and each block is as wide as its widest cell plus padding. The
 * last cell of a line (not followed by a tab) is not padded.
 */
export function tabwrite(text: string, options: TabOptions = GET_TABS): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i] ?? [];
      let line = '';
      cells.forEach((cell, j) => {
        const w = widths[j];
        line += j < cells.length - 1 && w !== undefined ? cell.padEnd(w) : cell;
      });
      out.push(line);
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= (lines[current]?.length ?? 0) - 1) continue;
      writeLines(line0, current);
      line0 = current;
      let width = options.minWidth;
      for (; current < line1; current++) {
        const cells = lines[current] ?? [];
        if (column >= cells.length - 1) break;
        width = Math.max(width, (cells[column] ?? '').length + options.padding);
      }
      widths.push(width);
      format(line0, current);
      widths.pop();
      line0 = current;
      current--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}

/** Go's `duration.HumanDuration`, as kubectl prints ages (`45s`, `5m30s`, `3h`, `2d4h`). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The age of a timestamp, `<unknown>` when absent or unparsable. */
export function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || !timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '<none>';
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

/** Tabs and newlines inside a cell would break the columns; kubectl prints such values on one line too. */
function flat(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

export interface RenderTableOptions {
  /** `-o wide`: include columns with priority > 0. */
  wide?: boolean;
  /** `-A`: a NAMESPACE column first, read from each row's object metadata. */
  withNamespace?: boolean;
}

/** A server-rendered Table as `kubectl get` prints it; `undefined` when it has no rows. */
export function renderTable(table: KubeTable, options: RenderTableOptions = {}): string | undefined {
  if (table.rows.length === 0) return undefined;
  const shown = table.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => options.wide || !c.priority);
  const lines: string[] = [];
  const header = shown.map(({ c }) => c.name.toUpperCase());
  lines.push([...(options.withNamespace ? ['NAMESPACE'] : []), ...header].join('\t'));
  for (const row of table.rows) {
    const ns = text(record(record(row.object)['metadata'])['namespace']) ?? '';
    const cells = shown.map(({ i }) => flat(cellText(row.cells[i])));
    lines.push([...(options.withNamespace ? [ns] : []), ...cells].join('\t'));
  }
  return tabwrite(lines.join('\n'), GET_TABS);
}

/** kubectl's "No resources found" line. */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace ? `No resources found in ${namespace} namespace.` : 'No resources found';
}

/** Removes `metadata.managedFields` (noise for a reader) from an object or every item of a list, without mutating it. */
export function stripManagedFields<T>(value: T): T {
  // A fresh object, not a shared empty one: the result is handed back to the caller.
  const obj: Obj = isRecord(value) ? value : {};
  const meta = record(obj['metadata']);
  let out: Obj = obj;
  if ('managedFields' in meta) {
    const { managedFields: _mf, ...rest } = meta;
    out = { ...obj, metadata: rest };
  }
  if (Array.isArray(obj['items'])) out = { ...out, items: (obj['items'] as unknown[]).map((item) => stripManagedFields(item)) };
  return out as T;
}

/** The printable form of one object or a `List` of objects, as kubectl builds it for -o json|yaml. */
export function asPrintable(objects: KubeObject | KubeObject[], apiVersion: string, kind: string): Obj {
  const fill = (x: KubeObject): KubeObject => redactConfigData(stripManagedFields({ ...x, apiVersion: x.apiVersion || apiVersion, kind: x.kind || kind }));
  if (!Array.isArray(objects)) return fill(objects);
  return { apiVersion: 'v1', items: objects.map(fill), kind: 'List', metadata: { resourceVersion: '' } };
}

/**
 * A ConfigMap with its values replaced by `<redacted: N bytes>`: command output travels over the bus and
 * is stored with the command, and ConfigMaps often hold connection strings. The keys stay, which is what
 * a diagnosis needs (is `DB_HOST` there?). Any other object is returned as it is.
 */
export function redactConfigData<T extends KubeObject>(obj: T): T {
  if (obj.kind !== 'ConfigMap') return obj;
  const out: KubeObject = { ...obj };
  for (const field of ['data', 'binaryData']) {
    const values = asRecord(obj[field]);
    if (!values) continue;
    out[field] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, `<redacted: ${typeof v === 'string' ? Buffer.byteLength(v) : 0} bytes>`]));
  }
  return out as T;
}

/** `-o json`: four-space indentation, like kubectl. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

/** `-o yaml`. */
export function renderYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/** `-o name`: `deployment.apps/checkout`, `pod/web-0`. */
export function renderNames(objects: KubeObject[], group: string, kind: string): string {
  const prefix = `${kind.toLowerCase()}${group ? `.${group}` : ''}`;
  return objects.map((x) => `${prefix}/${x.metadata.name}\n`).join('');
}

// ---- events ----------------------------------------------------------------------------------------

export interface EventTimes {
  first: string;
  last: string;
  count: number;
}

/** When an event first and last happened and how often, from core/v1 or events.k8s.io fields. */
export function eventTimes(event: KubeObject): EventTimes {
  const series = record(event['series']);
  const eventTime = text(event['eventTime']);
  const first = text(event['firstTimestamp']) ?? eventTime ?? event.metadata.creationTimestamp;
  const seriesCount = typeof series['count'] === 'number' ? series['count'] : 0;
  const count = seriesCount || (typeof event['count'] === 'number' ? event['count'] : 1);
  const last = text(series['lastObservedTime']) ?? text(event['lastTimestamp']) ?? eventTime ?? first;
  return { first, last, count };
}

/** `5m (x3 over 10m)` or `5m`, kubectl's interval wording. */
export function eventInterval(event: KubeObject, now: number): string {
  const t = eventTimes(event);
  return t.count > 1 ? `${since(t.last, now)} (x${t.count} over ${since(t.first, now)})` : since(t.first, now);
}

/** Events oldest first by last occurrence, as kubectl sorts them. */
export function sortEvents(events: readonly KubeObject[]): KubeObject[] {
  const key = (e: KubeObject) => Date.parse(eventTimes(e).last) || 0;
  return [...events].sort((a, b) => key(a) - key(b));
}

export function eventSource(event: KubeObject): string {
  const source = record(event['source']);
  const component = text(source['component']) ?? text(event['reportingComponent']) ?? text(event['reportingController']) ?? '';
  const host = text(source['host']);
  return host ? `${component}, ${host}` : component;
}

/** `kubectl events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first. */
export function renderEvents(events: readonly KubeObject[], now: number, options: { withNamespace?: boolean } = {}): string | undefined {
  if (events.length === 0) return undefined;
  const lines = [[...(options.withNamespace ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'].join('\t')];
  for (const e of sortEvents(events)) {
    const involved = record(e['involvedObject'] ?? e['regarding']);
    lines.push(
      [
        ...(options.withNamespace ? [e.metadata.namespace ?? ''] : []),
        eventInterval(e, now),
        text(e['type']) ?? '',
        text(e['reason']) ?? '',
        `${text(involved['kind']) ?? ''}/${text(involved['name']) ?? ''}`,
        flat(text(e['message']) ?? text(e['note']) ?? '').trim(),
      ].join('\t'),
    );
  }
  return tabwrite(lines.join('\n'), GET_TABS);
}

// ---- top -----------------------------------------------------------------------------------------

const MI = 2 ** 20;

function cpuText(millis: number): string {
  return `${millis}m`;
}
function memText(bytes: number): string {
  return `${Math.floor(bytes / MI)}Mi`;
}

/** `kubectl top pods` from PodMetrics items: pod totals, or one line per container with `--containers`. */
export function renderTopPods(items: readonly KubeObject[], options: { containers?: boolean; withNamespace?: boolean } = {}): string | undefined {
  if (items.length === 0) return undefined;
  const sorted = [...items].sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  const ns = (x: KubeObject) => (options.withNamespace ? [x.metadata.namespace ?? ''] : []);
  const head = options.withNamespace ? ['NAMESPACE'] : [];
  const lines: string[] = [];
  if (options.containers) {
    lines.push([...head, 'POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'].join('\t'));
    for (const pod of sorted) {
      for (const c of list(pod['containers']).map(record)) {
        const usage = record(c['usage']);
        lines.push([...ns(pod), pod.metadata.name, text(c['name']) ?? '', cpuText(cpuMillis(usage['cpu'])), memText(bytesOf(usage['memory']))].join('\t'));
      }
    }
  } else {
    lines.push([...head, 'NAME', 'CPU(cores)', 'MEMORY(bytes)'].join('\t'));
    for (const pod of sorted) {
      let cpu = 0;
      let mem = 0;
      for (const c of list(pod['containers']).map(record)) {
        cpu += cpuMillis(record(c['usage'])['cpu']);
        mem += bytesOf(record(c['usage'])['memory']);
      }
      lines.push([...ns(pod), pod.metadata.name, cpuText(cpu), memText(mem)].join('\t'));
    }
  }
  return tabwrite(lines.join('\n'), GET_TABS);
}

/**
 * `kubectl top nodes` from NodeMetrics and the nodes' allocatable resources; a node without metrics
 * shows `<unknown>`, as kubectl does.
 */
export function renderTopNodes(metrics: readonly KubeObject[], nodes: readonly KubeObject[]): string | undefined {
  if (nodes.length === 0 && metrics.length === 0) return undefined;
  const byName = new Map(metrics.map((m) => [m.metadata.name, m]));
  const names = [...new Set([...nodes.map((n) => n.metadata.name), ...metrics.map((m) => m.metadata.name)])].sort();
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name, n]));
  const lines = [['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'].join('\t')];
  for (const name of names) {
    const m = byName.get(name);
    if (!m) {
      lines.push([name, '<unknown>', '<unknown>', '<unknown>', '<unknown>'].join('\t'));
      continue;
    }
    const usage = record(m['usage']);
    const cpu = cpuMillis(usage['cpu']);
    const mem = bytesOf(usage['memory']);
    const alloc = record(record(nodeByName.get(name)?.['status'])['allocatable']);
    const cpuAlloc = cpuMillis(alloc['cpu']);
    const memAlloc = bytesOf(alloc['memory']);
    const pct = (used: number, total: number) => (total > 0 ? `${Math.floor((used / total) * 100)}%` : '<unknown>');
    lines.push([name, cpuText(cpu), pct(cpu, cpuAlloc), memText(mem), pct(mem, memAlloc)].join('\t'));
  }
  return tabwrite(lines.join('\n'), GET_TABS);
}
