import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/errors.js';
import { MAX_WEIGHT, MIN_WEIGHT, analyze } from '../rca/engine.js';
import { parseRules } from '../rca/rules.js';
import { deployment, event, node, pod, snapshot } from '../rca/test-support.js';
import {
  applyDiagnosisFeedback,
  applyRemediationFeedback,
  emptyLearningState,
  parseLearningState,
  priorsFrom,
  rankSolutions,
  solutionScore,
  successRate,
  weightsFrom,
  withBasePriors,
  type LearningState,
} from './learning.js';
import { rulePriors } from './seed.js';

const RULES_DIR = new URL('../../../rules/', import.meta.url);
const rules = parseRules(readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => ({ path: `rules/${f}`, text: readFileSync(new URL(f, RULES_DIR), 'utf8') })));

const BASE = new Map([
  ['OOMKilled', 0.04],
  ['MemoryLeak', 0.03],
  ['BadRollout', 0.05],
  ['ImagePullError', 0.04],
]);
const seeded = (): LearningState => withBasePriors(emptyLearningState(), BASE);

/** A new revision whose image cannot be pulled: BadRollout and ImagePullError both explain it. */
function rolloutSnapshot() {
  const { deployment: d, replicaSet: oldRs } = deployment('shop', 'checkout', { replicas: 4, ready: 3, revision: 2, container: { image: 'registry.local/checkout:1.4.2' } });
  oldRs.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
  const newRs = structuredClone(oldRs);
  newRs.metadata.name = 'checkout-5c4b3a2f1e';
  newRs.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
  newRs['spec'] = { replicas: 2, template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'app', image: 'registry.local/checkout:1.5.0' }] } } };
  newRs['status'] = { replicas: 2, readyReplicas: 0 };
  const oldPods = [0, 1, 2].map((i) => pod('shop', `checkout-6d5f8c7b9a-old0${i}`, { owner: oldRs, node: 'node-1', labels: { app: 'checkout' } }));
  const waiting = { ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local/checkout:1.5.0"' } } };
  const newPods = [0, 1].map((i) => pod('shop', `checkout-5c4b3a2f1e-new0${i}`, { owner: newRs, node: 'node-1', labels: { app: 'checkout' }, phase: 'Pending', ready: false, status: waiting }));
  const pull = event(newPods[0]!, 'Warning', 'Failed', 'Failed to pull image "registry.local/checkout:1.5.0": rpc error: code = NotFound desc = failed to resolve reference: not found', { container: 'app', count: 7 });
  return snapshot([node('node-1'), d, oldRs, newRs, ...oldPods, ...newPods, pull]);
}

