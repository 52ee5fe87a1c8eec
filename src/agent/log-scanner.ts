/**
 * The log scanner: the agent's error-log signal. Some faults never show in Kubernetes (an expired
 * certificate, an upstream answering 429, a used-up connection pool): the pods stay Running and only
 * the application's logs say what is wrong. Each cycle reads the recent logs of the next
 * `pods_per_cycle` running pods (round-robin over the informer cache: the agent lists nothing extra),
 * groups lines into records and classifies them (core/classify/log-patterns.ts), and when a container's
 * errors within `window` reach `min_errors` it hands one signal to the watcher, which sends it like any
 * state-derived signal.
 *
 * Cost is bounded by configuration: at most `pods_per_cycle` pods per `interval`, one request per
 * running container, `max_bytes_per_read` / `max_lines_per_read` per request, READ_CONCURRENCY in
 * flight, all through the Kubernetes client's QPS token bucket. Memory is bounded per container (a
 * cursor, and at most MAX_OCCURRENCES error occurrences) and state is dropped with the pod.
 *
 * Windows are measured in log time (the runtime's timestamps; "now" is the container's newest line),
 * never on the agent's clock, so a simulated cluster whose clock jumps, or a node whose clock is off,
 * gets the same answers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../adapters/telemetry/index.js';
import { errorMessage } from '../contracts/index.js';
import { LOG_CLASS_INFO, LOG_PATTERNS, LOG_SIGNAL_CLASSES, assembleRecords, classifyRecord, splitTimestamp, type LogLine, type LogSignalClass, type StateSignal } from '../core/classify/index.js';
import type { Config } from '../core/config/index.js';
import type { KubeApi } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { isRecord, list, record, text } from '../core/kube/read.js';
import type { AgentTelemetry } from './agent-telemetry.js';

export type LogScanConfig = Config['agent']['log_scan'];

export interface LogScannerOptions {
  api: KubeApi;
  /** The pods the agent watches (its informer cache): the whole population scanned. */
  pods: () => Iterable<KubeObject>;
  config: LogScanConfig;
  /** Receives each signal with the pod it is about and the `raw_data` fields to add. */
  emit: (signal: StateSignal, pod: KubeObject, raw: Record<string, unknown>) => void;
  logger: Logger;
  telemetry?: Pick<AgentTelemetry, 'logReads' | 'logBytes' | 'logErrorRecords'>;
  /** Log requests in flight at once (default READ_CONCURRENCY). */
  concurrency?: number;
  /** Wall clock, only for lines without a runtime timestamp (tests). */
  now?: () => number;
}

/** What one cycle did (returned by `scan()`, logged at debug). */
export interface LogScanReport {
  /** Running pods with at least one running container: the round-robin population. */
  population: number;
  /** Pods read in this cycle. */
  pods: number;
  reads: number;
  failed: number;
  bytes: number;
  /** New lines (after the per-container cursor). */
  lines: number;
  error_records: number;
  signals: number;
  /** Containers the scanner keeps state for. */
  tracked: number;
}

export const READ_CONCURRENCY = 4;
/** Error occurrences kept per container (the largest `min_errors` is 50). */
export const MAX_OCCURRENCES = 64;
const MAX_QUOTE = 300;
const PATTERN_BY_ID = new Map(LOG_PATTERNS.map((p) => [p.id, p]));

interface Occurrence {
  /** Second of the record, epoch ms. */
  t: number;
  cls: number;
  /** Records of this class in that second. */
  n: number;
}

interface Sample {
  first: string;
  matched: string | undefined;
  pattern: string | undefined;
}

interface ContainerState {
  /** Time of the newest line processed (epoch ms), and how many lines of that very millisecond were seen. */
  cursor: number;
  atCursor: number;
  /** Error occurrences, oldest first, at most MAX_OCCURRENCES. */
  occ: Occurrence[];
  /** The latest record of each class (index = class rank), for the message. */
  samples: (Sample | undefined)[] | undefined;
  /** Log time of the last signal sent for this container. */
  lastEmit: number | undefined;
  /**
   * tailLines for the next read. A container that writes more than max_bytes_per_read within the
   * window would otherwise always get the oldest bytes of its tail (limitBytes cuts the end), never
   * reaching its newest lines: after a cut read it asks for as many lines as fit.
   */
  tail: number;
}

interface Target {
  key: string;
  pod: KubeObject;
  namespace: string;
  name: string;
  uid: string;
  containers: string[];
}

