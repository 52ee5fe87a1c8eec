/**
 * A small, real subset of PromQL (docs/metrics.md lists it), parsed to a tree the evaluator walks:
 *
 *     expr        = or_expr
 *     cmp_expr    = add_expr [ ("==" | "!=" | ">" | "<" | ">=" | "<=") add_expr ]
 *     add_expr    = mul_expr { ("+" | "-") mul_expr }
 *     mul_expr    = unary { ("*" | "/") unary }
 *     unary       = [ "-" ] primary
 *     primary     = number | "(" expr ")" | aggregation | call | selector
 *     aggregation = ("sum" | "avg" | "min" | "max" | "count") [grouping] "(" expr ")" [grouping]
 *     grouping    = ("by" | "without") "(" [ label { "," label } ] ")"
 *     call        = function "(" expr ")"
 *     selector    = metric_name [ "{" matchers "}" ] [ "[" duration "]" ]  |  "{" matchers "}" [ "[" duration "]" ]
 *     matcher     = label ( "=" | "!=" | "=~" | "!~" ) string
 *
 * Functions: `rate`, `increase`, `delta` and `avg_over_time`, `min_over_time`, `max_over_time`,
 * `sum_over_time`, `count_over_time`, `last_over_time` take a range selector; `abs` takes any vector.
 * Every syntax error is an InputError that names the problem and its position (1-based character).
 */
import { InputError } from '../../contracts/index.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count';
export type RangeFunction = 'rate' | 'increase' | 'delta' | 'avg_over_time' | 'min_over_time' | 'max_over_time' | 'sum_over_time' | 'count_over_time' | 'last_over_time';
export type InstantFunction = 'abs';
export type ArithmeticOp = '+' | '-' | '*' | '/';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';

export type Expr =
  | { type: 'number'; value: number }
  | { type: 'selector'; name: string | undefined; matchers: Matcher[]; rangeMs: number | undefined; pos: number }
  | { type: 'call'; func: RangeFunction | InstantFunction; arg: Expr; pos: number }
  | { type: 'aggregate'; op: AggregateOp; grouping: { mode: 'by' | 'without'; labels: string[] } | undefined; expr: Expr; pos: number }
  | { type: 'binary'; op: ArithmeticOp | ComparisonOp; lhs: Expr; rhs: Expr; pos: number };

export const AGGREGATE_OPS: readonly AggregateOp[] = ['sum', 'avg', 'min', 'max', 'count'];
export const RANGE_FUNCTIONS: readonly RangeFunction[] = ['rate', 'increase', 'delta', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time'];
export const INSTANT_FUNCTIONS: readonly InstantFunction[] = ['abs'];

export const MAX_QUERY_LENGTH = 4096;
const MAX_DEPTH = 32;
const MAX_SELECTORS = 16;

type TokenKind = 'ident' | 'number' | 'string' | 'duration' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value of a string, parsed value of a number, ms of a duration. */
  value?: string | number;
  pos: number;
}

const PUNCT = ['=~', '!~', '!=', '==', '>=', '<=', '{', '}', '(', ')', '[', ']', ',', '=', '+', '-', '*', '/', '>', '<'];
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

function fail(message: string, pos: number, path: string): never {
  const where = `${message} at character ${pos + 1}`;
  throw new InputError(`invalid query: ${where}`, [{ path, message: where }]);
}

/** A Prometheus duration (`30s`, `5m`, `1h30m`, `1d`) in ms; undefined when it is not one. */
export function parsePromDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
  return total;
}

