/**
 * Parses and checks a scenario file, reporting every problem at once: its YAML path
 * (`spec.workloads[0].containers[0].behavior.memroy`), its line, and a hint (did you mean, the closest
 * root-cause ids). Schema problems come from zod; cross-references (fault targets, containers, claims,
 * namespaces, `at` within `duration`) are checked here. Problems that may be the very fault a scenario
 * stages (a Service selecting nothing) are warnings, not errors.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { closest, didYouMean } from '../../core/text.js';
import type { z } from 'zod';
import { InputError, type ValidationIssue } from '../../contracts/errors.js';
import { ROOT_CAUSE_TYPES } from '../../contracts/root-cause-taxonomy.js';
import { REMEDIATION_ACTION_IDS } from '../../contracts/remediation-actions.js';
import { TEMPLATE_MUTABLE_KINDS, durationMs, scenarioSchema, workloadLabels, type Scenario } from './schema.js';

/** One problem in a scenario file. */
export interface ScenarioIssue extends ValidationIssue {
  /** 1-based line in the file, when the path exists in it. */
  line?: number;
  /** What to do about it: `did you mean 'memory'?`, the closest root-cause ids. */
  hint?: string;
}

/** A scenario file is invalid; `issues` lists every problem with its path, line and hint. Code AETHERIUS_E_INPUT. */
export class ScenarioError extends InputError {
  override readonly issues: readonly ScenarioIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly ScenarioIssue[]) {
    super(`${source}: invalid scenario (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  - ${formatIssue(source, i)}`).join('\n')}`, issues);
    this.issues = issues;
    this.source = source;
  }
}

/** `checkout.yaml:12: spec.x.y: unknown key (did you mean 'z'?)` */
export function formatIssue(source: string, issue: ScenarioIssue): string {
  return `${issue.line !== undefined ? `${source}:${issue.line}: ` : ''}${issue.path}: ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}

export interface ParsedScenario {
  scenario: Scenario;
  /** Suspicious but possibly intended (the staged fault itself): printed, never fatal. */
  warnings: ScenarioIssue[];
}

/**
 * Parses a scenario.
 * @throws ScenarioError listing every problem.
 */
export function parseScenario(yamlText: string, source = 'scenario'): Scenario {
  return parseScenarioWithWarnings(yamlText, source).scenario;
}

/**
 * Parses a scenario and returns the warnings too.
 * @throws ScenarioError listing every problem.
 */
export function parseScenarioWithWarnings(yamlText: string, source = 'scenario'): ParsedScenario {
  const lc = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: ScenarioIssue[] = [];
  const warnings: ScenarioIssue[] = [];
  for (const err of doc.errors) {
    issues.push({ path: '(file)', line: lc.linePos(err.pos[0]).line, message: `YAML syntax error: ${err.message.split('\n')[0] ?? ''}` });
  }
  if (issues.length) throw new ScenarioError(source, issues);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ScenarioError(source, [{ path: '(root)', line: 1, message: 'must be a mapping with apiVersion, kind, metadata and spec' }]);
  }
  const at = (path: readonly PathSeg[]) => locate(doc, lc, path);

  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) issues.push(...fromZod(issue, raw, at));
  }
  crossCheck(raw, (path, message, hint) => issues.push({ path: formatPath(path), line: at(path), message, ...(hint ? { hint } : {}) }), (path, message, hint) =>
    warnings.push({ path: formatPath(path), line: at(path), message, ...(hint ? { hint } : {}) }),
  );

  if (issues.length || !result.success) {
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new ScenarioError(source, dedupe(issues));
  }
  return { scenario: result.data, warnings };
}

type PathSeg = string | number;

function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(root)';
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The line of the deepest node of `path` that exists (a key's own line for a mapping entry). */
function locate(doc: Document, lc: LineCounter, path: readonly PathSeg[]): number | undefined {
  let node: unknown = doc.contents;
  let line = rangeLine(node, lc);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      line = rangeLine(pair.key, lc) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!item) break;
      line = rangeLine(item, lc) ?? line;
      node = item;
    } else break;
  }
  return line;
}

function rangeLine(node: unknown, lc: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? lc.linePos(range[0]).line : undefined;
}

// ------------------------------------------------------------------------------------ zod → issues

