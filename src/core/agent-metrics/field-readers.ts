/**
 * Tolerant readers for Kubernetes objects as they arrive from a cache: typed as `KubeObject`, but a
 * field may be missing, mistyped or absurd (a hand-edited status, a buggy admission webhook, a proxy
 * truncating JSON). Every reader answers `undefined` for what it cannot read, so the callers can skip
 * that field and count nothing for it instead of throwing.
 */
import { parseQuantity } from '../kube/units.js';

/** `value` when it is a plain JSON object (not null, not an array), else undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `value` when it is an array, else an empty one, so a garbage list reads as "no items". */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : EMPTY;
}
const EMPTY: readonly unknown[] = Object.freeze([]);

/** `value` when it is a string of `min`..`max` characters, else undefined. */
export function asString(value: unknown, max: number, min = 1): string | undefined {
  return typeof value === 'string' && value.length >= min && value.length <= max ? value : undefined;
}

/**
 * A quantity in base units (cores, bytes) when it is well-formed, finite and not negative. Unlike
 * `cpuMillis`/`bytesOf`, which read malformed text as 0, this keeps "unreadable" apart from "0", so a
 * garbage limit is not mistaken for a declared one.
 */
export function readQuantity(value: unknown): number | undefined {
  const n = parseQuantity(value);
  return n !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A CPU quantity in millicores, unrounded (metrics-server reports nanocores); undefined when unreadable. */
export function readMillicores(value: unknown): number | undefined {
  const n = readQuantity(value);
  if (n === undefined) return undefined;
  const milli = n * 1000;
  return Number.isFinite(milli) ? milli : undefined;
}

/** A memory quantity in bytes, unrounded; undefined when unreadable. */
export function readBytes(value: unknown): number | undefined {
  return readQuantity(value);
}

/** A Kubernetes int32 counter (`restartCount`) when it is one, else undefined. */
export function readCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= INT32_MAX ? value : undefined;
}
const INT32_MAX = 2 ** 31 - 1;

/** The `status` of the condition of `type` in a `conditions` list, when it is a readable string. */
export function conditionStatus(conditions: unknown, type: string): string | undefined {
  for (const c of asArray(conditions)) {
    const cond = asRecord(c);
    if (cond?.['type'] === type) return asString(cond['status'], 4096);
  }
  return undefined;
}
