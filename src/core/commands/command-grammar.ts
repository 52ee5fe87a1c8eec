/**
 * The argument grammar of agent commands: a small, closed subset of kubectl. Every argument is
 * checked character by character and then against the pattern of its position, so what reaches the
 * Kubernetes API is a typed request, never text. Nothing here runs a shell; the character checks exist
 * so that an injection attempt gets a sentence naming it instead of a generic pattern mismatch.
 */
import { InputError } from '../../contracts/errors.js';
import { parseDuration } from '../../contracts/common.js';
import { KUBE_RESOURCES, type KubeResourceKey } from '../kube/kube-api.js';
import { parseQuantity } from '../kube/units.js';
import { isWriteAction, type CommandAction } from './command-policy.js';

export const MAX_ARGS = 16;
export const MAX_ARG_CHARS = 1024;
export const MAX_TAIL_LINES = 10_000;
export const MAX_LIMIT_BYTES = 64 * 1024 * 1024;
export const MAX_SINCE_MS = 7 * 24 * 3_600_000;
export const MAX_REPLICAS = 1000;
export const MAX_GRACE_PERIOD_SECONDS = 3600;
export const DEFAULT_NAMESPACE = 'default';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const SHELL_META = /[;|&$`<>(){}\\'"*?[\]#~\s]/;

/** kubectl's names for each kind the agent may address, canonical plural first. */
const KIND_ALIASES: readonly (readonly [KubeResourceKey, ...string[]])[] = [
  ['pods', 'pod', 'po'],
  ['deployments', 'deployment', 'deploy'],
  ['replicasets', 'replicaset', 'rs'],
  ['statefulsets', 'statefulset', 'sts'],
  ['daemonsets', 'daemonset', 'ds'],
  ['jobs', 'job'],
  ['cronjobs', 'cronjob', 'cj'],
  ['nodes', 'node', 'no'],
  ['services', 'service', 'svc'],
  ['endpoints', 'ep'],
  ['configmaps', 'configmap', 'cm'],
  ['persistentvolumeclaims', 'persistentvolumeclaim', 'pvc'],
  ['persistentvolumes', 'persistentvolume', 'pv'],
  ['horizontalpodautoscalers', 'horizontalpodautoscaler', 'hpa'],
  ['namespaces', 'namespace', 'ns'],
  ['events', 'event', 'ev'],
];
const KIND_BY_ALIAS = new Map<string, KubeResourceKey>(KIND_ALIASES.flatMap(([key, ...rest]) => [key, ...rest].map((a) => [a, key] as const)));
export const KNOWN_KINDS: readonly KubeResourceKey[] = KIND_ALIASES.map(([key]) => key);

/** Field selectors `get` accepts, per kind: the ones the API server indexes and that mean something to a diagnosis. */
const FIELD_SELECTORS: Partial<Record<KubeResourceKey, readonly string[]>> = {
  pods: ['spec.nodeName', 'status.phase', 'status.podIP', 'spec.restartPolicy'],
  events: ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type', 'source'],
  nodes: ['spec.unschedulable'],
  namespaces: ['status.phase'],
  replicasets: ['status.replicas'],
  jobs: ['status.successful'],
};
const COMMON_FIELD_SELECTORS = ['metadata.name', 'metadata.namespace'];

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';
export type EventType = 'Normal' | 'Warning';

export interface ObjectTarget {
  resource: KubeResourceKey;
  name: string;
}

export type ParsedCommand =
  | { action: 'logs'; namespace: string; pod: string; container?: string; previous: boolean; tailLines?: number; sinceSeconds?: number; timestamps: boolean; limitBytes?: number }
  | { action: 'describe'; namespace: string; resource: KubeResourceKey; name: string }
  | { action: 'get'; namespace: string; allNamespaces: boolean; resource: KubeResourceKey; name?: string; output: OutputFormat; labelSelector?: string; fieldSelector?: string }
  | { action: 'events'; namespace: string; allNamespaces: boolean; for?: ObjectTarget; types: EventType[] }
  | { action: 'top'; namespace: string; allNamespaces: boolean; resource: 'pods' | 'nodes'; name?: string; containers: boolean; labelSelector?: string }
  | { action: 'scale'; namespace: string; resource: 'deployments' | 'statefulsets' | 'replicasets'; name: string; replicas: number }
  | { action: 'patch-resources'; namespace: string; resource: 'deployments' | 'statefulsets' | 'daemonsets'; name: string; container: string; limits?: Record<string, string>; requests?: Record<string, string> }
  | { action: 'rollout-undo'; namespace: string; resource: 'deployments'; name: string; toRevision?: number }
  | { action: 'delete-pod'; namespace: string; resource: 'pods'; name: string }
  | { action: 'cordon' | 'uncordon'; resource: 'nodes'; name: string }
  | { action: 'drain'; resource: 'nodes'; name: string; ignoreDaemonsets: boolean; force: boolean; deleteEmptydirData: boolean; gracePeriodSeconds?: number };

export type WriteCommand = Extract<ParsedCommand, { action: 'scale' | 'patch-resources' | 'rollout-undo' | 'delete-pod' | 'cordon' | 'uncordon' | 'drain' }>;

/** A value shown in an error: quoted, cut short so a 1 MB argument is not echoed back. */
export function quoteArg(value: string): string {
  // JSON escaping makes control characters visible (\u0000, \n) instead of corrupting the message.
  const quoted = JSON.stringify(value.slice(0, 48)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > 48 ? `${quoted}...` : quoted;
}

function fail(path: string, message: string): never {
  throw new InputError(message, [{ path, message }]);
}

function argFail(index: number, value: string, problem: string): never {
  fail(`args.${index}`, `args[${index}] ${quoteArg(value)}: ${problem}`);
}

/** The first problem with the characters of `text`, or undefined. Shared by arguments and the namespace field. */
export function characterProblem(text: string): string | undefined {
  if (text === '') return 'must not be empty';
  if (text.length > MAX_ARG_CHARS) return `is ${text.length} characters long; at most ${MAX_ARG_CHARS} are allowed`;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const hex = cp.toString(16).toUpperCase().padStart(4, '0');
    if (cp < 0x20 || cp === 0x7f) return `contains the control character U+${hex}; control characters (NUL, newline, escape) are refused`;
    if (cp > 0x7e) return `contains the non-ASCII character U+${hex}; names are ASCII only, so look-alike letters are refused`;
  }
  const meta = SHELL_META.exec(text);
  if (meta) return `contains ${meta[0].trim() === '' ? 'whitespace' : JSON.stringify(meta[0])}, a shell metacharacter; commands never run in a shell and such characters are refused`;
  if (text.includes('..')) return 'contains "..", a path traversal; it is refused everywhere';
  if (text.includes('%')) return 'contains "%"; URL-encoded characters are refused';
  return undefined;
}

/** A DNS-1123 subdomain (most object names). */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/** A DNS-1123 label (namespaces, container names). */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

function nameProblem(name: string, what: string, label: boolean): string | undefined {
  const max = label ? 63 : 253;
  if (name.length > max) return `${what} is ${name.length} characters long; at most ${max} are allowed`;
  if (name.includes('/')) return `${what} must not contain "/"`;
  if (!(label ? DNS_LABEL : DNS_SUBDOMAIN).test(name)) {
    return label
      ? `${what} must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit`
      : `${what} must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Checks the command's `namespace` field.
 * @throws InputError (path `namespace`) when it is not a DNS-1123 label.
 */
export function checkNamespace(namespace: string): void {
  const chars = characterProblem(namespace);
  if (chars) fail('namespace', `namespace ${quoteArg(namespace)}: ${chars}`);
  const problem = nameProblem(namespace, 'a namespace', true);
  if (problem) fail('namespace', `namespace ${quoteArg(namespace)}: ${problem}`);
}

/** The canonical resource key of a kind name as kubectl spells it (`po`, `deploy`, `pods`), or undefined. */
export function lookupKind(text: string): KubeResourceKey | undefined {
  // kubectl matches resource names case-insensitively (`Pod`, `pods`).
  return KIND_BY_ALIAS.get(text.toLowerCase());
}

function kindOf(index: number, text: string, allowed?: readonly KubeResourceKey[]): KubeResourceKey {
  if (/^secrets?$/i.test(text) || /^secrets?\./i.test(text)) argFail(index, text, 'secrets are never readable through the agent');
  const key = lookupKind(text);
  if (key === undefined) argFail(index, text, `unknown resource type; known: ${KNOWN_KINDS.join(', ')}`);
  if (allowed && !allowed.includes(key)) argFail(index, text, `this action accepts only ${allowed.join(', ')}`);
  return key;
}

function nameOf(index: number, value: string, resource: KubeResourceKey): string {
  const what = resource === 'namespaces' ? 'a namespace name' : `a ${KUBE_RESOURCES[resource].kind} name`;
  const problem = nameProblem(value, what, resource === 'namespaces');
  if (problem) argFail(index, value, problem);
  return value;
}

// ---- flags ---------------------------------------------------------------------------------------

interface FlagSpec {
  /** The key the value is stored under. */
  key: string;
  /** `--tail`, `-p`. */
  names: readonly string[];
  bool?: boolean;
}

interface Token {
  value: string;
  index: number;
}

interface ParsedArgs {
  flags: Map<string, Token & { name: string }>;
  positionals: Token[];
}

const NAMESPACE_FLAG: FlagSpec = { key: 'namespace', names: ['-n', '--namespace'] };

function tokenize(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const flags = new Map<string, Token & { name: string }>();
  const positionals: Token[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) {
      positionals.push({ value: arg, index: i });
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) {
      const known = specs.flatMap((s) => s.names).join(', ');
      argFail(i, arg, `unknown flag ${quoteArg(name)}; this action accepts ${known || 'no flags'}`);
    }
    const previous = flags.get(spec.key);
    if (previous) argFail(i, arg, `${name} is given twice (also args[${previous.index}] ${quoteArg(previous.value)}); give each flag once`);
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
      if (spec.bool && value !== 'true' && value !== 'false') argFail(i, arg, `${name} takes no value other than true or false`);
      if (!spec.bool && value === '') argFail(i, arg, `${name} needs a value`);
    } else if (spec.bool) {
      value = 'true';
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) argFail(i, arg, `${name} needs a value (${name}=VALUE or ${name} VALUE)`);
      value = next;
      i++;
    }
    flags.set(spec.key, { name, value, index: i });
  }
  return { flags, positionals };
}