function fromZod(issue: z.core.$ZodIssue, raw: unknown, at: (p: readonly PathSeg[]) => number | undefined): ScenarioIssue[] {
  const path = issue.path.filter((s): s is PathSeg => typeof s === 'string' || typeof s === 'number');
  const got = getIn(raw, path);
  const make = (p: readonly PathSeg[], message: string, hint?: string): ScenarioIssue => ({ path: formatPath(p), line: at(p), message, ...(hint ? { hint } : {}) });

  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(path, raw);
    return issue.keys.map((k) => make([...path, k], 'unknown key', suggestion(k, known) ?? (known.length ? `allowed keys: ${known.join(', ')}` : undefined)));
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
    if (got === undefined) return [make(path, `missing ${issue.discriminator}`, `one of ${options.join(', ')}`)];
    return [make(path, `unknown ${issue.discriminator} ${JSON.stringify(got)}`, suggestion(typeof got === 'string' ? got : JSON.stringify(got), options) ?? `one of ${options.join(', ')}`)];
  }
  if (issue.code === 'invalid_value') {
    const values = issue.values.map(String);
    const last = path[path.length - 1];
    const parent = path[path.length - 2];
    if (last === 'rootCause' || parent === 'acceptable') {
      return [make(path, `unknown root-cause id ${JSON.stringify(got)}`, `closest ids: ${closest(typeof got === 'string' ? got : JSON.stringify(got), ROOT_CAUSE_TYPES, 3).join(', ')}; every id is in docs/contracts.md`)];
    }
    if (last === 'remediation') {
      return [make(path, `unknown remediation action ${JSON.stringify(got)}`, `closest: ${closest(typeof got === 'string' ? got : JSON.stringify(got), REMEDIATION_ACTION_IDS, 3).join(', ')}`)];
    }
    if (got === undefined) return [make(path, 'missing required key', values.length <= 12 ? `one of ${values.join(', ')}` : undefined)];
    return [make(path, `must be one of ${values.join(', ')} (got ${JSON.stringify(got)})`, suggestion(typeof got === 'string' ? got : JSON.stringify(got), values))];
  }
  if (got === undefined && issue.code === 'invalid_type') return [make(path, 'missing required key')];
  return [make(path, `${issue.message} (got ${JSON.stringify(got) ?? 'nothing'})`)];
}

function getIn(value: unknown, path: readonly PathSeg[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  value?: unknown;
  values?: unknown[];
}

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(s: z.ZodType): z.ZodType {
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault' || d.type === 'readonly') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else break;
  }
  return s;
}

/** The schemas a path leads to (several through a union whose branch the data does not decide). */
function schemasAt(path: readonly PathSeg[], raw: unknown): z.ZodType[] {
  let current: z.ZodType[] = [scenarioSchema];
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as PathSeg;
    const data = getIn(raw, path.slice(0, i));
    current = current.flatMap((s) => step(unwrap(s), seg, data));
  }
  return current;
}

function step(s: z.ZodType, seg: PathSeg, data: unknown): z.ZodType[] {
  const d = defOf(s);
  if (d.type === 'object' && d.shape) return d.shape[String(seg)] ? [d.shape[String(seg)] as z.ZodType] : [];
  if (d.type === 'array' && d.element && typeof seg === 'number') return [d.element];
  if (d.type === 'record' && d.valueType) return [d.valueType];
  if (d.type === 'union' && d.options) return branches(d, data).flatMap((o) => step(unwrap(o), seg, data));
  return [];
}

function branches(d: Def, data: unknown): z.ZodType[] {
  const options = d.options ?? [];
  if (!d.discriminator || data === null || typeof data !== 'object') return options;
  const want = (data as Record<string, unknown>)[d.discriminator];
  const chosen = options.filter((o) => {
    const field = defOf(unwrap(o)).shape?.[d.discriminator as string];
    return field !== undefined && defOf(field).values?.includes(want) === true;
  });
  return chosen.length ? chosen : options;
}

function knownKeysAt(path: readonly PathSeg[], raw: unknown): string[] {
  const keys = new Set<string>();
  const data = getIn(raw, path);
  const collect = (s: z.ZodType) => {
    const d = defOf(unwrap(s));
    if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
    else if (d.type === 'union' && d.options) for (const o of branches(d, data)) collect(o);
  };
  for (const s of schemasAt(path, raw)) collect(s);
  return [...keys];
}

// ---------------------------------------------------------------------------------------- hints

function suggestion(word: string, candidates: readonly string[]): string | undefined {
  const best = didYouMean(word, candidates);
  return best === undefined ? undefined : `did you mean '${best}'?`;
}

// ----------------------------------------------------------------------------- cross-references

type Report = (path: PathSeg[], message: string, hint?: string) => void;

type Loose = Record<string, unknown>;

