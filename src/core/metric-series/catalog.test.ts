import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { AgentMetrics } from '../../contracts/index.js';
import { METRICS, metricDefinition } from './catalog.js';
import { entityId, flattenMetrics } from './flatten.js';

const message: AgentMetrics = {
  schema_version: 1,
  cluster_id: 'c1',
  timestamp: '2025-09-30T10:15:00Z',
  cluster_metrics: { total_nodes: 2, ready_nodes: 1, total_pods: 3, running_pods: 2, cpu_usage_percent: 40.5 },
  node_metrics: [{ name: 'n1', ready: false, pod_count: 3, conditions: { Ready: 'False', DiskPressure: 'Unknown', MemoryPressure: 'True' } }],
  pod_metrics: [{ namespace: 'shop', name: 'cart-1', node: 'n1', phase: 'Running', ready: true, restarts: 2, memory_usage_bytes: 5e8 }],
  namespace_metrics: [{ namespace: 'shop', total_pods: 1, running_pods: 1 }],
};

describe('metric catalog', () => {
  it('names one metric per numeric field, each documented in docs/metrics.md', async () => {
    const doc = await readFile(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    for (const d of METRICS) expect(doc, d.name).toContain(`| \`${d.name}\` | ${d.entity} | ${d.type} | \`${d.field}\` |`);
    expect(new Set(METRICS.map((d) => d.name)).size).toBe(METRICS.length);
    expect(metricDefinition('pod_memory_usage_bytes')).toMatchObject({ entity: 'pod', field: 'memory_usage_bytes' });
    expect(metricDefinition('nope')).toBeUndefined();
  });
});

describe('flattenMetrics', () => {
  it('turns a message into labelled samples: flags as 0/1, phase and conditions as labels, Unknown left out', () => {
    const t = Date.parse(message.timestamp);
    const samples = flattenMetrics(message).map((s) => [s.metric, s.labels, s.value, s.t]);
    expect(samples).toEqual(
      expect.arrayContaining([
        ['cluster_nodes_ready', { cluster: 'c1' }, 1, t],
        ['cluster_cpu_usage_percent', { cluster: 'c1' }, 40.5, t],
        ['node_ready', { cluster: 'c1', node: 'n1' }, 0, t],
        ['node_condition', { cluster: 'c1', node: 'n1', condition: 'MemoryPressure' }, 1, t],
        ['pod_phase', { cluster: 'c1', namespace: 'shop', pod: 'cart-1', node: 'n1', phase: 'Running' }, 1, t],
        ['pod_restarts_total', { cluster: 'c1', namespace: 'shop', pod: 'cart-1', node: 'n1' }, 2, t],
        ['namespace_pods', { cluster: 'c1', namespace: 'shop' }, 1, t],
      ]),
    );
    expect(samples.some(([, labels]) => (labels as Record<string, string>)['condition'] === 'DiskPressure')).toBe(false);
    // Absent optional fields make no sample.
    expect(samples.some(([m]) => m === 'cluster_memory_usage_percent' || m === 'pod_cpu_usage_millicores')).toBe(false);
  });

  it('takes cluster metrics from part 0 only, so the parts of a collection yield each sample once', () => {
    const part = (index: number): AgentMetrics => ({ ...message, node_metrics: index ? [] : message.node_metrics, namespace_metrics: index ? [] : message.namespace_metrics, part: { collection_id: 'x', index, total: 2 } });
    const whole = flattenMetrics(message).length;
    const p0 = flattenMetrics({ ...part(0), pod_metrics: [] });
    const p1 = flattenMetrics(part(1));
    expect(p0.length + p1.length).toBe(whole);
    expect(p1.some((s) => s.metric.startsWith('cluster_'))).toBe(false);
  });

  it('gives every entity a stable signed 64-bit id', () => {
    const id = entityId('c1', 'pod', 'shop', 'cart-1');
    expect(id).toMatch(/^-?\d{1,19}$/);
    expect(entityId('c1', 'pod', 'shop', 'cart-1')).toBe(id);
    expect(entityId('c1', 'pod', 'shop', 'cart-2')).not.toBe(id);
    expect(entityId('c1', 'namespace', 'shop', 'cart-1')).not.toBe(id);
  });
});
