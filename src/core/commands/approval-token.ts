/**
 * Approval tokens for write commands: the control plane signs, the agent verifies. A token is
 * `base64url(claims JSON).base64url(HMAC-SHA256(key, first part))`, like a JWT without the header:
 * there is exactly one algorithm, so there is nothing to negotiate and no `alg: none` to forge.
 * The claims bind the token to one command (id, cluster, action, target, exact args), it expires
 * (at most 15 minutes after it was issued) and carries a nonce the agent remembers, so it works once.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { InputError, NotAllowedError } from '../../contracts/errors.js';
import { toValidationIssues } from '../../contracts/validate.js';

export const APPROVAL_TOKEN_VERSION = 1;
export const MIN_APPROVAL_KEY_BYTES = 32;
/** Longest lifetime a token may claim. */
export const MAX_APPROVAL_LIFETIME_SECONDS = 15 * 60;
/** Clock difference tolerated between the signer and the agent. */
export const APPROVAL_CLOCK_SKEW_SECONDS = 30;
export const MAX_APPROVAL_TOKEN_CHARS = 4096;

const B64URL = /^[A-Za-z0-9_-]+$/;

export const approvalClaims = z.strictObject({
  v: z.literal(APPROVAL_TOKEN_VERSION),
  command_id: z.string().min(1).max(253),
  cluster_id: z.string().min(1).max(63),
  action: z.string().min(1).max(64),
  /** `namespace/resource/name`; the namespace is empty for cluster-scoped objects (`/nodes/node-1`). */
  target: z.string().min(3).max(600),
  /** Hex SHA-256 of the JSON array of the command's args (see argsSha256). */
  args_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Issued at, seconds since the epoch. */
  iat: z.number().int().nonnegative(),
  /** Expires at, seconds since the epoch. */
  exp: z.number().int().positive(),
  /** At least 16 random bytes, base64url or hex. */
  nonce: z.string().min(16).max(128).regex(B64URL),
});
export type ApprovalClaims = z.infer<typeof approvalClaims>;

export type ApprovalFailure = 'approval_invalid' | 'approval_expired';

/** A token that does not authorise the command; `reason` says which way it failed. */
export class ApprovalError extends NotAllowedError {
  readonly reason: ApprovalFailure;

  constructor(reason: ApprovalFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The hash of a command's args as bound into its token: SHA-256 of `JSON.stringify(args)`, hex. */
export function argsSha256(args: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(args)).digest('hex');
}

/** A fresh nonce: 16 random bytes, base64url. */
export function newApprovalNonce(): string {
  return randomBytes(16).toString('base64url');
}

function keyBytes(key: string | Uint8Array): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < MIN_APPROVAL_KEY_BYTES) {
    throw new InputError(`approval key is ${bytes.length} bytes; at least ${MIN_APPROVAL_KEY_BYTES} are required`, [
      { path: 'remediation.approval_key', message: `must be at least ${MIN_APPROVAL_KEY_BYTES} bytes` },
    ]);
  }
  return bytes;
}

/** JSON with keys sorted, so signer and verifier agree on the bytes whatever the object's key order. */
function canonicalJson(claims: ApprovalClaims): string {
  const sorted = Object.fromEntries(Object.entries(claims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify(sorted);
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/**
 * Signs approval claims into a token.
 * @throws InputError when the key is shorter than 32 bytes, a claim is malformed, or the lifetime
 *   (`exp - iat`) is not between 1 second and 15 minutes.
 */
export function signApprovalToken(key: string | Uint8Array, claims: ApprovalClaims): string {
  const k = keyBytes(key);
  const parsed = approvalClaims.safeParse(claims);
  if (!parsed.success) {
    const issues = toValidationIssues(parsed.error);
    throw new InputError(`invalid approval claims: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const lifetime = parsed.data.exp - parsed.data.iat;
  if (lifetime <= 0 || lifetime > MAX_APPROVAL_LIFETIME_SECONDS) {
    throw new InputError(`approval lifetime is ${lifetime}s; it must be between 1s and ${MAX_APPROVAL_LIFETIME_SECONDS}s`, [
      { path: 'exp', message: `must be 1 to ${MAX_APPROVAL_LIFETIME_SECONDS} seconds after iat` },
    ]);
  }
  const payload = Buffer.from(canonicalJson(parsed.data), 'utf8').toString('base64url');
  return `${payload}.${mac(k, payload).toString('base64url')}`;
}

/** What the agent expects a token to be bound to, computed from the command it received. */
export interface ApprovalBinding {
  command_id: string;
  cluster_id: string;
  action: string;
  target: string;
  args_sha256: string;
}

/**
 * Checks a token's signature, lifetime and binding to the command; returns its claims.
 * Single use is the caller's job (ReplayGuard), after this succeeds.
 * @throws InputError when the key is shorter than 32 bytes.
 * @throws ApprovalError `approval_invalid` (malformed, bad signature, bound to another command, issued
 *   in the future) or `approval_expired`.
 */
export function verifyApprovalToken(key: string | Uint8Array, token: string, expected: ApprovalBinding, nowMs: number): ApprovalClaims {
  const k = keyBytes(key);
  const invalid = (why: string): never => {
    throw new ApprovalError('approval_invalid', why);
  };
  if (token.length === 0) invalid('the approval token is empty');
  if (token.length > MAX_APPROVAL_TOKEN_CHARS) invalid(`the approval token is ${token.length} characters long; at most ${MAX_APPROVAL_TOKEN_CHARS} are allowed`);
  const parts = token.split('.');
  const [payload, signature] = parts;
  if (parts.length !== 2 || !payload || !signature || !B64URL.test(payload) || !B64URL.test(signature)) {
    invalid('the approval token is not base64url(claims).base64url(signature)');
  }
  const given = Buffer.from(signature ?? '', 'base64url');
  const wanted = mac(k, payload ?? '');
  // Compare only equal lengths (timingSafeEqual throws otherwise); the length of a MAC is no secret.
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) invalid('the approval token signature does not match (wrong key or altered token)');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
  } catch {
    invalid('the approval token claims are not JSON');
  }
  const parsed = approvalClaims.safeParse(json);
  if (!parsed.success) {
    const first = toValidationIssues(parsed.error)[0];
    return invalid(`the approval token claims are malformed${first ? ` (${first.path}: ${first.message})` : ''}`);
  }
  const claims = parsed.data;
  const now = Math.floor(nowMs / 1000);
  if (claims.exp - claims.iat > MAX_APPROVAL_LIFETIME_SECONDS || claims.exp <= claims.iat) {
    invalid(`the approval token lifetime is ${claims.exp - claims.iat}s; at most ${MAX_APPROVAL_LIFETIME_SECONDS}s is accepted`);
  }
  if (claims.iat > now + APPROVAL_CLOCK_SKEW_SECONDS) invalid('the approval token was issued in the future (check the clocks)');
  if (now > claims.exp + APPROVAL_CLOCK_SKEW_SECONDS) {
    throw new ApprovalError('approval_expired', `the approval token expired ${now - claims.exp}s ago; ask for a new approval`);
  }
  for (const field of ['command_id', 'cluster_id', 'action', 'target', 'args_sha256'] as const) {
    if (claims[field] !== expected[field]) {
      invalid(`the approval token was issued for ${field} ${JSON.stringify(claims[field].slice(0, 96))}, not ${JSON.stringify(expected[field].slice(0, 96))}`);
    }
  }
  return claims;
}