function emptyReport(): LogScanReport {
  return { population: 0, pods: 0, reads: 0, failed: 0, bytes: 0, lines: 0, error_records: 0, signals: 0, tracked: 0 };
}

/** `5m`, `90s`, `1500ms`: how the window reads in messages. */
export function shortDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A line for a message, at most MAX_QUOTE characters; a long line is cut around what `focus` matches. */
export function quote(s: string, focus?: RegExp): string {
  const t = s.trim();
  if (t.length <= MAX_QUOTE) return t;
  const m = focus?.exec(t);
  if (!m || m.index + m[0].length <= MAX_QUOTE - 1) return `${t.slice(0, MAX_QUOTE - 1)}…`;
  const start = Math.max(0, Math.min(m.index - 100, t.length - (MAX_QUOTE - 2)));
  const end = start + MAX_QUOTE - 2;
  return `…${t.slice(start, end)}${end < t.length ? '…' : ''}`;
}

/** Running, not being deleted, with the names of its running (app) containers. */
function targetOf(pod: KubeObject): Target | undefined {
  const meta = pod.metadata;
  const name = text(meta?.name);
  const namespace = text(meta?.namespace);
  const uid = text(meta?.uid);
  if (!name || !namespace || !uid || meta.deletionTimestamp) return undefined;
  const status = record(pod['status']);
  if (status['phase'] !== 'Running') return undefined;
  const containers: string[] = [];
  for (const cs of list(status['containerStatuses'])) {
    if (!isRecord(cs)) continue;
    const cname = text(cs['name']);
    if (cname && isRecord(record(cs['state'])['running'])) containers.push(cname);
  }
  return containers.length ? { key: `${namespace}/${name}`, pod, namespace, name, uid, containers } : undefined;
}

export class LogScanner {
  readonly #o: LogScannerOptions;
  readonly #log: Logger;
  /** pod uid → container → state. */
  readonly #states = new Map<string, Map<string, ContainerState>>();
  /** Key (`namespace/name`) of the last pod read; the next cycle starts after it. */
  #lastKey = '';
  #running: Promise<LogScanReport> | undefined;
  readonly #abort = new AbortController();

  #tracked = 0;

