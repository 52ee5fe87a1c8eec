/**
 * Turns a validated Scenario into the initial world of a simulated cluster: real Kubernetes manifests
 * created through the store (so every controller and watch sees them as a client would have created
 * them), the image registry, and each container's behavior.
 */
import type { KubeObjectInput } from '../../core/kube/kube-types.js';
import { res } from '../resources.js';
import type { SimContext } from '../sim-context.js';
import {
  workloadLabels,
  type Container,
  type Probe,
  type Scenario,
  type ScenarioNode,
  type ScenarioService,
  type Workload,
  type WorkloadKind,
} from './schema.js';

/** Store key and apiVersion of each workload kind. */
export const WORKLOAD_RESOURCES: Record<WorkloadKind, { key: string; apiVersion: string }> = {
  Deployment: { key: 'deployments.apps', apiVersion: 'apps/v1' },
  StatefulSet: { key: 'statefulsets.apps', apiVersion: 'apps/v1' },
  DaemonSet: { key: 'daemonsets.apps', apiVersion: 'apps/v1' },
  Job: { key: 'jobs.batch', apiVersion: 'batch/v1' },
  CronJob: { key: 'cronjobs.batch', apiVersion: 'batch/v1' },
};

export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public'] as const;

/** The first ClusterIP handed out (10.96.0.1 is the API server's, .10 kube-dns's in kubeadm clusters). */
const SERVICE_CIDR_BASE = [10, 96, 0, 11] as const;

/**
 * Creates every object of the scenario in `ctx.store` and fills the registries.
 * @throws StatusError when the store refuses an object (a validated scenario never makes it refuse).
 */
export function loadScenario(ctx: SimContext, scenario: Scenario): void {
  const spec = scenario.spec;
  const { store } = ctx;

  for (const ns of [...BUILTIN_NAMESPACES, ...spec.namespaces.filter((n) => !(BUILTIN_NAMESPACES as readonly string[]).includes(n))]) {
    store.create(res('namespaces'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    store.create(res('serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
  }

  spec.nodes.forEach((n, i) => store.create(res('nodes'), nodeManifest(n, i, ctx.clock.isoNow())));

  for (const sc of spec.storageClasses) {
    store.create(res('storageclasses.storage.k8s.io'), {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: sc.name, ...(sc.default ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
      provisioner: sc.provisioner,
      reclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      volumeBindingMode: sc.volumeBindingMode ?? 'Immediate',
      allowVolumeExpansion: sc.allowVolumeExpansion ?? false,
    });
  }

  for (const cm of spec.configMaps) {
    store.create(res('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name, namespace: cm.namespace }, data: { ...cm.data } });
  }
  for (const s of spec.secrets) {
    store.create(res('secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: s.name, namespace: s.namespace },
      type: s.type ?? 'Opaque',
      data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
    });
  }
  for (const pvc of spec.persistentVolumeClaims) {
    store.create(res('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: pvc.name, namespace: pvc.namespace },
      spec: {
        accessModes: pvc.accessModes ?? ['ReadWriteOnce'],
        resources: { requests: { storage: pvc.size } },
        ...(pvc.storageClassName ? { storageClassName: pvc.storageClassName } : {}),
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Pending' },
    });
  }
  for (const q of spec.resourceQuotas) {
    store.create(res('resourcequotas'), {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: q.name, namespace: q.namespace },
      spec: { hard: { ...q.hard } },
      status: { hard: { ...q.hard }, used: Object.fromEntries(Object.keys(q.hard).map((k) => [k, '0'])) },
    });
  }
  for (const np of spec.networkPolicies) {
    const peers = (list: typeof np.ingressFrom) =>
      (list ?? []).map((p) => ({
        ...(p.podSelector ? { podSelector: { matchLabels: { ...p.podSelector } } } : {}),
        ...(p.namespaceSelector ? { namespaceSelector: { matchLabels: { ...p.namespaceSelector } } } : {}),
      }));
    store.create(res('networkpolicies.networking.k8s.io'), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: np.name, namespace: np.namespace },
      spec: {
        podSelector: Object.keys(np.podSelector).length ? { matchLabels: { ...np.podSelector } } : {},
        policyTypes: np.egressTo ? ['Ingress', 'Egress'] : ['Ingress'],
        // An empty `from` list is deny-all; an absent rule list is too (policyTypes says Ingress).
        ingress: np.ingressFrom && np.ingressFrom.length ? [{ from: peers(np.ingressFrom) }] : [],
        ...(np.egressTo ? { egress: np.egressTo.length ? [{ to: peers(np.egressTo) }] : [] } : {}),
      },
    });
  }
  spec.services.forEach((s, i) => store.create(res('services'), serviceManifest(s, i)));

  for (const image of spec.images.missing) ctx.images.missing.add(image);
  for (const image of spec.images.unauthorized) ctx.images.unauthorized.add(image);

  for (const w of spec.workloads) {
    for (const c of w.containers) {
      if (c.behavior) ctx.behaviors.set({ namespace: w.namespace, kind: w.kind, name: w.name, container: c.name }, structuredClone(c.behavior));
    }
    const { key } = WORKLOAD_RESOURCES[w.kind];
    store.create(res(key), workloadManifest(w));
    if (w.hpa) store.create(res('horizontalpodautoscalers.autoscaling'), hpaManifest(w));
  }
}

/** The ClusterIP the loader gives the i-th Service of a scenario (unless the scenario sets one). */
export function serviceClusterIP(s: Pick<ScenarioService, 'clusterIP'>, index: number): string {
  if (s.clusterIP) return s.clusterIP;
  const n = SERVICE_CIDR_BASE[3] + index;
  return `${SERVICE_CIDR_BASE[0]}.${SERVICE_CIDR_BASE[1]}.${SERVICE_CIDR_BASE[2] + Math.floor(n / 256)}.${n % 256}`;
}

export function serviceManifest(s: ScenarioService, index: number): KubeObjectInput {
  const ip = serviceClusterIP(s, index);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: s.type ?? 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: { ...s.selector },
      ports: [
        {
          ...(s.portName ? { name: s.portName } : {}),
          protocol: s.protocol ?? 'TCP',
          port: s.port,
          targetPort: s.targetPort ?? s.port,
          ...(s.type === 'NodePort' || s.type === 'LoadBalancer' ? { nodePort: 30000 + ((index * 7 + s.port) % 2768) } : {}),
        },
      ],
      sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  };
}

export function nodeManifest(n: ScenarioNode, index: number, now: string): KubeObjectInput {
  const capacity = { cpu: n.cpu, memory: n.memory, pods: String(n.pods), 'ephemeral-storage': n.ephemeralStorage };
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        ...n.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      ...(n.taints?.length ? { taints: n.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })) } : {}),
      ...(n.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: `10.0.${Math.floor((index + 10) / 256)}.${(index + 10) % 256}` },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `sim-${n.name}`,
        systemUUID: `sim-${n.name}`,
        bootID: `sim-boot-${n.name}`,
        kernelVersion: '6.1.0-sim',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.13',
        kubeletVersion: 'v1.30.0',
        kubeProxyVersion: 'v1.30.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      phase: 'Running',
    },
  };
}

