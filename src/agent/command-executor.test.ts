import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../contracts/errors.js';
import { agentResult } from '../contracts/agent-messages.js';
import { approvalClaimsFor, signApprovalToken, type RejectionReason } from '../core/commands/index.js';
import type { KubeApi, KubeList, KubeResource, KubeTable, ListOptions, LogOptions, PatchType } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { HOSTILE_APPROVAL_KEY, HOSTILE_CLUSTER_ID, hostileCommands } from '../../test/fixtures/hostile-commands.js';
import { CommandExecutor, type CommandExecutorOptions } from './command-executor.js';

const CLUSTER = HOSTILE_CLUSTER_ID;
const KEY = HOSTILE_APPROVAL_KEY;
const T0 = Date.parse('2025-09-30T10:15:30Z');

interface Call {
  method: string;
  args: unknown[];
}

function notFound(what: string, name: string): KubeApiError {
  return new KubeApiError(`${what} "${name}" not found`, 404, 'NotFound');
}

/** A KubeApi that records every call; each method answers from an override or fails with 404. */
class RecordingKubeApi implements KubeApi {
  readonly calls: Call[] = [];
  constructor(private readonly impl: Partial<KubeApi> = {}) {}

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
  }
  list<T extends KubeObject = KubeObject>(resource: KubeResource, options?: ListOptions): Promise<KubeList<T>> {
    this.record('list', [resource, options]);
    return this.impl.list ? this.impl.list<T>(resource, options) : Promise.reject(notFound(resource.plural, '(list)'));
  }
  get<T extends KubeObject = KubeObject>(resource: KubeResource, name: string, namespace?: string, signal?: AbortSignal): Promise<T> {
    this.record('get', [resource, name, namespace]);
    return this.impl.get ? this.impl.get<T>(resource, name, namespace, signal) : Promise.reject(notFound(resource.plural, name));
  }
  table(resource: KubeResource, options?: ListOptions & { name?: string }): Promise<KubeTable> {
    this.record('table', [resource, options]);
    return this.impl.table ? this.impl.table(resource, options) : Promise.reject(notFound(resource.plural, options?.name ?? ''));
  }
  watch(): Promise<void> {
    this.record('watch', []);
    return Promise.reject(new Error('watch is not used by commands'));
  }
  logs(namespace: string, pod: string, options?: LogOptions): Promise<string> {
    this.record('logs', [namespace, pod, options]);
    return this.impl.logs ? this.impl.logs(namespace, pod, options) : Promise.reject(notFound('pods', pod));
  }
  patch<T extends KubeObject = KubeObject>(resource: KubeResource, name: string, namespace: string | undefined, patch: unknown, type: PatchType, signal?: AbortSignal): Promise<T> {
    this.record('patch', [resource, name, namespace, patch, type]);
    return this.impl.patch ? this.impl.patch<T>(resource, name, namespace, patch, type, signal) : Promise.resolve({} as T);
  }
  delete(resource: KubeResource, name: string, namespace?: string, signal?: AbortSignal): Promise<void> {
    this.record('delete', [resource, name, namespace]);
    return this.impl.delete ? this.impl.delete(resource, name, namespace, signal) : Promise.resolve();
  }
  createSubresource(resource: KubeResource, name: string, namespace: string | undefined, subresource: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    this.record('createSubresource', [resource, name, namespace, subresource, body]);
    return this.impl.createSubresource ? this.impl.createSubresource(resource, name, namespace, subresource, body, signal) : Promise.resolve({});
  }
  serverVersion(): Promise<string> {
    this.record('serverVersion', []);
    return Promise.resolve('v1.30.0');
  }
}

function executor(api: KubeApi, overrides: Partial<CommandExecutorOptions> = {}): CommandExecutor {
  return new CommandExecutor({
    clusterId: CLUSTER,
    api,
    timeoutMs: 5000,
    maxOutputBytes: 1024 * 1024,
    ratePerMinute: 100_000,
    maxConcurrent: 4,
    remediation: { enabled: true, approvalKey: KEY },
    now: () => T0,
    ...overrides,
  });
}

function command(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: 1,
    id: 'cmd-20250930-xyz789',
    cluster_id: CLUSTER,
    type: 'diagnostic',
    tool: 'kubectl',
    action: 'logs',
    args: ['--tail=100', '--previous', 'api-server-7f9b8c-xyz'],
    namespace: 'production',
    timeout: '30s',
    issued_by: 'orchestrator-service',
    correlation_id: 'workflow-abc123',
    ...overrides,
  };
}

