/**
 * Reads the rule files (`<repo>/rules/*.yaml`, one per root cause) and hands their text to the pure
 * parser in src/core/rca/rules.ts.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../../contracts/errors.js';
import { parseRules, type CompiledRuleSet, type RuleFile } from '../../core/rca/rules.js';
import { packagePath } from '../runtime/package-root.js';

/** `<repo>/rules`, found from the package root as the scenario library is. */
export const RULES_DIR = packagePath('rules');

/**
 * The text of every `*.yaml` / `*.yml` file in `dir`, sorted by name, with paths relative to the
 * package (`rules/oom-killed.yaml`) when they are the built-in ones.
 * @throws NotFoundError when the directory cannot be read.
 */
export async function readRuleFiles(dir: string = RULES_DIR): Promise<RuleFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (err) {
    throw new NotFoundError(`rule directory ${dir} cannot be read`, { cause: err });
  }
  const label = dir === RULES_DIR ? 'rules' : dir;
  return Promise.all(names.map(async (f) => ({ path: join(label, f), text: await readFile(join(dir, f), 'utf8') })));
}

/**
 * Loads and validates the rule set.
 * @throws NotFoundError when the directory cannot be read; ConfigError naming each bad file and field.
 */
export async function loadRules(dir: string = RULES_DIR): Promise<CompiledRuleSet> {
  return parseRules(await readRuleFiles(dir));
}
