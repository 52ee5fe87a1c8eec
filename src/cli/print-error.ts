import type { ConfigError } from '../contracts/index.js';

/** Prints every configuration problem, one per line; returns exit code 2. */
export function printConfigError(err: ConfigError): number {
  process.stderr.write(`aetherius: invalid configuration (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'})\n`);
  for (const issue of err.issues) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
  return 2;
}
