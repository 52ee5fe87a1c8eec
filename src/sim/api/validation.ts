/**
 * Create/update validation for the kinds remediation touches, with the field paths and wording of the
 * real API server, so a bad change is refused with a 422 Invalid naming the field.
 */
import type { KubeObject } from '../../core/kube/kube-types.js';
import type { ResourceType } from '../resources.js';
import { StatusError, type StatusCause } from '../status-error.js';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors.js';
import { parseQuantity } from '../../core/kube/units.js';

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
  // Shapes first: controllers iterate these fields, so a wrong type stored once would break every tick.
  const shape = validateShapes(t, o);
  if (shape.length) throw StatusError.invalid(t.kind, typeof o.metadata.name === 'string' ? o.metadata.name : '', shape, t.group);
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

// ---- shapes: the types the real server's decoder enforces, for the fields the controllers read ----

function typeName(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v) ?? 'null';
}

function typeInvalid(field: string, value: unknown, expected: string): StatusCause {
  const text = typeName(value);
  return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${text.length > 80 ? `${text.slice(0, 77)}...` : text}: expected ${expected}` };
}

/** `v` absent/null, or a map of strings. */
function stringMap(v: unknown, field: string, causes: StatusCause[]): void {
  if (v === undefined || v === null) return;
  const m = obj(v);
  if (!m) return void causes.push(typeInvalid(field, v, 'map[string]string'));
  for (const [k, val] of Object.entries(m)) if (typeof val !== 'string') causes.push(typeInvalid(`${field}[${k}]`, val, 'string'));
}

/** `v` absent/null, or an array of objects; returns the objects with their paths. */
function objectArray(v: unknown, field: string, causes: StatusCause[]): [Obj, string][] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    causes.push(typeInvalid(field, v, 'array'));
    return [];
  }
  const out: [Obj, string][] = [];
  v.forEach((item, i) => {
    const o = obj(item);
    if (!o) causes.push(typeInvalid(`${field}[${i}]`, item, 'object'));
    else out.push([o, `${field}[${i}]`]);
  });
  return out;
}

function optionalObject(v: unknown, field: string, causes: StatusCause[]): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v);
  if (!o) causes.push(typeInvalid(field, v, 'object'));
  return o;
}

function optionalString(o: Obj, key: string, path: string, causes: StatusCause[]): void {
  const v = o[key];
  if (v !== undefined && v !== null && typeof v !== 'string') causes.push(typeInvalid(`${path}.${key}`, v, 'string'));
}

function validateShapes(t: ResourceType, o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const meta = o.metadata as unknown as Obj;
  for (const key of ['name', 'generateName', 'namespace']) optionalString(meta, key, 'metadata', causes);
  stringMap(meta['labels'], 'metadata.labels', causes);
  stringMap(meta['annotations'], 'metadata.annotations', causes);
  for (const [ref, p] of objectArray(meta['ownerReferences'], 'metadata.ownerReferences', causes)) {
    for (const key of ['apiVersion', 'kind', 'name', 'uid']) optionalString(ref, key, p, causes);
    for (const key of ['controller', 'blockOwnerDeletion']) {
      if (ref[key] !== undefined && ref[key] !== null && typeof ref[key] !== 'boolean') causes.push(typeInvalid(`${p}.${key}`, ref[key], 'boolean'));
    }
  }
  const finalizers = meta['finalizers'];
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers)) causes.push(typeInvalid('metadata.finalizers', finalizers, 'array'));
    else finalizers.forEach((f, i) => typeof f !== 'string' && causes.push(typeInvalid(`metadata.finalizers[${i}]`, f, 'string')));
  }
  const spec = optionalObject(o['spec'], 'spec', causes);
  if (t.kind === 'Pod') podSpecShape(spec, 'spec', causes);
  else if (WORKLOADS.has(t.kind)) templateShape(spec, 'spec', causes);
  else if (t.kind === 'CronJob') {
    const jobTemplate = optionalObject(spec?.['jobTemplate'], 'spec.jobTemplate', causes);
    const jobSpec = optionalObject(jobTemplate?.['spec'], 'spec.jobTemplate.spec', causes);
    templateShape(jobSpec, 'spec.jobTemplate.spec', causes);
  } else if (t.kind === 'Node') {
    for (const [taint, p] of objectArray(spec?.['taints'], 'spec.taints', causes)) {
      for (const key of ['key', 'effect']) if (typeof taint[key] !== 'string') causes.push(typeInvalid(`${p}.${key}`, taint[key], 'string'));
      optionalString(taint, 'value', p, causes);
    }
  } else if (t.kind === 'Service') {
    stringMap(spec?.['selector'], 'spec.selector', causes);
    objectArray(spec?.['ports'], 'spec.ports', causes);
  } else if (t.kind === 'Event') {
    const key = t.group === 'events.k8s.io' ? 'regarding' : 'involvedObject';
    const ref = optionalObject(o[key], key, causes);
    if (ref) for (const k of ['kind', 'name', 'namespace', 'uid', 'apiVersion', 'fieldPath']) optionalString(ref, k, key, causes);
  } else if (t.kind === 'NetworkPolicy') {
    optionalObject(spec?.['podSelector'], 'spec.podSelector', causes);
    for (const [rule, p] of objectArray(spec?.['ingress'], 'spec.ingress', causes)) objectArray(rule['from'], `${p}.from`, causes);
  }
  return causes;
}

function templateShape(spec: Obj | undefined, path: string, causes: StatusCause[]): void {
  const template = optionalObject(spec?.['template'], `${path}.template`, causes);
  const meta = optionalObject(template?.['metadata'], `${path}.template.metadata`, causes);
  stringMap(meta?.['labels'], `${path}.template.metadata.labels`, causes);
  stringMap(meta?.['annotations'], `${path}.template.metadata.annotations`, causes);
  podSpecShape(optionalObject(template?.['spec'], `${path}.template.spec`, causes), `${path}.template.spec`, causes);
}

function podSpecShape(spec: Obj | undefined, path: string, causes: StatusCause[]): void {
  if (!spec) return;
  for (const field of ['containers', 'initContainers']) {
    for (const [c, p] of objectArray(spec[field], `${path}.${field}`, causes)) {
      for (const key of ['name', 'image']) optionalString(c, key, p, causes);
      for (const key of ['env', 'envFrom', 'ports', 'volumeMounts']) objectArray(c[key], `${p}.${key}`, causes);
      for (const key of ['command', 'args']) {
        const v = c[key];
        if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) causes.push(typeInvalid(`${p}.${key}`, v, 'array of strings'));
      }
      const resources = optionalObject(c['resources'], `${p}.resources`, causes);
      optionalObject(resources?.['requests'], `${p}.resources.requests`, causes);
      optionalObject(resources?.['limits'], `${p}.resources.limits`, causes);
      for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) optionalObject(c[key], `${p}.${key}`, causes);
    }
  }
  for (const [v, p] of objectArray(spec['volumes'], `${path}.volumes`, causes)) optionalString(v, 'name', p, causes);
  for (const [tol, p] of objectArray(spec['tolerations'], `${path}.tolerations`, causes)) {
    for (const key of ['key', 'operator', 'value', 'effect']) optionalString(tol, key, p, causes);
  }
  stringMap(spec['nodeSelector'], `${path}.nodeSelector`, causes);
  optionalObject(spec['affinity'], `${path}.affinity`, causes);
  optionalString(spec, 'nodeName', path, causes);
}
