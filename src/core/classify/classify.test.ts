import { describe, expect, it } from 'vitest';
import { eventCategory } from '../../contracts/agent-messages.js';
import { SEVERITIES, type Severity } from '../../contracts/common.js';
import { classify, FALLBACK_CATEGORY, isKnownReason, listReasons, severityAtLeast, SEVERITY_ORDER } from './classify.js';
import { REASON_SOURCES } from './event-reasons.js';

describe('the reason table', () => {
  const entries = listReasons();

  it('covers at least 85 reasons, each once, with a valid severity, category and source and a one-line description', () => {
    expect(entries.length).toBeGreaterThanOrEqual(90);
    const seen = new Set<string>();
    for (const e of entries) {
      expect(seen.has(e.reason), `duplicate reason ${e.reason}`).toBe(false);
      seen.add(e.reason);
      expect(e.reason).toMatch(/^[A-Za-z][A-Za-z0-9]{1,127}$/);
      expect(SEVERITIES).toContain(e.severity);
      expect(eventCategory.options).toContain(e.category);
      expect(REASON_SOURCES).toContain(e.source);
      expect(e.description.length, e.reason).toBeGreaterThan(10);
      expect(e.description, e.reason).not.toMatch(/\n/);
    }
  });

  it('has no two reasons that differ only in letter case (the case-insensitive lookup would be ambiguous)', () => {
    const folded = entries.map((e) => e.reason.toLowerCase());
    expect(new Set(folded).size).toBe(folded.length);
  });

  it('gives every variant a condition, a valid regular expression and valid overrides', () => {
    for (const e of entries) {
      for (const v of e.variants ?? []) {
        expect(v.kinds !== undefined || v.message !== undefined, `${e.reason}: a variant without a condition always wins`).toBe(true);
        if (v.message !== undefined) expect(() => new RegExp(v.message ?? '', 'i'), e.reason).not.toThrow();
        if (v.severity !== undefined) expect(SEVERITIES).toContain(v.severity);
        if (v.category !== undefined) expect(eventCategory.options).toContain(v.category);
        if (v.source !== undefined) expect(REASON_SOURCES).toContain(v.source);
        expect(v.description.length).toBeGreaterThan(10);
      }
    }
  });

  it('includes the state-derived reasons the agent emits', () => {
    for (const r of [
      'OOMKilled', 'CrashLoopBackOff', 'ContainerRestarted', 'ContainerTerminated', 'PodFailed', 'Evicted', 'Unschedulable', 'NodeNotReady', 'NodeReady',
      'NodeHasDiskPressure', 'NodeHasMemoryPressure', 'NodeHasPIDPressure', 'NodeNetworkUnavailable', 'NodeNotSchedulable', 'ProgressDeadlineExceeded',
      'ReplicaFailure', 'MinimumReplicasUnavailable', 'JobFailed', 'BackoffLimitExceeded', 'DeadlineExceeded', 'ClaimPending', 'ClaimLost', 'ScalingLimited',
      'HPAUnableToScale', 'StatefulSetReplicasUnavailable', 'DaemonSetPodsUnavailable',
    ]) {
      expect(isKnownReason(r), r).toBe(true);
    }
  });
});

