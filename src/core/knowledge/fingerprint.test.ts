import { describe, expect, it } from 'vitest';
import { fingerprint, similarity } from './fingerprint.js';

const oomSignals: { name: string; fields: Record<string, string | number | boolean> }[] = [
  { name: 'container_terminated', fields: { reason: 'OOMKilled', exit_code: 137, restarts: 6, pod: 'checkout-aaaaa', container: 'app' } },
  { name: 'container_waiting', fields: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container', pod: 'checkout-aaaaa' } },
];

describe('fingerprint', () => {
  it('keeps what kind of failure it is and drops which object, how many and when', () => {
    const a = fingerprint({ signals: oomSignals, reasons: ['OOMKilling', 'BackOff'], cause: 'OOMKilled' });
    expect(a).toEqual([...a].sort());
    expect(a).toContain('signal:container_terminated:reason=OOMKilled');
    expect(a).toContain('reason:BackOff');
    expect(a).toContain('family:pod_failure');
    expect(a.join(' ')).not.toMatch(/checkout|137|restarts|back-off 5m0s/);
    // The same failure on another workload, with other counts, is the same fingerprint.
    const b = fingerprint({
      signals: oomSignals.map((s) => ({ ...s, fields: { ...s.fields, pod: 'orders-bbbbb', restarts: 2 } })),
      reasons: ['BackOff', 'OOMKilling', 'BackOff'],
      cause: 'OOMKilled',
    });
    expect(similarity(a, b)).toBe(1);
  });

  it('scores a different failure lower than a near one, and nothing shared as 0', () => {
    const oom = fingerprint({ signals: oomSignals, cause: 'OOMKilled' });
    const crash = fingerprint({ signals: [{ name: 'container_terminated', fields: { reason: 'Error' } }, oomSignals[1]!], cause: 'ApplicationCrash' });
    const node = fingerprint({ signals: [{ name: 'node_condition', fields: { condition: 'Ready', status: 'False' } }], cause: 'NodeNotReady' });
    expect(similarity(oom, crash)).toBeGreaterThan(similarity(oom, node));
    expect(similarity(oom, crash)).toBeLessThan(1);
    expect(similarity(oom, node)).toBe(0);
    expect(similarity([], [])).toBe(0);
    expect(similarity(oom, oom)).toBe(1);
  });

  it('is bounded however many signals come in', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ name: `signal_${i}`, fields: { reason: `R${i}` } }));
    expect(fingerprint({ signals: many }).length).toBeLessThanOrEqual(256);
  });
});
