import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-types.js';
import { classify, isKnownReason } from './classify.js';
import { endpointCounts, endpointsChangedAt, managedSelector, selectorMatches, serviceBackends, serviceNoEndpointsSignal, SERVICE_NO_ENDPOINTS } from './service-signals.js';

type Obj = Record<string, unknown>;

function obj(kind: string, name: string, fields: Obj, meta: Obj = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace: 'cache', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2025-09-30T10:00:00Z', ...meta }, ...fields };
}
const service = (spec: Obj, name = 'redis') => obj('Service', name, { spec });
const workload = (kind: string, name: string, labels: Obj | undefined, spec: Obj = {}, status: Obj = {}, namespace = 'cache'): KubeObject =>
  obj(kind, name, { spec: { ...spec, template: { metadata: labels ? { labels } : {} } }, status }, { namespace });

describe('managedSelector: the Services whose endpoints Kubernetes manages', () => {
  it('is the selector of a ClusterIP, NodePort, LoadBalancer or headless Service', () => {
    expect(managedSelector(service({ selector: { app: 'redis' } }))).toEqual({ app: 'redis' });
    expect(managedSelector(service({ type: 'NodePort', clusterIP: 'None', selector: { app: 'redis', tier: 'cache' } }))).toEqual({ app: 'redis', tier: 'cache' });
  });

  it('is undefined for selector-less and ExternalName Services and for unreadable selectors', () => {
    expect(managedSelector(service({}))).toBeUndefined();
    expect(managedSelector(service({ selector: {} }))).toBeUndefined();
    expect(managedSelector(service({ type: 'ExternalName', externalName: 'db.example.com', selector: { app: 'x' } }))).toBeUndefined();
    expect(managedSelector(service({ selector: { app: 3 } }))).toBeUndefined();
    expect(managedSelector(service({ selector: ['app'] }))).toBeUndefined();
    expect(managedSelector(undefined)).toBeUndefined();
    expect(managedSelector({ kind: 'Service' } as unknown as KubeObject)).toBeUndefined();
  });
});

