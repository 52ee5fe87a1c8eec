/**
 * Splits a file kubectl wrote into its JSON documents. `kubectl get -o json` writes one document;
 * `kubectl cluster-info dump` without `--output-directory` writes many to stdout, one after another,
 * with each pod's logs between `==== START logs for container …` and `==== END logs …` lines.
 */
import { DumpInputError } from './dump-input-error.js';
import { LOG_BLOCK_END, LOG_BLOCK_START } from './container-log-collector.js';

export interface KubectlOutput {
  /** Every JSON document, in file order. */
  documents: unknown[];
  /** The lines of the log blocks, markers included, in file order. */
  logLines: string[];
}

/**
 * @throws DumpInputError naming the file, line and column when the text is neither JSON documents nor
 *   kubectl's log blocks.
 */
export function parseKubectlOutput(text: string, file: string): KubectlOutput {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: KubectlOutput = { documents: [], logLines: [] };
  if (body.trim() === '') throw invalid(file, 'the file is empty');
  // The common case, one document, without the character scan below.
  try {
    out.documents.push(JSON.parse(body));
    return out;
  } catch {
    // Several documents, log blocks, or a syntax error: found and located below.
  }
  let i = 0;
  while (i < body.length) {
    i = skipSpace(body, i);
    if (i >= body.length) break;
    const c = body[i];
    if (c === '{' || c === '[') {
      const scanned = scanJson(body, i);
      if ('problem' in scanned) {
        const { line, column } = lineColumn(body, scanned.at);
        throw invalid(file, `not JSON: ${scanned.problem} at line ${line} column ${column}`);
      }
      try {
        out.documents.push(JSON.parse(body.slice(i, scanned.end)));
      } catch (err) {
        // The scan above accepts only valid JSON; kept so a scanner bug cannot crash the reader.
        throw invalid(file, `not JSON: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      i = scanned.end;
    } else if (body.startsWith(LOG_BLOCK_START, i)) {
      i = readLogBlock(body, i, out.logLines);
    } else {
      const { line, column } = lineColumn(body, i);
      const what = out.documents.length ? 'after the JSON' : 'where JSON should start';
      throw invalid(file, `not JSON: unexpected ${JSON.stringify(body.slice(i, i + 12))} ${what} at line ${line} column ${column}`);
    }
  }
  return out;
}

function invalid(file: string, message: string, cause?: unknown): DumpInputError {
  return new DumpInputError(`${file}: ${message}`, [{ path: file, message }], cause === undefined ? undefined : { cause });
}

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && /\s/.test(s[i] as string)) i++;
  return i;
}

/** Consumes lines up to and including the block's END marker (or the end of the text). */
function readLogBlock(s: string, from: number, lines: string[]): number {
  let i = from;
  while (i < s.length) {
    const nl = s.indexOf('\n', i);
    const line = s.slice(i, nl < 0 ? s.length : nl).replace(/\r$/, '');
    // A block cut off without its END line: the next block begins here.
    if (i !== from && line.startsWith(LOG_BLOCK_START)) return i;
    lines.push(line);
    i = nl < 0 ? s.length : nl + 1;
    if (LOG_BLOCK_END.test(line)) return i;
  }
  return i;
}

function lineColumn(s: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < index; i = s.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

type Scan = { end: number } | { at: number; problem: string };
type Want = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close';
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Where the JSON document starting at `from` ends, or where and why it is not JSON. JSON.parse says
 * neither where a document ends (kubectl's stdout holds many) nor, in Node 20, at which position it
 * failed. Iterative, so no nesting depth overflows the stack.
 */
function scanJson(s: string, from: number): Scan {
  const stack: string[] = [];
  let want: Want = 'value';
  let i = from;
  const found = (at: number) => (at >= s.length ? 'the end of the text' : JSON.stringify(s.slice(at, at + 10)));
  for (;;) {
    i = skipSpace(s, i);
    if (i >= s.length) return { at: i, problem: `unexpected end of the text${stack.length ? ` (${stack.length} unclosed bracket${stack.length === 1 ? '' : 's'})` : ''}` };
    const c = s[i] as string;
    let closedValue = false;
    if (want === 'value' || want === 'value-or-close') {
      if (c === ']' && want === 'value-or-close') {
        stack.pop();
        i++;
        closedValue = true;
      } else if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        want = c === '{' ? 'key-or-close' : 'value-or-close';
      } else if (c === '"') {
        const end = stringEnd(s, i);
        if (end < 0) return { at: i, problem: 'a string that never ends' };
        i = end;
        closedValue = true;
      } else {
        NUMBER.lastIndex = i;
        LITERAL.lastIndex = i;
        const m = NUMBER.exec(s) ?? LITERAL.exec(s);
        if (!m) return { at: i, problem: `expected a value, found ${found(i)}` };
        i += m[0].length;
        closedValue = true;
      }
    } else if (want === 'key' || want === 'key-or-close') {
      if (c === '}' && want === 'key-or-close') {
        stack.pop();
        i++;
        closedValue = true;
      } else if (c === '"') {
        const end = stringEnd(s, i);
        if (end < 0) return { at: i, problem: 'a string that never ends' };
        i = end;
        want = 'colon';
      } else return { at: i, problem: `expected a property name in double quotes, found ${found(i)}` };
    } else if (want === 'colon') {
      if (c !== ':') return { at: i, problem: `expected ':' after the property name, found ${found(i)}` };
      i++;
      want = 'value';
    } else {
      const open = stack[stack.length - 1];
      const close = open === '{' ? '}' : ']';
      if (c === ',') {
        i++;
        want = open === '{' ? 'key' : 'value';
      } else if (c === close) {
        stack.pop();
        i++;
        closedValue = true;
      } else return { at: i, problem: `expected ',' or '${close}', found ${found(i)}` };
    }
    if (closedValue) {
      if (stack.length === 0) return { end: i };
      want = 'comma-or-close';
    }
  }
}

/** Index just after the string starting at `from` (a '"'), or -1 when it never ends. */
function stringEnd(s: string, from: number): number {
  for (let i = from + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
    else if (c === 0x0a) return -1;
  }
  return -1;
}
