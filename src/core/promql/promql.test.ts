import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/index.js';
import { extrapolatedRate, instantQuery, rangeQuery, type RawSeries, type SelectFn, type SelectRequest } from './evaluate.js';
import { parsePromQL, parsePromDuration, selectorsOf } from './parse.js';

function syntaxError(query: string): string {
  try {
    parsePromQL(query);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues[0]?.path).toBe('query');
    return (err as InputError).message;
  }
  throw new Error(`expected ${query} to be refused`);
}

describe('parsePromQL', () => {
  it('parses selectors with matchers and ranges', () => {
    expect(parsePromQL('pod_memory_usage_bytes{namespace="shop", pod=~"checkout-.*", node!="n1", phase!~"Succeeded|Failed"}')).toEqual({
      type: 'selector',
      name: 'pod_memory_usage_bytes',
      matchers: [
        { label: 'namespace', op: '=', value: 'shop' },
        { label: 'pod', op: '=~', value: 'checkout-.*' },
        { label: 'node', op: '!=', value: 'n1' },
        { label: 'phase', op: '!~', value: 'Succeeded|Failed' },
      ],
      rangeMs: undefined,
      pos: 0,
    });
    expect(parsePromQL('pod_restarts_total[1h30m]')).toMatchObject({ rangeMs: 5_400_000 });
    expect(parsePromQL('{__name__="node_ready"}')).toMatchObject({ name: undefined, matchers: [{ label: '__name__', value: 'node_ready' }] });
  });

  it('parses functions, aggregations with grouping before or after, and arithmetic with precedence', () => {
    const e = parsePromQL('sum by (namespace) (rate(pod_restarts_total[5m])) * 60 + 1');
    expect(e).toMatchObject({ type: 'binary', op: '+', lhs: { type: 'binary', op: '*', lhs: { type: 'aggregate', op: 'sum', grouping: { mode: 'by', labels: ['namespace'] }, expr: { type: 'call', func: 'rate' } } }, rhs: { type: 'number', value: 1 } });
    expect(parsePromQL('avg(pod_cpu_usage_millicores) without (pod, node)')).toMatchObject({ type: 'aggregate', grouping: { mode: 'without', labels: ['pod', 'node'] } });
    expect(parsePromQL('-1.5e3')).toEqual({ type: 'number', value: -1500 });
    expect(selectorsOf(parsePromQL('pod_memory_usage_bytes / pod_memory_limit_bytes > 0.9'))).toHaveLength(2);
  });

  it('names the problem and where it is', () => {
    expect(syntaxError('pod_ready{namespace="shop"')).toMatch(/expected "," between label matchers, found the end of the query at character 27/);
    expect(syntaxError('pod_ready{namespace=shop}')).toMatch(/expected a quoted string as the value of namespace, found "shop" at character 21/);
    expect(syntaxError('rate(pod_restarts_total)')).toMatch(/rate needs a range selector such as metric\[5m\] at character 1/);
    expect(syntaxError('histogram_quantile(0.9, x)')).toMatch(/unknown or unsupported function "histogram_quantile"/);
    expect(syntaxError('pod_ready[5x]')).toMatch(/"5x" is not a duration/);
    expect(syntaxError('pod_ready{pod=~"("}')).toMatch(/invalid regular expression for pod/);
    expect(syntaxError('{pod=~".*"}')).toMatch(/needs a metric name or a matcher that does not match the empty string/);
    expect(syntaxError('pod_ready offset 5m')).toMatch(/offset is not supported/);
    expect(syntaxError('rate(pod_ready[5m:1m])')).toMatch(/subqueries are not supported/);
    expect(syntaxError('')).toMatch(/empty query/);
    expect(syntaxError('"unterminated')).toMatch(/unterminated string at character 1/);
    expect(syntaxError('sum by (pod) (pod_ready) by (node)')).toMatch(/two grouping clauses/);
    expect(syntaxError(`${'('.repeat(40)}1${')'.repeat(40)}`)).toMatch(/nesting deeper than 32/);
    expect(syntaxError('x'.repeat(5000))).toMatch(/longer than 4096/);
  });

  it('reads Prometheus durations', () => {
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('500ms')).toBe(500);
    expect(parsePromDuration('1.5h')).toBeUndefined();
  });
});

const MIN = 60_000;
const T0 = Date.parse('2025-09-30T10:00:00Z');

