/**
 * The learning rule (docs/knowledge.md, "Learning"): what feedback on diagnoses and remediations does
 * to the root-cause engine's priors and rule weights, and to the ranking of solutions. Pure: a state
 * in, a new state out; the store keeps the state in one row and applies these under a row lock.
 *
 * Priors are a Dirichlet over causes seeded from the rule priors with pseudo-count strength S:
 * α_c = S·p_c, plus every case judged with actual cause c adds 1 to n_c. The prior handed to the
 * engine is (S·p_c + n_c) / (S·max(1, Σp) + N), N the number of counted cases: exactly the rule prior
 * before any feedback, never 0, and moving towards the observed rates as cases accumulate.
 *
 * Rule weights (`<cause>.<evidence id>`) change multiplicatively for the evidence items that fired in
 * the judged diagnosis: × (1 + η) for the actual cause's items, × (1 − η) for a wrong prediction's
 * items, clamped to the engine's [0.1, 10] so no flood of feedback can silence or force a rule.
 */
import { InputError } from '../../contracts/errors.js';
import type { FeedbackData } from '../../contracts/ai-messages.js';
import { MAX_WEIGHT, MIN_WEIGHT } from '../rca/engine.js';

/** Pseudo-count strength of the rule priors: how many cases weigh as much as the catalog. */
export const DEFAULT_PRIOR_STRENGTH = 20;
/** η: the relative change of a rule weight per judged diagnosis. */
export const DEFAULT_LEARNING_RATE = 0.1;
/** Pseudo-count strength of a solution's catalog weight against its recorded outcomes. */
export const SOLUTION_PRIOR_STRENGTH = 2;

export interface OutcomeCounts {
  successes: number;
  failures: number;
}

/** What feedback has taught, as stored (JSON) in the learning store. */
export interface LearningState {
  format: 1;
  /** S, the pseudo-count strength of `base_priors`. */
  strength: number;
  /** η, in (0, 1). */
  learning_rate: number;
  /** The rule priors p_c the Dirichlet is seeded from (set when the graph is seeded). */
  base_priors: Record<string, number>;
  /** n_c: judged cases whose actual cause was c. */
  cause_counts: Record<string, number>;
  /** N = Σ n_c. */
  cases_counted: number;
  /** Learned rule weights by `<cause>.<evidence id>`; absent means 1. */
  weights: Record<string, number>;
  /** Remediation outcomes by `<cause>|<action>`. */
  remediation: Record<string, OutcomeCounts>;
  diagnosis_feedback: number;
  remediation_feedback: number;
}

export interface LearningOptions {
  /** S; default 20. */
  strength?: number;
  /** η; default 0.1. */
  learningRate?: number;
}

/**
 * A state that has learned nothing.
 * @throws InputError naming `strength` or `learningRate` when out of range.
 */
export function emptyLearningState(options: LearningOptions = {}): LearningState {
  const strength = options.strength ?? DEFAULT_PRIOR_STRENGTH;
  const learningRate = options.learningRate ?? DEFAULT_LEARNING_RATE;
  if (!(strength > 0 && Number.isFinite(strength))) throw new InputError(`strength must be a positive number, got ${strength}`, [{ path: 'strength', message: 'must be a positive number' }]);
  if (!(learningRate > 0 && learningRate < 1)) throw new InputError(`learningRate must be between 0 and 1 (exclusive), got ${learningRate}`, [{ path: 'learningRate', message: 'must be between 0 and 1 (exclusive)' }]);
  return { format: 1, strength, learning_rate: learningRate, base_priors: {}, cause_counts: {}, cases_counted: 0, weights: {}, remediation: {}, diagnosis_feedback: 0, remediation_feedback: 0 };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbers(v: unknown, ok: (n: number) => boolean): Record<string, number> {
  const out: Record<string, number> = {};
  if (isRecord(v)) for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && ok(n)) out[k] = n;
  return out;
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}

/**
 * Reads a stored state; a missing or malformed part reads as "nothing learned" for that part (the
 * row starts as `{}`), so a damaged entry costs what it held, never the whole state.
 */
