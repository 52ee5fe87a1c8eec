/**
 * `kubectl describe` for the objects a diagnosis looks at most (pods, deployments, nodes) and a generic
 * form for everything else, followed by the object's events. The layout follows kubectl's describers
 * (k8s.io/kubectl/pkg/describe) closely enough that a person or a model reads it the same way.
 */
import type { KubeObject } from './kube-types.js';
import { DESCRIBE_TABS, eventInterval, eventSource, sortEvents, tabwrite } from './render.js';

type Obj = Record<string, unknown>;

function o(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}
function flat(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's RFC1123Z in UTC, as describe prints times: `Wed, 01 May 2024 10:00:00 +0000`. */
export function rfc1123z(timestamp: unknown): string {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(t)) return '<unknown>';
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** kubectl's PrefixWriter: lines with an indent level (two spaces each) and tab-separated cells. */
class Writer {
  readonly lines: string[] = [];

  line(level: number, ...cells: string[]): void {
    this.lines.push('  '.repeat(level) + cells.map(flat).join('\t'));
  }

  /** `Labels:\ta=b` then `\tc=d` on following lines, or `<none>`. */
  map(level: number, title: string, m: unknown, sep: string): void {
    const entries = Object.entries(o(m)).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) return this.line(level, `${title}:`, '<none>');
    entries.forEach(([k, v], i) => this.line(level, i === 0 ? `${title}:` : '', `${k}${sep}${str(v)}`));
  }

  text(): string {
    return tabwrite(this.lines.join('\n'), DESCRIBE_TABS);
  }
}

function meta(w: Writer, obj: KubeObject, withNamespace: boolean): void {
  w.line(0, 'Name:', obj.metadata.name);
  if (withNamespace) w.line(0, 'Namespace:', obj.metadata.namespace ?? '');
}

function labelsAndAnnotations(w: Writer, obj: KubeObject): void {
  w.map(0, 'Labels', obj.metadata.labels, '=');
  const annotations = Object.fromEntries(Object.entries(obj.metadata.annotations ?? {}).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration'));
  w.map(0, 'Annotations', annotations, ': ');
}

function resourcesBlock(w: Writer, level: number, title: string, list: unknown): void {
  const entries = Object.entries(o(list)).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return;
  w.line(level, `${title}:`);
  for (const [k, v] of entries) w.line(level + 1, `${k}:`, str(v));
}

function stateBlock(w: Writer, level: number, title: string, state: Obj): void {
  const [kind, detailRaw] = Object.entries(state)[0] ?? [];
  if (!kind) return w.line(level, `${title}:`, 'Waiting');
  const detail = o(detailRaw);
  const name = kind.charAt(0).toUpperCase() + kind.slice(1);
  w.line(level, `${title}:`, name);
  if (detail['reason'] !== undefined) w.line(level + 1, 'Reason:', str(detail['reason']));
  if (detail['message'] !== undefined) w.line(level + 1, 'Message:', str(detail['message']));
  if (kind === 'terminated') {
    w.line(level + 1, 'Exit Code:', str(detail['exitCode']));
    if (detail['signal'] !== undefined) w.line(level + 1, 'Signal:', str(detail['signal']));
    w.line(level + 1, 'Started:', rfc1123z(detail['startedAt']));
    w.line(level + 1, 'Finished:', rfc1123z(detail['finishedAt']));
  } else if (kind === 'running') {
    w.line(level + 1, 'Started:', rfc1123z(detail['startedAt']));
  }
}

function portText(ports: unknown): string {
  const list = arr(ports).map(o);
  if (list.length === 0) return '<none>';
  return list.map((p) => `${str(p['containerPort'])}/${str(p['protocol']) || 'TCP'}`).join(', ');
}

function containers(w: Writer, level: number, title: string, specs: unknown, statuses: unknown): void {
  const list = arr(specs).map(o);
  if (list.length === 0) return;
  w.line(level, `${title}:`);
  const byName = new Map(arr(statuses).map(o).map((s) => [str(s['name']), s]));
  for (const c of list) {
    const name = str(c['name']);
    const s = byName.get(name);
    w.line(level + 1, `${name}:`);
    if (s && str(s['containerID'])) w.line(level + 2, 'Container ID:', str(s['containerID']));
    w.line(level + 2, 'Image:', str(c['image']));
    if (s) w.line(level + 2, 'Image ID:', str(s['imageID']));
    w.line(level + 2, 'Port:', portText(c['ports']));
    if (arr(c['command']).length) w.line(level + 2, 'Command:', arr(c['command']).map(str).join(' '));
    if (arr(c['args']).length) w.line(level + 2, 'Args:', arr(c['args']).map(str).join(' '));
    if (s) {
      stateBlock(w, level + 2, 'State', o(s['state']));
      const last = o(s['lastState']);
      if (Object.keys(last).length) stateBlock(w, level + 2, 'Last State', last);
      w.line(level + 2, 'Ready:', s['ready'] === true ? 'True' : 'False');
      w.line(level + 2, 'Restart Count:', str(s['restartCount'] ?? 0));
    }
    const resources = o(c['resources']);
    resourcesBlock(w, level + 2, 'Limits', resources['limits']);
    resourcesBlock(w, level + 2, 'Requests', resources['requests']);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const p = o(c[probe]);
      if (Object.keys(p).length === 0) continue;
      const how = p['httpGet'] ? `http-get ${str(o(p['httpGet'])['path'])} port ${str(o(p['httpGet'])['port'])}` : p['tcpSocket'] ? `tcp-socket :${str(o(p['tcpSocket'])['port'])}` : p['exec'] ? `exec [${arr(o(p['exec'])['command']).map(str).join(' ')}]` : 'unknown';
      const title = probe.charAt(0).toUpperCase() + probe.slice(1, -5);
      w.line(level + 2, `${title}:`, `${how} delay=${str(p['initialDelaySeconds'] ?? 0)}s timeout=${str(p['timeoutSeconds'] ?? 1)}s period=${str(p['periodSeconds'] ?? 10)}s #success=${str(p['successThreshold'] ?? 1)} #failure=${str(p['failureThreshold'] ?? 3)}`);
    }
    const env = arr(c['env']).map(o);
    if (env.length === 0) w.line(level + 2, 'Environment:', '<none>');
    else {
      w.line(level + 2, 'Environment:');
      // Values from secrets are shown as references only, as kubectl does; plain values as written.
      for (const e of env) {
        const from = o(e['valueFrom']);
        const value = e['value'] !== undefined ? str(e['value']) : Object.keys(from).length ? `<set to the key of ${Object.keys(from)[0] ?? 'a source'}>` : '';
        w.line(level + 3, `${str(e['name'])}:`, value);
      }
    }
    const mounts = arr(c['volumeMounts']).map(o);
    if (mounts.length === 0) w.line(level + 2, 'Mounts:', '<none>');
    else {
      w.line(level + 2, 'Mounts:');
      for (const m of mounts) w.line(level + 3, `${str(m['mountPath'])} from ${str(m['name'])} (${m['readOnly'] === true ? 'ro' : 'rw'})`);
    }
  }
}

