/**
 * Gathers what an analysis needs when nobody sent it: read-only commands run by the cluster's agent
 * through the control plane's command API (`POST /api/v1/commands`, which stores each command and
 * its result, enforces the per-cluster limit and, with an incident id as `correlation_id`, puts it on
 * the incident's timeline). It reads the objects of the focus's namespace and of `kube-system` (DNS),
 * nodes, and the current and previous logs of the pods that fail, then builds a ClusterSnapshot.
 *
 * Secrets are listed by name only (`-o name`): the analysis needs to know one exists, never its data.
 */
import { errorMessage, type ValidationIssue } from '../contracts/index.js';
import { kubeObjectsFromJson } from '../adapters/kube-dump/index.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { list, num, record, text } from '../core/kube/read.js';
import type { ContainerLog, ClusterSnapshot } from '../core/rca/snapshot.js';
import type { Focus } from '../core/rca/index.js';

export interface CommandOutcome {
  status: 'success' | 'error' | 'rejected' | 'timeout';
  output: string;
  error: string;
}

/** Runs one read-only kubectl action on a cluster's agent. */
export interface CommandRunner {
  run(request: { clusterId: string; action: 'get' | 'logs'; args: string[]; namespace?: string; correlationId?: string }): Promise<CommandOutcome>;
}

/** Kinds read per namespace, with `kubectl get KIND -o json`. */
const NAMESPACED_KINDS = [
  'pods',
  'events',
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'jobs',
  'services',
  'endpoints',
  'persistentvolumeclaims',
  'horizontalpodautoscalers',
  'resourcequotas',
  'networkpolicies',
  'configmaps',
] as const;
const CLUSTER_KINDS = ['nodes', 'storageclasses'] as const;
/** Pods whose logs are read, worst first. */
const MAX_LOG_PODS = 6;
const LOG_TAIL = 200;
const PARALLEL = 6;

export interface GatherOptions {
  clusterId: string;
  focus?: Focus;
  /** Put on every command (an incident id lands them on its timeline). */
  correlationId?: string;
  now: number;
}

export interface Gathered {
  snapshot: ClusterSnapshot;
  /** Commands that failed or were refused, and unreadable output; the snapshot holds the rest. */
  warnings: string[];
  commands: number;
}

async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Restarts and bad states first: the pods whose logs explain the most. */
function podBadness(pod: KubeObject): number {
  let score = 0;
  for (const cs of list(record(pod['status'])['containerStatuses'])) {
    const s = record(cs);
    score += num(s['restartCount']) ?? 0;
    if (record(s['state'])['waiting'] || record(record(s['lastState'])['terminated'])['reason']) score += 10;
    if (s['ready'] === false) score += 1;
  }
  return score;
}

