/**
 * Signals: the typed observations rules match on, extracted from a snapshot. Container states
 * (waiting reasons, terminations with exit codes and restart spans), pod conditions, node conditions,
 * core/v1 Events (FailedScheduling parsed into its per-node reasons, FailedMount, FailedCreate
 * "exceeded quota", probe failures, image pulls), rollouts (a Deployment whose newest ReplicaSet fails
 * while an older one serves), Services without endpoints or with a selector that matches nothing,
 * HPAs at their maximum, Pending claims, exhausted quotas, log patterns and metric trends.
 *
 * Signals about the same thing on several pods of one workload are merged into one signal with a
 * `pods` count, so replicas do not count as independent evidence. docs/rules.md lists every signal
 * with its fields. Pure; never throws on odd objects.
 */
import type { KubeObject } from '../kube/kube-types.js';
import { asRecord, condition, isRecord, list, num, scalarText, text } from '../kube/read.js';
import { bytesOf, cpuMillis, formatBytes, formatCpuCores } from '../kube/units.js';
import { logSignals, type ClassifiedRecord } from './log-signals.js';
import { metricSignals } from './metric-signals.js';
import type { ClusterSnapshot } from './snapshot.js';
import { buildTopology, type Topology } from './topology.js';
import { refKey, refText, type FieldValue, type ResourceRef, type Signal } from './types.js';

type Obj = Record<string, unknown>;

/** Waiting reasons every normal start goes through. */
const BENIGN_WAITING = new Set(['ContainerCreating', 'PodInitializing']);
const IMAGE_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const MAX_MESSAGE = 400;