function lex(src: string, path: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let inBrackets = false;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (inBrackets && /[0-9]/.test(c)) {
      while (i < src.length && /[0-9a-z]/.test(src[i] ?? '')) i++;
      const text = src.slice(start, i);
      const ms = parsePromDuration(text);
      if (ms === undefined || ms <= 0) fail(`${JSON.stringify(text)} is not a duration such as 30s, 5m or 1h`, start, path);
      tokens.push({ kind: 'duration', text, value: ms, pos: start });
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const d = /^(\d+(ms|s|m|h|d|w|y))+(?![A-Za-z0-9_])/.exec(src.slice(i));
      if (d) {
        i += d[0].length;
        tokens.push({ kind: 'duration', text: d[0], value: parsePromDuration(d[0]) ?? 0, pos: start });
        continue;
      }
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) fail(`unexpected ${JSON.stringify(c)}`, start, path);
      i += m[0].length;
      if (/[A-Za-z_]/.test(src[i] ?? '')) fail(`unexpected ${JSON.stringify(src[i])} after the number ${m[0]}`, i, path);
      tokens.push({ kind: 'number', text: m[0], value: Number(m[0]), pos: start });
      continue;
    }
    if (/[A-Za-z_:]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_:]/.test(src[i] ?? '')) i++;
      tokens.push({ kind: 'ident', text: src.slice(start, i), pos: start });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i++;
      let value = '';
      for (;;) {
        if (i >= src.length) fail('unterminated string', start, path);
        const ch = src[i] ?? '';
        if (ch === c) {
          i++;
          break;
        }
        if (ch === '\n' && c !== '`') fail('line break inside a string', i, path);
        if (ch === '\\' && c !== '`') {
          const next = src[i + 1];
          const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (next === undefined || escapes[next] === undefined) fail(`unknown escape \\${next ?? ''} in a string`, i, path);
          value += escapes[next];
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      tokens.push({ kind: 'string', text: src.slice(start, i), value, pos: start });
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (!p) fail(`unexpected character ${JSON.stringify(c)}`, start, path);
    if (p === '[') inBrackets = true;
    if (p === ']') inBrackets = false;
    tokens.push({ kind: 'punct', text: p, pos: start });
    i += p.length;
  }
  tokens.push({ kind: 'eof', text: '', pos: src.length });
  return tokens;
}