/** A fake store: series filtered by name and equality/regex matchers, samples by time. */
function store(series: RawSeries[]): SelectFn & { calls: SelectRequest[] } {
  const calls: SelectRequest[] = [];
  const fn = (req: SelectRequest) => {
    calls.push(req);
    const match = (s: RawSeries) =>
      (req.name === undefined || s.labels['__name__'] === req.name) &&
      req.matchers.every((m) => {
        const v = s.labels[m.label] ?? '';
        const re = new RegExp(`^(?:${m.value})$`);
        return m.op === '=' ? v === m.value : m.op === '!=' ? v !== m.value : m.op === '=~' ? re.test(v) : !re.test(v);
      });
    return Promise.resolve(
      series.filter(match).map((s) => {
        const keep = s.t.map((t, i) => [t, i] as const).filter(([t]) => t > req.startMs && t <= req.endMs);
        return { labels: s.labels, t: keep.map(([t]) => t), v: keep.map(([, i]) => s.v[i] ?? 0) };
      }),
    );
  };
  return Object.assign(fn, { calls });
}

const every = (n: number, f: (i: number) => number, start = T0) => ({ t: Array.from({ length: n }, (_, i) => start + i * MIN), v: Array.from({ length: n }, (_, i) => f(i)) });

const data = store([
  { labels: { __name__: 'pod_memory_usage_bytes', cluster: 'c1', namespace: 'shop', pod: 'cart-1' }, ...every(30, () => 100) },
  { labels: { __name__: 'pod_memory_usage_bytes', cluster: 'c1', namespace: 'shop', pod: 'cart-2' }, ...every(30, (i) => 200 + i) },
  { labels: { __name__: 'pod_memory_usage_bytes', cluster: 'c1', namespace: 'ops', pod: 'mon-1' }, ...every(30, () => 50) },
  { labels: { __name__: 'pod_memory_limit_bytes', cluster: 'c1', namespace: 'shop', pod: 'cart-1' }, ...every(30, () => 400) },
  // A counter that resets at minute 10 (the container restarted the counting process).
  { labels: { __name__: 'pod_restarts_total', cluster: 'c1', namespace: 'shop', pod: 'cart-1' }, ...every(30, (i) => (i < 10 ? i * 2 : (i - 10) * 2)) },
]);

describe('instantQuery', () => {
  const at = T0 + 29 * MIN;

  it('takes the newest sample of each series within the lookback', async () => {
    const r = await instantQuery(parsePromQL('pod_memory_usage_bytes{namespace="shop"}'), at, data);
    expect(r).toEqual({
      resultType: 'vector',
      result: [
        { metric: { __name__: 'pod_memory_usage_bytes', cluster: 'c1', namespace: 'shop', pod: 'cart-1' }, value: [at / 1000, '100'] },
        { metric: { __name__: 'pod_memory_usage_bytes', cluster: 'c1', namespace: 'shop', pod: 'cart-2' }, value: [at / 1000, '229'] },
      ],
    });
    // Ten minutes after the last sample, past the 5-minute lookback, the series are gone.
    expect((await instantQuery(parsePromQL('pod_memory_usage_bytes'), at + 10 * MIN, data)).result).toEqual([]);
  });

  it('aggregates by and without labels', async () => {
    const sum = await instantQuery(parsePromQL('sum by (namespace) (pod_memory_usage_bytes)'), at, data);
    expect(sum.result).toEqual([
      { metric: { namespace: 'shop' }, value: [at / 1000, '329'] },
      { metric: { namespace: 'ops' }, value: [at / 1000, '50'] },
    ]);
    const avg = await instantQuery(parsePromQL('avg(pod_memory_usage_bytes) without (pod)'), at, data);
    expect(avg.result).toEqual([
      { metric: { cluster: 'c1', namespace: 'shop' }, value: [at / 1000, '164.5'] },
      { metric: { cluster: 'c1', namespace: 'ops' }, value: [at / 1000, '50'] },
    ]);
    expect((await instantQuery(parsePromQL('count(pod_memory_usage_bytes)'), at, data)).result).toEqual([{ metric: {}, value: [at / 1000, '3'] }]);
  });

  it('divides one vector by another, matching labels one to one, and filters by comparison', async () => {
    const ratio = await instantQuery(parsePromQL('pod_memory_usage_bytes / pod_memory_limit_bytes'), at, data);
    expect(ratio.result).toEqual([{ metric: { cluster: 'c1', namespace: 'shop', pod: 'cart-1' }, value: [at / 1000, '0.25'] }]);
    const big = await instantQuery(parsePromQL('pod_memory_usage_bytes > 150'), at, data);
    expect(big).toMatchObject({ resultType: 'vector', result: [{ metric: { __name__: 'pod_memory_usage_bytes', pod: 'cart-2' } }] });
    expect(big.result).toHaveLength(1);
    expect((await instantQuery(parsePromQL('2 * 3 + 1'), at, data)).result).toEqual([at / 1000, '7']);
  });

  it('computes rate and increase with Prometheus extrapolation and counter resets', async () => {
    // Over the last 10 minutes the counter rises by 2 per minute: 0.0333/s, +20 per 10m.
    const inc = await instantQuery(parsePromQL('increase(pod_restarts_total[10m])'), at, data);
    expect(Number((inc.result[0] as { value: [number, string] }).value[1])).toBeCloseTo(20, 6);
    const rate = await instantQuery(parsePromQL('rate(pod_restarts_total[10m])'), at, data);
    expect(Number((rate.result[0] as { value: [number, string] }).value[1])).toBeCloseTo(20 / 600, 9);
    // Across the reset (samples of minutes 6..15: 12, 14, 16, 18, 0, 2, ... 10): the drop to 0 is a
    // counter restart, so the rise is 6 + 10 = 16 over 9 minutes, extrapolated to the 10-minute window.
    const across = await instantQuery(parsePromQL('increase(pod_restarts_total[10m])'), T0 + 15 * MIN, data);
    expect(Number((across.result[0] as { value: [number, string] }).value[1])).toBeCloseTo((16 * 10) / 9, 6);
  });

  it('applies *_over_time to range selectors and returns raw samples for a bare one', async () => {
    const max = await instantQuery(parsePromQL('max_over_time(pod_memory_usage_bytes{pod="cart-2"}[5m])'), at, data);
    expect(max.result).toEqual([{ metric: { cluster: 'c1', namespace: 'shop', pod: 'cart-2' }, value: [at / 1000, '229'] }]);
    const raw = await instantQuery(parsePromQL('pod_memory_usage_bytes{pod="cart-2"}[3m]'), at, data);
    expect(raw).toMatchObject({ resultType: 'matrix', result: [{ values: [[(at - 2 * MIN) / 1000, '227'], [(at - MIN) / 1000, '228'], [at / 1000, '229']] }] });
  });

  it('refuses what it cannot evaluate, naming the problem', async () => {
    await expect(instantQuery(parsePromQL('sum(pod_memory_usage_bytes[5m])'), at, data)).rejects.toThrow(/must be the argument of rate/);
    await expect(instantQuery(parsePromQL('rate({__name__=~"pod_.*", pod="cart-1"}[5m])'), at, data)).rejects.toThrow(/two series with the same labels/);
    await expect(instantQuery(parsePromQL('1 > 2'), at, data)).rejects.toThrow(/bool modifier/);
  });
});

