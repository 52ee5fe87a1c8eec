import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DumpInputError } from './dump-input-error.js';
import { readClusterDump, readKubectlJsonFiles } from './read-cluster-dump.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aetherius-dump-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(path: string, content: string | Buffer): Promise<string> {
  const full = join(dir, path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, content);
  return full;
}

const podList = (ns: string, pods: { name: string; containers: string[] }[]) =>
  JSON.stringify({
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '9' },
    items: pods.map((p) => ({
      metadata: { name: p.name, namespace: ns, uid: `u-${p.name}`, resourceVersion: '5', creationTimestamp: '2025-03-14T08:00:00Z' },
      spec: { containers: p.containers.map((name) => ({ name, image: 'x' })) },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-03-14T08:01:00Z' }] },
    })),
  });
const eventList = (ns: string, last: string) =>
  JSON.stringify({ kind: 'EventList', apiVersion: 'v1', items: [{ metadata: { name: 'e1', namespace: ns, uid: 'e', resourceVersion: '1', creationTimestamp: last }, involvedObject: { kind: 'Pod', name: 'api-1', namespace: ns }, reason: 'BackOff', type: 'Warning', lastTimestamp: last }] });
const nodeList = JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', items: [{ metadata: { name: 'n1', uid: 'n', resourceVersion: '1', creationTimestamp: '2025-01-01T00:00:00Z' }, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2025-03-14T09:00:00Z' }] } }] });

