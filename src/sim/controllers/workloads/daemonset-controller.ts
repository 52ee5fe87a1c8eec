/**
 * DaemonSet → one pod per node that should run it (nodeSelector, required node affinity, taints the
 * pod tolerates). Like the real controller it pins each pod with required node affinity
 * `matchFields metadata.name In [node]` and lets the scheduler bind it; with `bindDirectly` it also
 * sets `spec.nodeName` (for a scheduler that does not read matchFields). DaemonSet pods get the
 * standard tolerations (not-ready, unreachable, pressure, unschedulable), so they stay on cordoned
 * and pressured nodes, as real ones do.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import { deletePodGracefully } from '../../pod-deletion.js';
import type { SimContext } from '../../sim-context.js';
import type { Change } from '../../store/object-store.js';
import { ensureControllerRevision } from './controller-revision.js';
import { KeyedController, splitKey, type ReconcileResult } from './keyed-controller.js';
import { intOr, isPodActive, isPodAvailable, isPodReady, msUntilAvailable, phaseOf, podFromTemplate, podsOwnedBy, randomSuffix, writeStatus, type PodTemplate, allKeys, ownerKeysFor } from './pod-utils.js';
import { admitPod } from './resource-quota.js';

const SOURCE = { component: 'daemonset-controller' };
const REVISION_LABEL = 'controller-revision-hash';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}
interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/** Whether `node` satisfies a pod spec's nodeSelector and required node affinity. */
export function nodeMatches(podSpec: Record<string, unknown>, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const selector = (podSpec['nodeSelector'] as Record<string, string> | undefined) ?? {};
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  const terms = (podSpec['affinity'] as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some(
    (t) =>
      (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels[r.key])) &&
      (t.matchFields ?? []).every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata.name : undefined)),
  );
}

