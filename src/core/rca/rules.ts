/**
 * Rule files → a validated rule set. Core never reads files: the caller passes each file's path and
 * text (src/adapters/rules/load-rules.ts reads `<repo>/rules`).
 */
import { parse } from 'yaml';
import { ConfigError, type ValidationIssue } from '../../contracts/errors.js';
import { ROOT_CAUSE_TYPES } from '../../contracts/root-cause-taxonomy.js';
import { ruleSchema, type Condition, type Rule, type When } from './rule-schema.js';
import type { FieldValue } from './types.js';

export interface RuleFile {
  path: string;
  text: string;
}

export interface CompiledRuleSet {
  readonly rules: readonly Rule[];
  readonly byCause: ReadonlyMap<string, Rule>;
}

/** `OOMKilled` → `oom-killed`, `DNSResolutionFailure` → `dns-resolution-failure`: the rule file's name. */
export function kebabCause(cause: string): string {
  return cause
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return (parts[parts.length - 1] ?? path).replace(/\.ya?ml$/, '');
}

/**
 * Parses and validates rule files: YAML, the schema of rule-schema.ts, one file per cause named
 * after it (`rules/oom-killed.yaml` holds `cause: OOMKilled`), no cause twice.
 * @throws ConfigError listing every problem as `<file>: <field path>: <message>`.
 */
export function parseRules(files: readonly RuleFile[]): CompiledRuleSet {
  const issues: ValidationIssue[] = [];
  const rules: Rule[] = [];
  const byCause = new Map<string, Rule>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(file.text, { prettyErrors: true });
    } catch (err) {
      issues.push({ path: `${file.path}: (root)`, message: `is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
      continue;
    }
    const result = ruleSchema.safeParse(doc);
    if (!result.success) {
      for (const issue of result.error.issues) issues.push({ path: `${file.path}: ${issue.path.map(String).join('.') || '(root)'}`, message: issue.message });
      continue;
    }
    const rule = result.data;
    const expected = kebabCause(rule.cause);
    if (baseName(file.path) !== expected) issues.push({ path: `${file.path}: cause`, message: `cause ${rule.cause} belongs in ${expected}.yaml` });
    if (byCause.has(rule.cause)) issues.push({ path: `${file.path}: cause`, message: `cause ${rule.cause} is defined twice` });
    byCause.set(rule.cause, rule);
    rules.push(rule);
  }
  if (issues.length) {
    const shown = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > 10) shown.push(`and ${issues.length - 10} more`);
    throw new ConfigError(`invalid rules: ${shown.join('; ')}`, issues);
  }
  return { rules, byCause };
}

/** Taxonomy ids without a rule, for the completeness check. */
export function causesWithoutRules(set: CompiledRuleSet): string[] {
  return ROOT_CAUSE_TYPES.filter((c) => !set.byCause.has(c));
}

const regexCache = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let r = regexCache.get(source);
  if (!r) {
    r = new RegExp(source, 'i');
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(source, r);
  }
  return r;
}

function testCondition(value: FieldValue | undefined, c: Condition): boolean {
  if (Array.isArray(c)) return value !== undefined && c.some((x) => x === value);
  if (typeof c !== 'object') return value === c;
  const present = value !== undefined && value !== '';
  if (c.exists !== undefined && present !== c.exists) return false;
  // A missing field passes only the negative tests (ne, not_in, not_matches, exists: false).
  if (value === undefined) return c.gte === undefined && c.gt === undefined && c.lte === undefined && c.lt === undefined && c.in === undefined && c.matches === undefined;
  const n = typeof value === 'number' ? value : Number.NaN;
  if (c.gte !== undefined && !(n >= c.gte)) return false;
  if (c.gt !== undefined && !(n > c.gt)) return false;
  if (c.lte !== undefined && !(n <= c.lte)) return false;
  if (c.lt !== undefined && !(n < c.lt)) return false;
  if (c.ne !== undefined && value === c.ne) return false;
  if (c.in !== undefined && !c.in.includes(value)) return false;
  if (c.not_in !== undefined && c.not_in.includes(value)) return false;
  if (c.matches !== undefined && !regex(c.matches).test(String(value))) return false;
  if (c.not_matches !== undefined && regex(c.not_matches).test(String(value))) return false;
  return true;
}

/** Whether fields pass every test of a `when`. */
export function matchesWhen(fields: Readonly<Record<string, FieldValue>>, w: When | undefined): boolean {
  if (!w) return true;
  for (const [k, c] of Object.entries(w)) if (!testCondition(fields[k], c)) return false;
  return true;
}
