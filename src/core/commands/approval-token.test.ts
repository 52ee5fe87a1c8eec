import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/errors.js';
import { ApprovalError, argsSha256, signApprovalToken, verifyApprovalToken, type ApprovalBinding, type ApprovalClaims } from './approval-token.js';
import { approvalBindingFor, approvalClaimsFor } from './approval-claims.js';

const KEY = 'k'.repeat(32);
const NOW = Date.parse('2025-09-30T10:15:30Z');
const COMMAND = { id: 'cmd-1', cluster_id: 'prod', type: 'remediation' as const, tool: 'kubectl', action: 'scale', args: ['deployment/web', '--replicas=3'], namespace: 'shop' };

function claims(over: Partial<ApprovalClaims> = {}): ApprovalClaims {
  return { ...approvalClaimsFor(COMMAND, { nowMs: NOW, ttlSeconds: 600, nonce: 'nonce-0123456789abcdef' }), ...over };
}
const binding: ApprovalBinding = approvalBindingFor(COMMAND);

function failure(fn: () => unknown): ApprovalError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApprovalError) return err;
    throw err;
  }
  throw new Error('expected an ApprovalError');
}

describe('approval tokens', () => {
  it('binds the command: id, cluster, action, namespace/resource/name and the exact args', () => {
    expect(binding).toEqual({ command_id: 'cmd-1', cluster_id: 'prod', action: 'scale', target: 'shop/deployments/web', args_sha256: argsSha256(COMMAND.args) });
    expect(argsSha256(['a', 'b'])).not.toBe(argsSha256(['a,b']));
  });

  it('verifies a token it signed and returns the claims', () => {
    const token = signApprovalToken(KEY, claims());
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyApprovalToken(KEY, token, binding, NOW + 60_000)).toEqual(claims());
  });

  it('signs the same claims to the same token whatever their key order', () => {
    const c = claims();
    const reversed = Object.fromEntries(Object.entries(c).reverse()) as ApprovalClaims;
    expect(signApprovalToken(KEY, reversed)).toBe(signApprovalToken(KEY, c));
  });

  it('refuses an expired token beyond the 30 s skew, and one issued in the future', () => {
    const token = signApprovalToken(KEY, claims());
    expect(() => verifyApprovalToken(KEY, token, binding, NOW + 600_000 + 30_000)).not.toThrow();
    const expired = failure(() => verifyApprovalToken(KEY, token, binding, NOW + 600_000 + 31_000));
    expect(expired.reason).toBe('approval_expired');
    expect(expired.message).toBe('the approval token expired 31s ago; ask for a new approval');
    expect(failure(() => verifyApprovalToken(KEY, token, binding, NOW - 60_000)).message).toBe('the approval token was issued in the future (check the clocks)');
  });

  it('refuses a token bound to another command, cluster, action, target or args', () => {
    const token = signApprovalToken(KEY, claims());
    for (const [field, value] of [['command_id', 'cmd-2'], ['cluster_id', 'staging'], ['action', 'drain'], ['target', 'kube-system/deployments/web'], ['args_sha256', argsSha256(['deployment/web', '--replicas=300'])]] as const) {
      const err = failure(() => verifyApprovalToken(KEY, token, { ...binding, [field]: value }, NOW));
      expect(err.reason).toBe('approval_invalid');
      expect(err.message).toContain(`was issued for ${field} `);
    }
  });

  it('refuses altered tokens and a wrong key, comparing MACs in constant time', () => {
    const token = signApprovalToken(KEY, claims());
    const [payload = '', mac = ''] = token.split('.');
    const altered = Buffer.from(JSON.stringify({ ...claims(), args_sha256: '0'.repeat(64) })).toString('base64url');
    const bad = [
      `${altered}.${mac}`,
      `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `${payload}.${mac}.x`,
      `${payload}.`,
      `${payload}.${mac.slice(0, 20)}`,
      'garbage',
      signApprovalToken('another-key-of-at-least-32-bytes!!', claims()),
    ];
    for (const t of bad) expect(failure(() => verifyApprovalToken(KEY, t, binding, NOW)).reason).toBe('approval_invalid');
  });

  it('refuses keys shorter than 32 bytes and lifetimes over 15 minutes', () => {
    expect(() => signApprovalToken('short', claims())).toThrow(InputError);
    expect(() => verifyApprovalToken('short', 'a.b', binding, NOW)).toThrow(/at least 32 are required/);
    expect(() => signApprovalToken(KEY, claims({ exp: claims().iat + 901 }))).toThrow('approval lifetime is 901s; it must be between 1s and 900s');
    expect(() => approvalClaimsFor({ ...COMMAND, action: 'logs', type: 'diagnostic', args: ['web'] }, { nowMs: NOW })).toThrow('action logs is read-only and needs no approval');
  });
});
