/**
 * A PROTOCOL FAKE of Prometheus — not Prometheus (none runs here). A local HTTP server that speaks the
 * two wire protocols Aetherius uses, strictly enough to catch a client that does not:
 *
 * - the HTTP API's `GET /api/v1/query` and `/api/v1/query_range`, answering whatever the test sets
 *   (default: an empty vector/matrix) and recording the parameters it received;
 * - remote write 1.0 (`POST /api/v1/write`): it checks the headers the spec requires, snappy-decodes
 *   and protobuf-decodes the body, checks that labels are sorted with a `__name__` and that each
 *   series' samples are in time order, and records the series. It answers 400 to a body that breaks
 *   the protocol, like a real receiver.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeWriteRequest, snappyDecompress, type RemoteWriteSeries } from '../../src/adapters/prometheus/index.js';

export interface FakeQuery {
  path: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface FakeReply {
  status: number;
  body: unknown;
}

export interface PrometheusFake {
  readonly url: string;
  /** Decoded remote-write requests, in arrival order. */
  readonly writes: { headers: IncomingHttpHeaders; series: RemoteWriteSeries[] }[];
  /** Protocol violations seen (each also answered 400). */
  readonly violations: string[];
  readonly queries: FakeQuery[];
  /** How to answer queries. */
  onQuery(fn: (q: FakeQuery) => FakeReply): void;
  /** Status codes for the next remote writes (e.g. [503, 503]); after them, 204. */
  failNextWrites(statuses: number[]): void;
  close(): Promise<void>;
}

function violation(series: RemoteWriteSeries[]): string | undefined {
  for (const s of series) {
    const names = Object.keys(s.labels);
    if (!names.includes('__name__')) return 'a series without __name__';
    if (names.some((n, i) => i > 0 && (names[i - 1] ?? '') >= n)) return `labels not sorted by name: ${names.join(',')}`;
    if (s.samples.some((x, i) => i > 0 && (s.samples[i - 1]?.[0] ?? 0) > x[0])) return 'samples out of time order';
  }
  return undefined;
}

export async function startPrometheusFake(): Promise<PrometheusFake> {
  const writes: PrometheusFake['writes'] = [];
  const violations: string[] = [];
  const queries: FakeQuery[] = [];
  let answer = (q: FakeQuery): FakeReply => ({ status: 200, body: { status: 'success', data: q.path.endsWith('query_range') ? { resultType: 'matrix', result: [] } : { resultType: 'vector', result: [] } } });
  let failures: number[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (req.method === 'POST' && url.pathname === '/api/v1/write') {
        const bad = (why: string) => {
          violations.push(why);
          send(400, { error: why });
        };
        if (req.headers['content-encoding'] !== 'snappy') return bad(`content-encoding ${String(req.headers['content-encoding'])}`);
        if (req.headers['content-type'] !== 'application/x-protobuf') return bad(`content-type ${String(req.headers['content-type'])}`);
        if (req.headers['x-prometheus-remote-write-version'] !== '0.1.0') return bad(`version ${String(req.headers['x-prometheus-remote-write-version'])}`);
        let series: RemoteWriteSeries[];
        try {
          series = decodeWriteRequest(snappyDecompress(Buffer.concat(chunks)));
        } catch (err) {
          return bad(`undecodable body: ${(err as Error).message}`);
        }
        const v = violation(series);
        if (v) return bad(v);
        const status = failures.shift();
        if (status !== undefined) return send(status, { error: 'injected failure' });
        writes.push({ headers: req.headers, series });
        return send(204);
      }
      if (req.method === 'GET' && (url.pathname === '/api/v1/query' || url.pathname === '/api/v1/query_range')) {
        const q: FakeQuery = { path: url.pathname, params: Object.fromEntries(url.searchParams), headers: req.headers };
        queries.push(q);
        const reply = answer(q);
        return send(reply.status, reply.body);
      }
      send(404, { status: 'error', errorType: 'not_found', error: `no ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    writes,
    violations,
    queries,
    onQuery(fn) {
      answer = fn;
    },
    failNextWrites(statuses) {
      failures = [...statuses];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
