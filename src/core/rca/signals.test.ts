import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-types.js';
import { classifyLog } from './log-signals.js';
import { metricSignals } from './metric-signals.js';
import { extractSignals, missingConfigOf, parseSchedulingMessage } from './signals.js';
import { T0, crashStatus, deployment, endpoints, log, node, pod, service, snapshot } from './test-support.js';
import { buildTopology } from './topology.js';

describe('parseSchedulingMessage', () => {
  it('splits the scheduler message into per-node reasons and names the dominant one', () => {
    const m = parseSchedulingMessage("0/4 nodes are available: 1 Insufficient memory, 3 node(s) had untolerated taint {dedicated: streaming}. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.");
    expect(m).toMatchObject({ total: 4, insufficient: ['memory'], insufficientNodes: 1, taintNodes: 3, taints: ['dedicated: streaming'], dominant: 'taint' });
    expect(parseSchedulingMessage("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: …").dominant).toBe('affinity');
    expect(parseSchedulingMessage('0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: …')).toMatchObject({ unboundPvc: true, dominant: 'pvc' });
    const lost = parseSchedulingMessage("0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) didn't match pod anti-affinity rules.");
    expect(lost).toMatchObject({ systemTaintNodes: 1, taintNodes: 0, dominant: 'anti_affinity' });
  });
});

describe('missingConfigOf', () => {
  it('reads the object the kubelet could not find', () => {
    expect(missingConfigOf('configmap "frontend-config" not found')).toEqual({ kind: 'ConfigMap', name: 'frontend-config' });
    expect(missingConfigOf('Error: secret "stripe-api-key" not found')).toEqual({ kind: 'Secret', name: 'stripe-api-key' });
    expect(missingConfigOf("couldn't find key DB_URL in ConfigMap shop/app-config")).toEqual({ kind: 'ConfigMap', name: 'app-config', key: 'DB_URL' });
  });
});

describe('classifyLog', () => {
  it('classes the records that make containers exit, a stack trace as one record', () => {
    const classes = (lines: string[]) => classifyLog(log('n', 'p', lines)).map((r) => r.class);
    expect(classes(['FATAL: environment variable DB_URL is not set'])).toEqual(['config']);
    expect(classes(['ERROR: could not write to file "base/1/2": No space left on device'])).toEqual(['disk_full']);
    expect(classes(['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space', '\tat com.x.Y.z(Y.java:1)'])).toEqual(['oom']);
    expect(classes(['panic: runtime error: invalid memory address or nil pointer dereference', '[signal SIGSEGV: segmentation violation]', 'goroutine 1 [running]:'])).toEqual(['panic']);
    expect(classes(['redis: ping failed: dial tcp: lookup redis on 10.96.0.10:53: no such host'])).toEqual(['dns']);
    expect(classes(['INFO listening on :8080', 'WARN retrying after connection refused'])).toEqual([]);
  });
});

