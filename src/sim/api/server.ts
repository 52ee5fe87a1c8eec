/**
 * The simulated cluster's API server: `node:http`, speaking the real Kubernetes REST API over the
 * SimContext's store — discovery, every resource in RESOURCES (get, list, watch, create, update, patch,
 * delete), subresources (status, scale, log, eviction, binding), events.k8s.io, metrics.k8s.io and
 * server-side Tables. Every failure is answered with a Kubernetes `Status`; nothing a client sends
 * can stop the server.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject, KubeObjectInput } from '../../core/kube/kube-types.js';
import { apiVersionOf, infoFor, res as storeRes, type ResourceType } from '../resources.js';
import { deletePodGracefully } from '../pod-deletion.js';
import type { SimContext } from '../sim-context.js';
import { StatusError, type StatusBody } from '../status-error.js';
import type { ListOptions, ResourceInfo, WatchEvent } from '../store/object-store.js';
import { parseFieldSelector, parseLabelSelector, type FieldSelector, type LabelSelector } from '../store/selectors.js';
import { SERVER_VERSION, apiGroupDoc, apiGroupListDoc, apiVersionsDoc, isServedGroupVersion, lookupResource, resourceListDoc } from './discovery.js';
import { checkFieldSelector } from './field-selectors.js';
import { coreToEventsV1, eventsV1FieldSelector, eventsV1ToCore } from './events-v1.js';
import { renderLines, resolveLogTarget, selectLines, type LogOptions } from './logs.js';
import { getNodeMetrics, getPodMetrics, listNodeMetrics, listPodMetrics } from './metrics.js';
import { applyPatch, patchTypeOf } from './patch.js';
import { DEFAULT_MAX_BODY_BYTES, negotiate, parseJson, parseObjectBody, readBody, type Rendering } from './request.js';
import { toTable, type IncludeObject } from './tables.js';
import { validateObject } from './validation.js';

export interface SimApiServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK, ms. Default 10 000. */
  bookmarkIntervalMs?: number;
  /** Largest request body, bytes. Default 3 MiB, as the real server. */
  maxBodyBytes?: number;
  /**
   * Bytes a watch may have queued for a client that does not read before the watch is ended (the client
   * re-watches from its last resourceVersion, as with a real server dropping a slow watcher). Default 8 MiB.
   */
  maxWatchBufferBytes?: number;
}

export const DEFAULT_MAX_WATCH_BUFFER_BYTES = 8 * 1024 * 1024;
/** Longest watch `timeoutSeconds` honoured: one hour (also keeps setTimeout below its 2^31 ms limit). */
export const MAX_WATCH_TIMEOUT_SECONDS = 3600;

export interface SimApiServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Ends every open watch and log stream, as an API server restart would; returns how many. */
  closeWatches(): number;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;

interface Call {
  ctx: SimContext;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  rendering: Rendering;
  streams: Set<() => void>;
  options: Required<Pick<SimApiServerOptions, 'bookmarkIntervalMs' | 'maxBodyBytes' | 'maxWatchBufferBytes'>>;
}

