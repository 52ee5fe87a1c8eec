import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/errors.js';
import { approvalTarget, characterProblem, labelSelectorProblem, lookupKind, parseCommandArgs, type WriteCommand } from './command-grammar.js';
import { checkCommandPolicy } from './command-policy.js';

function error(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('parseCommandArgs: accepted forms', () => {
  it('parses the architecture example and kubectl spellings of logs', () => {
    expect(parseCommandArgs('logs', ['--tail=100', '--previous', 'api-server-7f9b8c-xyz'], 'production')).toEqual({
      action: 'logs', namespace: 'production', pod: 'api-server-7f9b8c-xyz', previous: true, tailLines: 100, timestamps: false,
    });
    expect(parseCommandArgs('logs', ['pod/web-0', 'app', '-p=false', '--since', '1h30m', '--limit-bytes=2048', '--timestamps'])).toEqual({
      action: 'logs', namespace: 'default', pod: 'web-0', container: 'app', previous: false, sinceSeconds: 5400, timestamps: true, limitBytes: 2048,
    });
    expect(parseCommandArgs('logs', ['web-0', '-c', 'app', '-n', 'shop'], 'shop')).toMatchObject({ namespace: 'shop', container: 'app' });
  });

  it('parses get, describe, events and top with kinds as kubectl names them', () => {
    expect(parseCommandArgs('get', ['deploy', 'checkout', '-o', 'yaml'], 'shop')).toMatchObject({ resource: 'deployments', name: 'checkout', output: 'yaml' });
    expect(parseCommandArgs('get', ['Pods', '-l', 'app.kubernetes.io/name=web,tier!=db,!canary', '--field-selector=status.phase!=Running', '-A'])).toMatchObject({
      resource: 'pods', allNamespaces: true, output: 'table', labelSelector: 'app.kubernetes.io/name=web,tier!=db,!canary', fieldSelector: 'status.phase!=Running',
    });
    expect(parseCommandArgs('describe', ['no', 'node-1'])).toEqual({ action: 'describe', namespace: 'default', resource: 'nodes', name: 'node-1' });
    expect(parseCommandArgs('describe', ['hpa/web'], 'shop')).toMatchObject({ resource: 'horizontalpodautoscalers', name: 'web' });
    expect(parseCommandArgs('events', ['--for', 'deployment/checkout', '--types=Warning,Normal'], 'shop')).toEqual({
      action: 'events', namespace: 'shop', allNamespaces: false, for: { resource: 'deployments', name: 'checkout' }, types: ['Warning', 'Normal'],
    });
    expect(parseCommandArgs('top', ['pod', 'web-0', '--containers'])).toMatchObject({ resource: 'pods', name: 'web-0', containers: true });
    expect(parseCommandArgs('top', ['nodes'])).toMatchObject({ resource: 'nodes', containers: false });
  });

  it('parses write actions and binds their target', () => {
    const scale = parseCommandArgs('scale', ['sts', 'db', '--replicas', '0'], 'data');
    expect(scale).toEqual({ action: 'scale', namespace: 'data', resource: 'statefulsets', name: 'db', replicas: 0 });
    expect(approvalTarget(scale as WriteCommand)).toBe('data/statefulsets/db');
    const patch = parseCommandArgs('patch-resources', ['deployment/x', '-c', 'app', '--limits=memory=256Mi,cpu=500m', '--requests=cpu=250m'], 'shop');
    expect(patch).toMatchObject({ limits: { memory: '256Mi', cpu: '500m' }, requests: { cpu: '250m' } });
    expect(parseCommandArgs('rollout-undo', ['deployment/x', '--to-revision=2'], 'shop')).toMatchObject({ toRevision: 2 });
    expect(approvalTarget(parseCommandArgs('drain', ['node/node-1', '--ignore-daemonsets', '--grace-period=30']) as WriteCommand)).toBe('/nodes/node-1');
    expect(parseCommandArgs('delete-pod', ['pod/web-0'], 'web')).toEqual({ action: 'delete-pod', namespace: 'web', resource: 'pods', name: 'web-0' });
  });
});

describe('parseCommandArgs: refusals name the argument and the problem', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['shell metacharacter', () => parseCommandArgs('logs', ['web;id']), 'args.0', 'args[0] "web;id": contains ";", a shell metacharacter; commands never run in a shell and such characters are refused'],
    ['NUL', () => parseCommandArgs('logs', ['web\u0000']), 'args.0', 'args[0] "web\\u0000": contains the control character U+0000; control characters (NUL, newline, escape) are refused'],
    ['look-alike', () => parseCommandArgs('logs', ['\u0430pi']), 'args.0', 'args[0] "\\u0430pi": contains the non-ASCII character U+0430; names are ASCII only, so look-alike letters are refused'],
    ['traversal', () => parseCommandArgs('logs', ['../etc']), 'args.0', 'args[0] "../etc": contains "..", a path traversal; it is refused everywhere'],
    ['url encoding', () => parseCommandArgs('logs', ['%2e%2e']), 'args.0', 'args[0] "%2e%2e": contains "%"; URL-encoded characters are refused'],
    ['too many', () => parseCommandArgs('get', Array.from({ length: 17 }, () => 'pods')), 'args', 'args: 17 arguments given; at most 16 are allowed'],
    ['too long', () => parseCommandArgs('logs', ['a'.repeat(1025)]), 'args.0', `args[0] "${'a'.repeat(48)}"...: is 1025 characters long; at most 1024 are allowed`],
    ['unknown flag', () => parseCommandArgs('logs', ['web', '--follow']), 'args.1', 'args[1] "--follow": unknown flag "--follow"; this action accepts -n, --namespace, --tail, --previous, -p, --container, -c, --since, --timestamps, --limit-bytes'],
    ['duplicate', () => parseCommandArgs('logs', ['web', '-p', '--previous']), 'args.2', 'args[2] "--previous": --previous is given twice (also args[1] "true"); give each flag once'],
    ['bounds', () => parseCommandArgs('logs', ['web', '--tail=10001']), 'args.1', 'args[1] "10001": --tail must be a whole number from 1 to 10000'],
    ['since', () => parseCommandArgs('logs', ['web', '--since=200h']), 'args.1', 'args[1] "200h": --since must be between 1s and 168h (7 days)'],
    ['secrets', () => parseCommandArgs('describe', ['secret/x']), 'args.0', 'args[0] "secret": secrets are never readable through the agent'],
    ['kind', () => parseCommandArgs('get', ['widgets']), 'args.0', 'args[0] "widgets": unknown resource type; known: pods, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs, nodes, services, endpoints, configmaps, persistentvolumeclaims, persistentvolumes, horizontalpodautoscalers, namespaces, events'],
    ['name too long', () => parseCommandArgs('get', ['pods', 'a'.repeat(254)]), 'args.1', `args[1] "${'a'.repeat(48)}"...: a Pod name is 254 characters long; at most 253 are allowed`],
    ['namespace', () => parseCommandArgs('get', ['pods'], 'Shop'), 'namespace', 'namespace "Shop": a namespace must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit'],
    ['namespace conflict', () => parseCommandArgs('get', ['pods', '-n', 'a'], 'b'), 'args.2', 'args[2] "a": -n a conflicts with the command\'s namespace field "b"'],
    ['request above limit', () => parseCommandArgs('patch-resources', ['deploy/x', '-c', 'a', '--limits=cpu=1', '--requests=cpu=1500m']), 'args.4', 'args[4] "cpu=1500m": the cpu request 1500m is above its limit 1'],
    ['scale kind', () => parseCommandArgs('scale', ['daemonset/x', '--replicas=1']), 'args.0', 'args[0] "daemonset": this action accepts only deployments, statefulsets, replicasets'],
    ['missing replicas', () => parseCommandArgs('scale', ['deployment/x']), 'args', 'args: --replicas=N is required (0 to 1000)'],
  ];
  for (const [name, fn, path, message] of cases) {
    it(name, () => {
      const err = error(fn);
      expect(err.message).toBe(message);
      expect(err.issues).toEqual([{ path, message }]);
    });
  }

  it('checks label selectors by grammar', () => {
    expect(labelSelectorProblem('app=web,tier!=db,!canary,release,env==prod,empty=')).toBeUndefined();
    expect(labelSelectorProblem('app=web,')).toMatch(/is not a label requirement/);
    expect(labelSelectorProblem('!app=web')).toMatch(/takes no value/);
    expect(labelSelectorProblem('-app=web')).toMatch(/label key/);
    expect(labelSelectorProblem(`app=${'v'.repeat(64)}`)).toMatch(/label value/);
    expect(labelSelectorProblem('Bad_Prefix/app=x')).toMatch(/prefix/);
  });

  it('leaves clean text alone and knows kubectl short names', () => {
    expect(characterProblem('deployment/checkout')).toBeUndefined();
    expect(characterProblem('a b')).toMatch(/whitespace/);
    expect(lookupKind('cj')).toBe('cronjobs');
    expect(lookupKind('ev')).toBe('events');
    expect(lookupKind('secrets')).toBeUndefined();
  });
});

describe('checkCommandPolicy', () => {
  it('allows kubectl diagnostics as diagnostic and writes as remediation only', () => {
    expect(checkCommandPolicy({ tool: 'kubectl', action: 'logs', type: 'diagnostic' })).toEqual({ ok: true, action: 'logs', writes: false });
    expect(checkCommandPolicy({ tool: 'kubectl', action: 'drain', type: 'remediation' })).toEqual({ ok: true, action: 'drain', writes: true });
    expect(checkCommandPolicy({ tool: 'kubectl', action: 'drain', type: 'diagnostic' })).toEqual({ ok: false, message: 'action drain changes the cluster, so type must be remediation, not diagnostic' });
    expect(checkCommandPolicy({ tool: 'kubectl', action: 'get', type: 'remediation' })).toEqual({ ok: false, message: 'action get is read-only, so type must be diagnostic, not remediation' });
    expect(checkCommandPolicy({ tool: 'bash', action: 'logs', type: 'diagnostic' })).toEqual({ ok: false, message: 'tool "bash" is not supported; the only tool is kubectl' });
  });
});
