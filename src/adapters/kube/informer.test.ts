import { afterEach, describe, expect, it } from 'vitest';
import { InputError, KubeApiError } from '../../contracts/errors.js';
import { KUBE_RESOURCES, type KubeApi, type KubeList, type ListOptions, type WatchEvent, type WatchOptions } from '../../core/kube/kube-api.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import { Informer, dropManagedFields, type InformerOptions } from './informer.js';

/** A scripted KubeApi: the test decides what each list returns and drives each watch by hand. */
class ScriptedApi {
  items: KubeObject[] = [];
  listRv = '100';
  listError: Error | undefined;
  lists: ListOptions[] = [];
  watches: Session[] = [];

  list = (_r: unknown, options: ListOptions = {}): Promise<KubeList> => {
    this.lists.push(options);
    if (this.listError) return Promise.reject(this.listError);
    return Promise.resolve({ resourceVersion: this.listRv, items: structuredClone(this.items) });
  };

  watch = (_r: unknown, options: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<void> => {
    return new Promise<void>((resolve, reject) => {
      const session: Session = { options, emit: onEvent, end: resolve, fail: reject, aborted: false };
      options.signal?.addEventListener('abort', () => {
        session.aborted = true;
        resolve();
      });
      this.watches.push(session);
    });
  };

  asKubeApi(): KubeApi {
    return this as unknown as KubeApi;
  }
}

interface Session {
  options: WatchOptions;
  emit: (e: WatchEvent) => void;
  end: () => void;
  fail: (err: unknown) => void;
  aborted: boolean;
}

const pod = (name: string, rv: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: rv, creationTimestamp: '2024-01-01T00:00:00Z' }, ...extra });

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const informers: Informer<KubeObject>[] = [];
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

