/**
 * The CommandExecutor against the Kubernetes API simulator over real HTTP, through the KubeClient
 * adapter: what a diagnostic prints is what the API server answered, and a write action changes the
 * simulated cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConnection } from '../src/adapters/kube/index.js';
import { CommandExecutor } from '../src/agent/command-executor.js';
import { approvalClaimsFor, signApprovalToken } from '../src/core/commands/index.js';
import type { KubeObject } from '../src/core/kube/kube-types.js';
import { res } from '../src/sim/resources.js';
import { HOSTILE_APPROVAL_KEY, hostileCommands } from './fixtures/hostile-commands.js';
import { startWorld, type RunningWorld } from './support/sim-world.js';

const KEY = 'integration-test-approval-key-0123456789';
type Obj = Record<string, unknown>;

describe('CommandExecutor against the simulator over HTTP', () => {
  let world: RunningWorld;
  let executor: CommandExecutor;
  let seq = 0;

  const command = (action: string, args: string[], extra: Obj = {}): Obj => ({
    schema_version: 1,
    id: `cmd-it-${++seq}`,
    cluster_id: world.ctx.clusterId,
    type: 'diagnostic',
    tool: 'kubectl',
    action,
    args,
    namespace: 'shop',
    timeout: '10s',
    issued_by: 'integration-test',
    ...extra,
  });
  const run = async (action: string, args: string[], extra: Obj = {}) => (await executor.execute(command(action, args, extra))).result;
  const write = async (action: string, args: string[], extra: Obj = {}) => {
    const c = command(action, args, { type: 'remediation', ...extra });
    const claims = approvalClaimsFor(c as Parameters<typeof approvalClaimsFor>[0], { nowMs: world.ctx.clock.now(), ttlSeconds: 120 });
    return (await executor.execute({ ...c, approval: signApprovalToken(KEY, claims) })).result;
  };
  const stored = (key: string, name: string, namespace?: string): KubeObject | undefined => world.ctx.store.get(res(key), namespace, name);

  beforeAll(async () => {
    world = await startWorld();
    const api = new KubeClient(await loadKubeConnection({ kubeconfig: world.kubeconfig }), { timeoutMs: 10_000 });
    executor = new CommandExecutor({
      clusterId: world.ctx.clusterId,
      api,
      timeoutMs: 10_000,
      maxOutputBytes: 1024 * 1024,
      ratePerMinute: 10_000,
      maxConcurrent: 4,
      remediation: { enabled: true, approvalKey: KEY },
      now: () => world.ctx.clock.now(),
    });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('reads the previous instance’s logs and reports kubectl’s errors', async () => {
    const prev = await run('logs', ['checkout-7f9c5d6b8-crash', '--previous', '--tail=1']);
    expect(prev).toMatchObject({ status: 'success', exit_code: 0 });
    expect(prev.output.trim()).toBe('FATAL: environment variable DB_URL is not set (instance 2)');
    const several = await run('logs', ['multi']);
    expect(several).toMatchObject({ status: 'error', exit_code: 1 });
    expect(several.error).toBe('Error from server (BadRequest): a container name must be specified for pod multi, choose one of: [web sidecar]');
    expect((await run('logs', ['multi', '-c', 'sidecar'])).output.trim()).toBe('sidecar syncing');
    expect((await run('get', ['pods', 'nope'])).error).toBe('Error from server (NotFound): pods "nope" not found');
  });

  it('describes a crash-looping pod with its state, restarts and events', async () => {
    const r = await run('describe', ['pod', 'checkout-7f9c5d6b8-crash']);
    expect(r.status).toBe('success');
    expect(r.output).toMatch(/^Name: +checkout-7f9c5d6b8-crash\nNamespace: +shop\n/);
    expect(r.output).toMatch(/State: +Waiting\n +Reason: +CrashLoopBackOff/);
    expect(r.output).toMatch(/Last State: +Terminated\n +Reason: +Error\n +Exit Code: +1\n/);
    expect(r.output).toMatch(/Restart Count: +3\n/);
    expect(r.output).toMatch(/\n {2}Warning +BackOff +\S+ +kubelet, node-1 +Back-off restarting failed container app/);
    const d = await run('describe', ['deployment/checkout']);
    expect(d.output).toMatch(/NewReplicaSet: +checkout-7f9c5d6b8 \(2\/2 replicas created\)/);
  });

  it('prints the server’s table, json, events and top like kubectl', async () => {
    const table = await run('get', ['pods']);
    expect(table.output.split('\n')[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE$/);
    expect(table.output).toMatch(/\ncheckout-7f9c5d6b8-crash +0\/1 +CrashLoopBackOff +3/);
    const json = await run('get', ['deploy', 'checkout', '-o', 'json']);
    expect((JSON.parse(json.output) as KubeObject).metadata.name).toBe('checkout');
    expect((await run('get', ['nodes', '-o', 'name'])).output).toBe('node/node-1\nnode/node-2\n');
    const events = await run('events', ['--for=pod/checkout-7f9c5d6b8-crash']);
    expect(events.output).toMatch(/^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n\S+ +Warning +BackOff +Pod\/checkout-7f9c5d6b8-crash +Back-off/);
    const top = await run('top', ['pods', '--containers']);
    expect(top.output).toMatch(/\nmulti +sidecar +2m +8Mi\n/);
    const nodes = await run('top', ['nodes']);
    expect(nodes.output).toMatch(/^NAME +CPU\(cores\) +CPU% +MEMORY\(bytes\) +MEMORY%\nnode-1 +\d+m +\d+% +\d+Mi +\d+%\n/);
  });

  it('scales, patches resources, rolls back and cordons through approved writes', async () => {
    expect(await write('scale', ['deployment/checkout', '--replicas=5'])).toMatchObject({ status: 'success', output: 'deployment.apps/checkout scaled\n' });
    expect((stored('deployments.apps', 'checkout', 'shop')?.['spec'] as Obj)['replicas']).toBe(5);

    expect((await write('patch-resources', ['deployment/checkout', '-c', 'app', '--limits=memory=256Mi'])).output).toBe('deployment.apps/checkout patched\n');
    const containers = () => ((((stored('deployments.apps', 'checkout', 'shop')?.['spec'] as Obj)['template'] as Obj)['spec'] as Obj)['containers'] as Obj[]);
    expect(containers()[0]?.['resources']).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });

    expect((await write('rollout-undo', ['deployment/checkout', '--to-revision=1'])).output).toBe('deployment.apps/checkout rolled back\n');
    expect(containers()[0]?.['image']).toBe('registry.local/shop/checkout:1.4.1');
    expect((await write('rollout-undo', ['deployment/checkout', '--to-revision=1'])).output).toBe('deployment.apps/checkout skipped rollback (current template already matches revision 1)\n');

    expect((await write('cordon', ['node-2'], { namespace: undefined })).output).toBe('node/node-2 cordoned\n');
    expect((stored('nodes', 'node-2')?.['spec'] as Obj)['unschedulable']).toBe(true);
    expect((await write('uncordon', ['node-2'])).output).toBe('node/node-2 uncordoned\n');
    expect((stored('nodes', 'node-2')?.['spec'] as Obj)['unschedulable']).toBeUndefined();
  });

  it('rejects the whole hostile corpus without sending the API server a single request', async () => {
    const client = new KubeClient(await loadKubeConnection({ kubeconfig: world.kubeconfig }), { timeoutMs: 10_000 });
    const calls: string[] = [];
    // Counts every method call on the real client, so "zero calls" covers anything that would reach HTTP.
    const api = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const hostile = new CommandExecutor({
      clusterId: 'prod-us-west',
      api,
      timeoutMs: 10_000,
      maxOutputBytes: 1024 * 1024,
      ratePerMinute: 100_000,
      maxConcurrent: 4,
      remediation: { enabled: true, approvalKey: HOSTILE_APPROVAL_KEY },
    });
    const corpus = hostileCommands();
    for (const h of corpus) {
      const { result, rejection } = await hostile.execute(h.command);
      expect({ name: h.name, status: result.status, rejection }).toEqual({ name: h.name, status: 'rejected', rejection: h.reason });
    }
    expect(calls).toEqual([]);
    expect(hostile.stats().byStatus.rejected).toBe(corpus.length);
  });

  it('drains a node: cordons it and evicts everything but DaemonSet pods', async () => {
    const r = await write('drain', ['node-1', '--ignore-daemonsets', '--grace-period=0']);
    expect(r.status).toBe('success');
    expect(r.output).toContain('node/node-1 cordoned\nWarning: ignoring DaemonSet-managed Pods: kube-system/node-exporter-x1\n');
    expect(r.output).toContain('pod/checkout-7f9c5d6b8-crash evicted\n');
    expect(r.output.endsWith('node/node-1 drained\n')).toBe(true);
    const left = world.ctx.store.list(res('pods')).items.filter((p) => (p['spec'] as Obj)['nodeName'] === 'node-1' && !p.metadata.deletionTimestamp);
    expect(left.map((p) => p.metadata.name)).toEqual(['node-exporter-x1']);
  });
});
