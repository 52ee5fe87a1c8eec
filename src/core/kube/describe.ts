/**
 * `kubectl describe` for the objects a diagnosis looks at most (pods, deployments, nodes) and a generic
 * form for everything else, followed by the object's events. The layout follows kubectl's describers
 * (k8s.io/kubectl/pkg/describe) closely enough that a person or a model reads it the same way.
 */
import type { KubeObject } from './kube-types.js';
import { list, record, scalarText } from './read.js';
import { DESCRIBE_TABS, eventInterval, eventSource, sortEvents, tabwrite } from './render.js';

type Obj = Record<string, unknown>;

/** What describe prints for a field: a string, number or boolean as text, '' for anything else. */
function shown(v: unknown): string {
  return scalarText(v) ?? '';
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
    const entries = Object.entries(record(m)).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) return this.line(level, `${title}:`, '<none>');
    entries.forEach(([k, v], i) => this.line(level, i === 0 ? `${title}:` : '', `${k}${sep}${shown(v)}`));
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

function resourcesBlock(w: Writer, level: number, title: string, quantities: unknown): void {
  const entries = Object.entries(record(quantities)).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return;
  w.line(level, `${title}:`);
  for (const [k, v] of entries) w.line(level + 1, `${k}:`, shown(v));
}

function stateBlock(w: Writer, level: number, title: string, state: Readonly<Obj>): void {
  const [kind, detailRaw] = Object.entries(state)[0] ?? [];
  if (!kind) return w.line(level, `${title}:`, 'Waiting');
  const detail = record(detailRaw);
  const name = kind.charAt(0).toUpperCase() + kind.slice(1);
  w.line(level, `${title}:`, name);
  if (detail['reason'] !== undefined) w.line(level + 1, 'Reason:', shown(detail['reason']));
  if (detail['message'] !== undefined) w.line(level + 1, 'Message:', shown(detail['message']));
  if (kind === 'terminated') {
    w.line(level + 1, 'Exit Code:', shown(detail['exitCode']));
    if (detail['signal'] !== undefined) w.line(level + 1, 'Signal:', shown(detail['signal']));
    w.line(level + 1, 'Started:', rfc1123z(detail['startedAt']));
    w.line(level + 1, 'Finished:', rfc1123z(detail['finishedAt']));
  } else if (kind === 'running') {
    w.line(level + 1, 'Started:', rfc1123z(detail['startedAt']));
  }
}

function portText(ports: unknown): string {
  const items = list(ports).map(record);
  if (items.length === 0) return '<none>';
  return items.map((p) => `${shown(p['containerPort'])}/${shown(p['protocol']) || 'TCP'}`).join(', ');
}

