/**
 * HorizontalPodAutoscaler (autoscaling/v2), the replica calculator of pkg/controller/podautoscaler:
 * every 15 s of simulated time, the average utilization (usage from ctx.usage / requests) of the
 * target's ready pods gives desired = ceil(ratio × ready pods) outside a 10 % tolerance, with the
 * missing/unready pod rebalancing, stabilization windows (scale-down 300 s by default), scaling
 * policies and min/max clamping; conditions AbleToScale / ScalingActive / ScalingLimited and
 * `SuccessfulRescale` events.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { Change } from '../../store/object-store.js';
import { fromLabelSelectorObject, matchesLabels } from '../../store/selectors.js';
import { KeyedController, nsKey, splitKey, type ReconcileResult } from './keyed-controller.js';
import { intOr, isPodActive, isPodReady, podResource, podSpec, containersMissing, type Condition } from './pod-utils.js';
import { formatBytes, formatCpuCores, parseQuantity } from '../../../core/kube/units.js';

const SOURCE = { component: 'horizontal-pod-autoscaler' };
export const HPA_SYNC_PERIOD_MS = 15_000;
const TOLERANCE = 0.1;
const TARGET_RESOURCES: Record<string, string> = { Deployment: 'deployments.apps', StatefulSet: 'statefulsets.apps', ReplicaSet: 'replicasets.apps' };

interface MetricTarget {
  type: 'Utilization' | 'AverageValue' | 'Value';
  averageUtilization?: number;
  averageValue?: string;
}
interface MetricSpec {
  type: string;
  resource?: { name: string; target: MetricTarget };
}
interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }[];
}
interface HpaSpec {
  scaleTargetRef?: { apiVersion?: string; kind: string; name: string };
  minReplicas?: number;
  maxReplicas?: number;
  metrics?: MetricSpec[];
  behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
}

class MetricError extends Error {}

interface Computed {
  replicas: number;
  metricName: string;
  current: Record<string, unknown>;
}

export class HorizontalPodAutoscalerController extends KeyedController {
  readonly name = 'horizontal-pod-autoscaler';
  readonly #recommendations = new Map<string, { at: number; replicas: number }[]>();
  /** Whether the last #normalize held the recommendation back (AbleToScale says so instead of ReadyForNewScale). */
  #stabilizedNow = false;

  protected keysFor(change: Change): string[] {
    if (change.key !== 'horizontalpodautoscalers.autoscaling') return [];
    // Our own status writes must not shorten the 15 s period: only new HPAs and spec changes count.
    if (change.type === 'DELETED') {
      this.#recommendations.delete(change.object.metadata.uid);
      return [];
    }
    if (change.type === 'MODIFIED' && change.object.metadata.generation === change.previous?.metadata.generation) return [];
    return [nsKey(change.object.metadata.namespace, change.object.metadata.name)];
  }

  protected initialKeys(): string[] {
    return this.ctx.store.list(res('horizontalpodautoscalers.autoscaling')).items.map((h) => nsKey(h.metadata.namespace, h.metadata.name));
  }

  protected reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const hpa = this.ctx.store.get(res('horizontalpodautoscalers.autoscaling'), namespace, name);
    if (!hpa) return;
    const spec = (hpa['spec'] as HpaSpec | undefined) ?? {};
    const old = (hpa['status'] as { conditions?: Condition[]; lastScaleTime?: string; currentMetrics?: unknown[] } | undefined) ?? {};
    const nowIso = this.ctx.clock.isoNow();
    let conditions = old.conditions ?? [];
    const set = (type: string, status: 'True' | 'False', reason: string, message: string) => {
      const prev = conditions.find((c) => c.type === type);
      const cond: Condition = { type, status, reason, message, lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? nowIso) : nowIso };
      conditions = prev ? conditions.map((c) => (c.type === type ? cond : c)) : [...conditions, cond];
    };
    this.#stabilizedNow = false;
    const ref = spec.scaleTargetRef;
    const targetResource = ref ? TARGET_RESOURCES[ref.kind] : undefined;
    const target = ref && targetResource ? this.ctx.store.get(res(targetResource), namespace, ref.name) : undefined;
    const write = (status: Record<string, unknown>) => {
      this.ctx.store.mutate(res('horizontalpodautoscalers.autoscaling'), namespace, name, (h) => { h['status'] = { ...status, conditions }; }, { subresource: 'status' });
    };
    if (!ref || !targetResource || !target) {
      const what = targetResource ? `${targetResource.split('.')[0] ?? ''}/scale.${targetResource.split('.').slice(1).join('.')}` : `${ref?.kind ?? 'unknown'}/scale`;
      const message = `the HPA controller was unable to get the target's current scale: ${what} "${ref?.name ?? ''}" not found`;
      set('AbleToScale', 'False', 'FailedGetScale', message);
      this.ctx.events.record(hpa, 'Warning', 'FailedGetScale', `${what} "${ref?.name ?? ''}" not found`, SOURCE);
      write({ currentReplicas: 0, desiredReplicas: 0, observedGeneration: hpa.metadata.generation ?? 1 });
      return HPA_SYNC_PERIOD_MS;
    }

    const currentReplicas = intOr((target['spec'] as { replicas?: number } | undefined)?.replicas, 1);
    const minReplicas = intOr(spec.minReplicas, 1);
    const maxReplicas = intOr(spec.maxReplicas, minReplicas);
    let desired = currentReplicas;
    let rescaleReason = '';
    let currentMetrics: unknown[] = old.currentMetrics ?? [];
    if (currentReplicas === 0 && minReplicas !== 0) {
      set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
      desired = 0;
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      let best: Computed | undefined;
      const metrics = spec.metrics?.length ? spec.metrics : [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } } as MetricSpec];
      currentMetrics = [];
      try {
        for (const m of metrics) {
          const computed = this.#computeResource(namespace, target, m, currentReplicas);
          currentMetrics.push(computed.current);
          if (!best || computed.replicas > best.replicas) best = computed;
        }
      } catch (err) {
        if (!(err instanceof MetricError)) throw err;
        const resource = metrics[0]?.resource?.name ?? 'cpu';
        set('AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale');
        set('ScalingActive', 'False', 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: failed to get ${resource} utilization: ${err.message}`);
        this.ctx.events.record(hpa, 'Warning', 'FailedGetResourceMetric', `failed to get ${resource} utilization: ${err.message}`, SOURCE);
        this.ctx.events.record(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (1 invalid out of ${metrics.length}), first error is: failed to get ${resource} resource metric value: failed to get ${resource} utilization: ${err.message}`, SOURCE);
        write({ ...(old.lastScaleTime ? { lastScaleTime: old.lastScaleTime } : {}), currentReplicas, desiredReplicas: currentReplicas, currentMetrics: [], observedGeneration: hpa.metadata.generation ?? 1 });
        return HPA_SYNC_PERIOD_MS;
      }
      const metricDesired = best?.replicas ?? currentReplicas;
      set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best?.metricName ?? 'cpu resource utilization (percentage of request)'}`);
      rescaleReason = metricDesired > currentReplicas ? `${best?.metricName ?? 'cpu resource utilization (percentage of request)'} above target` : 'All metrics below target';
      desired = this.#normalize(hpa, spec, currentReplicas, metricDesired, minReplicas, maxReplicas, set);
    }
    let lastScaleTime = old.lastScaleTime;
    if (desired !== currentReplicas && !(currentReplicas === 0 && minReplicas !== 0)) {
      this.ctx.store.mutate(res(targetResource), namespace, ref.name, (t) => { (t['spec'] as Record<string, unknown>)['replicas'] = desired; });
      this.ctx.events.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`, SOURCE);
      set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      lastScaleTime = nowIso;
    } else if (!this.#stabilizedNow) {
      set('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    }
    write({
      observedGeneration: hpa.metadata.generation ?? 1,
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas,
      desiredReplicas: desired,
      currentMetrics,
    });
    return HPA_SYNC_PERIOD_MS;
  }

  /** Stabilization window, scaling policies, then min/max; sets AbleToScale/ScalingLimited reasons. */
  #normalize(hpa: KubeObject, spec: HpaSpec, current: number, proposed: number, min: number, max: number, set: (type: string, status: 'True' | 'False', reason: string, message: string) => void): number {
    const now = this.ctx.clock.now();
    const up = spec.behavior?.scaleUp ?? {};
    const down = spec.behavior?.scaleDown ?? {};
    const upWindow = (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downWindow = (down.stabilizationWindowSeconds ?? 300) * 1000;
    const history = this.#recommendations.get(hpa.metadata.uid) ?? [];
    let upRec = proposed;
    let downRec = proposed;
    for (const r of history) {
      if (r.at > now - upWindow) upRec = Math.min(upRec, r.replicas);
      if (r.at > now - downWindow) downRec = Math.max(downRec, r.replicas);
    }
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    const keep = Math.max(upWindow, downWindow);
    this.#recommendations.set(hpa.metadata.uid, [...history.filter((r) => r.at > now - keep), { at: now, replicas: proposed }]);
    this.#stabilizedNow = stabilized !== proposed;
    if (stabilized !== proposed) {
      if (stabilized > proposed) set('AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
      else set('AbleToScale', 'True', 'ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation');
    }

    const limit = (rules: ScalingRules, direction: 'up' | 'down'): number => {
      const policies = rules.policies ?? (direction === 'up' ? [{ type: 'Pods' as const, value: 4, periodSeconds: 15 }, { type: 'Percent' as const, value: 100, periodSeconds: 15 }] : [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }]);
      const select = rules.selectPolicy ?? 'Max';
      if (select === 'Disabled') return current;
      const values = policies.map((p) =>
        direction === 'up'
          ? p.type === 'Pods' ? current + p.value : Math.ceil(current * (1 + p.value / 100))
          : p.type === 'Pods' ? current - p.value : Math.ceil(current * (1 - p.value / 100)),
      );
      if (direction === 'up') return select === 'Max' ? Math.max(...values) : Math.min(...values);
      return select === 'Max' ? Math.min(...values) : Math.max(...values);
    };

    let desired = stabilized;
    if (desired > current) {
      const upLimit = limit(up, 'up');
      const allowed = Math.min(upLimit, max);
      if (desired > allowed) {
        if (upLimit < max) set('ScalingLimited', 'True', 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate');
        else set('ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count');
        desired = allowed;
      } else set('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');
    } else if (desired < current) {
      const downLimit = limit(down, 'down');
      const allowed = Math.max(downLimit, min);
      if (desired < allowed) {
        if (downLimit > min) set('ScalingLimited', 'True', 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate');
        else set('ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count');
        desired = allowed;
      } else set('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');
    } else if (proposed > max && current === max) {
      set('ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count');
    } else if (proposed < min && current === min) {
      set('ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count');
    } else set('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');
    return desired;
  }

  /** GetResourceReplicas: the replica count one Resource metric asks for. @throws MetricError */
  #computeResource(namespace: string, target: KubeObject, metric: MetricSpec, currentReplicas: number): Computed {
    if (metric.type !== 'Resource' || !metric.resource) throw new MetricError(`unsupported metric type ${JSON.stringify(metric.type)}`);
    const resource = metric.resource.name;
    const t = metric.resource.target;
    const selector = fromLabelSelectorObject((target['spec'] as { selector?: Parameters<typeof fromLabelSelectorObject>[0] } | undefined)?.selector);
    const pods = this.ctx.store.list(res('pods'), { namespace }).items.filter((p) => isPodActive(p) && matchesLabels(selector, p.metadata.labels));
    if (pods.length === 0) throw new MetricError(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
    const usage = new Map<string, number>();
    const requests = new Map<string, number>();
    const missing: KubeObject[] = [];
    const unready: KubeObject[] = [];
    for (const p of pods) {
      const u = this.ctx.usage.pod(namespace, p.metadata.name);
      if (t.type === 'Utilization') {
        const lacking = containersMissing(podSpec(p), 'requests', resource);
        if (lacking.length) throw new MetricError(`missing request for ${resource} in container ${lacking[0] ?? ''} of Pod ${p.metadata.name}`);
        requests.set(p.metadata.name, podResource(podSpec(p), 'requests', resource));
      }
      if (!u) {
        missing.push(p);
        continue;
      }
      if (resource === 'cpu' && (!isPodReady(p) || (p['status'] as { phase?: string } | undefined)?.phase === 'Pending')) {
        unready.push(p);
        continue;
      }
      let v = 0;
      for (const c of u.containers.values()) v += resource === 'cpu' ? c.cpuMillicores / 1000 : c.memoryBytes;
      usage.set(p.metadata.name, v);
    }
    if (usage.size === 0) throw new MetricError(`did not receive metrics for targeted pods (pods might be unready)`);
    const sum = (m: Map<string, number>, names: Iterable<string>) => [...names].reduce((s, n) => s + (m.get(n) ?? 0), 0);
    const ready = [...usage.keys()];
    let ratio: number;
    let current: Record<string, unknown>;
    const avgValue = sum(usage, ready) / ready.length;
    const valueText = resource === 'cpu' ? formatCpuCores(avgValue) : formatBytes(avgValue);
    let targetPerPod: number;
    if (t.type === 'Utilization') {
      const targetUtil = t.averageUtilization ?? 80;
      const utilization = (sum(usage, ready) * 100) / Math.max(1e-12, sum(requests, ready));
      ratio = utilization / targetUtil;
      current = { type: 'Resource', resource: { name: resource, current: { averageUtilization: Math.floor(utilization), averageValue: valueText } } };
      targetPerPod = 0;
    } else {
      targetPerPod = parseQuantity(t.averageValue) ?? 0;
      if (targetPerPod <= 0) throw new MetricError(`invalid target value for ${resource}`);
      ratio = avgValue / targetPerPod;
      current = { type: 'Resource', resource: { name: resource, current: { averageValue: valueText } } };
    }
    const metricName = t.type === 'Utilization' ? `${resource} resource utilization (percentage of request)` : `${resource} resource`;
    const rebalanceIgnored = unready.length > 0 && ratio > 1;
    if (!rebalanceIgnored && missing.length === 0) {
      if (Math.abs(1 - ratio) <= TOLERANCE) return { replicas: currentReplicas, metricName, current };
      return { replicas: Math.ceil(ratio * ready.length), metricName, current };
    }
    // Rebalance: missing pods count as at target when scaling down and as idle when scaling up; unready as idle.
    const filled = new Map(usage);
    const reqs = new Map(requests);
    for (const p of missing) filled.set(p.metadata.name, ratio < 1 ? (t.type === 'Utilization' ? (requests.get(p.metadata.name) ?? 0) : targetPerPod) : 0);
    if (rebalanceIgnored) for (const p of unready) filled.set(p.metadata.name, 0);
    const names = [...filled.keys()];
    const newRatio =
      t.type === 'Utilization'
        ? (sum(filled, names) * 100) / Math.max(1e-12, sum(reqs, names)) / (t.averageUtilization ?? 80)
        : sum(filled, names) / names.length / targetPerPod;
    if (Math.abs(1 - newRatio) <= TOLERANCE || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return { replicas: currentReplicas, metricName, current };
    const replicas = Math.ceil(newRatio * names.length);
    if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return { replicas: currentReplicas, metricName, current };
    return { replicas, metricName, current };
  }
}
