import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/kube/kube-types.js';
import { ServiceEndpointsMonitor } from './service-endpoints-monitor.js';

const T0 = Date.parse('2025-09-30T10:00:00Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();
type Obj = Record<string, unknown>;

/** A tiny cache: kind → namespace/name → object. */
class Caches {
  readonly byKind = new Map<string, Map<string, KubeObject>>();
  synced = true;
  put(o: KubeObject): void {
    const m = this.byKind.get(o.kind) ?? new Map<string, KubeObject>();
    m.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
    this.byKind.set(o.kind, m);
  }
  remove(kind: string, name: string): void {
    this.byKind.get(kind)?.delete(`cache/${name}`);
  }
  monitor(graceMs = 60 * S): ServiceEndpointsMonitor {
    return new ServiceEndpointsMonitor({
      graceMs,
      lookup: (kind, ns, name) => this.byKind.get(kind)?.get(`${ns ?? ''}/${name}`),
      objects: (kind) => this.byKind.get(kind)?.values() ?? [],
      endpointsSynced: () => this.synced,
    });
  }
}

const meta = (name: string, extra: Obj = {}) => ({ name, namespace: 'cache', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: iso(T0 - 3600 * S), ...extra });
const service = (selector: Obj | null = { app: 'redis' }, extra: Obj = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: meta('redis', extra), spec: { ...(selector ? { selector } : {}), ports: [{ port: 6379 }] } });
const endpoints = (ready: number, notReady = 0, changedMs?: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: meta('redis', changedMs !== undefined ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso(changedMs) } } : {}),
  subsets: ready + notReady ? [{ ...(ready ? { addresses: Array.from({ length: ready }, (_, i) => ({ ip: `10.0.0.${i + 1}` })) } : {}), ...(notReady ? { notReadyAddresses: [{ ip: '10.0.1.1' }] } : {}) }] : undefined,
});
const deployment = (replicas: number): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('redis'), spec: { replicas, template: { metadata: { labels: { app: 'redis' } } } } });
const pod = (name: string, createdMs: number, extra: Obj = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(name, { labels: { app: 'redis' }, creationTimestamp: iso(createdMs), ...extra }), status: { phase: 'Running' } });

describe('ServiceEndpointsMonitor', () => {
  it('a Service that loses its endpoints: the signal once the grace period has passed, with its backends; ready again closes it', () => {
    const c = new Caches();
    c.put(service());
    c.put(deployment(0));
    c.put(endpoints(1));
    const m = c.monitor();
    expect(m.touch('cache', 'redis', T0)).toBeUndefined();
    expect(m.size).toBe(0);
    c.put(endpoints(0, 0, T0 + 10 * S)); // scaled to 0 at T0+10s
    expect(m.touch('cache', 'redis', T0 + 11 * S)).toBeUndefined();
    expect(m.check(T0 + 60 * S)).toEqual([]);
    const [sig] = m.check(T0 + 70 * S);
    expect(sig).toMatchObject({ reason: 'ServiceHasNoEndpoints', object: { kind: 'Service', name: 'redis', namespace: 'cache' }, details: { backends: [{ kind: 'Deployment', namespace: 'cache', name: 'redis', replicas: 0 }], no_endpoints_since: iso(T0 + 10 * S) } });
    // Once per episode.
    expect(m.check(T0 + 600 * S)).toEqual([]);
    expect(sig && m.current(sig, T0 + 600 * S)?.message).toContain('for 9m50s');
    c.put(endpoints(1));
    expect(sig && m.current(sig, T0 + 601 * S)).toBeUndefined();
    expect(m.size).toBe(0);
  });

  it('a Service that never had endpoints (a selector typo): the signal after the grace period from first sight', () => {
    const c = new Caches();
    c.put(service({ app: 'redis-api' }));
    c.put(endpoints(0));
    c.put(deployment(1));
    const m = c.monitor();
    m.touch('cache', 'redis', T0);
    expect(m.check(T0 + 30 * S)).toEqual([]);
    const [sig] = m.check(T0 + 61 * S);
    expect(sig?.details).toMatchObject({ selector: { app: 'redis-api' }, backends: [] });
  });

  it('a workload starting up gets the grace period from its newest pod, so a slow start is not an outage', () => {
    const c = new Caches();
    c.put(service());
    c.put(endpoints(0, 1, T0));
    c.put(pod('redis-a', T0 + 50 * S));
    const m = c.monitor();
    m.touch('cache', 'redis', T0);
    expect(m.check(T0 + 90 * S)).toEqual([]); // the pod is 40 s old
    expect(m.check(T0 + 111 * S)).toHaveLength(1); // still not ready 61 s after it was created
  });

  it('ignores selector-less and ExternalName Services, and a Service whose endpoints stay ready during a rolling update', () => {
    const c = new Caches();
    c.put(service(null));
    c.put(endpoints(0));
    const m = c.monitor();
    m.touch('cache', 'redis', T0);
    expect(m.check(T0 + 600 * S)).toEqual([]);
    c.put({ ...service(), spec: { type: 'ExternalName', externalName: 'db.example.com', selector: { app: 'redis' } } });
    m.touch('cache', 'redis', T0);
    expect(m.check(T0 + 600 * S)).toEqual([]);
    c.put(service());
    for (let s = 0; s < 600; s += 10) {
      c.put(endpoints(s % 20 === 0 ? 1 : 2, 1, T0 + s * S)); // one pod replaced at a time
      expect(m.touch('cache', 'redis', T0 + s * S)).toBeUndefined();
    }
    expect(m.size).toBe(0);
  });

  it('waits for the Endpoints caches to sync, then looks at the Services it was told about; a deleted Service is forgotten', () => {
    const c = new Caches();
    c.synced = false;
    c.put(service());
    const m = c.monitor();
    expect(m.touch('cache', 'redis', T0)).toBeUndefined();
    expect(m.check(T0 + 600 * S)).toEqual([]);
    c.synced = true;
    c.put(endpoints(0));
    expect(m.check(T0 + 601 * S)).toEqual([]); // opened now, due a grace period later
    expect(m.check(T0 + 662 * S)).toHaveLength(1);
    c.remove('Service', 'redis');
    expect(m.check(T0 + 700 * S)).toEqual([]);
    expect(m.size).toBe(0);
  });

  it('an Endpoints object that changed long ago makes a restarted agent report at once', () => {
    const c = new Caches();
    c.put(service());
    c.put(endpoints(0, 0, T0 - 3600 * S));
    const m = c.monitor();
    expect(m.touch('cache', 'redis', T0)?.reason).toBe('ServiceHasNoEndpoints');
  });
});