describe('readClusterDump', () => {
  it('reads the logs of every container from kubectl’s blocks, keeping the newest lines, and a last line without newline', async () => {
    await put('nodes.json', nodeList);
    await put('shop/pods.json', podList('shop', [{ name: 'api-1', containers: ['app', 'proxy'] }, { name: 'solo-1', containers: ['main'] }]));
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    await put(
      'shop/api-1/logs.txt',
      [
        '==== START logs for container app of pod shop/api-1 ====',
        ...lines,
        'killed mid-li==== END logs for container app of pod shop/api-1 ====',
        '==== START logs for container proxy of pod shop/api-1 ====',
        'Request log error: the server rejected our request for an unknown reason (get pods api-1)',
        '==== END logs for container proxy of pod shop/api-1 ====',
        '',
      ].join('\n'),
    );
    // Another tool's per-container layout: no markers, container and "previous" from the path.
    await put('shop/solo-1/main/logs.txt', 'current 1\r\ncurrent 2\n');
    await put('shop/solo-1/main-previous.txt', 'old 1\nold 2');
    const { snapshot, warnings } = await readClusterDump(dir, { maxLogLines: 5 });
    const log = (pod: string, container: string, previous = false) => snapshot.logs.find((l) => l.pod === pod && l.container === container && l.previous === previous);
    expect(log('api-1', 'app')?.lines).toEqual(['line 9', 'line 10', 'line 11', 'line 12', 'killed mid-li']);
    expect(log('api-1', 'proxy'), 'a container kubectl could not fetch has no log').toBeUndefined();
    expect(warnings.join('\n')).toMatch(/logs\.txt: no log for container proxy of pod shop\/api-1: kubectl wrote "Request log error/);
    expect(log('solo-1', 'main')?.lines).toEqual(['current 1', 'current 2']);
    expect(log('solo-1', 'main', true)?.lines).toEqual(['old 1', 'old 2']);
  });

  it('keeps reading when single files are bad, and says which and why', async () => {
    await put('nodes.json', nodeList);
    await put('shop/events.json', '{"kind": "EventList", "items": [');
    await put('shop/services.json', JSON.stringify({ kind: 'Status', status: 'Failure', message: 'services is forbidden', code: 403 }));
    await put('shop/replicasets.json', '{"kind":"ReplicaSetList","apiVersion":"apps/v1","items":[]}' + ' '.repeat(2000));
    await put('shop/pods.json', podList('shop', [{ name: 'api-1', containers: ['app'] }]));
    const { snapshot, warnings } = await readClusterDump(dir, { maxFileBytes: 1024 });
    expect(snapshot.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Node/n1', 'Pod/api-1']);
    const text = warnings.join('\n');
    expect(text).toMatch(/shop[/\\]events\.json: not JSON/);
    expect(text).toMatch(/shop[/\\]services\.json: a Kubernetes Status .*services is forbidden/);
    expect(text).toMatch(/shop[/\\]replicasets\.json: the file is 2\.\d KiB, more than the 1\.0 KiB limit/);
  });

  it('takes the snapshot time from the newest timestamp in the objects unless `now` is given', async () => {
    await put('nodes.json', nodeList);
    await put('shop/events.json', eventList('shop', '2025-03-14T08:30:00Z'));
    expect((await readClusterDump(dir)).snapshot.at).toBe(Date.parse('2025-03-14T09:00:00Z'));
    await put('shop/events.json', eventList('shop', '2025-03-14T09:45:10Z'));
    expect((await readClusterDump(dir)).snapshot.at).toBe(Date.parse('2025-03-14T09:45:10Z'));
    expect((await readClusterDump(dir, { now: 1234, clusterId: 'prod' })).snapshot).toMatchObject({ at: 1234, clusterId: 'prod' });
  });

  it('refuses a directory that is not a dump, a file, a missing path and bad options, naming each', async () => {
    await put('notes/readme.md', '# hi');
    await expect(readClusterDump(dir)).rejects.toThrow(/is not a kubectl cluster-info dump directory: expected nodes\.json .*found: notes\//);
    const file = await put('dump.tar.gz', 'x');
    await expect(readClusterDump(file)).rejects.toThrow(/is a file, not a dump directory: unpack it first/);
    await expect(readClusterDump(join(dir, 'nope'))).rejects.toThrow(/nope: cannot read the dump directory: no such file or directory/);
    await expect(readClusterDump(dir, { maxLogLines: -1 })).rejects.toThrow(/maxLogLines must be a whole number/);
  });

  it('fails when not one file of the dump can be read', async () => {
    await put('nodes.json', 'not json at all');
    await put('shop/pods.json', '');
    const err: unknown = await readClusterDump(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DumpInputError);
    expect((err as DumpInputError).message).toMatch(/not one file of the dump could be read \(2 tried\)/);
    expect((err as DumpInputError).issues.map((i) => i.path)).toEqual([join(dir, 'nodes.json'), join(dir, 'shop', 'pods.json')]);
  });
});

describe('readKubectlJsonFiles', () => {
  it('merges kubectl get outputs, a later copy of an object replacing the earlier one', async () => {
    const a = await put('pods.json', podList('shop', [{ name: 'api-1', containers: ['app'] }, { name: 'api-2', containers: ['app'] }]));
    const b = await put('one.json', JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'api-2', namespace: 'shop', uid: 'new', resourceVersion: '10', creationTimestamp: '2025-03-14T08:00:00Z' } }));
    // Windows PowerShell's `>` writes UTF-16LE with a byte-order mark.
    const c = await put('events.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(eventList('shop', '2025-03-14T09:45:10Z'), 'utf16le')]));
    const { snapshot, warnings } = await readKubectlJsonFiles([a, b, c]);
    expect(warnings).toEqual([]);
    expect(snapshot.objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.uid}`)).toEqual(['Pod/api-1/u-api-1', 'Pod/api-2/new', 'Event/e1/e']);
    expect(snapshot.at).toBe(Date.parse('2025-03-14T09:45:10Z'));
  });

  it('fails naming every file that cannot be used and why', async () => {
    const good = await put('pods.json', podList('shop', []));
    const text = await put('get.txt', 'NAME    READY   STATUS    RESTARTS   AGE\napi-1   1/1     Running   0          5m\n');
    const big = await put('big.json', `{"kind":"PodList","items":[]}${' '.repeat(5000)}`);
    const missing = join(dir, 'missing.json');
    const err: unknown = await readKubectlJsonFiles([good, text, big, missing], { maxFileBytes: 4096 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DumpInputError);
    const e = err as DumpInputError;
    expect(e.message).toMatch(/^3 of 4 files cannot be read/);
    expect(e.issues.map((i) => i.path)).toEqual([text, big, missing]);
    expect(e.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^not JSON: unexpected "NAME/), expect.stringMatching(/more than the 4\.0 KiB limit/), 'cannot read: no such file or directory']);
    await expect(readKubectlJsonFiles([])).rejects.toThrow(/no file given/);
  });
});
