/**
 * `POST /api/v1/commands`, `GET /api/v1/commands/{id}` and `/result`: a command for a cluster's agent,
 * validated, sent over the bus (request/reply to `aetherius.agent.{cluster_id}.command`) with a timeout,
 * stored with its result. The agent validates again (it trusts nobody); this layer refuses what is
 * malformed, what targets a cluster with no live agent, and more than `per_cluster` at once.
 *
 * Write actions (`scale`, `patch-resources`, …) need an `approval: { approved_by, reason }` in the body;
 * the API then signs an approval token bound to exactly this command with `remediation.approval_key`
 * (core/commands/approval-token.ts) and sends it along, and the agent verifies it (and runs it only
 * when its own `remediation.enabled` is true). Without a key on this process, writes are refused.
 * Who may approve is not checked yet (no RBAC): the approval is logged with the command id.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  ConfigError,
  ConflictError,
  InputError,
  NoRespondersError,
  NotAllowedError,
  NotFoundError,
  RateLimitedError,
  SCHEMA_VERSION,
  TimeoutError,
  UnavailableError,
  agentCommand,
  agentResult,
  agentSubject,
  errorMessage,
  formatDuration,
  parseDuration,
  parseWith,
  type AgentCommand,
  type AgentResult,
} from '../contracts/index.js';
import type { Bus } from '../adapters/bus/index.js';
import type { Store } from '../adapters/store/index.js';
import type { Logger } from '../adapters/telemetry/index.js';
import { isAgentLive } from '../core/agent-liveness.js';
import { MIN_APPROVAL_KEY_BYTES, approvalClaimsFor, checkCommandPolicy, signApprovalToken } from '../core/commands/index.js';
import type { ApiRoutes } from './route-registry.js';

export interface CommandRouteOptions {
  store: Store;
  /** Without a bus (an `api` process with the embedded bus and no agent) commands answer 503. */
  bus: Bus | undefined;
  /** Commands running at once per cluster; more are refused with 429. */
  perCluster: number;
  /** Longest a command may wait for its agent (the command's own `timeout` is capped by this). */
  maxTimeoutMs: number;
  /** `remediation.approval_key` (see loadApprovalKey): signs approvals of write commands; without it writes are refused. */
  approvalKey?: string | undefined;
  /** Approvals are logged here. */
  logger?: Logger | undefined;
  now?: () => number;
}

/** How long a signed approval stays valid: the command is sent at once, so a short life is enough. */
export const APPROVAL_TTL_SECONDS = 120;

/**
 * The approval key from `remediation.approval_key`, else the file `remediation.approval_key_file`;
 * undefined when neither is set.
 * @throws ConfigError when the file cannot be read or the key is shorter than 32 bytes.
 */
export async function loadApprovalKey(remediation: { approval_key: string; approval_key_file: string }): Promise<string | undefined> {
  let key = remediation.approval_key;
  if (!key && remediation.approval_key_file) {
    try {
      key = (await readFile(remediation.approval_key_file, 'utf8')).trim();
    } catch (err) {
      throw new ConfigError(`cannot read remediation.approval_key_file ${remediation.approval_key_file}: ${errorMessage(err)}`, [{ path: 'remediation.approval_key_file', message: errorMessage(err) }], { cause: err });
    }
  }
  if (!key) return undefined;
  if (Buffer.byteLength(key, 'utf8') < MIN_APPROVAL_KEY_BYTES) {
    throw new ConfigError(`remediation.approval_key must be at least ${MIN_APPROVAL_KEY_BYTES} bytes`, [{ path: 'remediation.approval_key', message: `must be at least ${MIN_APPROVAL_KEY_BYTES} bytes` }]);
  }
  return key;
}

/** Who approved a write command and why (no RBAC yet: recorded, not checked). */
const approvalBody = z.strictObject({
  approved_by: z.string().min(1).max(253),
  reason: z.string().min(1).max(2048),
});

/** The body: the architecture's command without the fields the server fills in. */
const commandBody = agentCommand
  .omit({ schema_version: true, id: true, issued_by: true, timestamp: true })
  .extend({
    schema_version: z.literal(SCHEMA_VERSION).optional(),
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-"').optional(),
    issued_by: z.string().min(1).max(253).optional(),
    // Replaces the wire field (a signed token): clients approve, the API signs.
    approval: approvalBody.optional(),
  })
  .strict();

const idParam = z.object({ id: z.string().min(1).max(253) });

