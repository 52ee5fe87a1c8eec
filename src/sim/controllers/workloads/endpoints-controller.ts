/**
 * Endpoints for every Service with a selector: ready pods under `addresses`, the others under
 * `notReadyAddresses` (unless publishNotReadyAddresses), ports resolved from the service's targetPort
 * (a number, or a named container port looked up per pod). Follows pods coming, going and changing
 * readiness, and selector changes. Endpoints of a deleted Service are deleted.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { Change } from '../../store/object-store.js';
import { fromLabelSelectorObject, matchesLabels } from '../../store/selectors.js';
import { KeyedController, nsKey, splitKey, type ReconcileResult } from './keyed-controller.js';
import { containersOf, isPodReady, phaseOf, podSpec, stableStringify } from './pod-utils.js';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}
interface ServiceSpec {
  selector?: Record<string, string>;
  ports?: ServicePort[];
  type?: string;
  publishNotReadyAddresses?: boolean;
}
interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}
interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

function serviceSpec(svc: KubeObject): ServiceSpec {
  return (svc['spec'] as ServiceSpec | undefined) ?? {};
}

function selects(svc: KubeObject, pod: KubeObject | undefined): boolean {
  const selector = serviceSpec(svc).selector;
  return !!pod && !!selector && Object.keys(selector).length > 0 && matchesLabels(fromLabelSelectorObject({ matchLabels: selector }), pod.metadata.labels);
}

/** The pod's port for a service port; undefined when a named targetPort is not declared by the pod. */
function resolvePort(pod: KubeObject, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of containersOf(podSpec(pod))) for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
  return undefined;
}

export class EndpointsController extends KeyedController {
  readonly name = 'endpoint-controller';

  protected keysFor(change: Change): string[] {
    if (change.key === 'services') return [nsKey(change.object.metadata.namespace, change.object.metadata.name)];
    if (change.key !== 'pods') return [];
    const namespace = change.object.metadata.namespace;
    return this.ctx.store
      .list(res('services'), { namespace })
      .items.filter((s) => selects(s, change.object) || selects(s, change.previous))
      .map((s) => nsKey(namespace, s.metadata.name));
  }

  protected initialKeys(): string[] {
    return this.ctx.store.list(res('services')).items.map((s) => nsKey(s.metadata.namespace, s.metadata.name));
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const svc = this.ctx.store.get(res('services'), namespace, name);
    const existing = this.ctx.store.get(res('endpoints'), namespace, name);
    if (!svc) {
      // Only endpoints this controller manages (a selector-less service's endpoints are the user's).
      if (existing && existing.metadata.annotations?.['endpoints.kubernetes.io/managed-by'] !== 'user') {
        try {
          this.ctx.store.delete(res('endpoints'), namespace, name);
        } catch {
          // already gone
        }
      }
      return;
    }
    const spec = serviceSpec(svc);
    if (!spec.selector || Object.keys(spec.selector).length === 0 || spec.type === 'ExternalName') return;

    const groups = new Map<string, { ports: EndpointPort[]; addresses: EndpointAddress[]; notReadyAddresses: EndpointAddress[] }>();
    for (const pod of this.ctx.store.list(res('pods'), { namespace }).items) {
      if (!selects(svc, pod) || pod.metadata.deletionTimestamp) continue;
      const phase = phaseOf(pod);
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const ip = (pod['status'] as { podIP?: string } | undefined)?.podIP;
      if (!ip) continue;
      const ps = podSpec(pod);
      const address: EndpointAddress = {
        ip,
        ...(typeof ps['hostname'] === 'string' && ps['subdomain'] === name ? { hostname: ps['hostname'] } : {}),
        ...(typeof ps['nodeName'] === 'string' ? { nodeName: ps['nodeName'] } : {}),
        targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      };
      const ports: EndpointPort[] = [];
      for (const sp of spec.ports ?? []) {
        const port = resolvePort(pod, sp);
        if (port === undefined) continue;
        ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
      }
      if ((spec.ports ?? []).length > 0 && ports.length === 0) continue;
      ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
      const k = stableStringify(ports);
      let g = groups.get(k);
      if (!g) {
        g = { ports, addresses: [], notReadyAddresses: [] };
        groups.set(k, g);
      }
      if (isPodReady(pod) || spec.publishNotReadyAddresses) g.addresses.push(address);
      else g.notReadyAddresses.push(address);
    }
    const byIp = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.name < b.targetRef.name ? -1 : 1);
    const subsets = [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, g]) => ({
        ...(g.addresses.length ? { addresses: g.addresses.sort(byIp) } : {}),
        ...(g.notReadyAddresses.length ? { notReadyAddresses: g.notReadyAddresses.sort(byIp) } : {}),
        ...(g.ports.length ? { ports: g.ports } : {}),
      }));
    const labels = { ...(svc.metadata.labels ?? {}) };
    if (!existing) {
      this.ctx.store.create(res('endpoints'), {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace, labels, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': this.ctx.clock.isoNow() } },
        ...(subsets.length ? { subsets } : {}),
      });
      return;
    }
    if (stableStringify(existing['subsets'] ?? []) === stableStringify(subsets) && stableStringify(existing.metadata.labels ?? {}) === stableStringify(labels)) return;
    this.ctx.store.mutate(res('endpoints'), namespace, name, (e) => {
      e.metadata.labels = labels;
      e.metadata.annotations = { ...(e.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': this.ctx.clock.isoNow() };
      if (subsets.length) e['subsets'] = subsets;
      else delete e['subsets'];
    });
  }
}