function obj(v: unknown): Loose {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function nsOf(v: Loose): string {
  return str(v['namespace']) ?? 'default';
}
function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
  return out;
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public'];
const CONTAINER_ACTIONS = new Set(['set-image', 'set-env', 'unset-env', 'set-resources', 'set-behavior', 'set-probe', 'add-error-logs']);
const TEMPLATE_ACTIONS = new Set(['set-image', 'set-env', 'unset-env', 'set-resources']);

/**
 * Checks what the schema cannot: names that must refer to each other. Runs on the raw document (even
 * when the schema failed), so one run reports everything; it skips what it cannot read.
 */
function crossCheck(raw: unknown, error: Report, warn: Report): void {
  const spec = obj(obj(raw)['spec']);
  const declaredNs = new Set([...BUILTIN_NAMESPACES, ...arr(spec['namespaces']).flatMap((n) => (typeof n === 'string' ? [n] : []))]);
  const checkNs = (path: PathSeg[], ns: string) => {
    if (!declaredNs.has(ns)) error(path, `namespace "${ns}" is not declared in spec.namespaces`, suggestion(ns, [...declaredNs]) ?? `add it to spec.namespaces`);
  };

  // Names per kind, for duplicates and references.
  const names = new Map<string, Set<string>>();
  const register = (kind: string, key: string, path: PathSeg[]) => {
    const set = names.get(kind) ?? new Set<string>();
    names.set(kind, set);
    if (set.has(key)) error(path, `duplicate ${kind} ${key}`);
    set.add(key);
  };
  const has = (kind: string, key: string) => names.get(kind)?.has(key) ?? false;
  const namesIn = (kind: string, ns: string) => [...(names.get(kind) ?? [])].filter((k) => k.startsWith(`${ns}/`)).map((k) => k.slice(ns.length + 1));

  arr(spec['nodes']).forEach((n, i) => {
    const nm = str(obj(n)['name']);
    if (nm) register('Node', nm, ['spec', 'nodes', i, 'name']);
  });
  const simple: [string, string][] = [
    ['configMaps', 'ConfigMap'],
    ['secrets', 'Secret'],
    ['persistentVolumeClaims', 'PersistentVolumeClaim'],
    ['resourceQuotas', 'ResourceQuota'],
    ['networkPolicies', 'NetworkPolicy'],
    ['services', 'Service'],
  ];
  for (const [field, kind] of simple) {
    arr(spec[field]).forEach((item, i) => {
      const o = obj(item);
      const nm = str(o['name']);
      checkNs(['spec', field, i, 'namespace'], nsOf(o));
      if (nm) register(kind, `${nsOf(o)}/${nm}`, ['spec', field, i, 'name']);
    });
  }
  arr(spec['storageClasses']).forEach((sc, i) => {
    const nm = str(obj(sc)['name']);
    if (nm) register('StorageClass', nm, ['spec', 'storageClasses', i, 'name']);
  });
  if (arr(spec['storageClasses']).filter((sc) => obj(sc)['default'] === true).length > 1) error(['spec', 'storageClasses'], 'more than one storage class is marked default');

  // Workloads.
  const workloads = new Map<string, { w: Loose; index: number; containers: string[] }>();
  arr(spec['workloads']).forEach((item, i) => {
    const w = obj(item);
    const base: PathSeg[] = ['spec', 'workloads', i];
    const kind = str(w['kind']) ?? '?';
    const nm = str(w['name']);
    const ns = nsOf(w);
    checkNs([...base, 'namespace'], ns);
    if (nm) register(kind, `${ns}/${nm}`, [...base, 'name']);
    const containers = arr(w['containers']).map((c) => str(obj(c)['name']) ?? '');
    workloads.set(`${kind}/${ns}/${nm ?? ''}`, { w, index: i, containers });
    checkWorkloadFields(w, kind, base, error);

    const volumes = new Set(arr(w['volumes']).map((v) => str(obj(v)['name']) ?? ''));
    const templates = new Set(arr(w['volumeClaimTemplates']).map((v) => str(obj(v)['name']) ?? ''));
    const seenVol = new Set<string>();
    arr(w['volumes']).forEach((v, vi) => {
      const vo = obj(v);
      const vn = str(vo['name']) ?? '';
      if (seenVol.has(vn)) error([...base, 'volumes', vi, 'name'], `duplicate volume "${vn}"`);
      seenVol.add(vn);
      const claim = str(obj(vo['persistentVolumeClaim'])['claimName']);
      if (claim && !arr(spec['persistentVolumeClaims']).some((p) => str(obj(p)['name']) === claim && nsOf(obj(p)) === ns)) {
        error([...base, 'volumes', vi, 'persistentVolumeClaim', 'claimName'], `no PersistentVolumeClaim "${claim}" in namespace ${ns} in spec.persistentVolumeClaims`, suggestion(claim, namesIn('PersistentVolumeClaim', ns)));
      }
    });
    const seenContainer = new Set<string>();
    arr(w['containers']).forEach((c, ci) => {
      const co = obj(c);
      const cn = str(co['name']) ?? '';
      if (seenContainer.has(cn)) error([...base, 'containers', ci, 'name'], `duplicate container name "${cn}"`);
      seenContainer.add(cn);
      const mountable = [...volumes, ...templates];
      arr(co['volumeMounts']).forEach((m, mi) => {
        const mn = str(obj(m)['name']);
        if (mn && !mountable.includes(mn)) error([...base, 'containers', ci, 'volumeMounts', mi, 'name'], `no volume "${mn}" in this workload`, suggestion(mn, mountable) ?? `volumes: ${mountable.join(', ') || 'none'}`);
      });
      const behavior = obj(co['behavior']);
      const disk = str(obj(behavior['disk'])['volume']);
      if (disk && !mountable.includes(disk)) error([...base, 'containers', ci, 'behavior', 'disk', 'volume'], `no volume "${disk}" in this workload`, suggestion(disk, mountable) ?? `volumes: ${mountable.join(', ') || 'none'}`);
      arr(behavior['dependsOn']).forEach((dep, di) => {
        const d = obj(dep);
        const svc = str(d['service']);
        const dns = str(d['namespace']) ?? ns;
        if (svc && !has('Service', `${dns}/${svc}`)) {
          warn([...base, 'containers', ci, 'behavior', 'dependsOn', di, 'service'], `no Service "${svc}" in namespace ${dns}: the container will never find it`, suggestion(svc, namesIn('Service', dns)));
        }
      });
    });
  });

  // Services that select nothing may be the staged fault: warn.
  arr(spec['services']).forEach((s, i) => {
    const so = obj(s);
    const selector = strMap(so['selector']);
    if (!Object.keys(selector).length) return;
    const ns = nsOf(so);
    const matching = arr(spec['workloads']).filter((w) => {
      const wo = obj(w);
      if (nsOf(wo) !== ns) return false;
      const labels = wo['labels'] === undefined ? workloadLabels({ name: str(wo['name']) ?? '' }) : strMap(wo['labels']);
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    if (!matching.length) warn(['spec', 'services', i, 'selector'], `selects no workload in namespace ${ns}: the Service will have no endpoints`);
  });

  // Faults.
  const total = typeof spec['duration'] === 'string' ? safeDuration(spec['duration']) : undefined;
  arr(spec['faults']).forEach((f, i) => {
    const fo = obj(f);
    const base: PathSeg[] = ['spec', 'faults', i];
    const atMs = typeof fo['at'] === 'string' ? safeDuration(fo['at']) : undefined;
    if (atMs !== undefined && total !== undefined && atMs >= total) error([...base, 'at'], `is at or after the end of the run (duration ${String(spec['duration'])})`, 'a fault must happen before the scenario ends');
    const action = str(fo['action']) ?? '';
    const t = obj(fo['target']);
    const kind = str(t['kind']);
    const nm = str(t['name']);
    if (!kind || !nm) return;
    if (kind === 'Node') {
      if (!has('Node', nm)) error([...base, 'target', 'name'], `no node "${nm}" in spec.nodes`, suggestion(nm, [...(names.get('Node') ?? [])]));
      return;
    }
    const ns = nsOf(t);
    checkNs([...base, 'target', 'namespace'], ns);
    if (kind === 'Service' || kind === 'ConfigMap' || kind === 'Secret') {
      if (!has(kind, `${ns}/${nm}`)) error([...base, 'target', 'name'], `no ${kind} "${nm}" in namespace ${ns}`, suggestion(nm, namesIn(kind, ns)));
      return;
    }
    const found = workloads.get(`${kind}/${ns}/${nm}`);
    if (!found) {
      const sameName = [...workloads.keys()].filter((k) => k.endsWith(`/${nm}`));
      error([...base, 'target', 'name'], `no ${kind} "${nm}" in namespace ${ns} in spec.workloads`, sameName.length ? `found ${sameName.join(', ')}` : suggestion(nm, namesIn(kind, ns)));
      return;
    }
    const container = str(t['container']);
    if (container !== undefined && !found.containers.includes(container)) {
      error([...base, 'target', 'container'], `no container "${container}" in ${kind} ${ns}/${nm}`, suggestion(container, found.containers) ?? `containers: ${found.containers.join(', ')}`);
    }
    if (container === undefined && CONTAINER_ACTIONS.has(action) && found.containers.length > 1) {
      error([...base, 'target'], `target.container is required: ${kind} ${ns}/${nm} has containers ${found.containers.join(', ')}`);
    }
    if (TEMPLATE_ACTIONS.has(action) && !TEMPLATE_MUTABLE_KINDS.includes(kind as never)) {
      error([...base, 'action'], `${action} changes the pod template, which is immutable for a ${kind}`, 'target a Deployment, StatefulSet, DaemonSet or CronJob');
    }
    if (action === 'scale' && kind !== 'Deployment' && kind !== 'StatefulSet' && kind !== 'Job') error([...base, 'target', 'kind'], `a ${kind} cannot be scaled`, 'scale a Deployment, StatefulSet or Job');
  });

  // Expectations.
  const ex = obj(spec['expect']);
  if (spec['expect'] !== undefined) {
    const healthy = ex['healthy'] === true;
    if (healthy && ex['rootCause'] !== undefined) error(['spec', 'expect', 'rootCause'], 'a healthy scenario has no root cause', 'remove rootCause or set healthy: false');
    if (healthy && arr(ex['acceptable']).length) error(['spec', 'expect', 'acceptable'], 'a healthy scenario has no acceptable root causes');
    if (!healthy && ex['rootCause'] === undefined) error(['spec', 'expect'], 'rootCause is required unless healthy: true', 'an id from the root-cause taxonomy, e.g. OOMKilled');
    if (typeof ex['rootCause'] === 'string' && arr(ex['acceptable']).includes(ex['rootCause'])) warn(['spec', 'expect', 'acceptable'], 'repeats rootCause');
    const r = obj(ex['resource']);
    const kind = str(r['kind']);
    const nm = str(r['name']);
    if (kind && nm) {
      const clusterScoped = kind === 'Node' || kind === 'StorageClass';
      const key = clusterScoped ? nm : `${str(r['namespace']) ?? 'default'}/${nm}`;
      const known = kind === 'HorizontalPodAutoscaler' ? hpaNames(spec) : names.get(kind);
      if (known && !known.has(key)) {
        error(['spec', 'expect', 'resource', 'name'], `no ${kind} "${key}" in this scenario`, suggestion(key, [...known]));
      } else if (!known) error(['spec', 'expect', 'resource', 'name'], `no ${kind} "${key}" in this scenario`);
    }
  }
}

function hpaNames(spec: Loose): Set<string> {
  return new Set(arr(spec['workloads']).filter((w) => obj(w)['hpa'] !== undefined).map((w) => `${nsOf(obj(w))}/${str(obj(w)['name']) ?? ''}`));
}

function safeDuration(text: string): number | undefined {
  try {
    return durationMs(text);
  } catch {
    return undefined;
  }
}

function checkWorkloadFields(w: Loose, kind: string, base: PathSeg[], error: Report): void {
  const only = (field: string, kinds: string[]) => {
    if (w[field] !== undefined && !kinds.includes(kind)) error([...base, field], `only applies to ${kinds.join(' and ')}, not to a ${kind}`);
  };
  only('hpa', ['Deployment', 'StatefulSet']);
  only('backoffLimit', ['Job', 'CronJob']);
  only('completions', ['Job', 'CronJob']);
  only('parallelism', ['Job', 'CronJob']);
  only('activeDeadlineSeconds', ['Job', 'CronJob']);
  only('schedule', ['CronJob']);
  only('volumeClaimTemplates', ['StatefulSet']);
  only('strategy', ['Deployment']);
  only('progressDeadlineSeconds', ['Deployment']);
  if (kind === 'DaemonSet' && w['replicas'] !== undefined) error([...base, 'replicas'], 'a DaemonSet runs one pod per eligible node; remove replicas');
  if (kind === 'CronJob' && w['schedule'] === undefined) error([...base], 'a CronJob needs a schedule', "e.g. schedule: '*/5 * * * *'");
  const policy = str(w['restartPolicy']);
  if (policy === 'Always' && (kind === 'Job' || kind === 'CronJob')) error([...base, 'restartPolicy'], `a ${kind} needs restartPolicy OnFailure or Never`);
  if (policy && policy !== 'Always' && kind !== 'Job' && kind !== 'CronJob') error([...base, 'restartPolicy'], `a ${kind} only supports restartPolicy Always`);
  const hpa = obj(w['hpa']);
  if (typeof hpa['minReplicas'] === 'number' && typeof hpa['maxReplicas'] === 'number' && hpa['minReplicas'] > hpa['maxReplicas']) {
    error([...base, 'hpa', 'minReplicas'], `is greater than maxReplicas (${hpa['maxReplicas']})`);
  }
}
