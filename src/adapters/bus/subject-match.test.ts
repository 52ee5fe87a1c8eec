import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/errors.js';
import { assertName, assertSubject, isValidSubject, subjectMatches, subjectPattern, subjectsOverlap } from './subject-match.js';

describe('subjectMatches', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['*', 'a.b', false],
    ['a.*.>', 'a.b', false],
    ['a.*.>', 'a.b.c', true],
    ['aetherius.agent.*.event', 'aetherius.agent.prod-1.event', true],
    ['aetherius.agent.*.event', 'aetherius.agent.prod-1.metrics', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('subjectsOverlap', () => {
  it.each([
    ['a.>', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*.c', 'a.b.*', true],
    ['a.>', 'b.>', false],
    ['a', 'a.>', false],
    ['>', 'x.y', true],
    ['internal.>', 'aetherius.agent.*.event', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(subjectsOverlap(a, b)).toBe(expected);
    expect(subjectsOverlap(b, a)).toBe(expected);
  });
});

describe('subject validation', () => {
  it('accepts wildcards only when subscribing, and only as whole tokens', () => {
    expect(isValidSubject('a.b', 'publish')).toBe(true);
    expect(isValidSubject('a.*', 'publish')).toBe(false);
    expect(isValidSubject('a.*', 'subscribe')).toBe(true);
    expect(isValidSubject('a.>', 'subscribe')).toBe(true);
    expect(isValidSubject('a.>.b', 'subscribe')).toBe(false);
    expect(isValidSubject('a.b*', 'subscribe')).toBe(false);
  });

  it.each(['', 'a..b', '.a', 'a.', 'a b', 'a\tb'])('refuses %j with an InputError that says why', (subject) => {
    expect(() => assertSubject(subject, 'subscribe')).toThrow(InputError);
  });

  it('refuses unsafe stream and durable names', () => {
    expect(() => assertName('EVENTS', 'stream name')).not.toThrow();
    for (const bad of ['', 'a.b', 'a b', 'a*', 'a>', 'a/b']) expect(() => assertName(bad, 'stream name')).toThrow(/invalid stream name/);
  });
});

describe('subjectPattern', () => {
  it('replaces the cluster id of agent subjects with *', () => {
    expect(subjectPattern('aetherius.agent.prod-us-1.event')).toBe('aetherius.agent.*.event');
    expect(subjectPattern('internal.event.critical')).toBe('internal.event.critical');
  });
});