function intFlag(flag: (Token & { name: string }) | undefined, min: number, max: number): number | undefined {
  if (!flag) return undefined;
  if (!/^\d{1,10}$/.test(flag.value) || Number(flag.value) < min || Number(flag.value) > max) {
    argFail(flag.index, flag.value, `${flag.name} must be a whole number from ${min} to ${max}`);
  }
  return Number(flag.value);
}

function boolFlag(flag: (Token & { name: string }) | undefined): boolean {
  return flag?.value === 'true';
}

/** `kind/name`, or `kind` followed by `name`, as kubectl accepts them; the first positional is at `positionals[0]`. */
function objectArgs(positionals: Token[], allowed: readonly KubeResourceKey[], what: string): ObjectTarget & { rest: Token[] } {
  const [first, ...rest] = positionals;
  if (!first) fail('args', `args: ${what} is missing: give KIND/NAME or KIND NAME (KIND one of ${allowed.join(', ')})`);
  const slash = first.value.indexOf('/');
  if (slash !== -1) {
    if (first.value.indexOf('/', slash + 1) !== -1) argFail(first.index, first.value, 'expected KIND/NAME with a single "/"');
    const resource = kindOf(first.index, first.value.slice(0, slash), allowed);
    const name = first.value.slice(slash + 1);
    return { resource, name: nameOf(first.index, name, resource), rest };
  }
  const resource = kindOf(first.index, first.value, allowed);
  const second = rest.shift();
  if (!second) fail('args', `args: ${what} needs a name after ${quoteArg(first.value)}`);
  return { resource, name: nameOf(second.index, second.value, resource), rest };
}

