/**
 * `pods/{name}/log`: container logs from the LogStore, with the kubelet's choice of instance (the
 * container's restartCount; `previous` is the one before) and its error messages.
 */
import type { KubeObject } from '../../core/kube/kube-types.js';
import type { LogLine, SimContext } from '../sim-context.js';
import { StatusError } from '../status-error.js';

type Obj = Record<string, unknown>;

export interface LogOptions {
  container?: string;
  previous: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps: boolean;
  limitBytes?: number;
}

export interface LogTarget {
  container: string;
  instance: number;
}

/**
 * Which container instance a request reads.
 * @throws StatusError 400 with kubectl's wording when no container is named and the pod has several,
 *   the container is unknown, there is no previous instance, or it never started.
 */
export function resolveLogTarget(ctx: SimContext, pod: KubeObject, options: Pick<LogOptions, 'container' | 'previous'>): LogTarget {
  const name = pod.metadata.name;
  const ns = pod.metadata.namespace ?? 'default';
  const spec = (pod['spec'] ?? {}) as Obj;
  const names = ((spec['containers'] ?? []) as Obj[]).map((c) => String(c['name']));
  const initNames = ((spec['initContainers'] ?? []) as Obj[]).map((c) => String(c['name']));
  let container = options.container ?? '';
  if (!container) {
    const only = names.length === 1 ? names[0] : undefined;
    if (only !== undefined) container = only;
    else {
      const init = initNames.length ? ` or one of the init containers: [${initNames.join(' ')}]` : '';
      throw StatusError.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]${init}`);
    }
  }
  if (!names.includes(container) && !initNames.includes(container)) {
    throw StatusError.badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const status = (pod['status'] ?? {}) as Obj;
  const statuses = [...((status['containerStatuses'] ?? []) as Obj[]), ...((status['initContainerStatuses'] ?? []) as Obj[])];
  const cs = statuses.find((s) => s['name'] === container);
  const restarts = typeof cs?.['restartCount'] === 'number' ? cs['restartCount'] : 0;
  if (options.previous) {
    const instance = restarts - 1;
    if (instance < 0 || !ctx.logs.read(ns, name, container, instance)) {
      throw StatusError.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    }
    return { container, instance };
  }
  const waiting = ((cs?.['state'] ?? {}) as Obj)['waiting'] as Obj | undefined;
  if (!ctx.logs.read(ns, name, container, restarts) && (!cs || waiting)) {
    const reason = typeof waiting?.['reason'] === 'string' ? waiting['reason'] : 'ContainerCreating';
    const why = reason === 'ImagePullBackOff' || reason === 'ErrImagePull' ? 'trying and failing to pull image' : reason;
    throw StatusError.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  return { container, instance: restarts };
}

/** Go's time.RFC3339Nano: fractional seconds without trailing zeros. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  const [whole = '', frac = ''] = iso.slice(0, -1).split('.');
  const trimmed = frac.replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''}Z`;
}

export function selectLines(lines: LogLine[], options: LogOptions, now: number): LogLine[] {
  let out = lines;
  if (options.sinceSeconds !== undefined) out = out.filter((l) => l.time >= now - options.sinceSeconds! * 1000);
  if (options.sinceTime) {
    const t = Date.parse(options.sinceTime);
    if (!Number.isNaN(t)) out = out.filter((l) => l.time >= t);
  }
  if (options.tailLines !== undefined) out = options.tailLines === 0 ? [] : out.slice(-options.tailLines);
  return out;
}

export function renderLines(lines: LogLine[], timestamps: boolean): string {
  return lines.map((l) => `${timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`).join('');
}
