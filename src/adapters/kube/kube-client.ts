/**
 * A thin Kubernetes API client over node:http / node:https, implementing the `KubeApi` port. Not
 * @kubernetes/client-node: importing that raises the agent's RSS from 41 MB to 118 MB (docs/adr/0005).
 *
 * Every request but a watch passes a client-side token bucket (`kube.qps` / `kube.burst`, as client-go's),
 * has a deadline (30 s by default; watches: their `timeoutSeconds` plus a margin) and takes an AbortSignal.
 * Failures become `KubeApiError` once, here: the server's `Status` (code, reason, message) when it
 * answered, status 0 (retryable) when it could not be reached.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError, KubeApiError, TimeoutError, errorMessage } from '../../contracts/errors.js';
import type { KubeApi, KubeList, KubeResource, KubeTable, ListOptions, LogOptions, PatchType, WatchEvent, WatchOptions } from '../../core/kube/kube-api.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import type { ClientCertificate, KubeConnection } from './kube-config.js';
import { JsonLineSplitter, LineTooLongError } from './json-line-splitter.js';
import { assertLabelName, assertObjectName, assertResource, assertSubresource } from './kube-names.js';
import { TokenBucket, abortReason } from './token-bucket.js';

export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_PAGE_SIZE = 500;
/** Server-side watch timeout when the caller gives none. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;
/** How long past its `timeoutSeconds` a watch may stay open before the client gives up on the server. */
export const WATCH_DEADLINE_MARGIN_MS = 30_000;
/** Largest response body read into memory (a page of 500 big pods is a few MB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export interface KubeClientOptions {
  /** Steady requests per second (config `kube.qps`). Default 50. Watches are not counted. */
  qps?: number;
  /** Requests allowed at once above qps (config `kube.burst`). Default 100. */
  burst?: number;
  /** Default `aetherius-agent`; the agent passes `aetherius-agent/<version>`. */
  userAgent?: string;
  /** Deadline of every request except watches, ms. Default 30 000. */
  timeoutMs?: number;
  /** Page size `list` uses when the caller gives no `limit`. Default 500. */
  pageSize?: number;
  /** Default 64 MiB. */
  maxResponseBytes?: number;
}

export interface KubeClientStats {
  /** Requests sent (watches included). */
  requests: number;
  /** Requests that had to wait for the rate limiter. */
  throttled: number;
  /** Requests that failed (any error, including error statuses). */
  failures: number;
  /** Watches opened. */
  watches: number;
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: URLSearchParams;
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  throttle: boolean;
}

type Consume<T> = (res: IncomingMessage, resolve: (value: T) => void, reject: (err: Error) => void) => void;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * @throws InputError when an option is out of range.
 */
function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new InputError(`${name} must be a positive integer, got ${String(value)}`, [{ path: name, message: 'must be a positive integer' }]);
  return value;
}

export class KubeClient implements KubeApi {
  readonly connection: KubeConnection;
  readonly #bucket: TokenBucket;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #maxResponseBytes: number;
  readonly #https: boolean;
  readonly #base: URL;
  #httpAgent: HttpAgent | undefined;
  #httpsAgent: { agent: HttpsAgent; cert: ClientCertificate | undefined } | undefined;
  readonly #stats: KubeClientStats = { requests: 0, throttled: 0, failures: 0, watches: 0 };

