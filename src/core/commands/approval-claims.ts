/**
 * The claims a control plane signs to approve one write command, computed from the command itself so
 * signer and agent derive the same target and args hash.
 */
import type { AgentCommand } from '../../contracts/agent-messages.js';
import { InputError } from '../../contracts/errors.js';
import { APPROVAL_TOKEN_VERSION, MAX_APPROVAL_LIFETIME_SECONDS, argsSha256, newApprovalNonce, type ApprovalBinding, type ApprovalClaims } from './approval-token.js';
import { approvalTarget, isWriteCommand, parseCommandArgs } from './command-grammar.js';
import { checkCommandPolicy } from './command-policy.js';

/**
 * What a token for `command` must be bound to.
 * @throws InputError when the command is not an allowed write command or its arguments are invalid.
 */
export function approvalBindingFor(command: Pick<AgentCommand, 'id' | 'cluster_id' | 'type' | 'tool' | 'action' | 'args' | 'namespace'>): ApprovalBinding {
  const policy = checkCommandPolicy(command);
  if (!policy.ok) throw new InputError(policy.message, [{ path: 'action', message: policy.message }]);
  const parsed = parseCommandArgs(policy.action, command.args, command.namespace);
  if (!isWriteCommand(parsed)) throw new InputError(`action ${command.action} is read-only and needs no approval`, [{ path: 'action', message: 'needs no approval' }]);
  return { command_id: command.id, cluster_id: command.cluster_id, action: command.action, target: approvalTarget(parsed), args_sha256: argsSha256(command.args) };
}

export interface ApprovalClaimsOptions {
  /** Signing time, ms since the epoch. */
  nowMs: number;
  /** Lifetime in seconds (default and maximum 900). */
  ttlSeconds?: number;
  /** Defaults to 16 random bytes. */
  nonce?: string;
}

/**
 * Claims approving exactly `command`, ready for signApprovalToken.
 * @throws InputError as approvalBindingFor does, or when ttlSeconds is outside 1..900.
 */
export function approvalClaimsFor(command: Pick<AgentCommand, 'id' | 'cluster_id' | 'type' | 'tool' | 'action' | 'args' | 'namespace'>, options: ApprovalClaimsOptions): ApprovalClaims {
  const ttl = options.ttlSeconds ?? MAX_APPROVAL_LIFETIME_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_APPROVAL_LIFETIME_SECONDS) {
    throw new InputError(`ttlSeconds ${ttl} must be a whole number from 1 to ${MAX_APPROVAL_LIFETIME_SECONDS}`, [{ path: 'ttlSeconds', message: 'out of range' }]);
  }
  const iat = Math.floor(options.nowMs / 1000);
  return { v: APPROVAL_TOKEN_VERSION, ...approvalBindingFor(command), iat, exp: iat + ttl, nonce: options.nonce ?? newApprovalNonce() };
}