export function addCommandRoutes(routes: ApiRoutes, o: CommandRouteOptions): void {
  const now = o.now ?? Date.now;
  const running = new Map<string, number>();

  routes.add(
    {
      method: 'POST',
      path: '/api/v1/commands',
      tag: 'commands',
      summary: "Run a command on the cluster's agent and wait for its result",
      body: commandBody,
      responses: {
        200: '{ command, result } (a refusal by the agent is a result)',
        400: 'invalid body',
        403: 'a write action without approval, or no remediation.approval_key on the server',
        404: 'unknown cluster',
        409: 'no live agent',
        429: 'too many commands on the cluster',
        504: 'no reply in time',
      },
    },
    async ({ body }) => {
      const { approval, ...fields } = body;
      const cmd: AgentCommand = {
        ...fields,
        schema_version: SCHEMA_VERSION,
        id: body.id ?? `cmd-${randomUUID()}`,
        issued_by: body.issued_by ?? 'api',
        timestamp: new Date(now()).toISOString(),
      };
      const timeoutMs = Math.min(parseDuration(cmd.timeout), o.maxTimeoutMs);
      cmd.timeout = formatDuration(timeoutMs);
      const policy = checkCommandPolicy(cmd);
      if (policy.ok && policy.writes) {
        if (!o.approvalKey) {
          throw new NotAllowedError(`action ${cmd.action} changes the cluster and this server cannot approve it: set remediation.approval_key (or remediation.approval_key_file) to the key the agents verify with`);
        }
        if (!approval) {
          throw new NotAllowedError(`action ${cmd.action} changes the cluster: it needs an approval in the body, "approval": {"approved_by": "...", "reason": "..."}`);
        }
        // Also checks the arguments (400 naming the field) before anything is stored or sent.
        cmd.approval = signApprovalToken(o.approvalKey, approvalClaimsFor(cmd, { nowMs: now(), ttlSeconds: APPROVAL_TTL_SECONDS }));
      } else if (approval) {
        throw new InputError(`action ${cmd.action} is read-only and takes no approval`, [{ path: 'approval', message: 'only write actions (remediation) take an approval' }]);
      }

      const cluster = await o.store.clusters.get(cmd.cluster_id);
      const agents = await o.store.agents.list({ cluster_id: cmd.cluster_id });
      if (!cluster && agents.length === 0) throw new NotFoundError(`cluster ${JSON.stringify(cmd.cluster_id)} not found`);
      if (!agents.some((a) => isAgentLive(a, now()))) {
        throw new ConflictError(`no live agent for cluster ${JSON.stringify(cmd.cluster_id)}: ${agents.length ? 'its agents missed their last heartbeats' : 'no agent has registered'}`);
      }
      if (!o.bus) throw new UnavailableError('commands need the bus: set bus.url (this process has no agent connection)');
      const inFlight = running.get(cmd.cluster_id) ?? 0;
      if (inFlight >= o.perCluster) throw new RateLimitedError(`cluster ${JSON.stringify(cmd.cluster_id)} already runs ${inFlight} commands (limit ${o.perCluster}); retry when one finishes`);

      // Taken before the first await, so concurrent requests cannot all pass the check.
      running.set(cmd.cluster_id, inFlight + 1);
      try {
        if (approval) o.logger?.info({ commandId: cmd.id, clusterId: cmd.cluster_id, action: cmd.action, args: cmd.args, approvedBy: approval.approved_by, reason: approval.reason }, 'write command approved and signed');
        await o.store.commands.create(cmd);
        await o.store.commands.setState(cmd.id, 'sent');
        let result: AgentResult;
        try {
          const reply = await o.bus.request(agentSubject(cmd.cluster_id, 'command'), cmd, { timeoutMs: timeoutMs + 2000 });
          result = parseWith(agentResult, reply.json(), 'reply');
        } catch (err) {
          if (err instanceof NoRespondersError) throw new ConflictError(`no agent of cluster ${JSON.stringify(cmd.cluster_id)} is listening for commands`, { cause: err });
          // The agent may still answer: its result also travels on the results stream, where the manager
          // stores it; GET /api/v1/commands/{id}/result shows it then.
          if (err instanceof TimeoutError) throw new TimeoutError(`command ${cmd.id}: no reply from cluster ${JSON.stringify(cmd.cluster_id)} within ${formatDuration(timeoutMs)}; a late result is still stored (GET /api/v1/commands/${cmd.id}/result)`, { cause: err });
          throw err;
        }
        await o.store.commands.saveResult(result);
        return { command: await o.store.commands.get(cmd.id), result: await o.store.commands.getResult(cmd.id), ...(approval ? { approval } : {}) };
      } finally {
        const left = (running.get(cmd.cluster_id) ?? 1) - 1;
        if (left > 0) running.set(cmd.cluster_id, left);
        else running.delete(cmd.cluster_id);
      }
    },
  );

  routes.add({ method: 'GET', path: '/api/v1/commands/:id', tag: 'commands', summary: 'A stored command and its state', params: idParam, responses: { 200: 'the command', 404: 'no such command' } }, async ({ params }) => {
    const command = await o.store.commands.get(params.id);
    if (!command) throw new NotFoundError(`command ${JSON.stringify(params.id)} not found`);
    return command;
  });

  routes.add({ method: 'GET', path: '/api/v1/commands/:id/result', tag: 'commands', summary: "A command's result", params: idParam, responses: { 200: 'the result', 404: 'no result (yet)' } }, async ({ params }) => {
    const result = await o.store.commands.getResult(params.id);
    if (!result) throw new NotFoundError(`no result for command ${JSON.stringify(params.id)} (yet)`);
    return result;
  });
}
