/**
 * NetworkPolicy ingress admission, as a CNI enforces it: a pod selected by an Ingress policy of its
 * namespace accepts only connections that some rule of some such policy admits.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { SimContext } from '../../sim-context.js';
import { fromLabelSelectorObject, matchesLabels } from '../../store/selectors.js';

type Obj = Record<string, unknown>;

export interface PodEnd {
  namespace: string;
  labels: Record<string, string> | undefined;
}

export interface PolicyPort {
  /** The port the target pod listens on. */
  number: number | undefined;
  /** Its name, when the Service's targetPort names it. */
  name: string | undefined;
}

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function selects(sel: unknown, labels: Record<string, string> | undefined): boolean {
  const s = obj(sel);
  // An absent or empty selector selects everything.
  if (!s) return true;
  return matchesLabels(fromLabelSelectorObject(s), labels);
}

function isIngressPolicy(spec: Obj): boolean {
  const types = spec['policyTypes'];
  if (!Array.isArray(types) || types.length === 0) return true; // Ingress is implied when unset
  return types.includes('Ingress') || (Array.isArray(spec['ingress']) && spec['ingress'].length > 0);
}

function namespaceLabels(ctx: SimContext, namespace: string): Record<string, string> {
  const ns = ctx.store.get(res('namespaces'), undefined, namespace);
  // The API server labels every namespace with its name; policies select namespaces by it.
  return { ...(ns?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
}

function peerAdmits(ctx: SimContext, policyNamespace: string, peer: Obj, client: PodEnd): boolean {
  const podSel = peer['podSelector'];
  const nsSel = peer['namespaceSelector'];
  if (podSel === undefined && nsSel === undefined) return false; // ipBlock: pod IPs are not modelled
  if (nsSel === undefined) return client.namespace === policyNamespace && selects(podSel, client.labels);
  if (!selects(nsSel, namespaceLabels(ctx, client.namespace))) return false;
  return podSel === undefined || selects(podSel, client.labels);
}

function portAdmits(ports: unknown, port: PolicyPort): boolean {
  if (!Array.isArray(ports) || ports.length === 0) return true;
  return ports.some((p) => {
    const want = obj(p)?.['port'];
    if (want === undefined || want === null) return true;
    if (typeof want === 'number') return want === port.number;
    return want === port.name || (port.number !== undefined && want === String(port.number));
  });
}

/** Whether `client` may open a connection to a pod `target` on `port`. */
export function ingressAllowed(ctx: SimContext, target: PodEnd, client: PodEnd, port: PolicyPort): boolean {
  const policies = ctx.store.list(res('networkpolicies.networking.k8s.io'), { namespace: target.namespace }).items;
  let isolated = false;
  for (const policy of policies) {
    const spec = obj(policy['spec']) ?? {};
    if (!isIngressPolicy(spec) || !selects(spec['podSelector'], target.labels)) continue;
    isolated = true;
    const rules = Array.isArray(spec['ingress']) ? spec['ingress'] : [];
    for (const rule of rules) {
      const r = obj(rule) ?? {};
      if (!portAdmits(r['ports'], port)) continue;
      const from = r['from'];
      if (!Array.isArray(from) || from.length === 0) return true; // no peers: every source
      if (from.some((peer) => obj(peer) !== undefined && peerAdmits(ctx, target.namespace, obj(peer) as Obj, client))) return true;
    }
  }
  return !isolated;
}

/**
 * Whether `client` reaches Service `service` on its port `servicePort`: true when at least one ready
 * backend admits it (kube-proxy would pick among them), or when the Service has no selector-backed pods.
 */
export function serviceReachable(ctx: SimContext, service: KubeObject | undefined, endpoints: KubeObject | undefined, servicePort: number, client: PodEnd): boolean {
  const namespace = service?.metadata.namespace ?? endpoints?.metadata.namespace ?? 'default';
  const spec = obj(service?.['spec']) ?? {};
  const ports = Array.isArray(spec['ports']) ? (spec['ports'] as unknown[]).map((p) => obj(p) ?? {}) : [];
  const entry = ports.find((p) => p['port'] === servicePort) ?? (ports.length === 1 ? ports[0] : undefined);
  const targetPort = entry?.['targetPort'] ?? entry?.['port'] ?? servicePort;
  const port: PolicyPort = typeof targetPort === 'number' ? { number: targetPort, name: typeof entry?.['name'] === 'string' ? entry['name'] : undefined } : { number: undefined, name: typeof targetPort === 'string' ? targetPort : undefined };
  const targets: PodEnd[] = [];
  for (const subset of Array.isArray(endpoints?.['subsets']) ? (endpoints['subsets'] as unknown[]) : []) {
    const addresses = obj(subset)?.['addresses'];
    for (const address of Array.isArray(addresses) ? addresses : []) {
      const ref = obj(obj(address)?.['targetRef']);
      if (ref?.['kind'] !== 'Pod' || typeof ref['name'] !== 'string') continue;
      const podNs = typeof ref['namespace'] === 'string' ? ref['namespace'] : namespace;
      const pod = ctx.store.get(res('pods'), podNs, ref['name']);
      if (pod) targets.push({ namespace: podNs, labels: pod.metadata.labels });
    }
  }
  if (targets.length === 0) {
    const selector = obj(spec['selector']);
    if (!selector) return true;
    targets.push({ namespace, labels: selector as Record<string, string> });
  }
  return targets.some((t) => ingressAllowed(ctx, t, client, port));
}
