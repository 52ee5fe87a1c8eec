import { describe, expect, it } from 'vitest';
import { res } from './resources.js';
import { parseScenario } from './scenario/validate.js';
import { Simulation } from './simulation.js';

const SCENARIO = parseScenario(`apiVersion: aetherius.io/v1
kind: Scenario
metadata: {name: sim-test}
spec:
  clusterId: test-cluster
  duration: 10m
  nodes: [{name: node-1}]
  faults:
    - {at: 4m, action: cordon, target: {kind: Node, name: node-1}}
  expect: {healthy: true}
`);

describe('Simulation', () => {
  it('loads the world, plays exactly the duration, records faults in the timeline, and stops', async () => {
    const start = Date.UTC(2025, 0, 1);
    const sim = Simulation.create({ scenario: SCENARIO, startTime: start, controllers: () => [] });
    expect(sim.ctx.clusterId).toBe('test-cluster');
    expect(sim.ctx.store.get(res('nodes'), undefined, 'node-1')).toBeDefined();
    await sim.runFor(60_000);
    expect(sim.elapsedMs).toBe(60_000);
    expect(sim.timeline).toEqual([]);
    await sim.run();
    expect(sim.elapsedMs).toBe(sim.durationMs);
    expect(sim.timeline).toEqual([expect.objectContaining({ at: '4m', atMs: 240_000, action: 'cordon', time: '2025-01-01T00:04:00Z' })]);
    sim.stop();
    sim.stop();
    expect(sim.errors).toEqual([]);
  });

  it('starts and stops the controllers it is given', () => {
    const calls: string[] = [];
    const sim = Simulation.create({
      scenario: SCENARIO,
      controllers: () => [{ name: 'probe', start: () => calls.push('start'), stop: () => calls.push('stop') }],
    });
    sim.stop();
    expect(calls).toEqual(['start', 'stop']);
  });
});
