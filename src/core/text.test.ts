import { describe, expect, it } from 'vitest';
import { closest, didYouMean, levenshtein } from './text.js';

describe('did you mean', () => {
  it('measures edit distance', () => {
    expect(levenshtein('databse', 'database')).toBe(1);
    expect(levenshtein('', 'abc')).toBe(3);
  });
  it('suggests typos and fragments, not unrelated words', () => {
    expect(didYouMean('memroy', ['memory', 'cpu', 'disk'])).toBe('memory');
    expect(didYouMean('OOM', ['OOMKilled', 'DiskFull'])).toBe('OOMKilled');
    expect(didYouMean('banana', ['memory', 'cpu'])).toBeUndefined();
    expect(closest('scal', ['scale', 'set-image', 'cordon'], 2)[0]).toBe('scale');
  });
});
