/**
 * What both SQL adapters share: one error conversion, one set of type parsers (so `pg` and PGlite return
 * rows of the same shape), and small helpers for parameters and time bounds.
 */
import pg from 'pg';
import {
  AetheriusError,
  ConflictError,
  InputError,
  StoreError,
  TimeoutError,
  UnavailableError,
  errorMessage,
} from '../../contracts/index.js';
import type { SqlClient } from './store.js';

// ---- type parsing --------------------------------------------------------------------------------

const OID_INT8 = 20;
const OID_TIMESTAMP = 1114;
const OID_TIMESTAMPTZ = 1184;

const parseDate = pg.types.getTypeParser(OID_TIMESTAMPTZ, 'text') as (text: string) => Date | number;
const parseTimestamp = pg.types.getTypeParser(OID_TIMESTAMP, 'text') as (text: string) => Date | number;

function isoFrom(value: Date | number, text: string): string {
  // `infinity` parses to a number (or an invalid Date); neither has an ISO form, so keep PostgreSQL's text.
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  return text;
}

/**
 * Text-format parsers applied by both adapters, by type OID. Timestamps come back as ISO 8601 strings in
 * UTC with milliseconds (`2025-09-30T10:15:30.000Z`), `bigint` (e.g. `count(*)`) as a number. `json`/`jsonb`
 * keep each driver's default (`JSON.parse`), which is the same in both.
 */
export const TYPE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = Object.freeze({
  [OID_INT8]: (text: string) => Number(text),
  [OID_TIMESTAMPTZ]: (text: string) => isoFrom(parseDate(text), text),
  // `timestamp without time zone` is read as UTC; the schema itself only uses timestamptz.
  [OID_TIMESTAMP]: (text: string) => isoFrom(parseTimestamp(`${text}+00`), text),
});

/** The same parsers in the shape `pg` wants (`types` option of a client or pool). */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const parser = TYPE_PARSERS[oid];
    if (parser && format !== 'binary') return parser;
    const fallback: unknown = format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
    return fallback;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

// ---- parameters ------------------------------------------------------------------------------------

/**
 * A `jsonb` parameter. Always pass JSON text and cast (`$1::jsonb`): `pg` would send a JS array as a
 * PostgreSQL array, not as JSON. `undefined` and `null` become SQL NULL.
 */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Removes keys whose value is `null` or `undefined` (optional wire fields are absent, never null). */
export function withoutNulls<T extends object>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

// ---- errors ------------------------------------------------------------------------------------------

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** SQLSTATEs that mean "the server cannot serve you now" rather than "your statement is wrong". */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

function field(err: unknown, name: string): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const v = (err as Record<string, unknown>)[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Converts a driver error (from `pg` or PGlite) into the semantic error callers handle, once, keeping the
 * original as `cause`. An error that is already an `AetheriusError` is returned unchanged.
 *
 * - `23505` unique violation → `ConflictError`
 * - `57014` query canceled (statement_timeout) → `TimeoutError`
 * - other class `22` (data exception) and `23` (integrity) → `InputError`
 * - connection failures (`08xxx`, shutdown, too many connections, socket errors) and everything else → `StoreError`
 *
 * @param context what was being done, e.g. `insert events`; starts the message.
 */
export function toStoreError(err: unknown, context: string): AetheriusError {
  if (err instanceof AetheriusError) return err;
  const code = field(err, 'code');
  const detail = field(err, 'detail');
  const message = errorMessage(err);
  const text = detail ? `${message} (${detail})` : message;
  if (code === '23505') return new ConflictError(`${context}: ${text}`, { cause: err });
  if (code === '57014') return new TimeoutError(`${context}: statement timed out: ${message}`, { cause: err });
  if (code !== undefined && code.length === 5 && (code.startsWith('22') || code.startsWith('23'))) {
    const column = field(err, 'column') ?? field(err, 'constraint') ?? 'value';
    return new InputError(`${context}: rejected by the database: ${text}`, [{ path: column, message }], { cause: err });
  }
  if (code !== undefined && (CONNECTION_ERROR_CODES.has(code) || isUnavailableSqlState(code))) {
    return new StoreError(`${context}: database unavailable: ${message}`, { cause: err });
  }
  return new StoreError(`${context}: ${message}`, { cause: err });
}

// ---- transactions --------------------------------------------------------------------------------------

let savepointSeq = 0;

/**
 * A nested `transaction()` on a transaction client: a savepoint, released on success and rolled back to on
 * failure, so the outer transaction survives an inner failure the caller handles.
 */
export async function inSavepoint<T>(tx: SqlClient, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  const name = `aetherius_sp_${++savepointSeq}`;
  await tx.exec(`SAVEPOINT ${name}`);
  try {
    const result = await fn(tx);
    await tx.exec(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await tx.exec(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}

// ---- time bounds --------------------------------------------------------------------------------------

/**
 * Resolves like `promise`, or rejects with `UnavailableError` after `ms`. The underlying work is not
 * cancelled; use it where a late answer is harmless (readiness probes).
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `postgres://user:secret@host:5432/db` → `postgres://host:5432/db`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}
