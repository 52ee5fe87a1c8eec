import { readFile } from 'node:fs/promises';
import { ConfigError } from '../contracts/index.js';
import { configReferenceMarkdown, redactConfig, resolveConfig } from '../core/config/index.js';
import { loadConfig } from './load-config.js';
import { printConfigError } from './print-error.js';

/**
 * `aetherius config check FILE`: validates the file together with the current AETHERIUS_* environment
 * and prints every problem at once. Exit 0 when valid, 1 when not.
 */
export async function runConfigCheck(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 1;
  }
  try {
    const { warnings } = resolveConfig({ yamlText: text, source: file, env: process.env });
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`${file}: valid\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${file}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}\n`);
    for (const issue of err.issues) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
    return 1;
  }
}

/** `aetherius config print`: the effective configuration (secrets redacted), as JSON. */
export async function runConfigPrint(file?: string): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return printConfigError(err);
    throw err;
  }
  const { config, warnings } = loaded;
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
  return 0;
}

/** `aetherius config docs`: the Markdown table of every key (embedded in docs/configuration.md). */
export function runConfigDocs(): number {
  process.stdout.write(`${configReferenceMarkdown()}\n`);
  return 0;
}
