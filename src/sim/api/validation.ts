/**
 * Create/update validation for the kinds remediation touches, with the field paths and wording of the
 * real API server, so a bad change is refused with a 422 Invalid naming the field.
 */
import type { KubeObject } from '../kube-types.js';
import type { ResourceType } from '../resources.js';
import { StatusError, type StatusCause } from '../status-error.js';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors.js';
import { parseQuantity } from '../units.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);

/**
 * Checks `o` for resource type `t`.
 * @throws StatusError 422 Invalid with one cause per problem.
 */
export function validateObject(t: ResourceType, o: KubeObject): void {
  const causes: StatusCause[] = [];
  const spec = obj(o['spec']);
  if (t.kind === 'Pod') {
    validatePodSpec(spec, 'spec', causes);
  } else if (WORKLOADS.has(t.kind)) {
    validateWorkload(t.kind, spec, causes);
  } else if (t.kind === 'CronJob') {
    const jobSpec = obj(obj(spec?.['jobTemplate'])?.['spec']);
    if (typeof spec?.['schedule'] !== 'string' || !spec['schedule']) causes.push(required('spec.schedule'));
    validatePodSpec(obj(obj(jobSpec?.['template'])?.['spec']), 'spec.jobTemplate.spec.template.spec', causes);
  } else if (t.kind === 'Service') {
    const ports = spec?.['ports'];
    if (Array.isArray(ports)) {
      ports.forEach((p, i) => {
        const port = obj(p)?.['port'];
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
          causes.push({ field: `spec.ports[${i}].port`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(port ?? null)}: must be between 1 and 65535, inclusive` });
        }
      });
    }
  } else if (t.kind === 'HorizontalPodAutoscaler') {
    const max = spec?.['maxReplicas'];
    const min = spec?.['minReplicas'];
    if (typeof max !== 'number' || max < 1) causes.push({ field: 'spec.maxReplicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(max ?? 0)}: must be greater than or equal to 1` });
    else if (typeof min === 'number' && min > max) causes.push({ field: 'spec.maxReplicas', reason: 'FieldValueInvalid', message: `Invalid value: ${max}: must be greater than or equal to \`minReplicas\`` });
  }
  if (causes.length) throw StatusError.invalid(t.kind, o.metadata.name, causes, t.group);
}

function required(field: string): StatusCause {
  return { field, reason: 'FieldValueRequired', message: 'Required value' };
}

function validateWorkload(kind: string, spec: Obj | undefined, causes: StatusCause[]): void {
  if (!spec) {
    causes.push(required('spec'));
    return;
  }
  const replicas = spec['replicas'];
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    causes.push({ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` });
  }
  const template = obj(spec['template']);
  const selector = obj(spec['selector']);
  if (kind !== 'Job') {
    if (!selector) causes.push(required('spec.selector'));
    else if (!Object.keys(obj(selector['matchLabels']) ?? {}).length && !(Array.isArray(selector['matchExpressions']) && selector['matchExpressions'].length)) {
      causes.push({ field: 'spec.selector', reason: 'FieldValueInvalid', message: 'Invalid value: "null": empty selector is invalid for deployment' });
    }
  }
  if (!template) {
    causes.push(required('spec.template'));
    return;
  }
  const labels = obj(obj(template['metadata'])?.['labels']) as Record<string, string> | undefined;
  if (selector && (Object.keys(obj(selector['matchLabels']) ?? {}).length || Array.isArray(selector['matchExpressions']))) {
    const sel = fromLabelSelectorObject(selector);
    if (!matchesLabels(sel, labels)) {
      causes.push({ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\`` });
    }
  }
  validatePodSpec(obj(template['spec']), 'spec.template.spec', causes);
}

function goMap(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
}

function validatePodSpec(spec: Obj | undefined, path: string, causes: StatusCause[]): void {
  if (!spec) {
    causes.push(required(path));
    return;
  }
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push(required(`${path}.containers`));
    return;
  }
  const seen = new Set<string>();
  const check = (list: unknown[], field: string) =>
    list.forEach((c, i) => {
      const co = obj(c) ?? {};
      const p = `${path}.${field}[${i}]`;
      const name = co['name'];
      if (typeof name !== 'string' || !name) causes.push(required(`${p}.name`));
      else if (seen.has(name)) causes.push({ field: `${p}.name`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(name)}` });
      else {
        seen.add(name);
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
          causes.push({ field: `${p}.name`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character` });
        }
      }
      if (typeof co['image'] !== 'string' || !co['image'].trim()) causes.push(required(`${p}.image`));
      validateResources(obj(co['resources']), `${p}.resources`, causes);
      const env = co['env'];
      if (Array.isArray(env)) env.forEach((e, j) => {
        if (typeof obj(e)?.['name'] !== 'string' || !obj(e)?.['name']) causes.push(required(`${p}.env[${j}].name`));
      });
    });
  check(containers, 'containers');
  if (Array.isArray(spec['initContainers'])) check(spec['initContainers'], 'initContainers');
}

function validateResources(resources: Obj | undefined, path: string, causes: StatusCause[]): void {
  if (!resources) return;
  const requests = obj(resources['requests']) ?? {};
  const limits = obj(resources['limits']) ?? {};
  for (const [kind, values] of [['requests', requests], ['limits', limits]] as const) {
    for (const [name, value] of Object.entries(values)) {
      const q = parseQuantity(value);
      if (q === undefined) causes.push({ field: `${path}.${kind}.${name}`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` });
      else if (q < 0) causes.push({ field: `${path}.${kind}.${name}`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: must be greater than or equal to 0` });
    }
  }
  for (const [name, value] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined) continue;
    const r = parseQuantity(value);
    const l = parseQuantity(limit);
    if (r !== undefined && l !== undefined && r > l) {
      causes.push({ field: `${path}.requests`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: must be less than or equal to ${name} limit of ${typeof limit === 'string' || typeof limit === 'number' ? limit : JSON.stringify(limit)}` });
    }
  }
}
