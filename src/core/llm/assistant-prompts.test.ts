import { describe, expect, it } from 'vitest';
import type { RootCauseCandidate } from '../../contracts/index.js';
import { deterministicSummary, parseRanking, rankByConfidence, rankMessages, summaryMessages, type AssistantAnalysis } from './assistant-prompts.js';

const analysis: AssistantAnalysis = {
  root_cause: {
    type: 'OOMKilled',
    confidence: 0.92,
    evidence: ['Exit code 137 indicates OOMKilled.', 'Working set reached the 128Mi limit'],
    resource: { kind: 'Pod', name: 'checkout-7d9f8c6b5-x2x4z', namespace: 'shop', cluster_id: 'prod-eu' },
  },
  candidates: [
    { type: 'OOMKilled', confidence: 0.92 },
    { type: 'MemoryLeak', confidence: 0.41 },
  ],
  recommendations: [{ action: 'UpdateResourceLimits', confidence: 0.8, risk: 'medium', impact: 'pods restart one at a time' }],
};

describe('deterministicSummary', () => {
  it('says root cause, resource, confidence, evidence, other candidates and the top recommendation in one paragraph', () => {
    const text = deterministicSummary(analysis);
    expect(text).not.toContain('\n');
    for (const part of ['OOMKilled', '92%', 'Pod shop/checkout-7d9f8c6b5-x2x4z', 'prod-eu', 'Exit code 137', '128Mi', 'MemoryLeak (41%)', 'UpdateResourceLimits', 'medium risk', 'pods restart one at a time']) {
      expect(text, part).toContain(part);
    }
    expect(text.indexOf('OOMKilled')).toBeLessThan(text.indexOf('UpdateResourceLimits'));
  });

  it('names the leading candidates when no root cause was confirmed, and says so when there is nothing', () => {
    const text = deterministicSummary({ candidates: [{ type: 'DNSResolutionFailure', confidence: 0.35 }, { type: 'DependencyUnavailable', confidence: 0.3 }] });
    expect(text).toMatch(/No root cause was confirmed/);
    expect(text).toContain('DNSResolutionFailure (35%)');
    expect(deterministicSummary({})).toMatch(/No root cause was identified/);
  });
});

describe('prompts', () => {
  it('sends the analysis facts as JSON after a system instruction', () => {
    const [system, user] = summaryMessages(analysis);
    expect(system?.role).toBe('system');
    expect(user?.role).toBe('user');
    const body = JSON.parse(user?.content ?? '') as { root_cause: { type: string; evidence: string[] }; recommendations: { action: string }[] };
    expect(body.root_cause.type).toBe('OOMKilled');
    expect(body.root_cause.evidence).toHaveLength(2);
    expect(body.recommendations[0]?.action).toBe('UpdateResourceLimits');
  });

  it('sends only the end of a long log', () => {
    const logs = `${'old line\n'.repeat(5000)}the newest line`;
    const [, user] = rankMessages([{ type: 'OOMKilled', confidence: 0.3 }], { logs });
    const body = JSON.parse(user?.content ?? '') as { logs: string };
    expect(body.logs.length).toBeLessThan(logs.length);
    expect(body.logs.endsWith('the newest line')).toBe(true);
  });
});

describe('ranking', () => {
  const candidates: RootCauseCandidate[] = [
    { type: 'DependencyUnavailable', confidence: 0.4 },
    { type: 'DNSResolutionFailure', confidence: 0.35 },
    { type: 'NetworkPolicyBlocked', confidence: 0.2 },
  ];

  it('orders by rule score when deterministic, keeping ties stable', () => {
    expect(rankByConfidence([{ type: 'a', confidence: 0.1 }, { type: 'b', confidence: 0.5 }, { type: 'c', confidence: 0.1 }]).map((c) => c.type)).toEqual(['b', 'a', 'c']);
  });

  it("follows the model's order, appends what it left out and drops ids it made up", () => {
    const out = parseRanking('Here you go:\n```json\n{"ranking": ["NetworkPolicyBlocked", "Invented", "NetworkPolicyBlocked"]}\n```', candidates);
    expect(out?.map((c) => c.type)).toEqual(['NetworkPolicyBlocked', 'DependencyUnavailable', 'DNSResolutionFailure']);
    expect(out?.[0]?.confidence).toBe(0.2);
    expect(parseRanking('["DNSResolutionFailure"]', candidates)?.[0]?.type).toBe('DNSResolutionFailure');
  });

  it('gives up on an answer that is not a ranking of the candidates', () => {
    expect(parseRanking('I think it is DNS.', candidates)).toBeUndefined();
    expect(parseRanking('{"ranking": ["Nothing", 3]}', candidates)).toBeUndefined();
    expect(parseRanking('{"ranking": "DNSResolutionFailure"}', candidates)).toBeUndefined();
  });
});
