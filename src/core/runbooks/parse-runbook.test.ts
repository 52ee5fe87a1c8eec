import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeBlockSteps, parseRunbook, slug, type RunbookSection } from './parse-runbook.js';

const SHOP_PATH = new URL('../../../test/fixtures/runbooks/shop-operations-manual.md', import.meta.url);
const SHOP = readFileSync(SHOP_PATH, 'utf8');

const ENGLISH_PATH = new URL('../../../test/fixtures/runbooks/payments-runbook-en.md', import.meta.url);
const ENGLISH_RUNBOOK = readFileSync(ENGLISH_PATH, 'utf8');

const section = (sections: RunbookSection[], heading: RegExp) => {
  const found = sections.find((s) => heading.test(s.heading_path[s.heading_path.length - 1] ?? ''));
  if (!found) throw new Error(`no section ${String(heading)} in ${sections.map((s) => s.id).join(', ')}`);
  return found;
};

describe('parseRunbook on a Chinese operations manual', () => {
  const rb = parseRunbook('test/fixtures/runbooks/shop-operations-manual.md', SHOP);

  it('takes the title from the leading heading and makes one section per heading, role headings folded in', () => {
    expect(rb.title).toBe('🛒 Shop Platform - 生产环境运维手册');
    const headings = rb.sections.map((s) => s.heading_path.at(-1));
    expect(headings).toContain('3.2 故障 2: 数据库连接池耗尽');
    // `#### 症状/诊断/处理` under 故障 2 sort its content; they are not sections of their own.
    expect(headings.filter((h) => /^(症状|诊断|处理)$/.test(h ?? ''))).toEqual([]);
    // A `#` inside a code block is a shell comment, not a heading.
    expect(headings.some((h) => /^\d+\. /.test(h ?? ''))).toBe(false);
    expect(new Set(rb.sections.map((s) => s.id)).size).toBe(rb.sections.length);
  });

  it('sorts symptoms, diagnosis and handling whether labelled in bold or by sub-headings', () => {
    const oom = section(rb.sections, /OOM/);
    expect(oom.symptoms).toHaveLength(3);
    expect(oom.symptoms[1]).toMatch(/Exit Code 137/);
    expect(oom.diagnosis.map((d) => d.command).filter(Boolean)).toContain("kubectl logs deploy/order-service -n shop --previous --tail=200");
    expect(oom.handling[0]?.text).toMatch(/临时调高内存 limit/);
    expect(oom.severity).toBe('P1');
    expect(oom.alerts).toEqual(['ShopPodOOMKilled']);

    const pool = section(rb.sections, /连接池耗尽/);
    expect(pool.symptoms.join('\n')).toMatch(/too many clients already/);
    expect(pool.diagnosis.find((d) => d.language === 'sql' && /GROUP BY/.test(d.command ?? ''))?.text).toBe('查看数据库当前连接数：');
    expect(pool.handling.map((h) => h.text)).toEqual(['1. 终止空闲超过 5 分钟的事务连接', '2. 临时调大连接池（注意数据库 max_connections 上限）']);
  });

  it('keeps every command verbatim: multi-line, quoted and continued commands whole', () => {
    const commands = rb.sections.flatMap((s) => [...s.diagnosis, ...s.handling]).flatMap((s) => (s.command ? [s.command] : []));
    expect(commands.length).toBeGreaterThan(15);
    for (const c of commands) expect(SHOP.includes(c), `not verbatim in the runbook:\n${c}`).toBe(true);
    const psql = commands.find((c) => c.startsWith('psql -h shop-db.internal'));
    expect(psql?.split('\n')).toHaveLength(7);
    expect(psql).toMatch(/pg_terminate_backend\(pid\)[\s\S]*INTERVAL '5 minutes';\n"$/);
    expect(commands).toContain('kubectl set resources deployment/order-service -n shop \\\n    --limits=memory=2Gi \\\n    --requests=memory=1Gi');
    expect(section(rb.sections, /缓存雪崩/).diagnosis.map((d) => d.command)).toContain('kubectl exec -it redis-0 -n shop -- redis-cli SLOWLOG GET 20');
  });

  it('gives sections ids that survive renumbering and stay the same run to run', () => {
    const again = parseRunbook('x.md', SHOP);
    expect(again.sections.map((s) => s.id)).toEqual(rb.sections.map((s) => s.id));
    const renumbered = parseRunbook('x.md', SHOP.replace('### 3.2 故障 2', '### 3.7 故障 2'));
    expect(renumbered.sections.map((s) => s.id)).toEqual(rb.sections.map((s) => s.id));
    expect(slug('3.3 故障 3: Redis 缓存雪崩')).toBe('故障-3-redis-缓存雪崩');
  });

  it('gives a text section with its own markdown and line, for citations', () => {
    const cache = section(rb.sections, /缓存雪崩/);
    expect(SHOP.split('\n')[cache.line - 1]).toBe('### 3.3 故障 3: Redis 缓存雪崩');
    expect(cache.text.startsWith('**级别**: P0')).toBe(true);
    expect(cache.text).not.toMatch(/第三方支付/);
  });
});

describe('parseRunbook on an English runbook', () => {
  const rb = parseRunbook('payments.md', ENGLISH_RUNBOOK);

  it('reads headings, bold labels and plain "Label:" lines as roles', () => {
    expect(rb.title).toBe('Payments Platform Runbook');
    const oom = section(rb.sections, /OOMKilled/);
    // "Alert: …" is a symptom too: the alert firing is how the failure shows.
    expect(oom.symptoms).toEqual(['PaymentsContainerOOMKilled (P1)', 'Pods restart repeatedly; kubectl get pods shows OOMKilled', 'Last state terminated with exit code 137']);
    expect(oom.diagnosis.map((d) => d.command)).toEqual(['kubectl describe pod -l app=payments -n payments', 'kubectl top pods -n payments']);
    expect(oom.handling).toEqual([{ text: 'Raise the memory limit', command: 'kubectl set resources deployment/payments -n payments --limits=memory=1Gi', language: 'bash' }]);
    expect(oom.alerts).toEqual(['PaymentsContainerOOMKilled']);

    const pool = section(rb.sections, /connection pool/);
    expect(pool.symptoms[0]).toMatch(/^requests hang/);
    expect(pool.handling[0]?.command).toBe('kubectl rollout restart deployment/payments -n payments');

    const rate = section(rb.sections, /rate limiting/);
    expect(rate.symptoms).toEqual(['the card network API answers 429 Too Many Requests.']);
    expect(rate.handling[0]?.command).toBe('kubectl set env deployment/payments -n payments CARD_API_QPS=50');

    const release = section(rb.sections, /Releasing/);
    expect(release.handling.map((h) => h.text)).toEqual(['Merge to main and wait for the pipeline.', 'Watch the rollout: kubectl rollout status deployment/payments -n payments']);
  });
});

describe('codeBlockSteps', () => {
  it('splits a shell block at comments, keeps a continued command whole and a trailing comment as a manual step', () => {
    const code = ['# 1. check', 'kubectl get pods', 'kubectl get svc', '', '# 2. restart', 'kubectl rollout restart \\', '  deploy/api', '', '# open Grafana and look'].join('\n');
    expect(codeBlockSteps(code, 'bash', '')).toEqual([
      { text: '1. check', command: 'kubectl get pods\nkubectl get svc', language: 'bash' },
      { text: '2. restart', command: 'kubectl rollout restart \\\n  deploy/api', language: 'bash' },
      { text: 'open Grafana and look' },
    ]);
  });

  it('keeps a non-shell block as one step and a log sample without language as it is', () => {
    expect(codeBlockSteps('SELECT 1;\n# not a comment in SQL\nSELECT 2;', 'sql', 'count')).toEqual([{ text: 'count', command: 'SELECT 1;\n# not a comment in SQL\nSELECT 2;', language: 'sql' }]);
    expect(codeBlockSteps('ERROR boom\n  at x', undefined, '')).toEqual([{ text: '', command: 'ERROR boom\n  at x' }]);
  });

  it('gives text that is not Markdown an empty runbook named after the file', () => {
    expect(parseRunbook('notes/oncall.txt', 'call Bob\nthen Alice')).toEqual({ source: 'notes/oncall.txt', title: 'oncall', sections: [] });
  });
});
