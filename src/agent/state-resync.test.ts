import { describe, expect, it } from 'vitest';
import type { StateSignal } from '../core/classify/index.js';
import { StateResync } from './state-resync.js';

const MIN = 60_000;
const T0 = Date.parse('2025-09-30T10:00:00Z');

const sig = (reason: string, key: string, extra: Partial<StateSignal> = {}): StateSignal => ({
  reason,
  message: `${reason} message`,
  object: { kind: 'Node', name: 'node-1', uid: 'uid-node-1' },
  timestamp: '2025-09-30T10:00:00Z',
  key,
  ...extra,
});

describe('StateResync', () => {
  it('re-emits a condition every interval while it holds, counting repeats, and forgets it once it does not', () => {
    const r = new StateResync(5 * MIN);
    r.track(sig('NodeNotReady', 'k1'), T0);
    let holds = true;
    const check = (tracked: StateSignal) => (holds ? { ...tracked, message: 'still NotReady' } : undefined);
    expect(r.due(T0 + 4 * MIN, check)).toEqual([]);
    const first = r.due(T0 + 5 * MIN, check);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ repeat: 1, firstTimestamp: '2025-09-30T10:00:00Z', signal: { reason: 'NodeNotReady', message: 'still NotReady' } });
    expect(r.due(T0 + 9 * MIN, check)).toEqual([]);
    expect(r.due(T0 + 10 * MIN, check)[0]?.repeat).toBe(2);
    holds = false;
    expect(r.due(T0 + 15 * MIN, check)).toEqual([]);
    expect(r.size).toBe(0);
  });

  it('tracks persistent signals only, one entry per condition; a new transition restarts it, the same signal derived again does not', () => {
    const r = new StateResync(5 * MIN);
    r.track(sig('OOMKilled', 'o1', { object: { kind: 'Pod', name: 'p', uid: 'u' }, container: 'app' }), T0);
    r.track(sig('NodeReady', 'r1'), T0);
    expect(r.size).toBe(0);
    r.track(sig('NodeNotReady', 'k1'), T0);
    r.track(sig('NodeNotReady', 'k1'), T0 + 4 * MIN); // a relist: same key, nothing changes
    expect(r.due(T0 + 5 * MIN, (t) => t)).toHaveLength(1);
    r.track(sig('NodeNotReady', 'k2'), T0 + 6 * MIN); // a new transition: back to repeat 0, schedule from now
    expect(r.size).toBe(1);
    expect(r.due(T0 + 10 * MIN, (t) => t)).toEqual([]);
    expect(r.due(T0 + 11 * MIN, (t) => t)[0]).toMatchObject({ repeat: 1, signal: { key: 'k2' } });
  });

  it('an interval of 0 turns re-emission off', () => {
    const r = new StateResync(0);
    r.track(sig('NodeNotReady', 'k1'), T0);
    expect(r.enabled).toBe(false);
    expect(r.size).toBe(0);
    expect(r.due(T0 + 60 * MIN, (t) => t)).toEqual([]);
  });
});

describe('StateResync: a container alternating between two waiting reasons', () => {
  it('keeps its schedule when a transition it has already sent comes back', () => {
    const r = new StateResync(5 * MIN);
    const pod = { object: { kind: 'Pod', name: 'p', uid: 'u' }, container: 'app' };
    r.track(sig('ErrImagePull', 'e', pod), T0);
    r.track(sig('ImagePullBackOff', 'b', pod), T0 + 1 * MIN); // a new transition: schedule from here
    r.track(sig('ErrImagePull', 'e', pod), T0 + 3 * MIN); // seen before: the control plane drops its id
    r.track(sig('ImagePullBackOff', 'b', pod), T0 + 5 * MIN);
    expect(r.size).toBe(1);
    expect(r.due(T0 + 6 * MIN, (t) => t)).toHaveLength(1);
  });
});
