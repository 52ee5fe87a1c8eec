/**
 * A large, steady cluster written straight into the store (no controllers): nodes, Deployments with
 * their ReplicaSets, and Running pods with realistic metadata, specs and statuses — what an agent
 * watches on a big production cluster. Used by `aetherius bench agent`.
 */
import type { KubeObject } from '../core/kube/kube-types.js';
import { res } from './resources.js';
import type { SimContext } from './sim-context.js';

export interface LargeClusterOptions {
  pods: number;
  /** Pods per Deployment (default 10). */
  podsPerDeployment?: number;
  /** Pods per node (default 100, a common max-pods). */
  podsPerNode?: number;
  namespaces?: number;
}

export interface LargeCluster {
  pods: KubeObject[];
  nodes: KubeObject[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Seeds the cluster; returns the pods and nodes created. */
export function seedLargeCluster(ctx: SimContext, options: LargeClusterOptions): LargeCluster {
  const perDeploy = options.podsPerDeployment ?? 10;
  const perNode = options.podsPerNode ?? 100;
  const nsCount = options.namespaces ?? 20;
  const now = ctx.clock.now();
  const { store } = ctx;
  for (let i = 0; i < nsCount; i++) store.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${i}` }, status: { phase: 'Active' } });
  const nodes: KubeObject[] = [];
  const nodeCount = Math.max(1, Math.ceil(options.pods / perNode));
  for (let i = 0; i < nodeCount; i++) {
    nodes.push(
      store.create(res('nodes'), {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}`, 'node.kubernetes.io/instance-type': 'm6i.4xlarge' } },
        spec: { providerID: `sim:///node-${i}` },
        status: {
          capacity: { cpu: '16', memory: '64Gi', pods: String(perNode + 10) },
          allocatable: { cpu: '15800m', memory: '62Gi', pods: String(perNode + 10) },
          conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, status: 'False', reason: `KubeletHasNo${type}`, lastHeartbeatTime: iso(now), lastTransitionTime: iso(now - 86_400_000) })).concat([{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: iso(now), lastTransitionTime: iso(now - 86_400_000) }]),
          addresses: [{ type: 'InternalIP', address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` }],
          nodeInfo: { kubeletVersion: 'v1.30.2', osImage: 'Aetherius Sim Linux', containerRuntimeVersion: 'containerd://1.7.13', architecture: 'amd64', operatingSystem: 'linux' },
        },
      }),
    );
  }
  const pods: KubeObject[] = [];
  const deployCount = Math.ceil(options.pods / perDeploy);
  for (let d = 0; d < deployCount; d++) {
    const ns = `team-${d % nsCount}`;
    const app = `svc-${d}`;
    const hash = (0x5f00000 + d).toString(16);
    const containers = [
      {
        name: 'app',
        image: `registry.local/${ns}/${app}:1.${d % 20}.0`,
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'DB_HOST', value: 'postgres' },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
      },
    ];
    const deployment = store.create(res('deployments.apps'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace: ns, labels: { app }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: { replicas: perDeploy, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers } } },
      status: { replicas: perDeploy, updatedReplicas: perDeploy, readyReplicas: perDeploy, availableReplicas: perDeploy, observedGeneration: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] },
    });
    const owner = (o: KubeObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }];
    const rs = store.create(res('replicasets.apps'), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${app}-${hash}`, namespace: ns, labels: { app, 'pod-template-hash': hash }, annotations: { 'deployment.kubernetes.io/revision': '1' }, ownerReferences: owner(deployment) },
      spec: { replicas: perDeploy, selector: { matchLabels: { app, 'pod-template-hash': hash } }, template: { metadata: { labels: { app, 'pod-template-hash': hash } }, spec: { containers } } },
      status: { replicas: perDeploy, readyReplicas: perDeploy, availableReplicas: perDeploy, fullyLabeledReplicas: perDeploy, observedGeneration: 1 },
    });
    for (let p = 0; p < perDeploy && pods.length < options.pods; p++) {
      const i = pods.length;
      const nodeName = `node-${Math.floor(i / perNode)}`;
      const started = iso(now - 3_600_000);
      pods.push(
        store.create(res('pods'), {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${app}-${hash}-${p.toString(36).padStart(5, 'x')}`, namespace: ns, labels: { app, 'pod-template-hash': hash }, ownerReferences: owner(rs) },
          spec: { nodeName, restartPolicy: 'Always', serviceAccountName: 'default', containers, volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }] },
          status: {
            phase: 'Running',
            qosClass: 'Burstable',
            podIP: `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`,
            hostIP: `10.0.0.${(Math.floor(i / perNode) % 250) + 1}`,
            startTime: started,
            conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: started })),
            containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, image: containers[0]?.image, imageID: `${containers[0]?.image}@sha256:${hash.padEnd(64, '0')}`, containerID: `containerd://${i.toString(16).padStart(64, '0')}`, state: { running: { startedAt: started } } }],
          },
        }),
      );
    }
  }
  return { pods, nodes };
}
