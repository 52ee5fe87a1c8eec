import { describe, expect, it } from 'vitest';
import { SimClock } from '../clock.js';
import { res } from '../resources.js';
import { StatusError } from '../status-error.js';
import { ObjectStore, type WatchEvent } from './object-store.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

function setup() {
  const clock = new SimClock({ start: Date.UTC(2025, 8, 30) });
  const store = new ObjectStore({ clock, historyLimit: 100 });
  store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  return { clock, store };
}

const pod = (name: string, labels: Record<string, string> = {}, nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels },
  spec: { containers: [{ name: 'app', image: 'x' }], ...(nodeName ? { nodeName } : {}) },
});

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('ObjectStore', () => {
  it('creates with uid, resourceVersion, timestamps and generation; refuses duplicates and bad names', () => {
    const { store } = setup();
    const p = store.create(res('pods'), pod('a'));
    expect(p.metadata).toMatchObject({ name: 'a', namespace: 'shop', generation: 1, creationTimestamp: '2025-09-30T00:00:00Z' });
    expect(p.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(statusOf(() => store.create(res('pods'), pod('a'))).code).toBe(409);
    expect(statusOf(() => store.create(res('pods'), pod('Bad_Name'))).code).toBe(422);
    expect(statusOf(() => store.create(res('pods'), { ...pod('b'), metadata: { name: 'b', namespace: 'nowhere' } })).message).toBe('namespaces "nowhere" not found');
    const g = store.create(res('pods'), { ...pod(''), metadata: { generateName: 'web-', namespace: 'shop' } });
    expect(g.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
  });

  it('updates with optimistic concurrency, keeps status on main updates and bumps generation on spec changes only', () => {
    const { store } = setup();
    const p = store.create(res('pods'), pod('a'));
    const withStatus = store.update(res('pods'), { ...p, status: { phase: 'Running' } }, { subresource: 'status' });
    expect(withStatus.metadata.generation).toBe(1);
    const relabelled = store.update(res('pods'), { ...withStatus, metadata: { ...withStatus.metadata, labels: { x: 'y' } }, status: { phase: 'Failed' } });
    expect(relabelled.status).toEqual({ phase: 'Running' });
    expect(relabelled.metadata.generation).toBe(1);
    const respec = store.update(res('pods'), { ...relabelled, spec: { containers: [] } });
    expect(respec.metadata.generation).toBe(2);
    expect(statusOf(() => store.update(res('pods'), p)).reason).toBe('Conflict');
  });

  it('lists with label and field selectors and pages with continue', () => {
    const { store } = setup();
    for (let i = 0; i < 7; i++) store.create(res('pods'), pod(`p${i}`, { app: i % 2 ? 'web' : 'db' }, i < 3 ? 'node-1' : 'node-2'));
    expect(store.list(res('pods'), { labelSelector: parseLabelSelector('app=web') }).items).toHaveLength(3);
    expect(store.list(res('pods'), { labelSelector: parseLabelSelector('app in (web,db),app!=db') }).items).toHaveLength(3);
    expect(store.list(res('pods'), { fieldSelector: parseFieldSelector('spec.nodeName=node-1') }).items.map((p) => p.metadata.name)).toEqual(['p0', 'p1', 'p2']);
    const names: string[] = [];
    let cont: string | undefined;
    do {
      const page = store.list(res('pods'), { limit: 3, ...(cont ? { continue: cont } : {}) });
      names.push(...page.items.map((p) => p.metadata.name));
      cont = page.continue;
    } while (cont);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(statusOf(() => store.list(res('pods'), { continue: 'garbage' })).code).toBe(400);
    expect(statusOf(() => parseLabelSelector('app in (web')).code).toBe(400);
  });

  it('watches from a resourceVersion, translating selector moves into ADDED/DELETED, and answers 410 when too old', () => {
    const { store } = setup();
    const start = store.resourceVersion();
    const a = store.create(res('pods'), pod('a', { app: 'web' }));
    const seen: string[] = [];
    const stop = store.watch(res('pods'), { resourceVersion: start, labelSelector: parseLabelSelector('app=web') }, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata.name}`));
    store.update(res('pods'), { ...a, metadata: { ...a.metadata, resourceVersion: '', labels: { app: 'db' } } });
    store.create(res('pods'), pod('b', { app: 'web' }));
    store.delete(res('pods'), 'shop', 'b');
    stop();
    store.create(res('pods'), pod('c', { app: 'web' }));
    expect(seen).toEqual(['ADDED a', 'DELETED a', 'ADDED b', 'DELETED b']);
    store.compact();
    expect(statusOf(() => store.watch(res('pods'), { resourceVersion: start }, () => undefined)).code).toBe(410);
  });

  it('hands out copies: changing a returned object changes nothing stored', () => {
    const { store } = setup();
    const p = store.create(res('pods'), pod('a'));
    p.metadata.name = 'changed';
    expect(store.get(res('pods'), 'shop', 'a')?.metadata.name).toBe('a');
  });

  it('keeps delivering to other subscribers and watches when one subscriber throws, and reports the error', () => {
    const clock = new SimClock({ start: Date.UTC(2025, 8, 30) });
    const errors: string[] = [];
    const store = new ObjectStore({ clock, onListenerError: (err, change) => errors.push(`${change.type} ${change.object.metadata.name}: ${(err as Error).message}`) });
    store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    store.subscribe((c) => {
      if (c.key === 'pods') throw new Error('existing.filter is not a function');
    });
    const seen: string[] = [];
    store.subscribe((c) => seen.push(`${c.type} ${c.object.metadata.name}`));
    const watched: WatchEvent[] = [];
    store.watch(res('pods'), { resourceVersion: store.resourceVersion() }, (e) => watched.push(e));
    const created = store.create(res('pods'), pod('a'));
    expect(created.metadata.name).toBe('a');
    expect(seen).toEqual(['ADDED a']);
    expect(watched.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a']);
    expect(errors).toEqual(['ADDED a: existing.filter is not a function']);
  });
});
