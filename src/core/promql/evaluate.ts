/**
 * Evaluates the PromQL subset (parse.ts) the way Prometheus does, over samples a `SelectFn` fetches
 * (the metrics store, in Aetherius): every selector's samples are fetched once for the whole query
 * range, then the expression is evaluated at each step.
 *
 * Semantics follow Prometheus 3: an instant selector at time t takes each series' newest sample in
 * (t − lookback, t]; a range selector `[r]` the samples in (t − r, t]; `rate`/`increase` extrapolate and
 * correct counter resets like Prometheus's `extrapolatedRate`; functions and arithmetic drop the metric
 * name; vector–vector operators match one-to-one on all labels but `__name__`; comparisons filter.
 * Results use the Prometheus HTTP API's shapes (`vector`, `matrix`, `scalar`; values as strings).
 */
import { InputError } from '../../contracts/index.js';
import { selectorsOf, type Expr, type Matcher } from './parse.js';

export type Labels = Record<string, string>;

/** One series' samples, oldest first; `labels` include `__name__`. */
export interface RawSeries {
  labels: Labels;
  t: number[];
  v: number[];
}

export interface SelectRequest {
  name: string | undefined;
  matchers: Matcher[];
  /** Exclusive, unix ms. */
  startMs: number;
  /** Inclusive, unix ms. */
  endMs: number;
}

/** Fetches the series a selector matches with their samples in (startMs, endMs]. */
export type SelectFn = (req: SelectRequest) => Promise<RawSeries[]>;

export interface EvalOptions {
  /** How far back an instant selector looks for a series' latest sample. Prometheus: 5 minutes. */
  lookbackMs: number;
  /** Most steps a range query may have (Prometheus: 11,000). */
  maxSteps: number;
  /** The InputError path for problems found while evaluating (default `query`). */
  path?: string;
}

export const DEFAULT_EVAL_OPTIONS: Readonly<EvalOptions> = Object.freeze({ lookbackMs: 5 * 60_000, maxSteps: 11_000 });

export type SampleValue = [number, string];
export type QueryData =
  | { resultType: 'vector'; result: { metric: Labels; value: SampleValue }[] }
  | { resultType: 'scalar'; result: SampleValue }
  | { resultType: 'matrix'; result: { metric: Labels; values: SampleValue[] }[] };

type Sample = { labels: Labels; v: number };
type Value = { kind: 'scalar'; v: number } | { kind: 'vector'; samples: Sample[] };
type SelectorExpr = Extract<Expr, { type: 'selector' }>;

/** A Prometheus sample value as text: `NaN`, `+Inf`, `-Inf`, or the number. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function fail(message: string, path: string): never {
  throw new InputError(`invalid query: ${message}`, [{ path, message }]);
}

/** Refuses range selectors anywhere but as the argument of a range function (and, for instant queries, at the top). */
function checkShape(e: Expr, path: string, allowTopRange: boolean): void {
  const walk = (x: Expr, rangeAllowed: boolean): void => {
    switch (x.type) {
      case 'number':
        return;
      case 'selector':
        if (x.rangeMs !== undefined && !rangeAllowed) fail(`the range selector at character ${x.pos + 1} must be the argument of rate(), increase(), delta() or a *_over_time() function`, path);
        return;
      case 'call':
        walk(x.arg, x.func !== 'abs');
        return;
      case 'aggregate':
        walk(x.expr, false);
        return;
      case 'binary':
        walk(x.lhs, false);
        walk(x.rhs, false);
        return;
    }
  };
  walk(e, allowTopRange);
}

/** First index whose time is greater than `x`. */
function upperBound(t: readonly number[], x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t[mid] ?? 0) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function signature(labels: Labels, drop?: ReadonlySet<string>): string {
  const keys = Object.keys(labels)
    .filter((k) => !drop?.has(k))
    .sort();
  return JSON.stringify(keys.map((k) => [k, labels[k]]));
}

function withoutName(labels: Labels): Labels {
  const { __name__: _n, ...rest } = labels;
  return rest;
}

const NAME_ONLY = new Set(['__name__']);

/**
 * Prometheus's extrapolated rate/increase/delta over the samples in (rangeStart, rangeEnd]: the change
 * between the first and last sample (with counter resets added back for counters), extrapolated
 * towards the window's edges by at most half an average sample interval, and not below zero for a
 * counter; divided by the window in seconds for `rate`. Undefined with fewer than two samples.
 */
