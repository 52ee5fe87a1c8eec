/**
 * The opaque cursor of a list ordered by one text key (agents by `agent_id`, clusters by `id`): the key
 * of the last item returned and the list it belongs to, as base64url JSON. Callers treat it as a token;
 * only this module reads it. (Events sort by two columns and have their own, event-cursor.ts.)
 */
import { InputError } from '../../contracts/index.js';
import { cursorFields, invalidCursor } from './event-cursor.js';

export type KeyCursorList = 'agents' | 'clusters';

const CURSOR_VERSION = 1;
/** Page sizes: 1–1000, 100 unless asked. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function encodeKeyCursor(list: KeyCursorList, key: string): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, list, key]), 'utf8').toString('base64url');
}

/**
 * Reads a cursor made by `encodeKeyCursor` for `list`.
 * @throws InputError (field `cursor`) when the text is not such a cursor, or one of another list.
 */
export function decodeKeyCursor(list: KeyCursorList, text: string): string {
  const [of, key] = cursorFields(text, 2, list);
  if (of !== list) throw invalidCursor(`a cursor of ${typeof of === 'string' ? of.slice(0, 32) : 'another list'}`, list);
  if (typeof key !== 'string' || key.length === 0) throw invalidCursor('bad key', list);
  return key;
}

/**
 * Checks a page size.
 * @throws InputError (field `limit`) outside 1–1000.
 */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError(`invalid limit ${limit}: must be a whole number from 1 to ${MAX_PAGE_SIZE}`, [{ path: 'limit', message: `must be 1-${MAX_PAGE_SIZE}` }]);
  }
  return limit;
}
