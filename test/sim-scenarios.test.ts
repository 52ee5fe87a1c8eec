/**
 * The simulator's property test (issue 3, "Done when"): every built-in scenario plays its whole
 * duration at full speed with the real controllers, while a watcher on the store checks the
 * simulator's own invariants, and at the end the ground-truth signals of the scenario's root cause must
 * have appeared (or, for a healthy scenario, nothing alarming may have).
 */
import { describe, expect, it } from 'vitest';
import { ROOT_CAUSE_TYPES, type RootCauseType } from '../src/contracts/root-cause-taxonomy.js';
import type { KubeObject } from '../src/sim/kube-types.js';
import { RESOURCES, infoFor, res } from '../src/sim/resources.js';
import { listScenarios, type ScenarioEntry } from '../src/sim/scenario/library.js';
import { workloadLabels, type Scenario } from '../src/sim/scenario/schema.js';
import { Simulation } from '../src/sim/simulation.js';
import type { Change } from '../src/sim/store/object-store.js';

const entries: ScenarioEntry[] = await listScenarios();

/** Wall-clock budget of one scenario. */
const SCENARIO_TIMEOUT_MS = 60_000;
/** How often (simulated) the watcher samples usage and logs. */
const SAMPLE_EVERY_MS = 15_000;

// ------------------------------------------------------------------------------------ observations

interface ContainerSeen {
  waiting: { reason: string; message: string }[];
  terminated: { reason: string; exitCode: number }[];
}

interface Observations {
  violations: string[];
  /** uid → `kind ns/name` of every object that ever existed. */
  everUids: Map<string, string>;
  everNames: Set<string>;
  /** Every ADDED or MODIFIED event, with the simulated ms since the run started. */
  events: { type: string; reason: string; message: string; kind: string; namespace: string; name: string; atMs: number }[];
  /** Per pod uid. */
  pods: Map<string, { namespace: string; name: string; labels: Record<string, string>; containers: Map<string, ContainerSeen>; notReadyWhileRunning: boolean; restarts: number }>;
  nodeConditions: Set<string>;
  /** `ns/name` of Endpoints seen without a single ready address. */
  emptyEndpoints: Set<string>;
  jobConditions: Set<string>;
  hpaAtMax: Set<string>;
  pvcPhases: Map<string, string>;
  logLines: Set<string>;
  /** Per pod `ns/name/container`: memory samples (bytes) in order. */
  memory: Map<string, number[]>;
  /** Containers seen using ≥ 90% of their cpu limit. */
  cpuAtLimit: Set<string>;
}

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const a = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

function refText(obj: KubeObject): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

