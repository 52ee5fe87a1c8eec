/**
 * The opaque cursor of an event page: the sort key `(timestamp, id)` of the last event returned, as
 * base64url JSON. Callers treat it as a token; only this module reads it.
 */
import { InputError } from '../../contracts/index.js';

export interface EventCursor {
  /** ISO 8601 UTC timestamp of the last event on the previous page. */
  timestamp: string;
  id: string;
}

const CURSOR_VERSION = 1;
const MAX_CURSOR_CHARS = 2048;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeEventCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, cursor.timestamp, cursor.id]), 'utf8').toString('base64url');
}

/**
 * Reads a cursor made by `encodeEventCursor`.
 * @throws InputError (field `cursor`) when the text is not such a cursor.
 */
export function decodeEventCursor(text: string): EventCursor {
  const invalid = (why: string) =>
    new InputError(`invalid cursor: ${why}; pass the next_cursor of a previous page unchanged`, [
      { path: 'cursor', message: `is not a cursor returned by a previous page (${why})` },
    ]);
  if (text.length === 0 || text.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid('not base64url');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not JSON');
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== CURSOR_VERSION) throw invalid('unknown format');
  const [, timestamp, id] = value as unknown[];
  if (typeof timestamp !== 'string' || !ISO_UTC.test(timestamp) || Number.isNaN(Date.parse(timestamp))) throw invalid('bad timestamp');
  if (typeof id !== 'string' || id.length === 0) throw invalid('bad id');
  return { timestamp, id };
}