/** A time from an RFC 3339 field, epoch ms. */
export function timeOf(v: unknown): number | undefined {
  const s = text(v);
  if (!s || s.length > 64) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

/** `45s`, `9m`, `1h5m`, `2d3h`: how long, the way kubectl prints ages. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

function clip(s: string | undefined, max = MAX_MESSAGE): string {
  if (!s) return '';
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function podRefOf(pod: KubeObject): ResourceRef {
  return { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default' };
}

function containerSpecs(pod: KubeObject | Obj | undefined): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const spec = asRecord((pod)?.['spec']);
  for (const c of [...list(spec?.['initContainers']), ...list(spec?.['containers'])]) if (isRecord(c) && typeof c['name'] === 'string') out.set(c['name'], c);
  return out;
}

function declaredPorts(c: Obj | undefined): { numbers: number[]; names: string[] } {
  const numbers: number[] = [];
  const names: string[] = [];
  for (const p of list(c?.['ports'])) {
    if (!isRecord(p)) continue;
    const n = num(p['containerPort']);
    if (n !== undefined) numbers.push(n);
    const name = text(p['name']);
    if (name) names.push(name);
  }
  return { numbers, names };
}

/** The port a probe targets, as the spec says it. */
function probePort(probe: unknown): number | string | undefined {
  const p = asRecord(probe);
  const port = asRecord(p?.['httpGet'])?.['port'] ?? asRecord(p?.['tcpSocket'])?.['port'] ?? asRecord(p?.['grpc'])?.['port'];
  return typeof port === 'number' || typeof port === 'string' ? port : undefined;
}

function signalName(exitCode: number): string | undefined {
  if (exitCode <= 128 || exitCode > 128 + 64) return undefined;
  return ({ 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' } as Record<number, string>)[exitCode - 128] ?? `signal ${exitCode - 128}`;
}

/** `configmap "x" not found`, `secret "x" not found`, `couldn't find key K in ConfigMap ns/x`. */
export function missingConfigOf(message: string): { kind: 'ConfigMap' | 'Secret'; name: string; key?: string } | undefined {
  let m = /\b(configmap|secret)s? "([^"]{1,253})" not found/i.exec(message);
  if (m) return { kind: (m[1] ?? '').toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: m[2] ?? '' };
  m = /couldn't find key (\S{1,253}) in (ConfigMap|Secret) [^/\s]{1,63}\/(\S{1,253})/i.exec(message);
  if (m) return { kind: (m[2] ?? '').toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: m[3] ?? '', key: m[1] ?? '' };
  return undefined;
}

export interface SchedulingFailure {
  total: number;
  insufficient: string[];
  insufficientNodes: number;
  affinityNodes: number;
  taintNodes: number;
  taints: string[];
  systemTaintNodes: number;
  antiAffinityNodes: number;
  unschedulableNodes: number;
  unboundPvc: boolean;
  dominant: string;
}

/** Parses the scheduler's `0/3 nodes are available: 1 Insufficient memory, 2 node(s) had untolerated taint {k: v}. preemption: …`. */
export function parseSchedulingMessage(message: string): SchedulingFailure {
  const out: SchedulingFailure = { total: 0, insufficient: [], insufficientNodes: 0, affinityNodes: 0, taintNodes: 0, taints: [], systemTaintNodes: 0, antiAffinityNodes: 0, unschedulableNodes: 0, unboundPvc: false, dominant: 'other' };
  const head = message.split(/\.\s*preemption:/i)[0] ?? message;
  const total = /(\d+)\/(\d+) nodes are available/.exec(head);
  if (total) out.total = Number(total[2]);
  if (/unbound immediate PersistentVolumeClaims|volume node affinity conflict|unbound PersistentVolumeClaim/i.test(head)) out.unboundPvc = true;
  const body = head.replace(/^.*?nodes are available:\s*/i, '');
  for (const part of body.split(/,\s*(?=\d)/)) {
    const m = /^(\d+)\s+(.*)$/.exec(part.trim());
    if (!m) continue;
    const n = Number(m[1]);
    const what = m[2] ?? '';
    const ins = /Insufficient ([\w./-]+)/i.exec(what);
    if (ins) {
      out.insufficientNodes = Math.max(out.insufficientNodes, n);
      if (!out.insufficient.includes(ins[1] ?? '')) out.insufficient.push(ins[1] ?? '');
    } else if (/didn't match Pod's node affinity|didn't match node selector|node\(s\) didn't match Pod's node affinity\/selector/i.test(what)) out.affinityNodes += n;
    else if (/untolerated taint|had taint/i.test(what)) {
      const t = /\{([^}]{0,200})\}/.exec(what)?.[1] ?? '';
      if (/^node\.kubernetes\.io\/|^node\.cloudprovider\.kubernetes\.io\//.test(t.trim())) out.systemTaintNodes += n;
      else {
        out.taintNodes += n;
        if (t && !out.taints.includes(t)) out.taints.push(t);
      }
    } else if (/anti-affinity|pod affinity/i.test(what)) out.antiAffinityNodes += n;
    else if (/were unschedulable|unschedulable/i.test(what)) out.unschedulableNodes += n;
    else if (/PersistentVolumeClaim|volume/i.test(what)) out.unboundPvc = true;
  }
  const ranked: [string, number][] = [
    ['taint', out.taintNodes],
    ['insufficient', out.insufficientNodes],
    ['affinity', out.affinityNodes],
    ['anti_affinity', out.antiAffinityNodes],
    ['system_taint', out.systemTaintNodes],
    ['unschedulable', out.unschedulableNodes],
  ];
  ranked.sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  out.dominant = out.unboundPvc && (!top || top[1] === 0) ? 'pvc' : top && top[1] > 0 ? top[0] : out.unboundPvc ? 'pvc' : 'other';
  return out;
}

/** Edit distance, bounded: enough to tell a typo (`disktype` for `disk`) from an unrelated key. */
function similar(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length > 3 && b.length > 3 && (a.includes(b) || b.includes(a))) return true;
  if (Math.abs(a.length - b.length) > 3) return false;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return (prev[b.length] as number) <= 2;
}

/** Merges signals about the same thing; `key` decides what "the same" is. */
class Merger {
  readonly #byKey = new Map<string, Signal>();
  readonly #pods = new Map<string, Set<string>>();

  add(key: string, make: () => Signal, pod?: string, update?: (s: Signal) => void): Signal {
    let s = this.#byKey.get(key);
    if (!s) {
      s = make();
      this.#byKey.set(key, s);
    } else update?.(s);
    if (pod !== undefined) {
      let set = this.#pods.get(key);
      if (!set) this.#pods.set(key, (set = new Set()));
      set.add(pod);
      s.fields['pods'] = set.size;
      if (set.size > 1) s.fields['more_pods'] = set.size - 1;
    }
    return s;
  }

  get(key: string): Signal | undefined {
    return this.#byKey.get(key);
  }

  all(): Signal[] {
    return [...this.#byKey.values()];
  }
}

export interface SignalExtraction {
  topology: Topology;
  signals: Signal[];
}

/** Every signal of a snapshot. */
export function extractSignals(snapshot: ClusterSnapshot, topology: Topology = buildTopology(snapshot)): SignalExtraction {
  const topo = topology;
  const at = snapshot.at;
  const m = new Merger();
  const logs = logSignals(topo, snapshot.logs ?? []);
  const lastError = logs.lastError;
  const lastErrorOf = (pod: KubeObject, container: string): ClassifiedRecord | undefined => lastError.get(`${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}/${container}`);

  /** A pod that is gone (evicted and deleted): its workload from its name. */
  const guessWorkload = (namespace: string, podName: string): ResourceRef | undefined => {
    const rsName = podName.replace(/-[a-z0-9]{5}$/, '');
    const deploy = rsName.replace(/-[a-z0-9]{6,10}$/, '');
    if (deploy !== rsName && topo.get('Deployment', namespace, deploy)) return { kind: 'Deployment', name: deploy, namespace };
    const sts = podName.replace(/-\d+$/, '');
    if (sts !== podName && topo.get('StatefulSet', namespace, sts)) return { kind: 'StatefulSet', name: sts, namespace };
    if (rsName !== podName && topo.get('DaemonSet', namespace, rsName)) return { kind: 'DaemonSet', name: rsName, namespace };
    if (rsName !== podName && topo.get('Job', namespace, rsName)) return { kind: 'Job', name: rsName, namespace };
    return undefined;
  };

  const nodeEvicted = new Map<string, { pods: Set<string>; workloads: Map<string, ResourceRef>; resource: string; message: string }>();
  const noteEviction = (node: string, podName: string, workload: ResourceRef | undefined, message: string): void => {
    const resource = /low on resource: ([a-z][\w-]*)/.exec(message)?.[1] ?? 'unknown';
    let e = nodeEvicted.get(`${node}|${resource}`);
    if (!e) nodeEvicted.set(`${node}|${resource}`, (e = { pods: new Set(), workloads: new Map(), resource, message: clip(message, 240) }));
    e.pods.add(podName);
    if (workload) e.workloads.set(refKey(workload), workload);
  };
  const nodeLostPods = new Map<string, Set<string>>();
  /** ProvisioningFailed messages per claim, read when the claims are. */
  const pvcMessages = new Map<string, string>();

  // ---- pods --------------------------------------------------------------------------------------
  for (const pod of topo.list('Pod')) {
    const status = asRecord(pod['status']) ?? {};
    const spec = asRecord(pod['spec']) ?? {};
    const workload = topo.workloadOf(pod);
    const wk = refKey(workload);
    const podRef = podRefOf(pod);
    const node = text(spec['nodeName']);
    const specs = containerSpecs(pod);
    const started = timeOf(status['startTime']) ?? timeOf(pod.metadata.creationTimestamp);
    const baseRefs = (): Signal['refs'] => ({ workload: [workload], pod: [podRef], ...(node ? { node: [{ kind: 'Node', name: node }] } : {}) });
    const phase = text(status['phase']);

    if (text(status['reason']) === 'Evicted') {
      if (node) noteEviction(node, pod.metadata.name, workload, text(status['message']) ?? '');
      continue;
    }

    for (const cs of [...list(status['initContainerStatuses']), ...list(status['containerStatuses'])]) {
      if (!isRecord(cs)) continue;
      const container = text(cs['name']);
      if (!container) continue;
      const cspec = specs.get(container);
      const restarts = num(cs['restartCount']) ?? 0;
      const state = asRecord(cs['state']) ?? {};
      const waiting = asRecord(state['waiting']);
      const reason = text(waiting?.['reason']);
      const limits = asRecord(asRecord(cspec?.['resources'])?.['limits']);
      if (waiting && reason && !BENIGN_WAITING.has(reason)) {
        const message = clip(text(waiting['message']));
        m.add(`waiting|${wk}|${container}|${reason}`, () => ({ name: 'container_waiting', subject: podRef, refs: baseRefs(), fields: { container, reason, message, image: text(cspec?.['image']) ?? text(cs['image']) ?? '', restarts, pod: pod.metadata.name } }), pod.metadata.name, (s) => {
          s.fields['restarts'] = Math.max(Number(s.fields['restarts']), restarts);
        });
        if (IMAGE_REASONS.has(reason)) {
          const image = text(cspec?.['image']) ?? text(cs['image']) ?? '';
          m.add(`image|${wk}|${image}`, () => ({ name: 'image_pull_failed', subject: podRef, refs: baseRefs(), fields: { container, image, detail: 'unknown', reason, message, pod: pod.metadata.name, count: 0 } }), pod.metadata.name);
        }
        if (reason === 'CreateContainerConfigError') {
          const miss = missingConfigOf(message);
          if (miss) addConfigMissing(m, topo, workload, podRef, baseRefs(), miss, message, 0);
        }
        if ((reason === 'RunContainerError' || reason === 'StartError') && /exec|not found|no such file/i.test(message)) {
          addStartFailed(m, workload, podRef, baseRefs(), container, message, undefined);
        }
      }
      const last = asRecord(asRecord(cs['lastState'])?.['terminated']);
      const current = asRecord(state['terminated']);
      const term = current && (num(current['exitCode']) ?? 0) !== 0 ? current : restarts > 0 ? last : current && text(current['reason']) === 'OOMKilled' ? current : undefined;
      if (term) {
        const exitCode = num(term['exitCode']) ?? -1;
        const treason = text(term['reason']) ?? (exitCode === 0 ? 'Completed' : 'Error');
        if (exitCode !== 0 || treason === 'OOMKilled') {
          const finished = timeOf(term['finishedAt']);
          const startedAt = timeOf(term['startedAt']);
          const span = started !== undefined && finished !== undefined && finished > started ? finished - started : undefined;
          const lastErr = lastErrorOf(pod, container);
          const fields: Record<string, FieldValue> = { container, reason: treason, exit_code: exitCode, restarts, pod: pod.metadata.name, state: reason ?? (state['running'] ? 'Running' : state['terminated'] ? 'Terminated' : 'Unknown') };
          if (span !== undefined) fields['span'] = durationText(span);
          if (finished !== undefined) fields['ago'] = durationText(at - finished);
          if (startedAt !== undefined && finished !== undefined && finished >= startedAt && startedAt > 0) fields['ran'] = durationText(finished - startedAt);
          const sig = signalName(exitCode);
          if (sig) fields['signal'] = sig;
          const memLimit = text(limits?.['memory']) ?? (typeof limits?.['memory'] === 'number' ? String(limits['memory']) : undefined);
          if (memLimit) {
            fields['memory_limit'] = memLimit;
            const bytes = bytesOf(memLimit);
            if (bytes) fields['suggested_memory_limit'] = formatBytes(Math.ceil((bytes * 2) / 2 ** 20) * 2 ** 20);
          }
          if (lastErr) {
            fields['last_log'] = lastErr.headline;
            fields['last_log_class'] = lastErr.class;
          }
          const msg = clip(text(term['message']));
          if (msg) fields['message'] = msg;
          m.add(`term|${wk}|${container}|${treason}|${exitCode}`, () => ({ name: 'container_terminated', subject: podRef, refs: baseRefs(), fields, ...(finished !== undefined ? { at: finished } : {}) }), pod.metadata.name, (s) => {
            if (restarts > Number(s.fields['restarts'])) {
              s.fields['restarts'] = restarts;
              if (fields['span']) s.fields['span'] = fields['span'];
            }
            if (!s.fields['last_log'] && lastErr) {
              s.fields['last_log'] = lastErr.headline;
              s.fields['last_log_class'] = lastErr.class;
            }
          });
          if (treason === 'StartError' || exitCode === 127 || (exitCode === 128 && /exec|not found/i.test(msg))) addStartFailed(m, workload, podRef, baseRefs(), container, msg, exitCode);
        }
      }
    }

    // Unschedulable.
    const scheduled = condition(status['conditions'], 'PodScheduled');
    if (phase === 'Pending' && scheduled?.['status'] === 'False' && !pod.metadata.deletionTimestamp) {
      const message = clip(text(scheduled['message']), 600);
      const since = timeOf(scheduled['lastTransitionTime']) ?? timeOf(pod.metadata.creationTimestamp);
      m.add(`unsched|${wk}`, () => schedulingSignal(topo, workload, podRef, pod, message, since !== undefined ? at - since : undefined), pod.metadata.name);
    }

    // Running but not ready, with no restart to explain it.
    const ready = condition(status['conditions'], 'Ready');
    if (phase === 'Running' && ready?.['status'] === 'False' && !pod.metadata.deletionTimestamp) {
      const statuses = list(status['containerStatuses']).filter(isRecord);
      const running = statuses.filter((c) => isRecord(asRecord(c['state'])?.['running']) && c['ready'] !== true);
      const since = timeOf(ready['lastTransitionTime']);
      // A container that restarted lately is not ready because it crashes: that is another signal.
      const restartedLately = statuses.some((c) => (num(c['restartCount']) ?? 0) > 0 && at - (timeOf(asRecord(asRecord(c['lastState'])?.['terminated'])?.['finishedAt']) ?? at) < 15 * 60_000);
      if (running.length && !restartedLately) {
        const c = running[0] as Obj;
        const container = text(c['name']) ?? '';
        const cspec = specs.get(container);
        const rport = probePort(cspec?.['readinessProbe']);
        const ports = declaredPorts(cspec);
        const fields: Record<string, FieldValue> = { container, pod: pod.metadata.name, restarts: num(c['restartCount']) ?? 0 };
        if (since !== undefined) {
          fields['not_ready_s'] = Math.round((at - since) / 1000);
          fields['for'] = durationText(at - since);
        }
        if (rport !== undefined) {
          fields['probe_port'] = rport;
          fields['probe_port_declared'] = typeof rport === 'number' ? ports.numbers.length === 0 || ports.numbers.includes(rport) : ports.names.includes(rport);
        }
        m.add(`notready|${wk}`, () => ({ name: 'pod_not_ready', subject: podRef, refs: baseRefs(), fields }), pod.metadata.name, (s) => {
          if (Number(fields['not_ready_s'] ?? 0) > Number(s.fields['not_ready_s'] ?? 0)) Object.assign(s.fields, { not_ready_s: fields['not_ready_s'] ?? 0, for: fields['for'] ?? '' });
        });
      }
    }
    if (node && (pod.metadata.deletionTimestamp || ready?.['status'] !== 'True') && phase !== 'Succeeded' && phase !== 'Failed') {
      let set = nodeLostPods.get(node);
      if (!set) nodeLostPods.set(node, (set = new Set()));
      set.add(`${podRef.namespace}/${podRef.name}`);
    }
  }

  // ---- events ------------------------------------------------------------------------------------
  for (const ev of topo.list('Event')) {
    // Every reason read below is a Warning; Normal events are most of a cluster's events.
    const type = text(ev['type']) ?? 'Normal';
    if (type !== 'Warning') continue;
    const reason = text(ev['reason']) ?? '';
    const raw = (text(ev['message']) ?? text(ev['note']) ?? '').slice(0, 4096);
    const message = clip(raw);
    const count = num(ev['count']) ?? num(asRecord(ev['series'])?.['count']) ?? 1;
    const involved = asRecord(ev['involvedObject']) ?? asRecord(ev['regarding']) ?? {};
    const kind = text(involved['kind']) ?? '';
    const name = text(involved['name']) ?? '';
    const namespace = text(involved['namespace']) ?? ev.metadata.namespace;
    const last = timeOf(ev['lastTimestamp']) ?? timeOf(ev['eventTime']) ?? timeOf(ev.metadata.creationTimestamp);
    const first = timeOf(ev['firstTimestamp']) ?? last;
    const fieldPath = text(involved['fieldPath']) ?? '';
    const container = /spec\.(?:initContainers|containers)\{([^}]+)\}/.exec(fieldPath)?.[1];
    const host = text(asRecord(ev['source'])?.['host']);
    const obj = kind ? topo.get(kind, kind === 'Node' ? undefined : namespace, name) : undefined;
    let workload: ResourceRef | undefined;
    let podRef: ResourceRef | undefined;
    let node: string | undefined = host;
    if (kind === 'Pod') {
      podRef = { kind: 'Pod', name, namespace: namespace ?? 'default' };
      workload = obj ? topo.workloadOf(obj) : guessWorkload(namespace ?? 'default', name);
      node = text(asRecord(obj?.['spec'])?.['nodeName']) ?? host;
    } else if (obj && ['ReplicaSet', 'Job', 'StatefulSet', 'DaemonSet', 'Deployment', 'CronJob'].includes(kind)) workload = topo.workloadOf(obj);
    else if (!obj && kind === 'ReplicaSet' && namespace) {
      const guess = name.replace(/-[a-z0-9]{6,10}$/, '');
      if (topo.get('Deployment', namespace, guess)) workload = { kind: 'Deployment', name: guess, namespace };
    }
    const refs = (): Signal['refs'] => ({
      ...(workload ? { workload: [workload] } : {}),
      ...(podRef ? { pod: [podRef] } : {}),
      ...(node ? { node: [{ kind: 'Node', name: node }] } : kind === 'Node' ? { node: [{ kind: 'Node', name }] } : {}),
    });
    const subject: ResourceRef = podRef ?? { kind: kind || 'Unknown', name, ...(namespace && kind !== 'Node' ? { namespace } : {}) };
    const wk = workload ? refKey(workload) : refKey(subject);
    const stamp = last !== undefined ? { at: last } : {};
    const lastAgo = last !== undefined ? at - last : undefined;

    if (reason === 'FailedScheduling') {
      const pod = obj;
      const pending = pod && text(asRecord(pod['status'])?.['phase']) === 'Pending';
      if (pending && workload && podRef) {
        const s = m.get(`unsched|${wk}`);
        if (s && (!s.fields['message'] || String(s.fields['message']).length < message.length)) Object.assign(s.fields, schedulingSignal(topo, workload, podRef, pod, message, undefined).fields, { pods: s.fields['pods'] ?? 1, ...(s.fields['pending'] ? { pending: s.fields['pending'], pending_s: s.fields['pending_s'] ?? 0 } : {}) });
      }
      continue;
    }
    if (reason === 'Unhealthy' && podRef && workload) {
      const probe = /^(Liveness|Readiness|Startup) probe/i.exec(message)?.[1]?.toLowerCase() ?? 'unknown';
      const detail = /connection refused/i.test(message) ? 'connection_refused' : /statuscode: (\d+)|status code (\d+)/i.test(message) ? 'http_status' : /timeout|deadline exceeded|timed out/i.test(message) ? 'timeout' : /exec|command/i.test(message) ? 'exec' : 'other';
      const statusCode = /statuscode: (\d+)|status code (\d+)/i.exec(message);
      const portText = /:(\d{2,5})(?:\/|"|\s|$)/.exec(message)?.[1];
      const port = portText ? Number(portText) : undefined;
      const cspec = obj && container ? containerSpecs(obj).get(container) : undefined;
      const ports = declaredPorts(cspec);
      const specPort = probePort(cspec?.[`${probe}Probe`]);
      const restartsOf = (): number => {
        const cs = list(asRecord(obj?.['status'])?.['containerStatuses']).find((c) => isRecord(c) && c['name'] === container);
        return num(asRecord(cs)?.['restartCount']) ?? 0;
      };
      m.add(
        `probe|${wk}|${container ?? ''}|${probe}|${detail}`,
        () => {
          const fields: Record<string, FieldValue> = { probe, detail, message, count, max_count: count, container: container ?? '', pod: name, restarts: restartsOf() };
          if (statusCode) fields['status_code'] = Number(statusCode[1] ?? statusCode[2]);
          const p = port ?? (typeof specPort === 'number' ? specPort : undefined);
          if (p !== undefined) {
            fields['port'] = p;
            if (ports.numbers.length) fields['port_declared'] = ports.numbers.includes(p);
          } else if (typeof specPort === 'string') fields['port_declared'] = ports.names.includes(specPort);
          if (lastAgo !== undefined) fields['last_seen_s'] = Math.round(lastAgo / 1000);
          if (first !== undefined && last !== undefined) fields['over'] = durationText(last - first);
          return { name: 'probe_failed', subject: podRef, refs: refs(), fields, ...stamp };
        },
        name,
        (s) => {
          s.fields['count'] = Number(s.fields['count']) + count;
          s.fields['max_count'] = Math.max(Number(s.fields['max_count']), count);
          s.fields['restarts'] = Math.max(Number(s.fields['restarts']), restartsOf());
          if (lastAgo !== undefined) s.fields['last_seen_s'] = Math.min(Number(s.fields['last_seen_s'] ?? Infinity), Math.round(lastAgo / 1000));
        },
      );
      continue;
    }
    if ((reason === 'Failed' || reason === 'ErrImagePull' || reason === 'InspectFailed') && podRef && workload) {
      const pull = /Failed to pull image "([^"]{1,500})"/i.exec(message);
      if (pull) {
        const image = pull[1] ?? '';
        const detail = /unauthorized|authentication required|failed to authorize|\b401\b|\b403\b|denied|forbidden|no basic auth/i.test(raw) ? 'unauthorized' : /not ?found|manifest unknown|NotFound|does not exist|name unknown/i.test(raw) ? 'not_found' : /timeout|i\/o|connection refused|no such host|dial tcp/i.test(raw) ? 'registry_unreachable' : 'other';
        m.add(`image|${wk}|${image}`, () => ({ name: 'image_pull_failed', subject: podRef, refs: refs(), fields: { container: container ?? '', image, detail, message, reason: 'ErrImagePull', pod: name, count } }), name, (s) => {
          if (s.fields['detail'] === 'unknown' || s.fields['detail'] === 'other') {
            s.fields['detail'] = detail;
            s.fields['message'] = message;
          }
          s.fields['count'] = Number(s.fields['count'] ?? 0) + count;
        });
        continue;
      }
      const miss = missingConfigOf(message);
      if (miss) {
        addConfigMissing(m, topo, workload, podRef, refs(), miss, message, count);
        continue;
      }
      if (/exec: |executable file not found|no such file or directory|failed to create containerd task|OCI runtime/i.test(message)) {
        addStartFailed(m, workload, podRef, refs(), container ?? '', message, undefined);
        continue;
      }
      if (/ErrImagePull|ImagePullBackOff/.test(message)) continue;
    }
    if ((reason === 'FailedMount' || reason === 'FailedAttachVolume' || reason === 'FailedMapVolume') && podRef && workload) {
      const volume = /volume "([^"]{1,253})"/.exec(message)?.[1] ?? '';
      const src = /\b(secret|configmap|persistentvolumeclaim)s? "([^"]{1,253})" not found/i.exec(message);
      const sourceKind = src ? ((src[1] ?? '').toLowerCase() === 'secret' ? 'Secret' : (src[1] ?? '').toLowerCase() === 'configmap' ? 'ConfigMap' : 'PersistentVolumeClaim') : 'other';
      const r = refs();
      if (src) {
        const ref: ResourceRef = { kind: sourceKind, name: src[2] ?? '', namespace: namespace ?? 'default' };
        if (sourceKind === 'Secret') r.secret = [ref];
        else if (sourceKind === 'ConfigMap') r.configmap = [ref];
        else r.pvc = [ref];
      }
      m.add(`mount|${wk}|${volume}`, () => ({ name: 'mount_failed', subject: podRef, refs: r, fields: { reason, volume, source_kind: sourceKind, source: src?.[2] ?? '', message, count, pod: name }, ...stamp }), name, (s) => {
        s.fields['count'] = Number(s.fields['count']) + count;
      });
      continue;
    }
    if (reason === 'FailedCreate' && /exceeded quota/i.test(message)) {
      const q = /exceeded quota: ([^,\s]{1,253})(?:, requested: ([^,]{1,200}(?:,[^,:]{1,100}=[^,]{1,100})*?))?, used: ([^,]{1,200}), limited: ([^,]{1,200}(?:,\s?[\w./-]{1,100}=[^,]{1,100})*)/i.exec(message);
      const quota = q?.[1] ?? /exceeded quota: ([^,\s]{1,253})/i.exec(message)?.[1] ?? '';
      const quotaRef: ResourceRef = { kind: 'ResourceQuota', name: quota, namespace: namespace ?? 'default' };
      m.add(`quota|${wk}|${quota}`, () => ({ name: 'quota_exceeded', subject, refs: { ...refs(), quota: [quotaRef] }, fields: { quota, requested: q?.[2]?.trim() ?? '', used: q?.[3]?.trim() ?? '', limited: q?.[4]?.trim() ?? '', message, count, ...(workload ? { workload: refText(workload) } : {}) }, ...stamp }), undefined, (s) => {
        s.fields['count'] = Number(s.fields['count']) + count;
      });
      continue;
    }
    if (reason === 'Evicted' && podRef) {
      if (node) noteEviction(node, name, workload, message);
      continue;
    }
    if (reason === 'NodeNotReady' && podRef && node) {
      let set = nodeLostPods.get(node);
      if (!set) nodeLostPods.set(node, (set = new Set()));
      set.add(`${podRef.namespace}/${podRef.name}`);
      continue;
    }
    if (reason === 'ProvisioningFailed' && kind === 'PersistentVolumeClaim') {
      pvcMessages.set(`${namespace ?? ''}/${name}`, message);
      continue;
    }
    if (['BackOff', 'Unhealthy', 'Failed', 'FailedScheduling', 'Killing'].includes(reason) && kind === 'Pod') continue;
    m.add(`warn|${wk}|${reason}`, () => ({ name: 'warning_event', subject, refs: refs(), fields: { reason, message, count, kind, object: name, ...(lastAgo !== undefined ? { last_seen_s: Math.round(lastAgo / 1000) } : {}) }, ...stamp }), podRef ? name : undefined, (s) => {
      s.fields['count'] = Number(s.fields['count']) + count;
    });
  }

  // ---- nodes -------------------------------------------------------------------------------------
  for (const node of topo.list('Node')) {
    const nodeRef: ResourceRef = { kind: 'Node', name: node.metadata.name };
    const status = asRecord(node['status']) ?? {};
    let abnormal = false;
    for (const c of list(status['conditions'])) {
      if (!isRecord(c)) continue;
      const type = text(c['type']) ?? '';
      const st = text(c['status']) ?? 'Unknown';
      const bad = type === 'Ready' ? st !== 'True' : st === 'True' && /Pressure$|Unavailable$/.test(type);
      if (!bad) continue;
      abnormal = true;
      const since = timeOf(c['lastTransitionTime']);
      m.add(`node|${node.metadata.name}|${type}`, () => ({
        name: 'node_condition',
        subject: nodeRef,
        refs: { node: [nodeRef] },
        fields: { node: node.metadata.name, condition: type, status: st, reason: text(c['reason']) ?? '', message: clip(text(c['message'])), ...(since !== undefined ? { for: durationText(at - since), since_s: Math.round((at - since) / 1000) } : {}) },
      }));
    }
    const evictions = [...nodeEvicted.entries()].filter(([k]) => k.startsWith(`${node.metadata.name}|`));
    const lost = nodeLostPods.get(node.metadata.name) ?? new Set<string>();
    if (!abnormal && !evictions.length) continue;
    const workloads = new Map<string, ResourceRef>();
    const pinned = new Set<string>();
    const labels = node.metadata.labels ?? {};
    for (const p of topo.podsOnNode(node.metadata.name)) {
      const w = topo.workloadOf(p);
      if (lost.has(`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`) || p.metadata.deletionTimestamp) workloads.set(refKey(w), w);
      const sel = asRecord(asRecord(p['spec'])?.['nodeSelector']);
      if (sel && Object.keys(sel).length) {
        const onlyThis = Object.entries(sel).every(([k, v]) => labels[k] === v) && topo.list('Node').filter((n) => Object.entries(sel).every(([k, v]) => (n.metadata.labels ?? {})[k] === v)).length === 1;
        if (onlyThis) pinned.add(refText(w));
      }
    }
    let evictedPods = 0;
    let evictResource = '';
    for (const [, e] of evictions) {
      evictedPods += e.pods.size;
      evictResource ||= e.resource;
      for (const [k, w] of e.workloads) workloads.set(k, w);
    }
    m.add(`nodepods|${node.metadata.name}`, () => ({
      name: 'node_pods_affected',
      subject: nodeRef,
      refs: { node: [nodeRef], workload: [...workloads.values()] },
      fields: { node: node.metadata.name, pods: lost.size, evicted: evictedPods, ...(evictResource ? { evicted_resource: evictResource } : {}), workloads: [...workloads.values()].map(refText).slice(0, 6).join(', '), workload_count: workloads.size, pinned: pinned.size, ...(pinned.size ? { pinned_workloads: [...pinned].join(', ') } : {}) },
    }));
    for (const [, e] of evictions) {
      m.add(`evicted|${node.metadata.name}|${e.resource}`, () => ({ name: 'pod_evicted', subject: nodeRef, refs: { node: [nodeRef], workload: [...e.workloads.values()] }, fields: { node: node.metadata.name, starved_resource: e.resource, pods: e.pods.size, message: e.message } }));
    }
  }

  // ---- workloads and rollouts --------------------------------------------------------------------
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet']) {
    for (const w of topo.list(kind)) {
      const ref: ResourceRef = { kind, name: w.metadata.name, namespace: w.metadata.namespace ?? 'default' };
      const desired = topo.desiredReplicas(ref);
      const readyN = topo.readyReplicas(ref) ?? 0;
      if (desired === 0 && kind !== 'DaemonSet') {
        const selecting = topo.servicesSelecting(ref);
        m.add(`zero|${refKey(ref)}`, () => ({ name: 'workload_scaled_to_zero', subject: ref, refs: { workload: [ref], service: selecting.map((s) => s.ref) }, fields: { kind, services: selecting.map((s) => s.ref.name).join(', '), service_count: selecting.length } }));
      } else if (desired !== undefined && readyN < desired) {
        m.add(`unavail|${refKey(ref)}`, () => ({ name: 'workload_unavailable', subject: ref, refs: { workload: [ref] }, fields: { kind, desired, ready: readyN, unavailable: desired - readyN } }));
      }
      if (kind === 'Deployment') {
        const r = rolloutSignal(topo, w, ref, lastErrorOf);
        if (r) m.add(`rollout|${refKey(ref)}`, () => r);
      }
    }
  }

  // ---- jobs --------------------------------------------------------------------------------------
  for (const job of topo.list('Job')) {
    const st = asRecord(job['status']) ?? {};
    const failed = list(st['conditions']).find((c) => isRecord(c) && c['type'] === 'Failed' && c['status'] === 'True') as Obj | undefined;
    if (!failed) continue;
    const ref: ResourceRef = { kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace ?? 'default' };
    const fields: Record<string, FieldValue> = { reason: text(failed['reason']) ?? '', message: clip(text(failed['message'])), failed: num(st['failed']) ?? 0, backoff_limit: num(asRecord(job['spec'])?.['backoffLimit']) ?? 6 };
    const owner = job.metadata.ownerReferences?.find((o) => o.kind === 'CronJob');
    if (owner) fields['cronjob'] = owner.name;
    for (const p of topo.podsOf(ref)) {
      for (const cs of list(asRecord(p['status'])?.['containerStatuses'])) {
        if (!isRecord(cs)) continue;
        const t = asRecord(asRecord(cs['state'])?.['terminated']) ?? asRecord(asRecord(cs['lastState'])?.['terminated']);
        if (t && (num(t['exitCode']) ?? 0) !== 0) {
          fields['exit_code'] = num(t['exitCode']) ?? -1;
          fields['container'] = text(cs['name']) ?? '';
        }
        const err = lastErrorOf(p, text(cs['name']) ?? '');
        if (err) {
          fields['last_log'] = err.headline;
          fields['last_log_class'] = err.class;
        }
      }
    }
    m.add(`job|${refKey(ref)}`, () => ({ name: 'job_failed', subject: ref, refs: { workload: [ref] }, fields }));
  }

  // ---- services ----------------------------------------------------------------------------------
  for (const svc of topo.services) {
    if (!svc.selector) continue;
    const sel = Object.entries(svc.selector).map(([k, v]) => `${k}=${v}`).join(',');
    if (svc.backends.length === 0 && svc.pods.length === 0) {
      const near = nearWorkload(topo, svc);
      m.add(`svcsel|${refKey(svc.ref)}`, () => ({ name: 'service_selector_mismatch', subject: svc.ref, refs: { service: [svc.ref], ...(near ? { workload: [near.ref] } : {}) }, fields: { service: svc.ref.name, selector: sel, ...(near ? { near: refText(near.ref), near_labels: near.labels } : {}) } }));
    }
    if (svc.hasEndpoints && svc.ready === 0) {
      const desired = svc.backends.reduce((acc, b) => acc + (topo.desiredReplicas(b) ?? 0), 0);
      m.add(`svcep|${refKey(svc.ref)}`, () => ({ name: 'service_no_endpoints', subject: svc.ref, refs: { service: [svc.ref], workload: [...svc.backends] }, fields: { service: svc.ref.name, selector: sel, backends: svc.backends.map(refText).join(', ') || 'none', backend_count: svc.backends.length, backend_desired: desired, pods_selected: svc.pods.length, not_ready: svc.notReady, is_dns: svc.isDns } }));
    }
    // targetPort: the pods must declare it (by number or name) when they declare ports at all.
    for (const port of svc.ports) {
      const pods = svc.pods.length ? svc.pods : [];
      if (!pods.length) continue;
      const mismatch = pods.every((p) => {
        const all = [...containerSpecs(p).values()].map(declaredPorts);
        const numbers = all.flatMap((x) => x.numbers);
        const names = all.flatMap((x) => x.names);
        if (!numbers.length && !names.length) return false;
        return typeof port.targetPort === 'number' ? !numbers.includes(port.targetPort) : !names.includes(port.targetPort);
      });
      if (mismatch) m.add(`svcport|${refKey(svc.ref)}|${port.port}`, () => ({ name: 'service_port_mismatch', subject: svc.ref, refs: { service: [svc.ref], workload: [...svc.backends] }, fields: { service: svc.ref.name, port: port.port, target_port: port.targetPort, container_ports: [...new Set(pods.flatMap((p) => [...containerSpecs(p).values()].flatMap((c) => declaredPorts(c).numbers)))].join(',') } }));
    }
  }

  // ---- HPAs --------------------------------------------------------------------------------------
  for (const hpa of topo.list('HorizontalPodAutoscaler')) {
    const spec = asRecord(hpa['spec']) ?? {};
    const st = asRecord(hpa['status']) ?? {};
    const max = num(spec['maxReplicas']);
    const current = num(st['currentReplicas']) ?? 0;
    const desiredR = num(st['desiredReplicas']) ?? current;
    if (max === undefined || Math.max(current, desiredR) < max) continue;
    const target = asRecord(spec['scaleTargetRef']);
    const ns = hpa.metadata.namespace ?? 'default';
    const hpaRef: ResourceRef = { kind: 'HorizontalPodAutoscaler', name: hpa.metadata.name, namespace: ns };
    const workload: ResourceRef | undefined = text(target?.['kind']) && text(target?.['name']) ? { kind: text(target?.['kind']) as string, name: text(target?.['name']) as string, namespace: ns } : undefined;
    let utilization: number | undefined;
    let targetUtil: number | undefined;
    for (const cm of list(st['currentMetrics'])) {
      const r = asRecord(asRecord(cm)?.['resource']);
      const u = num(asRecord(r?.['current'])?.['averageUtilization']);
      if (u !== undefined) utilization = Math.max(utilization ?? 0, u);
    }
    for (const mm of list(spec['metrics'])) {
      const t = num(asRecord(asRecord(asRecord(mm)?.['resource'])?.['target'])?.['averageUtilization']);
      if (t !== undefined) targetUtil = t;
    }
    const limited = condition(st['conditions'], 'ScalingLimited');
    const fields: Record<string, FieldValue> = { hpa: hpa.metadata.name, current, max, min: num(spec['minReplicas']) ?? 1, limited: limited?.['status'] === 'True', limited_reason: text(limited?.['reason']) ?? '' };
    if (utilization !== undefined) fields['utilization'] = utilization;
    if (targetUtil !== undefined) fields['target'] = targetUtil;
    if (utilization !== undefined && targetUtil !== undefined) fields['above_target'] = utilization > targetUtil;
    m.add(`hpa|${refKey(hpaRef)}`, () => ({ name: 'hpa_at_max', subject: hpaRef, refs: { hpa: [hpaRef], ...(workload ? { workload: [workload] } : {}) }, fields }));
  }

  // ---- claims ------------------------------------------------------------------------------------
  const classes = topo.list('StorageClass');
  for (const pvc of topo.list('PersistentVolumeClaim')) {
    const phase = text(asRecord(pvc['status'])?.['phase']);
    if (phase !== 'Pending') continue;
    const ns = pvc.metadata.namespace ?? 'default';
    const ref: ResourceRef = { kind: 'PersistentVolumeClaim', name: pvc.metadata.name, namespace: ns };
    const sc = text(asRecord(pvc['spec'])?.['storageClassName']);
    const created = timeOf(pvc.metadata.creationTimestamp);
    const consumers = new Map<string, ResourceRef>();
    for (const p of topo.list('Pod')) {
      if ((p.metadata.namespace ?? 'default') !== ns) continue;
      if (list(asRecord(p['spec'])?.['volumes']).some((v) => asRecord(asRecord(v)?.['persistentVolumeClaim'])?.['claimName'] === pvc.metadata.name)) {
        const w = topo.workloadOf(p);
        consumers.set(refKey(w), w);
      }
    }
    const fields: Record<string, FieldValue> = { pvc: pvc.metadata.name, storage_class: sc ?? '', consumers: [...consumers.values()].map(refText).join(', ') };
    if (sc && classes.length) fields['class_exists'] = classes.some((c) => c.metadata.name === sc);
    const msg = pvcMessages.get(`${ns}/${pvc.metadata.name}`);
    if (msg) fields['message'] = msg;
    if (created !== undefined) {
      fields['pending_s'] = Math.round((at - created) / 1000);
      fields['for'] = durationText(at - created);
    }
    m.add(`pvc|${refKey(ref)}`, () => ({ name: 'pvc_pending', subject: ref, refs: { pvc: [ref], workload: [...consumers.values()] }, fields }));
  }

  // ---- quotas ------------------------------------------------------------------------------------
  for (const q of topo.list('ResourceQuota')) {
    const st = asRecord(q['status']) ?? {};
    const hard = asRecord(st['hard']) ?? asRecord(asRecord(q['spec'])?.['hard']) ?? {};
    const used = asRecord(st['used']) ?? {};
    const ref: ResourceRef = { kind: 'ResourceQuota', name: q.metadata.name, namespace: q.metadata.namespace ?? 'default' };
    for (const [res, h] of Object.entries(hard)) {
      const u = used[res];
      const hv = /cpu/.test(res) ? cpuMillis(h) : bytesOf(h);
      const uv = /cpu/.test(res) ? cpuMillis(u) : bytesOf(u);
      if (!hv || uv < hv) continue;
      m.add(`quotafull|${refKey(ref)}|${res}`, () => ({ name: 'quota_exhausted', subject: ref, refs: { quota: [ref] }, fields: { quota: q.metadata.name, quota_resource: res, used: scalarText(u) ?? '', hard: scalarText(h) ?? '' } }));
    }
  }

  const signals = [...m.all(), ...logs.signals, ...metricSignals(topo, snapshot.metrics ?? [])];
  return { topology: topo, signals };
}

