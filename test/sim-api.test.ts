/**
 * The simulated API server over real HTTP: discovery, list/watch semantics, writes with validation and
 * the three patch formats, subresources, events.k8s.io, metrics.k8s.io, Tables, and bad input that
 * must end as a Kubernetes Status while the server keeps answering.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   the answers are wire JSON, probed field by field as a client would. */
import { request, type IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { startSimApiServer } from '../src/sim/api/index.js';
import { createNodeControllers } from '../src/sim/controllers/node/index.js';
import { res } from '../src/sim/resources.js';
import { startWorld, type RunningWorld } from './support/sim-world.js';

let world: RunningWorld;
beforeEach(async () => {
  world = await startWorld({ bookmarkIntervalMs: 100 });
});
afterEach(async () => {
  await world.close();
});

interface Reply {
  status: number;
  type: string;
  text: string;
  json: Record<string, any>;
}

async function api(method: string, path: string, options: { body?: unknown; type?: string; accept?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.accept) headers['Accept'] = options.accept;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.type ?? 'application/json';
  }
  const r = await fetch(world.server.url + path, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  let json = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // text/plain
  }
  return { status: r.status, type: r.headers.get('content-type') ?? '', text, json };
}

/** Reads a watch stream line by line until `until` says stop or the time runs out. */
async function watchLines(path: string, until: (lines: Record<string, any>[]) => boolean, ms = 5000): Promise<Record<string, any>[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const lines: Record<string, unknown>[] = [];
  try {
    const r = await fetch(world.server.url + path, { signal: controller.signal });
    expect(r.status).toBe(200);
    const reader = r.body!.getReader();
    let buf = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
      if (until(lines)) break;
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return lines;
}

describe('discovery', () => {
  it('serves version, API versions, groups and resource lists with subresources', async () => {
    expect((await api('GET', '/version')).json).toMatchObject({ major: '1', minor: '29', gitVersion: 'v1.29.0-aetherius-sim', platform: 'linux/amd64' });
    expect((await api('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await api('GET', '/apis')).json;
    expect(groups['kind']).toBe('APIGroupList');
    expect(groups['groups'].map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'events.k8s.io', 'metrics.k8s.io', 'policy']));
    const core = (await api('GET', '/api/v1')).json;
    const byName = new Map(core['resources'].map((r: { name: string }) => [r.name, r]));
    expect(byName.get('pods')).toMatchObject({ kind: 'Pod', namespaced: true, singularName: 'pod', shortNames: ['po'], categories: ['all'] });
    expect(byName.get('pods/log')).toMatchObject({ kind: 'Pod', verbs: ['get'] });
    expect(byName.get('pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    const apps = (await api('GET', '/apis/apps/v1')).json;
    expect(apps['resources']).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'deployments/scale', group: 'autoscaling', version: 'v1', kind: 'Scale' })]));
    // kubectl 1.32 asks for aggregated discovery first; a plain answer makes it fall back to legacy discovery.
    const aggregated = await api('GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(aggregated.type).toBe('application/json');
    expect((await api('GET', '/openapi/v2')).status).toBe(404);
  });
});

