/**
 * A pod's effective CPU and memory requests and limits, computed the way the scheduler and the kubelet
 * do, so "usage vs request" in the agent's metrics means what `kubectl describe node` means:
 *
 * - regular containers add up; a sidecar (an init container with `restartPolicy: Always`) adds to them too,
 *   since it runs beside them;
 * - a plain init container runs alone (next to the sidecars started before it), so the pod needs
 *   `max(sum of regular containers and sidecars, each init container + the sidecars before it)`;
 * - `spec.overhead` (RuntimeClass) is added on top;
 * - a container that sets a limit but no request gets request = limit, as the API server defaults it.
 *
 * A pod has a limit for a resource only when every container, init containers included, declares a
 * non-zero one: that is when the kubelet bounds the pod's cgroup. Otherwise the pod can use the whole
 * node and reporting the sum of the limits that happen to be set would understate it.
 */
import { asRecord, list } from '../kube/read.js';
import { readBytes, readMillicores } from './field-readers.js';

export interface PodResources {
  /** Absent when no container requests CPU (BestEffort for CPU). */
  cpuRequestMillicores?: number;
  /** Absent unless every container declares a CPU limit. */
  cpuLimitMillicores?: number;
  memoryRequestBytes?: number;
  memoryLimitBytes?: number;
}

type Reader = (value: unknown) => number | undefined;

interface Effective {
  request: number | undefined;
  limit: number | undefined;
}

/**
 * The effective requests and limits of a pod spec. Never throws: unreadable containers and quantities
 * count as nothing, and an unreadable limit means the pod has no known limit for that resource.
 */
export function podResources(spec: unknown): PodResources {
  const s = asRecord(spec);
  if (!s) return {};
  const cpu = effective(s, 'cpu', readMillicores);
  const memory = effective(s, 'memory', readBytes);
  const out: PodResources = {};
  if (cpu.request !== undefined) out.cpuRequestMillicores = cpu.request;
  if (cpu.limit !== undefined) out.cpuLimitMillicores = cpu.limit;
  if (memory.request !== undefined) out.memoryRequestBytes = memory.request;
  if (memory.limit !== undefined) out.memoryLimitBytes = memory.limit;
  return out;
}

function effective(spec: Record<string, unknown>, resource: 'cpu' | 'memory', read: Reader): Effective {
  let requestSum = 0;
  let requestDeclared = false;
  let limitSum = 0;
  let limitEverywhere = true;
  let containers = 0;

  for (const c of list(spec['containers'])) {
    const container = asRecord(c);
    if (!container) {
      limitEverywhere = false;
      continue;
    }
    containers++;
    const { request, limit } = containerAmounts(container, resource, read);
    if (request !== undefined) {
      requestSum += request;
      requestDeclared = true;
    }
    if (limit !== undefined) limitSum += limit;
    else limitEverywhere = false;
  }

  let requestInitPeak = 0;
  let limitInitPeak = 0;
  let sidecarRequests = 0;
  let sidecarLimits = 0;
  for (const c of list(spec['initContainers'])) {
    const container = asRecord(c);
    if (!container) {
      limitEverywhere = false;
      continue;
    }
    const { request, limit } = containerAmounts(container, resource, read);
    if (request !== undefined) requestDeclared = true;
    if (limit === undefined) limitEverywhere = false;
    if (container['restartPolicy'] === 'Always') {
      sidecarRequests += request ?? 0;
      sidecarLimits += limit ?? 0;
      requestSum += request ?? 0;
      limitSum += limit ?? 0;
      requestInitPeak = Math.max(requestInitPeak, sidecarRequests);
      limitInitPeak = Math.max(limitInitPeak, sidecarLimits);
    } else {
      requestInitPeak = Math.max(requestInitPeak, (request ?? 0) + sidecarRequests);
      limitInitPeak = Math.max(limitInitPeak, (limit ?? 0) + sidecarLimits);
    }
  }

  const overhead = read(asRecord(spec['overhead'])?.[resource]);
  if (overhead !== undefined) requestDeclared = true;
  const request = requestDeclared ? Math.max(requestSum, requestInitPeak) + (overhead ?? 0) : undefined;
  const limit = limitEverywhere && containers > 0 ? Math.max(limitSum, limitInitPeak) + (overhead ?? 0) : undefined;
  return { request: finiteRounded(request), limit: finiteRounded(limit) };
}

function containerAmounts(container: Record<string, unknown>, resource: string, read: Reader): Effective {
  const resources = asRecord(container['resources']);
  const rawLimit = read(asRecord(resources?.['limits'])?.[resource]);
  // A zero limit is how the kubelet spells "no limit" (Quantity.IsZero), so it does not bound the pod.
  const limit = rawLimit === 0 ? undefined : rawLimit;
  const request = read(asRecord(resources?.['requests'])?.[resource]) ?? limit;
  return { request, limit };
}

/** Kubernetes quantities of CPU and memory are whole millicores and bytes; sums of absurd values may overflow. */
function finiteRounded(n: number | undefined): number | undefined {
  if (n === undefined) return undefined;
  const r = Math.round(n);
  return Number.isFinite(r) ? r : undefined;
}