function shouldRun(podSpec: Record<string, unknown>, node: KubeObject, tolerations: Toleration[]): boolean {
  if (!nodeMatches(podSpec, node)) return false;
  const taints = ((node['spec'] as { taints?: Taint[] } | undefined)?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  return taints.every((t) => tolerates(tolerations, t));
}

/** The node a daemon pod is meant for: its nodeName, else its matchFields pin. */
function targetNode(pod: KubeObject): string | undefined {
  const spec = (pod['spec'] as Record<string, unknown> | undefined) ?? {};
  if (typeof spec['nodeName'] === 'string' && spec['nodeName']) return spec['nodeName'];
  const terms = (spec['affinity'] as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  for (const t of terms ?? []) for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In') return f.values?.[0];
  return undefined;
}

export interface DaemonSetControllerOptions {
  /** Also set `spec.nodeName` on created pods, bypassing the scheduler. Default false. */
  bindDirectly?: boolean;
}

interface DaemonSetSpec {
  minReadySeconds?: number;
  template?: PodTemplate;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { maxUnavailable?: number } };
}

export class DaemonSetController extends KeyedController {
  readonly name = 'daemonset-controller';
  readonly #bindDirectly: boolean;

  constructor(ctx: SimContext, options: DaemonSetControllerOptions = {}) {
    super(ctx);
    this.#bindDirectly = options.bindDirectly ?? false;
  }

  protected keysFor(change: Change): string[] {
    if (change.key === 'nodes') {
      const labelsOrTaints = (o: KubeObject | undefined) => JSON.stringify([o?.metadata.labels, (o?.['spec'] as { taints?: unknown } | undefined)?.taints]);
      if (change.type === 'MODIFIED' && labelsOrTaints(change.object) === labelsOrTaints(change.previous)) return [];
      return this.initialKeys();
    }
    return ownerKeysFor(change, 'daemonsets.apps', 'pods', 'DaemonSet');
  }

  protected initialKeys(): string[] {
    return allKeys(this.ctx, 'daemonsets.apps');
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const ds = this.ctx.store.get(res('daemonsets.apps'), namespace, name);
    if (!ds) return;
    const spec = (ds['spec'] as DaemonSetSpec | undefined) ?? {};
    const templateSpec = spec.template?.spec ?? {};
    const tolerations = [...((templateSpec['tolerations'] as Toleration[] | undefined) ?? []), ...DAEMON_TOLERATIONS];
    const revision = ensureControllerRevision(this.ctx, ds, spec.template);
    const nodes = this.ctx.store.list(res('nodes')).items;
    const wanted = new Set(nodes.filter((n) => shouldRun(templateSpec, n, tolerations)).map((n) => n.metadata.name));
    const byNode = new Map<string, KubeObject[]>();
    for (const p of podsOwnedBy(this.ctx, ds)) {
      const node = targetNode(p) ?? '';
      if (phaseOf(p) === 'Failed') {
        this.#deletePod(ds, p); // recreated below on the next pass
        continue;
      }
      if (!isPodActive(p)) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    let failed = false;
    for (const node of [...wanted].sort()) {
      const existing = byNode.get(node) ?? [];
      if (existing.length === 0 && !failed) {
        const pod = this.#createPod(ds, spec, node, revision, tolerations);
        if (pod) byNode.set(node, [pod]);
        else failed = true;
      }
      for (const extra of existing.slice(1)) this.#deletePod(ds, extra);
      if (existing.length > 1) byNode.set(node, existing.slice(0, 1));
    }
    for (const [node, ps] of byNode) {
      if (wanted.has(node)) continue;
      for (const p of ps) this.#deletePod(ds, p);
      byNode.delete(node);
    }

    const now = this.ctx.clock.now();
    const minReady = intOr(spec.minReadySeconds, 0);
    const scheduled = [...byNode.values()].flat();
    // Rolling update: replace stale pods while no more than maxUnavailable are unavailable.
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const maxUnavailable = Math.max(1, intOr(spec.updateStrategy?.rollingUpdate?.maxUnavailable, 1));
      let unavailable = [...wanted].filter((n) => !(byNode.get(n) ?? []).some((p) => isPodAvailable(p, minReady, now))).length;
      for (const p of scheduled.filter((x) => x.metadata.labels?.[REVISION_LABEL] !== revision)) {
        if (unavailable >= maxUnavailable) break;
        if (!isPodAvailable(p, minReady, now)) continue;
        this.#deletePod(ds, p);
        unavailable++;
      }
    }

    const pods = podsOwnedBy(this.ctx, ds).filter(isPodActive);
    const onWanted = pods.filter((p) => wanted.has(targetNode(p) ?? ''));
    let wait: number | undefined;
    for (const p of onWanted) {
      const left = msUntilAvailable(p, minReady, now);
      if (left !== undefined) wait = wait === undefined ? left : Math.min(wait, left);
    }
    const available = onWanted.filter((p) => isPodAvailable(p, minReady, now)).length;
    writeStatus(this.ctx, 'daemonsets.apps', ds, {
      currentNumberScheduled: new Set(onWanted.map((p) => targetNode(p))).size,
      desiredNumberScheduled: wanted.size,
      numberMisscheduled: pods.length - onWanted.length,
      numberReady: onWanted.filter(isPodReady).length,
      numberAvailable: available,
      numberUnavailable: Math.max(0, wanted.size - available),
      updatedNumberScheduled: onWanted.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length,
      observedGeneration: ds.metadata.generation ?? 1,
    });
    return failed ? Math.min(wait ?? 10_000, 10_000) : wait;
  }

  #createPod(ds: KubeObject, spec: DaemonSetSpec, node: string, revision: string, tolerations: Toleration[]): KubeObject | undefined {
    const namespace = ds.metadata.namespace ?? 'default';
    const template: PodTemplate = structuredClone(spec.template ?? {});
    const podSpec: Record<string, unknown> = { ...(template.spec ?? {}) };
    const affinity = { ...((podSpec['affinity'] as Record<string, unknown> | undefined) ?? {}) };
    affinity['nodeAffinity'] = {
      ...((affinity['nodeAffinity']) ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] },
    };
    podSpec['affinity'] = affinity;
    const own = (podSpec['tolerations'] as Toleration[] | undefined) ?? [];
    podSpec['tolerations'] = [...own, ...tolerations.filter((t) => !own.some((o) => o.key === t.key && o.effect === t.effect))];
    if (this.#bindDirectly) podSpec['nodeName'] = node;
    template.spec = podSpec;
    let podName = `${ds.metadata.name}-${randomSuffix(this.ctx.random)}`;
    while (this.ctx.store.get(res('pods'), namespace, podName)) podName = `${ds.metadata.name}-${randomSuffix(this.ctx.random)}`;
    const pod = podFromTemplate(template, { name: podName, namespace, owner: ds, labels: { [REVISION_LABEL]: revision, 'pod-template-generation': String(ds.metadata.generation ?? 1) } });
    const admission = admitPod(this.ctx, pod);
    let error: string | undefined;
    let created: KubeObject | undefined;
    if (!admission.allowed) error = admission.message;
    else {
      try {
        created = this.ctx.store.create(res('pods'), pod);
      } catch (err) {
        error = (err as Error).message;
      }
    }
    if (error !== undefined) {
      this.ctx.events.record(ds, 'Warning', 'FailedCreate', `Error creating: ${error}`, SOURCE);
      return undefined;
    }
    this.ctx.events.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`, SOURCE);
    return created;
  }

  #deletePod(ds: KubeObject, pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) return; // already terminating
    try {
      deletePodGracefully(this.ctx, pod.metadata.namespace, pod.metadata.name);
      this.ctx.events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, SOURCE);
    } catch {
      // already gone
    }
  }
}
