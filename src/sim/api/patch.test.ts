import { describe, expect, it } from 'vitest';
import { StatusError } from '../status-error.js';
import { applyPatch, patchTypeOf } from './patch.js';

describe('patches', () => {
  const pod = {
    metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
    spec: {
      containers: [
        { name: 'app', image: 'a:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
        { name: 'side', image: 's:1' },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 'k' }],
    },
  };

  it('merge patch replaces lists and deletes with null', () => {
    expect(applyPatch('merge', pod, { metadata: { labels: { a: null, c: '3' } }, spec: { tolerations: [] } })).toMatchObject({ metadata: { labels: { b: '2', c: '3' } }, spec: { tolerations: [] } });
  });

  it('strategic merge merges containers, env, ports and volumes by key and honours directives', () => {
    const out = applyPatch('strategic', pod, {
      $setElementOrder: 'ignored',
      metadata: { finalizers: ['y'], $deleteFromPrimitiveList: undefined },
      spec: {
        containers: [{ name: 'app', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 8080 }] }, { name: 'side', $patch: 'delete' }, { name: 'new', image: 'n:1' }],
        volumes: [{ name: 'v', $patch: 'delete' }],
        tolerations: [{ key: 'other' }],
      },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([
      { name: 'app', image: 'a:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }, { containerPort: 8080 }] },
      { name: 'new', image: 'n:1' },
    ]);
    expect(out.spec.volumes).toEqual([]);
    expect(out.spec.tolerations).toEqual([{ key: 'other' }]);
    expect(out.metadata.finalizers).toEqual(['x', 'y']);
  });

  it('strategic merge: $retainKeys, $patch replace and delete from primitive lists', () => {
    const out = applyPatch('strategic', { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } }, metadata: { finalizers: ['a', 'b'] } }, {
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } },
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    });
    expect(out).toEqual({ spec: { strategy: { type: 'Recreate' } }, metadata: { finalizers: ['b'] } });
    expect(applyPatch('strategic', { a: { b: 1, c: 2 } }, { a: { $patch: 'replace', d: 3 } })).toEqual({ a: { d: 3 } });
  });

  it('JSON patch applies RFC 6902 operations and rejects what cannot apply', () => {
    const out = applyPatch('json', pod, [
      { op: 'add', path: '/spec/containers/-', value: { name: 'x', image: 'x' } },
      { op: 'replace', path: '/spec/containers/0/image', value: 'a:2' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'move', from: '/spec/tolerations', path: '/spec/moved' },
      { op: 'test', path: '/spec/containers/0/image', value: 'a:2' },
      { op: 'add', path: '/metadata/labels/a~1b', value: 'slash' },
    ]) as { spec: { containers: unknown[]; moved: unknown }; metadata: { labels: unknown } };
    expect(out.spec.containers).toHaveLength(3);
    expect(out.metadata.labels).toEqual({ b: '2', name: 'p', 'a/b': 'slash' });
    expect(out.spec.moved).toEqual([{ key: 'k' }]);
    expect(pod.spec.containers[0]?.image).toBe('a:1');
    expect(() => applyPatch('json', pod, [{ op: 'test', path: '/metadata/name', value: 'q' }])).toThrow(StatusError);
    expect(() => applyPatch('json', pod, [{ op: 'replace', path: '/nope/x', value: 1 }])).toThrow(/does not exist/);
    expect(() => applyPatch('json', pod, [{ op: 'frob', path: '/a' }])).toThrow(StatusError);
    expect(() => applyPatch('merge', pod, [1])).toThrow(StatusError);
  });

  it('knows the content types', () => {
    expect(patchTypeOf('application/strategic-merge-patch+json; charset=utf-8')).toBe('strategic');
    expect(patchTypeOf('application/apply-patch+yaml')).toBe('apply');
    expect(patchTypeOf('text/plain')).toBeUndefined();
  });
});
