import { describe, expect, it } from 'vitest';
import { ClusterClock } from './cluster-clock.js';

describe('ClusterClock', () => {
  it('is the wall clock until the cluster shows a later time', () => {
    let wall = Date.parse('2025-09-30T10:00:00Z');
    const c = new ClusterClock(() => wall);
    expect(c.now()).toBe(wall);
    c.observe('2025-09-30T09:00:00Z'); // an old object: the wall clock stays
    expect(c.now()).toBe(wall);
    wall += 1000;
    expect(c.now()).toBe(wall);
  });

  it('follows cluster timestamps that run ahead (a simulator on virtual time), advancing with the wall clock between them', () => {
    let wall = Date.parse('2025-09-30T10:00:00Z');
    const c = new ClusterClock(() => wall);
    c.observe('2025-09-30T10:15:00Z');
    expect(c.now()).toBe(Date.parse('2025-09-30T10:15:00Z'));
    wall += 2000;
    expect(c.now()).toBe(Date.parse('2025-09-30T10:15:02Z'));
    c.observe(Date.parse('2025-09-30T10:14:00Z')); // older than what it knows: never goes back
    expect(c.now()).toBe(Date.parse('2025-09-30T10:15:02Z'));
  });

  it('ignores what is not a time', () => {
    const wall = Date.parse('2025-09-30T10:00:00Z');
    const c = new ClusterClock(() => wall);
    for (const v of [undefined, null, '', 'soon', {}, Number.NaN, Number.POSITIVE_INFINITY, 'x'.repeat(100)]) c.observe(v);
    expect(c.now()).toBe(wall);
  });
});
