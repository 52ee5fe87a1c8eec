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

/** The InputError of a cursor that is not one: `of` names the list, when the cursor has one. */
export function invalidCursor(why: string, of?: string): InputError {
  return new InputError(`invalid cursor: ${why}; pass the next_cursor of a previous page unchanged`, [
    { path: 'cursor', message: `is not a cursor returned by a previous page${of ? ` of ${of}` : ''} (${why})` },
  ]);
}

/**
 * The fields of a cursor (base64url JSON `[version, ...fields]`), after the checks every cursor needs.
 * @throws InputError (field `cursor`) when the text is not base64url JSON of this version with `fields` fields.
 */
export function cursorFields(text: string, fields: number, of?: string): unknown[] {
  if (text.length === 0 || text.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalidCursor('not base64url', of);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('not JSON', of);
  }
  if (!Array.isArray(value) || value.length !== fields + 1 || value[0] !== CURSOR_VERSION) throw invalidCursor('unknown format', of);
  return value.slice(1) as unknown[];
}

/**
 * Reads a cursor made by `encodeEventCursor`.
 * @throws InputError (field `cursor`) when the text is not such a cursor.
 */
export function decodeEventCursor(text: string): EventCursor {
  const [timestamp, id] = cursorFields(text, 2);
  if (typeof timestamp !== 'string' || !ISO_UTC.test(timestamp) || Number.isNaN(Date.parse(timestamp))) throw invalidCursor('bad timestamp');
  if (typeof id !== 'string' || id.length === 0) throw invalidCursor('bad id');
  return { timestamp, id };
}
