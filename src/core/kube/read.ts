/**
 * Tolerant readers for untyped Kubernetes JSON: a field of a `KubeObject` may be missing, mistyped or
 * absurd (a hand-edited status, a buggy admission webhook, a proxy truncating JSON, a simulator
 * scenario). Each reader answers an empty value or `undefined` for what it cannot read, never throws,
 * and takes exactly one value where it is meant for `.map(reader)`, so an index is never mistaken for
 * an option.
 */

/** The object type every reader hands out; fields stay `unknown` until a reader looks at them. */
export type JsonRecord = Record<string, unknown>;

const EMPTY_RECORD: Readonly<JsonRecord> = Object.freeze({});
const EMPTY_LIST: readonly unknown[] = Object.freeze([]);

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` when it is a plain JSON object, else undefined, for callers that tell "absent" apart. */
export function asRecord(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

/**
 * `value` when it is a plain JSON object, else one shared frozen empty object, so a chain of reads
 * (`record(record(o.spec).template).spec`) reads a garbage level as "no fields". Read-only: copy it
 * (`{ ...record(v) }`) before changing it.
 */
export function record(value: unknown): Readonly<JsonRecord> {
  return isRecord(value) ? value : EMPTY_RECORD;
}

/** `value` when it is an array, else one shared frozen empty array, so a garbage list reads as "no items". */
export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : EMPTY_LIST;
}

/** `value` when it is a non-empty string, else undefined; `text(v) ?? ''` when a string is needed. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `value` when it is a string of `min`..`max` characters, else undefined, for fields with a known bound. */
export function boundedText(value: unknown, max: number, min = 1): string | undefined {
  return typeof value === 'string' && value.length >= min && value.length <= max ? value : undefined;
}

/**
 * A scalar as printed text: a string as it is (even ''), a number or boolean through `String`, else
 * undefined, so the caller decides how objects and absent fields print.
 */
export function scalarText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** `value` when it is a finite number, else undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The first object in a `conditions` list whose `type` is `type`, else undefined. */
export function condition(conditions: unknown, type: string): JsonRecord | undefined {
  for (const c of list(conditions)) if (isRecord(c) && c['type'] === type) return c;
  return undefined;
}
