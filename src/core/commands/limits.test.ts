import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.js';
import { TokenBucket } from './token-bucket.js';
import { formatSize, truncateOutput } from './truncate-output.js';

describe('ReplayGuard', () => {
  it('accepts a key once until it expires, then forgets it', () => {
    const g = new ReplayGuard(10);
    expect(g.use(['nonce:a', 'command:1'], 1000, 0)).toBe('fresh');
    expect(g.use(['nonce:b', 'command:1'], 1000, 10)).toBe('replayed');
    expect(g.use(['nonce:a'], 1000, 999)).toBe('replayed');
    expect(g.use(['nonce:a'], 3000, 1001)).toBe('fresh');
  });

  it('fails closed when full of unexpired entries, and frees room as they expire', () => {
    const g = new ReplayGuard(4);
    expect(g.use(['a', 'b'], 100, 0)).toBe('fresh');
    expect(g.use(['c', 'd'], 200, 0)).toBe('fresh');
    expect(g.use(['e'], 300, 50)).toBe('full');
    expect(g.size).toBe(4);
    expect(g.use(['e'], 300, 150)).toBe('fresh');
    expect(g.size).toBe(3);
  });
});

describe('TokenBucket', () => {
  it('allows a burst of perMinute, then one more per 60/perMinute seconds, and ignores a clock stepping back', () => {
    let now = 0;
    const b = new TokenBucket(6, () => now);
    for (let i = 0; i < 6; i++) expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    expect(b.waitMs()).toBe(10_000);
    now = 9_999;
    expect(b.tryTake()).toBe(false);
    now = 10_000;
    expect(b.tryTake()).toBe(true);
    now = -1_000_000;
    expect(b.tryTake()).toBe(false);
  });
});

describe('truncateOutput', () => {
  it('keeps output within the limit', () => {
    expect(truncateOutput('hello', 1024)).toEqual({ output: 'hello', truncated: false });
    const exact = 'x'.repeat(1024);
    expect(truncateOutput(exact, 1024)).toEqual({ output: exact, truncated: false });
  });

  it('cuts at a character boundary, marker included in the limit', () => {
    for (const ch of ['é', '€', '😀']) {
      const text = ch.repeat(2000);
      const { output, truncated } = truncateOutput(text, 1024);
      expect(truncated).toBe(true);
      expect(Buffer.byteLength(output)).toBeLessThanOrEqual(1024);
      const body = output.slice(0, output.indexOf('\n... [output truncated'));
      expect(body.length).toBeGreaterThan(0);
      expect([...body].every((c) => c === ch)).toBe(true);
      expect(output.endsWith(`total, ${formatSize(Buffer.byteLength(body))} shown]`)).toBe(true);
    }
  });

  it('says how much there was', () => {
    const { output } = truncateOutput('a'.repeat(3.2 * 1024 * 1024), 1024 * 1024);
    expect(output).toMatch(/\n\.\.\. \[output truncated by aetherius: 3\.2 MiB total, 1023\.9 KiB shown\]$/);
    expect(formatSize(900)).toBe('900 B');
    expect(formatSize(1024 * 1024)).toBe('1 MiB');
  });
});
