import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT_CAUSE_TYPES } from '../../contracts/root-cause-taxonomy.js';
import { CAUSE_PATTERNS, MIN_CAUSE_SCORE, matchCauses } from './match-causes.js';
import { parseRunbook, type Runbook, type RunbookSection } from './parse-runbook.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/runbooks/${name}`, import.meta.url), 'utf8');
const SHOP = parseRunbook('shop-operations-manual.md', fixture('shop-operations-manual.md'));
const ENGLISH = parseRunbook('payments-runbook-en.md', fixture('payments-runbook-en.md'));

const section = (rb: Runbook, heading: RegExp): RunbookSection => {
  const found = rb.sections.find((s) => heading.test(s.heading_path[s.heading_path.length - 1] ?? ''));
  if (!found) throw new Error(`no section ${String(heading)}`);
  return found;
};
const top = (s: RunbookSection) => matchCauses(s)[0]?.cause;

describe('matchCauses on a Chinese operations manual', () => {
  it('links each fault section to its cause as the top match', () => {
    expect(top(section(SHOP, /OOM/))).toBe('OOMKilled');
    expect(top(section(SHOP, /连接池耗尽/))).toBe('ConnectionPoolExhausted');
    expect(top(section(SHOP, /第三方支付接口限流/))).toBe('UpstreamRateLimited');
    // No taxonomy id for a cache avalanche: the cache is gone, and the database takes the load.
    const cache = matchCauses(section(SHOP, /缓存雪崩/));
    expect(cache[0]?.cause).toBe('DependencyUnavailable');
    expect(cache.find((m) => m.cause === 'ConnectionPoolExhausted')?.score).toBeGreaterThan(0.5);
  });

  it('links the OOM section to a memory leak as well, below the OOM kill, and says what matched', () => {
    const oom = matchCauses(section(SHOP, /OOM/));
    const leak = oom.find((m) => m.cause === 'MemoryLeak');
    expect(leak?.score).toBeGreaterThan(0.5);
    expect(leak?.score).toBeLessThan(oom[0]?.score ?? 0);
    expect(oom[0]?.matched[0]).toMatch(/^(heading|symptom): /);
  });

  it('links the release procedure, the severity table and the alert rules to nothing, although their commands and YAML name faults', () => {
    const rules = section(SHOP, /告警规则/);
    // The rules' YAML names OOMKilled and 429: words in code must not make an OOM or rate-limit runbook.
    expect(rules.text).toMatch(/OOMKilled[\s\S]*429/);
    for (const heading of [/常规发布/, /发布流程/, /故障分级/, /告警规则/, /目录/]) {
      expect(matchCauses(section(SHOP, heading)), String(heading)).toEqual([]);
    }
  });
});

describe('matchCauses on an English runbook', () => {
  it('links each fault section to its cause and the release section to nothing', () => {
    expect(top(section(ENGLISH, /OOMKilled/))).toBe('OOMKilled');
    expect(top(section(ENGLISH, /connection pool/))).toBe('ConnectionPoolExhausted');
    expect(top(section(ENGLISH, /rate limiting/))).toBe('UpstreamRateLimited');
    expect(matchCauses(section(ENGLISH, /Releasing/))).toEqual([]);
  });
});

describe('matchCauses weighting', () => {
  const only = (markdown: string) => parseRunbook('x.md', markdown).sections[0] as RunbookSection;

  it('barely counts words inside commands, however many', () => {
    const s = only(['## Weekly housekeeping', '', '```bash', 'kubectl get events -A | grep -E "OOMKilled|ImagePullBackOff|FailedMount|NotReady|429"', 'kubectl top pods -A --sort-by=memory', '```'].join('\n'));
    expect(matchCauses(s)).toEqual([]);
  });

  it('counts a heading far above a passing mention in prose', () => {
    const heading = matchCauses(only('## Certificate expired on the ingress\n\nRenew it with cert-manager.'));
    const prose = matchCauses(only('## Quarterly review\n\nLast quarter one incident involved an expired certificate; see the postmortem.'));
    expect(heading[0]?.cause).toBe('CertificateExpired');
    expect(heading[0]?.score).toBeGreaterThan(0.9);
    expect(prose[0]?.score ?? 0).toBeLessThan(0.5);
  });

  it('tells CPU throttling apart from upstream rate limiting (both 限流 in Chinese)', () => {
    expect(top(only('## CPU 限流导致延迟升高\n\n**症状**: 容器 CPU 被 throttled'))).toBe('CPUThrottling');
    expect(top(only('## 短信网关限流\n\n**症状**: 返回 429'))).toBe('UpstreamRateLimited');
  });

  it('recognises other taxonomy causes by their usual words in both languages', () => {
    const cases: [string, string][] = [
      ['## 镜像拉取失败\n\n**症状**: Pod 状态为 ImagePullBackOff', 'ImagePullError'],
      ['## Disk full on the database volume\n\nSymptoms: `No space left on device` in the logs', 'DiskFull'],
      ['## 节点 NotReady\n\n**现象**: kubelet 停止上报', 'NodeNotReady'],
      ['## DNS 解析失败\n\n**症状**: 日志出现 no such host', 'DNSResolutionFailure'],
      ['## Pods stuck Pending\n\nSymptoms: FailedScheduling: 0/3 nodes are available: 3 Insufficient memory', 'InsufficientResources'],
      ['## 证书过期\n\n**症状**: x509: certificate has expired or is not yet valid', 'CertificateExpired'],
    ];
    for (const [markdown, cause] of cases) expect(top(only(markdown)), markdown).toBe(cause);
  });

  it('returns only taxonomy ids, scores within 0..1 and above the floor, strongest first', () => {
    const all = [...SHOP.sections, ...ENGLISH.sections].flatMap((s) => matchCauses(s).map((m, i, list) => ({ m, prev: list[i - 1] })));
    expect(all.length).toBeGreaterThan(5);
    for (const { m, prev } of all) {
      expect(ROOT_CAUSE_TYPES).toContain(m.cause);
      expect(m.score).toBeGreaterThanOrEqual(MIN_CAUSE_SCORE);
      expect(m.score).toBeLessThanOrEqual(1);
      if (prev) expect(prev.score).toBeGreaterThanOrEqual(m.score);
    }
  });
});

describe('docs/runbooks.md', () => {
  it('documents every cause the keyword table can link to', () => {
    const doc = readFileSync(new URL('../../../docs/runbooks.md', import.meta.url), 'utf8');
    const causes = new Set(CAUSE_PATTERNS.flatMap((p) => Object.keys(p.causes)));
    for (const cause of causes) expect(doc, cause).toContain(`\`${cause}\``);
  });
});
