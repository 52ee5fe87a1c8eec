/**
 * Scoring a diagnosis against a scenario's `expect` (docs/scenarios.md "Expectations and scoring"):
 * correct@1 (the top cause is `rootCause` or `acceptable`), correct@3 (one of the top three
 * candidates is), resource (same kind, namespace and name), remediation (the first recommended
 * action), and the summary figures over many runs: AC@1, AC@3 and calibration (of the diagnoses
 * given at least a threshold confidence, the share that is right).
 */
import type { AnalysisResult } from './engine.js';

export interface Expectation {
  healthy?: boolean;
  rootCause?: string;
  acceptable?: readonly string[];
  resource?: { kind: string; name: string; namespace?: string };
  remediation?: string;
}

export interface Verdict {
  healthy: boolean;
  /** Fault: the top cause is right. Healthy: nothing at or above the minimum confidence. */
  correctAt1: boolean;
  correctAt3: boolean;
  resourceCorrect: boolean;
  remediationCorrect: boolean;
  /** The top hypothesis's type and confidence (0 when there is none). */
  predicted: string | undefined;
  confidence: number;
}

/** Judges one analysis. `minConfidence` decides whether a healthy scenario raised a false diagnosis. */
export function evaluateResult(expect: Expectation, result: AnalysisResult, minConfidence: number): Verdict {
  const top = result.root_cause;
  const confidence = top?.confidence ?? 0;
  if (expect.healthy) {
    const quiet = confidence < minConfidence;
    return { healthy: true, correctAt1: quiet, correctAt3: quiet, resourceCorrect: quiet, remediationCorrect: quiet, predicted: top?.type, confidence };
  }
  const ok = new Set([expect.rootCause, ...(expect.acceptable ?? [])].filter((x): x is string => typeof x === 'string'));
  const correctAt1 = top !== undefined && ok.has(top.type);
  const correctAt3 = result.candidates.slice(0, 3).some((c) => ok.has(c.type));
  const r = expect.resource;
  const resourceCorrect = r !== undefined && top?.resource !== undefined && top.resource.kind === r.kind && top.resource.name === r.name && (top.resource.namespace ?? '') === (r.namespace ?? '');
  const remediationCorrect = expect.remediation !== undefined && result.recommendations[0]?.action === expect.remediation;
  return { healthy: false, correctAt1, correctAt3, resourceCorrect, remediationCorrect, predicted: top?.type, confidence };
}

export interface AccuracySummary {
  scenarios: number;
  faults: number;
  healthy: number;
  ac_at_1: number;
  ac_at_3: number;
  resource_accuracy: number;
  remediation_accuracy: number;
  /** Healthy scenarios that produced a diagnosis at or above the minimum confidence. */
  false_diagnoses: number;
  calibration: { threshold: number; diagnoses: number; correct: number; precision: number };
}

/**
 * Summary figures. Calibration counts every diagnosis at or above `threshold`, a healthy scenario's
 * included (always wrong); with no such diagnosis the precision is 1 (no confident claim was wrong).
 */
export function summarize(verdicts: readonly Verdict[], threshold = 0.9): AccuracySummary {
  const faults = verdicts.filter((v) => !v.healthy);
  const healthy = verdicts.filter((v) => v.healthy);
  const share = (n: number, d: number): number => (d === 0 ? 1 : Math.round((n / d) * 1000) / 1000);
  const confident = verdicts.filter((v) => v.predicted !== undefined && v.confidence >= threshold);
  const right = confident.filter((v) => !v.healthy && v.correctAt1).length;
  return {
    scenarios: verdicts.length,
    faults: faults.length,
    healthy: healthy.length,
    ac_at_1: share(faults.filter((v) => v.correctAt1).length, faults.length),
    ac_at_3: share(faults.filter((v) => v.correctAt3).length, faults.length),
    resource_accuracy: share(faults.filter((v) => v.resourceCorrect).length, faults.length),
    remediation_accuracy: share(faults.filter((v) => v.remediationCorrect).length, faults.length),
    false_diagnoses: healthy.filter((v) => !v.correctAt1).length,
    calibration: { threshold, diagnoses: confident.length, correct: right, precision: share(right, confident.length) },
  };
}