function probeManifest(p: Probe): Record<string, unknown> {
  return {
    ...(p.httpGet ? { httpGet: { path: p.httpGet.path, port: p.httpGet.port, scheme: p.httpGet.scheme ?? 'HTTP' } } : {}),
    ...(p.tcpSocket ? { tcpSocket: { port: p.tcpSocket.port } } : {}),
    ...(p.exec ? { exec: { command: [...p.exec.command] } } : {}),
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    periodSeconds: p.periodSeconds ?? 10,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** A container of a pod template, as `kubectl get -o yaml` would show it. */
export function containerManifest(c: Container, w: Pick<Workload, 'volumes' | 'volumeClaimTemplates'>): Record<string, unknown> {
  const mounts =
    c.volumeMounts ??
    // No explicit mounts: mount every volume the pod has, so the kubelet mounts (and may fail to mount) them.
    [...(w.volumes ?? []).map((v) => v.name), ...(w.volumeClaimTemplates ?? []).map((v) => v.name)].map((name) => ({ name, mountPath: `/mnt/${name}` }));
  return {
    name: c.name,
    image: c.image,
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    ...(c.env?.length
      ? {
          env: c.env.map((e) => ({
            name: e.name,
            ...(e.value !== undefined ? { value: e.value } : {}),
            ...(e.valueFrom ? { valueFrom: structuredClone(e.valueFrom) } : {}),
          })),
        }
      : {}),
    ...(c.envFrom?.length ? { envFrom: structuredClone(c.envFrom) } : {}),
    ...(c.ports?.length
      ? { ports: c.ports.map((p) => (typeof p === 'number' ? { containerPort: p, protocol: 'TCP' } : { ...p, protocol: p.protocol ?? 'TCP' })) }
      : {}),
    resources: structuredClone(c.resources ?? {}),
    ...(mounts.length ? { volumeMounts: mounts.map((m) => ({ ...m })) } : {}),
    ...(c.livenessProbe ? { livenessProbe: probeManifest(c.livenessProbe) } : {}),
    ...(c.readinessProbe ? { readinessProbe: probeManifest(c.readinessProbe) } : {}),
    ...(c.startupProbe ? { startupProbe: probeManifest(c.startupProbe) } : {}),
    imagePullPolicy: c.imagePullPolicy ?? (c.image.endsWith(':latest') || !c.image.includes(':') ? 'Always' : 'IfNotPresent'),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

/** The pod template of a workload. */
export function podTemplate(w: Workload): Record<string, unknown> {
  const labels = workloadLabels(w);
  const isJob = w.kind === 'Job' || w.kind === 'CronJob';
  return {
    metadata: { labels: { ...labels, ...(w.kind === 'Job' ? { 'job-name': w.name } : {}) }, ...(w.annotations ? { annotations: { ...w.annotations } } : {}) },
    spec: {
      containers: w.containers.map((c) => containerManifest(c, w)),
      restartPolicy: w.restartPolicy ?? (isJob ? 'Never' : 'Always'),
      terminationGracePeriodSeconds: w.terminationGracePeriodSeconds ?? 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      securityContext: {},
      ...(w.nodeSelector && Object.keys(w.nodeSelector).length ? { nodeSelector: { ...w.nodeSelector } } : {}),
      ...(w.tolerations?.length ? { tolerations: structuredClone(w.tolerations) } : {}),
      ...(w.affinity ? { affinity: structuredClone(w.affinity) } : {}),
      ...(w.volumes?.length ? { volumes: w.volumes.map((v) => volumeManifest(v)) } : {}),
    },
  };
}

function volumeManifest(v: NonNullable<Workload['volumes']>[number]): Record<string, unknown> {
  if (v.configMap) return { name: v.name, configMap: { defaultMode: 420, ...structuredClone(v.configMap) } };
  if (v.secret) return { name: v.name, secret: { defaultMode: 420, ...structuredClone(v.secret) } };
  if (v.persistentVolumeClaim) return { name: v.name, persistentVolumeClaim: { ...v.persistentVolumeClaim } };
  return { name: v.name, emptyDir: { ...v.emptyDir } };
}

/** The workload's manifest (Deployment, StatefulSet, DaemonSet, Job or CronJob), as a client would create it. */
export function workloadManifest(w: Workload): KubeObjectInput {
  const labels = workloadLabels(w);
  const { apiVersion } = WORKLOAD_RESOURCES[w.kind];
  const metadata = { name: w.name, namespace: w.namespace, labels: { ...labels }, ...(w.annotations ? { annotations: { ...w.annotations } } : {}) };
  const selector = { matchLabels: { ...labels } };
  const template = podTemplate(w);
  switch (w.kind) {
    case 'Deployment':
      return {
        apiVersion,
        kind: 'Deployment',
        metadata,
        spec: {
          replicas: w.replicas ?? 1,
          selector,
          template,
          strategy:
            w.strategy?.type === 'Recreate'
              ? { type: 'Recreate' }
              : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: w.strategy?.maxUnavailable ?? '25%', maxSurge: w.strategy?.maxSurge ?? '25%' } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: w.progressDeadlineSeconds ?? 600,
          minReadySeconds: w.minReadySeconds ?? 0,
        },
      };
    case 'StatefulSet':
      return {
        apiVersion,
        kind: 'StatefulSet',
        metadata,
        spec: {
          replicas: w.replicas ?? 1,
          serviceName: w.name,
          selector,
          template,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          revisionHistoryLimit: 10,
          minReadySeconds: w.minReadySeconds ?? 0,
          ...(w.volumeClaimTemplates?.length
            ? {
                volumeClaimTemplates: w.volumeClaimTemplates.map((t) => ({
                  apiVersion: 'v1',
                  kind: 'PersistentVolumeClaim',
                  metadata: { name: t.name },
                  spec: {
                    accessModes: t.accessModes ?? ['ReadWriteOnce'],
                    resources: { requests: { storage: t.size } },
                    ...(t.storageClassName ? { storageClassName: t.storageClassName } : {}),
                    volumeMode: 'Filesystem',
                  },
                })),
              }
            : {}),
        },
      };
    case 'DaemonSet':
      return {
        apiVersion,
        kind: 'DaemonSet',
        metadata,
        spec: { selector, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10, minReadySeconds: w.minReadySeconds ?? 0 },
      };
    case 'Job':
      return { apiVersion, kind: 'Job', metadata, spec: jobSpec(w, template, selector) };
    case 'CronJob':
      return {
        apiVersion,
        kind: 'CronJob',
        metadata,
        spec: {
          schedule: w.schedule ?? '*/5 * * * *',
          concurrencyPolicy: 'Allow',
          suspend: false,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          jobTemplate: { metadata: { labels: { ...labels } }, spec: jobSpec(w, template, undefined) },
        },
      };
  }
}

function jobSpec(w: Workload, template: Record<string, unknown>, selector: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    backoffLimit: w.backoffLimit ?? 6,
    completions: w.completions ?? 1,
    parallelism: w.parallelism ?? w.replicas ?? 1,
    completionMode: 'NonIndexed',
    ...(w.activeDeadlineSeconds ? { activeDeadlineSeconds: w.activeDeadlineSeconds } : {}),
    ...(selector ? { selector, manualSelector: true } : {}),
    template,
  };
}

export function hpaManifest(w: Workload): KubeObjectInput {
  const hpa = w.hpa;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: w.name, namespace: w.namespace },
    spec: {
      scaleTargetRef: { apiVersion: WORKLOAD_RESOURCES[w.kind].apiVersion, kind: w.kind, name: w.name },
      minReplicas: hpa?.minReplicas ?? 1,
      maxReplicas: hpa?.maxReplicas ?? 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa?.targetCPUUtilization ?? 80 } } }],
    },
  };
}
