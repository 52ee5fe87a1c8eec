/**
 * Runs the commands the control plane sends on `aetherius.agent.{cluster_id}.command`: read-only
 * diagnostics (logs, describe, get, events, top) and, when remediation is enabled and a signed approval
 * travels with the command, a few idempotent writes. Everything goes through the KubeApi port as typed
 * requests; there is no shell and no child process.
 *
 * A command passes five layers, each with its own rejection reason: schema, cluster, allow-list,
 * argument grammar, then rate and concurrency limits; writes also need remediation enabled and a valid,
 * unused approval token. Rejections cost no Kubernetes API call. `execute` never throws: every outcome,
 * including an internal failure, is a result the caller can publish.
 */
import { agentCommand, type AgentCommand, type AgentResult, type CommandStatus } from '../contracts/agent-messages.js';
import { CLUSTER_ID_PATTERN, SCHEMA_VERSION, formatDuration, parseDuration } from '../contracts/common.js';
import { ConflictError, InputError, KubeApiError, NotFoundError, UnavailableError, isAetheriusError, errorMessage, type ValidationIssue } from '../contracts/errors.js';
import { toValidationIssues } from '../contracts/validate.js';
import {
  APPROVAL_CLOCK_SKEW_SECONDS,
  ApprovalError,
  MIN_APPROVAL_KEY_BYTES,
  REJECTION_REASONS,
  ReplayGuard,
  TokenBucket,
  approvalTarget,
  argsSha256,
  checkCommandPolicy,
  isWriteCommand,
  parseCommandArgs,
  truncateOutput,
  verifyApprovalToken,
  type ParsedCommand,
  type RejectionReason,
  type WriteCommand,
} from '../core/commands/index.js';
import { KUBE_RESOURCES, type KubeApi, type KubeResource } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { describeObject } from '../core/kube/describe.js';
import { record } from '../core/kube/read.js';
import { asPrintable, noResourcesMessage, redactConfigData, renderEvents, renderJson, renderNames, renderTable, renderTopNodes, renderTopPods, renderYaml } from '../core/kube/render.js';
import type { Logger } from '../adapters/telemetry/index.js';

export type { RejectionReason } from '../core/commands/index.js';

/** Exit codes as a shell would report them, so a reader of results recognises them. */
export const EXIT_SUCCESS = 0;
export const EXIT_ERROR = 1;
export const EXIT_TIMEOUT = 124;
export const EXIT_REJECTED = 126;

/** Lines of log returned when the command names no --tail, --since or --limit-bytes. */
export const DEFAULT_LOG_TAIL = 200;
const MAX_ERROR_CHARS = 4096;
const MIN_OUTPUT_BYTES = 256;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** How long drain waits before retrying an eviction a PodDisruptionBudget refused (429), as kubectl does. */
const EVICTION_RETRY_MS = 5000;

export interface CommandExecutorOptions {
  /** This agent's cluster; commands for another cluster are refused. */
  clusterId: string;
  api: KubeApi;
  /** Longest a command may run (agent.commands.timeout); a command asking for more gets this. */
  timeoutMs: number;
  /** Output beyond this many UTF-8 bytes is truncated with a marker (agent.commands.max_output_bytes). */
  maxOutputBytes: number;
  /** Token bucket refill rate and burst (agent.commands.rate_per_minute). */
  ratePerMinute: number;
  /** Commands running at once (agent.commands.max_concurrent). */
  maxConcurrent: number;
  /** Write actions: off unless `enabled`; then each needs a token signed with `approvalKey` (≥ 32 bytes). */
  remediation: { enabled: boolean; approvalKey?: string };
  /** Clock for rate limiting, token expiry and timestamps (ms since the epoch); defaults to Date.now. */
  now?: () => number;
  logger?: Logger;
  /** Approval nonces remembered at once (default 10 000). */
  replayGuardEntries?: number;
}

export interface ExecuteOutcome {
  result: AgentResult;
  /** Set when the command was refused, for metrics. */
  rejection?: RejectionReason;
}

export interface CommandExecutorStats {
  received: number;
  inFlight: number;
  byStatus: Record<CommandStatus, number>;
  byReason: Record<RejectionReason, number>;
}

