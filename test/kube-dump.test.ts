/**
 * Offline analysis input (issue 6) against real kubectl output: the simulator plays a fault scenario
 * over HTTP, the real `kubectl cluster-info dump` writes it to a directory (and to stdout), and the
 * reader must give back what the cluster holds — pods, nodes, workloads, events and the failing
 * container's logs. Then the same reader on a hand-written dump shaped like one of a real EKS cluster.
 */
import { readFile, readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterDump, readKubectlJsonFiles, type ClusterDumpResult } from '../src/adapters/kube-dump/index.js';
import type { KubeObject } from '../src/core/kube/kube-types.js';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../src/sim/api/index.js';
import { res } from '../src/sim/resources.js';
import { loadScenario } from '../src/sim/scenario/library.js';
import type { Scenario } from '../src/sim/scenario/schema.js';
import { Simulation } from '../src/sim/simulation.js';
import { kubectl } from './support/kubectl.js';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/cluster-dump-real-style');

const key = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.uid}`;
const ofKind = (r: ClusterDumpResult, kind: string) => r.snapshot.objects.filter((o) => o.kind === kind);
type ContainerStatus = { name: string; restartCount: number; lastState?: { terminated?: { reason: string; exitCode: number } } };
const statuses = (pod: KubeObject) => ((pod['status'] as { containerStatuses?: ContainerStatus[] }).containerStatuses ?? []);

describe('kubectl cluster-info dump of a simulated OOM scenario', () => {
  let dir: string;
  let sim: Simulation;
  let scenario: Scenario;
  let server: SimApiServer;
  let kubeconfig: string;
  let fromDir: ClusterDumpResult;
  const run = (...args: string[]) => kubectl(kubeconfig, join(dir, 'cache'), args);
  const inStore = (key: string) => sim.ctx.store.list(res(key), {}).items;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aetherius-kube-dump-'));
    scenario = (await loadScenario('checkout-oom')).scenario;
    sim = Simulation.create({ scenario });
    server = await startSimApiServer(sim.ctx);
    kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, [{ name: 'oom', server: server.url }]);
    // Ten simulated minutes: the checkout pods are OOMKilled and restarted several times. The clock
    // only moves inside runFor, so the cluster holds still while kubectl reads it.
    await sim.runFor(10 * 60_000);
    await run('cluster-info', 'dump', '--all-namespaces', '--output-directory', join(dir, 'dump'));
    fromDir = await readClusterDump(join(dir, 'dump'));
  }, 60_000);

  afterAll(async () => {
    sim?.stop();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds every pod, node, deployment and replica set of the cluster, with its uid', () => {
    expect(fromDir.warnings).toEqual([]);
    for (const [storeKey, kind] of [['pods', 'Pod'], ['nodes', 'Node'], ['deployments.apps', 'Deployment'], ['replicasets.apps', 'ReplicaSet'], ['services', 'Service']] as const) {
      const expected = inStore(storeKey).map(key).sort();
      expect(expected.length, `${kind}s in the simulator`).toBeGreaterThan(0);
      expect(ofKind(fromDir, kind).map(key).sort(), kind).toEqual(expected);
    }
  });

  it('holds the events with their reasons, the fault’s BackOff among them', () => {
    const reasons = (events: KubeObject[]) => events.map((e) => `${(e['involvedObject'] as { name: string }).name} ${String(e['reason'])}`).sort();
    const expected = reasons(inStore('events'));
    expect(reasons(ofKind(fromDir, 'Event'))).toEqual(expected);
    expect(expected.some((r) => r.endsWith(' BackOff'))).toBe(true);
  });

  it('shows the OOM kill of the checkout container and its log as kubectl logs prints it', async () => {
    const checkout = ofKind(fromDir, 'Pod').filter((p) => p.metadata.name.startsWith('checkout-'));
    expect(checkout.length).toBeGreaterThan(0);
    const killed = checkout.filter((p) => statuses(p).some((s) => s.lastState?.terminated?.reason === 'OOMKilled' && s.lastState.terminated.exitCode === 137));
    expect(killed.length, 'checkout pods whose last container was OOMKilled with exit 137').toBeGreaterThan(0);

    const errorLine = scenario.spec.workloads?.find((w) => w.name === 'checkout')?.containers[0]?.behavior?.errorLogs?.[0];
    expect(errorLine).toBeDefined();
    for (const pod of checkout) {
      const log = fromDir.snapshot.logs.find((l) => l.namespace === 'shop' && l.pod === pod.metadata.name && l.container === 'app' && !l.previous);
      const printed = (await run('logs', '-n', 'shop', pod.metadata.name, '-c', 'app')).split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
      expect(log?.lines, `log of ${pod.metadata.name}`).toEqual(printed.slice(-500));
      expect(log?.lines).toContain(errorLine);
    }
  });

  it('reads the same cluster from the dump written to stdout and from kubectl get -o json files', async () => {
    const stdoutFile = join(dir, 'cluster-info.dump');
    await writeFile(stdoutFile, await run('cluster-info', 'dump', '--all-namespaces'));
    const fromStdout = await readKubectlJsonFiles([stdoutFile]);
    expect(fromStdout.warnings).toEqual([]);
    expect(fromStdout.snapshot.objects.map(key).sort()).toEqual(fromDir.snapshot.objects.map(key).sort());
    expect(fromStdout.snapshot.logs).toEqual(fromDir.snapshot.logs);

    const files: string[] = [];
    for (const what of ['events', 'pods', 'deployments,replicasets', 'nodes']) {
      const file = join(dir, `get-${what}.json`);
      await writeFile(file, await run('get', what, '-A', '-o', 'json'));
      files.push(file);
    }
    const fromGet = await readKubectlJsonFiles(files);
    const wanted = new Set(['Event', 'Pod', 'Deployment', 'ReplicaSet', 'Node']);
    expect(fromGet.snapshot.objects.map(key).sort()).toEqual(fromDir.snapshot.objects.filter((o) => wanted.has(o.kind)).map(key).sort());
    expect(fromGet.snapshot.at).toBe(fromDir.snapshot.at);
  });

  it('writes the files the hand-written real-style fixture has, so the fixture stays true to kubectl', async () => {
    const jsonIn = async (d: string) => (await readdir(d)).filter((f) => f.endsWith('.json')).sort();
    expect(await jsonIn(join(FIXTURE, 'payments'))).toEqual(await jsonIn(join(dir, 'dump', 'shop')));
    expect(await jsonIn(FIXTURE)).toEqual(await jsonIn(join(dir, 'dump')));
  });
});

describe('a hand-written dump shaped like one of a real cluster', () => {
  let result: ClusterDumpResult;
  beforeAll(async () => {
    result = await readClusterDump(FIXTURE);
  });

  it('reads every item of every list, giving kindless items their kind', async () => {
    expect(result.warnings).toEqual([]);
    const expected: string[] = [];
    for (const ns of ['', 'default', 'kube-system', 'payments']) {
      for (const file of (await readdir(join(FIXTURE, ns))).filter((f) => f.endsWith('.json'))) {
        const list = JSON.parse(await readFile(join(FIXTURE, ns, file), 'utf8')) as { kind: string; items: { kind?: string; metadata: { name: string } }[] };
        for (const item of list.items) {
          expect(item.kind, `${ns}/${file} items come without kind, as from a real dump`).toBeUndefined();
          expected.push(`${list.kind.replace(/List$/, '')}/${item.metadata.name}`);
        }
      }
    }
    expect(result.snapshot.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(expected.sort());
    expect(ofKind(result, 'Deployment').every((d) => d.apiVersion === 'apps/v1')).toBe(true);
  });

  it('shows the CrashLoopBackOff pod whose previous container was OOMKilled, with its events and last log lines', () => {
    const pod = ofKind(result, 'Pod').find((p) => p.metadata.name === 'payment-api-6c9f7d8b5-x7k2p');
    const status = pod && statuses(pod)[0];
    expect(status).toMatchObject({ restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } });
    const events = ofKind(result, 'Event').filter((e) => (e['involvedObject'] as { name: string }).name === pod?.metadata.name);
    expect(events.map((e) => e['reason'])).toEqual(expect.arrayContaining(['BackOff', 'Unhealthy']));
    expect(ofKind(result, 'Event').find((e) => e['reason'] === 'OOMKilling')?.metadata.namespace).toBe('default');

    const log = result.snapshot.logs.find((l) => l.pod === pod?.metadata.name);
    // The JVM was killed mid-line, so kubectl glued its END marker to the last line.
    expect(log?.lines.at(-1)).toMatch(/reconcile batch 88 of 140 for merchant=m_20517$/);
    expect(log?.lines.some((l) => /settlement cache above soft limit/.test(l))).toBe(true);
  });

  it('splits a two-container pod’s logs by container and dates the snapshot by the newest node heartbeat', () => {
    const worker = result.snapshot.logs.filter((l) => l.pod === 'ledger-worker-7b6d9c4f8-m2hjk');
    expect(worker.map((l) => l.container).sort()).toEqual(['pgbouncer', 'worker']);
    expect(worker.find((l) => l.container === 'pgbouncer')?.lines.every((l) => / UTC \[1\] LOG /.test(l))).toBe(true);
    // nodes.json: the newest lastHeartbeatTime is 09:42:51, later than every event.
    expect(new Date(result.snapshot.at).toISOString()).toBe('2025-03-14T09:42:51.000Z');
  });
});