interface ResourceRoute {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/**
 * Starts one API server for one simulated cluster.
 * @throws the listen error (EADDRINUSE, EACCES) when the port cannot be bound.
 */
export async function startSimApiServer(ctx: SimContext, options: SimApiServerOptions = {}): Promise<SimApiServer> {
  const streams = new Set<() => void>();
  const settings = {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxWatchBufferBytes: options.maxWatchBufferBytes ?? DEFAULT_MAX_WATCH_BUFFER_BYTES,
  };
  const server: Server = createServer((req, res) => {
    void dispatch(ctx, req, res, streams, settings);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const closeStreams = () => {
    const n = streams.size;
    for (const end of [...streams]) end();
    return n;
  };
  return {
    url: `http://${urlHost}:${address.port}`,
    closeWatches: closeStreams,
    close: () =>
      new Promise<void>((resolve) => {
        closeStreams();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function dispatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, streams: Set<() => void>, options: Call['options']): Promise<void> {
  let call: Call | undefined;
  try {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    call = { ctx, req, res, url, method: (req.method ?? 'GET').toUpperCase(), rendering: negotiate(req.headers.accept), streams, options };
    await route(call);
  } catch (err) {
    fail(ctx, res, err);
    // Drain what the client still sends, so it can read the answer.
    req.resume();
  } finally {
    ctx.logger.debug({ clusterId: ctx.clusterId, method: req.method, path: req.url, code: res.statusCode }, 'sim api request');
  }
}

function fail(ctx: SimContext, res: ServerResponse, err: unknown): void {
  let status: StatusBody;
  if (err instanceof StatusError) status = err.toStatus();
  else {
    ctx.logger.error({ clusterId: ctx.clusterId, err }, 'sim api internal error');
    status = new StatusError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`).toStatus();
  }
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  sendJson(res, status.code, status);
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

function notFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function methodNotAllowed(method: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {});
}

async function route(call: Call): Promise<void> {
  let segs: string[];
  try {
    segs = call.url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw StatusError.badRequest(`malformed path ${JSON.stringify(call.url.pathname)}`);
  }
  const first = segs[0];
  const readOnly = () => {
    if (call.method !== 'GET' && call.method !== 'HEAD') throw methodNotAllowed(call.method);
  };
  if (first === 'version' && segs.length === 1) return readOnly(), sendJson(call.res, 200, SERVER_VERSION);
  if ((first === 'healthz' || first === 'livez' || first === 'readyz') && segs.length <= 2) {
    readOnly();
    call.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    call.res.end('ok');
    return;
  }
  if (first === 'api') {
    if (segs.length === 1) return readOnly(), sendJson(call.res, 200, apiVersionsDoc(call.req.headers.host ?? '127.0.0.1'));
    if (segs[1] !== 'v1') throw notFound();
    if (segs.length === 2) return readOnly(), sendJson(call.res, 200, resourceListDoc('', 'v1'));
    return resource(call, parseResourcePath('', 'v1', segs.slice(2)));
  }
  if (first === 'apis') {
    if (segs.length === 1) return readOnly(), sendJson(call.res, 200, apiGroupListDoc());
    const group = segs[1] as string;
    if (segs.length === 2) {
      readOnly();
      const doc = apiGroupDoc(group);
      if (!doc) throw notFound();
      return sendJson(call.res, 200, doc);
    }
    const version = segs[2] as string;
    if (!isServedGroupVersion(group, version)) throw notFound();
    if (segs.length === 3) return readOnly(), sendJson(call.res, 200, resourceListDoc(group, version));
    return resource(call, parseResourcePath(group, version, segs.slice(3)));
  }
  throw notFound();
}

function parseResourcePath(group: string, version: string, rest: string[]): ResourceRoute {
  let namespace: string | undefined;
  let parts = rest;
  const namespaceSub = group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSub) {
    namespace = rest[1];
    parts = rest.slice(2);
  }
  if (parts.length === 0 || parts.length > 3) throw notFound();
  const [resourceName = '', name, subresource] = parts;
  const type = lookupResource(group, version, resourceName);
  if (!type) throw notFound();
  if (namespace !== undefined && !type.namespaced) throw notFound();
  if (type.namespaced && name !== undefined && namespace === undefined) throw notFound();
  if (subresource !== undefined && !(type.subresources ?? []).includes(subresource)) throw notFound();
  if (subresource === 'finalize') throw notFound();
  return { type, namespace, name, subresource };
}

// ---- per-resource handling ----

/** Store info: events.k8s.io events live in the core events bucket. */
function storeInfo(t: ResourceType): ResourceInfo {
  return t.group === 'events.k8s.io' ? storeRes('events') : infoFor(t);
}

function toWire(t: ResourceType, obj: KubeObject): KubeObject {
  if (t.group === 'events.k8s.io') return coreToEventsV1(obj);
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return { apiVersion: apiVersionOf(t), kind: t.kind, ...rest };
}

function fromWire(t: ResourceType, obj: KubeObject): KubeObject {
  return t.group === 'events.k8s.io' ? eventsV1ToCore(obj) : obj;
}

async function resource(call: Call, r: ResourceRoute): Promise<void> {
  const { type: t } = r;
  if (t.group === 'metrics.k8s.io') return metrics(call, r);
  const m = call.method;
  if (r.subresource === undefined) {
    if (r.name === undefined) {
      if (m === 'GET' || m === 'HEAD') return truthy(call.url.searchParams.get('watch')) ? watch(call, r) : list(call, r);
      if (m === 'POST') return create(call, r);
      if (m === 'DELETE') return deleteCollection(call, r);
      throw methodNotAllowed(m);
    }
    if (m === 'GET' || m === 'HEAD') return get(call, r);
    if (m === 'PUT') return update(call, r, undefined);
    if (m === 'PATCH') return patch(call, r, undefined);
    if (m === 'DELETE') return remove(call, r);
    if (m === 'POST') throw methodNotAllowed(m);
    throw methodNotAllowed(m);
  }
  switch (r.subresource) {
    case 'status':
      if (m === 'GET') return get(call, r);
      if (m === 'PUT') return update(call, r, 'status');
      if (m === 'PATCH') return patch(call, r, 'status');
      throw methodNotAllowed(m);
    case 'scale':
      if (m === 'GET') return sendJson(call.res, 200, toScale(t, mustGet(call, r)));
      if (m === 'PUT' || m === 'PATCH') return scale(call, r);
      throw methodNotAllowed(m);
    case 'log':
      if (m === 'GET') return logs(call, r);
      throw methodNotAllowed(m);
    case 'eviction':
      if (m === 'POST') return evict(call, r);
      throw methodNotAllowed(m);
    case 'binding':
      if (m === 'POST') return bind(call, r);
      throw methodNotAllowed(m);
    default:
      throw notFound();
  }
}

function truthy(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function intParam(call: Call, name: string): number | undefined {
  const v = call.url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw StatusError.badRequest(`invalid ${name} ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

function dryRun(call: Call): boolean {
  const values = call.url.searchParams.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw StatusError.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  return values.length > 0;
}

function selectors(call: Call, t: ResourceType): { labelSelector: LabelSelector; fieldSelector: FieldSelector } {
  const labelSelector = parseLabelSelector(call.url.searchParams.get('labelSelector') ?? undefined);
  let fieldSelector = parseFieldSelector(call.url.searchParams.get('fieldSelector') ?? undefined);
  if (t.group === 'events.k8s.io') fieldSelector = eventsV1FieldSelector(fieldSelector);
  return { labelSelector, fieldSelector: checkFieldSelector(t, fieldSelector) };
}

function includeObject(call: Call): IncludeObject | undefined {
  const v = call.url.searchParams.get('includeObject');
  if (v === null || v === '') return undefined;
  if (v !== 'None' && v !== 'Metadata' && v !== 'Object') throw StatusError.badRequest(`includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "Metadata", "None", "Object"`);
  return v;
}

function mustGet(call: Call, r: ResourceRoute): KubeObject {
  return call.ctx.store.mustGet(storeInfo(r.type), r.namespace, r.name ?? '');
}

/** One object, as the Accept header asks. */
function renderOne(call: Call, t: ResourceType, obj: KubeObject): unknown {
  const wire = toWire(t, obj);
  const rendering = call.rendering;
  if (rendering.as === 'Table') return toTable(t, [wire], { now: call.ctx.clock.now(), version: rendering.version, includeObject: includeObject(call) });
  if (rendering.as === 'PartialObjectMetadata') return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rendering.version}`, metadata: wire.metadata };
  return wire;
}

function get(call: Call, r: ResourceRoute): void {
  sendJson(call.res, 200, renderOne(call, r.type, mustGet(call, r)));
}

function list(call: Call, r: ResourceRoute): void {
  const t = r.type;
  const limit = intParam(call, 'limit');
  if (limit !== undefined && limit < 0) throw StatusError.badRequest(`invalid limit ${limit}: must not be negative`);
  const cont = call.url.searchParams.get('continue') ?? undefined;
  const options: ListOptions = { ...selectors(call, t), ...(r.namespace ? { namespace: r.namespace } : {}), ...(limit ? { limit } : {}), ...(cont ? { continue: cont } : {}) };
  const result = call.ctx.store.list(storeInfo(t), options);
  const metadata: Obj = { resourceVersion: result.resourceVersion };
  if (result.continue) metadata['continue'] = result.continue;
  if (result.remainingItemCount !== undefined) metadata['remainingItemCount'] = result.remainingItemCount;
  const items = result.items.map((o) => toWire(t, o));
  const rendering = call.rendering;
  if (rendering.as === 'Table') {
    return sendJson(call.res, 200, toTable(t, items, { now: call.ctx.clock.now(), version: rendering.version, includeObject: includeObject(call), listMeta: metadata }));
  }
  if (rendering.as === 'PartialObjectMetadata') {
    return sendJson(call.res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${rendering.version}`,
      metadata,
      items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rendering.version}`, metadata: o.metadata })),
    });
  }
  sendJson(call.res, 200, { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata, items });
}

function watch(call: Call, r: ResourceRoute): void {
  const t = r.type;
  const { res, req } = call;
  const timeoutSeconds = intParam(call, 'timeoutSeconds');
  const bookmarks = truthy(call.url.searchParams.get('allowWatchBookmarks'));
  const initialEvents = truthy(call.url.searchParams.get('sendInitialEvents'));
  const rv = initialEvents ? '' : (call.url.searchParams.get('resourceVersion') ?? '');
  const rendering = call.rendering;
  const inclusion = includeObject(call);
  let first = true;
  const encode = (e: WatchEvent): string => {
    let object: unknown = e.type === 'BOOKMARK' ? e.object : toWire(t, e.object);
    if (e.type !== 'BOOKMARK' && rendering.as === 'Table') {
      object = toTable(t, [object as KubeObject], { now: call.ctx.clock.now(), version: rendering.version, includeObject: inclusion, withColumns: first });
      first = false;
    } else if (e.type !== 'BOOKMARK' && rendering.as === 'PartialObjectMetadata') {
      object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rendering.version}`, metadata: (object as KubeObject).metadata };
    }
    return `${JSON.stringify({ type: e.type, object })}\n`;
  };
  const pending: WatchEvent[] = [];
  const timers: NodeJS.Timeout[] = [];
  let open = false;
  let ended = false;
  const write = (e: WatchEvent) => {
    if (ended || res.writableEnded) return;
    // A client that stops reading must not make the server buffer without bound: drop the watch.
    if (!res.write(encode(e)) && res.writableLength > call.options.maxWatchBufferBytes) {
      end();
      // Queued bytes would wait for a reader that is not coming: free them with the connection.
      res.destroy();
    }
  };
  const send = (e: WatchEvent) => {
    if (!open) pending.push(e);
    else write(e);
  };
  // Throws 400 / 410 before anything is written, so the client gets a plain Status response.
  const unsubscribe = call.ctx.store.watch(storeInfo(t), { ...selectors(call, t), ...(r.namespace ? { namespace: r.namespace } : {}), resourceVersion: rv }, send);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  open = true;
  for (const e of pending.splice(0)) write(e);
  if (ended) return;
  const bookmark = (annotations?: Record<string, string>): WatchEvent => ({
    type: 'BOOKMARK',
    object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: call.ctx.store.resourceVersion(), ...(annotations ? { annotations } : {}) } } as unknown as KubeObject,
  });
  if (initialEvents && bookmarks) send(bookmark({ 'k8s.io/initial-events-end': 'true' }));
  if (ended) return;
  if (bookmarks) timers.push(setInterval(() => send(bookmark()), call.options.bookmarkIntervalMs));
  function end(): void {
    ended = true;
    unsubscribe();
    for (const timer of timers) clearInterval(timer);
    call.streams.delete(end);
    if (!res.writableEnded) res.end();
  }
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) timers.push(setTimeout(end, Math.min(timeoutSeconds, MAX_WATCH_TIMEOUT_SECONDS) * 1000));
  call.streams.add(end);
  req.on('close', end);
  res.on('close', end);
}

