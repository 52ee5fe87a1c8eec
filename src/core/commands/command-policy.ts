/**
 * Which commands an agent runs at all: the tool, the allow-listed actions and whether each reads or
 * writes. Anything not listed is refused before its arguments are looked at.
 */

export const COMMAND_TOOL = 'kubectl';

export const DIAGNOSTIC_ACTIONS = ['logs', 'describe', 'get', 'events', 'top'] as const;
export const WRITE_ACTIONS = ['patch-resources', 'scale', 'rollout-undo', 'delete-pod', 'cordon', 'uncordon', 'drain'] as const;

export type DiagnosticAction = (typeof DIAGNOSTIC_ACTIONS)[number];
export type WriteAction = (typeof WRITE_ACTIONS)[number];
export type CommandAction = DiagnosticAction | WriteAction;

/** Why a command was refused; one counter per reason. */
export const REJECTION_REASONS = [
  'schema',
  'cluster_mismatch',
  'not_allowed',
  'invalid_argument',
  'rate_limited',
  'concurrency_limited',
  'remediation_disabled',
  'approval_invalid',
  'approval_expired',
  'approval_replayed',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export function isCommandAction(action: string): action is CommandAction {
  return (DIAGNOSTIC_ACTIONS as readonly string[]).includes(action) || (WRITE_ACTIONS as readonly string[]).includes(action);
}

export function isWriteAction(action: string): action is WriteAction {
  return (WRITE_ACTIONS as readonly string[]).includes(action);
}

export type PolicyDecision = { ok: true; action: CommandAction; writes: boolean } | { ok: false; message: string };

/** Checks tool, action and type against the allow-list; the message names the field and the problem. */
export function checkCommandPolicy(command: { tool: string; action: string; type: 'diagnostic' | 'remediation' }): PolicyDecision {
  if (command.tool !== COMMAND_TOOL) return { ok: false, message: `tool ${JSON.stringify(command.tool.slice(0, 64))} is not supported; the only tool is ${COMMAND_TOOL}` };
  const action = command.action;
  if (!isCommandAction(action)) {
    const hint = /^secrets?$/i.test(action) ? ' (secrets are never readable through the agent)' : '';
    return {
      ok: false,
      message: `action ${JSON.stringify(action.slice(0, 64))} is not on the allow-list${hint}; allowed: ${[...DIAGNOSTIC_ACTIONS, ...WRITE_ACTIONS].join(', ')}`,
    };
  }
  const writes = isWriteAction(action);
  if (writes && command.type !== 'remediation') return { ok: false, message: `action ${action} changes the cluster, so type must be remediation, not ${command.type}` };
  if (!writes && command.type !== 'diagnostic') return { ok: false, message: `action ${action} is read-only, so type must be diagnostic, not ${command.type}` };
  return { ok: true, action, writes };
}