  /**
   * @throws InputError when qps, burst, timeoutMs, pageSize or maxResponseBytes is out of range, or the
   *   connection's server is not an http(s) URL.
   */
  constructor(connection: KubeConnection, options: KubeClientOptions = {}) {
    this.connection = connection;
    this.#bucket = new TokenBucket({ qps: options.qps ?? DEFAULT_QPS, burst: options.burst ?? DEFAULT_BURST });
    this.#userAgent = options.userAgent ?? 'aetherius-agent';
    this.#timeoutMs = positiveInt('timeoutMs', options.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
    this.#pageSize = positiveInt('pageSize', options.pageSize, DEFAULT_PAGE_SIZE);
    this.#maxResponseBytes = positiveInt('maxResponseBytes', options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES);
    try {
      this.#base = new URL(connection.server);
    } catch {
      throw new InputError(`connection.server ${JSON.stringify(connection.server)} is not a URL`, [{ path: 'connection.server', message: 'must be an http(s) URL' }]);
    }
    if (this.#base.protocol !== 'https:' && this.#base.protocol !== 'http:') throw new InputError(`connection.server ${JSON.stringify(connection.server)} must be http(s)`, [{ path: 'connection.server', message: 'must be an http(s) URL' }]);
    this.#https = this.#base.protocol === 'https:';
  }

  stats(): KubeClientStats {
    return { ...this.#stats };
  }

  /** Closes idle keep-alive connections; open watches end. The client must not be used afterwards. */
  close(): void {
    this.#httpAgent?.destroy();
    this.#httpsAgent?.agent.destroy();
    this.#httpAgent = undefined;
    this.#httpsAgent = undefined;
  }

  /**
   * Lists a collection, following `continue` pages unless the caller passes `continue` itself (`''`
   * asks for the first page only). The result's resourceVersion is the first page's: with a real
   * server every page shares it; with a server that does not, watching from the first page's version
   * replays what changed while paging instead of missing it.
   * @throws InputError for a bad namespace, limit or resource; KubeApiError from the server;
   *   TimeoutError after the deadline; the signal's reason when aborted.
   */
  async list<T extends KubeObject = KubeObject>(resource: KubeResource, options: ListOptions = {}): Promise<KubeList<T>> {
    const base = collectionPath(resource, options.namespace);
    const explicit = options.continue !== undefined;
    if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) throw new InputError(`limit must be a non-negative integer, got ${String(options.limit)}`, [{ path: 'limit', message: 'must be a non-negative integer' }]);
    const limit = options.limit ?? this.#pageSize;
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let cont = options.continue || undefined;
    let fullListFallback = false;
    for (;;) {
      const query = selectorQuery(options);
      if (limit > 0 && !fullListFallback) query.set('limit', String(limit));
      if (cont) query.set('continue', cont);
      else if (options.resourceVersion !== undefined) query.set('resourceVersion', options.resourceVersion);
      let page: Obj;
      try {
        page = await this.#json({ method: 'GET', path: base, query, signal: options.signal, timeoutMs: this.#timeoutMs, throttle: true });
      } catch (err) {
        // A continue token expires after ~5 min (410). client-go's pager then lists everything at once.
        if (err instanceof KubeApiError && err.expired && cont && !explicit && !fullListFallback) {
          fullListFallback = true;
          cont = undefined;
          items.length = 0;
          resourceVersion = undefined;
          continue;
        }
        throw err;
      }
      const metadata = isObj(page['metadata']) ? page['metadata'] : {};
      const pageItems = page['items'];
      if (!Array.isArray(pageItems)) throw invalidResponse('GET', base, 'a list without items');
      resourceVersion ??= typeof metadata['resourceVersion'] === 'string' ? metadata['resourceVersion'] : '';
      const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
      for (const item of pageItems) {
        if (!isObj(item) || !isObj(item['metadata'])) throw invalidResponse('GET', base, 'a list item without metadata');
        // List items come without kind/apiVersion; filling them lets consumers treat items like watched objects.
        item['kind'] ??= resource.kind;
        item['apiVersion'] ??= apiVersion;
        items.push(item as T);
      }
      const next = typeof metadata['continue'] === 'string' && metadata['continue'] ? metadata['continue'] : undefined;
      if (explicit) return { resourceVersion, items, ...(next ? { continue: next } : {}) };
      if (!next) return { resourceVersion, items };
      if (next === cont) throw invalidResponse('GET', base, 'the same continue token twice');
      cont = next;
    }
  }

  /** @throws InputError for a bad name/namespace; KubeApiError (404 NotFound); TimeoutError; the signal's reason. */
  async get<T extends KubeObject = KubeObject>(resource: KubeResource, name: string, namespace?: string, signal?: AbortSignal): Promise<T> {
    const path = objectPath(resource, name, namespace);
    const obj = await this.#json({ method: 'GET', path, signal, timeoutMs: this.#timeoutMs, throttle: true });
    if (!isObj(obj['metadata'])) throw invalidResponse('GET', path, 'an object without metadata');
    return obj as T;
  }

  /** @throws InputError; KubeApiError (406 when the server cannot render tables); TimeoutError; the signal's reason. */
  async table(resource: KubeResource, options: ListOptions & { name?: string } = {}): Promise<KubeTable> {
    const path = options.name !== undefined ? objectPath(resource, options.name, options.namespace) : collectionPath(resource, options.namespace);
    const query = options.name !== undefined ? new URLSearchParams() : selectorQuery(options);
    if (options.name === undefined && options.limit) query.set('limit', String(options.limit));
    if (options.name === undefined && options.continue) query.set('continue', options.continue);
    const doc = await this.#json({ method: 'GET', path, query, accept: TABLE_ACCEPT, signal: options.signal, timeoutMs: this.#timeoutMs, throttle: true });
    if (doc['kind'] !== 'Table' || !Array.isArray(doc['columnDefinitions']) || !Array.isArray(doc['rows'])) throw invalidResponse('GET', path, `a ${String(doc['kind'])} instead of a Table`);
    return doc as unknown as KubeTable;
  }

  /**
   * Streams watch events to `onEvent` until the server ends the watch (resolves), the signal aborts
   * (resolves) or an error occurs. The body is parsed line by line as it arrives.
   * @throws KubeApiError 410 when the resourceVersion is too old (HTTP 410 or an ERROR event with code
   *   410); KubeApiError with the ERROR event's code otherwise, or status 0 when the connection breaks;
   *   TimeoutError when the server keeps the watch open well past `timeoutSeconds`; InputError for bad
   *   input; whatever `onEvent` throws.
   */
  async watch<T extends KubeObject = KubeObject>(resource: KubeResource, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<void> {
    const path = collectionPath(resource, options.namespace);
    if (typeof options.resourceVersion !== 'string') throw new InputError('resourceVersion must be a string', [{ path: 'resourceVersion', message: 'must be a string' }]);
    const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new InputError(`timeoutSeconds must be a positive integer, got ${String(timeoutSeconds)}`, [{ path: 'timeoutSeconds', message: 'must be a positive integer' }]);
    const query = selectorQuery(options);
    query.set('watch', '1');
    if (options.resourceVersion) query.set('resourceVersion', options.resourceVersion);
    if (options.allowWatchBookmarks ?? true) query.set('allowWatchBookmarks', 'true');
    query.set('timeoutSeconds', String(timeoutSeconds));
    const spec: RequestSpec = { method: 'GET', path, query, signal: options.signal, timeoutMs: timeoutSeconds * 1000 + WATCH_DEADLINE_MARGIN_MS, throttle: false };
    this.#stats.watches += 1;
    try {
      await this.#perform<void>(spec, (res, resolve, reject) => {
        if (res.statusCode !== 200) return this.#readError(spec, res, reject);
        const splitter = new JsonLineSplitter();
        const stream = decoded(res);
        let failed = false;
        const fail = (err: Error) => {
          failed = true;
          reject(err);
        };
        const handle = (line: string) => {
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch {
            throw invalidResponse('GET', path, `a watch line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
          }
          if (!isObj(event) || !isObj(event['object'])) throw invalidResponse('GET', path, 'a watch event without an object');
          const type = event['type'];
          const object = event['object'];
          if (type === 'ERROR') throw statusError('GET', path, object, 500);
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') throw invalidResponse('GET', path, `a watch event of unknown type ${JSON.stringify(type)}`);
          if (!isObj(object['metadata'])) throw invalidResponse('GET', path, `a ${type} event without metadata`);
          onEvent({ type, object: object as T });
        };
        stream.on('data', (chunk: Buffer) => {
          if (failed) return;
          try {
            for (const line of splitter.push(chunk)) {
              handle(line);
              if (failed) return;
            }
          } catch (err) {
            fail(wrapLineError(path, err));
          }
        });
        stream.on('end', () => {
          if (failed) return;
          try {
            const rest = splitter.end();
            if (rest !== undefined) handle(rest);
            resolve();
          } catch (err) {
            fail(wrapLineError(path, err));
          }
        });
        stream.on('error', (err) => fail(connectionError(spec, err)));
        res.on('error', (err) => fail(connectionError(spec, err)));
        res.on('close', () => {
          if (!res.complete) fail(connectionError(spec, new Error('the watch connection closed before the server ended the stream')));
        });
      });
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    }
  }

  /** @throws InputError for bad names or options; KubeApiError; TimeoutError; the signal's reason. */
  async logs(namespace: string, pod: string, options: LogOptions = {}): Promise<string> {
    assertLabelName('namespace', namespace);
    assertObjectName('pod', pod);
    const query = new URLSearchParams();
    if (options.container !== undefined) {
      assertLabelName('container', options.container);
      query.set('container', options.container);
    }
    if (options.previous) query.set('previous', 'true');
    if (options.timestamps) query.set('timestamps', 'true');
    for (const key of ['tailLines', 'sinceSeconds', 'limitBytes'] as const) {
      const v = options[key];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < 0 || (key !== 'tailLines' && v === 0)) throw new InputError(`${key} must be a ${key === 'tailLines' ? 'non-negative' : 'positive'} integer, got ${String(v)}`, [{ path: key, message: 'must be a non-negative integer' }]);
      query.set(key, String(v));
    }
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
    const res = await this.#request({ method: 'GET', path, query, accept: 'text/plain, */*', signal: options.signal, timeoutMs: this.#timeoutMs, throttle: true });
    return res.toString('utf8');
  }

  /** @throws InputError for bad names, an unknown patch type or a JSON patch that is not a list; KubeApiError; TimeoutError. */
  async patch<T extends KubeObject = KubeObject>(resource: KubeResource, name: string, namespace: string | undefined, patch: unknown, type: PatchType, signal?: AbortSignal): Promise<T> {
    const path = objectPath(resource, name, namespace);
    const contentType = PATCH_CONTENT_TYPES[type];
    if (!Object.hasOwn(PATCH_CONTENT_TYPES, type)) throw new InputError(`patch type must be merge, strategic or json, got ${JSON.stringify(type)}`, [{ path: 'type', message: 'must be merge, strategic or json' }]);
    if (type === 'json' ? !Array.isArray(patch) : !isObj(patch)) throw new InputError(`a ${type} patch must be a JSON ${type === 'json' ? 'array of operations' : 'object'}`, [{ path: 'patch', message: type === 'json' ? 'must be an array' : 'must be an object' }]);
    return (await this.#json({ method: 'PATCH', path, body: JSON.stringify(patch), contentType, signal, timeoutMs: this.#timeoutMs, throttle: true })) as T;
  }

  /** @throws InputError; KubeApiError (404 when already gone); TimeoutError. */
  async delete(resource: KubeResource, name: string, namespace?: string, signal?: AbortSignal): Promise<void> {
    await this.#request({ method: 'DELETE', path: objectPath(resource, name, namespace), signal, timeoutMs: this.#timeoutMs, throttle: true });
  }

  /** @throws InputError; KubeApiError (e.g. 429 when an eviction would break a PodDisruptionBudget); TimeoutError. */
  async createSubresource(resource: KubeResource, name: string, namespace: string | undefined, subresource: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    assertSubresource(subresource);
    const path = `${objectPath(resource, name, namespace)}/${subresource}`;
    const text = await this.#request({ method: 'POST', path, body: JSON.stringify(body ?? {}), contentType: 'application/json', signal, timeoutMs: this.#timeoutMs, throttle: true });
    return text.length ? parseJson('POST', path, text) : undefined;
  }

  /** @throws KubeApiError (status 0 when unreachable); TimeoutError; the signal's reason. */
  async serverVersion(signal?: AbortSignal): Promise<string> {
    const doc = await this.#json({ method: 'GET', path: '/version', signal, timeoutMs: this.#timeoutMs, throttle: true });
    const v = doc['gitVersion'];
    if (typeof v !== 'string' || !v) throw invalidResponse('GET', '/version', 'no gitVersion');
    return v;
  }

  // ---- plumbing ----

  async #json(spec: RequestSpec): Promise<Obj> {
    const body = await this.#request(spec);
    const doc = parseJson(spec.method, spec.path, body);
    if (!isObj(doc)) throw invalidResponse(spec.method, spec.path, 'JSON that is not an object');
    return doc;
  }

  /** The whole body of a 2xx answer. */
  #request(spec: RequestSpec): Promise<Buffer> {
    return this.#perform<Buffer>(spec, (res, resolve, reject) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) return this.#readError(spec, res, reject);
      this.#readAll(spec, res, resolve, reject);
    });
  }

  #readAll(spec: RequestSpec, res: IncomingMessage, resolve: (body: Buffer) => void, reject: (err: Error) => void): void {
    const stream = decoded(res);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > this.#maxResponseBytes) return fail(new KubeApiError(`${spec.method} ${spec.path}: the response is larger than ${this.#maxResponseBytes} bytes`, 0, 'ResponseTooLarge'));
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    stream.on('error', (err) => fail(connectionError(spec, err)));
    res.on('error', (err) => fail(connectionError(spec, err)));
    res.on('close', () => {
      if (!res.complete) fail(connectionError(spec, new Error('the connection closed before the response was complete')));
    });
  }

  #readError(spec: RequestSpec, res: IncomingMessage, reject: (err: Error) => void): void {
    const status = res.statusCode ?? 0;
    this.#readAll(spec, res, (body) => {
      let doc: unknown;
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch {
        doc = undefined;
      }
      if (isObj(doc) && doc['kind'] === 'Status') return reject(statusError(spec.method, spec.path, doc, status));
      const text = body.toString('utf8').trim().slice(0, 500);
      reject(new KubeApiError(`${spec.method} ${spec.path}: HTTP ${status}${text ? `: ${text}` : ''}`, status, reasonForStatus(status)));
    }, () => reject(new KubeApiError(`${spec.method} ${spec.path}: HTTP ${status}`, status, reasonForStatus(status))));
  }

  async #perform<T>(spec: RequestSpec, consume: Consume<T>, retried = false): Promise<T> {
    spec.signal?.throwIfAborted();
    if (spec.throttle && !this.#bucket.tryTake()) {
      this.#stats.throttled += 1;
      await this.#bucket.take(spec.signal);
    }
    const [token, cert] = await Promise.all([this.connection.token(), this.connection.clientCertificate()]);
    spec.signal?.throwIfAborted();
    const url = new URL(this.#base.href.replace(/\/+$/, '') + spec.path);
    if (spec.query) url.search = spec.query.toString();
    const headers: Record<string, string> = {
      Accept: spec.accept ?? 'application/json',
      'Accept-Encoding': 'gzip',
      'User-Agent': this.#userAgent,
    };
    if (token) headers['Authorization'] = `Bearer ${token}`;
    else if (this.connection.basicAuth) headers['Authorization'] = `Basic ${Buffer.from(`${this.connection.basicAuth.username}:${this.connection.basicAuth.password}`).toString('base64')}`;
    if (spec.body !== undefined) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(spec.body));
    }
    this.#stats.requests += 1;
    const attempt = new Promise<T | 'retry'>((resolve, reject) => {
      let settled = false;
      const signal = spec.signal;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        settle(() => reject(signal ? abortReason(signal) : new Error('aborted')));
        req.destroy();
      };
      const options = {
        method: spec.method,
        headers,
        ...(this.#https ? { agent: this.#tlsAgent(cert), ...(this.connection.tlsServerName ? { servername: this.connection.tlsServerName } : {}) } : { agent: this.#plainAgent() }),
      };
      const req = (this.#https ? httpsRequest : httpRequest)(url, options);
      const timer = setTimeout(() => {
        settle(() => reject(new TimeoutError(`${spec.method} ${spec.path}: no complete answer from the Kubernetes API within ${spec.timeoutMs} ms`)));
        req.destroy();
      }, spec.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => settle(() => reject(connectionError(spec, err))));
      req.on('response', (res) => {
        if (res.statusCode === 401 && !retried && this.connection.invalidate()) {
          // Rotated token or expired exec credential: fetch fresh credentials and try once more.
          res.resume();
          settle(() => resolve('retry'));
          return;
        }
        consume(
          res,
          (value) => settle(() => resolve(value)),
          (err) => {
            settle(() => reject(err));
            req.destroy();
          },
        );
      });
      req.end(spec.body);
    });
    try {
      const result = await attempt;
      if (result === 'retry') return await this.#perform(spec, consume, true);
      return result;
    } catch (err) {
      this.#stats.failures += 1;
      throw err;
    }
  }

  #plainAgent(): HttpAgent {
    this.#httpAgent ??= new HttpAgent({ keepAlive: true });
    return this.#httpAgent;
  }

  #tlsAgent(cert: ClientCertificate | undefined): HttpsAgent {
    const current = this.#httpsAgent;
    if (current && sameCert(current.cert, cert)) return current.agent;
    // A new client certificate (exec plugins renew them) needs new connections; old ones finish on their own.
    const agent = new HttpsAgent({
      keepAlive: true,
      rejectUnauthorized: !this.connection.insecureSkipTlsVerify,
      ...(this.connection.ca ? { ca: this.connection.ca } : {}),
      ...(cert ? { cert: cert.cert, key: cert.key } : {}),
      ...(this.connection.tlsServerName ? { servername: this.connection.tlsServerName } : {}),
    });
    this.#httpsAgent = { agent, cert };
    return agent;
  }
}

function sameCert(a: ClientCertificate | undefined, b: ClientCertificate | undefined): boolean {
  if (!a || !b) return a === b;
  return a.cert.equals(b.cert) && a.key.equals(b.key);
}

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding !== 'gzip') return res;
  const gunzip = createGunzip();
  res.pipe(gunzip);
  return gunzip;
}

