import { describe, expect, it } from 'vitest';
import { ConfigError, KubeApiError } from '../contracts/errors.js';
import type { KubeApi, KubeList, KubeResource, ListOptions } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { detectClusterId } from './cluster-id.js';

interface World {
  configmap?: KubeObject | KubeApiError;
  kubeSystem?: KubeObject | KubeApiError;
  nodes?: KubeObject[] | KubeApiError;
}

function fakeApi(world: World, calls: string[] = []): KubeApi {
  const notFound = (what: string) => new KubeApiError(`${what} not found`, 404, 'NotFound');
  const answer = <T>(v: T | KubeApiError | undefined, what: string): Promise<T> => (v instanceof KubeApiError ? Promise.reject(v) : v === undefined ? Promise.reject(notFound(what)) : Promise.resolve(v));
  return {
    get: (r: KubeResource, name: string, ns?: string) => {
      calls.push(`get ${r.plural} ${ns ?? ''}/${name}`);
      return r.plural === 'configmaps' ? answer(world.configmap, name) : answer(world.kubeSystem, name);
    },
    list: (r: KubeResource, o: ListOptions = {}) => {
      calls.push(`list ${r.plural} ${o.labelSelector ?? ''} limit=${o.limit ?? ''} continue=${JSON.stringify(o.continue)}`);
      if (world.nodes instanceof KubeApiError) return Promise.reject(world.nodes);
      const key = o.labelSelector ?? '';
      return Promise.resolve({ resourceVersion: '1', items: (world.nodes ?? []).filter((n) => n.metadata.labels?.[key] !== undefined) } as KubeList);
    },
  } as unknown as KubeApi;
}

const meta = (name: string, extra: Partial<KubeObject['metadata']> = {}) => ({ name, uid: '', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', ...extra });
const cm = (value: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('aetherius-config', { namespace: 'aetherius-system' }), data: { cluster_id: value } });
const ns = (uid: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta('kube-system', { uid }) });
const node = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: meta(name, { labels }) });

describe('detectClusterId', () => {
  it('takes the first usable source in order: config, env, ConfigMap, kube-system uid, node label', async () => {
    const full: World = { configmap: cm('prod-eu'), kubeSystem: ns('3f1c2a9b-0000-4000-8000-000000000000'), nodes: [node('n1', { 'cloud.google.com/gke-cluster-name': 'gke-prod' })] };
    const calls: string[] = [];
    expect(await detectClusterId(fakeApi(full, calls), { configured: 'from-config', env: 'from-env' })).toEqual({ clusterId: 'from-config', source: 'config', detail: 'agent.cluster_id' });
    expect(calls).toEqual([]);
    expect(await detectClusterId(fakeApi(full), { env: ' from-env ' })).toMatchObject({ clusterId: 'from-env', source: 'env' });
    expect(await detectClusterId(fakeApi(full), {})).toMatchObject({ clusterId: 'prod-eu', source: 'configmap', detail: expect.stringContaining('ConfigMap aetherius-system/aetherius-config key cluster_id') as string });
    expect(await detectClusterId(fakeApi({ ...full, configmap: undefined }), {})).toMatchObject({ clusterId: 'cluster-3f1c2a9b', source: 'kube-system-uid' });
    const nodeCalls: string[] = [];
    expect(await detectClusterId(fakeApi({ ...full, configmap: undefined, kubeSystem: new KubeApiError('forbidden', 403, 'Forbidden') }, nodeCalls), {})).toMatchObject({
      clusterId: 'gke-prod',
      source: 'node-label',
      detail: expect.stringMatching(/node label cloud\.google\.com\/gke-cluster-name on node n1 \(skipped: .*namespace kube-system uid: forbidden/) as string,
    });
    expect(nodeCalls).toContain('list nodes alpha.eksctl.io/cluster-name limit=1 continue=""');
  });

  it('skips a candidate that is not a safe subject token, saying why', async () => {
    const got = await detectClusterId(fakeApi({ configmap: cm('prod.eu west'), kubeSystem: ns('abcdef12-3456') }), { env: 'a.b' });
    expect(got.clusterId).toBe('cluster-abcdef12');
    expect(got.detail).toContain('CLUSTER_ID: "a.b" must be 1-63 letters');
    expect(got.detail).toContain('ConfigMap aetherius-system/aetherius-config key cluster_id: "prod.eu west" must be');
  });

  it('fails with a ConfigError listing everything tried', async () => {
    const err = await detectClusterId(fakeApi({ configmap: cm(''), nodes: [node('n1', { 'kubernetes.azure.com/cluster': 'MC_rg.with.dots_and_a_name_far_longer_than_sixty_three_characters_x' })] }), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => i.path);
    expect(issues).toEqual(['agent.cluster_id', 'CLUSTER_ID', 'ConfigMap aetherius-system/aetherius-config key cluster_id', 'namespace kube-system uid', 'node label alpha.eksctl.io/cluster-name', 'node label cloud.google.com/gke-cluster-name', 'node label kubernetes.azure.com/cluster']);
    expect((err as Error).message).toMatch(/^cannot determine the cluster id; set agent\.cluster_id\. Tried: /);
  });

  it('does not fall through on an API outage (a later source could give a different id): it throws for a retry', async () => {
    const outage = new KubeApiError('connect ECONNREFUSED', 0);
    await expect(detectClusterId(fakeApi({ configmap: outage, kubeSystem: ns('abcdef12') }), {})).rejects.toBe(outage);
  });
});
