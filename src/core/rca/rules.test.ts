import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/errors.js';
import { ROOT_CAUSE_TYPES } from '../../contracts/root-cause-taxonomy.js';
import { causesWithoutRules, kebabCause, matchesWhen, parseRules } from './rules.js';
import { SIGNAL_NAMES } from './types.js';

const RULES_DIR = new URL('../../../rules/', import.meta.url);
const files = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ path: `rules/${f}`, text: readFileSync(new URL(f, RULES_DIR), 'utf8') }));

const minimal = (extra = ''): string => `cause: OOMKilled
description: test
prior: 0.04
resource: [workload]
evidence:
  - id: terminated
    signal: container_terminated
    when: {reason: OOMKilled}
    likelihood_ratio: 300
    says: "container {container} was OOM-killed"
${extra}`;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('rule files', () => {
  it('has one parsable file per taxonomy id, named after it', () => {
    const set = parseRules(files);
    expect(causesWithoutRules(set)).toEqual([]);
    expect(files.map((f) => f.path).sort()).toEqual(ROOT_CAUSE_TYPES.map((c) => `rules/${kebabCause(c)}.yaml`).sort());
    for (const rule of set.rules) expect(rule.recommendations.length, rule.cause).toBeGreaterThan(0);
  });

  it('names the file and the field path of every problem', () => {
    const bad = minimal().replace('likelihood_ratio: 300', 'likelihood_ratio: -2').replace('container_terminated', 'container_explodes');
    const issues = issuesOf(() => parseRules([{ path: 'rules/oom-killed.yaml', text: bad }]));
    expect(issues).toContain('rules/oom-killed.yaml: evidence.0.likelihood_ratio: must be greater than 0');
    expect(issues.some((i) => i.startsWith('rules/oom-killed.yaml: evidence.0.signal: must be a signal name'))).toBe(true);
  });

  it('rejects a cause in the wrong file, a duplicate evidence id, a bad regex and broken YAML', () => {
    expect(issuesOf(() => parseRules([{ path: 'rules/memory-leak.yaml', text: minimal() }]))).toEqual(['rules/memory-leak.yaml: cause: cause OOMKilled belongs in oom-killed.yaml']);
    const dup = minimal(`  - id: terminated
    signal: memory_near_limit
    likelihood_ratio: 2
    says: "x"`);
    expect(issuesOf(() => parseRules([{ path: 'rules/oom-killed.yaml', text: dup }]))).toContain('rules/oom-killed.yaml: evidence.1.id: duplicate evidence id terminated');
    const regex = minimal().replace('{reason: OOMKilled}', '{reason: {matches: "(unclosed"}}');
    expect(issuesOf(() => parseRules([{ path: 'rules/oom-killed.yaml', text: regex }]))).toContain('rules/oom-killed.yaml: evidence.0.when.reason.matches: must be a valid regular expression');
    expect(issuesOf(() => parseRules([{ path: 'rules/oom-killed.yaml', text: 'cause: [' }]))[0]).toMatch(/^rules\/oom-killed\.yaml: \(root\): is not valid YAML/);
  });

  it('needs an item that can start a hypothesis', () => {
    const onlyNegative = minimal().replace('likelihood_ratio: 300', 'likelihood_ratio: 0.5');
    expect(issuesOf(() => parseRules([{ path: 'rules/oom-killed.yaml', text: onlyNegative }]))).toContain('rules/oom-killed.yaml: evidence: needs at least one item with likelihood_ratio > 1 that can start a hypothesis');
  });
});

describe('docs/rules.md', () => {
  it('documents every signal and every field a rule tests', () => {
    const doc = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');
    for (const name of SIGNAL_NAMES) expect(doc, name).toContain(`### ${name}\n`);
    const set = parseRules(files);
    const tested = new Set<string>();
    for (const rule of set.rules) {
      for (const e of rule.evidence) for (const k of Object.keys(e.when ?? {})) tested.add(k);
      for (const r of rule.recommendations) for (const k of Object.keys(r.when ?? {})) tested.add(k);
    }
    for (const field of tested) expect(doc, field).toContain(`\`${field}\``);
  });
});

describe('kebabCause', () => {
  it('spells file names the way the taxonomy ids read', () => {
    expect(['OOMKilled', 'DNSResolutionFailure', 'PVCPending', 'HPAMaxedOut', 'CPUThrottling', 'NodeNotReady'].map(kebabCause)).toEqual(['oom-killed', 'dns-resolution-failure', 'pvc-pending', 'hpa-maxed-out', 'cpu-throttling', 'node-not-ready']);
  });
});

describe('matchesWhen', () => {
  const fields = { reason: 'OOMKilled', restarts: 6, line: 'x509: certificate has expired', ready: false };
  it('tests equality, lists and operators, all of which must hold', () => {
    expect(matchesWhen(fields, { reason: 'OOMKilled', restarts: { gte: 3, lt: 7 } })).toBe(true);
    expect(matchesWhen(fields, { reason: ['Error', 'OOMKilled'] })).toBe(true);
    expect(matchesWhen(fields, { reason: 'OOMKilled', restarts: { gt: 6 } })).toBe(false);
    expect(matchesWhen(fields, { line: { matches: 'EXPIRED' } })).toBe(true);
    expect(matchesWhen(fields, { ready: false, line: { not_matches: 'unknown authority' } })).toBe(true);
  });
  it('lets a missing field pass only negative tests', () => {
    expect(matchesWhen(fields, { absent: { ne: 'x' } })).toBe(true);
    expect(matchesWhen(fields, { absent: { exists: false } })).toBe(true);
    expect(matchesWhen(fields, { absent: { gte: 0 } })).toBe(false);
    expect(matchesWhen(fields, { absent: 'x' })).toBe(false);
  });
});
