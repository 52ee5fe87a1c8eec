/**
 * Server-side printing: the `meta.k8s.io` Table kubectl asks for (`Accept: ...;as=Table;g=meta.k8s.io`),
 * with the columns and cell wording of the real API server's printers (pkg/printers/internalversion),
 * so `kubectl get` looks the same against the simulator as against a cluster.
 */
import { humanDuration, since } from '../../core/kube/render.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import type { ResourceType } from '../resources.js';

type Obj = Record<string, unknown>;
type Cell = string | number | boolean;

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface Printer {
  columns: [name: string, type?: string, priority?: number][];
  cells: (o: KubeObject, now: number) => Cell[];
}

function o(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
function scalar(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v ?? '');
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Go's `duration.HumanDuration` (one implementation, in core, shared with the agent's renderers). */
export { humanDuration };

function age(obj: KubeObject, now: number): string {
  return since(obj.metadata.creationTimestamp, now);
}

function none(s: string): string {
  return s === '' ? '<none>' : s;
}

function selectorText(sel: unknown): string {
  const s = o(sel);
  const parts = Object.entries(o(s['matchLabels'])).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of arr(s['matchExpressions'])) {
    const x = o(e);
    const op = str(x['operator']).toLowerCase();
    const values = arr(x['values']).map(String).join(',');
    if (op === 'in' || op === 'notin') parts.push(`${str(x['key'])} ${op} (${values})`);
    else if (op === 'exists') parts.push(str(x['key']));
    else if (op === 'doesnotexist') parts.push(`!${str(x['key'])}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function mapText(m: unknown): string {
  const entries = Object.entries(o(m));
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
}

function templateContainers(spec: Obj): { names: string; images: string } {
  const containers = arr(o(o(spec['template'])['spec'])['containers']).map(o);
  return { names: containers.map((c) => str(c['name'])).join(','), images: containers.map((c) => str(c['image'])).join(',') };
}

/**
 * What kubectl prints in the STATUS column of a pod (printPod in kubectl/pkg/printers): the phase,
 * overridden by the pod's reason, by init container progress, then by the first container (from the
 * last) that is waiting or terminated with a reason; `Terminating` once a deletion is under way.
 */
export function podStatusReason(pod: KubeObject): { reason: string; ready: number; total: number; restarts: number; lastRestart: number | undefined } {
  const spec = o(pod['spec']);
  const status = o(pod['status']);
  let reason = str(status['phase']) || 'Pending';
  if (str(status['reason'])) reason = str(status['reason']);
  const conditions = arr(status['conditions']).map(o);
  const scheduled = conditions.find((c) => c['type'] === 'PodScheduled');
  if (scheduled && scheduled['status'] === 'False' && scheduled['reason'] === 'SchedulingGated') reason = 'SchedulingGated';
  const total = arr(spec['containers']).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  const noteRestart = (cs: Obj) => {
    const finished = Date.parse(str(o(o(cs['lastState'])['terminated'])['finishedAt']));
    if (!Number.isNaN(finished) && (lastRestart === undefined || finished > lastRestart)) lastRestart = finished;
  };
  let initializing = false;
  const initStatuses = arr(status['initContainerStatuses']).map(o);
  const initSpecs = arr(spec['initContainers']);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] as Obj;
    restarts += num(cs['restartCount']);
    noteRestart(cs);
    const state = o(cs['state']);
    const term = state['terminated'] ? o(state['terminated']) : undefined;
    const waiting = state['waiting'] ? o(state['waiting']) : undefined;
    if (term && num(term['exitCode']) === 0) continue;
    if (term) {
      reason = str(term['reason']) ? `Init:${str(term['reason'])}` : num(term['signal']) ? `Init:Signal:${num(term['signal'])}` : `Init:ExitCode:${num(term['exitCode'])}`;
    } else if (waiting && str(waiting['reason']) && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${str(waiting['reason'])}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const statuses = arr(status['containerStatuses']).map(o);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] as Obj;
      restarts += num(cs['restartCount']);
      noteRestart(cs);
      const state = o(cs['state']);
      const waiting = state['waiting'] ? o(state['waiting']) : undefined;
      const term = state['terminated'] ? o(state['terminated']) : undefined;
      if (waiting && str(waiting['reason'])) reason = str(waiting['reason']);
      else if (term && str(term['reason'])) reason = str(term['reason']);
      else if (term) reason = num(term['signal']) ? `Signal:${num(term['signal'])}` : `ExitCode:${num(term['exitCode'])}`;
      else if (cs['ready'] === true && state['running']) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp && status['reason'] === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return { reason, ready, total, restarts, lastRestart };
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [['Name'], ['Ready'], ['Status'], ['Restarts'], ['Age'], ['IP', 'string', 1], ['Node', 'string', 1], ['Nominated Node', 'string', 1], ['Readiness Gates', 'string', 1]],
    cells: (pod, now) => {
      const s = podStatusReason(pod);
      const status = o(pod['status']);
      const spec = o(pod['spec']);
      const restarts = s.lastRestart !== undefined && s.restarts > 0 ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : String(s.restarts);
      const gates = arr(spec['readinessGates']).map((g) => str(o(g)['conditionType']));
      const conditions = arr(status['conditions']).map(o);
      const gatesText = gates.length ? `${gates.filter((g) => conditions.some((c) => c['type'] === g && c['status'] === 'True')).length}/${gates.length}` : '<none>';
      return [pod.metadata.name, `${s.ready}/${s.total}`, s.reason, restarts, age(pod, now), none(str(status['podIP'])), none(str(spec['nodeName'])), none(str(status['nominatedNodeName'])), gatesText];
    },
  },
  Node: {
    columns: [['Name'], ['Status'], ['Roles'], ['Age'], ['Version'], ['Internal-IP', 'string', 1], ['External-IP', 'string', 1], ['OS-Image', 'string', 1], ['Kernel-Version', 'string', 1], ['Container-Runtime', 'string', 1]],
    cells: (node, now) => {
      const status = o(node['status']);
      const ready = arr(status['conditions']).map(o).find((c) => c['type'] === 'Ready');
      const states = [ready?.['status'] === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
      if (o(node['spec'])['unschedulable'] === true) states.push('SchedulingDisabled');
      const roles = Object.keys(node.metadata.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .filter(Boolean);
      const addresses = arr(status['addresses']).map(o);
      const info = o(status['nodeInfo']);
      return [
        node.metadata.name,
        states.join(','),
        roles.length ? roles.sort().join(',') : '<none>',
        age(node, now),
        str(info['kubeletVersion']),
        none(str(addresses.find((a) => a['type'] === 'InternalIP')?.['address'])),
        none(str(addresses.find((a) => a['type'] === 'ExternalIP')?.['address'])),
        str(info['osImage']) || '<unknown>',
        str(info['kernelVersion']) || '<unknown>',
        str(info['containerRuntimeVersion']) || '<unknown>',
      ];
    },
  },
  Namespace: {
    columns: [['Name'], ['Status'], ['Age']],
    cells: (ns, now) => [ns.metadata.name, str(o(ns['status'])['phase']) || 'Active', age(ns, now)],
  },
  Event: {
    columns: [['Last Seen'], ['Type'], ['Reason'], ['Object'], ['Subobject', 'string', 1], ['Source', 'string', 1], ['Message'], ['First Seen', 'string', 1], ['Count', 'integer', 1], ['Name', 'string', 1]],
    cells: (ev, now) => {
      const first = str(ev['firstTimestamp']) || str(ev['eventTime']) || ev.metadata.creationTimestamp;
      const last = str(ev['lastTimestamp']) || str(o(ev['series'])['lastObservedTime']) || first;
      const count = num(ev['count']) || num(o(ev['series'])['count']) || 1;
      const lastSeen = count > 1 ? `${since(last, now)} (x${count} over ${since(first, now)})` : since(last, now);
      const io = o(ev['involvedObject']);
      const src = o(ev['source']);
      const source = [str(src['component']) || str(ev['reportingComponent']), str(src['host'])].filter(Boolean).join(', ');
      return [lastSeen, str(ev['type']), str(ev['reason']), `${str(io['kind']).toLowerCase()}/${str(io['name'])}`, str(io['fieldPath']), source, str(ev['message']), since(first, now), count, ev.metadata.name];
    },
  },
  Deployment: {
    columns: [['Name'], ['Ready'], ['Up-to-date', 'integer'], ['Available', 'integer'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (d, now) => {
      const spec = o(d['spec']);
      const status = o(d['status']);
      const c = templateContainers(spec);
      const desired = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      return [d.metadata.name, `${num(status['readyReplicas'])}/${desired}`, num(status['updatedReplicas']), num(status['availableReplicas']), age(d, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  ReplicaSet: {
    columns: [['Name'], ['Desired', 'integer'], ['Current', 'integer'], ['Ready', 'integer'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (rs, now) => {
      const spec = o(rs['spec']);
      const status = o(rs['status']);
      const c = templateContainers(spec);
      return [rs.metadata.name, typeof spec['replicas'] === 'number' ? spec['replicas'] : 1, num(status['replicas']), num(status['readyReplicas']), age(rs, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  StatefulSet: {
    columns: [['Name'], ['Ready'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1]],
    cells: (s, now) => {
      const spec = o(s['spec']);
      const c = templateContainers(spec);
      return [s.metadata.name, `${num(o(s['status'])['readyReplicas'])}/${typeof spec['replicas'] === 'number' ? spec['replicas'] : 1}`, age(s, now), c.names, c.images];
    },
  },
  DaemonSet: {
    columns: [['Name'], ['Desired', 'integer'], ['Current', 'integer'], ['Ready', 'integer'], ['Up-to-date', 'integer'], ['Available', 'integer'], ['Node Selector'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (ds, now) => {
      const spec = o(ds['spec']);
      const st = o(ds['status']);
      const c = templateContainers(spec);
      return [ds.metadata.name, num(st['desiredNumberScheduled']), num(st['currentNumberScheduled']), num(st['numberReady']), num(st['updatedNumberScheduled']), num(st['numberAvailable']), mapText(o(o(spec['template'])['spec'])['nodeSelector']), age(ds, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  Job: {
    columns: [['Name'], ['Status'], ['Completions'], ['Duration'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (job, now) => {
      const spec = o(job['spec']);
      const st = o(job['status']);
      const c = templateContainers(spec);
      const conds = arr(st['conditions']).map(o).filter((x) => x['status'] === 'True');
      const status = conds.some((x) => x['type'] === 'Failed') ? 'Failed' : conds.some((x) => x['type'] === 'Complete') ? 'Complete' : spec['suspend'] === true ? 'Suspended' : 'Running';
      const completions = typeof spec['completions'] === 'number' ? `${num(st['succeeded'])}/${spec['completions']}` : `${num(st['succeeded'])}/1`;
      const start = Date.parse(str(st['startTime']));
      const end = Date.parse(str(st['completionTime']));
      const duration = Number.isNaN(start) ? '' : humanDuration((Number.isNaN(end) ? now : end) - start);
      return [job.metadata.name, status, completions, duration, age(job, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  CronJob: {
    columns: [['Name'], ['Schedule'], ['Timezone'], ['Suspend', 'boolean'], ['Active', 'integer'], ['Last Schedule'], ['Age']],
    cells: (cj, now) => {
      const spec = o(cj['spec']);
      const st = o(cj['status']);
      return [cj.metadata.name, str(spec['schedule']), none(str(spec['timeZone'])), spec['suspend'] === true, arr(st['active']).length, st['lastScheduleTime'] ? since(st['lastScheduleTime'], now) : '<none>', age(cj, now)];
    },
  },
  Service: {
    columns: [['Name'], ['Type'], ['Cluster-IP'], ['External-IP'], ['Port(s)'], ['Age'], ['Selector', 'string', 1]],
    cells: (svc, now) => {
      const spec = o(svc['spec']);
      const ports = arr(spec['ports']).map(o).map((p) => `${num(p['port'])}${p['nodePort'] ? `:${num(p['nodePort'])}` : ''}/${str(p['protocol']) || 'TCP'}`);
      const ingress = arr(o(o(svc['status'])['loadBalancer'])['ingress']).map((i) => str(o(i)['ip']) || str(o(i)['hostname']));
      const type = str(spec['type']) || 'ClusterIP';
      const external = ingress.length ? ingress.join(',') : arr(spec['externalIPs']).length ? arr(spec['externalIPs']).join(',') : type === 'LoadBalancer' ? '<pending>' : '<none>';
      return [svc.metadata.name, type, none(str(spec['clusterIP'])), external, ports.length ? ports.join(',') : '<none>', age(svc, now), mapText(spec['selector'])];
    },
  },
  Endpoints: {
    columns: [['Name'], ['Endpoints'], ['Age']],
    cells: (ep, now) => {
      const list: string[] = [];
      for (const subset of arr(ep['subsets']).map(o)) {
        const ports = arr(subset['ports']).map((p) => num(o(p)['port']));
        for (const a of arr(subset['addresses']).map(o)) {
          if (ports.length) for (const p of ports) list.push(`${str(a['ip'])}:${p}`);
          else list.push(str(a['ip']));
        }
      }
      const text = list.length > 3 ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...` : list.length ? list.join(',') : '<none>';
      return [ep.metadata.name, text, age(ep, now)];
    },
  },
  ConfigMap: {
    columns: [['Name'], ['Data', 'integer'], ['Age']],
    cells: (cm, now) => [cm.metadata.name, Object.keys(o(cm['data'])).length + Object.keys(o(cm['binaryData'])).length, age(cm, now)],
  },
  Secret: {
    columns: [['Name'], ['Type'], ['Data', 'integer'], ['Age']],
    cells: (s, now) => [s.metadata.name, str(s['type']) || 'Opaque', Object.keys(o(s['data'])).length, age(s, now)],
  },
  ServiceAccount: {
    columns: [['Name'], ['Secrets', 'integer'], ['Age']],
    cells: (sa, now) => [sa.metadata.name, arr(sa['secrets']).length, age(sa, now)],
  },
  PersistentVolumeClaim: {
    columns: [['Name'], ['Status'], ['Volume'], ['Capacity'], ['Access Modes'], ['StorageClass'], ['Age'], ['VolumeMode', 'string', 1]],
    cells: (pvc, now) => {
      const spec = o(pvc['spec']);
      const st = o(pvc['status']);
      return [pvc.metadata.name, str(st['phase']) || 'Pending', str(spec['volumeName']), str(o(st['capacity'])['storage']), accessModes(st['accessModes']), str(spec['storageClassName']), age(pvc, now), str(spec['volumeMode']) || 'Filesystem'];
    },
  },
  PersistentVolume: {
    columns: [['Name'], ['Capacity'], ['Access Modes'], ['Reclaim Policy'], ['Status'], ['Claim'], ['StorageClass'], ['Reason'], ['Age']],
    cells: (pv, now) => {
      const spec = o(pv['spec']);
      const st = o(pv['status']);
      const claim = o(spec['claimRef']);
      return [pv.metadata.name, str(o(spec['capacity'])['storage']), accessModes(spec['accessModes']), str(spec['persistentVolumeReclaimPolicy']) || 'Delete', str(st['phase']) || 'Pending', claim['name'] ? `${str(claim['namespace'])}/${str(claim['name'])}` : '', str(spec['storageClassName']), str(st['reason']), age(pv, now)];
    },
  },
  ResourceQuota: {
    columns: [['Name'], ['Age'], ['Request'], ['Limit']],
    cells: (q, now) => {
      const st = o(q['status']);
      const hard = o(st['hard'] ?? o(q['spec'])['hard']);
      const used = o(st['used']);
      const fmt = (keys: string[]) => keys.map((k) => `${k}: ${scalar(used[k] ?? '0')}/${scalar(hard[k])}`).join(', ');
      const all = Object.keys(hard).sort();
      return [q.metadata.name, age(q, now), fmt(all.filter((k) => !k.startsWith('limits.'))), fmt(all.filter((k) => k.startsWith('limits.')))];
    },
  },
  HorizontalPodAutoscaler: {
    columns: [['Name'], ['Reference'], ['Targets'], ['MinPods', 'integer'], ['MaxPods', 'integer'], ['Replicas', 'integer'], ['Age']],
    cells: (hpa, now) => {
      const spec = o(hpa['spec']);
      const st = o(hpa['status']);
      const ref = o(spec['scaleTargetRef']);
      const targets = arr(spec['metrics']).map(o).map((m) => {
        const target = o(o(m['resource'])['target']);
        const name = str(o(m['resource'])['name']);
        const current = arr(st['currentMetrics']).map(o).find((c) => str(o(c['resource'])['name']) === name);
        const cur = current ? `${num(o(o(current['resource'])['current'])['averageUtilization'])}%` : '<unknown>';
        return `${name}: ${cur}/${num(target['averageUtilization'])}%`;
      });
      return [hpa.metadata.name, `${str(ref['kind'])}/${str(ref['name'])}`, targets.length ? targets.join(', ') : '<none>', typeof spec['minReplicas'] === 'number' ? spec['minReplicas'] : 1, num(spec['maxReplicas']), num(st['currentReplicas']), age(hpa, now)];
    },
  },
  StorageClass: {
    columns: [['Name'], ['Provisioner'], ['ReclaimPolicy'], ['VolumeBindingMode'], ['AllowVolumeExpansion', 'boolean'], ['Age']],
    cells: (sc, now) => {
      const isDefault = sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
      return [`${sc.metadata.name}${isDefault ? ' (default)' : ''}`, str(sc['provisioner']), str(sc['reclaimPolicy']) || 'Delete', str(sc['volumeBindingMode']) || 'Immediate', sc['allowVolumeExpansion'] === true, age(sc, now)];
    },
  },
  NetworkPolicy: {
    columns: [['Name'], ['Pod-Selector'], ['Age']],
    cells: (np, now) => {
      const sel = selectorText(o(np['spec'])['podSelector']);
      return [np.metadata.name, sel === '<none>' ? '<none>' : sel, age(np, now)];
    },
  },
  PodDisruptionBudget: {
    columns: [['Name'], ['Min Available'], ['Max Unavailable'], ['Allowed Disruptions', 'integer'], ['Age']],
    cells: (pdb, now) => {
      const spec = o(pdb['spec']);
      const text = (v: unknown) => (v === undefined || v === null ? 'N/A' : scalar(v));
      return [pdb.metadata.name, text(spec['minAvailable']), text(spec['maxUnavailable']), num(o(pdb['status'])['disruptionsAllowed']), age(pdb, now)];
    },
  },
  ControllerRevision: {
    columns: [['Name'], ['Controller'], ['Revision', 'integer'], ['Age']],
    cells: (cr, now) => {
      const owner = cr.metadata.ownerReferences?.find((r) => r.controller);
      return [cr.metadata.name, owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split('/')[0] ?? ''}/${owner.name}` : '<none>', num(cr['revision']), age(cr, now)];
    },
  },
};

function accessModes(v: unknown): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return arr(v).map((m) => short[str(m)] ?? str(m)).join(',');
}

const GENERIC: Printer = { columns: [['Name'], ['Age']], cells: (obj, now) => [obj.metadata.name, age(obj, now)] };

const DESCRIPTIONS: Record<string, string> = {
  Name: 'Name must be unique within a namespace. More info: http://kubernetes.io/docs/user-guide/identifiers#names',
  Age: 'CreationTimestamp is a timestamp representing the server time when this object was created. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};

export function tableColumns(t: ResourceType): TableColumn[] {
  const printer = PRINTERS[t.kind] ?? GENERIC;
  return printer.columns.map(([name, type = 'string', priority = 0]) => ({
    name,
    type,
    format: name === 'Name' ? 'name' : '',
    description: DESCRIPTIONS[name] ?? name,
    priority,
  }));
}

/**
 * A `meta.k8s.io` Table of `items`. `listMeta` is the list's metadata (resourceVersion, continue);
 * `includeObject` chooses what `rows[].object` holds (default: PartialObjectMetadata).
 */
export function toTable(t: ResourceType, items: KubeObject[], options: { now: number; version: 'v1' | 'v1beta1'; includeObject?: IncludeObject; listMeta?: Obj; withColumns?: boolean }): Obj {
  const printer = PRINTERS[t.kind] ?? GENERIC;
  const include = options.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata: options.listMeta ?? {},
    columnDefinitions: options.withColumns === false ? null : tableColumns(t),
    rows: items.map((item) => ({
      cells: printer.cells(item, options.now),
      ...(include === 'None'
        ? {}
        : { object: include === 'Object' ? item : { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${options.version}`, metadata: item.metadata } }),
    })),
  };
}