/** A refusal: the reason and a sentence naming the field or argument and the problem. */
class Rejection {
  constructor(
    readonly reason: RejectionReason,
    readonly message: string,
  ) {}
}

/** Objects fetched per request when listing for `get -o json|yaml|name`. */
const LIST_PAGE = 250;

interface Output {
  text: string;
  /** The text was already capped upstream, so its size is a lower bound. */
  atLeast?: boolean;
}

function firstIssue(issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > 3) shown.push(`and ${issues.length - 3} more`);
  return shown.join('; ');
}

/** The command id a malformed message carries, if it is usable in a result. */
function readableId(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'unknown';
  const id = (raw as Record<string, unknown>)['id'];
  return typeof id === 'string' && id.length >= 1 && id.length <= 253 ? id : 'unknown';
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function qualifiedKind(r: KubeResource): string {
  return `${r.kind.toLowerCase()}${r.group ? `.${r.group}` : ''}`;
}

type Obj = Record<string, unknown>;

/** Annotations rollout undo never copies from the ReplicaSet, as kubectl's rollbacker skips them. */
const ROLLBACK_SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

function revisionOf(obj: KubeObject): number {
  const n = Number(obj.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? NaN);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

function templateWithoutHash(template: unknown): Obj {
  const t: Obj = structuredClone(record(template));
  const meta = record(t['metadata']);
  const labels = { ...record(meta['labels']) };
  delete labels['pod-template-hash'];
  t['metadata'] = { ...meta, labels };
  return t;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Obj).sort(([a], [b]) => a.localeCompare(b))) : v));
}

function matchLabelsSelector(selector: unknown): string | undefined {
  const labels = Object.entries(record(record(selector)['matchLabels']));
  return labels.length ? labels.map(([k, v]) => `${k}=${String(v)}`).join(',') : undefined;
}

export class CommandExecutor {
  private readonly o: CommandExecutorOptions;
  private readonly now: () => number;
  private readonly bucket: TokenBucket;
  private readonly replay: ReplayGuard;
  private inFlight = 0;
  private readonly counts: CommandExecutorStats;