function approved(c: Record<string, unknown>, nowMs = T0): Record<string, unknown> {
  const claims = approvalClaimsFor(c as Parameters<typeof approvalClaimsFor>[0], { nowMs, ttlSeconds: 300 });
  return { ...c, approval: signApprovalToken(KEY, claims) };
}

function obj(kind: string, name: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: kind === 'Deployment' || kind === 'ReplicaSet' ? 'apps/v1' : 'v1',
    kind,
    metadata: { name, uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: '2025-09-30T09:00:00Z', ...meta },
    ...extra,
  };
}

describe('CommandExecutor: the hostile corpus', () => {
  const corpus = hostileCommands(T0);

  it('has at least 250 commands', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(250);
  });

  it('rejects every one with its reason, before any Kubernetes API call, and counts add up', async () => {
    const api = new RecordingKubeApi();
    const ex = executor(api);
    const tally: Partial<Record<RejectionReason, number>> = {};
    for (const h of corpus) {
      const { result, rejection } = await ex.execute(h.command);
      expect({ name: h.name, status: result.status, rejection }).toEqual({ name: h.name, status: 'rejected', rejection: h.reason });
      expect(result.error.startsWith(`${h.reason}: `), h.name).toBe(true);
      expect(result.exit_code).toBe(126);
      expect(() => agentResult.parse(result), h.name).not.toThrow();
      tally[h.reason] = (tally[h.reason] ?? 0) + 1;
    }
    expect(api.calls).toEqual([]);
    const stats = ex.stats();
    expect(stats.byStatus.rejected).toBe(corpus.length);
    expect(stats.received).toBe(corpus.length);
    for (const [reason, n] of Object.entries(stats.byReason)) expect(n, reason).toBe(tally[reason as RejectionReason] ?? 0);
    expect(Object.values(stats.byReason).reduce((a, b) => a + b, 0)).toBe(corpus.length);
  });

  it('rejects every one with remediation disabled too, write actions as remediation_disabled', async () => {
    const api = new RecordingKubeApi();
    const ex = executor(api, { remediation: { enabled: false } });
    for (const h of corpus) {
      const { result, rejection } = await ex.execute(h.command);
      expect({ name: h.name, status: result.status, rejection }).toEqual({ name: h.name, status: 'rejected', rejection: h.reasonWithoutRemediation });
    }
    expect(api.calls).toEqual([]);
    expect(ex.stats().byReason.remediation_disabled).toBeGreaterThan(100);
  });
});

