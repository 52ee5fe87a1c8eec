import type { z } from 'zod';
import { InputError, type ValidationIssue } from './errors.js';

/** Flattens zod issues to `{path, message}` with dotted paths such as `raw_data.count` or `args.2`. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

const MAX_ISSUES_IN_MESSAGE = 10;

/**
 * Parses `input` with `schema`.
 * @throws InputError listing every bad field in `issues`; its message, prefixed by `what` ("event
 *   message", "request body"), names the first ten.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  // The message goes to logs and dead-letter headers, so it names the first few problems only.
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > MAX_ISSUES_IN_MESSAGE) shown.push(`and ${issues.length - MAX_ISSUES_IN_MESSAGE} more`);
  throw new InputError(`invalid ${what}: ${shown.join('; ')}`, issues);
}