function make(api: ScriptedApi, options: InformerOptions<KubeObject> = {}) {
  const log: string[] = [];
  const informer = new Informer<KubeObject>(api.asKubeApi(), KUBE_RESOURCES.pods, { backoff: { initialMs: 5, maxMs: 20 }, ...options });
  informer.addHandler({
    add: (o) => log.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    update: (o, old) => log.push(`update ${o.metadata.name}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
    delete: (o) => log.push(`delete ${o.metadata.name}@${o.metadata.resourceVersion}`),
  });
  informers.push(informer);
  return { informer, log };
}

describe('Informer', () => {
  it('lists into the cache, then applies watch events from the list resourceVersion; bookmarks only move the version', async () => {
    const api = new ScriptedApi();
    api.items = [pod('a', '90'), pod('b', '95')];
    const { informer, log } = make(api, { namespace: 'shop', labelSelector: 'app=web', pageSize: 50 });
    await informer.start();
    expect(informer.synced).toBe(true);
    expect(api.lists[0]).toMatchObject({ namespace: 'shop', labelSelector: 'app=web', limit: 50 });
    expect(log).toEqual(['add a@90', 'add b@95']);
    expect(informer.get('shop', 'a')?.metadata.resourceVersion).toBe('90');
    expect(informer.lastResourceVersion).toBe('100');
    await until('a watch', () => api.watches.length === 1);
    const w = api.watches[0] as Session;
    expect(w.options).toMatchObject({ resourceVersion: '100', allowWatchBookmarks: true, namespace: 'shop', labelSelector: 'app=web' });
    expect(w.options.timeoutSeconds).toBeGreaterThanOrEqual(240);
    expect(w.options.timeoutSeconds).toBeLessThanOrEqual(360);
    w.emit({ type: 'ADDED', object: pod('c', '101') });
    w.emit({ type: 'MODIFIED', object: pod('a', '102') });
    w.emit({ type: 'DELETED', object: pod('b', '103') });
    w.emit({ type: 'DELETED', object: pod('never-seen', '104') });
    w.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '150' } } as unknown as KubeObject });
    expect(log.slice(2)).toEqual(['add c@101', 'update a@90->102', 'delete b@103']);
    expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'c']);
    expect(informer.size).toBe(2);
    expect(informer.lastResourceVersion).toBe('150');
    expect(informer.stats()).toMatchObject({ lists: 1, watches: 1, bookmarks: 1, events: 4 });
  });

  it('re-watches from the last resourceVersion when the server ends a watch, without relisting', async () => {
    const api = new ScriptedApi();
    const { informer } = make(api);
    await informer.start();
    await until('a watch', () => api.watches.length === 1);
    api.watches[0]?.emit({ type: 'ADDED', object: pod('x', '120') });
    api.watches[0]?.end();
    await until('a second watch', () => api.watches.length === 2);
    expect(api.watches[1]?.options.resourceVersion).toBe('120');
    expect(informer.stats()).toMatchObject({ lists: 1, watches: 2, relists410: 0 });
  });

  it('relists on 410 and reports what changed while away: adds, updates, deletes; unchanged objects stay quiet', async () => {
    const api = new ScriptedApi();
    api.items = [pod('keep', '10'), pod('change', '11'), pod('gone', '12')];
    const { informer, log } = make(api);
    await informer.start();
    log.length = 0;
    await until('a watch', () => api.watches.length === 1);
    api.items = [pod('keep', '10'), pod('change', '30'), pod('new', '31')];
    api.listRv = '200';
    api.watches[0]?.fail(new KubeApiError('too old resource version', 410, 'Expired'));
    await until('the relist to report', () => log.length === 3);
    expect(informer.stats().lists).toBe(2);
    expect(log).toEqual(['update change@11->30', 'add new@31', 'delete gone@12']);
    await until('a watch after relist', () => api.watches.length === 2);
    expect(api.watches[1]?.options.resourceVersion).toBe('200');
    expect(informer.stats()).toMatchObject({ relists410: 1, errors: 0 });
  });

  it('backs off after failures, keeps the cache, reports them, and resumes from the last resourceVersion', async () => {
    const api = new ScriptedApi();
    const errors: unknown[] = [];
    api.listError = new KubeApiError('connect ECONNREFUSED', 0);
    const { informer } = make(api, { onError: (e) => errors.push(e) });
    const started = informer.start();
    await until('three failed lists', () => api.lists.length >= 3);
    expect(informer.synced).toBe(false);
    api.listError = undefined;
    api.items = [pod('a', '5')];
    await started;
    expect(errors.length).toBeGreaterThanOrEqual(2);
    await until('a watch', () => api.watches.length === 1);
    api.watches[0]?.emit({ type: 'MODIFIED', object: pod('a', '130') });
    api.watches[0]?.fail(new KubeApiError('GET /api/v1/pods: HTTP 503', 503));
    await until('a re-watch', () => api.watches.length === 2);
    expect(api.watches[1]?.options.resourceVersion).toBe('130');
    expect(informer.get('shop', 'a')?.metadata.resourceVersion).toBe('130');
    expect(informer.stats().lists).toBe(api.lists.length);
    expect(informer.stats().errors).toBe(errors.length);
  });

  it('a throwing handler or transform is contained: the next handler still runs and the loop goes on', async () => {
    const api = new ScriptedApi();
    const { informer, log } = make(api, {
      transform: (o) => {
        if (o.metadata.name === 'poison') throw new Error('transform bug');
        return dropManagedFields(o);
      },
    });
    informer.addHandler({
      add: () => {
        throw new Error('handler bug');
      },
    });
    const second: string[] = [];
    informer.addHandler({ add: (o) => second.push(o.metadata.name) });
    await informer.start();
    await until('a watch', () => api.watches.length === 1);
    api.watches[0]?.emit({ type: 'ADDED', object: pod('poison', '101') });
    api.watches[0]?.emit({
      type: 'ADDED',
      object: pod('ok', '102', {}),
    });
    expect(log).toEqual(['add ok@102']);
    expect(second).toEqual(['ok']);
    expect(informer.get('shop', 'poison')).toBeUndefined();
    expect(informer.stats().handlerErrors).toBe(2);
  });

  it('keeps only the transformed object (managedFields and last-applied dropped)', async () => {
    const api = new ScriptedApi();
    const heavy = pod('a', '1');
    Object.assign(heavy.metadata, { managedFields: [{ manager: 'kubectl' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{...}', keep: 'me' } });
    api.items = [heavy];
    const { informer } = make(api, { transform: dropManagedFields });
    await informer.start();
    const cached = informer.get('shop', 'a') as KubeObject & { metadata: { managedFields?: unknown } };
    expect(cached.metadata.managedFields).toBeUndefined();
    expect(cached.metadata.annotations).toEqual({ keep: 'me' });
  });

  it('a handler added after sync is told about every cached object first', async () => {
    const api = new ScriptedApi();
    api.items = [pod('a', '1'), pod('b', '2')];
    const { informer } = make(api);
    await informer.start();
    const late: string[] = [];
    informer.addHandler({ add: (o) => late.push(o.metadata.name) });
    expect(late).toEqual(['a', 'b']);
  });

  it('resync relists on its period and reports only what changed', async () => {
    const api = new ScriptedApi();
    api.items = [pod('a', '1')];
    const { informer, log } = make(api, { resyncPeriodMs: 40 });
    await informer.start();
    await until('a watch', () => api.watches.length === 1);
    api.items = [pod('a', '1'), pod('b', '2')];
    await until('a resync to report the new object', () => log.length === 2);
    expect(informer.stats().lists).toBeGreaterThanOrEqual(2);
    expect(api.watches[0]?.aborted).toBe(true);
    expect(log).toEqual(['add a@1', 'add b@2']);
  });

  it('stop aborts the watch in flight; stopping before the first list rejects start()', async () => {
    const api = new ScriptedApi();
    const { informer } = make(api);
    await informer.start();
    await until('a watch', () => api.watches.length === 1);
    await informer.stop();
    expect(api.watches[0]?.aborted).toBe(true);
    await expect(informer.start()).rejects.toThrow(/was stopped/);

    const down = new ScriptedApi();
    down.listError = new KubeApiError('connect ECONNREFUSED', 0);
    const { informer: never } = make(down);
    const pending = never.start();
    await until('a failed list', () => down.lists.length >= 1);
    await never.stop();
    await expect(pending).rejects.toThrow(/stopped before its first list/);
  });

  it('rejects bad options naming them', () => {
    const api = new ScriptedApi().asKubeApi();
    expect(() => new Informer(api, KUBE_RESOURCES.nodes, { namespace: 'shop' })).toThrow(InputError);
    expect(() => new Informer(api, KUBE_RESOURCES.pods, { watchTimeoutSeconds: 0, resyncPeriodMs: -1 })).toThrow(/watchTimeoutSeconds must be a positive integer.*|resyncPeriodMs must be 0/);
  });
});