/** Watches a simulation's store and checks the invariants as changes happen. */
function watch(sim: Simulation): { obs: Observations; stop: () => void; sampleNow: () => void } {
  const { ctx } = sim;
  const obs: Observations = {
    violations: [],
    everUids: new Map(),
    everNames: new Set(),
    events: [],
    pods: new Map(),
    nodeConditions: new Set(),
    emptyEndpoints: new Set(),
    jobConditions: new Set(),
    hpaAtMax: new Set(),
    pvcPhases: new Map(),
    logLines: new Set(),
    memory: new Map(),
    cpuAtLimit: new Set(),
  };
  const nodeNameOf = new Map<string, string>();
  const restartsOf = new Map<string, number>();
  const countOf = new Map<string, number>();
  const generationOf = new Map<string, number>();
  const violate = (msg: string) => {
    if (obs.violations.length < 50) obs.violations.push(`${new Date(ctx.clock.now()).toISOString()} ${msg}`);
  };
  const remember = (obj: KubeObject) => {
    obs.everUids.set(obj.metadata.uid, refText(obj));
    obs.everNames.add(`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
  };

  const observe = (obj: KubeObject, type: Change['type'] | 'INITIAL') => {
    remember(obj);
    const gen = obj.metadata.generation;
    if (gen !== undefined && type !== 'DELETED') {
      const before = generationOf.get(obj.metadata.uid);
      if (before !== undefined && gen < before) violate(`${refText(obj)} generation went back from ${before} to ${gen}`);
      generationOf.set(obj.metadata.uid, gen);
    }
    const status = o(obj['status']);
    const spec = o(obj['spec']);
    switch (obj.kind) {
      case 'Pod': {
        const uid = obj.metadata.uid;
        const nodeName = s(spec['nodeName']);
        const prior = nodeNameOf.get(uid);
        if (prior && nodeName !== prior && type !== 'DELETED') violate(`pod ${obj.metadata.namespace ?? ''}/${obj.metadata.name} moved from node ${prior} to ${nodeName || '(none)'}`);
        if (nodeName) {
          if (!obs.everNames.has(`Node//${nodeName}`)) violate(`pod ${obj.metadata.name} is bound to node ${nodeName}, which never existed`);
          nodeNameOf.set(uid, nodeName);
        }
        let pod = obs.pods.get(uid);
        if (!pod) {
          pod = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, labels: obj.metadata.labels ?? {}, containers: new Map(), notReadyWhileRunning: false, restarts: 0 };
          obs.pods.set(uid, pod);
        }
        for (const cs of [...a(status['containerStatuses']), ...a(status['initContainerStatuses'])].map(o)) {
          const cname = s(cs['name']);
          const key = `${uid}/${cname}`;
          const restarts = n(cs['restartCount']);
          const before = restartsOf.get(key) ?? 0;
          if (restarts < before) violate(`pod ${obj.metadata.name} container ${cname} restartCount went back from ${before} to ${restarts}`);
          restartsOf.set(key, Math.max(before, restarts));
          pod.restarts = Math.max(pod.restarts, restarts);
          let seen = pod.containers.get(cname);
          if (!seen) {
            seen = { waiting: [], terminated: [] };
            pod.containers.set(cname, seen);
          }
          for (const st of [o(cs['state']), o(cs['lastState'])]) {
            const w = o(st['waiting']);
            if (w['reason']) seen.waiting.push({ reason: s(w['reason']), message: s(w['message']) });
            const t = o(st['terminated']);
            if (t['reason'] !== undefined || t['exitCode'] !== undefined) seen.terminated.push({ reason: s(t['reason']), exitCode: n(t['exitCode']) });
          }
        }
        const ready = a(status['conditions']).map(o).find((c) => c['type'] === 'Ready');
        if (status['phase'] === 'Running' && ready && ready['status'] === 'False') pod.notReadyWhileRunning = true;
        break;
      }
      case 'Event': {
        const count = n(obj['count']) || 1;
        const before = countOf.get(obj.metadata.uid) ?? 0;
        if (type !== 'DELETED' && count < before) violate(`event ${obj.metadata.name} count went back from ${before} to ${count}`);
        countOf.set(obj.metadata.uid, Math.max(before, count));
        const inv = o(obj['involvedObject']);
        const uid = s(inv['uid']);
        const kind = s(inv['kind']);
        const name = s(inv['name']);
        // The kubelet's node events carry the node name as uid, as a real kubelet's do.
        const known = uid ? obs.everUids.has(uid) || (kind === 'Node' && uid === name && obs.everNames.has(`Node//${name}`)) : obs.everNames.has(`${kind}/${s(inv['namespace'])}/${name}`);
        if (type === 'ADDED' && !known) violate(`event ${s(obj['reason'])} "${s(obj['message'])}" is about ${kind} ${name} (uid ${uid || 'none'}), which never existed`);
        if (type === 'ADDED' || type === 'MODIFIED') {
          obs.events.push({ type: s(obj['type']), reason: s(obj['reason']), message: s(obj['message']), kind, namespace: s(inv['namespace']), name, atMs: sim.elapsedMs });
        }
        break;
      }
      case 'Node':
        for (const c of a(status['conditions']).map(o)) obs.nodeConditions.add(`${s(c['type'])}=${s(c['status'])}`);
        break;
      case 'Endpoints': {
        const addresses = a(obj['subsets']).flatMap((sub) => a(o(sub)['addresses']));
        if (!addresses.length) obs.emptyEndpoints.add(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
        break;
      }
      case 'Job':
        for (const c of a(status['conditions']).map(o)) if (c['status'] === 'True') obs.jobConditions.add(`${s(c['type'])}:${s(c['reason'])}`);
        break;
      case 'HorizontalPodAutoscaler':
        if (n(status['currentReplicas']) >= n(spec['maxReplicas']) && n(spec['maxReplicas']) > 0) obs.hpaAtMax.add(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
        break;
      case 'PersistentVolumeClaim':
        obs.pvcPhases.set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, s(status['phase']));
        break;
    }
  };

  // Everything the scenario created before the watcher could subscribe.
  for (const t of RESOURCES) {
    if (t.group === 'metrics.k8s.io' || t.group === 'events.k8s.io') continue;
    for (const obj of ctx.store.list(infoFor(t)).items) observe(obj, 'INITIAL');
  }
  const unsubscribe = ctx.store.subscribe((c) => observe(c.object, c.type));

  const sample = () => {
    for (const pod of ctx.store.list(res('pods')).items) {
      const ns = pod.metadata.namespace ?? '';
      const usage = ctx.usage.pod(ns, pod.metadata.name);
      const nodeName = s(o(pod['spec'])['nodeName']);
      if (usage && nodeName && usage.node !== nodeName) violate(`pod ${ns}/${pod.metadata.name} uses resources on ${usage.node} but is bound to ${nodeName}`);
      const statuses = new Map(a(o(pod['status'])['containerStatuses']).map(o).map((cs) => [s(cs['name']), n(cs['restartCount'])]));
      for (const c of a(o(pod['spec'])['containers']).map(o)) {
        const cname = s(c['name']);
        const u = usage?.containers.get(cname);
        if (u) {
          const k = `${ns}/${pod.metadata.name}/${cname}`;
          obs.memory.set(k, [...(obs.memory.get(k) ?? []), u.memoryBytes]);
          const limit = s(o(o(c['resources'])['limits'])['cpu']);
          if (limit && u.cpuMillicores >= 0.9 * cpuMilli(limit)) obs.cpuAtLimit.add(k);
        }
        for (let instance = 0; instance <= (statuses.get(cname) ?? 0); instance++) {
          for (const line of ctx.logs.read(ns, pod.metadata.name, cname, instance) ?? []) if (obs.logLines.size < 50_000) obs.logLines.add(line.text);
        }
      }
    }
    timer = ctx.clock.setTimer(SAMPLE_EVERY_MS, sample);
  };
  let timer = ctx.clock.setTimer(SAMPLE_EVERY_MS, sample);
  return {
    obs,
    stop: () => {
      ctx.clock.clearTimer(timer);
      unsubscribe();
    },
    sampleNow: sample,
  };
}

