import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/index.js';
import { decodeKeyCursor, encodeKeyCursor, pageSize } from './key-cursor.js';

describe('key cursor', () => {
  it('round-trips any key of its list', () => {
    for (const key of ['a', 'prod-us-west', 'agent.host-1', 'é ü 🚀', 'x'.repeat(253)]) expect(decodeKeyCursor('agents', encodeKeyCursor('agents', key))).toBe(key);
  });

  it('refuses garbage, other formats and a cursor of another list, naming the field', () => {
    const bad = ['', '!!!', 'x'.repeat(3000), Buffer.from('[2,"agents","a"]').toString('base64url'), Buffer.from('{}').toString('base64url'), encodeKeyCursor('clusters', 'a')];
    for (const text of bad) {
      let caught: unknown;
      try {
        decodeKeyCursor('agents', text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InputError);
      expect((caught as InputError).issues[0]?.path).toBe('cursor');
    }
  });

  it('checks page sizes', () => {
    expect(pageSize(undefined)).toBe(100);
    expect(pageSize(1000)).toBe(1000);
    expect(() => pageSize(0)).toThrow(InputError);
    expect(() => pageSize(1.5)).toThrow(/limit/);
  });
});