/** A bare `NAME` or `kind/NAME` of one fixed kind (`delete-pod pod/x`, `cordon node/x`). */
function singleName(positionals: Token[], resource: KubeResourceKey, what: string): string {
  const [first, ...rest] = positionals;
  if (!first) fail('args', `args: ${what} is missing`);
  if (rest[0]) argFail(rest[0].index, rest[0].value, `unexpected argument; this action takes exactly one ${what}`);
  const slash = first.value.indexOf('/');
  if (slash !== -1) {
    kindOf(first.index, first.value.slice(0, slash), [resource]);
    return nameOf(first.index, first.value.slice(slash + 1), resource);
  }
  return nameOf(first.index, first.value, resource);
}

function noMore(rest: Token[]): void {
  const extra = rest[0];
  if (extra) argFail(extra.index, extra.value, 'unexpected argument');
}

/**
 * An equality-based label selector: `app=web,tier!=db,!canary,release`. Set-based forms (`in (a,b)`)
 * need parentheses and spaces, which are refused everywhere, so they are not accepted.
 */
export function labelSelectorProblem(selector: string): string | undefined {
  const parts = selector.split(',');
  if (parts.length > 20) return 'a label selector may have at most 20 requirements';
  for (const part of parts) {
    const m = /^(!?)([^=!]+)(?:(==|=|!=)(.*))?$/.exec(part);
    if (!m) return `${quoteArg(part)} is not a label requirement (key, !key, key=value, key==value or key!=value)`;
    const [, not, key = '', op, value] = m;
    if (not && op) return `${quoteArg(part)}: "!" (does not exist) takes no value`;
    const slash = key.indexOf('/');
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = slash === -1 ? key : key.slice(slash + 1);
    if (prefix !== undefined && !isDnsSubdomain(prefix)) return `label key prefix ${quoteArg(prefix)} must be a DNS-1123 subdomain`;
    if (name.length > 63 || !LABEL_NAME.test(name)) return `label key ${quoteArg(key)} must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
    if (value !== undefined && value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
      return `label value ${quoteArg(value)} must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
    }
  }
  return undefined;
}

