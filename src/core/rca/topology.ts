/**
 * The cluster's shape around a failure, indexed once per analysis: owner chains (Pod → ReplicaSet →
 * Deployment, StatefulSet, DaemonSet, Job), pods per workload and node, Services with the pods and
 * workload templates their selectors match and their ready endpoints, the Services a workload refers
 * to (env values, ConfigMap values, command lines: `DB_HOST=postgres`,
 * `http://cart.shop.svc.cluster.local`), the cluster DNS Service, NetworkPolicies and the claims
 * mounted at a path. Signals use it to name the resource at fault instead of the one that shows the
 * symptom. Pure, never throws on odd objects.
 */
import type { KubeObject } from '../kube/kube-types.js';
import { asRecord, condition, isRecord, list, num, text } from '../kube/read.js';
import type { ClusterSnapshot } from './snapshot.js';
import { refKey, type ResourceRef } from './types.js';

export const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet'];

/** Names a cluster's DNS Service goes by (kube-dns is what kubeadm, EKS, GKE and AKS call CoreDNS's Service). */
const DNS_SERVICE_NAMES = new Set(['kube-dns', 'coredns', 'rke2-coredns-rke2-coredns']);
const DNS_LABEL = 'k8s-app';

export interface ServicePort {
  port: number;
  targetPort: number | string;
  name?: string;
}

export interface ServiceInfo {
  ref: ResourceRef;
  obj: KubeObject;
  /** Undefined for a selector-less or ExternalName Service (its endpoints are not managed). */
  selector: Record<string, string> | undefined;
  clusterIP: string | undefined;
  ports: ServicePort[];
  /** Ready and not-ready endpoint addresses; both 0 when there is no Endpoints object. */
  ready: number;
  notReady: number;
  hasEndpoints: boolean;
  /** Workloads whose pod template the selector matches, whether or not they run pods now. */
  backends: ResourceRef[];
  /** Live pods the selector matches. */
  pods: KubeObject[];
  isDns: boolean;
}

/** A Service a workload refers to in its configuration. */
export interface ServiceReference {
  service: ServiceInfo;
  /** Where it was found: `env DB_HOST`, `configmap app-config key DATABASE_URL`, `args`. */
  where: string;
  value: string;
  scheme: string | undefined;
  port: number | undefined;
}