describe('list and watch', () => {
  it('lists with kind on items, selectors, and pages with continue', async () => {
    const all = (await api('GET', '/api/v1/pods')).json;
    expect(all).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
    expect(all['items']).toHaveLength(4);
    expect(all['items'][0]).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    const onNode = (await api('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-2')).json;
    expect(onNode['items'].map((p: any) => p.metadata.name)).toEqual(['multi']);
    const labelled = (await api('GET', '/api/v1/namespaces/shop/pods?labelSelector=app%20in%20(checkout)')).json;
    expect(labelled['items']).toHaveLength(2);
    const page1 = (await api('GET', '/api/v1/pods?limit=3')).json;
    expect(page1['items']).toHaveLength(3);
    expect(page1['metadata']).toMatchObject({ remainingItemCount: 1 });
    const page2 = (await api('GET', `/api/v1/pods?limit=3&continue=${page1['metadata']['continue']}`)).json;
    expect(page2['items']).toHaveLength(1);
    const events = (await api('GET', '/api/v1/events?fieldSelector=involvedObject.name%3Dmulti,type%3DNormal')).json;
    expect(events['items'].map((e: any) => e.reason)).toEqual(['Started']);
  });

  it('watches from a resourceVersion: changes, bookmarks, and the end at timeoutSeconds', async () => {
    const rv = world.ctx.store.resourceVersion();
    const pending = watchLines(`/api/v1/namespaces/shop/pods?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=2`, () => false, 8000);
    await new Promise((r) => setTimeout(r, 200));
    world.ctx.store.mutate(res('pods'), 'shop', 'multi', (p) => void (p.metadata.labels = { app: 'multi', touched: 'yes' }));
    world.ctx.store.delete(res('pods'), 'shop', 'multi');
    const started = Date.now();
    const lines = await pending;
    expect(Date.now() - started).toBeLessThan(4000);
    const types = lines.map((l) => `${l['type']} ${l['object']?.metadata?.name ?? ''}`);
    expect(types).toEqual(expect.arrayContaining(['MODIFIED multi', 'DELETED multi']));
    expect(lines.some((l) => l['type'] === 'BOOKMARK' && l['object']['metadata']['resourceVersion'])).toBe(true);
  });

  it('flushes watch headers at once, and a too-old resourceVersion is 410 Gone', async () => {
    const first = await watchLines('/api/v1/nodes?watch=true', (l) => l.length >= 2, 3000);
    expect(first.map((l) => l['type'])).toEqual(['ADDED', 'ADDED']);
    const controller = new AbortController();
    const r = await fetch(`${world.server.url}/api/v1/nodes?watch=true&resourceVersion=${world.ctx.store.resourceVersion()}`, { signal: controller.signal });
    expect(r.status).toBe(200);
    controller.abort();
    world.ctx.store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
    world.ctx.store.compact();
    world.ctx.store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y' } });
    const gone = await api('GET', '/api/v1/namespaces?watch=true&resourceVersion=2');
    expect(gone.status).toBe(410);
    expect(gone.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
  });

  it('answers server-side Tables (v1 and v1beta1) with kubectl’s pod STATUS', async () => {
    const table = (await api('GET', '/api/v1/namespaces/shop/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })).json;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table['columnDefinitions'].map((c: { name: string }) => c.name).slice(0, 5)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    const crash = table['rows'].find((r: any) => r.cells[0] === 'checkout-7f9c5d6b8-crash');
    expect(crash.cells.slice(1, 4)).toEqual(['0/1', 'CrashLoopBackOff', '3 (60s ago)']);
    expect(crash.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { namespace: 'shop' } });
    const beta = (await api('GET', '/apis/apps/v1/namespaces/shop/deployments?includeObject=Object', { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' })).json;
    expect(beta).toMatchObject({ apiVersion: 'meta.k8s.io/v1beta1', rows: [{ cells: ['checkout', '1/2', 2, 1, '0s', 'app', 'registry.local/shop/checkout:1.4.2', 'app=checkout'], object: { kind: 'Deployment' } }] });
  });
});

describe('writes', () => {
  const deployment = (extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'side', image: 'side:1' }] } }, ...extra },
  });

  it('creates (201), refuses duplicates (409) and invalid objects (422 naming the field), honours dryRun', async () => {
    const dry = await api('POST', '/apis/apps/v1/namespaces/shop/deployments?dryRun=All', { body: deployment() });
    expect(dry.status).toBe(201);
    expect(world.ctx.store.get(res('deployments.apps'), 'shop', 'web')).toBeUndefined();
    const created = await api('POST', '/apis/apps/v1/namespaces/shop/deployments', { body: deployment() });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', generation: 1 } });
    expect((await api('POST', '/apis/apps/v1/namespaces/shop/deployments', { body: deployment() })).json).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    const bad = await api('POST', '/apis/apps/v1/namespaces/shop/deployments', {
      body: { ...deployment(), metadata: { name: 'bad' }, spec: { replicas: -1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app' }] } } } },
    });
    expect(bad.status).toBe(422);
    expect(bad.json['details']['causes'].map((c: { field: string }) => c.field)).toEqual(['spec.replicas', 'spec.template.metadata.labels', 'spec.template.spec.containers[0].image']);
    expect(bad.json['message']).toContain('Deployment.apps "bad" is invalid');
  });

  it('patches with strategic merge (containers and env by name, $patch delete), merge patch and JSON patch', async () => {
    await api('POST', '/apis/apps/v1/namespaces/shop/deployments', { body: deployment() });
    const path = '/apis/apps/v1/namespaces/shop/deployments/web';
    const smp = await api('PATCH', path, {
      type: 'application/strategic-merge-patch+json',
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2', env: [{ name: 'B', value: '3' }, { name: 'A', $patch: 'delete' }] }, { name: 'side', $patch: 'delete' }] } } } },
    });
    expect(smp.status).toBe(200);
    expect(smp.json['spec']['template']['spec']['containers']).toEqual([{ name: 'app', image: 'web:2', env: [{ name: 'B', value: '3' }] }]);
    expect(smp.json['metadata']['generation']).toBe(2);
    const merge = await api('PATCH', path, { type: 'application/merge-patch+json', body: { metadata: { labels: { tier: 'front' } } } });
    expect(merge.json['metadata']['labels']).toEqual({ tier: 'front' });
    const json = await api('PATCH', path, { type: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/replicas', value: 4 }, { op: 'test', path: '/spec/replicas', value: 4 }] });
    expect(json.json['spec']['replicas']).toBe(4);
    const dry = await api('PATCH', `${path}?dryRun=All`, { type: 'application/merge-patch+json', body: { spec: { replicas: 9 } } });
    expect(dry.json['spec']['replicas']).toBe(9);
    expect(world.ctx.store.mustGet(res('deployments.apps'), 'shop', 'web')['spec']).toMatchObject({ replicas: 4 });
    expect((await api('PATCH', path, { type: 'application/apply-patch+yaml', body: '{}' })).status).toBe(415);
    expect((await api('PATCH', path, { type: 'application/json-patch+json', body: [{ op: 'remove', path: '/spec/nope' }] })).status).toBe(422);
    expect((await api('PATCH', path, { type: 'application/merge-patch+json', body: { spec: { replicas: -2 } } })).json).toMatchObject({ code: 422, reason: 'Invalid' });
  });

  it('status and scale subresources', async () => {
    const status = await api('PUT', '/apis/apps/v1/namespaces/shop/deployments/checkout/status', {
      body: { ...world.seeded.deployment, metadata: { name: 'checkout', namespace: 'shop' }, spec: { replicas: 99 }, status: { readyReplicas: 2 } },
    });
    expect(status.json).toMatchObject({ spec: { replicas: 2 }, status: { readyReplicas: 2 } });
    const scale = await api('GET', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale');
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=checkout' } });
    const put = await api('PUT', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale', { body: { ...scale.json, spec: { replicas: 5 } } });
    expect(put.json['spec']).toEqual({ replicas: 5 });
    const patched = await api('PATCH', '/apis/apps/v1/namespaces/shop/replicasets/checkout-7f9c5d6b8/scale', { type: 'application/merge-patch+json', body: { spec: { replicas: 0 } } });
    expect(patched.json['spec']).toEqual({ replicas: 0 });
    expect((await api('PATCH', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale', { type: 'application/merge-patch+json', body: { spec: { replicas: -1 } } })).status).toBe(422);
  });

  it('evicts and binds pods, deletes with a body', async () => {
    const evicted = await api('POST', '/api/v1/namespaces/shop/pods/multi/eviction', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'multi', namespace: 'shop' } } });
    expect(evicted.status).toBe(201);
    expect(evicted.json).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(world.ctx.store.get(res('pods'), 'shop', 'multi')).toBeUndefined();
    world.ctx.store.create(res('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unbound', namespace: 'shop' }, spec: { containers: [{ name: 'a', image: 'a' }] } });
    expect((await api('POST', '/api/v1/namespaces/shop/pods/unbound/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'unbound' }, target: { kind: 'Node', name: 'node-2' } } })).status).toBe(201);
    expect(world.ctx.store.mustGet(res('pods'), 'shop', 'unbound')['spec']).toMatchObject({ nodeName: 'node-2' });
    expect((await api('POST', '/api/v1/namespaces/shop/pods/unbound/binding', { body: { target: { name: 'node-1' } } })).status).toBe(409);
    const deleted = await api('DELETE', '/api/v1/namespaces/shop/pods/unbound', { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
    expect(deleted.json).toMatchObject({ kind: 'Pod', metadata: { name: 'unbound' } });
    expect((await api('DELETE', '/api/v1/namespaces/shop/pods/unbound')).status).toBe(404);
  });

  it('deletes a bound pod gracefully (Terminating, then gone once its kubelet stopped it) and at once with gracePeriodSeconds=0', async () => {
    const controllers = createNodeControllers(world.ctx);
    for (const c of controllers) c.start();
    onTestFinished(() => {
      for (const c of controllers) c.stop();
    });
    const deleted = await api('DELETE', '/api/v1/namespaces/shop/pods/multi');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ kind: 'Pod', metadata: { name: 'multi', deletionGracePeriodSeconds: 30 } });
    expect(Date.parse(deleted.json['metadata']['deletionTimestamp'] as string)).toBe(Math.floor(world.ctx.clock.now() / 1000) * 1000 + 30_000);
    const table = await api('GET', '/api/v1/namespaces/shop/pods/multi', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.json['rows'][0]['cells'][2]).toBe('Terminating');
    // A second DELETE returns the terminating pod; a shorter grace shortens it.
    const again = await api('DELETE', '/api/v1/namespaces/shop/pods/multi', { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 } });
    expect(again.json).toMatchObject({ kind: 'Pod', metadata: { name: 'multi', deletionGracePeriodSeconds: 5 } });
    await world.ctx.clock.runFor(15_000);
    expect((await api('GET', '/api/v1/namespaces/shop/pods/multi')).status).toBe(404);

    const forced = await api('DELETE', '/api/v1/namespaces/shop/pods/checkout-7f9c5d6b8-abcde?gracePeriodSeconds=0');
    expect(forced.status).toBe(200);
    expect(forced.json['metadata']['deletionTimestamp']).toBeUndefined();
    expect((await api('GET', '/api/v1/namespaces/shop/pods/checkout-7f9c5d6b8-abcde')).status).toBe(404);
  });
});

describe('logs, events.k8s.io, metrics', () => {
  const crash = '/api/v1/namespaces/shop/pods/checkout-7f9c5d6b8-crash/log';

  it('serves logs with tailLines, timestamps, previous, and kubectl’s errors', async () => {
    const tail = await api('GET', `${crash}?tailLines=1`);
    expect(tail.type).toContain('text/plain');
    expect(tail.text).toBe('FATAL: environment variable DB_URL is not set (instance 3)\n');
    expect((await api('GET', `${crash}?previous=true&timestamps=true`)).text).toBe('2024-05-01T09:58:00Z INFO starting checkout (instance 2)\n2024-05-01T09:58:01Z FATAL: environment variable DB_URL is not set (instance 2)\n');
    expect((await api('GET', `${crash}?sinceSeconds=65`)).text).toBe('FATAL: environment variable DB_URL is not set (instance 3)\n');
    const multi = await api('GET', '/api/v1/namespaces/shop/pods/multi/log');
    expect(multi.json).toMatchObject({ code: 400, message: 'a container name must be specified for pod multi, choose one of: [web sidecar]' });
    expect((await api('GET', '/api/v1/namespaces/shop/pods/multi/log?container=web&previous=true')).json['message']).toBe('previous terminated container "web" in pod "multi" not found');
  });

  it('serves core events as events.k8s.io/v1 and takes them back', async () => {
    const list = (await api('GET', '/apis/events.k8s.io/v1/namespaces/shop/events?fieldSelector=regarding.name%3Dcheckout-7f9c5d6b8-crash')).json;
    expect(list['items']).toHaveLength(1);
    expect(list['items'][0]).toMatchObject({ apiVersion: 'events.k8s.io/v1', reason: 'BackOff', note: expect.stringContaining('Back-off'), regarding: { kind: 'Pod' }, reportingController: 'kubelet', deprecatedCount: 1 });
    const created = await api('POST', '/apis/events.k8s.io/v1/namespaces/shop/events', {
      body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e1' }, eventTime: '2024-05-01T10:00:00.000000Z', reportingController: 'aetherius', reportingInstance: 'x', action: 'Remediate', reason: 'Scaled', note: 'scaled up', type: 'Normal', regarding: { kind: 'Deployment', name: 'checkout', namespace: 'shop' } },
    });
    expect(created.status).toBe(201);
    expect(world.ctx.store.mustGet(res('events'), 'shop', 'e1')).toMatchObject({ message: 'scaled up', involvedObject: { name: 'checkout' }, reportingComponent: 'aetherius' });
  });

  it('serves PodMetrics and NodeMetrics from usage', async () => {
    const pods = (await api('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods?labelSelector=app%3Dmulti')).json;
    expect(pods).toMatchObject({ kind: 'PodMetricsList', items: [{ kind: 'PodMetrics', metadata: { name: 'multi' }, window: '30s', containers: [{ name: 'web', usage: { cpu: '10m', memory: '32Mi' } }, { name: 'sidecar', usage: { cpu: '2m', memory: '8Mi' } }] }] });
    expect((await api('GET', '/apis/metrics.k8s.io/v1beta1/nodes/node-1')).json).toMatchObject({ kind: 'NodeMetrics', usage: { cpu: '30m', memory: '84Mi' } });
    expect((await api('POST', '/apis/metrics.k8s.io/v1beta1/nodes', { body: {} })).status).toBe(405);
  });
});

describe('bad input', () => {
  it('answers a Status for every malformed request and keeps serving', async () => {
    const cases: [Promise<Reply>, number][] = [
      [api('POST', '/api/v1/namespaces/shop/configmaps', { body: '{"metadata": {' }), 400],
      [api('POST', '/api/v1/namespaces/shop/configmaps', { body: '[1,2]' }), 400],
      [api('POST', '/api/v1/namespaces/shop/configmaps', { body: 'a: b', type: 'text/plain' }), 415],
      [api('GET', '/api/v1/widgets'), 404],
      [api('GET', '/apis/nope.io/v1/things'), 404],
      [api('GET', '/api/v1/pods?labelSelector=a%20%3D%3D%3D%20b%20(('), 400],
      [api('GET', '/api/v1/pods?continue=garbage'), 400],
      [api('GET', '/api/v1/pods?limit=ten'), 400],
      [api('GET', '/api/v1/pods?watch=true&resourceVersion=abc'), 400],
      [api('PATCH', '/api/v1/namespaces/shop/pods/multi', { type: 'application/json-patch+json', body: { op: 'add' } }), 400],
      [api('PATCH', '/api/v1/namespaces/shop/pods/multi', { type: 'application/merge-patch+json', body: 'nope' }), 400],
      [api('PUT', '/api/v1/namespaces/shop/pods/multi', { body: { metadata: { name: 'other' } } }), 400],
      [api('POST', '/apis/apps/v1/namespaces/shop/deployments', { body: { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'z' } } }), 400],
      [api('POST', '/api/v1/namespaces/ghost/configmaps', { body: { metadata: { name: 'c' } } }), 404],
      [api('DELETE', '/version'), 405],
      [api('GET', '/api/v1/namespaces/shop/pods/multi/log?container=nope'), 400],
    ];
    for (const [pending, code] of cases) {
      const r = await pending;
      expect(r.json, r.text).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
      expect(r.status).toBe(code);
    }
    const huge = await api('POST', '/api/v1/namespaces/shop/configmaps', { body: JSON.stringify({ metadata: { name: 'big' }, data: { x: 'x'.repeat(4 * 1024 * 1024) } }) });
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ kind: 'Status', code: 413 });
    // A request that is not HTTP at all does not disturb the server either.
    await new Promise<void>((done) => {
      const req = request(world.server.url, { method: 'GET', path: '/%%%' }, (r) => {
        r.resume();
        r.on('end', done);
      });
      req.on('error', () => done());
      req.end();
    });
    expect((await api('GET', '/api/v1/namespaces/shop/pods')).status).toBe(200);
  });
});

describe('malformed objects never reach the store', () => {
  it('refuses wrong shapes with 422 naming the field, stores nothing, and the cluster still schedules a valid pod', async () => {
    const controllers = createNodeControllers(world.ctx);
    for (const c of controllers) c.start();
    try {
      const pod = (name: string, extra: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } = {}) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, ...extra.metadata },
        spec: { containers: [{ name: 'app', image: 'registry.local/shop/app:1.0' }], ...extra.spec },
      });
      const cases: [string, string, unknown, string][] = [
        ['POST', '/api/v1/namespaces/shop/pods', pod('bad-owner', { metadata: { ownerReferences: 'x' } }), 'metadata.ownerReferences'],
        ['POST', '/api/v1/namespaces/shop/pods', pod('bad-volumes', { spec: { volumes: 'y' } }), 'spec.volumes'],
        ['POST', '/api/v1/namespaces/shop/pods', pod('bad-labels', { metadata: { labels: { app: 5 } } }), 'metadata.labels[app]'],
        ['POST', '/api/v1/namespaces/shop/pods', pod('bad-tolerations', { spec: { tolerations: [1] } }), 'spec.tolerations[0]'],
        ['POST', '/api/v1/namespaces/shop/pods', pod('bad-env', { spec: { containers: [{ name: 'app', image: 'x', env: 'A=1' }] } }), 'spec.containers[0].env'],
        ['POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-9' }, spec: { taints: 'x' } }, 'spec.taints'],
        ['POST', '/api/v1/namespaces/shop/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad-svc' }, spec: { selector: 'app=x', ports: [{ port: 80 }] } }, 'spec.selector'],
        ['POST', '/api/v1/namespaces/shop/events', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'bad-ev' }, involvedObject: 'pod/x' }, 'involvedObject'],
        ['PATCH', '/api/v1/namespaces/shop/pods/multi', [{ op: 'add', path: '/metadata/labels', value: 5 }], 'metadata.labels'],
        ['PATCH', '/api/v1/nodes/node-1', { spec: { taints: 'x' } }, 'spec.taints'],
        ['PATCH', '/api/v1/namespaces/shop/pods/multi', { metadata: { finalizers: [1] } }, 'metadata.finalizers[0]'],
      ];
      for (const [method, path, body, field] of cases) {
        const type = method === 'PATCH' ? (Array.isArray(body) ? 'application/json-patch+json' : 'application/merge-patch+json') : 'application/json';
        const r = await api(method, path, { body, type });
        expect(r.status, `${method} ${path} ${field}: ${r.text}`).toBe(422);
        expect(r.json).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
        expect((r.json['details']['causes'] as { field: string }[]).map((c) => c.field)).toContain(field);
      }
      for (const name of ['bad-owner', 'bad-volumes', 'bad-labels', 'bad-tolerations', 'bad-env']) expect((await api('GET', `/api/v1/namespaces/shop/pods/${name}`)).status).toBe(404);
      expect((await api('GET', '/api/v1/nodes/node-9')).status).toBe(404);
      expect(world.ctx.store.get(res('pods'), 'shop', 'multi')?.metadata.labels).not.toBe(5);
      expect(typeof (world.ctx.store.get(res('nodes'), undefined, 'node-1')?.['spec'] as { taints?: unknown } | undefined)?.taints).not.toBe('string');

      expect((await api('POST', '/api/v1/namespaces/shop/pods', { body: pod('good') })).status).toBe(201);
      await world.ctx.clock.runFor(30_000);
      expect((await api('GET', '/api/v1/namespaces/shop/pods/good')).json['spec']['nodeName']).toMatch(/^node-[12]$/);
    } finally {
      for (const c of controllers) c.stop();
    }
  });
});