export function extrapolatedRate(t: readonly number[], v: readonly number[], rangeStart: number, rangeEnd: number, isCounter: boolean, isRate: boolean): number | undefined {
  const n = t.length;
  if (n < 2) return undefined;
  const first = v[0] ?? 0;
  const last = v[n - 1] ?? 0;
  let result = last - first;
  if (isCounter) {
    let prev = first;
    for (let i = 1; i < n; i++) {
      const cur = v[i] ?? 0;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = ((t[0] ?? 0) - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - (t[n - 1] ?? 0)) / 1000;
  const sampled = ((t[n - 1] ?? 0) - (t[0] ?? 0)) / 1000;
  if (sampled <= 0) return undefined;
  const average = sampled / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    const durationToZero = sampled * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = average * 1.1;
  let interval = sampled;
  interval += durationToStart < threshold ? durationToStart : average / 2;
  interval += durationToEnd < threshold ? durationToEnd : average / 2;
  result *= interval / sampled;
  if (isRate) result /= (rangeEnd - rangeStart) / 1000;
  return result;
}

class Evaluator {
  constructor(
    private readonly data: ReadonlyMap<SelectorExpr, RawSeries[]>,
    private readonly o: EvalOptions,
    private readonly path: string,
  ) {}

  at(e: Expr, time: number): Value {
    switch (e.type) {
      case 'number':
        return { kind: 'scalar', v: e.value };
      case 'selector':
        return { kind: 'vector', samples: this.#instant(e, time) };
      case 'call':
        return { kind: 'vector', samples: this.#call(e, time) };
      case 'aggregate':
        return { kind: 'vector', samples: this.#aggregate(e, time) };
      case 'binary':
        return this.#binary(e, time);
    }
  }

  #series(e: SelectorExpr): RawSeries[] {
    return this.data.get(e) ?? [];
  }

  #instant(e: SelectorExpr, time: number): Sample[] {
    const out: Sample[] = [];
    for (const s of this.#series(e)) {
      const i = upperBound(s.t, time) - 1;
      const t = s.t[i];
      if (i >= 0 && t !== undefined && t > time - this.o.lookbackMs) out.push({ labels: s.labels, v: s.v[i] ?? Number.NaN });
    }
    return out;
  }

  /** The samples of each series in (time − range, time]. */
  rangeAt(e: SelectorExpr, time: number): { labels: Labels; t: number[]; v: number[] }[] {
    const range = e.rangeMs ?? 0;
    const out: { labels: Labels; t: number[]; v: number[] }[] = [];
    for (const s of this.#series(e)) {
      const from = upperBound(s.t, time - range);
      const to = upperBound(s.t, time);
      if (to > from) out.push({ labels: s.labels, t: s.t.slice(from, to), v: s.v.slice(from, to) });
    }
    return out;
  }

  #unique(samples: Sample[], what: string): Sample[] {
    const seen = new Set<string>();
    for (const s of samples) {
      const sig = signature(s.labels);
      if (seen.has(sig)) fail(`${what} produced two series with the same labels ${sig}; select one metric name`, this.path);
      seen.add(sig);
    }
    return samples;
  }

  #call(e: Extract<Expr, { type: 'call' }>, time: number): Sample[] {
    if (e.func === 'abs') {
      const arg = this.at(e.arg, time);
      if (arg.kind !== 'vector') fail('abs() takes a vector, not a number', this.path);
      return this.#unique(arg.samples.map((s) => ({ labels: withoutName(s.labels), v: Math.abs(s.v) })), 'abs()');
    }
    const sel = e.arg as SelectorExpr;
    const range = sel.rangeMs ?? 0;
    const out: Sample[] = [];
    for (const s of this.rangeAt(sel, time)) {
      let v: number | undefined;
      const n = s.v.length;
      switch (e.func) {
        case 'rate':
        case 'increase':
          v = extrapolatedRate(s.t, s.v, time - range, time, true, e.func === 'rate');
          break;
        case 'delta':
          v = extrapolatedRate(s.t, s.v, time - range, time, false, false);
          break;
        case 'avg_over_time':
          v = s.v.reduce((a, b) => a + b, 0) / n;
          break;
        case 'sum_over_time':
          v = s.v.reduce((a, b) => a + b, 0);
          break;
        case 'min_over_time':
          v = Math.min(...s.v);
          break;
        case 'max_over_time':
          v = Math.max(...s.v);
          break;
        case 'count_over_time':
          v = n;
          break;
        case 'last_over_time':
          v = s.v[n - 1];
          break;
      }
      if (v !== undefined) out.push({ labels: withoutName(s.labels), v });
    }
    return this.#unique(out, `${e.func}()`);
  }

  #aggregate(e: Extract<Expr, { type: 'aggregate' }>, time: number): Sample[] {
    const arg = this.at(e.expr, time);
    if (arg.kind !== 'vector') fail(`${e.op}() takes a vector, not a number`, this.path);
    const groups = new Map<string, { labels: Labels; values: number[] }>();
    for (const s of arg.samples) {
      let labels: Labels;
      if (!e.grouping) labels = {};
      else if (e.grouping.mode === 'by') {
        labels = {};
        for (const l of e.grouping.labels) {
          const value = s.labels[l];
          if (value !== undefined && value !== '' && l !== '__name__') labels[l] = value;
        }
      } else {
        labels = withoutName(s.labels);
        for (const l of e.grouping.labels) delete labels[l];
      }
      const key = signature(labels);
      const g = groups.get(key) ?? { labels, values: [] };
      g.values.push(s.v);
      groups.set(key, g);
    }
    const out: Sample[] = [];
    for (const { labels, values } of groups.values()) {
      let v: number;
      switch (e.op) {
        case 'sum':
          v = values.reduce((a, b) => a + b, 0);
          break;
        case 'avg':
          v = values.reduce((a, b) => a + b, 0) / values.length;
          break;
        case 'min':
          v = values.reduce((a, b) => (b < a || Number.isNaN(a) ? b : a));
          break;
        case 'max':
          v = values.reduce((a, b) => (b > a || Number.isNaN(a) ? b : a));
          break;
        case 'count':
          v = values.length;
          break;
      }
      out.push({ labels, v });
    }
    return out;
  }

  #binary(e: Extract<Expr, { type: 'binary' }>, time: number): Value {
    const lhs = this.at(e.lhs, time);
    const rhs = this.at(e.rhs, time);
    const comparison = ['==', '!=', '>', '<', '>=', '<='].includes(e.op);
    if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
      if (comparison) fail(`comparing two numbers (at character ${e.pos + 1}) needs the bool modifier, which is not supported`, this.path);
      return { kind: 'scalar', v: arithmetic(e.op, lhs.v, rhs.v) };
    }
    if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
      return { kind: 'vector', samples: this.#vectorScalar(lhs.samples, (v) => [v, rhs.v], e.op, comparison) };
    }
    if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
      return { kind: 'vector', samples: this.#vectorScalar(rhs.samples, (v) => [lhs.v, v], e.op, comparison) };
    }
    if (lhs.kind !== 'vector' || rhs.kind !== 'vector') throw new Error('unreachable');
    const right = new Map<string, Sample>();
    for (const s of rhs.samples) {
      const sig = signature(s.labels, NAME_ONLY);
      if (right.has(sig)) fail(`the right side of "${e.op}" (at character ${e.pos + 1}) has several series with labels ${sig}; only one-to-one matching is supported`, this.path);
      right.set(sig, s);
    }
    const out: Sample[] = [];
    const seen = new Set<string>();
    for (const l of lhs.samples) {
      const sig = signature(l.labels, NAME_ONLY);
      const r = right.get(sig);
      if (!r) continue;
      if (seen.has(sig)) fail(`the left side of "${e.op}" (at character ${e.pos + 1}) has several series with labels ${sig}; only one-to-one matching is supported`, this.path);
      seen.add(sig);
      if (comparison) {
        if (compare(e.op, l.v, r.v)) out.push(l);
      } else out.push({ labels: withoutName(l.labels), v: arithmetic(e.op, l.v, r.v) });
    }
    return { kind: 'vector', samples: out };
  }

  #vectorScalar(samples: Sample[], operands: (v: number) => [number, number], op: string, comparison: boolean): Sample[] {
    const out: Sample[] = [];
    for (const s of samples) {
      const [a, b] = operands(s.v);
      if (comparison) {
        if (compare(op, a, b)) out.push(s);
      } else out.push({ labels: withoutName(s.labels), v: arithmetic(op, a, b) });
    }
    return this.#unique(out, `"${op}"`);
  }
}

