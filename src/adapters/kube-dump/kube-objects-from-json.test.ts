import { describe, expect, it } from 'vitest';
import { DumpInputError } from './dump-input-error.js';
import { kubeObjectsFromJson } from './kube-objects-from-json.js';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: '2025-03-14T08:00:00Z', ...extra });

describe('kubeObjectsFromJson', () => {
  it('gives the items of a typed List the List’s kind and apiVersion, and a dump namespace to items without one', () => {
    const list = { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: {}, items: [{ metadata: meta('api') }, { metadata: meta('web', { namespace: 'other' }) }] };
    const { objects, warnings } = kubeObjectsFromJson(list, { file: 'shop/deployments.json', namespace: 'shop' });
    expect(warnings).toEqual([]);
    expect(objects.map((o) => [o.kind, o.apiVersion, o.metadata.namespace, o.metadata.name])).toEqual([
      ['Deployment', 'apps/v1', 'shop', 'api'],
      ['Deployment', 'apps/v1', 'other', 'web'],
    ]);
  });

  it('never gives a cluster-scoped kind a namespace', () => {
    const { objects } = kubeObjectsFromJson({ kind: 'NodeList', apiVersion: 'v1', items: [{ metadata: meta('node-1') }] }, { file: 'x', namespace: 'shop' });
    expect(objects[0]?.metadata.namespace).toBeUndefined();
  });

  it('reads a mixed List (kubectl get a,b -o json) and a single object, and warns about items it cannot use', () => {
    const mixed = {
      kind: 'List',
      apiVersion: 'v1',
      items: [{ kind: 'Pod', apiVersion: 'v1', metadata: meta('p') }, { kind: 'Service', apiVersion: 'v1', metadata: meta('s') }, { metadata: meta('kindless') }, 'junk', { kind: 'Pod' }],
    };
    const { objects, warnings } = kubeObjectsFromJson(mixed, { file: 'all.json' });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Pod/p', 'Service/s']);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/all\.json: items\[2\].*no kind/);
    expect(warnings.join('\n')).toMatch(/all\.json: items\[3\]: not an object/);
    expect(warnings.join('\n')).toMatch(/all\.json: items\[4\]: no metadata\.name/);

    const single = kubeObjectsFromJson({ kind: 'Pod', apiVersion: 'v1', metadata: meta('one') }, { file: 'pod.json' });
    expect(single.objects.map((o) => o.metadata.name)).toEqual(['one']);
  });

  it('fills ObjectMeta strings a hand-written file leaves out', () => {
    const { objects } = kubeObjectsFromJson({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'bare' } }, { file: 'x' });
    expect(objects[0]?.metadata).toEqual({ name: 'bare', uid: '', resourceVersion: '', creationTimestamp: '' });
  });

  it('refuses a Status, a Table and JSON of another shape with a message naming the file and the problem', () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods is forbidden: User "dev" cannot list resource "pods"', reason: 'Forbidden', code: 403 };
    expect(() => kubeObjectsFromJson(status, { file: 'pods.json' })).toThrow(/pods\.json: a Kubernetes Status .*pods is forbidden/);
    expect(() => kubeObjectsFromJson({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [] }, { file: 't.json' })).toThrow(/t\.json: a server-side Table/);
    expect(() => kubeObjectsFromJson({ hello: 'world' }, { file: 'h.json' })).toThrow(/h\.json: not a Kubernetes object or list.*found keys: hello/);
    expect(() => kubeObjectsFromJson(42, { file: 'n.json' })).toThrow(DumpInputError);
  });

  it('keeps only the keys of a Secret, never its values', () => {
    const secret = {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: meta('db', { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}', team: 'payments' } }),
      data: { password: 'aHVudGVyMg==', user: 'YXBw' },
      stringData: { extra: 'plain' },
    };
    const [out] = kubeObjectsFromJson(secret, { file: 's.json' }).objects;
    expect(JSON.stringify(out)).not.toMatch(/aHVudGVyMg|YXBw|plain/);
    expect(Object.keys(out?.['data'] as object)).toEqual(['password', 'user']);
    expect(out?.metadata.annotations).toEqual({ team: 'payments' });
  });

  it('turns events.k8s.io/v1 Events into core/v1 Events', () => {
    const ev = {
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      metadata: meta('p.1', { namespace: 'shop' }),
      regarding: { kind: 'Pod', name: 'p', namespace: 'shop' },
      reason: 'BackOff',
      note: 'Back-off restarting failed container',
      type: 'Warning',
      eventTime: null,
      series: { count: 12, lastObservedTime: '2025-03-14T09:41:52.000000Z' },
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
    };
    const [out] = kubeObjectsFromJson(ev, { file: 'e.json' }).objects;
    expect(out).toMatchObject({ apiVersion: 'v1', kind: 'Event', involvedObject: { kind: 'Pod', name: 'p' }, message: 'Back-off restarting failed container', count: 12, lastTimestamp: '2025-03-14T09:41:52.000000Z', source: { component: 'kubelet', host: 'node-1' } });
  });
});
