/**
 * Turns a YAML document and the environment into a validated, frozen `Config`, reporting every problem
 * at once with its key path, the bad value and where it came from (file line or environment variable).
 */
import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import { ConfigError, type ValidationIssue } from '../../contracts/index.js';
import { configSchema, type Config } from './schema.js';
import { CONFIG_KEYS, ENV_PREFIX, knownChildren, type ConfigKey } from './describe.js';
import { didYouMean } from '../text.js';

export interface ResolveConfigInput {
  /** YAML text of the config file, if any. */
  yamlText?: string;
  /** Shown in messages, e.g. the file path. */
  source?: string;
  /** Environment variables (only `AETHERIUS_*` are read). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedConfig {
  config: Config;
  /** Problems that do not stop start-up (e.g. an unknown AETHERIUS_* variable). */
  warnings: string[];
  /** Where each set key came from: `file:12` or the variable name. */
  origins: Record<string, string>;
}

/** Environment variables with this prefix belong to tooling, not to the configuration. */
const ENV_IGNORED = ['AETHERIUS_TEST_', 'AETHERIUS_CONFIG'];

/**
 * @throws ConfigError listing every problem (YAML syntax, unknown keys, bad values).
 */
export function resolveConfig(input: ResolveConfigInput = {}): ResolvedConfig {
  const source = input.source ?? 'config';
  const issues: ValidationIssue[] = [];
  const warnings: string[] = [];
  const origins: Record<string, string> = {};
  const lineCounter = new LineCounter();

  let raw: Record<string, unknown> = {};
  let doc: Document | undefined;
  if (input.yamlText !== undefined && input.yamlText.trim() !== '') {
    doc = parseDocument(input.yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
    for (const err of doc.errors) {
      const pos = lineCounter.linePos(err.pos[0]);
      issues.push({ path: '(file)', message: `${source}:${pos.line}:${pos.col}: YAML syntax error: ${err.message.split('\n')[0] ?? ''}` });
    }
    if (doc.errors.length === 0) {
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) raw = {};
      else if (typeof value !== 'object' || Array.isArray(value)) issues.push({ path: '(root)', message: `${source}: must be a mapping of keys to values` });
      else raw = value as Record<string, unknown>;
      if (isMap(doc.contents)) recordOrigins(doc, lineCounter, source, origins);
    }
  }

  const env = input.env ?? {};
  const keysByEnv = new Map(CONFIG_KEYS.map((k) => [k.env, k]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    if (ENV_IGNORED.some((p) => name.startsWith(p))) continue;
    const key = keysByEnv.get(name);
    if (!key) {
      warnings.push(`unknown environment variable ${name} is ignored${suggest(name, [...keysByEnv.keys()])}`);
      continue;
    }
    setIn(raw, key.segments, coerceEnv(key, value));
    origins[key.path] = name;
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const segments = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        const parent = segments.join('.');
        for (const k of issue.keys) {
          const path = parent ? `${parent}.${k}` : k;
          issues.push({ path, message: `unknown key${where(origins[path])}${suggest(k, knownChildren(parent))}` });
        }
        continue;
      }
      const path = segments.join('.') || '(root)';
      const key = CONFIG_KEYS.find((k) => k.path === path);
      const got = getIn(raw, segments);
      const shown = key?.secret ? '"[redacted]"' : JSON.stringify(got);
      const expected = key?.kind === 'enum' && key.options ? ` (one of ${key.options.join(', ')})` : '';
      issues.push({ path, message: `${issue.message}${expected} (got ${shown ?? 'nothing'})${where(origins[path])}` });
    }
  }

  if (issues.length) {
    throw new ConfigError(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
      issues,
    );
  }
  if (result.data === undefined) throw new ConfigError('invalid configuration', issues);
  return { config: deepFreeze(result.data), warnings, origins };
}

function where(origin: string | undefined): string {
  return origin ? ` [from ${origin}]` : '';
}

function recordOrigins(doc: Document, lc: LineCounter, source: string, out: Record<string, string>): void {
  for (const key of CONFIG_KEYS) {
    for (let depth = 1; depth <= key.segments.length; depth++) {
      const segs = key.segments.slice(0, depth);
      const node = doc.getIn(segs, true) as { range?: [number, number, number] } | undefined;
      if (node && (isScalar(node) || depth < key.segments.length) && node.range) {
        out[segs.join('.')] = `${source}:${lc.linePos(node.range[0]).line}`;
      }
    }
  }
  // Unknown keys too, so their messages can point at a line.
  const walk = (node: unknown, prefix: string[]) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (k === undefined) continue;
      const path = [...prefix, k];
      const range = (pair.key as { range?: [number, number, number] }).range;
      if (range && !out[path.join('.')]) out[path.join('.')] = `${source}:${lc.linePos(range[0]).line}`;
      walk(pair.value, path);
    }
  };
  walk(doc.contents, []);
}

function coerceEnv(key: ConfigKey, value: string): unknown {
  switch (key.kind) {
    case 'boolean': {
      const v = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      return value;
    }
    case 'number': {
      const n = Number(value.trim());
      return value.trim() !== '' && Number.isFinite(n) ? n : value;
    }
    case 'list':
      return value.trim() === '' ? [] : value.split(',').map((v) => v.trim());
    default:
      return value;
  }
}

function setIn(target: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let cur = target;
  segments.forEach((seg, i) => {
    if (i === segments.length - 1) {
      cur[seg] = value;
      return;
    }
    const next = cur[seg];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  });
}

function getIn(target: unknown, segments: readonly string[]): unknown {
  let cur: unknown = target;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function suggest(word: string, candidates: readonly string[]): string {
  const best = didYouMean(word, candidates);
  return best === undefined ? '' : ` (did you mean '${best}'?)`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A copy of the config safe to print: secrets and URL passwords replaced. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const key of CONFIG_KEYS) {
    const v = getIn(copy, key.segments);
    if (key.secret && v) setIn(copy, key.segments, '[redacted]');
    else if (typeof v === 'string' && /:\/\/[^/\s:@]+:[^@\s]+@/.test(v)) setIn(copy, key.segments, v.replace(/(:\/\/[^/\s:@]+:)[^@\s]+@/g, '$1[redacted]@'));
  }
  return copy;
}