function containers(w: Writer, level: number, title: string, specs: unknown, statuses: unknown): void {
  const items = list(specs).map(record);
  if (items.length === 0) return;
  w.line(level, `${title}:`);
  const byName = new Map(list(statuses).map(record).map((s) => [shown(s['name']), s]));
  for (const c of items) {
    const name = shown(c['name']);
    const s = byName.get(name);
    w.line(level + 1, `${name}:`);
    if (s && shown(s['containerID'])) w.line(level + 2, 'Container ID:', shown(s['containerID']));
    w.line(level + 2, 'Image:', shown(c['image']));
    if (s) w.line(level + 2, 'Image ID:', shown(s['imageID']));
    w.line(level + 2, 'Port:', portText(c['ports']));
    if (list(c['command']).length) w.line(level + 2, 'Command:', list(c['command']).map(shown).join(' '));
    if (list(c['args']).length) w.line(level + 2, 'Args:', list(c['args']).map(shown).join(' '));
    if (s) {
      stateBlock(w, level + 2, 'State', record(s['state']));
      const last = record(s['lastState']);
      if (Object.keys(last).length) stateBlock(w, level + 2, 'Last State', last);
      w.line(level + 2, 'Ready:', s['ready'] === true ? 'True' : 'False');
      w.line(level + 2, 'Restart Count:', shown(s['restartCount'] ?? 0));
    }
    const resources = record(c['resources']);
    resourcesBlock(w, level + 2, 'Limits', resources['limits']);
    resourcesBlock(w, level + 2, 'Requests', resources['requests']);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const p = record(c[probe]);
      if (Object.keys(p).length === 0) continue;
      const how = p['httpGet'] ? `http-get ${shown(record(p['httpGet'])['path'])} port ${shown(record(p['httpGet'])['port'])}` : p['tcpSocket'] ? `tcp-socket :${shown(record(p['tcpSocket'])['port'])}` : p['exec'] ? `exec [${list(record(p['exec'])['command']).map(shown).join(' ')}]` : 'unknown';
      const title = probe.charAt(0).toUpperCase() + probe.slice(1, -5);
      w.line(level + 2, `${title}:`, `${how} delay=${shown(p['initialDelaySeconds'] ?? 0)}s timeout=${shown(p['timeoutSeconds'] ?? 1)}s period=${shown(p['periodSeconds'] ?? 10)}s #success=${shown(p['successThreshold'] ?? 1)} #failure=${shown(p['failureThreshold'] ?? 3)}`);
    }
    const env = list(c['env']).map(record);
    if (env.length === 0) w.line(level + 2, 'Environment:', '<none>');
    else {
      w.line(level + 2, 'Environment:');
      // Values from secrets are shown as references only, as kubectl does; plain values as written.
      for (const e of env) {
        const from = record(e['valueFrom']);
        const value = e['value'] !== undefined ? shown(e['value']) : Object.keys(from).length ? `<set to the key of ${Object.keys(from)[0] ?? 'a source'}>` : '';
        w.line(level + 3, `${shown(e['name'])}:`, value);
      }
    }
    const mounts = list(c['volumeMounts']).map(record);
    if (mounts.length === 0) w.line(level + 2, 'Mounts:', '<none>');
    else {
      w.line(level + 2, 'Mounts:');
      for (const m of mounts) w.line(level + 3, `${shown(m['mountPath'])} from ${shown(m['name'])} (${m['readOnly'] === true ? 'ro' : 'rw'})`);
    }
  }
}

function conditions(w: Writer, raw: unknown, columns: readonly string[]): void {
  const rows = list(raw).map(record);
  if (rows.length === 0) return;
  w.line(0, 'Conditions:');
  w.line(1, ...columns.map((c) => c.replace(/^(.)/, (x) => x.toUpperCase())));
  w.line(1, ...columns.map((c) => '-'.repeat(c.length)));
  for (const r of rows) w.line(1, ...columns.map((c) => (c.endsWith('Time') ? rfc1123z(r[c]) : shown(r[c]))));
}