function fieldSelectorProblem(selector: string, resource: KubeResourceKey): string | undefined {
  const allowed = [...COMMON_FIELD_SELECTORS, ...(FIELD_SELECTORS[resource] ?? [])];
  for (const part of selector.split(',')) {
    const m = /^([A-Za-z.]+)(==|=|!=)([A-Za-z0-9._:-]*)$/.exec(part);
    if (!m) return `${quoteArg(part)} is not a field requirement (field=value or field!=value)`;
    if (!allowed.includes(m[1] ?? '')) return `field ${quoteArg(m[1] ?? '')} is not selectable on ${resource}; allowed: ${allowed.join(', ')}`;
  }
  return undefined;
}

function selectorFlag(flag: (Token & { name: string }) | undefined): string | undefined {
  if (!flag) return undefined;
  const problem = labelSelectorProblem(flag.value);
  if (problem) argFail(flag.index, flag.value, `${flag.name}: ${problem}`);
  return flag.value;
}

/** `cpu=500m,memory=256Mi` into a map of validated quantities. */
function resourceList(flag: Token & { name: string }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of flag.value.split(',')) {
    const m = /^(cpu|memory|ephemeral-storage)=(.+)$/.exec(part);
    if (!m) argFail(flag.index, flag.value, `${flag.name}: ${quoteArg(part)} must be cpu=QUANTITY, memory=QUANTITY or ephemeral-storage=QUANTITY`);
    const [, resource = '', quantity = ''] = m;
    if (resource in out) argFail(flag.index, flag.value, `${flag.name}: ${resource} is given twice`);
    const n = parseQuantity(quantity);
    if (n === undefined || !/^\d/.test(quantity) || /[eE]/.test(quantity)) {
      argFail(flag.index, flag.value, `${flag.name}: ${quoteArg(quantity)} is not a quantity such as 500m, 2, 256Mi or 1Gi`);
    }
    const max = resource === 'cpu' ? 1024 : 2 ** 50;
    if (n <= 0 || n > max) argFail(flag.index, flag.value, `${flag.name}: ${resource} ${quantity} is out of range (above 0, at most ${resource === 'cpu' ? '1024 cores' : '1Pi'})`);
    out[resource] = quantity;
  }
  return out;
}