export async function gatherSnapshot(runner: CommandRunner, o: GatherOptions): Promise<Gathered> {
  const warnings: string[] = [];
  const objects: KubeObject[] = [];
  let commands = 0;
  const namespaces = [...new Set([o.focus?.namespace, 'kube-system'].filter((n): n is string => !!n))];
  const base = { clusterId: o.clusterId, ...(o.correlationId ? { correlationId: o.correlationId } : {}) };

  const read = async (args: string[], namespace: string | undefined, label: string): Promise<void> => {
    commands++;
    let outcome: CommandOutcome;
    try {
      outcome = await runner.run({ ...base, action: 'get', args, ...(namespace ? { namespace } : {}) });
    } catch (err) {
      warnings.push(`${label}: ${errorMessage(err)}`);
      return;
    }
    if (outcome.status !== 'success') {
      warnings.push(`${label}: ${outcome.status}: ${outcome.error.slice(0, 300)}`);
      return;
    }
    if (args.includes('name')) {
      // `-o name` prints `secret/db-credentials` lines: existence is all the analysis needs.
      for (const line of outcome.output.split('\n')) {
        const [, name] = line.trim().split('/');
        if (name) objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name, ...(namespace ? { namespace } : {}), uid: `Secret/${namespace ?? ''}/${name}`, resourceVersion: '0', creationTimestamp: new Date(0).toISOString() } });
      }
      return;
    }
    try {
      const parsed = kubeObjectsFromJson(JSON.parse(outcome.output), { file: label, ...(namespace ? { namespace } : {}) });
      objects.push(...parsed.objects);
      warnings.push(...parsed.warnings);
    } catch (err) {
      warnings.push(`${label}: unreadable output: ${errorMessage(err)}`);
    }
  };

  const tasks: (() => Promise<void>)[] = [];
  for (const ns of namespaces) {
    for (const kind of NAMESPACED_KINDS) tasks.push(() => read([kind, '-o', 'json'], ns, `get ${kind} -n ${ns}`));
    tasks.push(() => read(['secrets', '-o', 'name'], ns, `get secrets -n ${ns}`));
  }
  if (!o.focus?.namespace) {
    // A node or another cluster-scoped object: its pods and events may be anywhere.
    tasks.push(() => read(['pods', '-A', '-o', 'json'], undefined, 'get pods -A'));
    tasks.push(() => read(['events', '-A', '-o', 'json'], undefined, 'get events -A'));
  }
  for (const kind of CLUSTER_KINDS) tasks.push(() => read([kind, '-o', 'json'], undefined, `get ${kind}`));
  await inParallel(tasks, PARALLEL);

  // Logs of the worst pods of the focus's namespace (or of every namespace read), current and previous.
  const pods = objects
    .filter((p) => p.kind === 'Pod' && (!o.focus?.namespace || p.metadata.namespace === o.focus.namespace))
    .map((p) => ({ p, bad: podBadness(p) }))
    .filter((x) => x.bad > 0)
    .sort((a, b) => b.bad - a.bad)
    .slice(0, MAX_LOG_PODS);
  const logs: ContainerLog[] = [];
  const logTasks: (() => Promise<void>)[] = [];
  for (const { p } of pods) {
    const ns = p.metadata.namespace;
    if (!ns) continue;
    for (const cs of list(record(p['status'])['containerStatuses'])) {
      const c = record(cs);
      const container = text(c['name']);
      if (!container) continue;
      const variants = (num(c['restartCount']) ?? 0) > 0 ? [false, true] : [false];
      for (const previous of variants) {
        logTasks.push(async () => {
          commands++;
          const args = [`--tail=${LOG_TAIL}`, ...(previous ? ['--previous'] : []), p.metadata.name, '-c', container];
          try {
            const outcome = await runner.run({ ...base, action: 'logs', args, namespace: ns });
            if (outcome.status !== 'success') return; // a container without a previous instance is normal
            const lines = outcome.output.split('\n').filter((l) => l !== '');
            if (lines.length) logs.push({ namespace: ns, pod: p.metadata.name, container, previous, lines });
          } catch (err) {
            warnings.push(`logs ${ns}/${p.metadata.name} -c ${container}${previous ? ' --previous' : ''}: ${errorMessage(err)}`);
          }
        });
      }
    }
  }
  await inParallel(logTasks, PARALLEL);

  return { snapshot: { clusterId: o.clusterId, at: o.now, objects, logs, metrics: [] }, warnings, commands };
}

/** The control plane's command API over HTTP. */
export class HttpCommandRunner implements CommandRunner {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, timeoutMs = 30_000) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  async run(r: Parameters<CommandRunner['run']>[0]): Promise<CommandOutcome> {
    const res = await fetch(`${this.#baseUrl}/api/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        cluster_id: r.clusterId,
        type: 'diagnostic',
        tool: 'kubectl',
        action: r.action,
        args: r.args,
        ...(r.namespace ? { namespace: r.namespace } : {}),
        timeout: `${Math.ceil(this.#timeoutMs / 1000)}s`,
        issued_by: 'reasoning-service',
        ...(r.correlationId ? { correlation_id: r.correlationId } : {}),
      }),
      signal: AbortSignal.timeout(this.#timeoutMs + 5_000),
    });
    const body = (await res.json().catch(() => ({}))) as { result?: CommandOutcome; error?: { message?: string; issues?: ValidationIssue[] } };
    if (!res.ok || !body.result) throw new Error(`command API answered ${res.status}: ${body.error?.message ?? 'no result'}`);
    return body.result;
  }
}