describe('classify', () => {
  const c = (reason: string, extra: { type?: string; kind?: string; message?: string } = {}) => {
    const r = classify({ reason, ...extra });
    return `${r.severity}/${r.category}`;
  };

  it('rates the reasons that mean an outage now as critical', () => {
    for (const r of ['OOMKilled', 'CrashLoopBackOff', 'NodeNotReady', 'SystemOOM', 'ClaimLost', 'KernelDeadlock', 'ReadonlyFilesystem']) {
      expect(classify({ reason: r, type: 'Warning' }).severity, r).toBe('critical');
    }
    expect(c('OOMKilled', { kind: 'Pod' })).toBe('critical/pod_failure');
    expect(c('ClaimLost', { kind: 'PersistentVolumeClaim' })).toBe('critical/storage');
  });

  it('rates the normal lifecycle as low', () => {
    for (const r of ['Scheduled', 'Pulled', 'Pulling', 'Created', 'Started', 'Killing', 'SuccessfulCreate', 'ScalingReplicaSet', 'NodeReady', 'SuccessfulRescale', 'ProvisioningSucceeded']) {
      expect(classify({ reason: r, type: 'Normal' }).severity, r).toBe('low');
    }
    expect(c('Completed', { kind: 'Job', type: 'Normal' })).toBe('low/job');
  });

  it('does not decide by the event type: NodeNotReady and NodeHasDiskPressure recorded as Normal stay critical and high', () => {
    expect(c('NodeNotReady', { type: 'Normal', kind: 'Node' })).toBe('critical/node');
    expect(c('NodeHasDiskPressure', { type: 'Normal', kind: 'Node' })).toBe('high/node');
    expect(c('NodeHasInsufficientMemory', { type: 'Normal', kind: 'Node' })).toBe('high/node');
    expect(c('FailedBinding', { type: 'Normal', kind: 'PersistentVolumeClaim' })).toBe('medium/storage');
    // And a Warning that is routine is not raised by its type.
    expect(c('Killing', { type: 'Warning', kind: 'Pod' })).toBe('low/pod_failure');
  });

  it('tells an image back-off from a crash back-off by the message', () => {
    expect(c('BackOff', { type: 'Normal', kind: 'Pod', message: 'Back-off pulling image "registry.example.com/app:v2"' })).toBe('high/image');
    expect(c('BackOff', { type: 'Warning', kind: 'Pod', message: 'Back-off restarting failed container app in pod web-1_prod(0c1f)' })).toBe('high/pod_failure');
    expect(c('BackOff', { kind: 'Pod' })).toBe('high/pod_failure');
  });

  it('rates probe failures by probe: liveness and startup high, readiness medium', () => {
    expect(c('Unhealthy', { kind: 'Pod', message: 'Liveness probe failed: HTTP probe failed with statuscode: 503' })).toBe('high/pod_failure');
    expect(c('Unhealthy', { kind: 'Pod', message: 'Startup probe failed: dial tcp 10.0.0.7:8080: connect: connection refused' })).toBe('high/pod_failure');
    expect(c('Unhealthy', { kind: 'Pod', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' })).toBe('medium/pod_failure');
    expect(c('Unhealthy', { kind: 'Pod', message: 'Readiness probe errored: rpc error: code = NotFound' })).toBe('medium/pod_failure');
  });

  it('splits Failed into image, config and container failures by the message', () => {
    expect(c('Failed', { message: 'Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image' })).toBe('high/image');
    expect(c('Failed', { message: 'Error: ErrImagePull' })).toBe('high/image');
    expect(c('Failed', { message: 'Error: ImagePullBackOff' })).toBe('high/image');
    expect(c('Failed', { message: 'Error: configmap "app-config" not found' })).toBe('high/config');
    expect(c('Failed', { message: 'Error: couldn\'t find key DB_URL in Secret prod/db' })).toBe('high/config');
    // A missing pull secret is a config problem, even though the message says "pull".
    expect(c('Failed', { message: 'Error: secret "registry-pull" not found' })).toBe('high/config');
    expect(c('Failed', { message: 'Error: failed to create containerd task: OCI runtime create failed: exec: "/app": stat /app: no such file or directory: unknown' })).toBe('high/pod_failure');
  });

  it('refines by the involved kind', () => {
    expect(c('FailedCreate', { kind: 'ReplicaSet', message: 'Error creating: pods "web-abc" is forbidden: exceeded quota: compute, requested: cpu=500m' })).toBe('high/config');
    expect(c('FailedCreate', { kind: 'StatefulSet', message: 'create Claim data-db-0 for Pod db-0 in StatefulSet db failed error: boom' })).toBe('high/storage');
    expect(c('FailedCreate', { kind: 'Job', message: 'Error creating: pods "x" already exists' })).toBe('high/job');
    expect(c('FailedCreate', { kind: 'DaemonSet', message: 'Error creating: node not found' })).toBe('high/scaling');
    expect(c('SuccessfulCreate', { kind: 'CronJob' })).toBe('low/job');
    expect(c('SuccessfulCreate', { kind: 'ReplicaSet' })).toBe('low/scaling');
    expect(c('NodeNotReady', { kind: 'Pod', type: 'Warning', message: 'Node is not ready' })).toBe('high/node');
    expect(c('DeadlineExceeded', { kind: 'Job' })).toBe('high/job');
    expect(c('DeadlineExceeded', { kind: 'Pod' })).toBe('high/pod_failure');
    expect(c('Completed', { kind: 'Pod' })).toBe('low/pod_failure');
  });

  it('puts mounts of missing ConfigMaps and scheduling blocked by volumes in the right category', () => {
    expect(c('FailedMount', { message: 'MountVolume.SetUp failed for volume "cfg" : configmap "app" not found' })).toBe('high/config');
    expect(c('FailedMount', { message: 'Unable to attach or mount volumes: unmounted volumes=[data]: timed out waiting for the condition' })).toBe('high/storage');
    expect(c('FailedScheduling', { message: '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available' })).toBe('high/scheduling');
    expect(c('FailedScheduling', { message: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.' })).toBe('high/storage');
  });

  it('reports the table source and known: true for known reasons', () => {
    expect(classify({ reason: 'FailedScheduling' })).toEqual({ severity: 'high', category: 'scheduling', known: true, source: 'scheduler' });
    expect(classify({ reason: 'KernelOops' }).source).toBe('node-problem-detector');
    expect(classify({ reason: 'ContainerRestarted', type: 'state_change', kind: 'Pod' }).source).toBe('agent');
  });

  it('falls back for unknown reasons: Warning medium, else low, category from the kind, known: false', () => {
    expect(classify({ reason: 'SomethingNew', type: 'Warning', kind: 'Pod' })).toEqual({ severity: 'medium', category: 'pod_failure', known: false, source: 'unknown' });
    expect(classify({ reason: 'SomethingNew', type: 'Normal', kind: 'Node' })).toEqual({ severity: 'low', category: 'node', known: false, source: 'unknown' });
    expect(c('SomethingNew', { type: 'state_change', kind: 'PersistentVolumeClaim' })).toBe('low/storage');
    expect(c('SomethingNew', { type: 'Warning', kind: 'HorizontalPodAutoscaler' })).toBe('medium/scaling');
    expect(c('SomethingNew', { type: 'Warning', kind: 'CronJob' })).toBe('medium/job');
    expect(c('SomethingNew', { type: 'Warning', kind: 'Deployment' })).toBe('medium/scaling');
    expect(c('SomethingNew', { type: 'Warning', kind: 'Service' })).toBe('medium/network');
    expect(c('SomethingNew', { type: 'Warning', kind: 'Certificate' })).toBe(`medium/${FALLBACK_CATEGORY}`);
    expect(c('SomethingNew')).toBe(`low/${FALLBACK_CATEGORY}`);
  });

  it('finds a reason spelled in another letter case', () => {
    expect(classify({ reason: 'oomkilled' })).toMatchObject({ severity: 'critical', known: true });
    expect(classify({ reason: 'CRASHLOOPBACKOFF' }).known).toBe(true);
  });

  it('never throws on garbage input', () => {
    const garbage: unknown[] = [undefined, null, 42, {}, [], '', 'x'.repeat(100_000), { toString: () => 'BackOff' }];
    for (const g of garbage) {
      for (const field of ['reason', 'type', 'kind', 'message'] as const) {
        const input = { reason: 'BackOff', [field]: g } as unknown as Parameters<typeof classify>[0];
        expect(() => classify(input)).not.toThrow();
      }
    }
    expect(classify({ reason: undefined as unknown as string, type: 'Warning' })).toMatchObject({ known: false, severity: 'medium' });
    expect(classify(null as unknown as Parameters<typeof classify>[0])).toMatchObject({ known: false, severity: 'low' });
  });

  it('returns frozen shared results, so the hot path does not allocate and callers cannot corrupt the table', () => {
    const a = classify({ reason: 'OOMKilled' });
    expect(classify({ reason: 'OOMKilled' })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { severity: Severity }).severity = 'low';
    }).toThrow(TypeError);
    expect(classify({ reason: 'OOMKilled' }).severity).toBe('critical');
  });

  it('classifies 300,000 events in well under a second', () => {
    const inputs = [
      { reason: 'BackOff', type: 'Warning', kind: 'Pod', message: 'Back-off restarting failed container app in pod web-7f9b8c-xyz_production(0c1f)' },
      { reason: 'Unhealthy', type: 'Warning', kind: 'Pod', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' },
      { reason: 'Scheduled', type: 'Normal', kind: 'Pod', message: 'Successfully assigned prod/web-1 to node-1' },
      { reason: 'NotInTheTable', type: 'Warning', kind: 'Pod', message: 'x' },
    ];
    const start = performance.now();
    let high = 0;
    for (let i = 0; i < 300_000; i++) if (classify(inputs[i % inputs.length]!).severity === 'high') high++;
    expect(high).toBe(75_000);
    expect(performance.now() - start).toBeLessThan(1500);
  });
});

describe('severityAtLeast', () => {
  it('orders low < medium < high < critical', () => {
    expect(SEVERITY_ORDER).toEqual(['low', 'medium', 'high', 'critical']);
    for (const [i, s] of SEVERITY_ORDER.entries()) {
      for (const [j, min] of SEVERITY_ORDER.entries()) expect(severityAtLeast(s, min), `${s} >= ${min}`).toBe(i >= j);
    }
  });

  it('ranks an unknown severity below everything', () => {
    expect(severityAtLeast('bogus' as Severity, 'low')).toBe(false);
  });
});