/** Kind and apiVersion in a body must name this resource; namespace must match the URL's. */
function checkBody(call: Call, r: ResourceRoute, body: Obj): KubeObject {
  const t = r.type;
  const expected = apiVersionOf(t);
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== expected) {
    throw StatusError.badRequest(`the API version in the data (${JSON.stringify(body['apiVersion'])}) does not match the expected API version (${expected})`);
  }
  if (body['kind'] !== undefined && body['kind'] !== t.kind) {
    throw StatusError.badRequest(`the kind in the data (${JSON.stringify(body['kind'])}) does not match the expected kind (${t.kind})`);
  }
  const metadata = (typeof body['metadata'] === 'object' && body['metadata'] !== null && !Array.isArray(body['metadata']) ? body['metadata'] : {}) as Obj;
  if (t.namespaced) {
    const ns = metadata['namespace'];
    if (r.namespace !== undefined && ns !== undefined && ns !== '' && ns !== r.namespace) {
      throw StatusError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    metadata['namespace'] = r.namespace ?? (typeof ns === 'string' && ns ? ns : 'default');
  } else {
    delete metadata['namespace'];
  }
  return { ...body, apiVersion: expected, kind: t.kind, metadata } as unknown as KubeObject;
}

async function create(call: Call, r: ResourceRoute): Promise<void> {
  const t = r.type;
  const body = parseObjectBody(await readBody(call.req, call.options.maxBodyBytes), call.req.headers['content-type']);
  const wire = checkBody(call, r, body);
  const isDry = dryRun(call);
  validateObject(t, wire);
  const input = fromWire(t, wire) as KubeObjectInput;
  const meta = input.metadata as Obj;
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation']) delete meta[k];
  if (infoFor(t).hasStatus && t.kind !== 'Namespace') delete (input as Obj)['status'];
  const info = storeInfo(t);
  let created: KubeObject;
  if (isDry) {
    const name = (meta['name'] as string | undefined) || (meta['generateName'] ? `${typeof meta['generateName'] === 'string' ? meta['generateName'] : ''}${randomUUID().slice(0, 5)}` : '');
    if (!name) throw StatusError.invalid(t.kind, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }], t.group);
    const ns = t.namespaced ? (meta['namespace'] as string) : undefined;
    if (ns !== undefined && !call.ctx.store.get(storeRes('namespaces'), undefined, ns)) throw StatusError.notFound('namespaces', ns);
    if (call.ctx.store.get(info, ns, name)) throw StatusError.alreadyExists(t.resource, name, t.group);
    created = { ...input, metadata: { ...input.metadata, name, uid: randomUUID(), resourceVersion: '', creationTimestamp: call.ctx.clock.isoNow(), ...(input['spec'] !== undefined ? { generation: 1 } : {}) } } as KubeObject;
  } else {
    created = call.ctx.store.create(info, input);
  }
  sendJson(call.res, 201, toWire(t, created));
}