describe('learning: priors', () => {
  it('hands the engine the rule priors unchanged before any feedback', () => {
    const priors = priorsFrom(seeded());
    for (const [cause, p] of BASE) expect(priors.get(cause)).toBeCloseTo(p, 12);
  });

  it('shifts prior mass towards the actual cause when the prediction was wrong, away from the rest', () => {
    const before = priorsFrom(seeded());
    const after = priorsFrom(applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled', actual_root_cause: 'MemoryLeak', correct: false }));
    expect(after.get('MemoryLeak')!).toBeGreaterThan(before.get('MemoryLeak')!);
    expect(after.get('OOMKilled')!).toBeLessThan(before.get('OOMKilled')!);
    expect(after.get('BadRollout')!).toBeLessThan(before.get('BadRollout')!);
    // Still a distribution over causes (with the rest of the mass on causes not listed).
    expect([...after.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1);
  });

  it('confirms a right prediction by raising its prior; unjudged feedback teaches nothing', () => {
    const confirmed = priorsFrom(applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled', correct: true }));
    expect(confirmed.get('OOMKilled')!).toBeGreaterThan(0.04);
    const unjudged = applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled' }, ['OOMKilled.terminated-oomkilled']);
    expect(priorsFrom(unjudged)).toEqual(priorsFrom(seeded()));
    expect(weightsFrom(unjudged).size).toBe(0);
    expect(unjudged.diagnosis_feedback).toBe(1);
  });

  it('converges towards the observed rate of a cause, and never reaches 0 for one never seen', () => {
    let s = seeded();
    for (let i = 0; i < 500; i++) s = applyDiagnosisFeedback(s, { predicted_root_cause: 'OOMKilled', actual_root_cause: i % 2 ? 'OOMKilled' : 'MemoryLeak' });
    const p = priorsFrom(s);
    expect(p.get('OOMKilled')!).toBeGreaterThan(0.45);
    expect(p.get('OOMKilled')!).toBeLessThan(0.5);
    expect(p.get('BadRollout')!).toBeGreaterThan(0);
  });

  it('rejects feedback that contradicts itself, naming the field', () => {
    const err = (() => {
      try {
        applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled', actual_root_cause: 'MemoryLeak', correct: true });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).issues[0]?.path).toBe('correct');
    expect(() => applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled', actual_root_cause: 'OOMKilled', correct: false })).toThrow(/actual root cause/);
  });
});

describe('learning: rule weights', () => {
  const fired = ['OOMKilled.terminated-oomkilled', 'OOMKilled.repeated', 'MemoryLeak.memory-growth', 'BadRollout.changed'];

  it('lowers the wrong prediction’s fired items and raises the actual cause’s, leaving other causes alone', () => {
    const w = weightsFrom(applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled', actual_root_cause: 'MemoryLeak' }, fired));
    expect(w.get('OOMKilled.terminated-oomkilled')).toBeCloseTo(0.9);
    expect(w.get('OOMKilled.repeated')).toBeCloseTo(0.9);
    expect(w.get('MemoryLeak.memory-growth')).toBeCloseTo(1.1);
    expect(w.has('BadRollout.changed')).toBe(false);
  });

  it('stays within [0.1, 10] however many feedbacks push one way', () => {
    let wrong = seeded();
    let right = seeded();
    for (let i = 0; i < 1000; i++) {
      wrong = applyDiagnosisFeedback(wrong, { predicted_root_cause: 'OOMKilled', correct: false }, fired);
      right = applyDiagnosisFeedback(right, { predicted_root_cause: 'OOMKilled', correct: true }, fired);
    }
    expect(weightsFrom(wrong).get('OOMKilled.terminated-oomkilled')).toBe(MIN_WEIGHT);
    expect(weightsFrom(right).get('OOMKilled.terminated-oomkilled')).toBe(MAX_WEIGHT);
    expect(MIN_WEIGHT).toBeGreaterThan(0);
    // Recovers from the floor once right again.
    const back = applyDiagnosisFeedback(wrong, { predicted_root_cause: 'OOMKilled', correct: true }, fired);
    expect(weightsFrom(back).get('OOMKilled.terminated-oomkilled')!).toBeGreaterThan(MIN_WEIGHT);
  });

  it('survives a JSON round trip, and a damaged stored state loses only the damaged part', () => {
    const s = applyRemediationFeedback(applyDiagnosisFeedback(seeded(), { predicted_root_cause: 'OOMKilled', correct: false }, fired), {
      predicted_root_cause: 'OOMKilled',
      action: 'RestartPod',
      action_succeeded: true,
    });
    expect(parseLearningState(JSON.parse(JSON.stringify(s)))).toEqual(s);
    const damaged = parseLearningState({ ...JSON.parse(JSON.stringify(s)), weights: { 'OOMKilled.repeated': 'x', 'OOMKilled.terminated-oomkilled': 0.9 }, strength: -1 });
    expect(damaged.weights).toEqual({ 'OOMKilled.terminated-oomkilled': 0.9 });
    expect(damaged.strength).toBe(20);
    expect(damaged.base_priors).toEqual(s.base_priors);
    expect(parseLearningState(null)).toEqual(emptyLearningState());
  });
});

describe('learning: solutions', () => {
  it('ranks by catalog confidence first, then lets recorded outcomes reorder', () => {
    const candidates = [
      { action: 'UpdateResourceLimits', weight: 0.9 },
      { action: 'NotifyOwner', weight: 0.4 },
      { action: 'RestartPod', weight: 0.3 },
    ];
    expect(rankSolutions(seeded(), 'OOMKilled', candidates).map((s) => s.action)).toEqual(['UpdateResourceLimits', 'NotifyOwner', 'RestartPod']);
    let s = seeded();
    for (let i = 0; i < 3; i++) s = applyRemediationFeedback(s, { predicted_root_cause: 'OOMKilled', action: 'UpdateResourceLimits', action_succeeded: false });
    for (let i = 0; i < 3; i++) s = applyRemediationFeedback(s, { predicted_root_cause: 'OOMKilled', action: 'RestartPod', action_succeeded: true });
    const ranked = rankSolutions(s, 'OOMKilled', candidates);
    expect(ranked.map((x) => x.action)).toEqual(['RestartPod', 'NotifyOwner', 'UpdateResourceLimits']);
    expect(ranked[0]).toMatchObject({ successes: 3, failures: 0, success_rate: 0.8 });
    // Outcomes count for the actual cause when the feedback names one.
    const other = applyRemediationFeedback(seeded(), { predicted_root_cause: 'OOMKilled', actual_root_cause: 'MemoryLeak', action: 'RestartPod', action_succeeded: true });
    expect(other.remediation).toEqual({ 'MemoryLeak|RestartPod': { successes: 1, failures: 0 } });
  });

  it('smooths: no outcome gives the catalog weight and rate 0.5, never 0 or 1', () => {
    expect(solutionScore(0.7, { successes: 0, failures: 0 })).toBeCloseTo(0.7);
    expect(successRate({ successes: 0, failures: 0 })).toBe(0.5);
    expect(successRate({ successes: 0, failures: 50 })).toBeGreaterThan(0);
    expect(successRate({ successes: 50, failures: 0 })).toBeLessThan(1);
  });
});

describe('learning with the root-cause engine', () => {
  it('a wrong diagnosis becomes right after feedback on similar cases, and the flip needs only a few', () => {
    let state = withBasePriors(emptyLearningState(), rulePriors(rules.rules));
    const first = analyze(rolloutSnapshot(), undefined, { rules });
    expect(first.root_cause?.type).toBe('BadRollout');
    expect(first.hypotheses.map((h) => h.type)).toContain('ImagePullError');
    const confidences: number[] = [];
    let flippedAfter: number | undefined;
    for (let k = 1; k <= 5 && flippedAfter === undefined; k++) {
      const r = analyze(rolloutSnapshot(), undefined, { rules, priors: priorsFrom(state), weights: weightsFrom(state) });
      confidences.push(r.hypotheses.find((h) => h.type === 'ImagePullError')?.confidence ?? 0);
      const fired = r.hypotheses.flatMap((h) => h.evidence.map((e) => `${h.type}.${e.id}`));
      state = applyDiagnosisFeedback(state, { predicted_root_cause: r.root_cause!.type, actual_root_cause: 'ImagePullError' }, fired);
      const next = analyze(rolloutSnapshot(), undefined, { rules, priors: priorsFrom(state), weights: weightsFrom(state) });
      if (next.root_cause?.type === 'ImagePullError') flippedAfter = k;
    }
    expect(flippedAfter).toBeDefined();
    expect(flippedAfter!).toBeLessThanOrEqual(3);
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]!).toBeGreaterThan(confidences[i - 1]!);
  });

  it('a flood of wrong feedback leaves an evidence item counting at a tenth of its ratio', () => {
    let state = withBasePriors(emptyLearningState(), rulePriors(rules.rules));
    for (let i = 0; i < 300; i++) state = applyDiagnosisFeedback(state, { predicted_root_cause: 'BadRollout', correct: false }, ['BadRollout.new-revision-fails']);
    const r = analyze(rolloutSnapshot(), undefined, { rules, weights: weightsFrom(state) });
    const item = r.hypotheses.find((h) => h.type === 'BadRollout')?.evidence.find((e) => e.id === 'new-revision-fails');
    expect(item?.weight).toBe(0.1);
    expect(item?.contribution).toBeCloseTo(Math.log(item!.likelihood_ratio * 0.1));
  });
});
