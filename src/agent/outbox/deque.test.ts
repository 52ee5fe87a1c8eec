import { describe, expect, it } from 'vitest';
import { Deque } from './deque.js';

describe('Deque', () => {
  it('is first in, first out across growth and wrap-around', () => {
    const q = new Deque<number>(2);
    const expected: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the head wraps while the buffer grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) {
        q.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < 5; i++) expect(q.shift()).toBe(expected.shift());
      expect(q.length).toBe(expected.length);
      expect(q.peek()).toBe(expected[0]);
    }
    expect([...q]).toEqual(expected);
    expect(q.drain()).toEqual(expected);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
  });
});