function addConfigMissing(m: Merger, topo: Topology, workload: ResourceRef, podRef: ResourceRef, refs: Signal['refs'], miss: { kind: 'ConfigMap' | 'Secret'; name: string; key?: string }, message: string, count: number): void {
  const ns = podRef.namespace ?? 'default';
  const exists = topo.get(miss.kind, ns, miss.name) !== undefined;
  const similarName = topo.list(miss.kind).find((o) => (o.metadata.namespace ?? 'default') === ns && o.metadata.name !== miss.name && similar(o.metadata.name, miss.name))?.metadata.name;
  const ref: ResourceRef = { kind: miss.kind, name: miss.name, namespace: ns };
  m.add(
    `config|${refKey(workload)}|${miss.kind}|${miss.name}`,
    () => ({
      name: 'config_missing',
      subject: podRef,
      refs: { ...refs, ...(miss.kind === 'Secret' ? { secret: [ref] } : { configmap: [ref] }) },
      fields: { kind: miss.kind, object: miss.name, ...(miss.key ? { key: miss.key } : {}), exists, message, count, pod: podRef.name, ...(similarName ? { similar: similarName } : {}) },
    }),
    podRef.name,
    (s) => {
      s.fields['count'] = Number(s.fields['count']) + count;
    },
  );
}

