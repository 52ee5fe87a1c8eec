/**
 * Server-side printing: the `meta.k8s.io` Table kubectl asks for (`Accept: ...;as=Table;g=meta.k8s.io`),
 * with the columns and cell wording of the real API server's printers (pkg/printers/internalversion),
 * so `kubectl get` looks the same against the simulator as against a cluster.
 */
import { humanDuration, since } from '../../core/kube/render.js';
import type { KubeObject } from '../../core/kube/kube-types.js';
import { list, record, scalarText, text } from '../../core/kube/read.js';
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

/** A number field as the API server prints it: any number as it is (even NaN), 0 for anything else. */
function numberOrZero(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
/** A field as a cell: a scalar as text, anything else as JSON. */
function scalar(v: unknown): string {
  return scalarText(v) ?? JSON.stringify(v ?? '');
}
/** A string field as a cell: '' when missing or not a string. */
function cellText(v: unknown): string {
  return text(v) ?? '';
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
  const s = record(sel);
  const parts = Object.entries(record(s['matchLabels'])).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of list(s['matchExpressions'])) {
    const x = record(e);
    const op = cellText(x['operator']).toLowerCase();
    const values = list(x['values']).map(String).join(',');
    if (op === 'in' || op === 'notin') parts.push(`${cellText(x['key'])} ${op} (${values})`);
    else if (op === 'exists') parts.push(cellText(x['key']));
    else if (op === 'doesnotexist') parts.push(`!${cellText(x['key'])}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function mapText(m: unknown): string {
  const entries = Object.entries(record(m));
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
}

function templateContainers(spec: Obj): { names: string; images: string } {
  const containers = list(record(record(spec['template'])['spec'])['containers']).map(record);
  return { names: containers.map((c) => cellText(c['name'])).join(','), images: containers.map((c) => cellText(c['image'])).join(',') };
}

/**
 * What kubectl prints in the STATUS column of a pod (printPod in kubectl/pkg/printers): the phase,
 * overridden by the pod's reason, by init container progress, then by the first container (from the
 * last) that is waiting or terminated with a reason; `Terminating` once a deletion is under way.
 */
export function podStatusReason(pod: KubeObject): { reason: string; ready: number; total: number; restarts: number; lastRestart: number | undefined } {
  const spec = record(pod['spec']);
  const status = record(pod['status']);
  let reason = cellText(status['phase']) || 'Pending';
  if (cellText(status['reason'])) reason = cellText(status['reason']);
  const conditions = list(status['conditions']).map(record);
  const scheduled = conditions.find((c) => c['type'] === 'PodScheduled');
  if (scheduled && scheduled['status'] === 'False' && scheduled['reason'] === 'SchedulingGated') reason = 'SchedulingGated';
  const total = list(spec['containers']).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  const noteRestart = (cs: Obj) => {
    const finished = Date.parse(cellText(record(record(cs['lastState'])['terminated'])['finishedAt']));
    if (!Number.isNaN(finished) && (lastRestart === undefined || finished > lastRestart)) lastRestart = finished;
  };
  let initializing = false;
  const initStatuses = list(status['initContainerStatuses']).map(record);
  const initSpecs = list(spec['initContainers']);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] as Obj;
    restarts += numberOrZero(cs['restartCount']);
    noteRestart(cs);
    const state = record(cs['state']);
    const term = state['terminated'] ? record(state['terminated']) : undefined;
    const waiting = state['waiting'] ? record(state['waiting']) : undefined;
    if (term && numberOrZero(term['exitCode']) === 0) continue;
    if (term) {
      reason = cellText(term['reason']) ? `Init:${cellText(term['reason'])}` : numberOrZero(term['signal']) ? `Init:Signal:${numberOrZero(term['signal'])}` : `Init:ExitCode:${numberOrZero(term['exitCode'])}`;
    } else if (waiting && cellText(waiting['reason']) && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${cellText(waiting['reason'])}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const statuses = list(status['containerStatuses']).map(record);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] as Obj;
      restarts += numberOrZero(cs['restartCount']);
      noteRestart(cs);
      const state = record(cs['state']);
      const waiting = state['waiting'] ? record(state['waiting']) : undefined;
      const term = state['terminated'] ? record(state['terminated']) : undefined;
      if (waiting && cellText(waiting['reason'])) reason = cellText(waiting['reason']);
      else if (term && cellText(term['reason'])) reason = cellText(term['reason']);
      else if (term) reason = numberOrZero(term['signal']) ? `Signal:${numberOrZero(term['signal'])}` : `ExitCode:${numberOrZero(term['exitCode'])}`;
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
      const status = record(pod['status']);
      const spec = record(pod['spec']);
      const restarts = s.lastRestart !== undefined && s.restarts > 0 ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : String(s.restarts);
      const gates = list(spec['readinessGates']).map((g) => cellText(record(g)['conditionType']));
      const conditions = list(status['conditions']).map(record);
      const gatesText = gates.length ? `${gates.filter((g) => conditions.some((c) => c['type'] === g && c['status'] === 'True')).length}/${gates.length}` : '<none>';
      return [pod.metadata.name, `${s.ready}/${s.total}`, s.reason, restarts, age(pod, now), none(cellText(status['podIP'])), none(cellText(spec['nodeName'])), none(cellText(status['nominatedNodeName'])), gatesText];
    },
  },
  Node: {
    columns: [['Name'], ['Status'], ['Roles'], ['Age'], ['Version'], ['Internal-IP', 'string', 1], ['External-IP', 'string', 1], ['OS-Image', 'string', 1], ['Kernel-Version', 'string', 1], ['Container-Runtime', 'string', 1]],
    cells: (node, now) => {
      const status = record(node['status']);
      const ready = list(status['conditions']).map(record).find((c) => c['type'] === 'Ready');
      const states = [ready?.['status'] === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
      if (record(node['spec'])['unschedulable'] === true) states.push('SchedulingDisabled');
      const roles = Object.keys(node.metadata.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .filter(Boolean);
      const addresses = list(status['addresses']).map(record);
      const info = record(status['nodeInfo']);
      return [
        node.metadata.name,
        states.join(','),
        roles.length ? roles.sort().join(',') : '<none>',
        age(node, now),
        cellText(info['kubeletVersion']),
        none(cellText(addresses.find((a) => a['type'] === 'InternalIP')?.['address'])),
        none(cellText(addresses.find((a) => a['type'] === 'ExternalIP')?.['address'])),
        cellText(info['osImage']) || '<unknown>',
        cellText(info['kernelVersion']) || '<unknown>',
        cellText(info['containerRuntimeVersion']) || '<unknown>',
      ];
    },
  },
  Namespace: {
    columns: [['Name'], ['Status'], ['Age']],
    cells: (ns, now) => [ns.metadata.name, cellText(record(ns['status'])['phase']) || 'Active', age(ns, now)],
  },
  Event: {
    columns: [['Last Seen'], ['Type'], ['Reason'], ['Object'], ['Subobject', 'string', 1], ['Source', 'string', 1], ['Message'], ['First Seen', 'string', 1], ['Count', 'integer', 1], ['Name', 'string', 1]],
    cells: (ev, now) => {
      const first = cellText(ev['firstTimestamp']) || cellText(ev['eventTime']) || ev.metadata.creationTimestamp;
      const last = cellText(ev['lastTimestamp']) || cellText(record(ev['series'])['lastObservedTime']) || first;
      const count = numberOrZero(ev['count']) || numberOrZero(record(ev['series'])['count']) || 1;
      const lastSeen = count > 1 ? `${since(last, now)} (x${count} over ${since(first, now)})` : since(last, now);
      const io = record(ev['involvedObject']);
      const src = record(ev['source']);
      const source = [cellText(src['component']) || cellText(ev['reportingComponent']), cellText(src['host'])].filter(Boolean).join(', ');
      return [lastSeen, cellText(ev['type']), cellText(ev['reason']), `${cellText(io['kind']).toLowerCase()}/${cellText(io['name'])}`, cellText(io['fieldPath']), source, cellText(ev['message']), since(first, now), count, ev.metadata.name];
    },
  },
  Deployment: {
    columns: [['Name'], ['Ready'], ['Up-to-date', 'integer'], ['Available', 'integer'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (d, now) => {
      const spec = record(d['spec']);
      const status = record(d['status']);
      const c = templateContainers(spec);
      const desired = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
      return [d.metadata.name, `${numberOrZero(status['readyReplicas'])}/${desired}`, numberOrZero(status['updatedReplicas']), numberOrZero(status['availableReplicas']), age(d, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  ReplicaSet: {
    columns: [['Name'], ['Desired', 'integer'], ['Current', 'integer'], ['Ready', 'integer'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (rs, now) => {
      const spec = record(rs['spec']);
      const status = record(rs['status']);
      const c = templateContainers(spec);
      return [rs.metadata.name, typeof spec['replicas'] === 'number' ? spec['replicas'] : 1, numberOrZero(status['replicas']), numberOrZero(status['readyReplicas']), age(rs, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  StatefulSet: {
    columns: [['Name'], ['Ready'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1]],
    cells: (s, now) => {
      const spec = record(s['spec']);
      const c = templateContainers(spec);
      return [s.metadata.name, `${numberOrZero(record(s['status'])['readyReplicas'])}/${typeof spec['replicas'] === 'number' ? spec['replicas'] : 1}`, age(s, now), c.names, c.images];
    },
  },
  DaemonSet: {
    columns: [['Name'], ['Desired', 'integer'], ['Current', 'integer'], ['Ready', 'integer'], ['Up-to-date', 'integer'], ['Available', 'integer'], ['Node Selector'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (ds, now) => {
      const spec = record(ds['spec']);
      const st = record(ds['status']);
      const c = templateContainers(spec);
      return [ds.metadata.name, numberOrZero(st['desiredNumberScheduled']), numberOrZero(st['currentNumberScheduled']), numberOrZero(st['numberReady']), numberOrZero(st['updatedNumberScheduled']), numberOrZero(st['numberAvailable']), mapText(record(record(spec['template'])['spec'])['nodeSelector']), age(ds, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  Job: {
    columns: [['Name'], ['Status'], ['Completions'], ['Duration'], ['Age'], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
    cells: (job, now) => {
      const spec = record(job['spec']);
      const st = record(job['status']);
      const c = templateContainers(spec);
      const conds = list(st['conditions']).map(record).filter((x) => x['status'] === 'True');
      const status = conds.some((x) => x['type'] === 'Failed') ? 'Failed' : conds.some((x) => x['type'] === 'Complete') ? 'Complete' : spec['suspend'] === true ? 'Suspended' : 'Running';
      const completions = typeof spec['completions'] === 'number' ? `${numberOrZero(st['succeeded'])}/${spec['completions']}` : `${numberOrZero(st['succeeded'])}/1`;
      const start = Date.parse(cellText(st['startTime']));
      const end = Date.parse(cellText(st['completionTime']));
      const duration = Number.isNaN(start) ? '' : humanDuration((Number.isNaN(end) ? now : end) - start);
      return [job.metadata.name, status, completions, duration, age(job, now), c.names, c.images, selectorText(spec['selector'])];
    },
  },
  CronJob: {
    columns: [['Name'], ['Schedule'], ['Timezone'], ['Suspend', 'boolean'], ['Active', 'integer'], ['Last Schedule'], ['Age']],
    cells: (cj, now) => {
      const spec = record(cj['spec']);
      const st = record(cj['status']);
      return [cj.metadata.name, cellText(spec['schedule']), none(cellText(spec['timeZone'])), spec['suspend'] === true, list(st['active']).length, st['lastScheduleTime'] ? since(st['lastScheduleTime'], now) : '<none>', age(cj, now)];
    },
  },
  Service: {
    columns: [['Name'], ['Type'], ['Cluster-IP'], ['External-IP'], ['Port(s)'], ['Age'], ['Selector', 'string', 1]],
    cells: (svc, now) => {
      const spec = record(svc['spec']);
      const ports = list(spec['ports']).map(record).map((p) => `${numberOrZero(p['port'])}${p['nodePort'] ? `:${numberOrZero(p['nodePort'])}` : ''}/${cellText(p['protocol']) || 'TCP'}`);
      const ingress = list(record(record(svc['status'])['loadBalancer'])['ingress']).map((i) => cellText(record(i)['ip']) || cellText(record(i)['hostname']));
      const type = cellText(spec['type']) || 'ClusterIP';
      const external = ingress.length ? ingress.join(',') : list(spec['externalIPs']).length ? list(spec['externalIPs']).join(',') : type === 'LoadBalancer' ? '<pending>' : '<none>';
      return [svc.metadata.name, type, none(cellText(spec['clusterIP'])), external, ports.length ? ports.join(',') : '<none>', age(svc, now), mapText(spec['selector'])];
    },
  },
  Endpoints: {
    columns: [['Name'], ['Endpoints'], ['Age']],
    cells: (ep, now) => {
      const endpoints: string[] = [];
      for (const subset of list(ep['subsets']).map(record)) {
        const ports = list(subset['ports']).map((p) => numberOrZero(record(p)['port']));
        for (const a of list(subset['addresses']).map(record)) {
          if (ports.length) for (const p of ports) endpoints.push(`${cellText(a['ip'])}:${p}`);
          else endpoints.push(cellText(a['ip']));
        }
      }
      const shown = endpoints.length > 3 ? `${endpoints.slice(0, 3).join(',')} + ${endpoints.length - 3} more...` : endpoints.length ? endpoints.join(',') : '<none>';
      return [ep.metadata.name, shown, age(ep, now)];
    },
  },
  ConfigMap: {
    columns: [['Name'], ['Data', 'integer'], ['Age']],
    cells: (cm, now) => [cm.metadata.name, Object.keys(record(cm['data'])).length + Object.keys(record(cm['binaryData'])).length, age(cm, now)],
  },
  Secret: {
    columns: [['Name'], ['Type'], ['Data', 'integer'], ['Age']],
    cells: (s, now) => [s.metadata.name, cellText(s['type']) || 'Opaque', Object.keys(record(s['data'])).length, age(s, now)],
  },
  ServiceAccount: {
    columns: [['Name'], ['Secrets', 'integer'], ['Age']],
    cells: (sa, now) => [sa.metadata.name, list(sa['secrets']).length, age(sa, now)],
  },
  PersistentVolumeClaim: {
    columns: [['Name'], ['Status'], ['Volume'], ['Capacity'], ['Access Modes'], ['StorageClass'], ['Age'], ['VolumeMode', 'string', 1]],
    cells: (pvc, now) => {
      const spec = record(pvc['spec']);
      const st = record(pvc['status']);
      return [pvc.metadata.name, cellText(st['phase']) || 'Pending', cellText(spec['volumeName']), cellText(record(st['capacity'])['storage']), accessModes(st['accessModes']), cellText(spec['storageClassName']), age(pvc, now), cellText(spec['volumeMode']) || 'Filesystem'];
    },
  },
  PersistentVolume: {
    columns: [['Name'], ['Capacity'], ['Access Modes'], ['Reclaim Policy'], ['Status'], ['Claim'], ['StorageClass'], ['Reason'], ['Age']],
    cells: (pv, now) => {
      const spec = record(pv['spec']);
      const st = record(pv['status']);
      const claim = record(spec['claimRef']);
      return [pv.metadata.name, cellText(record(spec['capacity'])['storage']), accessModes(spec['accessModes']), cellText(spec['persistentVolumeReclaimPolicy']) || 'Delete', cellText(st['phase']) || 'Pending', claim['name'] ? `${cellText(claim['namespace'])}/${cellText(claim['name'])}` : '', cellText(spec['storageClassName']), cellText(st['reason']), age(pv, now)];
    },
  },
  ResourceQuota: {
    columns: [['Name'], ['Age'], ['Request'], ['Limit']],
    cells: (q, now) => {
      const st = record(q['status']);
      const hard = record(st['hard'] ?? record(q['spec'])['hard']);
      const used = record(st['used']);
      const fmt = (keys: string[]) => keys.map((k) => `${k}: ${scalar(used[k] ?? '0')}/${scalar(hard[k])}`).join(', ');
      const all = Object.keys(hard).sort();
      return [q.metadata.name, age(q, now), fmt(all.filter((k) => !k.startsWith('limits.'))), fmt(all.filter((k) => k.startsWith('limits.')))];
    },
  },
  HorizontalPodAutoscaler: {
    columns: [['Name'], ['Reference'], ['Targets'], ['MinPods', 'integer'], ['MaxPods', 'integer'], ['Replicas', 'integer'], ['Age']],
    cells: (hpa, now) => {
      const spec = record(hpa['spec']);
      const st = record(hpa['status']);
      const ref = record(spec['scaleTargetRef']);
      const targets = list(spec['metrics']).map(record).map((m) => {
        const target = record(record(m['resource'])['target']);
        const name = cellText(record(m['resource'])['name']);
        const current = list(st['currentMetrics']).map(record).find((c) => cellText(record(c['resource'])['name']) === name);
        const cur = current ? `${numberOrZero(record(record(current['resource'])['current'])['averageUtilization'])}%` : '<unknown>';
        return `${name}: ${cur}/${numberOrZero(target['averageUtilization'])}%`;
      });
      return [hpa.metadata.name, `${cellText(ref['kind'])}/${cellText(ref['name'])}`, targets.length ? targets.join(', ') : '<none>', typeof spec['minReplicas'] === 'number' ? spec['minReplicas'] : 1, numberOrZero(spec['maxReplicas']), numberOrZero(st['currentReplicas']), age(hpa, now)];
    },
  },
  StorageClass: {
    columns: [['Name'], ['Provisioner'], ['ReclaimPolicy'], ['VolumeBindingMode'], ['AllowVolumeExpansion', 'boolean'], ['Age']],
    cells: (sc, now) => {
      const isDefault = sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
      return [`${sc.metadata.name}${isDefault ? ' (default)' : ''}`, cellText(sc['provisioner']), cellText(sc['reclaimPolicy']) || 'Delete', cellText(sc['volumeBindingMode']) || 'Immediate', sc['allowVolumeExpansion'] === true, age(sc, now)];
    },
  },
  NetworkPolicy: {
    columns: [['Name'], ['Pod-Selector'], ['Age']],
    cells: (np, now) => {
      const sel = selectorText(record(np['spec'])['podSelector']);
      return [np.metadata.name, sel === '<none>' ? '<none>' : sel, age(np, now)];
    },
  },
  PodDisruptionBudget: {
    columns: [['Name'], ['Min Available'], ['Max Unavailable'], ['Allowed Disruptions', 'integer'], ['Age']],
    cells: (pdb, now) => {
      const spec = record(pdb['spec']);
      const text = (v: unknown) => (v === undefined || v === null ? 'N/A' : scalar(v));
      return [pdb.metadata.name, text(spec['minAvailable']), text(spec['maxUnavailable']), numberOrZero(record(pdb['status'])['disruptionsAllowed']), age(pdb, now)];
    },
  },
  ControllerRevision: {
    columns: [['Name'], ['Controller'], ['Revision', 'integer'], ['Age']],
    cells: (cr, now) => {
      const owner = cr.metadata.ownerReferences?.find((r) => r.controller);
      return [cr.metadata.name, owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split('/')[0] ?? ''}/${owner.name}` : '<none>', numberOrZero(cr['revision']), age(cr, now)];
    },
  },
};

function accessModes(v: unknown): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return list(v).map((m) => short[cellText(m)] ?? cellText(m)).join(',');
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
