import { describe, expect, it } from 'vitest';
import { loadScenario } from './scenario/library.js';
import { Simulation } from './simulation.js';
import { SimMetricsRecorder, snapshotFromSimulation } from './snapshot.js';

describe('snapshotFromSimulation', () => {
  it('holds the objects with their Events, current and previous logs, and sampled usage, without secret values', async () => {
    const { scenario } = await loadScenario('postgres-outage-cascade');
    const sim = Simulation.create({ scenario, startTime: Date.UTC(2025, 8, 30, 10) });
    const recorder = new SimMetricsRecorder(sim, { everyMs: 30_000 }).start();
    try {
      await sim.runFor(9 * 60_000);
      const snap = snapshotFromSimulation(sim, { metrics: recorder, maxLogLines: 50 });
      expect(snap.at).toBe(sim.startTime + 9 * 60_000);
      expect(snap.clusterId).toBe('prod-us-west');
      const kinds = new Set(snap.objects.map((o) => o.kind));
      for (const k of ['Pod', 'Node', 'StatefulSet', 'Deployment', 'ReplicaSet', 'Service', 'Endpoints', 'Event', 'Secret', 'PersistentVolumeClaim']) expect(kinds, k).toContain(k);
      const secret = snap.objects.find((o) => o.kind === 'Secret');
      expect(secret?.['data']).toBeUndefined();
      // A client that crash-looped: its previous instance's log names the refused database.
      const previous = snap.logs.filter((l) => l.previous && l.pod.startsWith('orders-'));
      expect(previous.length).toBeGreaterThan(0);
      expect(previous[0]?.lines.join('\n')).toContain('refused');
      expect(previous[0]?.lines[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z /);
      expect(snap.logs.every((l) => l.lines.length <= 50)).toBe(true);
      const mem = snap.metrics.find((m) => m.name === 'pod_memory_usage_bytes' && m.labels['pod']?.startsWith('catalog-'));
      expect(mem?.samples.length).toBeGreaterThanOrEqual(10);
      expect(snap.metrics.some((m) => m.name === 'container_cpu_usage_millicores' && m.labels['container'] === 'orders')).toBe(true);
    } finally {
      sim.stop();
    }
  }, 20_000);
});
