import { describe, expect, it } from 'vitest';
import { agentMetrics, type AgentMetrics } from '../../contracts/index.js';
import { splitMetrics } from './split-metrics.js';

function collection(pods: number): AgentMetrics {
  return {
    schema_version: 1,
    cluster_id: 'c1',
    timestamp: '2026-01-01T00:00:00Z',
    cluster_metrics: { total_nodes: 2, ready_nodes: 2, total_pods: pods, running_pods: pods },
    node_metrics: [{ name: 'node-1', ready: true, pod_count: pods, conditions: { Ready: 'True' } }],
    pod_metrics: Array.from({ length: pods }, (_, i) => ({ namespace: 'team-1', name: `svc-${i}-5f00000-xxxx${i}`, node: 'node-1', phase: 'Running', ready: true, restarts: 0, cpu_request_millicores: 100, memory_limit_bytes: 268435456 })),
    namespace_metrics: [{ namespace: 'team-1', total_pods: pods, running_pods: pods }],
  };
}

describe('splitMetrics', () => {
  it('sends a collection that fits as one message in the architecture format, without a part', () => {
    const [only, ...rest] = splitMetrics(collection(10), 'm1', 1024 * 1024);
    expect(rest).toEqual([]);
    expect(JSON.parse(only ?? '')).not.toHaveProperty('part');
  });

  it('divides a 5,000-pod collection into valid parts under the limit, losing no pod', () => {
    const limit = 256 * 1024;
    const parts = splitMetrics(collection(5000), 'm2', limit);
    expect(parts.length).toBeGreaterThan(1);
    const parsed = parts.map((p) => agentMetrics.parse(JSON.parse(p)));
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(limit);
    expect(parsed.map((p) => p.part)).toEqual(parsed.map((_, index) => ({ collection_id: 'm2', index, total: parts.length })));
    expect(parsed.flatMap((p) => p.pod_metrics.map((x) => x.name))).toEqual(collection(5000).pod_metrics.map((x) => x.name));
    expect(parsed[0]?.node_metrics).toHaveLength(1);
    expect(parsed.slice(1).every((p) => p.node_metrics.length === 0 && p.cluster_metrics.total_pods === 5000)).toBe(true);
  });

  it('refuses a limit too small for any part', () => {
    expect(() => splitMetrics(collection(50), 'm3', 200)).toThrow(RangeError);
  });
});