describe('CommandExecutor: layers', () => {
  it('answers a malformed message with the command id when it can read one, else "unknown"', async () => {
    const ex = executor(new RecordingKubeApi());
    const a = await ex.execute({ id: 'cmd-1', args: 'oops' });
    expect(a.result.command_id).toBe('cmd-1');
    expect(a.result.cluster_id).toBe(CLUSTER);
    expect(a.result.error).toMatch(/^schema: invalid command: /);
    const b = await ex.execute('not json');
    expect(b.result.command_id).toBe('unknown');
    expect(b.result.error).toBe('schema: the command must be a JSON object, got string');
    const c = await ex.execute(command({ schema_version: 2 }));
    expect(c.result.error).toContain('unsupported schema_version 2');
  });

  it('names the cluster, the action and the argument in its refusals', async () => {
    const ex = executor(new RecordingKubeApi());
    expect((await ex.execute(command({ cluster_id: 'staging' }))).result.error).toBe(`cluster_mismatch: cluster_id "staging" is not this agent's cluster "${CLUSTER}"`);
    expect((await ex.execute(command({ action: 'exec' }))).result.error).toMatch(/^not_allowed: action "exec" is not on the allow-list; allowed: logs, describe/);
    expect((await ex.execute(command({ args: ['api-server', '--tail=; rm -rf /'] }))).result.error).toBe(
      'invalid_argument: args[1] "--tail=; rm -rf /": contains ";", a shell metacharacter; commands never run in a shell and such characters are refused',
    );
    expect((await ex.execute(command({ action: 'get', args: ['secrets'] }))).result.error).toBe('invalid_argument: args[0] "secrets": secrets are never readable through the agent');
  });

  it('refuses a second command beyond max_concurrent and runs the next once one finishes', async () => {
    const pending: ((text: string) => void)[] = [];
    const api = new RecordingKubeApi({ logs: () => new Promise<string>((resolve) => pending.push(resolve)) });
    const ex = executor(api, { maxConcurrent: 2 });
    const first = ex.execute(command({ id: 'c1' }));
    const second = ex.execute(command({ id: 'c2' }));
    await new Promise((r) => setImmediate(r));
    const third = await ex.execute(command({ id: 'c3' }));
    expect(third.rejection).toBe('concurrency_limited');
    expect(third.result.error).toBe('concurrency_limited: 2 commands are running; at most 2 run at once, retry later');
    expect(ex.stats().inFlight).toBe(2);
    pending.shift()?.('one');
    expect((await first).result.status).toBe('success');
    const fourth = ex.execute(command({ id: 'c4' }));
    await new Promise((r) => setImmediate(r));
    for (const resolve of pending.splice(0)) resolve('done');
    expect((await fourth).result.status).toBe('success');
    expect((await second).result.status).toBe('success');
    expect(api.calls.filter((c) => c.method === 'logs')).toHaveLength(3);
  });

  it('allows rate_per_minute commands, then refuses until the bucket refills', async () => {
    let now = T0;
    const api = new RecordingKubeApi({ logs: () => Promise.resolve('ok') });
    const ex = executor(api, { ratePerMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++) expect((await ex.execute(command({ id: `c${i}` }))).result.status).toBe('success');
    const limited = await ex.execute(command({ id: 'c3' }));
    expect(limited.rejection).toBe('rate_limited');
    expect(limited.result.error).toBe('rate_limited: more than 3 commands a minute; retry in 20s');
    now += 19_000;
    expect((await ex.execute(command({ id: 'c4' }))).rejection).toBe('rate_limited');
    now += 1_000;
    expect((await ex.execute(command({ id: 'c5' }))).result.status).toBe('success');
    expect(api.calls).toHaveLength(4);
  });

  it('refuses to start with remediation enabled and no 32-byte key', () => {
    expect(() => executor(new RecordingKubeApi(), { remediation: { enabled: true, approvalKey: 'short' } })).toThrow(/remediation.approval_key: remediation is enabled/);
    expect(() => executor(new RecordingKubeApi(), { clusterId: 'a b' })).toThrow(/clusterId/);
  });
});

describe('CommandExecutor: running diagnostics', () => {
  it('reads logs with the parsed options and returns them', async () => {
    const api = new RecordingKubeApi({ logs: () => Promise.resolve('line 1\nline 2\n') });
    const { result, rejection } = await executor(api).execute(command());
    expect(rejection).toBeUndefined();
    expect(result).toMatchObject({ command_id: 'cmd-20250930-xyz789', cluster_id: CLUSTER, status: 'success', exit_code: 0, output: 'line 1\nline 2\n', error: '' });
    expect(api.calls[0]?.args.slice(0, 2)).toEqual(['production', 'api-server-7f9b8c-xyz']);
    expect(api.calls[0]?.args[2]).toMatchObject({ previous: true, tailLines: 100, timestamps: false });
    await executor(api).execute(command({ args: ['api-server', '-c', 'app'] }));
    expect(api.calls[1]?.args[2]).toMatchObject({ container: 'app', tailLines: 200, previous: false });
  });

  it('reports a missing pod as kubectl does, with exit code 1', async () => {
    const { result } = await executor(new RecordingKubeApi()).execute(command());
    expect(result).toMatchObject({ status: 'error', exit_code: 1, output: '', error: 'Error from server (NotFound): pods "api-server-7f9b8c-xyz" not found' });
  });

  it('times out a request that never answers, aborting it', async () => {
    let aborted = false;
    const api = new RecordingKubeApi({
      logs: (_ns, _pod, options) =>
        new Promise<string>((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const started = Date.now();
    const { result } = await executor(api, { timeoutMs: 60_000 }).execute(command({ timeout: '150ms' }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ status: 'timeout', exit_code: 124, error: 'timeout: logs did not finish within 150ms; the request was aborted' });
    expect(aborted).toBe(true);
  }, 5000);

  it('never waits longer than the configured timeout, whatever the command asks', async () => {
    const api = new RecordingKubeApi({ logs: () => new Promise<string>(() => undefined) });
    const ex = executor(api, { timeoutMs: 100 });
    const { result } = await ex.execute(command({ timeout: '1h' }));
    expect(result.status).toBe('timeout');
    expect(ex.stats().inFlight).toBe(0);
  }, 5000);

  it('truncates long output at a UTF-8 boundary with a marker, within the limit', async () => {
    const text = '日本語のログ行です。\n'.repeat(200); // 3-byte characters
    const api = new RecordingKubeApi({ logs: () => Promise.resolve(text) });
    const { result } = await executor(api, { maxOutputBytes: 1024 }).execute(command());
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.output, 'utf8')).toBeLessThanOrEqual(1024);
    expect(result.output).not.toContain('\uFFFD');
    // The fake ignores limitBytes, so the text reached the agent's read cap (4 × the limit): a lower bound.
    expect(result.output).toMatch(/\n\.\.\. \[output truncated by aetherius: more than 6\.1 KiB total, \d+ B shown\]$/);
    expect(text.startsWith(result.output.slice(0, result.output.indexOf('\n... [output truncated')))).toBe(true);
  });

  it('prints a server table aligned like kubectl get, and -A adds NAMESPACE', async () => {
    const table: KubeTable = {
      columnDefinitions: [
        { name: 'Name', type: 'string' },
        { name: 'Ready', type: 'string' },
        { name: 'Status', type: 'string' },
        { name: 'IP', type: 'string', priority: 1 },
      ],
      rows: [
        { cells: ['checkout-7f9c5d6b8-abcde', '0/1', 'CrashLoopBackOff', '10.0.0.5'], object: { metadata: { name: 'checkout-7f9c5d6b8-abcde', namespace: 'shop' } } },
        { cells: ['web-0', '1/1', 'Running', '10.0.0.6'], object: { metadata: { name: 'web-0', namespace: 'web' } } },
      ],
    };
    const api = new RecordingKubeApi({ table: () => Promise.resolve(table) });
    const ex = executor(api);
    const plain = await ex.execute(command({ action: 'get', args: ['pods'], namespace: 'shop' }));
    expect(plain.result.output).toBe(['NAME                       READY   STATUS', 'checkout-7f9c5d6b8-abcde   0/1     CrashLoopBackOff', 'web-0                      1/1     Running', ''].join('\n'));
    expect(api.calls[0]?.args[1]).toMatchObject({ namespace: 'shop' });
    const all = await ex.execute(command({ action: 'get', args: ['po', '-A', '-o', 'wide'] }));
    expect(all.result.output.split('\n')[0]).toBe('NAMESPACE   NAME                       READY   STATUS             IP');
    expect(api.calls[1]?.args[1]).not.toHaveProperty('namespace');
  });

  it('prints -o json without managedFields and says metrics API not available on 404', async () => {
    const pod = obj('Pod', 'web-0', { spec: {} }, { namespace: 'web', managedFields: [{ manager: 'kubectl' }] });
    const api = new RecordingKubeApi({ get: <T extends KubeObject>() => Promise.resolve(pod as T) });
    const ex = executor(api);
    const { result } = await ex.execute(command({ action: 'get', args: ['pod/web-0', '-o', 'json'], namespace: 'web' }));
    const printed = JSON.parse(result.output) as KubeObject;
    expect(printed.metadata.name).toBe('web-0');
    expect(printed.metadata).not.toHaveProperty('managedFields');
    const top = await executor(new RecordingKubeApi()).execute(command({ action: 'top', args: ['pods'] }));
    expect(top.result).toMatchObject({ status: 'error', error: 'error: metrics API not available (is metrics-server installed?)' });
  });

  it('lists events like kubectl events, oldest first, filtered by --types', async () => {
    const ev = (name: string, type: string, reason: string, last: string, count = 1): KubeObject =>
      obj('Event', name, { type, reason, message: `${reason} happened`, involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'web' }, firstTimestamp: '2025-09-30T10:00:00Z', lastTimestamp: last, count }, { namespace: 'web' });
    const items = [ev('b', 'Warning', 'BackOff', '2025-09-30T10:15:00Z', 5), ev('a', 'Normal', 'Pulled', '2025-09-30T10:05:30Z'), ev('c', 'Warning', 'Failed', '2025-09-30T10:10:30Z')];
    const api = new RecordingKubeApi({ list: <T extends KubeObject>() => Promise.resolve({ resourceVersion: '1', items: items as T[] }) });
    const { result } = await executor(api).execute(command({ action: 'events', args: ['--for=pod/web-0', '--types=Warning'], namespace: 'web' }));
    expect(result.output).toBe(
      [
        'LAST SEEN           TYPE      REASON    OBJECT      MESSAGE',
        '15m                 Warning   Failed    Pod/web-0   Failed happened',
        '30s (x5 over 15m)   Warning   BackOff   Pod/web-0   BackOff happened',
        '',
      ].join('\n'),
    );
    expect(api.calls[0]?.args[1]).toMatchObject({ namespace: 'web', fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=web-0,type=Warning' });
  });
});

describe('CommandExecutor: write actions', () => {
  const scale = () => command({ type: 'remediation', action: 'scale', args: ['deployment/checkout', '--replicas=3'], namespace: 'shop' });

  it('scales with a merge patch when approved, and refuses the same token a second time', async () => {
    const api = new RecordingKubeApi();
    const ex = executor(api);
    const c = approved(scale());
    const first = await ex.execute(c);
    expect(first.result).toMatchObject({ status: 'success', output: 'deployment.apps/checkout scaled\n' });
    expect(api.calls).toEqual([{ method: 'patch', args: [expect.objectContaining({ plural: 'deployments' }), 'checkout', 'shop', { spec: { replicas: 3 } }, 'merge'] }]);
    const again = await ex.execute(c);
    expect(again.rejection).toBe('approval_replayed');
    expect(again.result.error).toBe('approval_replayed: the approval token for command "cmd-20250930-xyz789" was already used; each approval works once');
    expect(api.calls).toHaveLength(1);
  });

  it('refuses a token once it expired, and accepts one within the clock skew', async () => {
    let now = T0;
    const api = new RecordingKubeApi();
    const ex = executor(api, { now: () => now });
    const c = approved(scale(), T0);
    now = T0 + 300_000 + 31_000;
    expect((await ex.execute(c)).rejection).toBe('approval_expired');
    now = T0 + 300_000 + 29_000;
    expect((await ex.execute(c)).result.status).toBe('success');
  });

  it('refuses write actions when remediation is disabled, even with a valid token', async () => {
    const api = new RecordingKubeApi();
    const { result, rejection } = await executor(api, { remediation: { enabled: false } }).execute(approved(scale()));
    expect(rejection).toBe('remediation_disabled');
    expect(result.error).toBe('remediation_disabled: action scale changes the cluster and remediation is disabled on this agent (remediation.enabled: false)');
    expect(api.calls).toEqual([]);
  });

  it('patches container resources with a strategic merge patch, and reports a missing container', async () => {
    const d = obj('Deployment', 'checkout', { spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '128Mi' } } }] } } } }, { namespace: 'shop' });
    const api = new RecordingKubeApi({ get: <T extends KubeObject>() => Promise.resolve(d as T) });
    const ex = executor(api);
    const ok = await ex.execute(approved(command({ id: 'p1', type: 'remediation', action: 'patch-resources', args: ['deploy/checkout', '--container=app', '--limits=memory=256Mi,cpu=500m'], namespace: 'shop' })));
    expect(ok.result.output).toBe('deployment.apps/checkout patched\n');
    expect(api.calls[1]?.args.slice(3)).toEqual([{ spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '256Mi', cpu: '500m' } } }] } } } }, 'strategic']);
    const missing = await ex.execute(approved(command({ id: 'p2', type: 'remediation', action: 'patch-resources', args: ['deploy/checkout', '--container=sidecar', '--requests=cpu=100m'], namespace: 'shop' })));
    expect(missing.result).toMatchObject({ status: 'error', error: 'error: container "sidecar" not found in deployment.apps/checkout (containers: app)' });
  });

  it('rolls a Deployment back to the previous revision with a guarded JSON patch, like kubectl', async () => {
    const tpl = (image: string, hash?: string) => ({ metadata: { labels: { app: 'checkout', ...(hash ? { 'pod-template-hash': hash } : {}) } }, spec: { containers: [{ name: 'app', image }] } });
    const d = obj('Deployment', 'checkout', { spec: { selector: { matchLabels: { app: 'checkout' } }, template: tpl('checkout:3') } }, { namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '3', team: 'shop' } });
    const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', uid: 'uid-checkout', controller: true }];
    const rs = (rev: number, image: string) => obj('ReplicaSet', `checkout-${rev}`, { spec: { template: tpl(image, `h${rev}`) } }, { namespace: 'shop', ownerReferences: owner, annotations: { 'deployment.kubernetes.io/revision': String(rev), note: `rev${rev}` } });
    const api = new RecordingKubeApi({
      get: <T extends KubeObject>() => Promise.resolve(d as T),
      list: <T extends KubeObject>() => Promise.resolve({ resourceVersion: '1', items: [rs(1, 'checkout:1'), rs(2, 'checkout:2'), rs(3, 'checkout:3')] as T[] }),
    });
    const { result } = await executor(api).execute(approved(command({ type: 'remediation', action: 'rollout-undo', args: ['deployment/checkout'], namespace: 'shop' })));
    expect(result.output).toBe('deployment.apps/checkout rolled back\n');
    const patch = api.calls.find((c) => c.method === 'patch');
    expect(patch?.args[4]).toBe('json');
    expect(patch?.args[3]).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'replace', path: '/spec/template', value: tpl('checkout:2') },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '3', note: 'rev2' } },
    ]);
  });

  it('drains: refuses DaemonSet pods without --ignore-daemonsets, else evicts the rest but mirror pods', async () => {
    const node = obj('Node', 'node-1', { spec: {} });
    const ds = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'u1', controller: true }];
    const rsOwner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u2', controller: true }];
    const pods = [
      obj('Pod', 'fluentd-x', { spec: {} }, { namespace: 'kube-system', ownerReferences: ds }),
      obj('Pod', 'web-1-a', { spec: {} }, { namespace: 'web', ownerReferences: rsOwner }),
      obj('Pod', 'kube-proxy-node-1', { spec: {} }, { namespace: 'kube-system', annotations: { 'kubernetes.io/config.mirror': 'x' } }),
    ];
    const make = () =>
      new RecordingKubeApi({
        get: <T extends KubeObject>() => Promise.resolve(node as T),
        list: <T extends KubeObject>() => Promise.resolve({ resourceVersion: '1', items: pods as T[] }),
      });
    const refused = make();
    const r1 = await executor(refused).execute(approved(command({ id: 'd1', type: 'remediation', action: 'drain', args: ['node-1'] })));
    expect(r1.result.status).toBe('error');
    expect(r1.result.error).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/fluentd-x');
    expect(refused.calls.filter((c) => c.method === 'createSubresource')).toEqual([]);
    const api = make();
    const r2 = await executor(api).execute(approved(command({ id: 'd2', type: 'remediation', action: 'drain', args: ['node-1', '--ignore-daemonsets', '--grace-period=10'] })));
    expect(r2.result.output).toBe('node/node-1 cordoned\nWarning: ignoring DaemonSet-managed Pods: kube-system/fluentd-x\nevicting pod web/web-1-a\npod/web-1-a evicted\nnode/node-1 drained\n');
    expect(api.calls.find((c) => c.method === 'patch')?.args.slice(3)).toEqual([{ spec: { unschedulable: true } }, 'merge']);
    const evictions = api.calls.filter((c) => c.method === 'createSubresource');
    expect(evictions).toHaveLength(1);
    expect(evictions[0]?.args.slice(1)).toEqual(['web-1-a', 'web', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1-a', namespace: 'web' }, deleteOptions: { gracePeriodSeconds: 10 } }]);
  });

  it('cordons idempotently', async () => {
    const api = new RecordingKubeApi({ get: <T extends KubeObject>() => Promise.resolve(obj('Node', 'node-1', { spec: { unschedulable: true } }) as T) });
    const { result } = await executor(api).execute(approved(command({ type: 'remediation', action: 'cordon', args: ['node/node-1'] })));
    expect(result.output).toBe('node/node-1 already cordoned\n');
    expect(api.calls.map((c) => c.method)).toEqual(['get']);
  });
});

describe('CommandExecutor: bounded listing', () => {
  it('stops paging `get -A -o json` once the output limit is passed, and marks the output truncated', async () => {
    const pad = 'x'.repeat(900);
    const api = new RecordingKubeApi({
      list: <T extends KubeObject>(_r: KubeResource, options?: ListOptions) => {
        const page = Number(options?.continue || 0);
        const items = Array.from({ length: options?.limit ?? 250 }, (_, i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${page}-${i}`, namespace: 'shop', annotations: { pad } } }));
        // 400 pages of 250 pods (~100k pods, ~100 MB) if the executor read them all.
        return Promise.resolve({ resourceVersion: '1', items, ...(page < 399 ? { continue: String(page + 1) } : {}) } as unknown as KubeList<T>);
      },
    });
    const { result } = await executor(api, { maxOutputBytes: 64 * 1024 }).execute(command({ action: 'get', args: ['pods', '-A', '-o', 'json'], namespace: 'shop' }));
    expect(result.status).toBe('success');
    expect(result.truncated).toBe(true);
    expect(result.output).toMatch(/output truncated by aetherius: more than/);
    expect(api.calls.filter((c) => c.method === 'list').length).toBeLessThanOrEqual(2);
  });
});
