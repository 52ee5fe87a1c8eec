/**
 * The built-in scenario library (`<repo>/scenarios/*.yaml`) and loading a scenario by name or file.
 */
import { packagePath } from '../../adapters/runtime/package-root.js';
import { readFile, readdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { NotFoundError } from '../../contracts/errors.js';
import type { Scenario } from './schema.js';
import { parseScenario } from './validate.js';

/** `<repo>/scenarios`, found from this file's location (src/sim/scenario). */
export const SCENARIO_DIR = packagePath('scenarios');

export interface ScenarioEntry {
  /** File name without `.yaml`. */
  name: string;
  file: string;
  scenario: Scenario;
}

/**
 * Every `*.yaml` / `*.yml` scenario in `dir`, sorted by name.
 * @throws ScenarioError for the first file that is invalid (validate all with `aetherius scenario validate`).
 * @throws NotFoundError when the directory does not exist.
 */
export async function listScenarios(dir: string = SCENARIO_DIR): Promise<ScenarioEntry[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (err) {
    throw new NotFoundError(`scenario directory ${dir} cannot be read`, { cause: err });
  }
  const out: ScenarioEntry[] = [];
  for (const f of files) {
    const file = join(dir, f);
    out.push({ name: basename(f, extname(f)), file, scenario: parseScenario(await readFile(file, 'utf8'), file) });
  }
  return out;
}

/** The path a name or file stands for: a path (has a `/` or ends in .yaml/.yml) as is, else `<dir>/<name>.yaml`. */
export function scenarioPath(nameOrFile: string, dir: string = SCENARIO_DIR): string {
  if (nameOrFile.includes('/') || nameOrFile.includes('\\') || /\.ya?ml$/.test(nameOrFile)) return resolve(nameOrFile);
  return join(dir, `${nameOrFile}.yaml`);
}

/**
 * Loads a built-in scenario by name (`checkout-oom`) or a scenario file by path.
 * @throws NotFoundError when there is no such scenario; ScenarioError when it is invalid.
 */
export async function loadScenario(nameOrFile: string, dir: string = SCENARIO_DIR): Promise<{ file: string; scenario: Scenario }> {
  const file = scenarioPath(nameOrFile, dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let known: string[] = [];
    try {
      known = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
    } catch {
      // no library to suggest from
    }
    const isName = file !== resolve(nameOrFile);
    const hint = isName && known.length ? `; built-in scenarios: ${known.join(', ')}` : '';
    throw new NotFoundError(`scenario ${nameOrFile}: ${code === 'ENOENT' ? `no such file ${file}` : `cannot read ${file} (${code ?? String(err)})`}${hint}`, { cause: err });
  }
  return { file, scenario: parseScenario(text, file) };
}
