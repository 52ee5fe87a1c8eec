import { describe, expect, it } from 'vitest';
import { createSimContext } from './create-sim-context.js';
import { EventTtlController } from './event-recorder.js';
import { res } from './resources.js';

describe('EventTtlController', () => {
  it('deletes Events an hour after their last occurrence, sweeping every five simulated minutes', async () => {
    const ctx = createSimContext({ start: Date.UTC(2025, 0, 1), namespaces: ['shop'], onError: (err) => { throw err; } });
    const pod = ctx.store.create(res('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    const ttl = new EventTtlController(ctx);
    ttl.start();
    ctx.events.record(pod, 'Warning', 'BackOff', 'old news', { component: 'kubelet' });
    await ctx.clock.runFor(30 * 60_000);
    ctx.events.record(pod, 'Warning', 'Unhealthy', 'recent', { component: 'kubelet' });
    const reasons = () => ctx.store.list(res('events')).items.map((e) => e['reason']).sort();
    await ctx.clock.runFor(29 * 60_000);
    expect(reasons()).toEqual(['BackOff', 'Unhealthy']);
    // 60 min after the first event, plus at most one sweep period.
    await ctx.clock.runFor(6 * 60_000);
    expect(reasons()).toEqual(['Unhealthy']);
    await ctx.clock.runFor(30 * 60_000);
    expect(reasons()).toEqual([]);
    ttl.stop();
    expect(ctx.clock.pending).toBe(0);
  });
});
