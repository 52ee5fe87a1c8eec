import { z } from 'zod';

/** Version of every wire message defined here. Bump on a breaking change; consumers reject others. */
export const SCHEMA_VERSION = 1;

export const schemaVersion = z.literal(SCHEMA_VERSION, {
  error: (issue) =>
    issue.input === undefined
      ? 'is required'
      : `unsupported schema_version ${String(JSON.stringify(issue.input)).slice(0, 32)}; this build speaks ${SCHEMA_VERSION}`,
});

/** RFC 3339 timestamp with a zone, e.g. `2025-09-30T10:15:30Z`. */
export const timestamp = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp such as 2025-09-30T10:15:30Z' });

/** A duration as Go and Kubernetes write it: `30s`, `1m30s`, `2.5s`, `500ms`, `1h`. */
export const DURATION_PATTERN = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
export const duration = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(DURATION_PATTERN, 'must be a duration such as 30s, 1m30s or 500ms');

/**
 * Cluster ids appear inside NATS subjects, so they are restricted to a safe token: letters, digits,
 * `-` and `_`, 1–63 characters, starting with a letter or digit. No dots, spaces or wildcards.
 */
export const CLUSTER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const clusterId = z
  .string()
  .regex(CLUSTER_ID_PATTERN, 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit (it is used in NATS subjects)');

/** Non-empty identifier with a sane length bound. */
export const id = z.string().min(1, 'must not be empty').max(253, 'must be at most 253 characters');

export const severity = z.enum(['critical', 'high', 'medium', 'low']);
export type Severity = z.infer<typeof severity>;
export const SEVERITIES = severity.options;

/** Labels, annotations, conditions: keys as long as a qualified Kubernetes label key, values bounded. */
export const stringMap = z.record(z.string().max(317), z.string().max(4096));

/**
 * Converts a Go-style duration string to milliseconds.
 * @throws RangeError when the text is not a duration.
 */
export function parseDuration(text: string): number {
  if (!DURATION_PATTERN.test(text)) throw new RangeError(`not a duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    const value = Number(m[1]);
    total += value * (UNIT_MS[m[2] as keyof typeof UNIT_MS] ?? 0);
  }
  return total;
}

/**
 * Formats milliseconds the way Go prints durations: `2.5s`, `1m30s`, `0s`; below a second in
 * milliseconds (`150ms`, `0.5ms`). Whole seconds and up keep millisecond precision. A negative value
 * prints with a sign (`-1m30s`) for display only: wire durations are never negative.
 * @throws RangeError when `ms` is NaN or infinite.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite duration: ${ms}`);
  // Round once, in integers, so 59999.9999 ms carries to 1m0s instead of printing 60s.
  const us = Math.round(Math.abs(ms) * 1000);
  if (us === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  if (us < 1_000_000) return `${sign}${us / 1000}ms`;
  const whole = Math.round(us / 1000);
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const s = (whole % 60_000) / 1000;
  let out = sign;
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  out += `${s}s`;
  return out;
}

const UNIT_MS = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