function addStartFailed(m: Merger, workload: ResourceRef, podRef: ResourceRef, refs: Signal['refs'], container: string, message: string, exitCode: number | undefined): void {
  const command = /exec: "([^"]{1,300})"/.exec(message)?.[1] ?? /exec: (\S{1,300}):/.exec(message)?.[1] ?? '';
  m.add(
    `start|${refKey(workload)}|${container}`,
    () => ({ name: 'container_start_failed', subject: podRef, refs, fields: { container, command, message, pod: podRef.name, ...(exitCode !== undefined ? { exit_code: exitCode } : {}) } }),
    podRef.name,
    (s) => {
      if (!s.fields['command'] && command) s.fields['command'] = command;
      if ((!s.fields['message'] || !/exec/.test(String(s.fields['message']))) && message) s.fields['message'] = message;
      if (exitCode !== undefined && s.fields['exit_code'] === undefined) s.fields['exit_code'] = exitCode;
    },
  );
}

function requestsOf(pod: KubeObject): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of list(asRecord(pod['spec'])?.['containers'])) {
    const req = asRecord(asRecord(asRecord(c)?.['resources'])?.['requests']) ?? asRecord(asRecord(asRecord(c)?.['resources'])?.['limits']);
    cpu += cpuMillis(req?.['cpu']);
    memory += bytesOf(req?.['memory']);
  }
  return { cpu, memory };
}

