/**
 * Tolerant readers for the metric fields of Kubernetes objects (quantities, counters); the generic
 * ones (objects, lists, text, conditions) are in `../kube/read.ts`. Every reader answers `undefined`
 * for what it cannot read, so the callers can skip that field and count nothing for it instead of
 * throwing.
 */
import { parseQuantity } from '../kube/units.js';

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
