import { describe, it, expect } from 'vitest';
import { eventCategory } from './agent-messages.js';
import { ROOT_CAUSE_TAXONOMY, ROOT_CAUSE_TYPES, rootCauseEntry, rootCauseType } from './root-cause-taxonomy.js';

// The stable ids. Renaming or removing one breaks consumers and stored incidents, and this list.
const STABLE_IDS = [
  'OOMKilled',
  'MemoryLeak',
  'ImagePullError',
  'MissingConfigMap',
  'MissingSecret',
  'ConfigurationError',
  'ApplicationCrash',
  'CommandNotFound',
  'DependencyUnavailable',
  'ConnectionPoolExhausted',
  'UpstreamRateLimited',
  'DNSResolutionFailure',
  'CertificateExpired',
  'LivenessProbeFailure',
  'ReadinessProbeFailure',
  'InsufficientResources',
  'NodeSelectorMismatch',
  'UntoleratedTaint',
  'PVCPending',
  'VolumeMountFailure',
  'DiskFull',
  'NodeNotReady',
  'NodeDiskPressure',
  'NodeMemoryPressure',
  'BadRollout',
  'CPUThrottling',
  'QuotaExceeded',
  'JobFailed',
  'HPAMaxedOut',
  'NetworkPolicyBlocked',
  'ServiceSelectorMismatch',
];

describe('root-cause taxonomy', () => {
  it('keeps every stable id', () => {
    for (const stable of STABLE_IDS) expect(ROOT_CAUSE_TYPES, stable).toContain(stable);
  });

  it('has unique ids', () => {
    expect(new Set(ROOT_CAUSE_TYPES).size).toBe(ROOT_CAUSE_TYPES.length);
  });

  it('gives each id a one-line meaning and a known category', () => {
    for (const entry of ROOT_CAUSE_TAXONOMY) {
      expect(entry.meaning.trim(), entry.id).not.toBe('');
      expect(entry.meaning, entry.id).not.toContain('\n');
      expect(eventCategory.safeParse(entry.category).success, entry.id).toBe(true);
    }
  });

  it('validates ids with a message pointing at the reference', () => {
    expect(rootCauseType.parse('OOMKilled')).toBe('OOMKilled');
    const result = rootCauseType.safeParse('OOMKiller');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('root-cause taxonomy id');
  });

  it('looks entries up by id', () => {
    expect(rootCauseEntry('PVCPending')?.category).toBe('storage');
    expect(rootCauseEntry('constructor')).toBeUndefined();
  });
});