describe('field selectors', () => {
  it('accepts the keys the real server supports per resource and refuses others with its wording', async () => {
    for (const path of [
      '/api/v1/pods?fieldSelector=status.phase%3DRunning,spec.restartPolicy%3DAlways,status.podIP!%3D',
      '/api/v1/events?fieldSelector=involvedObject.uid%3Dx,reason%3DStarted,source%3Dkubelet,reportingComponent%3Dkubelet',
      '/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse',
      '/api/v1/namespaces/shop/configmaps?fieldSelector=metadata.name%3Dx',
      '/apis/events.k8s.io/v1/events?fieldSelector=regarding.kind%3DPod',
    ]) {
      expect((await api('GET', path)).status, path).toBe(200);
    }
    const bySource = (await api('GET', '/api/v1/events?fieldSelector=source%3Dkubelet')).json;
    expect(bySource['items'].length).toBeGreaterThan(0);
    for (const [path, key] of [
      ['/api/v1/pods?fieldSelector=spec.foo%3Dbar', 'spec.foo'],
      ['/api/v1/nodes?fieldSelector=status.phase%3DReady', 'status.phase'],
      ['/api/v1/namespaces/shop/services?fieldSelector=spec.selector%3Dx', 'spec.selector'],
      ['/api/v1/pods?watch=true&fieldSelector=metadata.labels%3Dx', 'metadata.labels'],
    ] as const) {
      const r = await api('GET', path);
      expect(r.status, path).toBe(400);
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message: `field label not supported: ${key}` });
    }
  });
});