class Parser {
  #i = 0;
  #depth = 0;
  #selectors = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly path: string,
  ) {}

  get #peek(): Token {
    return this.tokens[this.#i] ?? { kind: 'eof', text: '', pos: 0 };
  }

  #next(): Token {
    const t = this.#peek;
    if (this.#i < this.tokens.length - 1) this.#i++;
    return t;
  }

  #is(text: string): boolean {
    const t = this.#peek;
    return t.kind === 'punct' && t.text === text;
  }

  #expect(text: string, what: string): Token {
    const t = this.#peek;
    if (t.kind !== 'punct' || t.text !== text) fail(`expected ${JSON.stringify(text)} ${what}, found ${describe(t)}`, t.pos, this.path);
    return this.#next();
  }

  parse(): Expr {
    const e = this.#expr();
    const t = this.#peek;
    if (t.kind !== 'eof') fail(`unexpected ${describe(t)}`, t.pos, this.path);
    return e;
  }

  #expr(): Expr {
    if (++this.#depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`, this.#peek.pos, this.path);
    try {
      const lhs = this.#add();
      const t = this.#peek;
      if (t.kind === 'punct' && ['==', '!=', '>', '<', '>=', '<='].includes(t.text)) {
        this.#next();
        if (this.#peek.kind === 'ident' && this.#peek.text === 'bool') fail('the bool modifier is not supported', this.#peek.pos, this.path);
        const rhs = this.#add();
        return { type: 'binary', op: t.text as ComparisonOp, lhs, rhs, pos: t.pos };
      }
      return lhs;
    } finally {
      this.#depth--;
    }
  }

  #add(): Expr {
    let lhs = this.#mul();
    while (this.#is('+') || this.#is('-')) {
      const t = this.#next();
      lhs = { type: 'binary', op: t.text as ArithmeticOp, lhs, rhs: this.#mul(), pos: t.pos };
    }
    return lhs;
  }

  #mul(): Expr {
    let lhs = this.#unary();
    while (this.#is('*') || this.#is('/')) {
      const t = this.#next();
      lhs = { type: 'binary', op: t.text as ArithmeticOp, lhs, rhs: this.#unary(), pos: t.pos };
    }
    return lhs;
  }

  #unary(): Expr {
    if (this.#is('-')) {
      const t = this.#next();
      const operand = this.#unary();
      if (operand.type === 'number') return { type: 'number', value: -operand.value };
      return { type: 'binary', op: '*', lhs: { type: 'number', value: -1 }, rhs: operand, pos: t.pos };
    }
    if (this.#is('+')) this.#next();
    return this.#primary();
  }

  #primary(): Expr {
    const t = this.#peek;
    if (t.kind === 'number') {
      this.#next();
      return { type: 'number', value: t.value as number };
    }
    if (this.#is('(')) {
      this.#next();
      const e = this.#expr();
      this.#expect(')', 'to close "("');
      if (this.#is('[')) fail('subqueries are not supported', this.#peek.pos, this.path);
      return e;
    }
    if (this.#is('{')) return this.#selector(undefined, t.pos);
    if (t.kind === 'ident') {
      const name = t.text;
      this.#next();
      if ((AGGREGATE_OPS as readonly string[]).includes(name) && (this.#is('(') || this.#isGroupingKeyword())) return this.#aggregate(name as AggregateOp, t.pos);
      if (this.#is('(')) {
        if ((RANGE_FUNCTIONS as readonly string[]).includes(name) || (INSTANT_FUNCTIONS as readonly string[]).includes(name)) return this.#call(name as RangeFunction | InstantFunction, t.pos);
        fail(`unknown or unsupported function ${JSON.stringify(name)} (supported: ${[...RANGE_FUNCTIONS, ...INSTANT_FUNCTIONS].join(', ')}; aggregations: ${AGGREGATE_OPS.join(', ')})`, t.pos, this.path);
      }
      if (['by', 'without', 'bool', 'on', 'ignoring', 'group_left', 'group_right', 'offset'].includes(name)) fail(`unexpected keyword ${JSON.stringify(name)}`, t.pos, this.path);
      return this.#selector(name, t.pos);
    }
    fail(t.kind === 'eof' ? 'unexpected end of query, expected an expression' : `unexpected ${describe(t)}, expected an expression`, t.pos, this.path);
  }

  #isGroupingKeyword(): boolean {
    const t = this.#peek;
    return t.kind === 'ident' && (t.text === 'by' || t.text === 'without');
  }

  #grouping(): { mode: 'by' | 'without'; labels: string[] } {
    const mode = this.#next().text as 'by' | 'without';
    this.#expect('(', `after ${mode}`);
    const labels: string[] = [];
    while (!this.#is(')')) {
      const t = this.#next();
      if (t.kind !== 'ident' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text)) fail(`expected a label name in ${mode}(...), found ${describe(t)}`, t.pos, this.path);
      labels.push(t.text);
      if (!this.#is(')')) this.#expect(',', `between label names in ${mode}(...)`);
    }
    this.#next();
    return { mode, labels };
  }

  #aggregate(op: AggregateOp, pos: number): Expr {
    let grouping = this.#isGroupingKeyword() ? this.#grouping() : undefined;
    this.#expect('(', `after ${op}`);
    const expr = this.#expr();
    if (this.#is(',')) fail(`${op} takes one argument`, this.#peek.pos, this.path);
    this.#expect(')', `to close ${op}(`);
    if (this.#isGroupingKeyword()) {
      if (grouping) fail(`${op} has two grouping clauses`, this.#peek.pos, this.path);
      grouping = this.#grouping();
    }
    return { type: 'aggregate', op, grouping, expr, pos };
  }

  #call(func: RangeFunction | InstantFunction, pos: number): Expr {
    this.#expect('(', `after ${func}`);
    const arg = this.#expr();
    if (this.#is(',')) fail(`${func} takes one argument`, this.#peek.pos, this.path);
    this.#expect(')', `to close ${func}(`);
    const isRange = (RANGE_FUNCTIONS as readonly string[]).includes(func);
    const argIsRange = arg.type === 'selector' && arg.rangeMs !== undefined;
    if (isRange && !argIsRange) fail(`${func} needs a range selector such as metric[5m]`, pos, this.path);
    if (!isRange && argIsRange) fail(`${func} takes an instant vector, not a range selector`, pos, this.path);
    return { type: 'call', func, arg, pos };
  }

  #selector(name: string | undefined, pos: number): Expr {
    if (++this.#selectors > MAX_SELECTORS) fail(`more than ${MAX_SELECTORS} selectors`, pos, this.path);
    const matchers: Matcher[] = [];
    if (this.#is('{')) {
      this.#next();
      while (!this.#is('}')) {
        const label = this.#next();
        if (label.kind !== 'ident' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(label.text)) fail(`expected a label name, found ${describe(label)}`, label.pos, this.path);
        const op = this.#next();
        if (op.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.text)) fail(`expected =, !=, =~ or !~ after the label ${label.text}, found ${describe(op)}`, op.pos, this.path);
        const value = this.#next();
        if (value.kind !== 'string') fail(`expected a quoted string as the value of ${label.text}, found ${describe(value)}`, value.pos, this.path);
        const m: Matcher = { label: label.text, op: op.text as MatchOp, value: value.value as string };
        if (m.op === '=~' || m.op === '!~') {
          try {
            new RegExp(`^(?:${m.value})$`);
          } catch (err) {
            fail(`invalid regular expression for ${label.text}: ${(err as Error).message}`, value.pos, this.path);
          }
        }
        matchers.push(m);
        if (!this.#is('}')) this.#expect(',', 'between label matchers');
      }
      this.#next();
    }
    const nameMatchers = matchers.filter((m) => m.label === '__name__');
    if (name !== undefined && nameMatchers.length) fail('the metric name is given twice (before the braces and as __name__)', pos, this.path);
    const nonEmpty = (m: Matcher) => (m.op === '=' && m.value !== '') || (m.op === '=~' && !new RegExp(`^(?:${m.value})$`).test(''));
    if (name === undefined && !matchers.some(nonEmpty)) {
      fail('a selector needs a metric name or a matcher that does not match the empty string', pos, this.path);
    }
    let rangeMs: number | undefined;
    if (this.#is('[')) {
      this.#next();
      const d = this.#next();
      if (d.kind !== 'duration') fail(`expected a duration such as 5m inside [...], found ${describe(d)}`, d.pos, this.path);
      if (this.#peek.kind === 'ident' && this.#peek.text.startsWith(':')) fail('subqueries are not supported', this.#peek.pos, this.path);
      this.#expect(']', 'to close the range');
      rangeMs = d.value as number;
    }
    if (this.#peek.kind === 'ident' && this.#peek.text === 'offset') fail('offset is not supported', this.#peek.pos, this.path);
    return { type: 'selector', name, matchers, rangeMs, pos };
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the query';
  return JSON.stringify(t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text);
}

/**
 * Parses a query of the subset.
 * @param path the field name reported in the InputError's issue (default `query`).
 * @throws InputError naming the problem and its position.
 */
export function parsePromQL(query: string, path = 'query'): Expr {
  if (query.length > MAX_QUERY_LENGTH) fail(`longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH, path);
  if (query.trim() === '') fail('empty query', 0, path);
  return new Parser(lex(query, path), path).parse();
}

/** Every selector in the tree, in order. */
export function selectorsOf(e: Expr): Extract<Expr, { type: 'selector' }>[] {
  switch (e.type) {
    case 'number':
      return [];
    case 'selector':
      return [e];
    case 'call':
      return selectorsOf(e.arg);
    case 'aggregate':
      return selectorsOf(e.expr);
    case 'binary':
      return [...selectorsOf(e.lhs), ...selectorsOf(e.rhs)];
  }
}

/** A PromQL string literal for `value` (double-quoted, escaped). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
