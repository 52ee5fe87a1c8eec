import { describe, it, expect } from 'vitest';
import { REMEDIATION_ACTIONS, REMEDIATION_ACTION_IDS, remediationAction, remediationActionEntry } from './remediation-actions.js';

// The stable ids. Renaming or removing one breaks stored workflows and recommendations, and this list.
const STABLE_IDS = [
  'RestartPod',
  'DeletePod',
  'ScaleDeployment',
  'UpdateResourceLimits',
  'ApplyConfigPatch',
  'RollbackDeployment',
  'CordonNode',
  'DrainNode',
  'ExpandPVC',
  'NotifyOwner',
];

describe('remediation actions', () => {
  it('keeps every stable id, each once', () => {
    for (const stable of STABLE_IDS) expect(REMEDIATION_ACTION_IDS, stable).toContain(stable);
    expect(new Set(REMEDIATION_ACTION_IDS).size).toBe(REMEDIATION_ACTION_IDS.length);
  });

  it('gives each action a one-line meaning', () => {
    for (const action of REMEDIATION_ACTIONS) {
      expect(action.meaning.trim(), action.id).not.toBe('');
      expect(action.meaning, action.id).not.toContain('\n');
    }
  });

  it('marks NotifyOwner as the only action that does not change the cluster', () => {
    expect(REMEDIATION_ACTIONS.filter((a) => !a.writes).map((a) => a.id)).toEqual(['NotifyOwner']);
    expect(remediationActionEntry('DrainNode')?.risk).toBe('high');
  });

  it('rejects the architecture illustration increase_memory_limit', () => {
    expect(remediationAction.safeParse('increase_memory_limit').success).toBe(false);
    expect(remediationAction.parse('UpdateResourceLimits')).toBe('UpdateResourceLimits');
  });
});