export function parseLearningState(json: unknown): LearningState {
  const base = emptyLearningState();
  if (!isRecord(json)) return base;
  const remediation: Record<string, OutcomeCounts> = {};
  if (isRecord(json['remediation'])) {
    for (const [k, v] of Object.entries(json['remediation'])) if (isRecord(v)) remediation[k] = { successes: count(v['successes']), failures: count(v['failures']) };
  }
  const strength = json['strength'];
  const rate = json['learning_rate'];
  const causeCounts = numbers(json['cause_counts'], (n) => Number.isInteger(n) && n >= 0);
  return {
    format: 1,
    strength: typeof strength === 'number' && strength > 0 && Number.isFinite(strength) ? strength : base.strength,
    learning_rate: typeof rate === 'number' && rate > 0 && rate < 1 ? rate : base.learning_rate,
    base_priors: numbers(json['base_priors'], (n) => n > 0 && n < 1),
    cause_counts: causeCounts,
    cases_counted: Object.values(causeCounts).reduce((a, b) => a + b, 0),
    weights: numbers(json['weights'], (n) => n >= MIN_WEIGHT && n <= MAX_WEIGHT),
    remediation,
    diagnosis_feedback: count(json['diagnosis_feedback']),
    remediation_feedback: count(json['remediation_feedback']),
  };
}

/** The state with its base priors replaced (the rule set changed, or the graph was seeded the first time). */
export function withBasePriors(state: LearningState, priors: ReadonlyMap<string, number> | Readonly<Record<string, number>>): LearningState {
  const entries = priors instanceof Map ? [...priors.entries()] : Object.entries(priors);
  return { ...state, base_priors: numbers(Object.fromEntries(entries), (n) => n > 0 && n < 1) };
}

export type Judgement = { correct: boolean | undefined; actual: string | undefined };

/**
 * What a feedback says happened: `correct` defaults to whether the actual cause equals the prediction,
 * and a confirmed prediction is the actual cause.
 * @throws InputError when the feedback contradicts itself (correct with another actual cause, or
 *   incorrect with the predicted one).
 */
export function judge(f: Pick<FeedbackData, 'predicted_root_cause' | 'actual_root_cause' | 'correct'>): Judgement {
  const correct = f.correct ?? (f.actual_root_cause !== undefined ? f.actual_root_cause === f.predicted_root_cause : undefined);
  if (correct === true && f.actual_root_cause !== undefined && f.actual_root_cause !== f.predicted_root_cause) {
    throw new InputError(`feedback says the diagnosis ${f.predicted_root_cause} was correct but names ${f.actual_root_cause} as the actual root cause`, [
      { path: 'correct', message: `is true but actual_root_cause ${f.actual_root_cause} differs from predicted_root_cause ${f.predicted_root_cause}` },
    ]);
  }
  if (correct === false && f.actual_root_cause === f.predicted_root_cause) {
    throw new InputError(`feedback says the diagnosis ${f.predicted_root_cause} was wrong but names it as the actual root cause`, [
      { path: 'actual_root_cause', message: 'equals predicted_root_cause although correct is false' },
    ]);
  }
  return { correct, actual: f.actual_root_cause ?? (correct === true ? f.predicted_root_cause : undefined) };
}

function clampWeight(w: number): number {
  return Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, w));
}

/** `OOMKilled.terminated-oomkilled` → `OOMKilled`. */
export function causeOfWeightKey(key: string): string {
  const dot = key.indexOf('.');
  return dot < 0 ? key : key.slice(0, dot);
}

/**
 * Learns from a judgement of a diagnosis. `firedEvidence` lists the `<cause>.<evidence id>` items
 * whose ratio the diagnosis applied (any hypothesis); only the predicted and actual causes' items move.
 * Unjudged feedback (neither `correct` nor `actual_root_cause`) teaches nothing but is counted.
 * @throws InputError when the feedback contradicts itself (see `judge`).
 */
export function applyDiagnosisFeedback(
  state: LearningState,
  feedback: Pick<FeedbackData, 'predicted_root_cause' | 'actual_root_cause' | 'correct'>,
  firedEvidence: readonly string[] = [],
): LearningState {
  const { correct, actual } = judge(feedback);
  const next: LearningState = { ...state, diagnosis_feedback: state.diagnosis_feedback + 1 };
  if (correct === undefined) return next;
  if (actual !== undefined) {
    next.cause_counts = { ...state.cause_counts, [actual]: (state.cause_counts[actual] ?? 0) + 1 };
    next.cases_counted = state.cases_counted + 1;
  }
  const eta = state.learning_rate;
  const weights = { ...state.weights };
  for (const key of new Set(firedEvidence)) {
    const cause = causeOfWeightKey(key);
    let factor = 1;
    if (cause === actual) factor = 1 + eta;
    else if (correct === false && cause === feedback.predicted_root_cause) factor = 1 - eta;
    if (factor !== 1) weights[key] = clampWeight((weights[key] ?? 1) * factor);
  }
  next.weights = weights;
  return next;
}