function wrapLineError(path: string, err: unknown): Error {
  if (err instanceof LineTooLongError) return new KubeApiError(`GET ${path}: ${err.message}`, 0, 'InvalidResponse', { cause: err });
  // Something thrown by the caller's onEvent is the caller's to see, unchanged.
  return err instanceof Error ? err : new Error(String(err));
}

function parseJson(method: string, path: string, body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new KubeApiError(`${method} ${path}: the response is not JSON: ${JSON.stringify(body.subarray(0, 200).toString('utf8'))}`, 0, 'InvalidResponse', { cause: err });
  }
}

function invalidResponse(method: string, path: string, what: string): KubeApiError {
  return new KubeApiError(`${method} ${path}: the server answered ${what}`, 0, 'InvalidResponse');
}

function connectionError(spec: RequestSpec, err: unknown): KubeApiError {
  const code = (err as NodeJS.ErrnoException).code;
  return new KubeApiError(`${spec.method} ${spec.path}: cannot reach the Kubernetes API: ${errorMessage(err)}${code && !errorMessage(err).includes(code) ? ` (${code})` : ''}`, 0, '', { cause: err });
}

/** A Kubernetes `Status` body (an error answer or a watch ERROR event) as a KubeApiError. */
function statusError(method: string, path: string, status: Obj, httpStatus: number): KubeApiError {
  const code = typeof status['code'] === 'number' && status['code'] > 0 ? status['code'] : httpStatus;
  const reason = typeof status['reason'] === 'string' ? status['reason'] : reasonForStatus(code);
  const message = typeof status['message'] === 'string' && status['message'] ? status['message'] : `HTTP ${code}`;
  return new KubeApiError(`${method} ${path}: ${message}`, code, reason);
}

