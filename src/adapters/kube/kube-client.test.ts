import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, KubeApiError, TimeoutError } from '../../contracts/errors.js';
import { KUBE_RESOURCES, type WatchEvent } from '../../core/kube/kube-api.js';
import type { KubeConnection } from './kube-config.js';
import { KubeClient } from './kube-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: Server[] = [];
const clients: KubeClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function serve(handler: Handler, server: Server = createServer(), scheme = 'http'): Promise<{ url: string; requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] }> {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function connection(server: string, extra: Partial<KubeConnection> = {}): KubeConnection {
  return { server, source: 'kubeconfig', insecureSkipTlsVerify: false, token: () => Promise.resolve('tok'), clientCertificate: () => Promise.resolve(undefined), invalidate: () => false, ...extra };
}

function client(conn: KubeConnection, options: ConstructorParameters<typeof KubeClient>[1] = {}): KubeClient {
  const c = new KubeClient(conn, { userAgent: 'aetherius-agent/9.9.9', ...options });
  clients.push(c);
  return c;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

const pod = (name: string, rv: string) => ({ metadata: { name, namespace: 'shop', resourceVersion: rv, uid: name } });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('KubeClient requests', () => {
  it('sends the agent headers and bearer token, and reads a gzip answer', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', ...pod('web-1', '7') })));
    });
    const got = await client(connection(s.url)).get(KUBE_RESOURCES.pods, 'web-1', 'shop');
    expect(got.metadata.resourceVersion).toBe('7');
    expect(s.requests[0]).toMatchObject({ method: 'GET', url: '/api/v1/namespaces/shop/pods/web-1' });
    expect(s.requests[0]?.headers).toMatchObject({ 'user-agent': 'aetherius-agent/9.9.9', 'accept-encoding': 'gzip', authorization: 'Bearer tok', accept: 'application/json' });
  });

  it('turns a Status answer into KubeApiError with code, reason and message; plain text too', async () => {
    const s = await serve((req, res) => {
      if (req.url?.includes('missing')) return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods "missing" not found', reason: 'NotFound', code: 404 });
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('upstream overloaded');
    });
    const c = client(connection(s.url));
    const notFound = await rejection(c.get(KUBE_RESOURCES.pods, 'missing', 'shop'));
    expect(notFound).toBeInstanceOf(KubeApiError);
    expect(notFound).toMatchObject({ status: 404, reason: 'NotFound', retryable: false, message: 'GET /api/v1/namespaces/shop/pods/missing: pods "missing" not found' });
    const unavailable = await rejection(c.get(KUBE_RESOURCES.nodes, 'n1'));
    expect(unavailable).toMatchObject({ status: 503, retryable: true, message: 'GET /api/v1/nodes/n1: HTTP 503: upstream overloaded' });
  });

  it('reports an unreachable server as status 0 (retryable), a silent one as TimeoutError, and honours abort', async () => {
    const s = await serve(() => undefined);
    const port = new URL(s.url).port;
    const refused = await rejection(client(connection('http://127.0.0.1:1')).serverVersion());
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(refused).toMatchObject({ status: 0, retryable: true });
    expect((refused as Error).message).toMatch(/cannot reach the Kubernetes API.*ECONNREFUSED/);

    const c = client(connection(`http://127.0.0.1:${port}`), { timeoutMs: 150 });
    const started = Date.now();
    await expect(c.serverVersion()).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    const controller = new AbortController();
    const pending = c.get(KUBE_RESOURCES.pods, 'p', 'shop', controller.signal);
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    await expect(pending).rejects.toThrow('shutting down');
  });

  it('rejects names, namespaces and options that must not reach a URL, before sending anything', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const c = client(connection(s.url));
    const attempts: Promise<unknown>[] = [
      c.get(KUBE_RESOURCES.pods, '../secrets/x', 'shop'),
      c.get(KUBE_RESOURCES.pods, 'ok', 'Shop'),
      c.get(KUBE_RESOURCES.pods, 'ok'),
      c.list(KUBE_RESOURCES.nodes, { namespace: 'shop' }),
      c.logs('shop', 'p', { container: 'a/b' }),
      c.logs('shop', 'p', { tailLines: -1 }),
      c.patch(KUBE_RESOURCES.pods, 'p', 'shop', { op: 'add' }, 'json'),
      c.createSubresource(KUBE_RESOURCES.pods, 'p', 'shop', 'eviction?x=1', {}),
      c.delete(KUBE_RESOURCES.pods, 'p?dryRun=All', 'shop'),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(InputError);
    const err = (await rejection(c.get(KUBE_RESOURCES.pods, 'a'.repeat(300), 'shop'))) as InputError;
    expect(err.issues[0]?.path).toBe('name');
    expect(s.requests).toHaveLength(0);
  });

  it('sends patches with their content type, logs with their parameters, deletes and subresources', async () => {
    const s = await serve((req, res, body) => {
      if (req.url?.includes('/log')) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('line 1\nline 2\n');
      }
      if (req.method === 'PATCH') return json(res, 200, { ...pod('p', '9'), echo: JSON.parse(body) as unknown });
      if (req.method === 'POST') return json(res, 201, { kind: 'Status', status: 'Success' });
      json(res, 200, { kind: 'Status', status: 'Success' });
    });
    const c = client(connection(s.url));
    expect(await c.logs('shop', 'p', { container: 'app', previous: true, tailLines: 50, sinceSeconds: 60, limitBytes: 4096, timestamps: true })).toBe('line 1\nline 2\n');
    expect(s.requests[0]?.url).toBe('/api/v1/namespaces/shop/pods/p/log?container=app&previous=true&timestamps=true&tailLines=50&sinceSeconds=60&limitBytes=4096');
    for (const [type, ct, patch] of [
      ['merge', 'application/merge-patch+json', { metadata: { labels: { a: 'b' } } }],
      ['strategic', 'application/strategic-merge-patch+json', { spec: { replicas: 3 } }],
      ['json', 'application/json-patch+json', [{ op: 'replace', path: '/spec/replicas', value: 2 }]],
    ] as const) {
      const out = await c.patch(KUBE_RESOURCES.deployments, 'p', 'shop', patch, type);
      expect(out['echo']).toEqual(patch);
      expect(s.requests.at(-1)?.headers['content-type']).toBe(ct);
      expect(s.requests.at(-1)?.url).toBe('/apis/apps/v1/namespaces/shop/deployments/p');
    }
    await c.delete(KUBE_RESOURCES.nodes, 'node-1');
    expect(s.requests.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/nodes/node-1' });
    expect(await c.createSubresource(KUBE_RESOURCES.pods, 'p', 'shop', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } })).toMatchObject({ status: 'Success' });
    expect(s.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/namespaces/shop/pods/p/eviction' });
  });

  it('follows continue pages, and lists at once when a continue token expired (410)', async () => {
    let expireNext = false;
    const s = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const cont = url.searchParams.get('continue');
      if (cont && expireNext) return json(res, 410, { kind: 'Status', code: 410, reason: 'Expired', message: 'The provided continue parameter is too old' });
      if (!url.searchParams.get('limit')) return json(res, 200, { metadata: { resourceVersion: '50' }, items: [pod('a', '1'), pod('b', '2'), pod('c', '3')] });
      if (!cont) return json(res, 200, { metadata: { resourceVersion: '40', continue: 'page2' }, items: [pod('a', '1'), pod('b', '2')] });
      return json(res, 200, { metadata: { resourceVersion: '41' }, items: [pod('c', '3')] });
    });
    const c = client(connection(s.url), { pageSize: 2 });
    const all = await c.list(KUBE_RESOURCES.pods, { namespace: 'shop', labelSelector: 'app=web' });
    expect(all.resourceVersion).toBe('40');
    expect(all.items.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(all.items[0]).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    expect(s.requests.map((r) => r.url)).toEqual(['/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&limit=2', '/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&limit=2&continue=page2']);
    const first = await c.list(KUBE_RESOURCES.pods, { namespace: 'shop', continue: '' });
    expect(first).toMatchObject({ continue: 'page2', resourceVersion: '40' });
    expect(first.items).toHaveLength(2);
    expireNext = true;
    const fallback = await c.list(KUBE_RESOURCES.pods, { namespace: 'shop' });
    expect(fallback.resourceVersion).toBe('50');
    expect(fallback.items.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('asks for a server-side Table', async () => {
    const s = await serve((_req, res) => json(res, 200, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', columnDefinitions: [{ name: 'Name', type: 'string' }], rows: [{ cells: ['a'] }] }));
    const t = await client(connection(s.url)).table(KUBE_RESOURCES.pods, { namespace: 'shop' });
    expect(t.rows[0]?.cells).toEqual(['a']);
    expect(s.requests[0]?.headers.accept).toContain('application/json;as=Table;v=v1;g=meta.k8s.io');
  });

  it('after a 401, refreshes credentials and retries once', async () => {
    let token = 'old';
    let invalidations = 0;
    const s = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer new') return json(res, 401, { kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
      json(res, 200, { gitVersion: 'v1.30.2' });
    });
    const conn = connection(s.url, {
      token: () => Promise.resolve(token),
      invalidate: () => {
        invalidations += 1;
        token = 'new';
        return true;
      },
    });
    expect(await client(conn).serverVersion()).toBe('v1.30.2');
    expect(invalidations).toBe(1);
    token = 'wrong';
    const c2 = client(connection(s.url, { token: () => Promise.resolve('still-wrong'), invalidate: () => true }));
    await expect(c2.serverVersion()).rejects.toMatchObject({ status: 401, reason: 'Unauthorized' });
  });

  it('paces requests at qps after the burst, but never holds back a watch', async () => {
    const s = await serve((req, res) => {
      if (req.url?.includes('watch=1')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end();
      }
      json(res, 200, { gitVersion: 'v1.30.2' });
    });
    const c = client(connection(s.url), { qps: 10, burst: 2 });
    const started = Date.now();
    await Promise.all([1, 2, 3, 4].map(() => c.serverVersion()));
    const elapsed = Date.now() - started;
    // 2 at once, then one every 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
    expect(c.stats()).toMatchObject({ requests: 4, throttled: 2 });
    const watchStart = Date.now();
    await c.watch(KUBE_RESOURCES.pods, { resourceVersion: '1' }, () => undefined);
    expect(Date.now() - watchStart).toBeLessThan(80);
  });

  it('speaks TLS with the cluster CA, a client certificate and tls-server-name', async () => {
    const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url));
    const server = createHttpsServer({ key: fixture('server.key'), cert: fixture('server.crt'), ca: fixture('ca.crt'), requestCert: true, rejectUnauthorized: true });
    const s = await serve((req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      json(res, 200, { gitVersion: `v1.30.2+${String(peer.subject.CN)}` });
    }, server, 'https');
    const httpsUrl = s.url;
    const cert = { cert: fixture('client.crt'), key: fixture('client.key') };
    const good = client(connection(httpsUrl, { ca: fixture('ca.crt'), clientCertificate: () => Promise.resolve(cert), tlsServerName: 'kubernetes.default.svc' }));
    expect(await good.serverVersion()).toBe('v1.30.2+aetherius-agent');
    const noCa = client(connection(httpsUrl, { clientCertificate: () => Promise.resolve(cert) }));
    await expect(noCa.serverVersion()).rejects.toMatchObject({ status: 0 });
    const wrongName = client(connection(httpsUrl, { ca: fixture('ca.crt'), clientCertificate: () => Promise.resolve(cert), tlsServerName: 'other.example' }));
    await expect(wrongName.serverVersion()).rejects.toThrow(/altnames|does not match/i);
  });
});