/** What an update of `input` would store, without writing: status kept, identity kept. */
function previewUpdate(call: Call, r: ResourceRoute, input: KubeObject, subresource: 'status' | undefined): KubeObject {
  const current = mustGet(call, r);
  if (input.metadata.resourceVersion && input.metadata.resourceVersion !== current.metadata.resourceVersion) throw StatusError.conflict(r.type.resource, current.metadata.name, r.type.group);
  if (subresource === 'status') return { ...current, status: input['status'] };
  const next = { ...input, metadata: { ...input.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, resourceVersion: current.metadata.resourceVersion } } as KubeObject;
  if (infoFor(r.type).hasStatus) {
    if (current['status'] === undefined) delete next['status'];
    else next['status'] = current['status'];
  }
  return next;
}

async function update(call: Call, r: ResourceRoute, subresource: 'status' | undefined): Promise<void> {
  const t = r.type;
  const body = parseObjectBody(await readBody(call.req, call.options.maxBodyBytes), call.req.headers['content-type']);
  const wire = checkBody(call, r, body);
  const bodyName = wire.metadata.name as string | undefined;
  if (bodyName && bodyName !== r.name) throw StatusError.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${r.name ?? ''})`);
  wire.metadata.name = r.name ?? '';
  const isDry = dryRun(call);
  if (subresource === undefined) validateObject(t, wire);
  const input = fromWire(t, wire);
  const stored = isDry ? previewUpdate(call, r, input, subresource) : call.ctx.store.update(storeInfo(t), input, subresource ? { subresource } : {});
  sendJson(call.res, 200, toWire(t, stored));
}

function patchType(call: Call): 'merge' | 'strategic' | 'json' {
  const type = patchTypeOf(call.req.headers['content-type']);
  if (type === 'apply') throw new StatusError(415, 'UnsupportedMediaType', 'server-side apply (application/apply-patch+yaml) is not supported by the simulator; use a merge, strategic merge or JSON patch');
  if (!type) {
    throw new StatusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json');
  }
  return type;
}

function asObject(value: unknown): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StatusError(422, 'Invalid', 'the patched object is not a JSON object');
  const o = value as Obj;
  if (typeof o['metadata'] !== 'object' || o['metadata'] === null || Array.isArray(o['metadata'])) throw new StatusError(422, 'Invalid', 'the patch removed metadata');
  return o as unknown as KubeObject;
}

async function patch(call: Call, r: ResourceRoute, subresource: 'status' | undefined): Promise<void> {
  const t = r.type;
  const type = patchType(call);
  const body = parseJson(await readBody(call.req, call.options.maxBodyBytes));
  const isDry = dryRun(call);
  const current = toWire(t, mustGet(call, r));
  const patched = asObject(applyPatch(type, current, body));
  // Identity never changes through a patch; a resourceVersion the patch sets is a precondition.
  const patchedRv = patched.metadata.resourceVersion;
  patched.metadata = { ...patched.metadata, name: current.metadata.name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
  if (t.namespaced) patched.metadata.namespace = current.metadata.namespace;
  patched.metadata.resourceVersion = patchedRv && patchedRv !== current.metadata.resourceVersion ? patchedRv : current.metadata.resourceVersion;
  patched.apiVersion = current.apiVersion;
  patched.kind = current.kind;
  if (subresource === undefined) validateObject(t, patched);
  const input = fromWire(t, patched);
  const stored = isDry ? previewUpdate(call, r, input, subresource) : call.ctx.store.update(storeInfo(t), input, subresource ? { subresource } : {});
  sendJson(call.res, 200, toWire(t, stored));
}

async function deleteOptions(call: Call): Promise<Obj> {
  const raw = await readBody(call.req, call.options.maxBodyBytes);
  if (!raw.toString('utf8').trim()) return {};
  const body = parseJson(raw);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw StatusError.badRequest('DeleteOptions must be a JSON object');
  return body as Obj;
}

async function remove(call: Call, r: ResourceRoute): Promise<void> {
  const t = r.type;
  const opts = await deleteOptions(call);
  const current = mustGet(call, r);
  const pre = (opts['preconditions'] ?? {}) as Obj;
  if ((pre['uid'] && pre['uid'] !== current.metadata.uid) || (pre['resourceVersion'] && pre['resourceVersion'] !== current.metadata.resourceVersion)) {
    throw new StatusError(409, 'Conflict', `Precondition failed: UID in precondition: ${JSON.stringify(pre['uid'] ?? '')}, UID in object meta: ${current.metadata.uid}`, { name: current.metadata.name, group: t.group, kind: t.resource });
  }
  const isDry = dryRun(call) || (Array.isArray(opts['dryRun']) && opts['dryRun'].includes('All'));
  if (t.kind === 'Pod' && t.group === '') {
    const { pod } = deletePodGracefully(call.ctx, current.metadata.namespace, current.metadata.name, gracePeriod(call, opts), { dryRun: isDry });
    return sendJson(call.res, 200, toWire(t, pod));
  }
  const deleted = isDry ? current : call.ctx.store.delete(storeInfo(t), r.namespace, current.metadata.name);
  sendJson(call.res, 200, toWire(t, deleted));
}

/** `gracePeriodSeconds` from the query or the DeleteOptions body (the query wins); undefined when absent. */
function gracePeriod(call: Call, opts: Obj): number | undefined {
  const q = call.url.searchParams.get('gracePeriodSeconds');
  const raw = q !== null && q !== '' ? Number(q) : opts['gracePeriodSeconds'];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw)) throw StatusError.badRequest(`invalid gracePeriodSeconds: ${JSON.stringify(q ?? raw)}`);
  // Negative means "the pod's default", as kubectl's --grace-period=-1.
  return raw < 0 ? undefined : raw;
}

async function deleteCollection(call: Call, r: ResourceRoute): Promise<void> {
  const t = r.type;
  if (!t.verbs.includes('deletecollection')) throw methodNotAllowed('DELETE');
  const opts = await deleteOptions(call);
  const isDry = dryRun(call);
  const info = storeInfo(t);
  const items = call.ctx.store.list(info, { ...selectors(call, t), ...(r.namespace ? { namespace: r.namespace } : {}) }).items;
  const isPod = t.kind === 'Pod' && t.group === '';
  const grace = isPod ? gracePeriod(call, opts) : undefined;
  const deleted = isDry && !isPod
    ? items
    : items.map((o) => (isPod ? deletePodGracefully(call.ctx, o.metadata.namespace, o.metadata.name, grace, { dryRun: isDry }).pod : call.ctx.store.delete(info, o.metadata.namespace, o.metadata.name)));
  sendJson(call.res, 200, { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: { resourceVersion: call.ctx.store.resourceVersion() }, items: deleted.map((o) => toWire(t, o)) });
}

// ---- subresources ----

function selectorString(sel: unknown): string {
  const s = (sel ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const parts = Object.entries(s.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
    else if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function toScale(_t: ResourceType, obj: KubeObject): Obj {
  const spec = (obj['spec'] ?? {}) as Obj;
  const status = (obj['status'] ?? {}) as Obj;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
    status: { replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0, selector: selectorString(spec['selector']) },
  };
}

async function scale(call: Call, r: ResourceRoute): Promise<void> {
  const t = r.type;
  const current = mustGet(call, r);
  const raw = await readBody(call.req, call.options.maxBodyBytes);
  let desired: Obj;
  if (call.method === 'PATCH') {
    desired = asObject(applyPatch(patchType(call), toScale(t, current), parseJson(raw)));
  } else {
    desired = parseObjectBody(raw, call.req.headers['content-type']);
  }
  const meta = (desired['metadata'] ?? {}) as Obj;
  if (meta['resourceVersion'] && meta['resourceVersion'] !== current.metadata.resourceVersion) throw StatusError.conflict(t.resource, current.metadata.name, t.group);
  const replicas = ((desired['spec'] ?? {}) as Obj)['replicas'];
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw StatusError.invalid('Scale', current.metadata.name, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }], 'autoscaling');
  }
  if (dryRun(call)) {
    const preview = structuredClone(current);
    preview['spec'] = { ...((preview['spec'] ?? {}) as Obj), replicas };
    return sendJson(call.res, 200, toScale(t, preview));
  }
  const updated = call.ctx.store.mutate(storeInfo(t), current.metadata.namespace, current.metadata.name, (o) => {
    o['spec'] = { ...((o['spec'] ?? {}) as Obj), replicas };
  });
  sendJson(call.res, 200, toScale(t, updated));
}

function successStatus(code: number): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

async function evict(call: Call, r: ResourceRoute): Promise<void> {
  const raw = await readBody(call.req, call.options.maxBodyBytes);
  if (raw.toString('utf8').trim()) {
    const body = parseObjectBody(raw, call.req.headers['content-type']);
    const name = ((body['metadata'] ?? {}) as Obj)['name'];
    if (name !== undefined && name !== r.name) throw StatusError.badRequest(`name in URL does not match name in Eviction object`);
  }
  let grace: number | undefined;
  if (raw.toString('utf8').trim()) {
    const body = parseObjectBody(raw, call.req.headers['content-type']);
    const g = ((body['deleteOptions'] ?? {}) as Obj)['gracePeriodSeconds'];
    if (typeof g === 'number' && Number.isInteger(g) && g >= 0) grace = g;
  }
  const pod = mustGet(call, r);
  if (!dryRun(call)) deletePodGracefully(call.ctx, pod.metadata.namespace, pod.metadata.name, grace);
  sendJson(call.res, 201, successStatus(201));
}

async function bind(call: Call, r: ResourceRoute): Promise<void> {
  const body = parseObjectBody(await readBody(call.req, call.options.maxBodyBytes), call.req.headers['content-type']);
  const target = (body['target'] ?? {}) as Obj;
  const node = target['name'];
  if (typeof node !== 'string' || !node) throw StatusError.invalid('Binding', r.name ?? '', [{ field: 'target.name', reason: 'FieldValueRequired', message: 'Required value' }]);
  const pod = mustGet(call, r);
  const current = ((pod['spec'] ?? {}) as Obj)['nodeName'];
  if (typeof current === 'string' && current) {
    throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${pod.metadata.name}": pod ${pod.metadata.name} is already assigned to node "${current}"`, { name: pod.metadata.name, kind: 'pods/binding' });
  }
  if (!dryRun(call)) {
    call.ctx.store.mutate(storeInfo(r.type), pod.metadata.namespace, pod.metadata.name, (o) => {
      o['spec'] = { ...((o['spec'] ?? {}) as Obj), nodeName: node };
    });
  }
  sendJson(call.res, 201, successStatus(201));
}