describe('rangeQuery', () => {
  it('evaluates at every step and groups the points by series', async () => {
    const r = await rangeQuery(parsePromQL('sum(pod_memory_usage_bytes{namespace="shop"})'), T0 + 10 * MIN, T0 + 12 * MIN, MIN, data);
    expect(r).toEqual({ resultType: 'matrix', result: [{ metric: {}, values: [[(T0 + 10 * MIN) / 1000, '310'], [(T0 + 11 * MIN) / 1000, '311'], [(T0 + 12 * MIN) / 1000, '312']] }] });
  });

  it('fetches each selector once for the whole range, reaching back by its range', async () => {
    const s = store([]);
    await rangeQuery(parsePromQL('rate(pod_restarts_total[10m]) + pod_ready'), T0, T0 + 60 * MIN, MIN, s);
    expect(s.calls.map((c) => [c.name, c.startMs, c.endMs])).toEqual([
      ['pod_restarts_total', T0 - 10 * MIN, T0 + 60 * MIN],
      ['pod_ready', T0 - 5 * MIN, T0 + 60 * MIN],
    ]);
  });

  it('refuses inverted ranges and too many steps, naming the field', async () => {
    const e = parsePromQL('pod_ready');
    await expect(rangeQuery(e, T0, T0 - 1, MIN, data)).rejects.toMatchObject({ issues: [{ path: 'end' }] });
    await expect(rangeQuery(e, T0, T0 + 24 * 3_600_000, 1000, data)).rejects.toMatchObject({ issues: [{ path: 'step' }] });
    await expect(rangeQuery(parsePromQL('pod_ready[5m]'), T0, T0, MIN, data)).rejects.toThrow(InputError);
  });
});

describe('extrapolatedRate', () => {
  it('needs two samples and extrapolates at most half an interval past the edges', () => {
    expect(extrapolatedRate([T0], [1], T0 - MIN, T0, true, true)).toBeUndefined();
    // Samples at 0 and 60 s in a 120 s window starting 30 s before the first: extrapolated by 30 s each side.
    const v = extrapolatedRate([T0, T0 + MIN], [10, 20], T0 - 30_000, T0 + 90_000, false, false);
    expect(v).toBeCloseTo(20, 9);
  });
});