function schedulingSignal(topo: Topology, workload: ResourceRef, podRef: ResourceRef, pod: KubeObject, message: string, pendingMs: number | undefined): Signal {
  const f = parseSchedulingMessage(message);
  const spec = asRecord(pod['spec']) ?? {};
  const fields: Record<string, FieldValue> = {
    message,
    pod: podRef.name,
    workload: refText(workload),
    total_nodes: f.total,
    dominant: f.dominant,
    insufficient: f.insufficient.join(','),
    insufficient_nodes: f.insufficientNodes,
    affinity_nodes: f.affinityNodes,
    taint_nodes: f.taintNodes,
    taints: f.taints.join('; '),
    system_taint_nodes: f.systemTaintNodes,
    anti_affinity_nodes: f.antiAffinityNodes,
    unbound_pvc: f.unboundPvc,
    ready_replicas: topo.readyReplicas(workload) ?? 0,
    desired_replicas: topo.desiredReplicas(workload) ?? 0,
  };
  if (pendingMs !== undefined) {
    fields['pending_s'] = Math.round(pendingMs / 1000);
    fields['pending'] = durationText(pendingMs);
  }
  const req = requestsOf(pod);
  const nodes = topo.list('Node');
  if (req.cpu || req.memory) {
    fields['requests'] = [req.cpu ? `cpu=${formatCpuCores(req.cpu / 1000)}` : '', req.memory ? `memory=${formatBytes(req.memory)}` : ''].filter(Boolean).join(', ');
    let maxCpu = 0;
    let maxMem = 0;
    for (const n of nodes) {
      const alloc = asRecord(asRecord(n['status'])?.['allocatable']) ?? asRecord(asRecord(n['status'])?.['capacity']);
      maxCpu = Math.max(maxCpu, cpuMillis(alloc?.['cpu']));
      maxMem = Math.max(maxMem, bytesOf(alloc?.['memory']));
    }
    if (maxCpu || maxMem) {
      fields['largest_node'] = `cpu=${formatCpuCores(maxCpu / 1000)}, memory=${formatBytes(maxMem)}`;
      fields['exceeds_every_node'] = (req.cpu > 0 && maxCpu > 0 && req.cpu > maxCpu) || (req.memory > 0 && maxMem > 0 && req.memory > maxMem);
    }
  }
  // The node selector / required affinity, and whether a node label nearly matches it (a typo).
  const selector: string[] = [];
  let near: string | undefined;
  const nodeLabels = nodes.map((n) => n.metadata.labels ?? {});
  const checkTerm = (key: string, values: string[]): void => {
    if (nodeLabels.some((l) => l[key] !== undefined && (values.length === 0 || values.includes(l[key])))) return;
    for (const l of nodeLabels) for (const [k, v] of Object.entries(l)) {
      if ((values.includes(v) && similar(k, key)) || (k === key && values.some((x) => similar(x, v)))) near ??= `${k}=${v}`;
    }
  };
  for (const [k, v] of Object.entries(asRecord(spec['nodeSelector']) ?? {})) {
    if (typeof v !== 'string') continue;
    selector.push(`${k}=${v}`);
    checkTerm(k, [v]);
  }
  const required = asRecord(asRecord(asRecord(spec['affinity'])?.['nodeAffinity'])?.['requiredDuringSchedulingIgnoredDuringExecution']);
  for (const term of list(required?.['nodeSelectorTerms'])) {
    for (const e of list(asRecord(term)?.['matchExpressions'])) {
      if (!isRecord(e)) continue;
      const key = text(e['key']) ?? '';
      const values = list(e['values']).filter((v): v is string => typeof v === 'string');
      selector.push(`${key} ${text(e['operator']) ?? 'In'} (${values.join(',')})`);
      if (e['operator'] === 'In' || e['operator'] === 'Exists') checkTerm(key, values);
    }
  }
  if (selector.length) fields['selector'] = selector.join(', ');
  fields['selector_near_match'] = near !== undefined;
  if (near) fields['near_label'] = near;
  const tolerations = list(spec['tolerations']).filter(isRecord).map((t) => `${text(t['key']) ?? '*'}${text(t['value']) ? `=${text(t['value'])}` : ''}`);
  if (tolerations.length) fields['tolerations'] = tolerations.join(', ');
  const pending: ResourceRef[] = [];
  for (const v of list(spec['volumes'])) {
    const claim = text(asRecord(asRecord(v)?.['persistentVolumeClaim'])?.['claimName']);
    const pvc = claim ? topo.get('PersistentVolumeClaim', podRef.namespace, claim) : undefined;
    if (claim && pvc && text(asRecord(pvc['status'])?.['phase']) === 'Pending') pending.push({ kind: 'PersistentVolumeClaim', name: claim, namespace: podRef.namespace ?? 'default' });
  }
  return { name: 'pod_unschedulable', subject: podRef, refs: { workload: [workload], pod: [podRef], ...(pending.length ? { pvc: pending } : {}) }, fields };
}