function namespaceOf(field: string | undefined, flag: (Token & { name: string }) | undefined): string {
  if (flag) {
    const problem = characterProblem(flag.value) ?? nameProblem(flag.value, 'a namespace', true);
    if (problem) argFail(flag.index, flag.value, `${flag.name}: ${problem}`);
    if (field !== undefined && field !== flag.value) argFail(flag.index, flag.value, `${flag.name} ${flag.value} conflicts with the command's namespace field ${quoteArg(field)}`);
    return flag.value;
  }
  return field ?? DEFAULT_NAMESPACE;
}

function sinceSeconds(flag: (Token & { name: string }) | undefined): number | undefined {
  if (!flag) return undefined;
  let ms: number;
  try {
    ms = /^(\d+(\.\d+)?(s|m|h))+$/.test(flag.value) ? parseDuration(flag.value) : NaN;
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms)) argFail(flag.index, flag.value, `${flag.name} must be a duration such as 30s, 5m or 1h30m`);
  if (ms < 1000 || ms > MAX_SINCE_MS) argFail(flag.index, flag.value, `${flag.name} must be between 1s and 168h (7 days)`);
  return Math.ceil(ms / 1000);
}

// ---- actions -------------------------------------------------------------------------------------

type Parser = (args: readonly string[], namespace: string | undefined) => ParsedCommand;

