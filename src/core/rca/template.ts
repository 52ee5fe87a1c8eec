/**
 * Evidence and step templates: `{field}` is replaced by the field's value; a `[...]` part is kept
 * only when every field it names has a value, so "exit code {exit_code}[, {restarts} restarts in
 * {span}]" reads well whether or not the span is known; brackets around no placeholder are literal.
 * A field without a value outside brackets prints `?`.
 */
import type { FieldValue } from './types.js';

const PLACEHOLDER = /\{([a-z][a-z0-9_]*)\}/g;
const OPTIONAL = /\[([^[\]]*)\]/g;

function has(fields: Readonly<Record<string, FieldValue>>, name: string): boolean {
  const v = fields[name];
  return v !== undefined && v !== '';
}

export function renderTemplate(template: string, fields: Readonly<Record<string, FieldValue>>): string {
  const withOptional = template.replace(OPTIONAL, (_, inner: string) => {
    const names = [...inner.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
    // Brackets without a placeholder are literal (a JSONPath `[*]`, a JSON array).
    if (names.length === 0) return `[${inner}]`;
    return names.every((n) => has(fields, n)) ? inner : '';
  });
  return withOptional.replace(PLACEHOLDER, (_, name: string) => (has(fields, name) ? String(fields[name]) : '?')).replace(/\s{2,}/g, ' ').trim();
}

/** Field names a template uses, for validation. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}
