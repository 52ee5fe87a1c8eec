/**
 * A simulated cluster built by hand for API-server tests: a SimContext with no controllers running,
 * seeded directly in the store (namespaces, nodes, a Deployment with two ReplicaSet revisions, pods in
 * several states incl. one in CrashLoopBackOff with logs of its last two instances, a DaemonSet pod,
 * a Service, events, usage), plus the API server and a kubeconfig in a temp dir.
 */
import { createSimContext as createContext } from '../../src/sim/create-sim-context.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimApiServer, writeKubeconfig, type SimApiServer } from '../../src/sim/api/index.js';
import type { KubeObject } from '../../src/core/kube/kube-types.js';
import { res } from '../../src/sim/resources.js';
import { type SimContext } from '../../src/sim/sim-context.js';

export const START = Date.parse('2024-05-01T10:00:00Z');

export function createSimContext(clusterId = 'sim-test'): SimContext {
  return createContext({ clusterId, start: START });
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function template(image: string, hash: string): Record<string, unknown> {
  return {
    metadata: { labels: { app: 'checkout', 'pod-template-hash': hash } },
    spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } }] },
  };
}

function node(name: string): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/worker': '' } },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: iso(START), lastTransitionTime: iso(START) }],
      addresses: [{ type: 'InternalIP', address: name === 'node-1' ? '10.0.0.11' : '10.0.0.12' }, { type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.29.0', osImage: 'Aetherius Sim Linux', kernelVersion: '6.1.0-sim', containerRuntimeVersion: 'containerd://1.7.0', architecture: 'amd64', operatingSystem: 'linux' },
    },
  };
}

type KubeObjectLike = Omit<KubeObject, 'metadata'> & { metadata: Record<string, unknown> & { name: string } };

export interface SeededWorld {
  deployment: KubeObject;
  crashPod: KubeObject;
}