/** The key of a (cause, action) pair in `LearningState.remediation`. */
export function remediationKey(cause: string, action: string): string {
  return `${cause}|${action}`;
}

/**
 * Learns from the outcome of an executed action, counted for the actual cause when known, else the
 * predicted one. Feedback without an action or an outcome teaches nothing but is counted.
 */
export function applyRemediationFeedback(state: LearningState, feedback: Pick<FeedbackData, 'predicted_root_cause' | 'actual_root_cause' | 'action' | 'action_succeeded'>): LearningState {
  const next: LearningState = { ...state, remediation_feedback: state.remediation_feedback + 1 };
  if (feedback.action === undefined || feedback.action_succeeded === undefined) return next;
  const key = remediationKey(feedback.actual_root_cause ?? feedback.predicted_root_cause, feedback.action);
  const was = state.remediation[key] ?? { successes: 0, failures: 0 };
  next.remediation = {
    ...state.remediation,
    [key]: feedback.action_succeeded ? { successes: was.successes + 1, failures: was.failures } : { successes: was.successes, failures: was.failures + 1 },
  };
  return next;
}

/** Applies a feedback of either kind. @throws InputError as `applyDiagnosisFeedback`. */
export function applyFeedback(state: LearningState, feedback: FeedbackData, firedEvidence: readonly string[] = []): LearningState {
  return feedback.kind === 'diagnosis' ? applyDiagnosisFeedback(state, feedback, firedEvidence) : applyRemediationFeedback(state, feedback);
}

/** Per cause, the prior the engine should use (`AnalyzeOptions.priors`). Causes the state knows nothing about are left out. */
export function priorsFrom(state: LearningState): Map<string, number> {
  const s = state.strength;
  const mass = Object.values(state.base_priors).reduce((a, b) => a + b, 0);
  const total = s * Math.max(1, mass) + state.cases_counted;
  const out = new Map<string, number>();
  for (const cause of new Set([...Object.keys(state.base_priors), ...Object.keys(state.cause_counts)])) {
    out.set(cause, (s * (state.base_priors[cause] ?? 0) + (state.cause_counts[cause] ?? 0)) / total);
  }
  return out;
}

/** Per `<cause>.<evidence id>`, the weight the engine should use (`AnalyzeOptions.weights`); items never judged are left out (weight 1). */
export function weightsFrom(state: LearningState): Map<string, number> {
  return new Map(Object.entries(state.weights).map(([k, w]) => [k, clampWeight(w)]));
}

/** (successes + 1) / (successes + failures + 2): 0.5 before any outcome, never 0 or 1. */
export function successRate(c: OutcomeCounts): number {
  return (c.successes + 1) / (c.successes + c.failures + 2);
}

/**
 * A solution's rank: its catalog weight w (a confidence in [0, 1]) counts as SOLUTION_PRIOR_STRENGTH
 * pseudo-outcomes, (successes + 2w) / (successes + failures + 2); equals w before any outcome.
 */
export function solutionScore(weight: number, c: OutcomeCounts): number {
  const w = Math.min(1, Math.max(0, weight));
  return (c.successes + SOLUTION_PRIOR_STRENGTH * w) / (c.successes + c.failures + SOLUTION_PRIOR_STRENGTH);
}

export interface RankedSolution extends OutcomeCounts {
  action: string;
  weight: number;
  success_rate: number;
  score: number;
}

/** Candidate solutions of a cause (action, catalog weight), best first by `solutionScore`, then weight, then action. */
export function rankSolutions(state: LearningState, cause: string, candidates: readonly { action: string; weight: number }[]): RankedSolution[] {
  return candidates
    .map((c) => {
      const counts = state.remediation[remediationKey(cause, c.action)] ?? { successes: 0, failures: 0 };
      return { action: c.action, weight: c.weight, ...counts, success_rate: successRate(counts), score: solutionScore(c.weight, counts) };
    })
    .sort((a, b) => b.score - a.score || b.weight - a.weight || a.action.localeCompare(b.action));
}