describe('KubeClient.watch', () => {
  function streamed(lines: string[], cut: number[], end = true): Handler {
    return (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const text = Buffer.from(lines.join(''));
      let at = 0;
      const pieces = [...cut, text.length];
      const next = () => {
        const to = pieces.shift();
        if (to === undefined) return end ? res.end() : undefined;
        res.write(text.subarray(at, to));
        at = to;
        setTimeout(next, 5);
      };
      next();
    };
  }
  const ev = (type: string, name: string, rv: string) => `${JSON.stringify({ type, object: { kind: 'Pod', apiVersion: 'v1', ...pod(name, rv) } })}\n`;

  it('parses events as they arrive, whatever the chunking, and resolves when the server ends the watch', async () => {
    const lines = [ev('ADDED', 'a', '11'), ev('MODIFIED', 'a', '12'), ev('BOOKMARK', 'x', '15'), ev('DELETED', 'a', '16')];
    const s = await serve(streamed(lines, [7, 30, 31, lines[0]!.length + lines[1]!.length + 3]));
    const got: WatchEvent[] = [];
    await client(connection(s.url)).watch(KUBE_RESOURCES.pods, { namespace: 'shop', resourceVersion: '10', timeoutSeconds: 60 }, (e) => got.push(e));
    expect(got.map((e) => `${e.type}:${e.object.metadata.resourceVersion}`)).toEqual(['ADDED:11', 'MODIFIED:12', 'BOOKMARK:15', 'DELETED:16']);
    expect(s.requests[0]?.url).toBe('/api/v1/namespaces/shop/pods?watch=1&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=60');
  });

  it('rejects with status 410 on an ERROR event or an HTTP 410, and with the code of other ERROR events', async () => {
    const gone = `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 5 (9)' } })}\n`;
    const s = await serve((req, res) => {
      if (req.url?.includes('resourceVersion=1&')) return json(res, 410, { kind: 'Status', code: 410, reason: 'Gone', message: 'gone' });
      if (req.url?.includes('resourceVersion=2&')) return streamed([ev('ADDED', 'a', '3'), `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd down' } })}\n`], [], false)(req, res, '');
      streamed([ev('ADDED', 'a', '6'), gone], [20], false)(req, res, '');
    });
    const c = client(connection(s.url));
    const seen: string[] = [];
    const expired = await rejection(c.watch(KUBE_RESOURCES.pods, { resourceVersion: '5' }, (e) => seen.push(e.type)));
    expect(expired).toMatchObject({ status: 410, reason: 'Expired', expired: true });
    expect(seen).toEqual(['ADDED']);
    expect(await rejection(c.watch(KUBE_RESOURCES.pods, { resourceVersion: '1' }, () => undefined))).toMatchObject({ status: 410, expired: true });
    expect(await rejection(c.watch(KUBE_RESOURCES.pods, { resourceVersion: '2' }, () => undefined))).toMatchObject({ status: 500, reason: 'InternalError', message: expect.stringContaining('etcd down') as string });
  });

  it('resolves when the signal aborts; rejects with status 0 when the connection breaks; passes on what onEvent throws', async () => {
    const s = await serve((req, res) => {
      if (req.url?.includes('resourceVersion=7&')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(ev('ADDED', 'a', '8'));
        setTimeout(() => res.socket?.destroy(), 30);
        return;
      }
      streamed([ev('ADDED', 'a', '2'), ev('ADDED', 'b', '3')], [], false)(req, res, '');
    });
    const c = client(connection(s.url));
    const controller = new AbortController();
    const seen: string[] = [];
    setTimeout(() => controller.abort(), 100);
    await c.watch(KUBE_RESOURCES.pods, { resourceVersion: '1', signal: controller.signal }, (e) => seen.push(e.object.metadata.name));
    expect(seen).toEqual(['a', 'b']);
    expect(await rejection(c.watch(KUBE_RESOURCES.pods, { resourceVersion: '7' }, () => undefined))).toMatchObject({ status: 0, retryable: true });
    await expect(
      c.watch(KUBE_RESOURCES.pods, { resourceVersion: '1' }, () => {
        throw new RangeError('handler bug');
      }),
    ).rejects.toThrow(RangeError);
  });
});