function conditions(w: Writer, list: unknown, columns: readonly string[]): void {
  const rows = arr(list).map(o);
  if (rows.length === 0) return;
  w.line(0, 'Conditions:');
  w.line(1, ...columns.map((c) => c.replace(/^(.)/, (x) => x.toUpperCase())));
  w.line(1, ...columns.map((c) => '-'.repeat(c.length)));
  for (const r of rows) w.line(1, ...columns.map((c) => (c.endsWith('Time') ? rfc1123z(r[c]) : str(r[c]))));
}

function qosClass(pod: KubeObject): string {
  const explicit = str(o(pod['status'])['qosClass']);
  if (explicit) return explicit;
  const cs = arr(o(pod['spec'])['containers']).map((c) => o(o(c)['resources']));
  if (cs.every((r) => Object.keys(o(r['requests'])).length === 0 && Object.keys(o(r['limits'])).length === 0)) return 'BestEffort';
  const guaranteed = cs.every((r) => {
    const l = o(r['limits']);
    const q = { ...l, ...o(r['requests']) };
    return ['cpu', 'memory'].every((k) => l[k] !== undefined && str(q[k]) === str(l[k]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function describePod(w: Writer, pod: KubeObject): void {
  const spec = o(pod['spec']);
  const status = o(pod['status']);
  meta(w, pod, true);
  w.line(0, 'Priority:', str(spec['priority'] ?? 0));
  w.line(0, 'Service Account:', str(spec['serviceAccountName']) || 'default');
  const node = str(spec['nodeName']);
  w.line(0, 'Node:', node ? `${node}/${str(status['hostIP'])}` : '<none>');
  if (status['startTime']) w.line(0, 'Start Time:', rfc1123z(status['startTime']));
  labelsAndAnnotations(w, pod);
  if (pod.metadata.deletionTimestamp) w.line(0, 'Status:', `Terminating (lasts ${rfc1123z(pod.metadata.deletionTimestamp)})`);
  else w.line(0, 'Status:', str(status['phase']) || 'Unknown');
  if (status['reason']) w.line(0, 'Reason:', str(status['reason']));
  if (status['message']) w.line(0, 'Message:', str(status['message']));
  w.line(0, 'IP:', str(status['podIP']));
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
  if (owner) w.line(0, 'Controlled By:', `${owner.kind}/${owner.name}`);
  containers(w, 0, 'Init Containers', spec['initContainers'], status['initContainerStatuses']);
  containers(w, 0, 'Containers', spec['containers'], status['containerStatuses']);
  conditions(w, status['conditions'], ['type', 'status']);
  w.line(0, 'QoS Class:', qosClass(pod));
  w.map(0, 'Node-Selectors', spec['nodeSelector'], '=');
  const tolerations = arr(spec['tolerations']).map(o);
  if (tolerations.length === 0) w.line(0, 'Tolerations:', '<none>');
  tolerations.forEach((t, i) => {
    const text = `${str(t['key'])}${t['value'] !== undefined ? `=${str(t['value'])}` : ''}${t['effect'] ? `:${str(t['effect'])}` : ''} op=${str(t['operator']) || 'Equal'}${t['tolerationSeconds'] !== undefined ? ` for ${str(t['tolerationSeconds'])}s` : ''}`;
    w.line(0, i === 0 ? 'Tolerations:' : '', text);
  });
}

function selectorText(selector: unknown): string {
  const s = o(selector);
  const parts = Object.entries(o(s['matchLabels'])).map(([k, v]) => `${k}=${str(v)}`);
  for (const e of arr(s['matchExpressions']).map(o)) parts.push(`${str(e['key'])} ${str(e['operator']).toLowerCase()} (${arr(e['values']).map(str).join(',')})`);
  return parts.join(',') || '<none>';
}

function replicaSetLine(rs: KubeObject): string {
  return `${rs.metadata.name} (${str(o(rs['status'])['replicas'] ?? 0)}/${str(o(rs['spec'])['replicas'] ?? 0)} replicas created)`;
}

function templateMatches(rs: KubeObject, deployment: KubeObject): boolean {
  const strip = (t: unknown): string => {
    const tpl = o(t);
    const labels = { ...o(o(tpl['metadata'])['labels']) };
    delete labels['pod-template-hash'];
    return JSON.stringify({ labels, spec: o(tpl['spec']) });
  };
  return strip(o(rs['spec'])['template']) === strip(o(deployment['spec'])['template']);
}

function describeDeployment(w: Writer, d: KubeObject, replicaSets: readonly KubeObject[]): void {
  const spec = o(d['spec']);
  const status = o(d['status']);
  meta(w, d, true);
  w.line(0, 'CreationTimestamp:', rfc1123z(d.metadata.creationTimestamp));
  labelsAndAnnotations(w, d);
  w.line(0, 'Selector:', selectorText(spec['selector']));
  const n = (v: unknown) => str(v ?? 0);
  w.line(0, 'Replicas:', `${n(spec['replicas'] ?? 1)} desired | ${n(status['updatedReplicas'])} updated | ${n(status['replicas'])} total | ${n(status['availableReplicas'])} available | ${n(status['unavailableReplicas'])} unavailable`);
  const strategy = o(spec['strategy']);
  const type = str(strategy['type']) || 'RollingUpdate';
  w.line(0, 'StrategyType:', type);
  w.line(0, 'MinReadySeconds:', n(spec['minReadySeconds']));
  if (type === 'RollingUpdate') {
    const ru = o(strategy['rollingUpdate']);
    w.line(0, 'RollingUpdateStrategy:', `${str(ru['maxUnavailable'] ?? '25%')} max unavailable, ${str(ru['maxSurge'] ?? '25%')} max surge`);
  }
  if (spec['paused'] === true) w.line(0, 'Paused:', 'true');
  const template = o(spec['template']);
  w.line(0, 'Pod Template:');
  w.map(1, 'Labels', o(template['metadata'])['labels'], '=');
  containers(w, 1, 'Containers', o(template['spec'])['containers'], undefined);
  conditions(w, status['conditions'], ['type', 'status', 'reason']);
  const owned = replicaSets.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid));
  const revision = (x: KubeObject) => Number(x.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  const newest = owned.filter((rs) => templateMatches(rs, d)).sort((a, b) => revision(b) - revision(a))[0];
  const old = owned.filter((rs) => rs !== newest && Number(o(rs['spec'])['replicas'] ?? 0) > 0);
  w.line(0, 'OldReplicaSets:', old.length ? old.map(replicaSetLine).join(', ') : '<none>');
  w.line(0, 'NewReplicaSet:', newest ? replicaSetLine(newest) : '<none>');
}

function describeNode(w: Writer, node: KubeObject): void {
  const spec = o(node['spec']);
  const status = o(node['status']);
  w.line(0, 'Name:', node.metadata.name);
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  w.line(0, 'Roles:', roles.join(',') || '<none>');
  labelsAndAnnotations(w, node);
  w.line(0, 'CreationTimestamp:', rfc1123z(node.metadata.creationTimestamp));
  const taints = arr(spec['taints']).map(o);
  if (taints.length === 0) w.line(0, 'Taints:', '<none>');
  taints.forEach((t, i) => w.line(0, i === 0 ? 'Taints:' : '', `${str(t['key'])}${t['value'] ? `=${str(t['value'])}` : ''}:${str(t['effect'])}`));
  w.line(0, 'Unschedulable:', spec['unschedulable'] === true ? 'true' : 'false');
  conditions(w, status['conditions'], ['type', 'status', 'lastHeartbeatTime', 'lastTransitionTime', 'reason', 'message']);
  const addresses = arr(status['addresses']).map(o);
  if (addresses.length) {
    w.line(0, 'Addresses:');
    for (const a of addresses) w.line(1, `${str(a['type'])}:`, str(a['address']));
  }
  resourcesBlock(w, 0, 'Capacity', status['capacity']);
  resourcesBlock(w, 0, 'Allocatable', status['allocatable']);
  const info = o(status['nodeInfo']);
  if (Object.keys(info).length) {
    w.line(0, 'System Info:');
    const fields: [string, string][] = [
      ['Kernel Version', 'kernelVersion'],
      ['OS Image', 'osImage'],
      ['Operating System', 'operatingSystem'],
      ['Architecture', 'architecture'],
      ['Container Runtime Version', 'containerRuntimeVersion'],
      ['Kubelet Version', 'kubeletVersion'],
    ];
    for (const [title, key] of fields) if (info[key] !== undefined) w.line(1, `${title}:`, str(info[key]));
  }
}

/** A YAML-like dump of a value under `level`, for kinds without a dedicated describer. */
function dump(w: Writer, level: number, value: unknown, depth = 0): void {
  if (depth > 8) return w.line(level, '...');
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === 'object' && item !== null) {
        w.line(level, `[${i}]:`);
        dump(w, level + 1, item, depth + 1);
      } else w.line(level, `[${i}]:`, str(item));
    });
    return;
  }
  for (const [k, v] of Object.entries(o(value))) {
    if (typeof v === 'object' && v !== null) {
      if ((Array.isArray(v) && v.length === 0) || (!Array.isArray(v) && Object.keys(v).length === 0)) {
        w.line(level, `${k}:`, '<none>');
        continue;
      }
      w.line(level, `${k}:`);
      dump(w, level + 1, v, depth + 1);
    } else w.line(level, `${k}:`, str(v));
  }
}