describe('endpointCounts and endpointsChangedAt', () => {
  it('counts ready and not-ready addresses over every subset', () => {
    const ep = obj('Endpoints', 'redis', { subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], notReadyAddresses: [{ ip: '10.0.0.3' }] }, { addresses: [{ ip: '10.0.0.4' }] }] });
    expect(endpointCounts(ep)).toEqual({ ready: 3, notReady: 1 });
    expect(endpointCounts(obj('Endpoints', 'redis', {}))).toEqual({ ready: 0, notReady: 0 });
    expect(endpointCounts(obj('Endpoints', 'redis', { subsets: 'garbage' }))).toEqual({ ready: 0, notReady: 0 });
    expect(endpointCounts(undefined)).toEqual({ ready: 0, notReady: 0 });
  });

  it('reads the endpoints controller change time, ignoring what is not a time', () => {
    const at = (v: unknown) => endpointsChangedAt(obj('Endpoints', 'redis', {}, { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': v } }));
    expect(at('2025-09-30T10:03:00Z')).toBe(Date.parse('2025-09-30T10:03:00Z'));
    expect(at('yesterday')).toBeUndefined();
    expect(at(42)).toBeUndefined();
    expect(endpointsChangedAt(undefined)).toBeUndefined();
  });
});

describe('serviceBackends: the workloads a selector matches', () => {
  const workloads = [
    workload('Deployment', 'redis', { app: 'redis', 'pod-template-hash': 'x' }, { replicas: 0 }),
    workload('StatefulSet', 'redis-replica', { app: 'redis' }, {}),
    workload('DaemonSet', 'redis-exporter', { app: 'redis' }, {}, { desiredNumberScheduled: 3 }),
    workload('Deployment', 'other', { app: 'other' }, { replicas: 2 }),
    workload('Deployment', 'redis', { app: 'redis' }, { replicas: 5 }, {}, 'elsewhere'),
    workload('Deployment', 'no-labels', undefined, { replicas: 1 }),
    workload('ReplicaSet', 'redis-abc', { app: 'redis' }, { replicas: 1 }),
  ];

  it('lists Deployments, StatefulSets and DaemonSets of the namespace whose pod template labels match, with desired replicas', () => {
    expect(serviceBackends({ app: 'redis' }, 'cache', workloads)).toEqual([
      { kind: 'DaemonSet', namespace: 'cache', name: 'redis-exporter', replicas: 3 },
      { kind: 'Deployment', namespace: 'cache', name: 'redis', replicas: 0 },
      // spec.replicas unset defaults to 1, as the API server does.
      { kind: 'StatefulSet', namespace: 'cache', name: 'redis-replica', replicas: 1 },
    ]);
  });

  it('is empty when the selector matches nothing (a typo)', () => {
    expect(serviceBackends({ app: 'redis-v2' }, 'cache', workloads)).toEqual([]);
    expect(serviceBackends({ app: 'redis' }, 'nowhere', workloads)).toEqual([]);
  });

  it('skips unreadable objects', () => {
    expect(serviceBackends({ app: 'redis' }, 'cache', [{} as KubeObject, { kind: 'Deployment', metadata: 'x' } as unknown as KubeObject])).toEqual([]);
  });

  it('selectorMatches needs every key with the same value', () => {
    expect(selectorMatches({ app: 'a', tier: 'b' }, { app: 'a', tier: 'b', extra: 'c' })).toBe(true);
    expect(selectorMatches({ app: 'a', tier: 'b' }, { app: 'a' })).toBe(false);
    expect(selectorMatches({ app: 'a' }, undefined)).toBe(false);
  });
});

describe('serviceNoEndpointsSignal', () => {
  const svc = service({ selector: { app: 'redis' } });
  const input = {
    service: svc,
    selector: { app: 'redis' },
    backends: [{ kind: 'Deployment', namespace: 'cache', name: 'redis', replicas: 0 }],
    notReady: 0,
    sinceMs: Date.parse('2025-09-30T10:03:00Z'),
    nowMs: Date.parse('2025-09-30T10:04:30Z'),
    episode: '2025-09-30T10:03:00.000Z',
  };

  it('names the Service, how long, its selector and what backs it, with selector and backends in the details', () => {
    const sig = serviceNoEndpointsSignal(input);
    expect(sig).toMatchObject({
      reason: SERVICE_NO_ENDPOINTS,
      object: { kind: 'Service', name: 'redis', namespace: 'cache', uid: 'uid-redis', apiVersion: 'v1' },
      timestamp: '2025-09-30T10:04:30.000Z',
      message: 'service cache/redis has had no ready endpoints for 90s (selector app=redis); backed by Deployment cache/redis (0 desired replicas)',
      details: { selector: { app: 'redis' }, backends: [{ kind: 'Deployment', namespace: 'cache', name: 'redis', replicas: 0 }], ready_endpoints: 0, not_ready_endpoints: 0, no_endpoints_since: '2025-09-30T10:03:00.000Z' },
    });
    expect(sig?.node).toBeUndefined();
  });

  it('says when the selector matches nothing, and counts selected pods that are not ready', () => {
    expect(serviceNoEndpointsSignal({ ...input, backends: [] })?.message).toContain('the selector matches no Deployment, StatefulSet or DaemonSet pod template');
    expect(serviceNoEndpointsSignal({ ...input, notReady: 2 })?.message).toContain('; 2 selected pods are not ready');
  });

  it('keeps one key per episode, whatever the time of the check', () => {
    const a = serviceNoEndpointsSignal(input);
    const b = serviceNoEndpointsSignal({ ...input, nowMs: input.nowMs + 600_000 });
    const c = serviceNoEndpointsSignal({ ...input, episode: '2025-09-30T11:00:00.000Z' });
    expect(a?.key).toBe(b?.key);
    expect(a?.key).not.toBe(c?.key);
  });

  it('is in the reason table: high, network', () => {
    expect(isKnownReason(SERVICE_NO_ENDPOINTS)).toBe(true);
    expect(classify({ reason: SERVICE_NO_ENDPOINTS, type: 'state_change', kind: 'Service' })).toMatchObject({ severity: 'high', category: 'network' });
  });
});