function logs(call: Call, r: ResourceRoute): void {
  const q = call.url.searchParams;
  const boolParam = (name: string) => truthy(q.get(name));
  const options: LogOptions = {
    ...(q.get('container') ? { container: q.get('container') as string } : {}),
    previous: boolParam('previous'),
    timestamps: boolParam('timestamps'),
  };
  const tail = intParam(call, 'tailLines');
  if (tail !== undefined) options.tailLines = tail < 0 ? undefined : tail;
  const sinceSeconds = intParam(call, 'sinceSeconds');
  if (sinceSeconds !== undefined) {
    if (sinceSeconds < 1) throw StatusError.invalid('PodLogOptions', '', [{ field: 'sinceSeconds', reason: 'FieldValueInvalid', message: `Invalid value: ${sinceSeconds}: must be greater than 0` }]);
    options.sinceSeconds = sinceSeconds;
  }
  if (q.get('sinceTime')) options.sinceTime = q.get('sinceTime') as string;
  const limitBytes = intParam(call, 'limitBytes');
  const pod = mustGet(call, r);
  const target = resolveLogTarget(call.ctx, pod, options);
  const ns = pod.metadata.namespace ?? 'default';
  const read = () => call.ctx.logs.read(ns, pod.metadata.name, target.container, target.instance) ?? [];
  const all = read();
  let text = renderLines(selectLines(all, options, call.ctx.clock.now()), options.timestamps);
  if (limitBytes !== undefined && limitBytes > 0) text = Buffer.from(text).subarray(0, limitBytes).toString('utf8');
  const { res, req } = call;
  if (!boolParam('follow') || options.previous) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  // Follow: stream new lines of this instance until the pod goes away, the container restarts, or the client leaves.
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.write(text);
  let seen = all.length;
  let lastFirst = all[0];
  const timer = setInterval(() => {
    const current = call.ctx.store.get(storeInfo(r.type), ns, pod.metadata.name);
    const lines = read();
    if (!current || current.metadata.uid !== pod.metadata.uid) return end();
    // The store keeps a bounded window: when it slid, continue from the matching position.
    if (lines[0] !== undefined && lastFirst !== undefined && (lines[0].time !== lastFirst.time || lines[0].text !== lastFirst.text)) {
      seen = Math.max(0, lines.length - 1);
    }
    if (lines.length > seen) res.write(renderLines(lines.slice(seen), options.timestamps));
    seen = lines.length;
    lastFirst = lines[0];
  }, 200);
  const end = () => {
    clearInterval(timer);
    call.streams.delete(end);
    if (!res.writableEnded) res.end();
  };
  call.streams.add(end);
  req.on('close', end);
  res.on('close', end);
}

// ---- metrics.k8s.io ----

function metrics(call: Call, r: ResourceRoute): void {
  if (call.method !== 'GET' && call.method !== 'HEAD') throw methodNotAllowed(call.method);
  if (truthy(call.url.searchParams.get('watch'))) throw methodNotAllowed('WATCH');
  const { labelSelector } = selectors(call, r.type);
  const ctx = call.ctx;
  const isNodes = r.type.resource === 'nodes';
  if (r.name !== undefined) {
    return sendJson(call.res, 200, isNodes ? getNodeMetrics(ctx, r.name) : getPodMetrics(ctx, r.namespace ?? 'default', r.name));
  }
  const items = isNodes ? listNodeMetrics(ctx, labelSelector) : listPodMetrics(ctx, r.namespace, labelSelector);
  sendJson(call.res, 200, { kind: `${r.type.kind}List`, apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
}
