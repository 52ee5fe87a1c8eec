/**
 * Kubeconfig files for simulated clusters: one cluster, context and user per cluster, no auth (the
 * simulator serves plain HTTP on loopback). Each cluster carries `insecure-skip-tls-verify: true`:
 * meaningless for http, but @kubernetes/client-node 1.4 refuses an http server without it
 * ("HTTP protocol is not allowed when skipTLSVerify is not set or false"); kubectl ignores it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigCluster {
  name: string;
  server: string;
}

/**
 * A kubeconfig for `clusters`; `current` (default: the first) is the current context.
 * @throws RangeError when there is no cluster or `current` names none of them.
 */
export function kubeconfigYaml(clusters: KubeconfigCluster[], current?: string): string {
  if (clusters.length === 0) throw new RangeError('a kubeconfig needs at least one cluster');
  const currentContext = current ?? (clusters[0] as KubeconfigCluster).name;
  if (!clusters.some((c) => c.name === currentContext)) throw new RangeError(`current context ${JSON.stringify(currentContext)} is not one of the clusters`);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: clusters.map((c) => ({ name: c.name, cluster: { server: c.server, 'insecure-skip-tls-verify': true } })),
    users: clusters.map((c) => ({ name: `${c.name}-user`, user: {} })),
    contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: `${c.name}-user`, namespace: 'default' } })),
    'current-context': currentContext,
  });
}

/**
 * Writes `kubeconfigYaml(...)` to `path` (mode 0600), creating its directory.
 * @throws RangeError as kubeconfigYaml; file system errors as thrown by node:fs.
 */
export async function writeKubeconfig(path: string, clusters: KubeconfigCluster[], current?: string): Promise<void> {
  const text = kubeconfigYaml(clusters, current);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { mode: 0o600 });
}
