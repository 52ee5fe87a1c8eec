import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from './engine.js';
import { evaluateResult, summarize } from './evaluate.js';

function result(type: string | undefined, confidence: number, resource = { kind: 'Deployment', namespace: 'shop', name: 'checkout' }, candidates: string[] = [], action = 'UpdateResourceLimits'): AnalysisResult {
  return {
    status: type ? (confidence >= 0.7 ? 'completed' : 'inconclusive') : 'no_fault',
    ...(type ? { root_cause: { type: type as never, confidence, evidence: [], resource } } : {}),
    candidates: (type ? [type, ...candidates] : candidates).map((t, i) => ({ type: t as never, confidence: confidence / (i + 1) })),
    recommendations: type ? [{ action: action as never, confidence, risk: 'medium', steps: [], rollback: [] }] : [],
    impacted: [],
    hypotheses: [],
    signal_count: 0,
  };
}

const oom = { rootCause: 'OOMKilled', acceptable: ['MemoryLeak'], resource: { kind: 'Deployment', namespace: 'shop', name: 'checkout' }, remediation: 'UpdateResourceLimits' };

describe('evaluateResult', () => {
  it('accepts the root cause or an acceptable one, and scores resource and remediation apart', () => {
    expect(evaluateResult(oom, result('MemoryLeak', 0.8), 0.7)).toMatchObject({ correctAt1: true, correctAt3: true, resourceCorrect: true, remediationCorrect: true });
    const wrongResource = evaluateResult(oom, result('OOMKilled', 0.95, { kind: 'Deployment', namespace: 'shop', name: 'cart' }), 0.7);
    expect(wrongResource).toMatchObject({ correctAt1: true, resourceCorrect: false });
    expect(evaluateResult(oom, result('ApplicationCrash', 0.6, undefined, ['LivenessProbeFailure', 'OOMKilled']), 0.7)).toMatchObject({ correctAt1: false, correctAt3: true });
    expect(evaluateResult(oom, result('ApplicationCrash', 0.6, undefined, ['LivenessProbeFailure', 'ImagePullError', 'OOMKilled']), 0.7).correctAt3).toBe(false);
  });
  it('counts a healthy scenario right only when nothing reaches the minimum confidence', () => {
    expect(evaluateResult({ healthy: true }, result(undefined, 0), 0.7).correctAt1).toBe(true);
    expect(evaluateResult({ healthy: true }, result('ReadinessProbeFailure', 0.3), 0.7).correctAt1).toBe(true);
    expect(evaluateResult({ healthy: true }, result('ReadinessProbeFailure', 0.75), 0.7).correctAt1).toBe(false);
  });
});

describe('summarize', () => {
  it('reports AC@1, AC@3 and calibration at a threshold, a confident false alarm counting as wrong', () => {
    const v = [
      evaluateResult(oom, result('OOMKilled', 0.95), 0.7),
      evaluateResult(oom, result('ApplicationCrash', 0.92, undefined, ['OOMKilled']), 0.7),
      evaluateResult(oom, result('OOMKilled', 0.8), 0.7),
      evaluateResult({ healthy: true }, result('CPUThrottling', 0.91), 0.7),
    ];
    const s = summarize(v, 0.9);
    expect(s).toMatchObject({ scenarios: 4, faults: 3, healthy: 1, ac_at_1: 0.667, ac_at_3: 1, false_diagnoses: 1 });
    expect(s.calibration).toEqual({ threshold: 0.9, diagnoses: 3, correct: 1, precision: 0.333 });
  });
});