function arithmetic(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    default:
      return a <= b;
  }
}

async function fetchAll(e: Expr, startMs: number, endMs: number, select: SelectFn, o: EvalOptions): Promise<Map<SelectorExpr, RawSeries[]>> {
  const data = new Map<SelectorExpr, RawSeries[]>();
  // One at a time: a query's selectors share the database with ingestion.
  for (const sel of selectorsOf(e)) {
    const reach = sel.rangeMs ?? o.lookbackMs;
    data.set(sel, await select({ name: sel.name, matchers: sel.matchers, startMs: startMs - reach, endMs }));
  }
  return data;
}

/**
 * Evaluates `e` at one instant.
 * @throws InputError for expressions the subset cannot evaluate (e.g. a range selector outside a range
 *   function inside an operator), and whatever `select` throws.
 */
export async function instantQuery(e: Expr, timeMs: number, select: SelectFn, options: Partial<EvalOptions> = {}): Promise<QueryData> {
  const o = { ...DEFAULT_EVAL_OPTIONS, ...options };
  const path = o.path ?? 'query';
  checkShape(e, path, true);
  const data = await fetchAll(e, timeMs, timeMs, select, o);
  const ts = timeMs / 1000;
  if (e.type === 'selector' && e.rangeMs !== undefined) {
    const ev = new Evaluator(data, o, path);
    return { resultType: 'matrix', result: ev.rangeAt(e, timeMs).map((s) => ({ metric: s.labels, values: s.t.map((t, i) => [t / 1000, formatSampleValue(s.v[i] ?? Number.NaN)] as SampleValue) })) };
  }
  const value = new Evaluator(data, o, path).at(e, timeMs);
  if (value.kind === 'scalar') return { resultType: 'scalar', result: [ts, formatSampleValue(value.v)] };
  return { resultType: 'vector', result: value.samples.map((s) => ({ metric: s.labels, value: [ts, formatSampleValue(s.v)] })) };
}