  constructor(options: LogScannerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'log-scanner' });
  }

  /** Containers with state (tests, telemetry). */
  get tracked(): number {
    return this.#tracked;
  }

  /** Stops: in-flight reads are aborted and nothing more is emitted. */
  stop(): void {
    this.#abort.abort();
  }

  /**
   * Runs one cycle. A call while a cycle runs joins it. Never throws: a failed read is counted and
   * logged at debug, and the next cycle reads the next pods. `pace` (what the interval timer asks)
   * spreads the cycle's reads over 80% of the interval instead of sending them as fast as the token
   * bucket allows, so the scanner never takes the client's burst from commands and relists.
   */
  scan(options: { pace?: boolean } = {}): Promise<LogScanReport> {
    this.#running ??= this.#cycle(options.pace ?? false)
      .catch((err: unknown) => {
        this.#log.error({ err }, 'log scan cycle failed');
        return emptyReport();
      })
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #cycle(pace: boolean): Promise<LogScanReport> {
    const report = emptyReport();
    if (this.#abort.signal.aborted) return report;
    const live = new Set<string>();
    const eligible: Target[] = [];
    for (const pod of this.#o.pods()) {
      const uid = text(pod.metadata?.uid);
      if (uid) live.add(uid);
      const t = targetOf(pod);
      if (t) eligible.push(t);
    }
    eligible.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    report.population = eligible.length;
    // Round-robin: the next pods after the last one read, wrapping around.
    let lo = 0;
    let hi = eligible.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((eligible[mid] as Target).key <= this.#lastKey) lo = mid + 1;
      else hi = mid;
    }
    const start = lo >= eligible.length ? 0 : lo;
    const take = Math.min(this.#o.config.pods_per_cycle, eligible.length);
    const picks: Target[] = [];
    for (let i = 0; i < take; i++) picks.push(eligible[(start + i) % eligible.length] as Target);
    if (picks.length) this.#lastKey = (picks[picks.length - 1] as Target).key;
    report.pods = picks.length;

    const jobs = picks.flatMap((t) => t.containers.map((container) => ({ target: t, container })));
    const spacing = pace && jobs.length ? (this.#o.config.interval * 0.8) / jobs.length : 0;
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && !this.#abort.signal.aborted) {
        const i = next++;
        const job = jobs[i];
        const wait = started + i * spacing - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal: this.#abort.signal }).catch(() => undefined);
        if (job && !this.#abort.signal.aborted) await this.#scanContainer(job.target, job.container, report);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency ?? READ_CONCURRENCY, jobs.length) }, worker));

    // Forget pods that are gone (state for pods that merely stopped running is kept: they may come back).
    for (const [uid, byContainer] of this.#states) {
      if (live.has(uid)) continue;
      this.#tracked -= byContainer.size;
      this.#states.delete(uid);
    }
    report.tracked = this.tracked;
    this.#log.debug({ ...report }, 'log scan cycle');
    return report;
  }

  async #scanContainer(t: Target, container: string, report: LogScanReport): Promise<void> {
    const cfg = this.#o.config;
    let byContainer = this.#states.get(t.uid);
    if (!byContainer) {
      byContainer = new Map();
      this.#states.set(t.uid, byContainer);
    }
    let state = byContainer.get(container);
    if (!state) {
      state = { cursor: Number.NEGATIVE_INFINITY, atCursor: 0, occ: [], samples: undefined, lastEmit: undefined, tail: cfg.max_lines_per_read };
      byContainer.set(container, state);
      this.#tracked++;
    }
    let body: string;
    try {
      body = await this.#o.api.logs(t.namespace, t.name, {
        container,
        timestamps: true,
        // Only the window can count, so never more than the window; the cursor skips what was seen.
        sinceSeconds: Math.max(1, Math.ceil(cfg.window / 1000)),
        tailLines: Math.min(state.tail, cfg.max_lines_per_read),
        limitBytes: cfg.max_bytes_per_read,
        signal: this.#abort.signal,
      });
    } catch (err) {
      report.reads++;
      report.failed++;
      this.#o.telemetry?.logReads.inc({ result: 'error' });
      // Usual and harmless: the container restarted or the pod went away between the cache and the read.
      this.#log.debug({ namespace: t.namespace, pod: t.name, container, err: errorMessage(err) }, 'log read failed');
      return;
    }
    const bytes = Buffer.byteLength(body);
    report.reads++;
    report.bytes += bytes;
    this.#o.telemetry?.logReads.inc({ result: 'ok' });
    this.#o.telemetry?.logBytes.inc(bytes);
    if (this.#abort.signal.aborted) return;

    const raw = body.split('\n');
    // The last piece is '' after a final newline, or a line cut by limitBytes: read again next time.
    raw.pop();
    if (bytes >= cfg.max_bytes_per_read || (body.length > 0 && !body.endsWith('\n'))) {
      state.tail = Math.max(1, Math.floor((cfg.max_bytes_per_read / Math.max(1, bytes / Math.max(1, raw.length))) * 0.9));
    } else {
      state.tail = Math.min(cfg.max_lines_per_read, state.tail * 2);
    }
    const fresh = this.#newLines(raw, state);
    report.lines += fresh.length;
    if (fresh.length) this.#count(fresh, state, report);
    this.#evaluate(t, container, state, report);
  }

  /** The lines after the container's cursor; moves the cursor. */
  #newLines(raw: readonly string[], state: ContainerState): LogLine[] {
    const out: LogLine[] = [];
    let prev: number | undefined;
    let newest = Number.NEGATIVE_INFINITY;
    let atNewest = 0;
    let skipAtCursor = state.atCursor;
    for (const r of raw) {
      const parsed = splitTimestamp(r);
      const time = parsed.time ?? prev ?? (this.#o.now?.() ?? Date.now());
      prev = time;
      if (time > newest) {
        newest = time;
        atNewest = 1;
      } else if (time === newest) {
        atNewest++;
      }
      if (time < state.cursor) continue;
      if (time === state.cursor && skipAtCursor > 0) {
        skipAtCursor--;
        continue;
      }
      out.push({ time, text: parsed.text });
    }
    if (newest > state.cursor) {
      state.cursor = newest;
      state.atCursor = atNewest;
    } else if (newest === state.cursor) {
      state.atCursor = Math.max(state.atCursor, atNewest);
    }
    return out;
  }

  #count(lines: LogLine[], state: ContainerState, report: LogScanReport): void {
    for (const rec of assembleRecords(lines)) {
      const verdict = classifyRecord(rec);
      if (!verdict.error) continue;
      report.error_records++;
      this.#o.telemetry?.logErrorRecords.inc({ class: verdict.class });
      const cls = LOG_SIGNAL_CLASSES.indexOf(verdict.class);
      const second = Math.floor((rec.time ?? 0) / 1000) * 1000;
      // Records of one class within one second are one occurrence: one failure logged by several
      // layers, or a burst of identical lines, is not a storm.
      let merged = false;
      for (let i = state.occ.length - 1; i >= 0 && i >= state.occ.length - LOG_SIGNAL_CLASSES.length; i--) {
        const o = state.occ[i] as Occurrence;
        if (o.t === second && o.cls === cls) {
          o.n++;
          merged = true;
          break;
        }
      }
      if (!merged) {
        state.occ.push({ t: second, cls, n: 1 });
        if (state.occ.length > MAX_OCCURRENCES) state.occ.shift();
      }
      state.samples ??= new Array<Sample | undefined>(LOG_SIGNAL_CLASSES.length).fill(undefined);
      const focus = verdict.pattern !== undefined ? PATTERN_BY_ID.get(verdict.pattern)?.regex : undefined;
      const firstLine = rec.lines[0] ?? '';
      state.samples[cls] = {
        first: quote(firstLine, verdict.matched === firstLine ? focus : undefined),
        matched: verdict.matched !== undefined && verdict.matched !== firstLine ? quote(verdict.matched, focus) : undefined,
        pattern: verdict.pattern,
      };
    }
  }

  #evaluate(t: Target, container: string, state: ContainerState, report: LogScanReport): void {
    const cfg = this.#o.config;
    // "Now" is the container's own newest line: a node whose clock is off moves only its own windows.
    const now = state.cursor;
    const from = now - cfg.window;
    // The window is (now - window, now]: consecutive signals then count disjoint windows.
    if (state.occ.length && (state.occ[0] as Occurrence).t <= from) state.occ = state.occ.filter((o) => o.t > from);
    if (!state.occ.length) {
      state.samples = undefined;
      return;
    }
    if (state.occ.length < cfg.min_errors) return;
    // At most one signal per window: consecutive signals of a container count disjoint windows.
    if (state.lastEmit !== undefined && now - state.lastEmit < cfg.window) return;

    const occurrences = new Array<number>(LOG_SIGNAL_CLASSES.length).fill(0);
    const records = new Array<number>(LOG_SIGNAL_CLASSES.length).fill(0);
    for (const o of state.occ) {
      occurrences[o.cls] = (occurrences[o.cls] ?? 0) + 1;
      records[o.cls] = (records[o.cls] ?? 0) + o.n;
    }
    // The class with the most occurrences; a tie goes to the more specific class (lower rank).
    let cls = 0;
    for (let i = 1; i < occurrences.length; i++) if ((occurrences[i] ?? 0) > (occurrences[cls] ?? 0)) cls = i;
    const klass = LOG_SIGNAL_CLASSES[cls] as LogSignalClass;
    const info = LOG_CLASS_INFO[klass];
    const mine = state.occ.filter((o) => o.cls === cls);
    const first = (mine[0] as Occurrence).t;
    const last = (mine[mine.length - 1] as Occurrence).t;
    const count = records[cls] ?? 1;
    const total = records.reduce((a, b) => a + b, 0);
    const sample = state.samples?.[cls];
    const window = shortDuration(cfg.window);
    const classes: Record<string, number> = {};
    records.forEach((n, i) => {
      if (n > 0) classes[LOG_SIGNAL_CLASSES[i] as string] = n;
    });
    const quoted = sample ? ` "${sample.first}"${sample.matched ? ` … "${sample.matched}"` : ''}` : '';
    const signal: StateSignal = {
      reason: info.reason,
      message: `container ${container} logged ${count} ${info.noun} in the last ${window} (${mine.length} seconds with errors, ${total} error records in all):${quoted}`,
      object: { kind: 'Pod', name: t.name, namespace: t.namespace, uid: t.uid, apiVersion: 'v1' },
      container,
      timestamp: new Date(last).toISOString(),
      key: `logs/${t.uid}/${container}/${info.reason}/${first}`,
    };
    state.lastEmit = now;
    report.signals++;
    this.#o.emit(signal, t.pod, {
      count,
      first_timestamp: new Date(first).toISOString(),
      last_timestamp: new Date(last).toISOString(),
      signal: 'error_logs',
      class: klass,
      container,
      window,
      threshold: cfg.min_errors,
      occurrences: mine.length,
      error_records: total,
      classes,
      ...(sample?.pattern ? { pattern: sample.pattern } : {}),
      ...(sample ? { sample: sample.first } : {}),
      ...(sample?.matched ? { matched_line: sample.matched } : {}),
    });
  }
}