  /** @throws InputError naming each bad option (cluster id, limits, a missing or short approval key). */
  constructor(options: CommandExecutorOptions) {
    const issues: ValidationIssue[] = [];
    if (!CLUSTER_ID_PATTERN.test(options.clusterId)) issues.push({ path: 'clusterId', message: 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit' });
    if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs)) issues.push({ path: 'timeoutMs', message: 'must be a positive number of milliseconds' });
    if (!Number.isInteger(options.maxOutputBytes) || options.maxOutputBytes < MIN_OUTPUT_BYTES || options.maxOutputBytes > MAX_OUTPUT_BYTES) {
      issues.push({ path: 'maxOutputBytes', message: `must be a whole number from ${MIN_OUTPUT_BYTES} to ${MAX_OUTPUT_BYTES}` });
    }
    if (!(options.ratePerMinute >= 1) || !Number.isFinite(options.ratePerMinute)) issues.push({ path: 'ratePerMinute', message: 'must be at least 1' });
    if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) issues.push({ path: 'maxConcurrent', message: 'must be a whole number, at least 1' });
    if (options.remediation.enabled && Buffer.byteLength(options.remediation.approvalKey ?? '', 'utf8') < MIN_APPROVAL_KEY_BYTES) {
      issues.push({ path: 'remediation.approval_key', message: `remediation is enabled, so an approval key of at least ${MIN_APPROVAL_KEY_BYTES} bytes is required` });
    }
    if (issues.length) throw new InputError(`invalid command executor options: ${firstIssue(issues)}`, issues);
    this.o = options;
    this.now = options.now ?? Date.now;
    this.bucket = new TokenBucket(options.ratePerMinute, this.now);
    this.replay = new ReplayGuard(options.replayGuardEntries);
    this.counts = {
      received: 0,
      inFlight: 0,
      byStatus: { success: 0, error: 0, rejected: 0, timeout: 0 },
      byReason: Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>,
    };
  }

  /** Counters since start: commands received, by result status and by rejection reason. */
  stats(): CommandExecutorStats {
    return { received: this.counts.received, inFlight: this.inFlight, byStatus: { ...this.counts.byStatus }, byReason: { ...this.counts.byReason } };
  }

  /** Validates and runs one raw command message. Never throws. */
  async execute(raw: unknown): Promise<ExecuteOutcome> {
    const start = this.now();
    this.counts.received++;
    let id = 'unknown';
    try {
      id = readableId(raw);
      const checked = this.validate(raw);
      if (checked instanceof Rejection) return this.reject(id, checked, start);
      const { command, parsed } = checked;
      id = command.id;
      // Concurrency first: a command refused for concurrency must not spend a rate token.
      if (this.inFlight >= this.o.maxConcurrent) return this.reject(id, new Rejection('concurrency_limited', `${this.inFlight} commands are running; at most ${this.o.maxConcurrent} run at once, retry later`), start);
      if (!this.bucket.tryTake()) {
        return this.reject(id, new Rejection('rate_limited', `more than ${this.o.ratePerMinute} commands a minute; retry in ${Math.ceil(this.bucket.waitMs() / 1000)}s`), start);
      }
      if (isWriteCommand(parsed)) {
        const approval = this.checkApproval(command, parsed);
        if (approval) return this.reject(id, approval, start);
      }
      return await this.run(command, parsed, start);
    } catch (err) {
      // A bug must not take the agent down or leave the control plane waiting: answer with an error.
      this.o.logger?.error({ err, commandId: id }, 'command executor failed');
      return this.finish(this.result(id, 'error', EXIT_ERROR, '', `internal error: ${errorMessage(err)}`, start));
    }
  }

  /** Layers 1–4 (and the remediation switch): pure checks, no API call. */
  private validate(raw: unknown): { command: AgentCommand; parsed: ParsedCommand } | Rejection {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      const what = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw;
      return new Rejection('schema', `the command must be a JSON object, got ${what}`);
    }
    const parsed = agentCommand.safeParse(raw);
    if (!parsed.success) return new Rejection('schema', `invalid command: ${firstIssue(toValidationIssues(parsed.error))}`);
    const command = parsed.data;
    if (command.cluster_id !== this.o.clusterId) {
      return new Rejection('cluster_mismatch', `cluster_id ${JSON.stringify(command.cluster_id)} is not this agent's cluster ${JSON.stringify(this.o.clusterId)}`);
    }
    const policy = checkCommandPolicy(command);
    if (!policy.ok) return new Rejection('not_allowed', policy.message);
    if (policy.writes && !this.o.remediation.enabled) {
      return new Rejection('remediation_disabled', `action ${policy.action} changes the cluster and remediation is disabled on this agent (remediation.enabled: false)`);
    }
    try {
      return { command, parsed: parseCommandArgs(policy.action, command.args, command.namespace) };
    } catch (err) {
      if (err instanceof InputError) return new Rejection('invalid_argument', err.message);
      throw err;
    }
  }

  private checkApproval(command: AgentCommand, parsed: WriteCommand): Rejection | undefined {
    if (command.approval === undefined) return new Rejection('approval_invalid', `action ${parsed.action} needs an approval token in the approval field, signed by the control plane`);
    const now = this.now();
    try {
      const claims = verifyApprovalToken(
        this.o.remediation.approvalKey ?? '',
        command.approval,
        { command_id: command.id, cluster_id: command.cluster_id, action: command.action, target: approvalTarget(parsed), args_sha256: argsSha256(command.args) },
        now,
      );
      const verdict = this.replay.use([`nonce:${claims.nonce}`, `command:${claims.command_id}`], (claims.exp + APPROVAL_CLOCK_SKEW_SECONDS) * 1000, now);
      if (verdict === 'replayed') return new Rejection('approval_replayed', `the approval token for command ${JSON.stringify(command.id)} was already used; each approval works once`);
      if (verdict === 'full') return new Rejection('approval_invalid', 'too many approvals are outstanding on this agent; retry when older ones expire');
      return undefined;
    } catch (err) {
      if (err instanceof ApprovalError) return new Rejection(err.reason, err.message);
      throw err;
    }
  }

  private async run(command: AgentCommand, parsed: ParsedCommand, start: number): Promise<ExecuteOutcome> {
    let asked: number;
    try {
      asked = parseDuration(command.timeout);
    } catch {
      asked = this.o.timeoutMs;
    }
    const timeoutMs = asked > 0 ? Math.min(asked, this.o.timeoutMs) : this.o.timeoutMs;
    const controller = new AbortController();
    this.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = this.dispatch(parsed, controller.signal).then(
        (output) => ({ ok: true as const, output }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([work, timedOut]);
      if (outcome === 'timeout') {
        controller.abort(new Error(`command timed out after ${formatDuration(timeoutMs)}`));
        this.o.logger?.warn({ commandId: command.id, action: command.action, timeoutMs }, 'command timed out');
        return this.finish(this.result(command.id, 'timeout', EXIT_TIMEOUT, '', `timeout: ${command.action} did not finish within ${formatDuration(timeoutMs)}; the request was aborted`, start));
      }
      if (outcome.ok) {
        const { output, truncated } = truncateOutput(outcome.output.text, this.o.maxOutputBytes, outcome.output.atLeast);
        this.o.logger?.info({ commandId: command.id, action: command.action, issuedBy: command.issued_by, truncated }, 'command executed');
        return this.finish(this.result(command.id, 'success', EXIT_SUCCESS, output, '', start, truncated));
      }
      const message = this.failureMessage(outcome.err);
      this.o.logger?.info({ commandId: command.id, action: command.action, error: message }, 'command failed');
      return this.finish(this.result(command.id, 'error', EXIT_ERROR, '', message, start));
    } finally {
      clearTimeout(timer);
      // Released on timeout too: an adapter that ignores the abort must not hold a slot forever.
      this.inFlight--;
    }
  }

  /** kubectl's wording for a failure. */
  private failureMessage(err: unknown): string {
    if (err instanceof KubeApiError) {
      if (err.status === 0) return `Unable to connect to the server: ${err.message}`;
      // The adapter prefixes the request (`GET /api/v1/...: `) for its logs; kubectl shows the server's words only.
      const message = err.message.replace(/^(GET|POST|PUT|PATCH|DELETE|HEAD) \/\S*: /, '');
      return err.reason ? `Error from server (${err.reason}): ${message}` : `Error from server: ${message}`;
    }
    if (isAetheriusError(err)) return err.message;
    this.o.logger?.error({ err }, 'unexpected error while running a command');
    return `error: ${errorMessage(err)}`;
  }

  private reject(id: string, rejection: Rejection, start: number): ExecuteOutcome {
    this.counts.byReason[rejection.reason]++;
    this.o.logger?.warn({ commandId: id, reason: rejection.reason, error: rejection.message.slice(0, 512) }, 'command rejected');
    return { ...this.finish(this.result(id, 'rejected', EXIT_REJECTED, '', `${rejection.reason}: ${rejection.message}`, start)), rejection: rejection.reason };
  }

  private finish(result: AgentResult): ExecuteOutcome {
    this.counts.byStatus[result.status]++;
    return { result };
  }

  private result(id: string, status: CommandStatus, exitCode: number, output: string, error: string, start: number, truncated?: boolean): AgentResult {
    const now = this.now();
    return {
      schema_version: SCHEMA_VERSION,
      command_id: id,
      cluster_id: this.o.clusterId,
      status,
      exit_code: exitCode,
      output,
      error: error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error,
      execution_time: formatDuration(Math.max(0, now - start)),
      timestamp: new Date(now).toISOString(),
      ...(truncated ? { truncated: true } : {}),
    };
  }

  // ---- actions ---------------------------------------------------------------------------------

  private dispatch(p: ParsedCommand, signal: AbortSignal): Promise<Output> {
    switch (p.action) {
      case 'logs':
        return this.logs(p, signal);
      case 'describe':
        return this.describe(p, signal);
      case 'get':
        return this.get(p, signal);
      case 'events':
        return this.events(p, signal);
      case 'top':
        return this.top(p, signal);
      case 'scale':
        return this.scale(p, signal);
      case 'patch-resources':
        return this.patchResources(p, signal);
      case 'rollout-undo':
        return this.rolloutUndo(p, signal);
      case 'delete-pod':
        return this.deletePod(p, signal);
      case 'cordon':
      case 'uncordon':
        return this.cordon(p.name, p.action === 'cordon', signal);
      case 'drain':
        return this.drain(p, signal);
    }
  }

  private async logs(p: Extract<ParsedCommand, { action: 'logs' }>, signal: AbortSignal): Promise<Output> {
    // Without a limit a chatty pod could send gigabytes; read a few times the output limit at most.
    const cap = this.o.maxOutputBytes * 4;
    // A caller may ask for less than the cap, never more: the agent must not hold 64 MiB of logs per command.
    const limitBytes = Math.min(p.limitBytes ?? cap, cap);
    const tailLines = p.tailLines ?? (p.sinceSeconds === undefined && p.limitBytes === undefined ? DEFAULT_LOG_TAIL : undefined);
    const text = await this.o.api.logs(p.namespace, p.pod, {
      ...(p.container !== undefined ? { container: p.container } : {}),
      previous: p.previous,
      ...(tailLines !== undefined ? { tailLines } : {}),
      ...(p.sinceSeconds !== undefined ? { sinceSeconds: p.sinceSeconds } : {}),
      timestamps: p.timestamps,
      limitBytes,
      signal,
    });
    return { text, atLeast: limitBytes === cap && Buffer.byteLength(text, 'utf8') >= cap };
  }

  private async describe(p: Extract<ParsedCommand, { action: 'describe' }>, signal: AbortSignal): Promise<Output> {
    const r = KUBE_RESOURCES[p.resource];
    const obj = await this.o.api.get(r, p.name, r.namespaced ? p.namespace : undefined, signal);
    const selector = [`involvedObject.kind=${r.kind}`, `involvedObject.name=${obj.metadata.name}`];
    if (r.namespaced) selector.push(`involvedObject.namespace=${obj.metadata.namespace ?? p.namespace}`);
    // kubelet records node events with the node's name as uid, so kubectl does not match on uid there.
    if (r.kind !== 'Node' && obj.metadata.uid) selector.push(`involvedObject.uid=${obj.metadata.uid}`);
    const events = await this.o.api.list(KUBE_RESOURCES.events, { ...(r.namespaced ? { namespace: obj.metadata.namespace ?? p.namespace } : {}), fieldSelector: selector.join(','), signal });
    let replicaSets: KubeObject[] | undefined;
    if (r.kind === 'Deployment') {
      const labelSelector = matchLabelsSelector(record(obj['spec'])['selector']);
      replicaSets = (await this.o.api.list(KUBE_RESOURCES.replicasets, { namespace: p.namespace, ...(labelSelector ? { labelSelector } : {}), signal })).items;
    }
    return { text: describeObject(redactConfigData(obj), { events: events.items, ...(replicaSets ? { replicaSets } : {}), now: this.now() }) };
  }

  private async get(p: Extract<ParsedCommand, { action: 'get' }>, signal: AbortSignal): Promise<Output> {
    const r = KUBE_RESOURCES[p.resource];
    const namespace = r.namespaced && !p.allNamespaces ? p.namespace : undefined;
    const selectors = { ...(p.labelSelector !== undefined ? { labelSelector: p.labelSelector } : {}), ...(p.fieldSelector !== undefined ? { fieldSelector: p.fieldSelector } : {}) };
    if (p.output === 'table' || p.output === 'wide') {
      const table = await this.o.api.table(r, { ...(namespace !== undefined ? { namespace } : {}), ...(p.name !== undefined ? { name: p.name } : {}), ...selectors, signal });
      const text = renderTable(table, { wide: p.output === 'wide', withNamespace: r.namespaced && p.allNamespaces });
      return { text: text === undefined ? noResourcesMessage(namespace) : `${text}\n` };
    }
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    if (p.name !== undefined) {
      const obj = await this.o.api.get(r, p.name, namespace, signal);
      if (p.output === 'name') return { text: renderNames([obj], r.group, r.kind) };
      const printable = asPrintable(obj, apiVersion, r.kind);
      return { text: p.output === 'json' ? renderJson(printable) : renderYaml(printable) };
    }
    // Page by page, and stop once the rendering is past the output limit: `get pods -A -o json` on a
    // 5,000-pod cluster would otherwise hold tens of MB in an agent whose heap is bounded.
    const items: KubeObject[] = [];
    let cont = '';
    let bytes = 0;
    let capped = false;
    do {
      const page = await this.o.api.list(r, { ...(namespace !== undefined ? { namespace } : {}), ...selectors, limit: LIST_PAGE, continue: cont, signal });
      for (const item of page.items) {
        items.push(item);
        bytes += Buffer.byteLength(JSON.stringify(item));
      }
      cont = page.continue ?? '';
      if (cont && p.output !== 'name' && bytes > this.o.maxOutputBytes) capped = true;
    } while (cont && !capped);
    if (p.output === 'name') return { text: items.length ? renderNames(items, r.group, r.kind) : noResourcesMessage(namespace) };
    const printable = asPrintable(items, apiVersion, r.kind);
    return { text: p.output === 'json' ? renderJson(printable) : renderYaml(printable), atLeast: capped };
  }

  private async events(p: Extract<ParsedCommand, { action: 'events' }>, signal: AbortSignal): Promise<Output> {
    const selector: string[] = [];
    if (p.for) {
      selector.push(`involvedObject.kind=${KUBE_RESOURCES[p.for.resource].kind}`, `involvedObject.name=${p.for.name}`);
    }
    if (p.types.length === 1) selector.push(`type=${p.types[0] ?? ''}`);
    const namespace = p.allNamespaces ? undefined : p.namespace;
    const list = await this.o.api.list(KUBE_RESOURCES.events, { ...(namespace !== undefined ? { namespace } : {}), ...(selector.length ? { fieldSelector: selector.join(',') } : {}), signal });
    const items = p.types.length ? list.items.filter((e) => p.types.includes(e['type'] as 'Normal')) : list.items;
    const text = renderEvents(items, this.now(), { withNamespace: p.allNamespaces });
    return { text: text === undefined ? (namespace ? `No events found in ${namespace} namespace.` : 'No events found.') : `${text}\n` };
  }

  private async top(p: Extract<ParsedCommand, { action: 'top' }>, signal: AbortSignal): Promise<Output> {
    const metricsResource = p.resource === 'pods' ? KUBE_RESOURCES.podmetrics : KUBE_RESOURCES.nodemetrics;
    const namespace = p.resource === 'pods' && !p.allNamespaces ? p.namespace : undefined;
    const unavailable = (err: unknown) => new UnavailableError('error: metrics API not available (is metrics-server installed?)', { cause: err });
    let items: KubeObject[];
    try {
      if (p.name !== undefined) items = [await this.o.api.get(metricsResource, p.name, namespace, signal)];
      else items = (await this.o.api.list(metricsResource, { ...(namespace !== undefined ? { namespace } : {}), ...(p.labelSelector !== undefined ? { labelSelector: p.labelSelector } : {}), signal })).items;
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.status !== 404) throw err;
      if (p.name === undefined) throw unavailable(err);
      // A 404 for one name is either a missing object or a missing API: a list tells which.
      try {
        await this.o.api.list(metricsResource, { ...(namespace !== undefined ? { namespace } : {}), limit: 1, signal });
      } catch (probe) {
        if (probe instanceof KubeApiError && probe.status === 404) throw unavailable(probe);
        throw probe;
      }
      throw err;
    }
    if (p.resource === 'pods') {
      const text = renderTopPods(items, { containers: p.containers, withNamespace: p.allNamespaces });
      return { text: text === undefined ? noResourcesMessage(namespace) : `${text}\n` };
    }
    const nodes = p.name !== undefined ? [await this.o.api.get(KUBE_RESOURCES.nodes, p.name, undefined, signal)] : (await this.o.api.list(KUBE_RESOURCES.nodes, { signal })).items;
    const text = renderTopNodes(items, nodes);
    return { text: text === undefined ? noResourcesMessage(undefined) : `${text}\n` };
  }

  // ---- writes ----------------------------------------------------------------------------------

  private async scale(p: Extract<ParsedCommand, { action: 'scale' }>, signal: AbortSignal): Promise<Output> {
    const r = KUBE_RESOURCES[p.resource];
    await this.o.api.patch(r, p.name, p.namespace, { spec: { replicas: p.replicas } }, 'merge', signal);
    return { text: `${qualifiedKind(r)}/${p.name} scaled\n` };
  }

  private async patchResources(p: Extract<ParsedCommand, { action: 'patch-resources' }>, signal: AbortSignal): Promise<Output> {
    const r = KUBE_RESOURCES[p.resource];
    const obj = await this.o.api.get(r, p.name, p.namespace, signal);
    const containers = ((record(record(record(obj['spec'])['template'])['spec'])['containers'] ?? []) as unknown[]).map(record);
    const current = containers.find((c) => c['name'] === p.container);
    if (!current) {
      throw new NotFoundError(`error: container ${JSON.stringify(p.container)} not found in ${qualifiedKind(r)}/${p.name} (containers: ${containers.map((c) => String(c['name'])).join(', ') || 'none'})`);
    }
    const resources = record(current['resources']);
    const unchanged = (want: Record<string, string> | undefined, have: unknown) => !want || Object.entries(want).every(([k, v]) => record(have)[k] === v);
    if (unchanged(p.limits, resources['limits']) && unchanged(p.requests, resources['requests'])) {
      return { text: `${qualifiedKind(r)}/${p.name} patched (no change)\n` };
    }
    const patch = {
      spec: { template: { spec: { containers: [{ name: p.container, resources: { ...(p.limits ? { limits: p.limits } : {}), ...(p.requests ? { requests: p.requests } : {}) } }] } } },
    };
    await this.o.api.patch(r, p.name, p.namespace, patch, 'strategic', signal);
    return { text: `${qualifiedKind(r)}/${p.name} patched\n` };
  }

  /** kubectl's DeploymentRollbacker: copy the chosen revision's pod template back into the Deployment. */
  private async rolloutUndo(p: Extract<ParsedCommand, { action: 'rollout-undo' }>, signal: AbortSignal): Promise<Output> {
    const r = KUBE_RESOURCES.deployments;
    const d = await this.o.api.get(r, p.name, p.namespace, signal);
    const spec = record(d['spec']);
    if (spec['paused'] === true) throw new ConflictError(`error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${p.name}' and try again`);
    const labelSelector = matchLabelsSelector(spec['selector']);
    const list = await this.o.api.list(KUBE_RESOURCES.replicasets, { namespace: p.namespace, ...(labelSelector ? { labelSelector } : {}), signal });
    const owned = list.items.filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === d.metadata.uid));
    let target: KubeObject | undefined;
    if (p.toRevision !== undefined) {
      target = owned.find((rs) => revisionOf(rs) === p.toRevision);
      if (!target) throw new NotFoundError(`error: unable to find specified revision ${p.toRevision} in history`);
    } else {
      const max = Math.max(-1, ...owned.map(revisionOf));
      const previous = owned.filter((rs) => revisionOf(rs) >= 0 && revisionOf(rs) < max).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (!previous) throw new NotFoundError('error: no rollout history found for deployment ' + JSON.stringify(p.name));
      target = previous;
    }
    const template = templateWithoutHash(record(target['spec'])['template']);
    if (stableJson(template) === stableJson(templateWithoutHash(spec['template']))) {
      return { text: `${qualifiedKind(r)}/${p.name} skipped rollback (current template already matches revision ${revisionOf(target)})\n` };
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (ROLLBACK_SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
    for (const [k, v] of Object.entries(target.metadata.annotations ?? {})) if (!ROLLBACK_SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
    const patch = [
      // Fails with 422 when the Deployment changed since it was read, instead of overwriting that change.
      { op: 'test', path: '/metadata/resourceVersion', value: d.metadata.resourceVersion },
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ];
    await this.o.api.patch(r, p.name, p.namespace, patch, 'json', signal);
    return { text: `${qualifiedKind(r)}/${p.name} rolled back\n` };
  }

  private async deletePod(p: Extract<ParsedCommand, { action: 'delete-pod' }>, signal: AbortSignal): Promise<Output> {
    await this.o.api.delete(KUBE_RESOURCES.pods, p.name, p.namespace, signal);
    return { text: `pod "${p.name}" deleted\n` };
  }

  private async cordon(name: string, unschedulable: boolean, signal: AbortSignal): Promise<Output> {
    const node = await this.o.api.get(KUBE_RESOURCES.nodes, name, undefined, signal);
    const verb = unschedulable ? 'cordoned' : 'uncordoned';
    if ((record(node['spec'])['unschedulable'] === true) === unschedulable) return { text: `node/${name} already ${verb}\n` };
    await this.o.api.patch(KUBE_RESOURCES.nodes, name, undefined, { spec: { unschedulable: unschedulable ? true : null } }, 'merge', signal);
    return { text: `node/${name} ${verb}\n` };
  }

  /** kubectl drain: cordon, refuse what kubectl refuses without its override flags, then evict the rest. */
  private async drain(p: Extract<ParsedCommand, { action: 'drain' }>, signal: AbortSignal): Promise<Output> {
    const lines = [(await this.cordon(p.name, true, signal)).text.trimEnd()];
    const pods = (await this.o.api.list(KUBE_RESOURCES.pods, { fieldSelector: `spec.nodeName=${p.name}`, signal })).items;
    const key = (pod: KubeObject) => `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
    const daemon: string[] = [];
    const unmanaged: string[] = [];
    const emptyDir: string[] = [];
    const evict: KubeObject[] = [];
    for (const pod of pods) {
      if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) continue;
      const phase = record(pod['status'])['phase'];
      const finished = phase === 'Succeeded' || phase === 'Failed';
      const controller = pod.metadata.ownerReferences?.find((ref) => ref.controller);
      if (controller?.kind === 'DaemonSet' && !finished) {
        daemon.push(key(pod));
        continue;
      }
      if (!controller && !finished && !p.force) unmanaged.push(key(pod));
      const volumes = ((record(pod['spec'])['volumes'] ?? []) as unknown[]).map(record);
      if (!finished && !p.deleteEmptydirData && volumes.some((v) => v['emptyDir'] !== undefined)) emptyDir.push(key(pod));
      evict.push(pod);
    }
    const problems: string[] = [];
    if (daemon.length && !p.ignoreDaemonsets) problems.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemon.join(', ')}`);
    if (unmanaged.length) problems.push(`cannot delete Pods that declare no controller (use --force to override): ${unmanaged.join(', ')}`);
    if (emptyDir.length) problems.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${emptyDir.join(', ')}`);
    if (problems.length) throw new ConflictError(`${lines.join('\n')}\nerror: unable to drain node "${p.name}" due to error: ${problems.join(', ')}; the node stays cordoned`);
    if (daemon.length) lines.push(`Warning: ignoring DaemonSet-managed Pods: ${daemon.join(', ')}`);
    for (const pod of evict) {
      lines.push(`evicting pod ${key(pod)}`);
      const body = {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
        ...(p.gracePeriodSeconds !== undefined ? { deleteOptions: { gracePeriodSeconds: p.gracePeriodSeconds } } : {}),
      };
      for (;;) {
        try {
          await this.o.api.createSubresource(KUBE_RESOURCES.pods, pod.metadata.name, pod.metadata.namespace, 'eviction', body, signal);
          lines.push(`pod/${pod.metadata.name} evicted`);
          break;
        } catch (err) {
          if (err instanceof KubeApiError && err.status === 404) {
            lines.push(`pod/${pod.metadata.name} already gone`);
            break;
          }
          // 429: a PodDisruptionBudget forbids the eviction for now; kubectl waits and retries until its timeout.
          if (err instanceof KubeApiError && err.status === 429) {
            lines.push(`error when evicting pod "${pod.metadata.name}" (will retry after 5s): ${err.message}`);
            await abortableSleep(EVICTION_RETRY_MS, signal);
            continue;
          }
          throw err;
        }
      }
    }
    lines.push(`node/${p.name} drained`);
    return { text: `${lines.join('\n')}\n` };
  }
}
