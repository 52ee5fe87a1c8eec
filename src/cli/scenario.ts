import { readFile, readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { SCENARIO_DIR, scenarioPath } from '../sim/scenario/library.js';
import { ScenarioError, formatIssue, parseScenarioWithWarnings } from '../sim/scenario/validate.js';

/**
 * `aetherius scenario list`: every built-in scenario with its expected outcome (root cause or
 * "healthy") and description. Exit 0; 1 when a file in the library is invalid (it is listed as such).
 */
export async function runScenarioList(options: { dir?: string; json?: boolean }): Promise<number> {
  const dir = options.dir ?? SCENARIO_DIR;
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (err) {
    process.stderr.write(`aetherius scenario list: cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 1;
  }
  const rows: { name: string; expected: string; description: string; file: string; valid: boolean }[] = [];
  for (const f of files) {
    const file = join(dir, f);
    const name = basename(f, extname(f));
    try {
      const { scenario } = parseScenarioWithWarnings(await readFile(file, 'utf8'), file);
      const ex = scenario.spec.expect;
      rows.push({ name, expected: ex.healthy ? 'healthy' : (ex.rootCause ?? '?'), description: scenario.metadata.description, file, valid: true });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      rows.push({ name, expected: 'INVALID', description: `${err.issues.length} problem(s): run aetherius scenario validate ${file}`, file, valid: false });
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows.map(({ valid: _v, ...r }) => r), null, 2)}\n`);
  } else {
    const w1 = Math.max(4, ...rows.map((r) => r.name.length));
    const w2 = Math.max(8, ...rows.map((r) => r.expected.length));
    process.stdout.write(`${'NAME'.padEnd(w1)}  ${'EXPECTED'.padEnd(w2)}  DESCRIPTION\n`);
    for (const r of rows) process.stdout.write(`${r.name.padEnd(w1)}  ${r.expected.padEnd(w2)}  ${r.description}\n`);
    if (!rows.length) process.stderr.write(`no scenarios in ${dir}\n`);
  }
  return rows.every((r) => r.valid) ? 0 : 1;
}

/**
 * `aetherius scenario validate FILE...`: every problem of every file with its path, line and hint.
 * A name without a path is a built-in scenario. Exit 0 when all are valid, 1 otherwise.
 */
export async function runScenarioValidate(files: readonly string[]): Promise<number> {
  let bad = 0;
  for (const arg of files) {
    const file = scenarioPath(arg);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      process.stderr.write(`${arg}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      bad++;
      continue;
    }
    try {
      const { warnings } = parseScenarioWithWarnings(text, arg);
      process.stdout.write(`${arg}: valid\n`);
      for (const w of warnings) process.stderr.write(`  warning: ${formatIssue(arg, w)}\n`);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      bad++;
      process.stderr.write(`${arg}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}\n`);
      for (const issue of err.issues) process.stderr.write(`  ${formatIssue(arg, issue)}\n`);
    }
  }
  return bad ? 1 : 0;
}