/** Seeds the store; returns the objects tests refer to. */
export function seedWorld(ctx: SimContext): SeededWorld {
  const { store } = ctx;
  const create = (key: string, o: KubeObjectLike) => store.create(res(key), o);
  for (const ns of ['default', 'kube-system', 'shop']) create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
  create('nodes', node('node-1'));
  create('nodes', node('node-2'));

  const deployment = create('deployments.apps', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'checkout', namespace: 'shop', labels: { app: 'checkout' }, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'checkout' } }, template: { metadata: { labels: { app: 'checkout' } }, spec: (template('registry.local/shop/checkout:1.4.2', '') as { spec: unknown }).spec } },
    status: { replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 },
  });
  const owner = (o: KubeObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }];
  create('replicasets.apps', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'checkout-6d4f8b7c9', namespace: 'shop', labels: { app: 'checkout', 'pod-template-hash': '6d4f8b7c9' }, annotations: { 'deployment.kubernetes.io/revision': '1' }, ownerReferences: owner(deployment) },
    spec: { replicas: 0, selector: { matchLabels: { app: 'checkout', 'pod-template-hash': '6d4f8b7c9' } }, template: template('registry.local/shop/checkout:1.4.1', '6d4f8b7c9') },
    status: { replicas: 0 },
  });
  const rs2 = create('replicasets.apps', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'checkout-7f9c5d6b8', namespace: 'shop', labels: { app: 'checkout', 'pod-template-hash': '7f9c5d6b8' }, annotations: { 'deployment.kubernetes.io/revision': '2' }, ownerReferences: owner(deployment) },
    spec: { replicas: 2, selector: { matchLabels: { app: 'checkout', 'pod-template-hash': '7f9c5d6b8' } }, template: template('registry.local/shop/checkout:1.4.2', '7f9c5d6b8') },
    status: { replicas: 2, readyReplicas: 1, availableReplicas: 1 },
  });

  const podBase = (name: string, nodeName: string, containers: string[], extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: 'checkout', 'pod-template-hash': '7f9c5d6b8' }, ownerReferences: owner(rs2) },
    spec: { nodeName, restartPolicy: 'Always', containers: containers.map((c) => ({ name: c, image: 'registry.local/shop/checkout:1.4.2' })) },
    ...extra,
  });
  const running = (name: string, restartCount = 0) => ({ name, ready: true, restartCount, image: 'registry.local/shop/checkout:1.4.2', imageID: '', containerID: `containerd://${name}`, started: true, state: { running: { startedAt: iso(START - 600_000) } } });
  create('pods', podBase('checkout-7f9c5d6b8-abcde', 'node-1', ['app'], {
    status: { phase: 'Running', podIP: '10.244.1.5', hostIP: '10.0.0.11', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running('app')] },
  }));
  const crashPod = create('pods', podBase('checkout-7f9c5d6b8-crash', 'node-1', ['app'], {
    status: {
      phase: 'Running',
      podIP: '10.244.1.6',
      hostIP: '10.0.0.11',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 3,
          image: 'registry.local/shop/checkout:1.4.2',
          imageID: '',
          started: false,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=checkout-7f9c5d6b8-crash_shop(uid)' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: iso(START - 70_000), finishedAt: iso(START - 60_000) } },
        },
      ],
    },
  }));
  const multi = create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'multi', namespace: 'shop', labels: { app: 'multi' } },
    spec: { nodeName: 'node-2', containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'sidecar', image: 'busybox:1.36' }] },
    status: { phase: 'Running', podIP: '10.244.2.7', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running('web'), running('sidecar')] },
  });
  const ds = create('daemonsets.apps', {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'node-exporter', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { app: 'node-exporter' } }, template: { metadata: { labels: { app: 'node-exporter' } }, spec: { containers: [{ name: 'exporter', image: 'prom/node-exporter:1.7' }] } } },
    status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 },
  });
  create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'node-exporter-x1', namespace: 'kube-system', labels: { app: 'node-exporter' }, ownerReferences: owner(ds) },
    spec: { nodeName: 'node-1', containers: [{ name: 'exporter', image: 'prom/node-exporter:1.7' }] },
    status: { phase: 'Running', podIP: '10.0.0.11', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running('exporter')] },
  });
  create('services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', selector: { app: 'checkout' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });

  // Logs: the crashing container's instance 2 (previous) and 3 (current, terminated).
  const t0 = START - 120_000;
  ctx.logs.append('shop', crashPod.metadata.name, 'app', 2, { time: t0, text: 'INFO starting checkout (instance 2)' });
  ctx.logs.append('shop', crashPod.metadata.name, 'app', 2, { time: t0 + 1000, text: 'FATAL: environment variable DB_URL is not set (instance 2)' });
  ctx.logs.append('shop', crashPod.metadata.name, 'app', 3, { time: START - 70_000, text: 'INFO starting checkout (instance 3)' });
  ctx.logs.append('shop', crashPod.metadata.name, 'app', 3, { time: START - 60_500, text: 'FATAL: environment variable DB_URL is not set (instance 3)' });
  ctx.logs.append('shop', 'checkout-7f9c5d6b8-abcde', 'app', 0, { time: START - 500_000, text: 'INFO server started on :8080' });
  ctx.logs.append('shop', 'multi', 'web', 0, { time: START - 500_000, text: 'nginx ready' });
  ctx.logs.append('shop', 'multi', 'sidecar', 0, { time: START - 500_000, text: 'sidecar syncing' });

  ctx.usage.set('shop', 'checkout-7f9c5d6b8-abcde', 'node-1', 'app', { cpuMillicores: 25, memoryBytes: 64 * 2 ** 20 });
  ctx.usage.set('shop', crashPod.metadata.name, 'node-1', 'app', { cpuMillicores: 5, memoryBytes: 20 * 2 ** 20 });
  ctx.usage.set('shop', 'multi', 'node-2', 'web', { cpuMillicores: 10, memoryBytes: 32 * 2 ** 20 });
  ctx.usage.set('shop', 'multi', 'node-2', 'sidecar', { cpuMillicores: 2, memoryBytes: 8 * 2 ** 20 });

  ctx.events.record(crashPod, 'Warning', 'BackOff', 'Back-off restarting failed container app in pod checkout-7f9c5d6b8-crash_shop(uid)', { component: 'kubelet', host: 'node-1' }, 'spec.containers{app}');
  ctx.events.record(multi, 'Normal', 'Started', 'Started container web', { component: 'kubelet', host: 'node-2' }, 'spec.containers{web}');
  return { deployment, crashPod };
}

export interface RunningWorld {
  ctx: SimContext;
  seeded: SeededWorld;
  server: SimApiServer;
  dir: string;
  kubeconfig: string;
  close(): Promise<void>;
}

/** A seeded world with its API server and a kubeconfig in a fresh temp dir. */
export async function startWorld(options: { bookmarkIntervalMs?: number } = {}): Promise<RunningWorld> {
  const ctx = createSimContext();
  const seeded = seedWorld(ctx);
  const server = await startSimApiServer(ctx, options);
  const dir = await mkdtemp(join(tmpdir(), 'aetherius-sim-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, [{ name: ctx.clusterId, server: server.url }]);
  return {
    ctx,
    seeded,
    server,
    dir,
    kubeconfig,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
