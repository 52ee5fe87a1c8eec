/**
 * The simulator's etcd: every object, a global resourceVersion, and a bounded change history that
 * watches replay from. Synchronous and single-threaded, so controllers see a consistent world.
 * Everything handed out is a copy: nobody can change a stored object except through the store.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, KubeObjectInput } from '../../core/kube/kube-types.js';
import type { Clock } from '../clock.js';
import { StatusError } from '../status-error.js';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from './selectors.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface Change {
  rv: number;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** The object before a MODIFIED or DELETED change. */
  previous: KubeObject | undefined;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Page size; 0 or undefined = everything. */
  limit?: number;
  /** Token from a previous page. */
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Absent, '' or '0': start with ADDED for every current object. Otherwise replay changes after it. */
  resourceVersion?: string;
}

export interface ObjectStoreOptions {
  clock: Clock;
  /** Changes kept for watches to resume from; older versions answer 410 Gone. Default 10 000. */
  historyLimit?: number;
  /**
   * Told when a subscriber or watch callback throws. The change is stored and every other listener
   * still receives it, so one broken controller cannot stop the rest. Default: ignored.
   */
  onListenerError?: (err: unknown, change: Change) => void;
}

export const DEFAULT_HISTORY_LIMIT = 10_000;

/** Which resources have a status subresource: a main update keeps status, a status update keeps the rest. */
export interface ResourceInfo {
  key: string;
  kind: string;
  group: string;
  namespaced: boolean;
  hasStatus: boolean;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class ObjectStore {
  readonly #clock: Clock;
  readonly #historyLimit: number;
  readonly #onListenerError: (err: unknown, change: Change) => void;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #history: Change[] = [];
  readonly #listeners = new Set<(c: Change) => void>();
  #rv = 1;
  #nameSeq = 0;

  constructor(options: ObjectStoreOptions) {
    this.#clock = options.clock;
    this.#historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  /** The current resourceVersion. */
  resourceVersion(): string {
    return String(this.#rv);
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.#bucket(info.key).get(objKey(info.namespaced ? namespace : undefined, name));
    return obj ? structuredClone(obj) : undefined;
  }

  /** @throws StatusError 404 */
  mustGet(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const obj = this.get(info, namespace, name);
    if (!obj) throw StatusError.notFound(info.key.split('.')[0] ?? info.key, name, info.group);
    return obj;
  }

  list(info: ResourceInfo, options: ListOptions = {}): ListResult {
    const all = [...this.#bucket(info.key)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let start = 0;
    if (options.continue) {
      const after = decodeContinue(options.continue);
      start = all.findIndex(([k]) => k > after);
      if (start < 0) start = all.length;
    }
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let i = start;
    for (; i < all.length; i++) {
      const [k, obj] = all[i] as [string, KubeObject];
      if (!this.#matches(info, obj, options)) continue;
      if (options.limit && items.length >= options.limit) break;
      items.push(structuredClone(obj));
      lastKey = k;
    }
    const result: ListResult = { items, resourceVersion: this.resourceVersion() };
    if (options.limit && i < all.length && lastKey !== undefined) {
      const remaining = all.slice(i).filter(([, o]) => this.#matches(info, o, options)).length;
      if (remaining > 0) {
        result.continue = encodeContinue(lastKey);
        result.remainingItemCount = remaining;
      }
    }
    return result;
  }

  /**
   * Creates an object: assigns uid, resourceVersion, creationTimestamp, a name from `generateName`.
   * @throws StatusError 409 AlreadyExists, 422 Invalid, 404 when its namespace does not exist.
   */
  create(info: ResourceInfo, input: KubeObjectInput): KubeObject {
    const meta = { ...(input.metadata ?? {}) };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${this.#suffix()}`;
    const name = meta.name ?? '';
    if (!name) throw StatusError.invalid(info.kind, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }], info.group);
    if (!NAME.test(name) || name.length > 253) {
      throw StatusError.invalid(info.kind, name, [{ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` }], info.group);
    }
    const namespace = info.namespaced ? meta.namespace || 'default' : undefined;
    if (namespace !== undefined && info.key !== 'namespaces' && !this.#bucket('namespaces').has(objKey(undefined, namespace))) {
      throw StatusError.notFound('namespaces', namespace);
    }
    const bucket = this.#bucket(info.key);
    const k = objKey(namespace, name);
    if (bucket.has(k)) throw StatusError.alreadyExists(info.key.split('.')[0] ?? info.key, name, info.group);
    const rv = ++this.#rv;
    const obj: KubeObject = {
      ...structuredClone(input),
      metadata: {
        ...structuredClone(meta),
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: String(rv),
        creationTimestamp: this.#clock.isoNow(),
        ...(hasSpec(input) ? { generation: 1 } : {}),
      },
    } as KubeObject;
    if (!info.namespaced) delete obj.metadata.namespace;
    bucket.set(k, obj);
    this.#record({ rv, key: info.key, type: 'ADDED', object: obj, previous: undefined });
    return structuredClone(obj);
  }

  /**
   * Replaces an object (or only its status with `subresource: 'status'`). A `metadata.resourceVersion`
   * in the input must match the stored one.
   * @throws StatusError 404, 409 Conflict.
   */
  update(info: ResourceInfo, input: KubeObject, options: { subresource?: 'status' } = {}): KubeObject {
    const namespace = info.namespaced ? input.metadata.namespace || 'default' : undefined;
    const bucket = this.#bucket(info.key);
    const k = objKey(namespace, input.metadata.name);
    const current = bucket.get(k);
    if (!current) throw StatusError.notFound(info.key.split('.')[0] ?? info.key, input.metadata.name, info.group);
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw StatusError.conflict(info.key.split('.')[0] ?? info.key, input.metadata.name, info.group);
    }
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...structuredClone(current), status: structuredClone(input['status']) };
    } else {
      next = { ...structuredClone(input), metadata: { ...structuredClone(input.metadata) } };
      // Identity and server-owned fields never change through an update.
      next.metadata.uid = current.metadata.uid;
      next.metadata.creationTimestamp = current.metadata.creationTimestamp;
      // A deletion under way cannot be undone by an update.
      if (current.metadata.deletionTimestamp && !next.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
        if (current.metadata.deletionGracePeriodSeconds !== undefined) next.metadata.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
      }
      if (namespace !== undefined) next.metadata.namespace = namespace;
      if (info.hasStatus) {
        if (current['status'] === undefined) delete next['status'];
        else next['status'] = structuredClone(current['status']);
      }
      const specChanged = JSON.stringify(specOf(current)) !== JSON.stringify(specOf(next));
      const generation = current.metadata.generation;
      if (generation !== undefined) next.metadata.generation = specChanged ? generation + 1 : generation;
    }
    if (JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: '' } }) === JSON.stringify({ ...current, metadata: { ...current.metadata, resourceVersion: '' } })) {
      return structuredClone(current); // no-op updates do not bump the version, as on a real server
    }
    const rv = ++this.#rv;
    next.metadata.resourceVersion = String(rv);
    bucket.set(k, next);
    this.#record({ rv, key: info.key, type: 'MODIFIED', object: next, previous: current });
    return structuredClone(next);
  }

  /** Reads, changes and writes back in one step (no conflict possible: the store is single-threaded). */
  mutate(info: ResourceInfo, namespace: string | undefined, name: string, fn: (obj: KubeObject) => void, options: { subresource?: 'status' } = {}): KubeObject {
    const obj = this.mustGet(info, namespace, name);
    fn(obj);
    obj.metadata.resourceVersion = '';
    return this.update(info, obj, options);
  }

  /** @throws StatusError 404 */
  delete(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const ns = info.namespaced ? namespace || 'default' : undefined;
    const bucket = this.#bucket(info.key);
    const k = objKey(ns, name);
    const current = bucket.get(k);
    if (!current) throw StatusError.notFound(info.key.split('.')[0] ?? info.key, name, info.group);
    bucket.delete(k);
    const rv = ++this.#rv;
    const tombstone = { ...structuredClone(current), metadata: { ...structuredClone(current.metadata), resourceVersion: String(rv) } };
    this.#record({ rv, key: info.key, type: 'DELETED', object: tombstone, previous: current });
    return structuredClone(tombstone);
  }

  /**
   * Streams changes of one resource to `send`, as a Kubernetes watch does: objects moving into or out
   * of the selectors arrive as ADDED / DELETED.
   * @throws StatusError 410 when `resourceVersion` is older than the retained history.
   */
  watch(info: ResourceInfo, options: WatchOptions, send: (e: WatchEvent) => void): () => void {
    const rvText = options.resourceVersion ?? '';
    if (rvText === '' || rvText === '0') {
      for (const obj of this.list(info, options).items) send({ type: 'ADDED', object: obj });
    } else {
      const from = Number(rvText);
      if (!Number.isInteger(from) || from < 0) throw StatusError.badRequest(`invalid resourceVersion ${JSON.stringify(rvText)}`);
      const oldest = this.#history[0]?.rv ?? this.#rv + 1;
      if (from < oldest - 1 && from < this.#rv) throw StatusError.gone(`too old resource version: ${from} (${oldest - 1})`);
      for (const change of this.#history) if (change.rv > from && change.key === info.key) this.#deliver(info, options, change, send);
    }
    const listener = (change: Change) => {
      if (change.key === info.key) this.#deliver(info, options, change, send);
    };
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every change of every resource, from now on (controllers). Objects are copies. */
  subscribe(fn: (change: Change) => void): () => void {
    const listener = (c: Change) => fn({ ...c, object: structuredClone(c.object), previous: c.previous && structuredClone(c.previous) });
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops history so that versions up to the current one answer 410 (tests of relist after Gone). */
  compact(): void {
    this.#history.length = 0;
  }

  #deliver(info: ResourceInfo, options: WatchOptions, change: Change, send: (e: WatchEvent) => void): void {
    const now = this.#matches(info, change.object, options);
    const before = change.previous !== undefined && this.#matches(info, change.previous, options);
    let type: WatchEvent['type'] | undefined;
    if (change.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (change.type === 'DELETED') type = before || now ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) send({ type, object: structuredClone(change.object) });
  }

  #matches(info: ResourceInfo, obj: KubeObject, options: { namespace?: string; labelSelector?: LabelSelector; fieldSelector?: FieldSelector }): boolean {
    if (info.namespaced && options.namespace && obj.metadata.namespace !== options.namespace) return false;
    if (options.labelSelector?.length && !matchesLabels(options.labelSelector, obj.metadata.labels)) return false;
    if (options.fieldSelector?.length && !matchesFields(options.fieldSelector, obj)) return false;
    return true;
  }

  #record(change: Change): void {
    this.#history.push(change);
    if (this.#history.length > this.#historyLimit) this.#history.splice(0, this.#history.length - this.#historyLimit);
    for (const l of [...this.#listeners]) {
      try {
        l(change);
      } catch (err) {
        try {
          this.#onListenerError(err, change);
        } catch {
          // A failing error reporter must not stop delivery either.
        }
      }
    }
  }

  #bucket(key: string): Map<string, KubeObject> {
    let b = this.#objects.get(key);
    if (!b) {
      b = new Map();
      this.#objects.set(key, b);
    }
    return b;
  }

  #suffix(): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let n = ++this.#nameSeq * 7919 + this.#rv;
    let s = '';
    for (let i = 0; i < 5; i++) {
      s += alphabet[n % alphabet.length];
      n = Math.floor(n / alphabet.length) + i * 31;
    }
    return s;
  }
}

function objKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function hasSpec(obj: KubeObjectInput): boolean {
  return obj['spec'] !== undefined;
}

function specOf(obj: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  return rest;
}

function encodeContinue(lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: lastKey })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number; k?: unknown };
    if (parsed.v === 1 && typeof parsed.k === 'string') return parsed.k;
  } catch {
    // fall through
  }
  throw StatusError.badRequest('continue key is not valid: it must come from a previous list response');
}