export interface Topology {
  readonly at: number;
  readonly snapshot: ClusterSnapshot;
  list(kind: string): readonly KubeObject[];
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  getRef(ref: ResourceRef): KubeObject | undefined;
  /** The top owner of a pod (or of a ReplicaSet / Job): a Deployment, StatefulSet, DaemonSet, Job, or the object itself. */
  workloadOf(obj: KubeObject): ResourceRef;
  podsOf(workload: ResourceRef): readonly KubeObject[];
  podsOnNode(node: string): readonly KubeObject[];
  /** The pod template spec of a workload (or a bare pod's spec). */
  podSpecOf(workload: ResourceRef): Record<string, unknown> | undefined;
  templateLabelsOf(workload: ResourceRef): Record<string, string>;
  desiredReplicas(workload: ResourceRef): number | undefined;
  readyReplicas(workload: ResourceRef): number | undefined;
  readonly services: readonly ServiceInfo[];
  serviceByIp(ip: string): ServiceInfo | undefined;
  /** A host name as a pod in `fromNamespace` would resolve it: `postgres`, `postgres.shop`, `postgres.shop.svc.cluster.local`. */
  serviceByHost(host: string, fromNamespace: string): ServiceInfo | undefined;
  servicesSelecting(workload: ResourceRef): readonly ServiceInfo[];
  readonly dnsService: ServiceInfo | undefined;
  /** Services a workload's configuration points to. */
  references(workload: ResourceRef): readonly ServiceReference[];
  /** `True`, `False`, `Unknown`, or undefined when the node or its Ready condition is unknown. */
  nodeReady(node: string): string | undefined;
  /** NetworkPolicies that stop pods of `client` reaching the pods behind `service`; empty when traffic is allowed. */
  policiesBlocking(client: ResourceRef, service: ServiceInfo): ResourceRef[];
  /** The PersistentVolumeClaim a pod's container has mounted at (or above) `path`. */
  claimAtPath(pod: KubeObject, container: string, path: string | undefined): ResourceRef | undefined;
  /** Claims a workload's pods mount. */
  claimsOf(workload: ResourceRef): ResourceRef[];
  hpaFor(workload: ResourceRef): KubeObject | undefined;
  namespaceLabels(namespace: string): Record<string, string>;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const r = asRecord(v);
  if (!r) return out;
  for (const [k, val] of Object.entries(r)) if (typeof val === 'string') out[k] = val;
  return out;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** A LabelSelector (`matchLabels` + `matchExpressions`) against labels; an empty selector matches everything. */
export function labelSelectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const sel = asRecord(selector);
  if (!sel) return false;
  if (!labelsMatch(strMap(sel['matchLabels']), labels)) return false;
  for (const e of list(sel['matchExpressions'])) {
    if (!isRecord(e)) return false;
    const key = text(e['key']) ?? '';
    const values = list(e['values']).filter((v): v is string => typeof v === 'string');
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (e['operator']) {
      case 'In':
        if (!has || !values.includes(labels[key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key] ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function nsOf(obj: KubeObject): string {
  return obj.metadata?.namespace ?? 'default';
}

function refOf(obj: KubeObject): ResourceRef {
  const namespace = obj.metadata?.namespace;
  return { kind: obj.kind, name: obj.metadata?.name ?? '', ...(namespace ? { namespace } : {}) };
}

function templateOf(obj: KubeObject): Record<string, unknown> | undefined {
  const spec = asRecord(obj['spec']);
  if (!spec) return undefined;
  if (obj.kind === 'CronJob') return asRecord(asRecord(asRecord(spec['jobTemplate'])?.['spec'])?.['template']);
  if (obj.kind === 'Pod') return { metadata: obj.metadata, spec };
  return asRecord(spec['template']);
}

const HOST = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?){0,5}$/;
const URL_LIKE = /^([a-z][a-z0-9+.-]{0,20}):\/\/(?:[^@/\s]{0,200}@)?([^/:?#\s]{1,253})(?::(\d{1,5}))?/i;
const HOST_PORT = /^([a-z0-9][-a-z0-9.]{0,252}):(\d{1,5})$/i;

/**
 * Builds the index.
 */
export function buildTopology(snapshot: ClusterSnapshot): Topology {
  const byKind = new Map<string, KubeObject[]>();
  const byKey = new Map<string, KubeObject>();
  for (const obj of snapshot.objects) {
    if (!obj || typeof obj !== 'object' || typeof obj.kind !== 'string' || !isRecord(obj.metadata) || typeof obj.metadata.name !== 'string') continue;
    let arr = byKind.get(obj.kind);
    if (!arr) byKind.set(obj.kind, (arr = []));
    arr.push(obj);
    // Events are read by kind only; keying thousands of them would cost more than the rest.
    if (obj.kind !== 'Event') byKey.set(refKey(refOf(obj)), obj);
  }
  const listOf = (kind: string): readonly KubeObject[] => byKind.get(kind) ?? [];
  const get = (kind: string, namespace: string | undefined, name: string): KubeObject | undefined => byKey.get(`${kind}/${namespace ?? ''}/${name}`);

  // ---- owners ----
  const workloadCache = new Map<KubeObject, ResourceRef>();
  const workloadOf = (obj: KubeObject): ResourceRef => {
    const cached = workloadCache.get(obj);
    if (cached) return cached;
    let cur: ResourceRef = refOf(obj);
    let curObj: KubeObject | undefined = obj;
    for (let depth = 0; depth < 4 && curObj; depth++) {
      const owner = curObj.metadata.ownerReferences?.find((o) => o.controller) ?? curObj.metadata.ownerReferences?.[0];
      if (!owner || typeof owner.kind !== 'string' || typeof owner.name !== 'string') break;
      // A Job's CronJob is not where its pods are defined for this run: the Job is the workload.
      if (curObj.kind === 'Job' && owner.kind === 'CronJob') break;
      const ownerObj = get(owner.kind, curObj.metadata.namespace, owner.name);
      cur = { kind: owner.kind, name: owner.name, ...(curObj.metadata.namespace ? { namespace: curObj.metadata.namespace } : {}) };
      if (!ownerObj && owner.kind === 'ReplicaSet') {
        // A dump without ReplicaSets: a Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`.
        const guess = owner.name.replace(/-[a-z0-9]{5,10}$/, '');
        if (guess !== owner.name && get('Deployment', curObj.metadata.namespace, guess)) cur = { kind: 'Deployment', name: guess, namespace: nsOf(curObj) };
      }
      curObj = ownerObj;
    }
    workloadCache.set(obj, cur);
    return cur;
  };

  const podsByWorkload = new Map<string, KubeObject[]>();
  const podsByNode = new Map<string, KubeObject[]>();
  for (const pod of listOf('Pod')) {
    const w = refKey(workloadOf(pod));
    let arr = podsByWorkload.get(w);
    if (!arr) podsByWorkload.set(w, (arr = []));
    arr.push(pod);
    const node = text(asRecord(pod['spec'])?.['nodeName']);
    if (node) {
      let n = podsByNode.get(node);
      if (!n) podsByNode.set(node, (n = []));
      n.push(pod);
    }
  }

  const workloadObjects: KubeObject[] = [];
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']) workloadObjects.push(...listOf(kind));
  for (const rs of listOf('ReplicaSet')) if (!rs.metadata.ownerReferences?.length) workloadObjects.push(rs);

  const podSpecOf = (w: ResourceRef): Record<string, unknown> | undefined => {
    const obj = byKey.get(refKey(w));
    if (obj) return asRecord(templateOf(obj)?.['spec']);
    return undefined;
  };
  const templateLabelsOf = (w: ResourceRef): Record<string, string> => {
    const obj = byKey.get(refKey(w));
    if (!obj) return {};
    if (obj.kind === 'Pod') return strMap(obj.metadata.labels);
    return strMap(asRecord(templateOf(obj)?.['metadata'])?.['labels']);
  };
  const desiredReplicas = (w: ResourceRef): number | undefined => {
    const obj = byKey.get(refKey(w));
    if (!obj) return undefined;
    if (obj.kind === 'DaemonSet') return num(asRecord(obj['status'])?.['desiredNumberScheduled']);
    if (obj.kind === 'Job') return num(asRecord(obj['spec'])?.['completions']) ?? 1;
    if (obj.kind === 'Pod') return 1;
    const r = asRecord(obj['spec'])?.['replicas'];
    return r === undefined ? 1 : num(r);
  };
  const readyReplicas = (w: ResourceRef): number | undefined => {
    const obj = byKey.get(refKey(w));
    if (!obj) return undefined;
    const st = asRecord(obj['status']);
    if (obj.kind === 'DaemonSet') return num(st?.['numberReady']) ?? 0;
    if (obj.kind === 'Pod') return condition(st?.['conditions'], 'Ready')?.['status'] === 'True' ? 1 : 0;
    return num(st?.['readyReplicas']) ?? 0;
  };

  // ---- services ----
  const services: ServiceInfo[] = [];
  const byIp = new Map<string, ServiceInfo>();
  const byName = new Map<string, ServiceInfo>();
  for (const svc of listOf('Service')) {
    const spec = asRecord(svc['spec']) ?? {};
    const namespace = nsOf(svc);
    const rawSel = strMap(spec['selector']);
    const selector = spec['type'] !== 'ExternalName' && Object.keys(rawSel).length > 0 ? rawSel : undefined;
    const ep = get('Endpoints', namespace, svc.metadata.name);
    let ready = 0;
    let notReady = 0;
    for (const subset of list(ep?.['subsets'])) {
      if (!isRecord(subset)) continue;
      ready += list(subset['addresses']).length;
      notReady += list(subset['notReadyAddresses']).length;
    }
    const ports: ServicePort[] = [];
    for (const p of list(spec['ports'])) {
      if (!isRecord(p)) continue;
      const port = num(p['port']);
      if (port === undefined) continue;
      const tp = p['targetPort'];
      ports.push({ port, targetPort: typeof tp === 'number' || typeof tp === 'string' ? tp : port, ...(text(p['name']) ? { name: text(p['name']) } : {}) });
    }
    const backends: ResourceRef[] = [];
    const pods: KubeObject[] = [];
    if (selector) {
      for (const w of workloadObjects) if (nsOf(w) === namespace && labelsMatch(selector, templateLabelsOf(refOf(w)))) backends.push(refOf(w));
      for (const pod of listOf('Pod')) if (nsOf(pod) === namespace && labelsMatch(selector, strMap(pod.metadata.labels)) && !pod.metadata.deletionTimestamp) pods.push(pod);
    }
    const clusterIP = text(spec['clusterIP']);
    const isDns = namespace === 'kube-system' && (DNS_SERVICE_NAMES.has(svc.metadata.name) || selector?.[DNS_LABEL] === 'kube-dns' || ports.some((p) => p.port === 53));
    const info: ServiceInfo = { ref: refOf(svc), obj: svc, selector, clusterIP: clusterIP && clusterIP !== 'None' ? clusterIP : undefined, ports, ready, notReady, hasEndpoints: ep !== undefined, backends, pods, isDns };
    services.push(info);
    if (info.clusterIP) byIp.set(info.clusterIP, info);
    byName.set(`${namespace}/${svc.metadata.name}`, info);
  }
  const dnsService = services.find((s) => s.isDns && DNS_SERVICE_NAMES.has(s.ref.name)) ?? services.find((s) => s.isDns);
  const namespaces = new Set(services.map((s) => s.ref.namespace ?? 'default'));
  for (const n of listOf('Namespace')) namespaces.add(n.metadata.name);

  const serviceByHost = (rawHost: string, fromNamespace: string): ServiceInfo | undefined => {
    const host = rawHost.toLowerCase().replace(/\.$/, '');
    if (!HOST.test(host)) return undefined;
    const parts = host.split('.');
    const [name, second, third] = parts;
    if (name === undefined) return undefined;
    if (parts.length === 1) return byName.get(`${fromNamespace}/${name}`);
    if (second !== undefined && (parts.length === 2 || third === 'svc')) {
      if (parts.length > 2 && !(parts.length === 3 || parts.slice(3).join('.') === 'cluster.local')) return undefined;
      return byName.get(`${second}/${name}`);
    }
    return undefined;
  };

  const servicesSelecting = (w: ResourceRef): ServiceInfo[] => services.filter((s) => s.backends.some((b) => refKey(b) === refKey(w)));

  // ---- references from configuration ----
  const refCache = new Map<string, ServiceReference[]>();
  const references = (w: ResourceRef): ServiceReference[] => {
    const key = refKey(w);
    const cached = refCache.get(key);
    if (cached) return cached;
    const out: ServiceReference[] = [];
    const ns = w.namespace ?? 'default';
    const spec = podSpecOf(w);
    const seen = new Set<string>();
    const consider = (value: string, where: string): void => {
      for (const hit of hostsInValue(value)) {
        const svc = serviceByHost(hit.host, ns);
        if (!svc || (hit.bare && value.trim().toLowerCase() !== hit.host && !/^(?:[a-z][a-z0-9+.-]*:\/\/)?[a-z0-9-]+(?::\d+)?$/i.test(value.trim()))) continue;
        const k = `${refKey(svc.ref)}|${where}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ service: svc, where, value, scheme: hit.scheme, port: hit.port });
      }
    };
    for (const c of [...list(spec?.['initContainers']), ...list(spec?.['containers'])]) {
      if (!isRecord(c)) continue;
      for (const e of list(c['env'])) {
        if (!isRecord(e)) continue;
        const v = text(e['value']);
        if (v) consider(v, `env ${text(e['name']) ?? '?'}`);
        const cmRef = asRecord(asRecord(e['valueFrom'])?.['configMapKeyRef']);
        const cmName = text(cmRef?.['name']);
        const cmKey = text(cmRef?.['key']);
        if (cmName && cmKey) {
          const data = strMap(get('ConfigMap', ns, cmName)?.['data']);
          const val = data[cmKey];
          if (val) consider(val, `configmap ${cmName} key ${cmKey}`);
        }
      }
      for (const ef of list(c['envFrom'])) {
        const cmName = text(asRecord(asRecord(ef)?.['configMapRef'])?.['name']);
        if (!cmName) continue;
        for (const [k, v] of Object.entries(strMap(get('ConfigMap', ns, cmName)?.['data']))) consider(v, `configmap ${cmName} key ${k}`);
      }
      for (const arg of [...list(c['command']), ...list(c['args'])]) if (typeof arg === 'string') consider(arg, 'args');
    }
    refCache.set(key, out);
    return out;
  };

  const nodeReady = (node: string): string | undefined => text(condition(asRecord(get('Node', undefined, node)?.['status'])?.['conditions'], 'Ready')?.['status']);

  const namespaceLabels = (namespace: string): Record<string, string> => ({ 'kubernetes.io/metadata.name': namespace, ...strMap(get('Namespace', undefined, namespace)?.metadata.labels) });

  const policiesBlocking = (client: ResourceRef, service: ServiceInfo): ResourceRef[] => {
    const clientNs = client.namespace ?? 'default';
    const targetNs = service.ref.namespace ?? 'default';
    const clientLabels = templateLabelsOf(client);
    const targetLabelSets: Record<string, string>[] = service.pods.length ? service.pods.map((p) => strMap(p.metadata.labels)) : service.backends.map((b) => templateLabelsOf(b));
    if (!targetLabelSets.length) return [];
    const peerAllows = (peers: unknown, peerLabels: Record<string, string>, peerNs: string, policyNs: string): boolean => {
      if (!Array.isArray(peers) || peers.length === 0) return true;
      for (const peer of peers) {
        if (!isRecord(peer)) continue;
        const ps = peer['podSelector'];
        const nsSel = peer['namespaceSelector'];
        if (nsSel === undefined && ps === undefined) continue; // an ipBlock: never a pod of the cluster
        const nsOk = nsSel === undefined ? peerNs === policyNs : labelSelectorMatches(nsSel, namespaceLabels(peerNs));
        const podOk = ps === undefined ? true : labelSelectorMatches(ps, peerLabels);
        if (nsOk && podOk) return true;
      }
      return false;
    };
    const types = (p: KubeObject): string[] => {
      const spec = asRecord(p['spec']) ?? {};
      const declared = list(spec['policyTypes']).filter((t): t is string => typeof t === 'string');
      if (declared.length) return declared;
      return spec['egress'] !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
    };
    const blocking: ResourceRef[] = [];
    // Ingress on the target's side.
    const ingressPolicies = listOf('NetworkPolicy').filter((p) => nsOf(p) === targetNs && types(p).includes('Ingress') && targetLabelSets.some((l) => labelSelectorMatches(asRecord(p['spec'])?.['podSelector'] ?? {}, l)));
    if (ingressPolicies.length) {
      const allowed = ingressPolicies.some((p) => list(asRecord(p['spec'])?.['ingress']).some((rule) => isRecord(rule) && peerAllows(rule['from'], clientLabels, clientNs, targetNs)));
      if (!allowed) blocking.push(...ingressPolicies.map(refOf));
    }
    // Egress on the client's side.
    const egressPolicies = listOf('NetworkPolicy').filter((p) => nsOf(p) === clientNs && types(p).includes('Egress') && labelSelectorMatches(asRecord(p['spec'])?.['podSelector'] ?? {}, clientLabels));
    if (egressPolicies.length) {
      const allowed = egressPolicies.some((p) => list(asRecord(p['spec'])?.['egress']).some((rule) => isRecord(rule) && targetLabelSets.some((l) => peerAllows(rule['to'], l, targetNs, clientNs))));
      if (!allowed) blocking.push(...egressPolicies.map(refOf));
    }
    return blocking;
  };

  const claimAtPath = (pod: KubeObject, container: string, path: string | undefined): ResourceRef | undefined => {
    const spec = asRecord(pod['spec']);
    const volumes = new Map<string, string>();
    for (const v of list(spec?.['volumes'])) {
      const claim = text(asRecord(asRecord(v)?.['persistentVolumeClaim'])?.['claimName']);
      const name = text(asRecord(v)?.['name']);
      if (claim && name) volumes.set(name, claim);
    }
    const c = list(spec?.['containers']).find((x) => isRecord(x) && x['name'] === container);
    let best: { claim: string; len: number } | undefined;
    for (const m of list(asRecord(c)?.['volumeMounts'])) {
      if (!isRecord(m)) continue;
      const claim = volumes.get(text(m['name']) ?? '');
      const mountPath = text(m['mountPath']);
      if (!claim || !mountPath) continue;
      if (path === undefined || path === mountPath || path.startsWith(`${mountPath.replace(/\/$/, '')}/`)) {
        if (!best || mountPath.length > best.len) best = { claim, len: mountPath.length };
      }
    }
    if (!best && volumes.size === 1) best = { claim: [...volumes.values()][0] as string, len: 0 };
    return best ? { kind: 'PersistentVolumeClaim', name: best.claim, namespace: nsOf(pod) } : undefined;
  };

  const claimsOf = (w: ResourceRef): ResourceRef[] => {
    const out = new Map<string, ResourceRef>();
    for (const pod of podsByWorkload.get(refKey(w)) ?? []) {
      for (const v of list(asRecord(pod['spec'])?.['volumes'])) {
        const claim = text(asRecord(asRecord(v)?.['persistentVolumeClaim'])?.['claimName']);
        if (claim) out.set(claim, { kind: 'PersistentVolumeClaim', name: claim, namespace: nsOf(pod) });
      }
    }
    const spec = podSpecOf(w);
    for (const v of list(spec?.['volumes'])) {
      const claim = text(asRecord(asRecord(v)?.['persistentVolumeClaim'])?.['claimName']);
      if (claim) out.set(claim, { kind: 'PersistentVolumeClaim', name: claim, namespace: w.namespace ?? 'default' });
    }
    return [...out.values()];
  };

  const hpaFor = (w: ResourceRef): KubeObject | undefined =>
    listOf('HorizontalPodAutoscaler').find((h) => {
      const target = asRecord(asRecord(h['spec'])?.['scaleTargetRef']);
      return nsOf(h) === (w.namespace ?? 'default') && target?.['kind'] === w.kind && target?.['name'] === w.name;
    });

  return {
    at: snapshot.at,
    snapshot,
    list: listOf,
    get,
    getRef: (r) => byKey.get(refKey(r)),
    workloadOf,
    podsOf: (w) => podsByWorkload.get(refKey(w)) ?? [],
    podsOnNode: (n) => podsByNode.get(n) ?? [],
    podSpecOf,
    templateLabelsOf,
    desiredReplicas,
    readyReplicas,
    services,
    serviceByIp: (ip) => byIp.get(ip),
    serviceByHost,
    servicesSelecting,
    dnsService,
    references,
    nodeReady,
    policiesBlocking,
    claimAtPath,
    claimsOf,
    hpaFor,
    namespaceLabels,
  };
}

/** Host names in a configuration value: URLs, `host:port`, or the bare value. */
export function hostsInValue(value: string): { host: string; scheme: string | undefined; port: number | undefined; bare: boolean }[] {
  const out: { host: string; scheme: string | undefined; port: number | undefined; bare: boolean }[] = [];
  const v = value.trim();
  if (v.length === 0 || v.length > 2048) return out;
  for (const token of v.split(/[\s,;]+/)) {
    const url = URL_LIKE.exec(token);
    if (url) {
      out.push({ host: (url[2] ?? '').toLowerCase(), scheme: url[1]?.toLowerCase(), port: url[3] ? Number(url[3]) : undefined, bare: false });
      continue;
    }
    const hp = HOST_PORT.exec(token);
    if (hp) {
      out.push({ host: (hp[1] ?? '').toLowerCase(), scheme: undefined, port: Number(hp[2]), bare: !(hp[1] ?? '').includes('.') });
      continue;
    }
    const lower = token.toLowerCase();
    if (HOST.test(lower)) out.push({ host: lower, scheme: undefined, port: undefined, bare: !lower.includes('.') });
  }
  return out;
}