function cpuMilli(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

// ------------------------------------------------------------------------------ ground-truth signals

interface Judge {
  scenario: Scenario;
  obs: Observations;
  /** Pods of the expected resource when it is a workload; else every pod. */
  resourcePods: Observations['pods'] extends Map<string, infer P> ? P[] : never;
  allPods: Observations['pods'] extends Map<string, infer P> ? P[] : never;
}

type Pod = Judge['allPods'][number];

const waitingIn = (pods: Pod[], re: RegExp, msg?: RegExp) => pods.some((p) => [...p.containers.values()].some((c) => c.waiting.some((w) => re.test(w.reason) && (!msg || msg.test(w.message)))));
const terminatedIn = (pods: Pod[], pred: (t: { reason: string; exitCode: number }) => boolean) => pods.some((p) => [...p.containers.values()].some((c) => c.terminated.some(pred)));
const eventSeen = (j: Judge, reason: RegExp, message?: RegExp) => j.obs.events.some((e) => reason.test(e.reason) && (!message || message.test(e.message)));
const logSeen = (j: Judge, re: RegExp) => [...j.obs.logLines].some((l) => re.test(l));
const crashed = (pods: Pod[]) => terminatedIn(pods, (t) => t.exitCode !== 0) || waitingIn(pods, /^CrashLoopBackOff$/);
const failing = (j: Judge, pods: Pod[]) =>
  crashed(pods) || waitingIn(pods, /^(ErrImagePull|ImagePullBackOff|CreateContainerConfigError|RunContainerError|InvalidImageName)$/) || pods.some((p) => p.notReadyWhileRunning) || eventSeen(j, /^(Unhealthy|BackOff|FailedScheduling)$/);
/** Every line a behavior of the scenario (or a fault) writes as an error line. */
function configuredErrorLines(scenario: Scenario): string[] {
  const lines: string[] = [];
  for (const w of scenario.spec.workloads) for (const c of w.containers) lines.push(...(c.behavior?.errorLogs ?? []), ...(c.behavior?.dependencyErrorLog ? [c.behavior.dependencyErrorLog] : []), ...(c.behavior?.missingEnvLog ? [c.behavior.missingEnvLog] : []));
  for (const f of scenario.spec.faults) {
    if (f.action === 'add-error-logs') lines.push(...f.value.lines);
    if (f.action === 'set-behavior') lines.push(...(f.value.errorLogs ?? []), ...(f.value.dependencyErrorLog ? [f.value.dependencyErrorLog] : []));
    if (f.action === 'set-image' && f.value.behavior) lines.push(...(f.value.behavior.errorLogs ?? []), ...(f.value.behavior.logs ?? []));
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '');
}
const configuredErrorSeen = (j: Judge) => configuredErrorLines(j.scenario).some((l) => j.obs.logLines.has(l));
const memoryGrew = (j: Judge, pods: Pod[]) => {
  const names = new Set(pods.map((p) => `${p.namespace}/${p.name}/`));
  return [...j.obs.memory].some(([k, samples]) => [...names].some((p) => k.startsWith(p)) && samples.length >= 2 && (samples.at(-1) ?? 0) - (samples[0] ?? 0) >= 8 * 2 ** 20);
};

/**
 * What must appear for each root cause: the signals a real cluster shows and an agent would quote as
 * evidence. Each is a sentence (for the failure message) and a check.
 */
const SIGNALS: Record<RootCauseType, { needs: string; check: (j: Judge) => boolean }> = {
  OOMKilled: { needs: 'a container of the resource terminated with reason OOMKilled, exit code 137', check: (j) => terminatedIn(j.resourcePods, (t) => t.reason === 'OOMKilled' && t.exitCode === 137) },
  MemoryLeak: { needs: "the resource's memory usage grows by ≥ 8Mi over the run", check: (j) => memoryGrew(j, j.resourcePods) || terminatedIn(j.resourcePods, (t) => t.reason === 'OOMKilled') },
  ImagePullError: { needs: 'a container waiting with ErrImagePull or ImagePullBackOff', check: (j) => waitingIn(j.resourcePods, /^(ErrImagePull|ImagePullBackOff)$/) },
  MissingConfigMap: {
    needs: 'CreateContainerConfigError or FailedMount naming a configmap that is not found',
    check: (j) => waitingIn(j.allPods, /^CreateContainerConfigError$/, /configmap "[^"]+" not found/i) || eventSeen(j, /^(FailedMount|Failed)$/, /configmap "[^"]+" not found/i),
  },
  MissingSecret: {
    needs: 'CreateContainerConfigError or FailedMount naming a secret that is not found',
    check: (j) => waitingIn(j.allPods, /^CreateContainerConfigError$/, /secret "[^"]+" not found/i) || eventSeen(j, /^(FailedMount|Failed)$/, /secret "[^"]+" not found/i),
  },
  ConfigurationError: {
    needs: 'a container of the resource exits non-zero or cannot be configured (CreateContainerConfigError)',
    check: (j) => crashed(j.resourcePods) || waitingIn(j.resourcePods, /^CreateContainerConfigError$/),
  },
  ApplicationCrash: { needs: 'a container of the resource terminates with a non-zero exit code', check: (j) => crashed(j.resourcePods) },
  CommandNotFound: {
    needs: 'a container fails to start: exit 127/128, StartError/RunContainerError or "executable file not found"',
    check: (j) =>
      terminatedIn(j.resourcePods, (t) => t.exitCode === 127 || t.exitCode === 128 || t.reason === 'StartError' || t.reason === 'ContainerCannotRun') ||
      waitingIn(j.resourcePods, /^(RunContainerError|StartError)$/) ||
      eventSeen(j, /^Failed$/, /executable file not found/),
  },
  DependencyUnavailable: {
    needs: 'some workload fails (crash or not ready) and logs a connection error',
    check: (j) => failing(j, j.allPods) && (configuredErrorSeen(j) || logSeen(j, /ECONNREFUSED|connection refused|Connection refused|timed out|timeout|unavailable|no route/i)),
  },
  ConnectionPoolExhausted: { needs: 'the configured pool-exhaustion lines appear in the logs', check: (j) => configuredErrorSeen(j) && logSeen(j, /pool|connection/i) },
  UpstreamRateLimited: { needs: 'a 429 / rate-limit line appears in the logs', check: (j) => logSeen(j, /429|rate.?limit|too many requests/i) },
  DNSResolutionFailure: {
    needs: 'a name-resolution error appears in the logs',
    check: (j) => logSeen(j, /ENOTFOUND|EAI_AGAIN|no such host|Name or service not known|NXDOMAIN|could not resolve|UnknownHostException|name resolution|getaddrinfo|lookup .* on/i),
  },
  CertificateExpired: { needs: 'a certificate / x509 / TLS error appears in the logs', check: (j) => logSeen(j, /certificate|x509|CERT_|SSL|TLS/i) },
  LivenessProbeFailure: {
    needs: 'Unhealthy "Liveness probe failed" events and a restart',
    check: (j) => eventSeen(j, /^Unhealthy$/, /^Liveness probe failed/) && (j.resourcePods.some((p) => p.restarts > 0) || eventSeen(j, /^Killing$/, /liveness probe/i)),
  },
  ReadinessProbeFailure: {
    needs: 'Unhealthy "Readiness probe failed" events and a running pod that is not Ready',
    check: (j) => eventSeen(j, /^Unhealthy$/, /^Readiness probe failed/) && j.resourcePods.some((p) => p.notReadyWhileRunning),
  },
  InsufficientResources: { needs: 'FailedScheduling containing "Insufficient"', check: (j) => eventSeen(j, /^FailedScheduling$/, /Insufficient/) },
  NodeSelectorMismatch: { needs: "FailedScheduling: didn't match Pod's node affinity/selector", check: (j) => eventSeen(j, /^FailedScheduling$/, /node affinity\/selector|node selector/i) },
  UntoleratedTaint: { needs: 'FailedScheduling: untolerated taint', check: (j) => eventSeen(j, /^FailedScheduling$/, /untolerated taint|taint/i) },
  PVCPending: {
    needs: 'a claim that stays Pending, ProvisioningFailed, or FailedScheduling for an unbound claim',
    check: (j) =>
      eventSeen(j, /^ProvisioningFailed$/) ||
      eventSeen(j, /^FailedScheduling$/, /PersistentVolumeClaim/) ||
      [...j.obs.pvcPhases.values()].some((p) => p === 'Pending'),
  },
  VolumeMountFailure: { needs: 'FailedMount or FailedAttachVolume events', check: (j) => eventSeen(j, /^(FailedMount|FailedAttachVolume)$/) },
  DiskFull: { needs: '"No space left on device" in the logs', check: (j) => logSeen(j, /No space left on device/i) },
  NodeNotReady: { needs: 'a node whose Ready condition is False or Unknown', check: (j) => j.obs.nodeConditions.has('Ready=False') || j.obs.nodeConditions.has('Ready=Unknown') },
  NodeDiskPressure: { needs: 'a node with DiskPressure True', check: (j) => j.obs.nodeConditions.has('DiskPressure=True') },
  NodeMemoryPressure: { needs: 'a node with MemoryPressure True', check: (j) => j.obs.nodeConditions.has('MemoryPressure=True') },
  BadRollout: {
    needs: 'the resource got a new template (a fault) and its pods then fail',
    check: (j) => j.scenario.spec.faults.some((f) => ['set-image', 'set-env', 'unset-env', 'set-resources'].includes(f.action)) && failing(j, j.resourcePods),
  },
  CPUThrottling: { needs: 'a container of the resource using ≥ 90% of its cpu limit', check: (j) => [...j.obs.cpuAtLimit].some((k) => j.resourcePods.some((p) => k.startsWith(`${p.namespace}/${p.name}/`))) },
  QuotaExceeded: { needs: 'FailedCreate … exceeded quota', check: (j) => eventSeen(j, /^FailedCreate$/, /exceeded quota/) },
  JobFailed: { needs: 'a Job with condition Failed (BackoffLimitExceeded or DeadlineExceeded)', check: (j) => [...j.obs.jobConditions].some((c) => c.startsWith('Failed:')) || eventSeen(j, /^BackoffLimitExceeded$/) },
  HPAMaxedOut: { needs: 'an HPA at its maxReplicas', check: (j) => j.obs.hpaAtMax.size > 0 || eventSeen(j, /^SuccessfulRescale$/) },
  NetworkPolicyBlocked: {
    needs: 'a NetworkPolicy exists and some workload fails with connection errors',
    check: (j) => j.scenario.spec.networkPolicies.length > 0 && failing(j, j.allPods),
  },
  ServiceSelectorMismatch: {
    needs: 'a Service whose Endpoints have no ready address',
    check: (j) => {
      const r = j.scenario.spec.expect.resource;
      return r?.kind === 'Service' ? j.obs.emptyEndpoints.has(`${r.namespace ?? 'default'}/${r.name}`) : j.obs.emptyEndpoints.size > 0;
    },
  },
};

/**
 * Warnings a healthy cluster may show without anything being wrong: a readiness probe failing while a
 * container starts or during a single blip (Unhealthy), and the node events of a node that reboots and
 * recovers (NodeNotReady on its pods, Rebooted). Each still requires every workload to be available at
 * the end.
 */
const HEALTHY_ALLOWED_WARNINGS = new Set(['Unhealthy', 'NodeNotReady', 'Rebooted']);
/**
 * Warnings an HPA controller emits while metrics-server has no sample yet for freshly started pods, as
 * a real one does for its first minute: allowed only during the first two simulated minutes.
 */
const HEALTHY_STARTUP_WARNINGS = new Set(['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
const STARTUP_MS = 2 * 60_000;

function alarming(e: Observations['events'][number]): boolean {
  if (e.type !== 'Warning' || HEALTHY_ALLOWED_WARNINGS.has(e.reason)) return false;
  return !(HEALTHY_STARTUP_WARNINGS.has(e.reason) && e.atMs <= STARTUP_MS);
}

function podsOfResource(scenario: Scenario, obs: Observations): Pod[] {
  const r = scenario.spec.expect.resource;
  const all = [...obs.pods.values()];
  const w = r && scenario.spec.workloads.find((x) => x.kind === r.kind && x.name === r.name && x.namespace === (r.namespace ?? 'default'));
  if (!w) return all;
  const labels = workloadLabels(w);
  return all.filter((p) => p.namespace === w.namespace && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
}

/** Workloads not available at the end, as sentences. */
function unavailable(sim: Simulation): string[] {
  const out: string[] = [];
  const get = (key: string, ns: string, name: string) => sim.ctx.store.get(res(key), ns, name);
  for (const w of sim.scenario.spec.workloads) {
    const key = { Deployment: 'deployments.apps', StatefulSet: 'statefulsets.apps', DaemonSet: 'daemonsets.apps', Job: 'jobs.batch', CronJob: 'cronjobs.batch' }[w.kind];
    const obj = get(key, w.namespace, w.name);
    if (!obj) {
      out.push(`${w.kind} ${w.namespace}/${w.name} is gone`);
      continue;
    }
    const spec = o(obj['spec']);
    const st = o(obj['status']);
    const want = n(spec['replicas']);
    switch (w.kind) {
      case 'Deployment':
        if (n(st['availableReplicas']) < want || n(st['updatedReplicas']) < want) out.push(`Deployment ${w.namespace}/${w.name}: ${n(st['availableReplicas'])}/${want} available, ${n(st['updatedReplicas'])} updated`);
        break;
      case 'StatefulSet':
        if (n(st['readyReplicas']) < want) out.push(`StatefulSet ${w.namespace}/${w.name}: ${n(st['readyReplicas'])}/${want} ready`);
        break;
      case 'DaemonSet':
        if (n(st['numberAvailable']) < n(st['desiredNumberScheduled']) || n(st['desiredNumberScheduled']) === 0) {
          out.push(`DaemonSet ${w.namespace}/${w.name}: ${n(st['numberAvailable'])}/${n(st['desiredNumberScheduled'])} available`);
        }
        break;
      case 'Job':
        if (a(st['conditions']).map(o).some((c) => c['type'] === 'Failed' && c['status'] === 'True')) out.push(`Job ${w.namespace}/${w.name} failed`);
        break;
      case 'CronJob':
        break; // its Jobs are checked through the Failed conditions the watcher saw
    }
  }
  return out;
}

// -------------------------------------------------------------------------------------------- tests

describe('built-in scenario library', () => {
  it('has scenarios (an empty library fails, it does not pass)', () => {
    expect(entries.length, 'no scenarios found in scenarios/').toBeGreaterThan(0);
  });

  it('has ≥ 40 scenarios, covers every root-cause id and has ≥ 8 healthy ones', () => {
    const covered = new Set(entries.map((e) => e.scenario.spec.expect.rootCause).filter(Boolean));
    const missing = ROOT_CAUSE_TYPES.filter((id) => !covered.has(id));
    const healthy = entries.filter((e) => e.scenario.spec.expect.healthy).length;
    expect({ count: entries.length >= 40, missing, healthy: healthy >= 8 }).toEqual({ count: true, missing: [], healthy: true });
  });
});

describe.concurrent('every built-in scenario keeps the simulator invariants and shows its ground truth', () => {
  for (const entry of entries) {
    it(entry.name, { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const sim = Simulation.create({ scenario: entry.scenario, startTime: Date.UTC(2025, 5, 1, 12) });
      const watcher = watch(sim);
      const started = performance.now();
      try {
        await sim.run();
        watcher.sampleNow();
      } finally {
        watcher.stop();
        sim.stop();
      }
      const { obs } = watcher;
      const wallMs = performance.now() - started;
      const ex = entry.scenario.spec.expect;

      expect(sim.errors.map(String), 'timer callbacks threw').toEqual([]);
      expect(obs.violations, 'simulator invariants').toEqual([]);
      expect(sim.timeline.length, 'every fault applied').toBe(entry.scenario.spec.faults.length);
      expect(sim.timeline.filter((t) => t.error).map((t) => `${t.action} ${t.description}: ${t.error ?? ''}`), 'faults applied without error').toEqual([]);
      expect(wallMs).toBeLessThan(SCENARIO_TIMEOUT_MS);

      const judge: Judge = { scenario: entry.scenario, obs, resourcePods: podsOfResource(entry.scenario, obs), allPods: [...obs.pods.values()] };
      if (ex.healthy) {
        const warnings = obs.events.filter(alarming).map((e) => `${e.reason} ${e.kind} ${e.namespace}/${e.name} at ${Math.round(e.atMs / 1000)}s: ${e.message}`);
        expect([...new Set(warnings)], 'a healthy scenario shows no alarming Warning events').toEqual([]);
        expect(unavailable(sim), 'a healthy scenario ends with every workload available').toEqual([]);
      } else {
        const root = ex.rootCause as RootCauseType;
        const signal = SIGNALS[root];
        expect(signal.check(judge), `${root}: expected ${signal.needs}; saw events ${summarize(obs)}`).toBe(true);
      }
    });
  }
});

function summarize(obs: Observations): string {
  const reasons = new Map<string, number>();
  for (const e of obs.events) reasons.set(`${e.type}/${e.reason}`, (reasons.get(`${e.type}/${e.reason}`) ?? 0) + 1);
  return `${JSON.stringify(Object.fromEntries(reasons))}; node conditions ${[...obs.nodeConditions].join(',')}; ${obs.logLines.size} distinct log lines`;
}
