import { describe, expect, it } from 'vitest';
import { snapshotFromRequest } from './request-snapshot.js';

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);

describe('snapshotFromRequest', () => {
  it('reads objects (typed Lists and nested Lists), the agent event as an Event and the focus, and the logs of its pod', () => {
    const { snapshot, focus, ignored } = snapshotFromRequest(
      {
        event: { id: 'e1', cluster_id: 'c1', reason: 'BackOff', message: 'Back-off restarting failed container', namespace: 'shop', severity: 'high', labels: { kind: 'Pod', name: 'api-1', node: 'n1' }, raw_data: { count: 4, container: 'app' } },
        logs: 'starting\n--- previous ---\npanic: runtime error\n',
        topology: {
          kind: 'PodList',
          items: [
            { metadata: { name: 'api-1', namespace: 'shop' }, spec: { containers: [{ name: 'app' }] } },
            { kind: 'List', items: [{ kind: 'Service', metadata: { name: 'api', namespace: 'shop' } }] },
            { nonsense: true },
          ],
        },
        metrics: { series: [{ name: 'pod_memory_working_set_bytes', labels: { pod: 'api-1' }, samples: [[NOW - 60_000, 1], [NOW - 120_000, 2]] }, { name: 'x' }] },
      },
      NOW,
      'c1',
    );
    expect(snapshot.clusterId).toBe('c1');
    expect(snapshot.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Pod/api-1', 'Service/api', 'Event/api-1.e1']);
    const event = snapshot.objects[2] as Record<string, unknown>;
    expect(event).toMatchObject({ reason: 'BackOff', count: 4, type: 'Warning', involvedObject: { kind: 'Pod', name: 'api-1', namespace: 'shop' } });
    expect(focus).toEqual({ kind: 'Pod', name: 'api-1', namespace: 'shop' });
    expect(snapshot.logs).toEqual([
      { namespace: 'shop', pod: 'api-1', container: 'app', previous: false, lines: ['starting'] },
      { namespace: 'shop', pod: 'api-1', container: 'app', previous: true, lines: ['panic: runtime error'] },
    ]);
    expect(snapshot.metrics[0]?.samples.map((s) => s[1])).toEqual([2, 1]);
    expect(ignored).toEqual(['topology.objects[2]: not a Kubernetes object (needs kind and metadata.name)', 'metrics.series[1]: needs a name and samples [[ms, value], …]']);
  });

  it('takes a core/v1 Event as the event, and ignores logs it cannot place', () => {
    const { snapshot, focus, ignored } = snapshotFromRequest(
      { event: { kind: 'Event', metadata: { name: 'x.1', namespace: 'shop' }, involvedObject: { kind: 'Deployment', name: 'web', namespace: 'shop' }, reason: 'FailedCreate' }, logs: 'hello' },
      NOW,
    );
    expect(focus).toEqual({ kind: 'Deployment', name: 'web', namespace: 'shop' });
    expect(snapshot.objects).toHaveLength(1);
    expect(snapshot.logs).toEqual([]);
    expect(ignored).toEqual(['logs: read only for an event about a namespaced Pod']);
  });

  it('is total: an empty or absurd context gives an empty snapshot, never a throw', () => {
    expect(snapshotFromRequest({}, NOW).snapshot).toEqual({ at: NOW, objects: [], logs: [], metrics: [] });
    const weird = snapshotFromRequest({ event: { labels: 5 }, topology: { objects: 'x' }, metrics: { series: [null, 3] } }, NOW);
    expect(weird.snapshot.objects).toEqual([]);
    expect(weird.ignored.length).toBeGreaterThan(0);
  });
});
