import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, NotFoundError } from '../../contracts/errors.js';
import { ROOT_CAUSE_TYPES } from '../../contracts/root-cause-taxonomy.js';
import { loadRules, readRuleFiles } from './load-rules.js';

describe('loadRules', () => {
  it('loads one rule per root-cause id from the repository', async () => {
    const set = await loadRules();
    expect([...set.byCause.keys()].sort()).toEqual([...ROOT_CAUSE_TYPES].sort());
    const files = await readRuleFiles();
    expect(files.find((f) => f.path === join('rules', 'oom-killed.yaml'))).toBeDefined();
  });

  it('names the file and field of a bad rule in another directory, and a missing directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aetherius-rules-'));
    try {
      await writeFile(join(dir, 'oom-killed.yaml'), 'cause: OOMKilled\ndescription: x\nprior: 2\nresource: [workload]\nevidence: []\n');
      const err = await loadRules(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain(`${join(dir, 'oom-killed.yaml')}: prior: must be less than 1`);
      await expect(loadRules(join(dir, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 10_000);
});