/**
 * Evaluates `e` at every step from `startMs` to `endMs` (inclusive), as Prometheus's `query_range`.
 * A scalar expression gives one series with no labels.
 * @throws InputError naming `step`/`end` when the range is inverted or has more than `maxSteps` steps, for
 *   a top-level range selector, and for what instantQuery refuses.
 */
export async function rangeQuery(e: Expr, startMs: number, endMs: number, stepMs: number, select: SelectFn, options: Partial<EvalOptions> = {}): Promise<QueryData> {
  const o = { ...DEFAULT_EVAL_OPTIONS, ...options };
  const path = o.path ?? 'query';
  if (!(endMs >= startMs)) throw new InputError('invalid range: end is before start', [{ path: 'end', message: 'must not be before start' }]);
  if (!(stepMs > 0)) throw new InputError('invalid range: step must be positive', [{ path: 'step', message: 'must be positive' }]);
  const steps = Math.floor((endMs - startMs) / stepMs) + 1;
  if (steps > o.maxSteps) {
    throw new InputError(`invalid range: ${steps} steps is more than ${o.maxSteps}; use a larger step or a shorter range`, [{ path: 'step', message: `gives ${steps} points per series, more than ${o.maxSteps}` }]);
  }
  checkShape(e, path, false);
  const data = await fetchAll(e, startMs, endMs, select, o);
  const ev = new Evaluator(data, o, path);
  const series = new Map<string, { metric: Labels; values: SampleValue[] }>();
  for (let i = 0; i < steps; i++) {
    const t = startMs + i * stepMs;
    const value = ev.at(e, t);
    const samples = value.kind === 'scalar' ? [{ labels: {}, v: value.v }] : value.samples;
    for (const s of samples) {
      const key = signature(s.labels);
      const entry = series.get(key) ?? { metric: s.labels, values: [] };
      entry.values.push([t / 1000, formatSampleValue(s.v)]);
      series.set(key, entry);
    }
  }
  return { resultType: 'matrix', result: [...series.values()] };
}
