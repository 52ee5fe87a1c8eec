import { describe, expect, it } from 'vitest';
import type { KubeObject } from './kube-types.js';
import { describeObject, rfc1123z } from './describe.js';

const NOW = Date.parse('2024-05-01T10:10:00Z');

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'checkout-7f9c5d6b8-abcde',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '1',
    creationTimestamp: '2024-05-01T10:00:00Z',
    labels: { app: 'checkout', 'pod-template-hash': '7f9c5d6b8' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7f9c5d6b8', uid: 'rs', controller: true }],
  },
  spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'checkout:1.4.2', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } } }] },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.11',
    podIP: '10.244.1.5',
    startTime: '2024-05-01T10:00:00Z',
    conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount: 5,
        image: 'checkout:1.4.2',
        imageID: 'sha256:abc',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2024-05-01T10:05:00Z', finishedAt: '2024-05-01T10:06:00Z' } },
      },
    ],
  },
};

const event = (reason: string, type: string, last: string, count: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: reason, namespace: 'shop', uid: reason, resourceVersion: '1', creationTimestamp: '2024-05-01T10:00:00Z' },
  type,
  reason,
  message: `${reason} message`,
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: '2024-05-01T10:01:00Z',
  lastTimestamp: last,
  count,
});

describe('describeObject', () => {
  it('describes a crash-looping pod like kubectl: state, last state, exit code, restarts, resources, events', () => {
    const text = describeObject(pod, { events: [event('BackOff', 'Warning', '2024-05-01T10:09:00Z', 12), event('Pulled', 'Normal', '2024-05-01T10:01:00Z', 1)], now: NOW });
    const lines = text.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'Name:             checkout-7f9c5d6b8-abcde',
      'Namespace:        shop',
      'Priority:         0',
      'Service Account:  default',
      'Node:             node-1/10.0.0.11',
      'Start Time:       Wed, 01 May 2024 10:00:00 +0000',
      'Labels:           app=checkout',
    ]);
    expect(lines[7]).toBe('                  pod-template-hash=7f9c5d6b8');
    expect(text).toMatch(/\nControlled By: +ReplicaSet\/checkout-7f9c5d6b8\n/);
    expect(text).toContain('    State:          Waiting\n      Reason:       CrashLoopBackOff\n');
    expect(text).toContain('    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n');
    expect(text).toContain('    Restart Count:  5\n    Limits:\n      cpu:     500m\n      memory:  128Mi\n    Requests:\n      cpu:        100m\n      memory:     64Mi\n');
    expect(text).toMatch(/\nQoS Class: +Burstable\n/);
    expect(text.slice(text.indexOf("\nEvents:") + 1)).toBe(
      (
      [
        'Events:',
        '  Type     Reason   Age                From             Message',
        '  ----     ------   ----               ----             -------',
        '  Normal   Pulled   9m                 kubelet, node-1  Pulled message',
        '  Warning  BackOff  60s (x12 over 9m)  kubelet, node-1  BackOff message',
        '',
      ].join('\n')),
    );
  });

  it('says Events: <none> and falls back to a generic dump for other kinds', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop', uid: 'c', resourceVersion: '1', creationTimestamp: '2024-05-01T10:00:00Z' }, data: { 'app.yaml': 'x: 1' } };
    const text = describeObject(cm, { events: [], now: NOW });
    expect(text).toContain('Kind:               ConfigMap');
    expect(text).toContain('Data:\n  app.yaml:  x: 1\n');
    expect(text).toMatch(/\nEvents: +<none>\n$/);
  });

  it('describes nodes with taints, conditions and capacity, and deployments with their replica sets', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', uid: 'n', resourceVersion: '1', creationTimestamp: '2024-05-01T10:00:00Z', labels: { 'node-role.kubernetes.io/worker': '' } },
      spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] },
      status: { capacity: { cpu: '4', memory: '16Gi' }, allocatable: { cpu: '4', memory: '16Gi' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T10:00:00Z' }] },
    };
    const text = describeObject(node, { events: [], now: NOW });
    expect(text).toContain('Roles:              worker');
    expect(text).toContain('Taints:             node.kubernetes.io/unschedulable:NoSchedule');
    expect(text).toContain('Unschedulable:      true');
    expect(text).toContain('Capacity:\n  cpu:     4\n  memory:  16Gi\n');
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', uid: 'd', resourceVersion: '1', creationTimestamp: '2024-05-01T10:00:00Z' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:2' }] } } },
      status: { replicas: 3, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 },
    };
    const rs = (name: string, image: string, replicas: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: 'shop', uid: name, resourceVersion: '1', creationTimestamp: '2024-05-01T10:00:00Z', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true }] },
      spec: { replicas, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'app', image }] } } },
      status: { replicas },
    });
    const dt = describeObject(d, { events: [], replicaSets: [rs('web-old', 'web:1', 1), rs('web-new', 'web:2', 2)], now: NOW });
    expect(dt).toContain('Replicas:               2 desired | 2 updated | 3 total | 2 available | 1 unavailable');
    expect(dt).toContain('StrategyType:           RollingUpdate');
    expect(dt).toMatch(/\nOldReplicaSets: +web-old \(1\/1 replicas created\)\n/);
    expect(dt).toMatch(/\nNewReplicaSet: +web-new \(2\/2 replicas created\)\n/);
  });

  it('formats times as RFC 1123 with a numeric zone', () => {
    expect(rfc1123z('2024-05-01T10:00:00Z')).toBe('Wed, 01 May 2024 10:00:00 +0000');
    expect(rfc1123z(undefined)).toBe('<unknown>');
  });
});