const PARSERS: Record<CommandAction, Parser> = {
  logs(args, ns) {
    const { flags, positionals } = tokenize(args, [
      NAMESPACE_FLAG,
      { key: 'tail', names: ['--tail'] },
      { key: 'previous', names: ['--previous', '-p'], bool: true },
      { key: 'container', names: ['--container', '-c'] },
      { key: 'since', names: ['--since'] },
      { key: 'timestamps', names: ['--timestamps'], bool: true },
      { key: 'limitBytes', names: ['--limit-bytes'] },
    ]);
    const pod = singleName(positionals.slice(0, 1), 'pods', 'pod name');
    const containerFlag = flags.get('container');
    let container: string | undefined;
    const positionalContainer = positionals[1];
    noMore(positionals.slice(2));
    if (positionalContainer && containerFlag) argFail(positionalContainer.index, positionalContainer.value, `conflicts with ${containerFlag.name}; name the container once`);
    const c = containerFlag ?? positionalContainer;
    if (c) {
      const problem = nameProblem(c.value, 'a container name', true);
      if (problem) argFail(c.index, c.value, problem);
      container = c.value;
    }
    const tailLines = intFlag(flags.get('tail'), 1, MAX_TAIL_LINES);
    const since = sinceSeconds(flags.get('since'));
    const limitBytes = intFlag(flags.get('limitBytes'), 1, MAX_LIMIT_BYTES);
    return {
      action: 'logs',
      namespace: namespaceOf(ns, flags.get('namespace')),
      pod,
      ...(container !== undefined ? { container } : {}),
      previous: boolFlag(flags.get('previous')),
      ...(tailLines !== undefined ? { tailLines } : {}),
      ...(since !== undefined ? { sinceSeconds: since } : {}),
      timestamps: boolFlag(flags.get('timestamps')),
      ...(limitBytes !== undefined ? { limitBytes } : {}),
    };
  },

  describe(args, ns) {
    const { flags, positionals } = tokenize(args, [NAMESPACE_FLAG]);
    const { resource, name, rest } = objectArgs(positionals, KNOWN_KINDS, 'the object to describe');
    noMore(rest);
    return { action: 'describe', namespace: namespaceOf(ns, flags.get('namespace')), resource, name };
  },

  get(args, ns) {
    const { flags, positionals } = tokenize(args, [
      NAMESPACE_FLAG,
      { key: 'output', names: ['-o', '--output'] },
      { key: 'selector', names: ['-l', '--selector'] },
      { key: 'fieldSelector', names: ['--field-selector'] },
      { key: 'all', names: ['-A', '--all-namespaces'], bool: true },
    ]);
    const [first, ...rest] = positionals;
    if (!first) fail('args', 'args: the resource type is missing: get KIND [NAME] or get KIND/NAME');
    let resource: KubeResourceKey;
    let name: string | undefined;
    if (first.value.includes('/')) {
      const t = objectArgs([first], KNOWN_KINDS, 'the object');
      resource = t.resource;
      name = t.name;
    } else {
      resource = kindOf(first.index, first.value);
      const n = rest.shift();
      if (n) name = nameOf(n.index, n.value, resource);
    }
    noMore(rest);
    const outputFlag = flags.get('output');
    const output = (outputFlag?.value ?? 'table') as OutputFormat;
    if (outputFlag && !['json', 'yaml', 'wide', 'name', 'table'].includes(outputFlag.value)) {
      argFail(outputFlag.index, outputFlag.value, `${outputFlag.name} must be one of json, yaml, wide, name, table`);
    }
    const labelSelector = selectorFlag(flags.get('selector'));
    const fs = flags.get('fieldSelector');
    if (fs) {
      const problem = fieldSelectorProblem(fs.value, resource);
      if (problem) argFail(fs.index, fs.value, `${fs.name}: ${problem}`);
    }
    const all = flags.get('all');
    if (all && boolFlag(all)) {
      if (name !== undefined) argFail(all.index, all.value, `${all.name} cannot be combined with an object name`);
      const nsFlag = flags.get('namespace');
      if (nsFlag) argFail(all.index, all.value, `${all.name} conflicts with ${nsFlag.name}`);
    }
    if (name !== undefined && (labelSelector !== undefined || fs)) {
      const f = flags.get('selector') ?? fs;
      if (f) argFail(f.index, f.value, `${f.name} cannot be combined with an object name`);
    }
    return {
      action: 'get',
      namespace: namespaceOf(ns, flags.get('namespace')),
      allNamespaces: boolFlag(all),
      resource,
      ...(name !== undefined ? { name } : {}),
      output,
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(fs ? { fieldSelector: fs.value } : {}),
    };
  },

  events(args, ns) {
    const { flags, positionals } = tokenize(args, [
      NAMESPACE_FLAG,
      { key: 'for', names: ['--for'] },
      { key: 'types', names: ['--types'] },
      { key: 'all', names: ['-A', '--all-namespaces'], bool: true },
    ]);
    noMore(positionals);
    const forFlag = flags.get('for');
    let target: ObjectTarget | undefined;
    if (forFlag) {
      if (!forFlag.value.includes('/')) argFail(forFlag.index, forFlag.value, `${forFlag.name} must be KIND/NAME, e.g. pod/web-0`);
      const t = objectArgs([{ value: forFlag.value, index: forFlag.index }], KNOWN_KINDS, 'the object');
      target = { resource: t.resource, name: t.name };
    }
    const typesFlag = flags.get('types');
    const types: EventType[] = [];
    if (typesFlag) {
      for (const t of typesFlag.value.split(',')) {
        if (t !== 'Normal' && t !== 'Warning') argFail(typesFlag.index, typesFlag.value, `${typesFlag.name}: ${quoteArg(t)} must be Normal or Warning`);
        if (types.includes(t)) argFail(typesFlag.index, typesFlag.value, `${typesFlag.name}: ${t} is given twice`);
        types.push(t);
      }
    }
    const all = flags.get('all');
    if (all && boolFlag(all)) {
      const nsFlag = flags.get('namespace');
      if (nsFlag) argFail(all.index, all.value, `${all.name} conflicts with ${nsFlag.name}`);
      if (forFlag) argFail(all.index, all.value, `${all.name} conflicts with ${forFlag.name}`);
    }
    return { action: 'events', namespace: namespaceOf(ns, flags.get('namespace')), allNamespaces: boolFlag(all), ...(target ? { for: target } : {}), types };
  },

  top(args, ns) {
    const { flags, positionals } = tokenize(args, [
      NAMESPACE_FLAG,
      { key: 'containers', names: ['--containers'], bool: true },
      { key: 'selector', names: ['-l', '--selector'] },
      { key: 'all', names: ['-A', '--all-namespaces'], bool: true },
    ]);
    const [first, second, ...rest] = positionals;
    if (!first) fail('args', 'args: top needs pods or nodes');
    const resource = kindOf(first.index, first.value, ['pods', 'nodes']) as 'pods' | 'nodes';
    const name = second ? nameOf(second.index, second.value, resource) : undefined;
    noMore(rest);
    const containers = flags.get('containers');
    if (resource === 'nodes') {
      for (const key of ['containers', 'all', 'namespace'] as const) {
        const f = flags.get(key);
        if (f) argFail(f.index, f.value, `${f.name} applies to top pods only`);
      }
    }
    const labelSelector = selectorFlag(flags.get('selector'));
    const all = flags.get('all');
    if (all && boolFlag(all) && name !== undefined) argFail(all.index, all.value, `${all.name} cannot be combined with a pod name`);
    if (name !== undefined && labelSelector !== undefined) {
      const f = flags.get('selector');
      if (f) argFail(f.index, f.value, `${f.name} cannot be combined with a name`);
    }
    return {
      action: 'top',
      namespace: namespaceOf(ns, flags.get('namespace')),
      allNamespaces: boolFlag(all),
      resource,
      ...(name !== undefined ? { name } : {}),
      containers: boolFlag(containers),
      ...(labelSelector !== undefined ? { labelSelector } : {}),
    };
  },

  scale(args, ns) {
    const { flags, positionals } = tokenize(args, [NAMESPACE_FLAG, { key: 'replicas', names: ['--replicas'] }]);
    const { resource, name, rest } = objectArgs(positionals, ['deployments', 'statefulsets', 'replicasets'], 'the workload to scale');
    noMore(rest);
    const replicas = intFlag(flags.get('replicas'), 0, MAX_REPLICAS);
    if (replicas === undefined) fail('args', `args: --replicas=N is required (0 to ${MAX_REPLICAS})`);
    return { action: 'scale', namespace: namespaceOf(ns, flags.get('namespace')), resource: resource as 'deployments', name, replicas };
  },

  'patch-resources'(args, ns) {
    const { flags, positionals } = tokenize(args, [
      NAMESPACE_FLAG,
      { key: 'container', names: ['--container', '-c'] },
      { key: 'limits', names: ['--limits'] },
      { key: 'requests', names: ['--requests'] },
    ]);
    const { resource, name, rest } = objectArgs(positionals, ['deployments', 'statefulsets', 'daemonsets'], 'the workload to patch');
    noMore(rest);
    const c = flags.get('container');
    if (!c) fail('args', 'args: --container=NAME is required: the container whose resources change');
    const problem = nameProblem(c.value, 'a container name', true);
    if (problem) argFail(c.index, c.value, problem);
    const limitsFlag = flags.get('limits');
    const requestsFlag = flags.get('requests');
    if (!limitsFlag && !requestsFlag) fail('args', 'args: give --limits=..., --requests=... or both');
    const limits = limitsFlag ? resourceList(limitsFlag) : undefined;
    const requests = requestsFlag ? resourceList(requestsFlag) : undefined;
    if (limits && requests && requestsFlag) {
      for (const [r, q] of Object.entries(requests)) {
        const limit = limits[r];
        if (limit !== undefined && (parseQuantity(q) ?? 0) > (parseQuantity(limit) ?? 0)) {
          argFail(requestsFlag.index, requestsFlag.value, `the ${r} request ${q} is above its limit ${limit}`);
        }
      }
    }
    return {
      action: 'patch-resources',
      namespace: namespaceOf(ns, flags.get('namespace')),
      resource: resource as 'deployments',
      name,
      container: c.value,
      ...(limits ? { limits } : {}),
      ...(requests ? { requests } : {}),
    };
  },

  'rollout-undo'(args, ns) {
    const { flags, positionals } = tokenize(args, [NAMESPACE_FLAG, { key: 'toRevision', names: ['--to-revision'] }]);
    const { name, rest } = objectArgs(positionals, ['deployments'], 'the deployment to roll back');
    noMore(rest);
    const toRevision = intFlag(flags.get('toRevision'), 1, 2 ** 31 - 1);
    return { action: 'rollout-undo', namespace: namespaceOf(ns, flags.get('namespace')), resource: 'deployments', name, ...(toRevision !== undefined ? { toRevision } : {}) };
  },

  'delete-pod'(args, ns) {
    const { flags, positionals } = tokenize(args, [NAMESPACE_FLAG]);
    const name = singleName(positionals, 'pods', 'pod name');
    return { action: 'delete-pod', namespace: namespaceOf(ns, flags.get('namespace')), resource: 'pods', name };
  },

  cordon(args) {
    const { positionals } = tokenize(args, []);
    return { action: 'cordon', resource: 'nodes', name: singleName(positionals, 'nodes', 'node name') };
  },

  uncordon(args) {
    const { positionals } = tokenize(args, []);
    return { action: 'uncordon', resource: 'nodes', name: singleName(positionals, 'nodes', 'node name') };
  },

  drain(args) {
    const { flags, positionals } = tokenize(args, [
      { key: 'ignoreDaemonsets', names: ['--ignore-daemonsets'], bool: true },
      { key: 'force', names: ['--force'], bool: true },
      { key: 'deleteEmptydirData', names: ['--delete-emptydir-data'], bool: true },
      { key: 'grace', names: ['--grace-period'] },
    ]);
    const name = singleName(positionals, 'nodes', 'node name');
    const grace = intFlag(flags.get('grace'), 0, MAX_GRACE_PERIOD_SECONDS);
    return {
      action: 'drain',
      resource: 'nodes',
      name,
      ignoreDaemonsets: boolFlag(flags.get('ignoreDaemonsets')),
      force: boolFlag(flags.get('force')),
      deleteEmptydirData: boolFlag(flags.get('deleteEmptydirData')),
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    };
  },
};

/**
 * Parses the arguments of an allowed action into a typed request.
 * @throws InputError naming the argument (`args.N`) or field (`namespace`) and the problem.
 */
export function parseCommandArgs(action: CommandAction, args: readonly string[], namespace?: string): ParsedCommand {
  if (args.length > MAX_ARGS) fail('args', `args: ${args.length} arguments given; at most ${MAX_ARGS} are allowed`);
  args.forEach((arg, i) => {
    const problem = characterProblem(arg);
    if (problem) argFail(i, arg, problem);
  });
  if (namespace !== undefined) checkNamespace(namespace);
  return PARSERS[action](args, namespace);
}

/** True for the parsed form of a write action. */
export function isWriteCommand(parsed: ParsedCommand): parsed is WriteCommand {
  return isWriteAction(parsed.action);
}

/**
 * What a write command changes, as bound into its approval token: `namespace/resource/name`, with an
 * empty namespace for cluster-scoped objects (`/nodes/node-1`).
 */
export function approvalTarget(parsed: WriteCommand): string {
  const namespace = 'namespace' in parsed ? parsed.namespace : '';
  return `${namespace}/${parsed.resource}/${parsed.name}`;
}