describe('watch limits', () => {
  it('drops a watch whose client stops reading once the server-side buffer passes the cap', async () => {
    const server = await startSimApiServer(world.ctx, { maxWatchBufferBytes: 256 * 1024 });
    onTestFinished(() => server.close());
    const { port, hostname } = new URL(server.url);
    let response: IncomingMessage | undefined;
    let received = '';
    const closed = new Promise<string>((resolve) => {
      const req = request({ host: hostname, port, path: '/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion=' + world.ctx.store.resourceVersion(), method: 'GET' }, (r) => {
        response = r;
        r.pause(); // a client that stops reading: the socket buffers fill, then the server's
        r.on('data', (d: Buffer) => (received += d.toString()));
        r.on('close', () => resolve('closed'));
        r.on('error', () => resolve('closed'));
      });
      req.on('error', () => resolve('closed'));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 100));
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 400; i++) {
      world.ctx.store.create(res('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'shop' }, data: { big } });
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    // Reading again, the client finds the stream cut short: it would re-watch from its last resourceVersion.
    response?.resume();
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 5000))])).toBe('closed');
    expect(received.split('\n').filter(Boolean).length).toBeLessThan(400);
    expect((await api('GET', '/api/v1/namespaces/shop/configmaps?limit=1')).status).toBe(200);
  }, 20_000);

  it('clamps timeoutSeconds to an hour instead of overflowing setTimeout', async () => {
    const lines = await watchLines('/api/v1/namespaces/shop/pods?watch=true&timeoutSeconds=99999999999&allowWatchBookmarks=true', (l) => l.some((e) => e['type'] === 'BOOKMARK'), 3000);
    // An overflowing timeout fires at once (1 ms) and ends the stream before the first bookmark.
    expect(lines.some((e) => e['type'] === 'BOOKMARK')).toBe(true);
  });
});