function reasonForStatus(status: number): string {
  const reasons: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 406: 'NotAcceptable', 409: 'Conflict', 410: 'Expired', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
  return reasons[status] ?? '';
}

function selectorQuery(options: { labelSelector?: string | undefined; fieldSelector?: string | undefined }): URLSearchParams {
  const q = new URLSearchParams();
  for (const key of ['labelSelector', 'fieldSelector'] as const) {
    const v = options[key];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string' || v.length > 4096) throw new InputError(`${key} must be a string of at most 4096 characters`, [{ path: key, message: 'must be a string of at most 4096 characters' }]);
    q.set(key, v);
  }
  return q;
}

function groupPath(r: KubeResource): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

/**
 * @throws InputError for a bad resource or namespace, or a namespace given for a cluster-scoped resource.
 */
function collectionPath(r: KubeResource, namespace: string | undefined): string {
  assertResource(r);
  if (namespace !== undefined && namespace !== '') {
    if (!r.namespaced) throw new InputError(`${r.plural} are cluster-scoped: namespace must be omitted, got ${JSON.stringify(namespace)}`, [{ path: 'namespace', message: `must be omitted for cluster-scoped ${r.plural}` }]);
    assertLabelName('namespace', namespace);
    return `${groupPath(r)}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
  }
  return `${groupPath(r)}/${r.plural}`;
}

/**
 * @throws InputError for a bad resource, name or namespace, or a namespaced resource without namespace.
 */
function objectPath(r: KubeResource, name: string, namespace: string | undefined): string {
  assertResource(r);
  assertObjectName('name', name);
  if (r.namespaced && (namespace === undefined || namespace === '')) throw new InputError(`namespace is required for ${r.plural}`, [{ path: 'namespace', message: `is required for ${r.plural}` }]);
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
}