function describeGeneric(w: Writer, obj: KubeObject): void {
  meta(w, obj, obj.metadata.namespace !== undefined);
  labelsAndAnnotations(w, obj);
  w.line(0, 'API Version:', obj.apiVersion);
  w.line(0, 'Kind:', obj.kind);
  w.line(0, 'CreationTimestamp:', rfc1123z(obj.metadata.creationTimestamp));
  const owner = obj.metadata.ownerReferences?.find((r) => r.controller);
  if (owner) w.line(0, 'Controlled By:', `${owner.kind}/${owner.name}`);
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const title = key.charAt(0).toUpperCase() + key.slice(1);
    const v = obj[key];
    if (typeof v === 'object' && v !== null) {
      w.line(0, `${title}:`);
      dump(w, 1, v);
    } else w.line(0, `${title}:`, str(v));
  }
}

/** The `Events:` section: `<none>`, or a table of Type/Reason/Age/From/Message, oldest first. */
function events(w: Writer, list: readonly KubeObject[], now: number): void {
  if (list.length === 0) return w.line(0, 'Events:', '<none>');
  w.line(0, 'Events:');
  w.line(1, 'Type', 'Reason', 'Age', 'From', 'Message');
  w.line(1, '----', '------', '----', '----', '-------');
  for (const e of sortEvents(list)) w.line(1, str(e['type']), str(e['reason']), eventInterval(e, now), eventSource(e), (str(e['message']) || str(e['note'])).trim());
}

export interface DescribeContext {
  /** The object's events (any order). */
  events: readonly KubeObject[];
  /** For a Deployment: the ReplicaSets in its namespace, to name the old and new ones. */
  replicaSets?: readonly KubeObject[];
  now: number;
}

/** `kubectl describe` text for an object and its events. */
export function describeObject(obj: KubeObject, context: DescribeContext): string {
  const w = new Writer();
  switch (obj.kind) {
    case 'Pod':
      describePod(w, obj);
      break;
    case 'Deployment':
      describeDeployment(w, obj, context.replicaSets ?? []);
      break;
    case 'Node':
      describeNode(w, obj);
      break;
    default:
      describeGeneric(w, obj);
  }
  events(w, context.events, context.now);
  return `${w.text()}\n`;
}
