import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/index.js';
import { decodeEventCursor, encodeEventCursor } from './event-cursor.js';

describe('event cursor', () => {
  it('round-trips the sort key, including ids with any characters', () => {
    for (const id of ['evt-1', 'ü/é "quoted" \n', 'a'.repeat(253)]) {
      const cursor = { timestamp: '2025-09-30T10:15:30.123Z', id };
      const text = encodeEventCursor(cursor);
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeEventCursor(text)).toEqual(cursor);
    }
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify([2, '2025-09-30T10:15:30.123Z', 'x'])).toString('base64url')],
    ['bad timestamp', Buffer.from(JSON.stringify([1, 'yesterday', 'x'])).toString('base64url')],
    ['empty id', Buffer.from(JSON.stringify([1, '2025-09-30T10:15:30.123Z', ''])).toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ t: 1 })).toString('base64url')],
    ['too long', 'A'.repeat(5000)],
  ])('rejects a cursor that is %s with an InputError naming the field', (_why, text) => {
    let caught: unknown;
    try {
      decodeEventCursor(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).issues[0]?.path).toBe('cursor');
  });
});