function nearWorkload(topo: Topology, svc: { ref: ResourceRef; selector: Record<string, string> | undefined }): { ref: ResourceRef; labels: string } | undefined {
  if (!svc.selector) return undefined;
  const ns = svc.ref.namespace ?? 'default';
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet']) {
    for (const w of topo.list(kind)) {
      if ((w.metadata.namespace ?? 'default') !== ns) continue;
      const ref: ResourceRef = { kind, name: w.metadata.name, namespace: ns };
      const labels = topo.templateLabelsOf(ref);
      const ok = Object.entries(svc.selector).every(([k, v]) => (labels[k] !== undefined && similar(labels[k], v)) || Object.entries(labels).some(([lk, lv]) => lv === v && similar(lk, k)));
      if (ok) return { ref, labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') };
    }
  }
  return undefined;
}

/** The newest ReplicaSet of a Deployment fails while an older one is (or was) healthy. */
function rolloutSignal(topo: Topology, deploy: KubeObject, ref: ResourceRef, lastErrorOf: (pod: KubeObject, container: string) => ClassifiedRecord | undefined): Signal | undefined {
  const ns = ref.namespace ?? 'default';
  const rsets = topo
    .list('ReplicaSet')
    .filter((rs) => (rs.metadata.namespace ?? 'default') === ns && rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === deploy.metadata.name))
    .map((rs) => ({ rs, revision: Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? NaN), created: timeOf(rs.metadata.creationTimestamp) ?? 0 }))
    .sort((a, b) => (Number.isFinite(a.revision) && Number.isFinite(b.revision) ? a.revision - b.revision : a.created - b.created));
  if (rsets.length < 2) return undefined;
  const newest = rsets[rsets.length - 1] as (typeof rsets)[number];
  const older = rsets.slice(0, -1).reverse();
  const prev = older.find((o) => (num(asRecord(o.rs['status'])?.['readyReplicas']) ?? 0) > 0) ?? older[0];
  if (!prev) return undefined;
  const prevReady = num(asRecord(prev.rs['status'])?.['readyReplicas']) ?? 0;
  const progressing = condition(asRecord(deploy['status'])?.['conditions'], 'Progressing');
  const deadline = progressing?.['status'] === 'False' && progressing['reason'] === 'ProgressDeadlineExceeded';
  if (prevReady === 0 && !deadline) return undefined;
  const pods = topo.list('Pod').filter((p) => (p.metadata.namespace ?? 'default') === ns && p.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet' && o.name === newest.rs.metadata.name) && !p.metadata.deletionTimestamp);
  if (!pods.length) return undefined;
  const failures = new Map<string, number>();
  let failureCause = '';
  let example = '';
  let failing = 0;
  for (const p of pods) {
    const st = asRecord(p['status']) ?? {};
    let bad = false;
    for (const cs of list(st['containerStatuses'])) {
      if (!isRecord(cs)) continue;
      const c = text(cs['name']) ?? '';
      const waiting = asRecord(asRecord(cs['state'])?.['waiting']);
      const wr = text(waiting?.['reason']);
      const term = asRecord(asRecord(cs['lastState'])?.['terminated']);
      const restarts = num(cs['restartCount']) ?? 0;
      let desc = '';
      let cause = '';
      if (wr && IMAGE_REASONS.has(wr)) {
        desc = `${wr} (${clip(text(waiting?.['message']), 160)})`;
        cause = 'ImagePullError';
      } else if (wr === 'CreateContainerConfigError') {
        desc = `${wr}: ${clip(text(waiting?.['message']), 160)}`;
        cause = /secret/i.test(text(waiting?.['message']) ?? '') ? 'MissingSecret' : 'MissingConfigMap';
      } else if (restarts > 0 && term) {
        const err = lastErrorOf(p, c);
        const exit = num(term['exitCode']) ?? -1;
        const tr = text(term['reason']) ?? 'Error';
        desc = `${wr ?? 'restarting'}: exit code ${exit} (${tr})${err ? `, last log "${err.headline}"` : ''}`;
        cause = tr === 'OOMKilled' ? 'OOMKilled' : tr === 'StartError' || exit === 127 ? 'CommandNotFound' : err?.class === 'config' ? 'ConfigurationError' : err?.class === 'command_not_found' ? 'CommandNotFound' : err?.class === 'dns' ? 'DNSResolutionFailure' : err?.class === 'dependency_connection' ? 'DependencyUnavailable' : 'ApplicationCrash';
      } else if (wr && !BENIGN_WAITING.has(wr)) {
        desc = wr;
        cause = 'ApplicationCrash';
      }
      if (desc) {
        bad = true;
        failures.set(desc, (failures.get(desc) ?? 0) + 1);
        if (!failureCause) {
          failureCause = cause;
          example = `container ${c} of pod ${p.metadata.name}`;
        }
      }
    }
    if (!bad) {
      const ready = condition(st['conditions'], 'Ready');
      const since = timeOf(ready?.['lastTransitionTime']);
      if (ready?.['status'] === 'False' && since !== undefined && topo.at - since > 120_000 && text(st['phase']) === 'Running') {
        bad = true;
        failures.set('not ready', (failures.get('not ready') ?? 0) + 1);
        failureCause ||= 'ReadinessProbeFailure';
      }
    }
    if (bad) failing++;
  }
  if (failing === 0) return undefined;
  const [topFailure] = [...failures.entries()].sort((a, b) => b[1] - a[1]);
  const changes = templateChanges(prev.rs, newest.rs);
  const fields: Record<string, FieldValue> = {
    new_rs: newest.rs.metadata.name,
    new_revision: Number.isFinite(newest.revision) ? newest.revision : 0,
    old_rs: prev.rs.metadata.name,
    old_revision: Number.isFinite(prev.revision) ? prev.revision : 0,
    old_ready: prevReady,
    new_pods: pods.length,
    new_failing: failing,
    failure: topFailure ? topFailure[0] : '',
    failure_cause: failureCause,
    example,
    progress_deadline_exceeded: deadline,
    changes: changes.join('; '),
  };
  return { name: 'rollout_failing', subject: ref, refs: { workload: [ref] }, fields };
}

