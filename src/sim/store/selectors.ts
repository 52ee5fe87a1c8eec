/**
 * Label and field selectors with the real API server's syntax:
 *   labels: `app=web,tier!=db,env in (prod,staging),track notin (canary),gpu,!legacy`
 *   fields: `metadata.name=x,spec.nodeName!=node-1,involvedObject.kind==Pod`
 */
import type { KubeObject } from '../../core/kube/kube-types.js';
import { StatusError } from '../status-error.js';

export type Requirement =
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notin'; values: string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: 'doesnotexist' };

export type LabelSelector = Requirement[];

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

/** @throws StatusError 400 on a malformed selector. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text || !text.trim()) return [];
  const out: Requirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (!part) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      const [, key = '', op, values = ''] = m;
      checkKey(key, text);
      out.push({ key, op: op === 'in' ? 'in' : 'notin', values: values.split(',').map((v) => v.trim()).filter(Boolean) });
    } else if ((m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part))) {
      const [, key = '', op, value = ''] = m;
      checkKey(key, text);
      out.push(op === '!=' ? { key, op: 'notin', values: [value] } : { key, op: 'in', values: [value] });
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      checkKey(m[1] ?? '', text);
      out.push({ key: m[1] ?? '', op: 'doesnotexist' });
    } else if (KEY.test(part)) {
      out.push({ key: part, op: 'exists' });
    } else {
      throw StatusError.badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return out;
}

function checkKey(key: string, text: string): void {
  if (!KEY.test(key)) throw StatusError.badRequest(`invalid label selector ${JSON.stringify(text)}: invalid label key ${JSON.stringify(key)}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    switch (req.op) {
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
      case 'in':
        return has && req.values.includes(l[req.key] ?? '');
      case 'notin':
        return !has || !req.values.includes(l[req.key] ?? '');
    }
  });
}

/** A Kubernetes `LabelSelector` object (matchLabels + matchExpressions) as requirements. */
export function fromLabelSelectorObject(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): LabelSelector {
  if (!sel) return [];
  const out: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'in' as const, values: [value] }));
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') out.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') out.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') out.push({ key: e.key, op: 'doesnotexist' });
  }
  return out;
}

export interface FieldRequirement {
  path: string;
  negate: boolean;
  value: string;
}
export type FieldSelector = FieldRequirement[];

/** @throws StatusError 400 on a malformed selector. */
export function parseFieldSelector(text: string | undefined): FieldSelector {
  if (!text || !text.trim()) return [];
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw StatusError.badRequest(`invalid field selector ${JSON.stringify(text)}: expected key=value, key==value or key!=value`);
    return { path: m[1] ?? '', negate: m[2] === '!=', value: m[3] ?? '' };
  });
}

/** Reads a dotted path (`involvedObject.name`); absent fields compare as ''. */
export function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}

export function matchesFields(selector: FieldSelector, obj: KubeObject): boolean {
  return selector.every((req) => (fieldValue(obj, req.path) === req.value) !== req.negate);
}
