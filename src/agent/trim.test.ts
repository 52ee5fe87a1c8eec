import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/kube/kube-types.js';
import { trimmerFor } from './trim.js';

const metadata = {
  name: 'redis',
  namespace: 'cache',
  uid: 'u1',
  resourceVersion: '7',
  creationTimestamp: '2025-09-30T10:00:00Z',
  labels: { app: 'redis' },
  annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2025-09-30T10:03:00Z', 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}' },
  managedFields: [{ manager: 'kubectl' }],
};

describe('trim: Services and Endpoints keep what the endpoints check reads', () => {
  it('a Service keeps selector, type, cluster IP and ports', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ClusterIP', clusterIP: '10.96.0.15', clusterIPs: ['10.96.0.15'], selector: { app: 'redis' }, sessionAffinity: 'None', ports: [{ name: 'redis', port: 6379, targetPort: 6379, protocol: 'TCP', nodePort: 30000 }] }, status: { loadBalancer: {} } } as unknown as KubeObject;
    const t = trimmerFor('Service')(svc);
    expect(t['spec']).toEqual({ type: 'ClusterIP', clusterIP: '10.96.0.15', selector: { app: 'redis' }, ports: [{ name: 'redis', port: 6379, targetPort: 6379, protocol: 'TCP' }] });
    expect(t['status']).toBeUndefined();
    expect(t.metadata).not.toHaveProperty('managedFields');
  });

  it('Endpoints keep their addresses as IPs only, and the change time', () => {
    const ep = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata,
      subsets: [{ addresses: [{ ip: '10.244.0.5', nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'redis-0', uid: 'p1' } }], notReadyAddresses: [{ ip: '10.244.0.6', targetRef: { kind: 'Pod', name: 'redis-1' } }], ports: [{ port: 6379, protocol: 'TCP' }] }, 'garbage'],
    } as unknown as KubeObject;
    const t = trimmerFor('Endpoints')(ep);
    expect(t['subsets']).toEqual([{ addresses: [{ ip: '10.244.0.5' }], notReadyAddresses: [{ ip: '10.244.0.6' }] }]);
    expect(t.metadata.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2025-09-30T10:03:00Z' });
    expect(trimmerFor('Endpoints')({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'x', namespace: 'y', uid: '', resourceVersion: '1', creationTimestamp: '' } })['subsets']).toBeUndefined();
  });
});
