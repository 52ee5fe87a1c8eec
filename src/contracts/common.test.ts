import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { duration, formatDuration, parseDuration, schemaVersion, stringMap, timestamp } from './common.js';
import { InputError } from './errors.js';
import { parseWith } from './validate.js';

function issuesOf(schema: z.ZodType, input: unknown): InputError {
  try {
    parseWith(schema, input, 'test message');
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('2.5s')).toBe(2_500);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30s')).toBe(30_000);
  });

  it('rejects text without a unit or that is not a duration', () => {
    for (const bad of ['30', 'abc', '', '1m 30s', '-1s', 's']) {
      expect(() => parseDuration(bad), bad).toThrow(RangeError);
    }
  });
});

describe('formatDuration', () => {
  it('prints durations as Go does', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(2_500)).toBe('2.5s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(3_600_000)).toBe('1h0m0s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-90_000)).toBe('-1m30s');
  });

  it('carries rounding into the next unit instead of printing 60s or 1000ms', () => {
    expect(formatDuration(59_999.9999)).toBe('1m0s');
    expect(formatDuration(999.9999)).toBe('1s');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 150, 999, 1_000, 2_500, 61_001, 90_000, 3_723_004]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('refuses NaN and infinity', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('common schemas', () => {
  it('rejects an unsupported schema_version with a message saying so', () => {
    const err = issuesOf(z.object({ schema_version: schemaVersion }), { schema_version: 2 });
    expect(err.issues).toEqual([{ path: 'schema_version', message: 'unsupported schema_version 2; this build speaks 1' }]);
    expect(err.message).toContain('unsupported schema_version 2');
  });

  it('says a missing schema_version is required', () => {
    const err = issuesOf(z.object({ schema_version: schemaVersion }), {});
    expect(err.issues).toEqual([{ path: 'schema_version', message: 'is required' }]);
  });

  it('keeps the schema_version message short whatever was sent', () => {
    const err = issuesOf(z.object({ schema_version: schemaVersion }), { schema_version: 'x'.repeat(100_000) });
    expect(err.message.length).toBeLessThan(200);
  });

  it('accepts RFC 3339 timestamps with a zone only', () => {
    expect(timestamp.safeParse('2025-09-30T10:15:30Z').success).toBe(true);
    expect(timestamp.safeParse('2025-09-30T10:15:30+08:00').success).toBe(true);
    expect(timestamp.safeParse('2025-09-30T10:15:30').success).toBe(false);
    expect(timestamp.safeParse('yesterday').success).toBe(false);
  });

  it('bounds durations and label values', () => {
    expect(duration.safeParse('1s'.repeat(1_000)).success).toBe(false);
    expect(stringMap.safeParse({ app: 'x'.repeat(1_000_000) }).success).toBe(false);
    expect(stringMap.safeParse({ 'app.kubernetes.io/name': 'api' }).success).toBe(true);
  });

  it('names only the first ten problems in the message but keeps all of them in issues', () => {
    const err = issuesOf(z.array(z.number()).max(100), Array.from({ length: 25 }, () => 'x'));
    expect(err.issues).toHaveLength(25);
    expect(err.message).toContain('and 15 more');
    expect(err.message).not.toContain('12:');
  });
});
