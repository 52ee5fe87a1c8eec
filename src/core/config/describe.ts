/**
 * Walks the configuration schema to list every key with its default, description and environment
 * variable. Used for environment overrides, `aetherius config docs` and docs/configuration.md.
 */
import type { z } from 'zod';
import { configSchema } from './schema.js';

export type ConfigKeyKind = 'string' | 'number' | 'boolean' | 'duration' | 'enum' | 'list';

export interface ConfigKey {
  /** Dotted path, e.g. `bus.tls.ca_file`. */
  path: string;
  segments: string[];
  env: string;
  kind: ConfigKeyKind;
  /** The default as written in YAML (`30s`, `info`, `""`). */
  default: unknown;
  description: string;
  secret: boolean;
  options?: readonly string[];
}

export const ENV_PREFIX = 'AETHERIUS_';

/** The environment variable for a key path: `bus.tls.ca_file` → `AETHERIUS_BUS_TLS_CA_FILE`. */
export function envNameFor(segments: readonly string[]): string {
  return ENV_PREFIX + segments.join('_').toUpperCase();
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
  entries?: Record<string, string>;
}

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function metaOf(schema: z.ZodType): Record<string, unknown> {
  return (schema.meta()) ?? {};
}

function leafKind(schema: z.ZodType): { kind: ConfigKeyKind; options?: string[] } {
  let s: z.ZodType | undefined = schema;
  while (s) {
    const d = def(s);
    switch (d.type) {
      case 'default':
      case 'prefault':
      case 'optional':
        s = d.innerType;
        continue;
      case 'pipe':
        s = d.in;
        continue;
      case 'boolean':
        return { kind: 'boolean' };
      case 'number':
        return { kind: 'number' };
      case 'enum':
        return { kind: 'enum', options: Object.values(d.entries ?? {}) };
      case 'array':
        return { kind: 'list' };
      default:
        return { kind: 'string' };
    }
  }
  return { kind: 'string' };
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType | undefined = schema;
  while (s) {
    const d = def(s);
    if (d.type === 'object') return d.shape;
    if (d.type === 'prefault' || d.type === 'default' || d.type === 'optional') {
      s = d.innerType;
      continue;
    }
    return undefined;
  }
  return undefined;
}

function collect(shape: Record<string, z.ZodType>, prefix: string[], out: ConfigKey[]): void {
  for (const [name, schema] of Object.entries(shape)) {
    const segments = [...prefix, name];
    const nested = objectShape(schema);
    if (nested) {
      collect(nested, segments, out);
      continue;
    }
    const meta = metaOf(schema);
    const d = def(schema);
    const { kind, options } = leafKind(schema);
    out.push({
      path: segments.join('.'),
      segments,
      env: envNameFor(segments),
      kind: meta['kind'] === 'duration' ? 'duration' : kind,
      default: d.type === 'default' || d.type === 'prefault' ? d.defaultValue : undefined,
      description: typeof meta['description'] === 'string' ? meta['description'] : '',
      secret: meta['secret'] === true,
      ...(options ? { options } : {}),
    });
  }
}

/** Every configuration key, in schema order. */
export const CONFIG_KEYS: readonly ConfigKey[] = (() => {
  const out: ConfigKey[] = [];
  collect(objectShape(configSchema) ?? {}, [], out);
  return Object.freeze(out);
})();

/** The names of the top-level sections and keys, and of every nested section, by dotted parent path. */
export function knownChildren(parentPath: string): string[] {
  const depth = parentPath === '' ? 0 : parentPath.split('.').length;
  const names = new Set<string>();
  for (const key of CONFIG_KEYS) {
    if (parentPath === '' || key.path.startsWith(parentPath + '.')) {
      const seg = key.segments[depth];
      if (seg !== undefined) names.add(seg);
    }
  }
  return [...names];
}

/** Markdown reference of every key (docs/configuration.md embeds it). */
export function configReferenceMarkdown(): string {
  const rows = CONFIG_KEYS.map((k) => {
    const def = k.default === undefined ? '' : k.default === '' ? '`""`' : `\`${showValue(k.default)}\``;
    const kind = k.kind === 'enum' && k.options ? `one of ${k.options.map((o) => `\`${o}\``).join(', ')}` : k.kind === 'list' ? 'list (env: comma-separated)' : k.kind;
    return `| \`${k.path}\` | ${def} | \`${k.env}\` | ${kind} | ${k.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| key | default | environment variable | type | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

function showValue(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}
