import type { z } from 'zod';
import { InputError, type ValidationIssue } from './errors.js';

/** Flattens zod issues to `{path, message}` with dotted paths such as `raw_data.count` or `args.2`. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/**
 * Parses `input` with `schema`.
 * @throws InputError naming every bad field, prefixed by `what` ("event message", "request body").
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  throw new InputError(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
