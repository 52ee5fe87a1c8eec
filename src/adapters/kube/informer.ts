/**
 * An informer (client-go's reflector + store + handlers, without the queue): a list, then a watch from
 * the list's resourceVersion, keeping a cache the caller reads synchronously and telling handlers what
 * changed. It heals itself: a watch the server ends is resumed from the last resourceVersion (no relist),
 * `410 Gone` relists, any other failure backs off with jitter and retries; a relist reports what changed
 * while the watch was away (adds, updates, and deletes of objects that vanished).
 *
 * Periodic resync (`resyncPeriodMs`) is a relist, not client-go's re-delivery of the cache: it repairs
 * anything a watch may have missed and stays quiet when nothing did (only changed objects are reported).
 */
import { InputError, KubeApiError, errorMessage } from '../../contracts/errors.js';
import type { KubeApi, KubeResource, WatchEvent } from '../../core/kube/kube-api.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { DEFAULT_PAGE_SIZE } from './kube-client.js';

export const DEFAULT_INFORMER_WATCH_TIMEOUT_SECONDS = 300;
export const DEFAULT_INFORMER_BACKOFF = Object.freeze({ initialMs: 800, maxMs: 30_000 });
/** A watch that ends sooner than this with nothing delivered counts as a failure for back-off. */
const QUICK_WATCH_MS = 1000;

export interface InformerObject {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface InformerOptions<T> {
  /** Watch one namespace. Default: all (and always for cluster-scoped resources). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Keeps only what the caller needs in the cache (e.g. drops managedFields: 5,000 pods). Called once per
   * object received; the raw object is not kept. Default: the object as received.
   */
  transform?: (obj: KubeObject) => T;
  /**
   * What the cache keeps of an object once its handlers have seen it, when that is less than they need:
   * the agent converts each Event in full but only compares counts later, so it caches the count alone.
   * `get`, `list` and the `old` of the next update then return the slim form. Default: the object itself.
   */
  slim?: (obj: T) => T;
  /** Relist this often to repair anything a watch missed; 0 = never (default). */
  resyncPeriodMs?: number;
  /** Server-side watch timeout, randomised ±20% per watch so informers do not re-watch in step. Default 300. */
  watchTimeoutSeconds?: number;
  logger?: Logger;
  /** Back-off after failures: doubling from `initialMs` to `maxMs`, with jitter. Default 800 ms → 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** List page size. Default: the client's (500). */
  pageSize?: number;
  /** Told about every failure of the background loop (after it is logged); never thrown. */
  onError?: (err: unknown) => void;
}

export interface InformerHandler<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface InformerStats {
  /** Lists sent: the first, retries after failures, relists after 410, resyncs. */
  lists: number;
  /** Watches opened. */
  watches: number;
  /** Relists forced by 410 Gone / Expired. */
  relists410: number;
  /** Failed lists and watches other than 410 (each followed by a back-off). */
  errors: number;
  bookmarks: number;
  /** ADDED / MODIFIED / DELETED events received. */
  events: number;
  /** Handler or transform calls that threw. */
  handlerErrors: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Marks it handled: a caller that never awaits start() must not see an unhandled rejection at stop().
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A transform that drops what the agent never reads and that weighs most: managedFields and last-applied. */
export function dropManagedFields<T extends KubeObject>(obj: T): T {
  const metadata = obj.metadata as T['metadata'] & { managedFields?: unknown };
  if (metadata.managedFields !== undefined) delete metadata.managedFields;
  if (metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _dropped, ...rest } = metadata.annotations;
    metadata.annotations = rest;
  }
  return obj;
}

export class Informer<T extends InformerObject> {
  readonly resource: KubeResource;
  readonly #api: KubeApi;
  readonly #options: InformerOptions<T>;
  readonly #log: Logger;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #watchTimeoutSeconds: number;
  readonly #handlers: InformerHandler<T>[] = [];
  #cache = new Map<string, T>();
  /** The raw resourceVersion of each cached object: a transform may drop it, relist diffs need it. */
  #versions = new Map<string, string>();
  #rv = '';
  #synced = false;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #needList = true;
  readonly #sync = deferred();
  readonly #stop = new AbortController();
  #watchAbort: AbortController | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  readonly #stats: InformerStats = { lists: 0, watches: 0, relists410: 0, errors: 0, bookmarks: 0, events: 0, handlerErrors: 0 };