function templateChanges(oldRs: KubeObject, newRs: KubeObject): string[] {
  const containers = (rs: KubeObject): Map<string, Obj> => {
    const out = new Map<string, Obj>();
    for (const c of list(asRecord(asRecord(asRecord(rs['spec'])?.['template'])?.['spec'])?.['containers'])) if (isRecord(c) && typeof c['name'] === 'string') out.set(c['name'], c);
    return out;
  };
  const a = containers(oldRs);
  const b = containers(newRs);
  const out: string[] = [];
  for (const [name, nc] of b) {
    const oc = a.get(name);
    if (!oc) continue;
    if (oc['image'] !== nc['image']) out.push(`image ${String(oc['image'])} → ${String(nc['image'])}`);
    const envNames = (c: Obj): string[] => list(c['env']).map((e) => text(asRecord(e)?.['name']) ?? '').filter(Boolean);
    const removed = envNames(oc).filter((e) => !envNames(nc).includes(e));
    const added = envNames(nc).filter((e) => !envNames(oc).includes(e));
    if (removed.length) out.push(`env ${removed.join(', ')} removed`);
    if (added.length) out.push(`env ${added.join(', ')} added`);
    if (JSON.stringify(oc['command'] ?? null) !== JSON.stringify(nc['command'] ?? null) || JSON.stringify(oc['args'] ?? null) !== JSON.stringify(nc['args'] ?? null)) out.push('command changed');
    if (JSON.stringify(oc['resources'] ?? null) !== JSON.stringify(nc['resources'] ?? null)) out.push('resources changed');
  }
  return out;
}
