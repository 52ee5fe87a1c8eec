/**
 * Container logs from a dump, bounded: only the newest lines of each container are kept (the analysis
 * looks at how a container ended), and an absurdly long line is cut, so a dump of any size reads in
 * bounded memory.
 */
import type { ContainerLog } from '../../core/rca/snapshot.js';

/** How `kubectl cluster-info dump` opens each container's log (kubectl 1.5 to 1.32 at least). */
export const LOG_BLOCK_START = '==== START logs for container ';
/** The closing marker; glued to the last log line when the log did not end with a newline. */
export const LOG_BLOCK_END = /==== END logs for container \S+ of pod [^/\s]+\/\S+ ====$/;

const START_LINE = /^==== START logs for container (\S+) of pod ([^/\s]+)\/(\S+) ====$/;
const END_LINE = /^(.*)==== END logs for container (\S+) of pod ([^/\s]+)\/(\S+) ====$/;
/** What kubectl writes into a block instead of the log when it could not fetch it. */
const FETCH_ERROR = /^(Create log request error|Request log error): /;

export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
}

interface Tail {
  target: LogTarget;
  /** A ring: once full, `next` is the oldest line and the next one to overwrite. */
  lines: string[];
  next: number;
}

export class ContainerLogCollector {
  readonly #maxLines: number;
  readonly #maxLineChars: number;
  readonly #tails = new Map<string, Tail>();

  constructor(maxLines: number, maxLineChars: number) {
    this.#maxLines = maxLines;
    this.#maxLineChars = maxLineChars;
  }

  /** Makes the container's log exist even if it has no line (a container that printed nothing). */
  ensure(target: LogTarget): void {
    this.#tail(target);
  }

  append(target: LogTarget, line: string): void {
    if (this.#maxLines === 0) return void this.#tail(target);
    const tail = this.#tail(target);
    const kept = line.length > this.#maxLineChars ? `${line.slice(0, this.#maxLineChars)}… [line cut at ${this.#maxLineChars} characters]` : line;
    if (tail.lines.length < this.#maxLines) tail.lines.push(kept);
    else {
      tail.lines[tail.next] = kept;
      tail.next = (tail.next + 1) % this.#maxLines;
    }
  }

  /** Every log, oldest line first, ordered by namespace, pod, container, current before previous. */
  logs(): ContainerLog[] {
    return [...this.#tails.values()]
      .map(({ target, lines, next }) => ({ ...target, lines: [...lines.slice(next), ...lines.slice(0, next)] }))
      .sort((a, b) => compare(a.namespace, b.namespace) || compare(a.pod, b.pod) || compare(a.container, b.container) || Number(a.previous) - Number(b.previous));
  }

  #tail(target: LogTarget): Tail {
    const key = `${target.namespace}\u0000${target.pod}\u0000${target.container}\u0000${target.previous ? 1 : 0}`;
    let tail = this.#tails.get(key);
    if (!tail) {
      tail = { target: { ...target }, lines: [], next: 0 };
      this.#tails.set(key, tail);
    }
    return tail;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads one log file line by line: kubectl's START/END blocks go to the container they name; lines
 * outside any block go to `fallback` (a per-container file of another tool or an older kubectl).
 */
export class KubectlLogBlockReader {
  readonly #collector: ContainerLogCollector;
  readonly #fallback: LogTarget | undefined;
  readonly #warn: (message: string) => void;
  readonly #where: string;
  #block: LogTarget | undefined;
  #blockLines = 0;
  #blockFailed = false;
  #orphans = 0;

  constructor(collector: ContainerLogCollector, where: string, fallback: LogTarget | undefined, warn: (message: string) => void) {
    this.#collector = collector;
    this.#where = where;
    this.#fallback = fallback;
    this.#warn = warn;
  }

  line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const start = START_LINE.exec(line);
    if (start) {
      this.#close();
      this.#block = { namespace: start[2] as string, pod: start[3] as string, container: start[1] as string, previous: this.#fallback?.previous ?? false };
      this.#blockLines = 0;
      this.#blockFailed = false;
      return;
    }
    const end = this.#block ? END_LINE.exec(line) : null;
    if (end) {
      if (end[1]) this.#append(end[1]);
      this.#close();
      return;
    }
    this.#append(line);
  }

  /** Call after the last line. */
  finish(): void {
    this.#close();
    if (this.#orphans) this.#warn(`${this.#where}: ${this.#orphans} line(s) outside any "==== START logs for container" block and no container to give them to; skipped`);
  }

  #append(line: string): void {
    const block = this.#block;
    if (block) {
      if (this.#blockLines === 0 && FETCH_ERROR.test(line)) {
        this.#blockFailed = true;
        this.#warn(`${this.#where}: no log for container ${block.container} of pod ${block.namespace}/${block.pod}: kubectl wrote "${line.slice(0, 300)}"`);
        return;
      }
      if (this.#blockFailed) return;
      this.#blockLines++;
      this.#collector.append(block, line);
      return;
    }
    if (this.#fallback) this.#collector.append(this.#fallback, line);
    else if (line !== '') this.#orphans++;
  }

  #close(): void {
    if (this.#block && !this.#blockFailed) this.#collector.ensure(this.#block);
    this.#block = undefined;
  }
}
