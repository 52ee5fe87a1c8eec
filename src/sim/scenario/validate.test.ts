import { describe, expect, it } from 'vitest';
import { cpuMillicores, durationMs, quantityBytes } from './schema.js';
import { FULL_EXAMPLE } from './test-context.js';
import { ScenarioError, parseScenario, parseScenarioWithWarnings } from './validate.js';

const MINIMAL = `apiVersion: aetherius.io/v1
kind: Scenario
metadata: {name: minimal}
spec:
  duration: 10m
  nodes: [{name: node-1}]
  namespaces: [shop]
  workloads:
    - kind: Deployment
      namespace: shop
      name: api
      containers:
        - name: app
          image: registry.local/api:1.0.0
  expect: {healthy: true}
`;

function problems(text: string): ScenarioError {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('parseScenario', () => {
  it('accepts the full example of the issue, every key', () => {
    const s = parseScenario(FULL_EXAMPLE, 'example.yaml');
    expect(s.metadata.name).toBe('checkout-oom');
    expect(s.spec.workloads[0]?.containers[0]?.behavior?.probes).toEqual({ liveness: 'pass', readiness: 'pass' });
    expect(s.spec.nodes[1]).toMatchObject({ cpu: '8', memory: '32Gi', pods: 110 });
    expect(s.spec.configMaps[0]?.data).toEqual({ LOG_LEVEL: 'info', PORT: '8080' });
    expect(s.spec.faults.map((f) => f.action)).toEqual(['set-image', 'node-not-ready']);
    expect(s.spec.expect).toMatchObject({ healthy: false, rootCause: 'OOMKilled', remediation: 'UpdateResourceLimits' });
  });

  it('fills defaults: namespace default, node size, healthy false', () => {
    const s = parseScenario(MINIMAL);
    expect(s.spec.nodes[0]).toMatchObject({ cpu: '4', memory: '16Gi', pods: 110 });
    expect(s.spec.faults).toEqual([]);
    expect(s.spec.images).toEqual({ missing: [], unauthorized: [] });
  });

  it('rejects a wrong key with its YAML path, line and a did-you-mean', () => {
    const err = problems(MINIMAL.replace('image: registry.local/api:1.0.0', 'image: registry.local/api:1.0.0\n          behavior: {memroy: {baseMi: 10}}'));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ path: 'spec.workloads[0].containers[0].behavior.memroy', line: 15, message: 'unknown key', hint: "did you mean 'memory'?" });
    expect(err.message).toContain("bad.yaml:15: spec.workloads[0].containers[0].behavior.memroy: unknown key (did you mean 'memory'?)");
  });

  it('rejects an unknown action with a did-you-mean', () => {
    const err = problems(MINIMAL.replace('  expect:', '  faults:\n    - {at: 1m, action: node-not-redy, target: {kind: Node, name: node-1}}\n  expect:'));
    expect(err.issues[0]).toMatchObject({ path: 'spec.faults[0].action', message: 'unknown action "node-not-redy"', hint: "did you mean 'node-not-ready'?" });
  });

  it('rejects an unknown root-cause id, listing the closest ids', () => {
    const err = problems(MINIMAL.replace('expect: {healthy: true}', 'expect: {rootCause: OOMKiled, acceptable: [Memoryleak]}'));
    expect(err.issues.map((i) => i.path)).toEqual(['spec.expect.rootCause', 'spec.expect.acceptable[0]']);
    expect(err.issues[0]?.hint).toMatch(/^closest ids: OOMKilled,/);
    expect(err.issues[1]?.hint).toMatch(/^closest ids: MemoryLeak,/);
  });

  it('lists every problem at once, schema and cross-references together, in line order', () => {
    const text = `apiVersion: aetherius.io/v1
kind: Scenario
metadata: {name: Bad_Name}
spec:
  duration: 5m
  nodes: [{name: node-1, cpu: lots}]
  namespaces: [shop]
  services: [{namespace: shpo, name: api, selector: {app: api}, port: 80}]
  workloads:
    - kind: Deployment
      namespace: shop
      name: api
      replicaz: 2
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
      containers:
        - {name: app, image: a:1, behavior: {disk: {volume: dta}}}
  faults:
    - {at: 10m, action: scale, target: {kind: Deployment, namespace: shop, name: api}, value: {replicas: 0}}
    - {at: 1m, action: set-env, target: {kind: Deployment, namespace: shop, name: api, container: ap}, value: {name: X, value: "1"}}
    - {at: 1m, action: cordon, target: {kind: Node, name: node-9}}
    - {at: 1m, action: delete-configmap, target: {kind: ConfigMap, namespace: shop, name: nope}}
    - {at: soon, action: node-ready, target: {kind: Node, name: node-1}}
  expect: {healthy: true, rootCause: OOMKilled}
`;
    const err = problems(text);
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath)).toEqual(
      expect.arrayContaining([
        'metadata.name',
        'spec.nodes[0].cpu',
        'spec.services[0].namespace',
        'spec.workloads[0].replicaz',
        'spec.workloads[0].volumes[0].persistentVolumeClaim.claimName',
        'spec.workloads[0].containers[0].behavior.disk.volume',
        'spec.faults[0].at',
        'spec.faults[1].target.container',
        'spec.faults[2].target.name',
        'spec.faults[3].target.name',
        'spec.faults[4].at',
        'spec.expect.rootCause',
      ]),
    );
    expect(byPath['spec.services[0].namespace']?.hint).toBe("did you mean 'shop'?");
    expect(byPath['spec.workloads[0].replicaz']?.hint).toBe("did you mean 'replicas'?");
    expect(byPath['spec.workloads[0].containers[0].behavior.disk.volume']?.hint).toBe("did you mean 'data'?");
    expect(byPath['spec.faults[1].target.container']?.hint).toBe("did you mean 'app'?");
    expect(byPath['spec.faults[0].at']?.message).toContain('after the end of the run');
    expect(byPath['spec.nodes[0].cpu']?.message).toContain('quantity');
    expect(byPath['spec.faults[4].at']?.message).toContain('duration');
    const lines = err.issues.map((i) => i.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(err.code).toBe('AETHERIUS_E_INPUT');
  });

  it('names the allowed values of a wrong enum and of a wrong target kind for an action', () => {
    const err = problems(
      MINIMAL.replace('kind: Deployment', 'kind: Deploymnet').replace('  expect:', '  faults:\n    - {at: 1m, action: cordon, target: {kind: Deployment, name: api}}\n  expect:'),
    );
    expect(err.issues.find((i) => i.path === 'spec.workloads[0].kind')?.hint).toBe("did you mean 'Deployment'?");
    expect(err.issues.find((i) => i.path === 'spec.faults[0].target.kind')?.message).toMatch(/Node/);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = problems('apiVersion: aetherius.io/v1\nkind: Scenario\nspec:\n  nodes: [{name: a}\n');
    expect(err.issues[0]?.path).toBe('(file)');
    expect(err.issues[0]?.line).toBeGreaterThan(0);
  });

  it('warns, without failing, about what may be the staged fault: a Service selecting nothing', () => {
    const { warnings } = parseScenarioWithWarnings(MINIMAL.replace('  workloads:', '  services: [{namespace: shop, name: api, selector: {app: api-v2}, port: 80}]\n  workloads:'));
    expect(warnings).toEqual([expect.objectContaining({ path: 'spec.services[0].selector' })]);
  });

  it('requires a root cause unless healthy, and refuses template faults on a Job', () => {
    const err = problems(
      MINIMAL.replace('kind: Deployment', 'kind: Job')
        .replace('expect: {healthy: true}', 'faults: [{at: 1m, action: set-image, target: {kind: Job, namespace: shop, name: api}, value: {image: b:2}}]\n  expect: {}'),
    );
    expect(err.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['spec.faults[0].action', 'spec.expect']));
  });
});

describe('durations and quantities', () => {
  it('converts durations', () => {
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('2m')).toBe(120_000);
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('1.5h')).toBe(5_400_000);
    expect(durationMs('250ms')).toBe(250);
    expect(durationMs('2m30s')).toBe(150_000);
    expect(() => durationMs('2 minutes')).toThrow(RangeError);
  });

  it('converts quantities', () => {
    expect(cpuMillicores('500m')).toBe(500);
    expect(cpuMillicores('4')).toBe(4000);
    expect(cpuMillicores('0.25')).toBe(250);
    expect(quantityBytes('64Mi')).toBe(64 * 2 ** 20);
    expect(quantityBytes('16Gi')).toBe(16 * 2 ** 30);
    expect(quantityBytes('1G')).toBe(1e9);
  });
});
