/**
 * Bad input across the whole REST API (issue 5): at least 1,000 malformed requests, generated from the
 * OpenAPI document of every route (so a new route is covered without touching this test), must each
 * get a 4xx — never a 5xx — and the server must keep answering. Runs against the real composition
 * (manager + api) on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { resolveConfig } from '../src/core/config/index.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

interface OpenApiOperation {
  parameters?: { name: string; in: 'path' | 'query' }[];
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } };
}
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation>> };

/** Values that are wrong for almost any field: wrong types, out of range, hostile, huge. */
const BAD_VALUES: unknown[] = [null, true, -1, 1e308, 3.5, '', ' ', 'x'.repeat(5000), '../../etc/passwd', '$(id)', '\u0000', '\ud800', [], [1, 'a'], {}, { $ne: 1 }, { nested: { deep: [{}] } }, '2025-13-45T99:99:99Z', 'NaN', '-0', 0, Number.MAX_SAFE_INTEGER + 2, 'Infinity', '<script>alert(1)</script>', '; rm -rf /', 'a\nb', '\u202e', 'é'.repeat(300), ['x'.repeat(5000)], { length: 1 }, 'null', '{}', '[]'];
const BAD_SEGMENTS = ['%00', '..%2F..%2Fetc', 'x'.repeat(300), '%F0%9F%92%A5', '%ZZ', "'or'1'='1", '%0d%0aSet-Cookie:x'];
const BAD_QUERY = ['abc', '-5', '99999999999', '', '%00', 'x'.repeat(3000), '[]', 'true', '1.5', '0', 'null', '2025-02-30', '../..', '\u0000', 'é'];
const RAW_BODIES = ['', '{', 'null', '[]', '"text"', '{"a":', '\u0000\u0001', '{"__proto__":{"polluted":1}}', `{${'"k":1,'.repeat(2000)}"k":2}`, JSON.stringify({ a: 'x'.repeat(2_000_000) })];

interface Req {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

function concrete(path: string, id = 'nonexistent-id'): string {
  return path.replace(/\{[^}]+\}/g, id);
}

function generate(doc: OpenApi): Req[] {
  const out: Req[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const m = method.toUpperCase();
      const hasPath = (op.parameters ?? []).some((p) => p.in === 'path');
      if (hasPath) for (const seg of BAD_SEGMENTS) out.push({ method: m, path: concrete(path, seg) });
      for (const q of (op.parameters ?? []).filter((p) => p.in === 'query')) {
        for (const v of BAD_QUERY) out.push({ method: m, path: `${concrete(path)}?${q.name}=${encodeURIComponent(v)}` });
      }
      out.push({ method: m, path: `${concrete(path)}?unknown_param=1` });
      const props = Object.keys(op.requestBody?.content['application/json'].schema.properties ?? {});
      if (op.requestBody) {
        for (const raw of RAW_BODIES) out.push({ method: m, path: concrete(path), body: raw, contentType: 'application/json' });
        out.push({ method: m, path: concrete(path), body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' });
        out.push({ method: m, path: concrete(path), body: '<xml/>', contentType: 'text/xml' });
        for (const prop of props) for (const v of BAD_VALUES) out.push({ method: m, path: concrete(path), body: JSON.stringify({ [prop]: v }), contentType: 'application/json' });
        out.push({ method: m, path: concrete(path), body: JSON.stringify({ unexpected_field: 1 }), contentType: 'application/json' });
      }
      // Methods a route does not have.
      for (const other of ['PUT', 'PATCH']) out.push({ method: other, path: concrete(path) });
    }
  }
  return out;
}

describe('REST API under malformed input', () => {
  let db: TestDatabase;
  let app: App;

  beforeAll(async () => {
    db = await createTestDatabase('aet_fuzz');
    const { config } = resolveConfig({ env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent' } });
    app = await startApp({ config, services: ['manager', 'api', 'reasoning'], logger: silentLogger() });
  });

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('answers every one of 1,000+ generated malformed requests with a 4xx and keeps serving', { timeout: 120_000 }, async () => {
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as OpenApi;
    const requests = generate(doc);
    expect(requests.length).toBeGreaterThanOrEqual(1000);
    const bad: string[] = [];
    const counts = new Map<number, number>();
    // A few at a time, as clients would.
    for (let i = 0; i < requests.length; i += 16) {
      await Promise.all(
        requests.slice(i, i + 16).map(async (r) => {
          const res = await fetch(`${app.url}${r.path}`, { method: r.method, ...(r.body !== undefined ? { body: r.body } : {}), headers: r.contentType ? { 'content-type': r.contentType } : {} });
          // A valid stream request opens an endless Server-Sent Events stream: its status is the answer.
          const endless = res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
          const text = endless ? (await res.body?.cancel(), '') : await res.text();
          counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
          // Some generated values are merely unusual, not invalid (a cluster id that matches nothing): 200 is
          // a fine answer then. What may never happen: a 5xx, or an error without the one error shape.
          if (res.status >= 500) bad.push(`${r.method} ${r.path.slice(0, 80)} ${r.body?.slice(0, 40) ?? ''} → ${res.status} ${text.slice(0, 120)}`);
          else if (res.status >= 400 && !/"error":\{"name":"\w+","code":"AETHERIUS_E_\w+"/.test(text)) bad.push(`${r.method} ${r.path.slice(0, 80)} → ${res.status} without the error shape: ${text.slice(0, 120)}`);
        }),
      );
    }
    expect(bad, `${bad.length} of ${requests.length} malformed requests answered with a 5xx or without the error shape (statuses: ${JSON.stringify(Object.fromEntries(counts))})`).toEqual([]);
    // Nearly all of them are refused: the generator is not producing valid requests by accident.
    const refused = [...counts].filter(([status]) => status >= 400).reduce((n, [, c]) => n + c, 0);
    expect(refused / requests.length).toBeGreaterThan(0.8);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${app.url}/api/v1/clusters`)).status).toBe(200);
  });
});
