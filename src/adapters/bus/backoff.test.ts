import { describe, expect, it } from 'vitest';
import { NAK_BACKOFF_MAX_MS, nakBackoffMs } from './backoff.js';

describe('nakBackoffMs', () => {
  it('doubles per delivery and is capped', () => {
    expect([1, 2, 3, 4].map(nakBackoffMs)).toEqual([200, 400, 800, 1600]);
    expect(nakBackoffMs(50)).toBe(NAK_BACKOFF_MAX_MS);
    expect(nakBackoffMs(0)).toBe(200);
  });
});