function qosClass(pod: KubeObject): string {
  const explicit = shown(record(pod['status'])['qosClass']);
  if (explicit) return explicit;
  const cs = list(record(pod['spec'])['containers']).map((c) => record(record(c)['resources']));
  if (cs.every((r) => Object.keys(record(r['requests'])).length === 0 && Object.keys(record(r['limits'])).length === 0)) return 'BestEffort';
  const guaranteed = cs.every((r) => {
    const l = record(r['limits']);
    const q = { ...l, ...record(r['requests']) };
    return ['cpu', 'memory'].every((k) => l[k] !== undefined && shown(q[k]) === shown(l[k]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function describePod(w: Writer, pod: KubeObject): void {
  const spec = record(pod['spec']);
  const status = record(pod['status']);
  meta(w, pod, true);
  w.line(0, 'Priority:', shown(spec['priority'] ?? 0));
  w.line(0, 'Service Account:', shown(spec['serviceAccountName']) || 'default');
  const node = shown(spec['nodeName']);
  w.line(0, 'Node:', node ? `${node}/${shown(status['hostIP'])}` : '<none>');
  if (status['startTime']) w.line(0, 'Start Time:', rfc1123z(status['startTime']));
  labelsAndAnnotations(w, pod);
  if (pod.metadata.deletionTimestamp) w.line(0, 'Status:', `Terminating (lasts ${rfc1123z(pod.metadata.deletionTimestamp)})`);
  else w.line(0, 'Status:', shown(status['phase']) || 'Unknown');
  if (status['reason']) w.line(0, 'Reason:', shown(status['reason']));
  if (status['message']) w.line(0, 'Message:', shown(status['message']));
  w.line(0, 'IP:', shown(status['podIP']));
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
  if (owner) w.line(0, 'Controlled By:', `${owner.kind}/${owner.name}`);
  containers(w, 0, 'Init Containers', spec['initContainers'], status['initContainerStatuses']);
  containers(w, 0, 'Containers', spec['containers'], status['containerStatuses']);
  conditions(w, status['conditions'], ['type', 'status']);
  w.line(0, 'QoS Class:', qosClass(pod));
  w.map(0, 'Node-Selectors', spec['nodeSelector'], '=');
  const tolerations = list(spec['tolerations']).map(record);
  if (tolerations.length === 0) w.line(0, 'Tolerations:', '<none>');
  tolerations.forEach((t, i) => {
    const text = `${shown(t['key'])}${t['value'] !== undefined ? `=${shown(t['value'])}` : ''}${t['effect'] ? `:${shown(t['effect'])}` : ''} op=${shown(t['operator']) || 'Equal'}${t['tolerationSeconds'] !== undefined ? ` for ${shown(t['tolerationSeconds'])}s` : ''}`;
    w.line(0, i === 0 ? 'Tolerations:' : '', text);
  });
}

function selectorText(selector: unknown): string {
  const s = record(selector);
  const parts = Object.entries(record(s['matchLabels'])).map(([k, v]) => `${k}=${shown(v)}`);
  for (const e of list(s['matchExpressions']).map(record)) parts.push(`${shown(e['key'])} ${shown(e['operator']).toLowerCase()} (${list(e['values']).map(shown).join(',')})`);
  return parts.join(',') || '<none>';
}

function replicaSetLine(rs: KubeObject): string {
  return `${rs.metadata.name} (${shown(record(rs['status'])['replicas'] ?? 0)}/${shown(record(rs['spec'])['replicas'] ?? 0)} replicas created)`;
}

function templateMatches(rs: KubeObject, deployment: KubeObject): boolean {
  const strip = (t: unknown): string => {
    const tpl = record(t);
    const labels = { ...record(record(tpl['metadata'])['labels']) };
    delete labels['pod-template-hash'];
    return JSON.stringify({ labels, spec: record(tpl['spec']) });
  };
  return strip(record(rs['spec'])['template']) === strip(record(deployment['spec'])['template']);
}

function describeDeployment(w: Writer, d: KubeObject, replicaSets: readonly KubeObject[]): void {
  const spec = record(d['spec']);
  const status = record(d['status']);
  meta(w, d, true);
  w.line(0, 'CreationTimestamp:', rfc1123z(d.metadata.creationTimestamp));
  labelsAndAnnotations(w, d);
  w.line(0, 'Selector:', selectorText(spec['selector']));
  const n = (v: unknown) => shown(v ?? 0);
  w.line(0, 'Replicas:', `${n(spec['replicas'] ?? 1)} desired | ${n(status['updatedReplicas'])} updated | ${n(status['replicas'])} total | ${n(status['availableReplicas'])} available | ${n(status['unavailableReplicas'])} unavailable`);
  const strategy = record(spec['strategy']);
  const type = shown(strategy['type']) || 'RollingUpdate';
  w.line(0, 'StrategyType:', type);
  w.line(0, 'MinReadySeconds:', n(spec['minReadySeconds']));
  if (type === 'RollingUpdate') {
    const ru = record(strategy['rollingUpdate']);
    w.line(0, 'RollingUpdateStrategy:', `${shown(ru['maxUnavailable'] ?? '25%')} max unavailable, ${shown(ru['maxSurge'] ?? '25%')} max surge`);
  }
  if (spec['paused'] === true) w.line(0, 'Paused:', 'true');
  const template = record(spec['template']);
  w.line(0, 'Pod Template:');
  w.map(1, 'Labels', record(template['metadata'])['labels'], '=');
  containers(w, 1, 'Containers', record(template['spec'])['containers'], undefined);
  conditions(w, status['conditions'], ['type', 'status', 'reason']);
  const owned = replicaSets.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid));
  const revision = (x: KubeObject) => Number(x.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  const newest = owned.filter((rs) => templateMatches(rs, d)).sort((a, b) => revision(b) - revision(a))[0];
  const old = owned.filter((rs) => rs !== newest && Number(record(rs['spec'])['replicas'] ?? 0) > 0);
  w.line(0, 'OldReplicaSets:', old.length ? old.map(replicaSetLine).join(', ') : '<none>');
  w.line(0, 'NewReplicaSet:', newest ? replicaSetLine(newest) : '<none>');
}

function describeNode(w: Writer, node: KubeObject): void {
  const spec = record(node['spec']);
  const status = record(node['status']);
  w.line(0, 'Name:', node.metadata.name);
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  w.line(0, 'Roles:', roles.join(',') || '<none>');
  labelsAndAnnotations(w, node);
  w.line(0, 'CreationTimestamp:', rfc1123z(node.metadata.creationTimestamp));
  const taints = list(spec['taints']).map(record);
  if (taints.length === 0) w.line(0, 'Taints:', '<none>');
  taints.forEach((t, i) => w.line(0, i === 0 ? 'Taints:' : '', `${shown(t['key'])}${t['value'] ? `=${shown(t['value'])}` : ''}:${shown(t['effect'])}`));
  w.line(0, 'Unschedulable:', spec['unschedulable'] === true ? 'true' : 'false');
  conditions(w, status['conditions'], ['type', 'status', 'lastHeartbeatTime', 'lastTransitionTime', 'reason', 'message']);
  const addresses = list(status['addresses']).map(record);
  if (addresses.length) {
    w.line(0, 'Addresses:');
    for (const a of addresses) w.line(1, `${shown(a['type'])}:`, shown(a['address']));
  }
  resourcesBlock(w, 0, 'Capacity', status['capacity']);
  resourcesBlock(w, 0, 'Allocatable', status['allocatable']);
  const info = record(status['nodeInfo']);
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
    for (const [title, key] of fields) if (info[key] !== undefined) w.line(1, `${title}:`, shown(info[key]));
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
      } else w.line(level, `[${i}]:`, shown(item));
    });
    return;
  }
  for (const [k, v] of Object.entries(record(value))) {
    if (typeof v === 'object' && v !== null) {
      if ((Array.isArray(v) && v.length === 0) || (!Array.isArray(v) && Object.keys(v).length === 0)) {
        w.line(level, `${k}:`, '<none>');
        continue;
      }
      w.line(level, `${k}:`);
      dump(w, level + 1, v, depth + 1);
    } else w.line(level, `${k}:`, shown(v));
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
    } else w.line(0, `${title}:`, shown(v));
  }
}

/** The `Events:` section: `<none>`, or a table of Type/Reason/Age/From/Message, oldest first. */
function events(w: Writer, list: readonly KubeObject[], now: number): void {
  if (list.length === 0) return w.line(0, 'Events:', '<none>');
  w.line(0, 'Events:');
  w.line(1, 'Type', 'Reason', 'Age', 'From', 'Message');
  w.line(1, '----', '------', '----', '----', '-------');
  for (const e of sortEvents(list)) w.line(1, shown(e['type']), shown(e['reason']), eventInterval(e, now), eventSource(e), (shown(e['message']) || shown(e['note'])).trim());
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
