/**
 * The three patch formats the API server accepts: JSON merge patch (RFC 7386), strategic merge patch
 * (lists of known fields merged by key, with the `$patch`, `$retainKeys`, `$setElementOrder` and
 * `$deleteFromPrimitiveList` directives) and JSON patch (RFC 6902). Pure functions over plain JSON.
 */
import { StatusError } from '../status-error.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export type PatchType = 'merge' | 'strategic' | 'json';

/** The patch type for a Content-Type, or undefined when the server does not accept it. */
export function patchTypeOf(contentType: string | undefined): PatchType | 'apply' | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  switch (media) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/json-patch+json':
      return 'json';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      return undefined;
  }
}

/**
 * Applies `patch` to `target` (not modified) and returns the result.
 * @throws StatusError 400 for a patch of the wrong shape, 422 for a JSON patch that cannot apply
 *   (missing path, failed `test`), as the real server answers.
 */
export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  switch (type) {
    case 'merge':
      if (!isObject(patch)) throw StatusError.badRequest('the merge patch must be a JSON object');
      return mergePatch(target as Json, patch);
    case 'strategic':
      if (!isObject(patch)) throw StatusError.badRequest('the strategic merge patch must be a JSON object');
      return strategicMerge(isObject(target) ? (target) : {}, patch, '');
    case 'json':
      if (!Array.isArray(patch)) throw StatusError.badRequest('the JSON patch must be an array of operations');
      return jsonPatch(target as Json, patch);
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

// ---- RFC 7386 ----

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

// ---- strategic merge ----

/**
 * Lists merged by a key in Kubernetes' built-in types (`patchMergeKey`). Keyed by field name; `ports`
 * means container ports (`containerPort`) or service ports (`port`) depending on what the items hold.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};
/** Lists of scalars merged as sets (`patchStrategy: merge`). */
const SET_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  if (field === 'ports') {
    const sample = items.find(isObject);
    if (!sample) return undefined;
    return 'containerPort' in sample ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

function strategicMerge(target: JsonObject, patch: JsonObject, path: string): JsonObject {
  if (patch['$patch'] === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest) as JsonObject;
  }
  if (patch['$patch'] === 'delete') return {};
  let out: JsonObject = { ...target };
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    const keep = new Set(retain.filter((k): k is string => typeof k === 'string'));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(v)) out[field] = current.filter((x) => !v.some((d) => d === x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (isObject(v)) {
      out[k] = strategicMerge(isObject(cur ?? null) ? (cur as JsonObject) : {}, v, `${path}.${k}`);
    } else if (Array.isArray(v)) {
      out[k] = mergeList(k, Array.isArray(cur) ? cur : [], v, `${path}.${k}`);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function mergeList(field: string, current: Json[], patch: Json[], path: string): Json[] {
  if (SET_LISTS.has(field) && patch.every((x) => !isObject(x))) {
    const out = [...current];
    for (const x of patch) if (!out.includes(x)) out.push(x);
    return out;
  }
  // A list-level `{$patch: replace}` item replaces the whole list with the other items.
  if (patch.some((x) => isObject(x) && x['$patch'] === 'replace' && Object.keys(x).length === 1)) {
    return patch.filter((x) => !(isObject(x) && x['$patch'] === 'replace')).map(stripDirectives);
  }
  const key = mergeKeyFor(field, [...patch, ...current]);
  if (!key || !patch.every(isObject)) return patch.map(stripDirectives);
  const out = current.map((x) => clone(x));
  for (const item of patch) {
    const id = item[key];
    if (id === undefined) throw StatusError.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((x) => isObject(x) && x[key] === id);
    if (item['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx] as JsonObject, item, `${path}[${key}=${JSON.stringify(id)}]`);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

// ---- RFC 6902 ----

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw StatusError.badRequest(`JSON pointer ${JSON.stringify(path)} must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function unprocessable(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

export function jsonPatch(target: Json, ops: unknown[]): Json {
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw StatusError.badRequest(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
    }
    const op = raw as unknown as Operation;
    switch (op.op) {
      case 'add':
        doc = put(doc, pointer(op.path), requireValue(op), 'add');
        break;
      case 'replace':
        get(doc, pointer(op.path), op.path);
        doc = put(doc, pointer(op.path), requireValue(op), 'replace');
        break;
      case 'remove':
        doc = remove(doc, pointer(op.path), op.path);
        break;
      case 'move': {
        const from = requireFrom(op);
        const value = get(doc, pointer(from), from);
        doc = remove(doc, pointer(from), from);
        doc = put(doc, pointer(op.path), value, 'add');
        break;
      }
      case 'copy': {
        const from = requireFrom(op);
        doc = put(doc, pointer(op.path), clone(get(doc, pointer(from), from)), 'add');
        break;
      }
      case 'test': {
        const actual = get(doc, pointer(op.path), op.path);
        if (JSON.stringify(actual) !== JSON.stringify(requireValue(op))) throw unprocessable(`the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        break;
      }
      default:
        throw StatusError.badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

function requireValue(op: Operation): Json {
  if (!('value' in op)) throw StatusError.badRequest(`JSON patch operation ${op.op} ${op.path} needs a value`);
  return op.value as Json;
}

function requireFrom(op: Operation): string {
  if (typeof op.from !== 'string') throw StatusError.badRequest(`JSON patch operation ${op.op} ${op.path} needs from`);
  return op.from;
}

function get(doc: Json, segs: string[], path: string): Json {
  let cur: Json = doc;
  for (const s of segs) {
    if (Array.isArray(cur)) {
      const i = Number(s);
      if (!/^\d+$/.test(s) || i >= cur.length) throw unprocessable(`jsonpatch: path ${path} does not exist`);
      cur = cur[i] as Json;
    } else if (isObject(cur) && s in cur) {
      cur = cur[s] as Json;
    } else {
      throw unprocessable(`jsonpatch: path ${path} does not exist`);
    }
  }
  return cur;
}

function put(doc: Json, segs: string[], value: Json, mode: 'add' | 'replace'): Json {
  if (segs.length === 0) return clone(value);
  const parentPath = segs.slice(0, -1);
  const last = segs[segs.length - 1] as string;
  const parent = get(doc, parentPath, `/${parentPath.join('/')}`);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (mode === 'replace' && i >= parent.length)) {
      throw unprocessable(`jsonpatch: index ${last} out of bounds`);
    }
    if (mode === 'add') parent.splice(i, 0, clone(value));
    else parent[i] = clone(value);
  } else if (isObject(parent)) {
    parent[last] = clone(value);
  } else {
    throw unprocessable(`jsonpatch: cannot add ${last} to a non-container value`);
  }
  return doc;
}

function remove(doc: Json, segs: string[], path: string): Json {
  if (segs.length === 0) throw unprocessable('jsonpatch: cannot remove the whole document');
  get(doc, segs, path);
  const parent = get(doc, segs.slice(0, -1), path);
  const last = segs[segs.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return doc;
}