describe('dependency_error', () => {
  function client(env: { name: string; value: string }[], line: string): { objects: KubeObject[]; lines: string[]; podName: string } {
    const { deployment: d, replicaSet: rs } = deployment('edge', 'limiter', { ready: 0, container: { env } });
    const p = pod('edge', 'limiter-6d5f8c7b9a-aaaaa', { owner: rs, node: 'node-1', labels: { app: 'limiter' }, ready: false, status: crashStatus(3) });
    const { deployment: redis } = deployment('cache', 'redis', { replicas: 0, ready: 0 });
    return { objects: [node('node-1'), d, rs, p, redis, service('cache', 'redis', { app: 'redis' }, { port: 6379, clusterIP: '10.96.0.15' }), endpoints('cache', 'redis', 0)], lines: [line], podName: p.metadata.name };
  }
  const depOf = (objects: KubeObject[], podName: string, lines: string[]) => extractSignals(snapshot(objects, [log('edge', podName, lines, { previous: true })])).signals.find((s) => s.name === 'dependency_error');

  it('resolves a Service IP in a log line to the Service and its scaled-down backend', () => {
    const c = client([], '{"level":"fatal","msg":"redis ping failed","error":"dial tcp 10.96.0.15:6379: connect: connection refused"}');
    const dep = depOf(c.objects, c.podName, c.lines);
    expect(dep?.fields).toMatchObject({ class: 'dependency_connection', service: 'cache/redis', ready_endpoints: 0, backend_scaled_to_zero: true, via: 'log' });
    expect(dep?.refs.dependency?.[0]).toMatchObject({ kind: 'Deployment', namespace: 'cache', name: 'redis' });
    expect(dep?.refs.workload?.[0]).toMatchObject({ kind: 'Deployment', name: 'limiter' });
  });

  it('falls back to the Service the configuration names when the log names none', () => {
    const c = client([{ name: 'REDIS_URL', value: 'redis://redis.cache.svc.cluster.local:6379/0' }], 'ERROR connection refused');
    expect(depOf(c.objects, c.podName, c.lines)?.fields).toMatchObject({ service: 'cache/redis', via: 'config' });
  });

  it('finds the NetworkPolicy that drops the traffic', () => {
    const c = client([], 'ERROR dial tcp 10.96.0.15:6379: i/o timeout');
    const redisPod = pod('cache', 'redis-6d5f8c7b9a-rrrrr', { owner: c.objects[4]!, labels: { app: 'redis' } });
    const policy: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'redis-ingress', namespace: 'cache', uid: 'np', resourceVersion: '1', creationTimestamp: '2025-09-30T10:00:00Z' }, spec: { podSelector: { matchLabels: { app: 'redis' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] } };
    const dep = depOf([...c.objects, redisPod, policy], c.podName, c.lines);
    expect(dep?.fields).toMatchObject({ blocked_by_policy: true, policy: 'cache/redis-ingress' });
    const allowAll = structuredClone(policy);
    (allowAll['spec'] as { ingress: unknown[] }).ingress = [{ from: [{ namespaceSelector: {} }] }];
    expect(depOf([...c.objects, redisPod, allowAll], c.podName, c.lines)?.fields['blocked_by_policy']).toBe(false);
  });
});

describe('metricSignals', () => {
  it('sees a steady leak towards the limit and cpu pinned at its limit', () => {
    const { deployment: d, replicaSet: rs } = deployment('shop', 'cart', { container: { memoryLimit: '512Mi', cpuLimit: '500m' } });
    const p = pod('shop', 'cart-6d5f8c7b9a-aaaaa', { owner: rs, container: { memoryLimit: '512Mi', cpuLimit: '500m' } });
    const topo = buildTopology(snapshot([d, rs, p]));
    const mem = Array.from({ length: 20 }, (_, i) => [T0 + i * 30_000, (220 + i * 5) * 2 ** 20] as const);
    const cpu = Array.from({ length: 10 }, (_, i) => [T0 + i * 30_000, 490 + (i % 2) * 10] as const);
    const out = metricSignals(topo, [
      { name: 'container_memory_usage_bytes', labels: { namespace: 'shop', pod: p.metadata.name, container: 'app' }, samples: mem },
      { name: 'container_cpu_usage_millicores', labels: { namespace: 'shop', pod: p.metadata.name, container: 'app' }, samples: cpu },
    ]);
    const growth = out.find((s) => s.name === 'memory_growth');
    expect(growth?.fields).toMatchObject({ rate: '10Mi/min', memory_limit: '512Mi', eta: '20m' });
    expect(out.find((s) => s.name === 'cpu_throttling')?.fields).toMatchObject({ cpu_limit: '500m', samples_at_limit: 10 });
    const flat = metricSignals(topo, [{ name: 'container_memory_usage_bytes', labels: { namespace: 'shop', pod: p.metadata.name, container: 'app' }, samples: mem.map(([t]) => [t, 300 * 2 ** 20] as const) }]);
    expect(flat).toEqual([]);
  });
});