  /**
   * @throws InputError when an option is out of range (naming it).
   */
  constructor(api: KubeApi, resource: KubeResource, options: InformerOptions<T> = {}) {
    this.#api = api;
    this.resource = resource;
    this.#options = options;
    this.#log = (options.logger ?? silentLogger()).child({ resource: resource.group ? `${resource.plural}.${resource.group}` : resource.plural, ...(options.namespace ? { namespace: options.namespace } : {}) });
    const issues: { path: string; message: string }[] = [];
    const resync = options.resyncPeriodMs ?? 0;
    if (!Number.isFinite(resync) || resync < 0) issues.push({ path: 'resyncPeriodMs', message: `must be 0 or a positive number of ms, got ${String(resync)}` });
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? DEFAULT_INFORMER_WATCH_TIMEOUT_SECONDS;
    if (!Number.isInteger(this.#watchTimeoutSeconds) || this.#watchTimeoutSeconds < 1) issues.push({ path: 'watchTimeoutSeconds', message: `must be a positive integer, got ${String(this.#watchTimeoutSeconds)}` });
    this.#backoff = options.backoff ?? DEFAULT_INFORMER_BACKOFF;
    if (!(this.#backoff.initialMs > 0) || !(this.#backoff.maxMs >= this.#backoff.initialMs)) issues.push({ path: 'backoff', message: 'initialMs must be positive and maxMs at least initialMs' });
    if (options.pageSize !== undefined && (!Number.isInteger(options.pageSize) || options.pageSize < 1)) issues.push({ path: 'pageSize', message: `must be a positive integer, got ${String(options.pageSize)}` });
    if (options.namespace !== undefined && !resource.namespaced) issues.push({ path: 'namespace', message: `must be omitted: ${resource.plural} are cluster-scoped` });
    if (issues.length) throw new InputError(`invalid informer options for ${resource.plural}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }

  /** True once the first list is in the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the next watch resumes from (advanced by events and bookmarks). */
  get lastResourceVersion(): string {
    return this.#rv;
  }

  get size(): number {
    return this.#cache.size;
  }

  stats(): InformerStats {
    return { ...this.#stats };
  }

  /**
   * Adds a handler; called synchronously, in the order added, for every change. Added after the first
   * sync, it is first told `add` for every cached object (as client-go does), so it misses nothing.
   */
  addHandler(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
    if (this.#synced) for (const obj of this.#cache.values()) this.#call(handler, 'add', obj);
  }

  /**
   * Starts the list-and-watch loop in the background. Resolves once the first list is cached; failures
   * before that are retried with back-off (and reported through logs / onError), so bound the wait.
   * @throws Error when the informer is stopped before its first list succeeded, or was stopped already.
   */
  start(): Promise<void> {
    if (this.#state === 'stopped') return Promise.reject(new Error(`informer for ${this.resource.plural} was stopped; create a new one`));
    if (this.#state === 'new') {
      this.#state = 'running';
      this.#loop = this.#run();
      const every = this.#options.resyncPeriodMs ?? 0;
      if (every > 0) {
        this.#resyncTimer = setInterval(() => this.#resync(), every);
        this.#resyncTimer.unref();
      }
    }
    return this.#sync.promise;
  }

  /** Stops the loop, aborting the request in flight; resolves when it has ended. The cache stays readable. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return this.#loop;
    this.#state = 'stopped';
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.#stop.abort();
    if (!this.#synced) this.#sync.reject(new Error(`informer for ${this.resource.plural} stopped before its first list`));
    await this.#loop;
  }

  /** A cached object; `namespace` is ignored for cluster-scoped resources. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(this.#key(namespace, name));
  }

  /** Every cached object (a snapshot array). */
  list(): T[] {
    return [...this.#cache.values()];
  }

  #key(namespace: string | undefined, name: string): string {
    return this.resource.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  #stopped(): boolean {
    return this.#state === 'stopped';
  }

  async #run(): Promise<void> {
    let failures = 0;
    let expiredInARow = 0;
    while (!this.#stopped()) {
      try {
        if (this.#needList) await this.#relist();
        const started = Date.now();
        const seen = this.#stats.events + this.#stats.bookmarks;
        await this.#watchOnce();
        if (this.#stopped()) break;
        if (this.#needList) continue;
        const delivered = this.#stats.events + this.#stats.bookmarks > seen;
        if (delivered || Date.now() - started >= QUICK_WATCH_MS) {
          failures = 0;
          expiredInARow = 0;
        } else {
          // A server that ends every watch at once must not be hammered.
          failures += 1;
          await this.#sleep(this.#delay(failures));
        }
      } catch (err) {
        if (this.#stopped()) break;
        if (err instanceof KubeApiError && err.expired) {
          this.#stats.relists410 += 1;
          this.#needList = true;
          expiredInARow += 1;
          this.#log.info({ resourceVersion: this.#rv, err: errorMessage(err) }, 'resource version expired; relisting');
          // Relist at once, as client-go does, unless 410s keep coming.
          if (expiredInARow > 1) await this.#sleep(this.#delay(expiredInARow - 1));
          continue;
        }
        this.#stats.errors += 1;
        failures += 1;
        const delay = this.#delay(failures);
        this.#log.warn({ err, resourceVersion: this.#rv, retryInMs: delay, synced: this.#synced }, this.#needList ? 'informer list failed; retrying' : 'informer watch failed; retrying');
        this.#report(err);
        await this.#sleep(delay);
      }
    }
  }

  #delay(failures: number): number {
    const { initialMs, maxMs } = this.#backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(Math.min(maxMs, base * (0.75 + Math.random() * 0.5)));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#stop.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #resync(): void {
    if (!this.#synced || this.#needList || this.#stopped()) return;
    this.#needList = true;
    this.#watchAbort?.abort();
  }

  async #relist(): Promise<void> {
    this.#stats.lists += 1;
    const fresh = new Map<string, T>();
    const versions = new Map<string, string>();
    let resourceVersion: string;
    // Page by page, each page cut down by the transform before the next is fetched: a relist of 5,000
    // full pods (managedFields and all) would otherwise sit in memory at once.
    let cont = '';
    do {
      const page = await this.#api.list(this.resource, {
        ...(this.#options.namespace ? { namespace: this.#options.namespace } : {}),
        ...(this.#options.labelSelector ? { labelSelector: this.#options.labelSelector } : {}),
        ...(this.#options.fieldSelector ? { fieldSelector: this.#options.fieldSelector } : {}),
        limit: this.#options.pageSize ?? DEFAULT_PAGE_SIZE,
        continue: cont,
        signal: this.#stop.signal,
      });
      if (this.#stopped()) return;
      for (const item of page.items) {
        const key = this.#key(item.metadata.namespace, item.metadata.name);
        const obj = this.#transform(item);
        if (obj === undefined) continue;
        fresh.set(key, obj);
        versions.set(key, item.metadata.resourceVersion ?? '');
      }
      resourceVersion = page.resourceVersion;
      cont = page.continue ?? '';
    } while (cont);
    const list = { resourceVersion };
    const old = this.#cache;
    const oldVersions = this.#versions;
    this.#cache = fresh;
    this.#versions = versions;
    this.#rv = list.resourceVersion;
    this.#needList = false;
    for (const [key, obj] of fresh) {
      const prev = old.get(key);
      if (prev === undefined) this.#emit('add', obj);
      else if (oldVersions.get(key) !== versions.get(key) || !versions.get(key)) this.#emit('update', obj, prev);
      if (this.#options.slim) fresh.set(key, this.#options.slim(obj));
    }
    for (const [key, prev] of old) if (!fresh.has(key)) this.#emit('delete', prev);
    if (!this.#synced) {
      this.#synced = true;
      this.#log.debug({ objects: fresh.size, resourceVersion: this.#rv }, 'informer synced');
      this.#sync.resolve();
    }
  }

  async #watchOnce(): Promise<void> {
    const local = new AbortController();
    this.#watchAbort = local;
    this.#stats.watches += 1;
    const timeoutSeconds = Math.max(1, Math.round(this.#watchTimeoutSeconds * (0.8 + Math.random() * 0.4)));
    try {
      await this.#api.watch(
        this.resource,
        {
          ...(this.#options.namespace ? { namespace: this.#options.namespace } : {}),
          ...(this.#options.labelSelector ? { labelSelector: this.#options.labelSelector } : {}),
          ...(this.#options.fieldSelector ? { fieldSelector: this.#options.fieldSelector } : {}),
          resourceVersion: this.#rv,
          allowWatchBookmarks: true,
          timeoutSeconds,
          signal: AbortSignal.any([this.#stop.signal, local.signal]),
        },
        (event) => this.#onEvent(event),
      );
    } finally {
      this.#watchAbort = undefined;
    }
  }

  #onEvent(event: WatchEvent): void {
    // Events still in flight after stop() or a resync abort belong to a watch nobody follows any more.
    if (this.#stopped() || this.#needList) return;
    const raw = event.object;
    const rv = raw.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') {
      this.#stats.bookmarks += 1;
      if (rv) this.#rv = rv;
      return;
    }
    this.#stats.events += 1;
    const key = this.#key(raw.metadata.namespace, raw.metadata.name);
    const prev = this.#cache.get(key);
    if (event.type === 'DELETED') {
      if (prev !== undefined) {
        this.#cache.delete(key);
        this.#versions.delete(key);
        const last = this.#transform(raw) ?? prev;
        this.#emit('delete', last);
      }
    } else {
      const obj = this.#transform(raw);
      if (obj !== undefined) {
        this.#cache.set(key, obj);
        this.#versions.set(key, rv ?? '');
        if (prev === undefined) this.#emit('add', obj);
        else this.#emit('update', obj, prev);
        if (this.#options.slim) this.#cache.set(key, this.#options.slim(obj));
      }
    }
    if (rv) this.#rv = rv;
  }

  #transform(raw: KubeObject): T | undefined {
    const transform = this.#options.transform;
    if (!transform) return raw as unknown as T;
    try {
      return transform(raw);
    } catch (err) {
      this.#stats.handlerErrors += 1;
      this.#log.error({ err, name: raw.metadata.name, namespace: raw.metadata.namespace }, 'informer transform threw; object skipped');
      this.#report(err);
      return undefined;
    }
  }

  #emit(kind: 'add' | 'delete', obj: T): void;
  #emit(kind: 'update', obj: T, old: T): void;
  #emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const handler of this.#handlers) this.#call(handler, kind, obj, old);
  }

  #call(handler: InformerHandler<T>, kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    try {
      if (kind === 'add') handler.add?.(obj);
      else if (kind === 'update') handler.update?.(obj, old as T);
      else handler.delete?.(obj);
    } catch (err) {
      this.#stats.handlerErrors += 1;
      this.#log.error({ err, handler: kind, name: obj.metadata.name, namespace: obj.metadata.namespace }, 'informer handler threw');
    }
  }

  #report(err: unknown): void {
    try {
      this.#options.onError?.(err);
    } catch {
      // A failing error callback must not stop the loop either.
    }
  }
}
