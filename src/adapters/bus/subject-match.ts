/**
 * NATS subject rules, shared by both bus adapters so that a subject the memory bus accepts is one real
 * NATS accepts too: tokens separated by `.`, never empty, no whitespace; in subscriptions `*` matches
 * exactly one token and `>` (last token only) matches one or more trailing tokens.
 */
import { InputError } from '../../contracts/errors.js';

/** Characters NATS treats as token separators on the wire; forbidden inside a subject. */
const WHITESPACE = /\s/;

export type SubjectUse = 'publish' | 'subscribe';

/**
 * Why `subject` is not valid for `use`, or undefined when it is. Wildcards must be whole tokens
 * (`a.*.c`, `a.>`): `a*` is refused rather than silently treated as a literal, as NATS would.
 */
export function subjectProblem(subject: string, use: SubjectUse): string | undefined {
  if (typeof subject !== 'string' || subject.length === 0) return 'must not be empty';
  if (WHITESPACE.test(subject)) return 'must not contain whitespace';
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (token.length === 0) return 'must not contain empty tokens (leading, trailing or double dots)';
    const wildcard = token === '*' || token === '>';
    if (!wildcard && (token.includes('*') || token.includes('>'))) return `wildcards must be whole tokens, got ${JSON.stringify(token)}`;
    if (wildcard && use === 'publish') return 'wildcards are allowed only when subscribing';
    if (token === '>' && i !== tokens.length - 1) return '">" is allowed only as the last token';
  }
  return undefined;
}

export function isValidSubject(subject: string, use: SubjectUse): boolean {
  return subjectProblem(subject, use) === undefined;
}

/**
 * @throws InputError naming the subject and what is wrong with it.
 */
export function assertSubject(subject: string, use: SubjectUse): void {
  const problem = subjectProblem(subject, use);
  if (problem !== undefined) {
    throw new InputError(`invalid ${use} subject ${JSON.stringify(subject)}: ${problem}`, [{ path: 'subject', message: problem }]);
  }
}

/** True when the literal `subject` is matched by `pattern` (which may contain `*` and `>`). */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/** True when some literal subject is matched by both patterns (how NATS decides stream overlap). */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const tx = x[i];
    const ty = y[i];
    if (tx === undefined || ty === undefined) return tx === ty;
    if (tx === '>' || ty === '>') return true;
    if (tx !== '*' && ty !== '*' && tx !== ty) return false;
  }
}

/**
 * Metric label for a subject: the cluster id token of `aetherius.agent.{cluster_id}.{kind}` becomes
 * `*`, so the label set stays bounded however many clusters report.
 */
export function subjectPattern(subject: string): string {
  const parts = subject.split('.');
  if (parts.length === 4 && parts[0] === 'aetherius' && parts[1] === 'agent') return `aetherius.agent.*.${parts[3]}`;
  return subject;
}

/**
 * Stream and durable consumer names: NATS forbids `.`, `*`, `>`, whitespace and path separators.
 * @throws InputError naming `what` ("stream name", "durable name").
 */
export function assertName(name: string, what: string): void {
  if (typeof name !== 'string' || !/^[^\s.*>/\\]{1,255}$/.test(name)) {
    throw new InputError(`invalid ${what} ${JSON.stringify(name)}: must be 1-255 characters without ".", "*", ">", "/", "\\" or whitespace`, [
      { path: what, message: 'must be 1-255 characters without ".", "*", ">", "/", "\\" or whitespace' },
    ]);
  }
}
