/**
 * Which cluster this agent watches. The id travels in every NATS subject (`aetherius.agent.{id}.*`),
 * so it must be stable across restarts and a safe subject token. Sources, first usable wins:
 * `agent.cluster_id` → `CLUSTER_ID` env → ConfigMap aetherius-system/aetherius-config key `cluster_id`
 * → `cluster-` + the kube-system namespace uid's first 8 characters → a cloud provider's node label.
 */
import { CLUSTER_ID_PATTERN } from '../contracts/common.js';
import { ConfigError, KubeApiError, errorMessage, type ValidationIssue } from '../contracts/errors.js';
import { KUBE_RESOURCES, type KubeApi } from '../core/kube/kube-api.js';

export type ClusterIdSource = 'config' | 'env' | 'configmap' | 'kube-system-uid' | 'node-label';

export interface DetectedClusterId {
  clusterId: string;
  source: ClusterIdSource;
  /** Where exactly it came from (and what was skipped before), for the start-up log. */
  detail: string;
}

export interface DetectClusterIdOptions {
  /** The `CLUSTER_ID` environment variable. */
  env?: string;
  /** Config `agent.cluster_id`. */
  configured?: string;
  signal?: AbortSignal;
}

export const CLUSTER_ID_CONFIGMAP = Object.freeze({ namespace: 'aetherius-system', name: 'aetherius-config', key: 'cluster_id' });
/** Node labels naming the cluster on EKS (eksctl), GKE and AKS. */
export const CLUSTER_NAME_NODE_LABELS = Object.freeze(['alpha.eksctl.io/cluster-name', 'cloud.google.com/gke-cluster-name', 'kubernetes.azure.com/cluster']);

const PATTERN_TEXT = 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit';

/** 404 (absent) and 403 (RBAC does not grant it) mean "this source is not available": try the next. */
function skippable(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError && (err.status === 404 || err.status === 403);
}

/**
 * Detects the cluster id.
 * @throws ConfigError listing every source tried and why it did not give an id.
 * @throws KubeApiError / TimeoutError when the API fails otherwise (unreachable, 5xx): falling through to
 *   a later source then could yield a different id than last time, so the caller should retry instead.
 */
export async function detectClusterId(api: KubeApi, options: DetectClusterIdOptions = {}): Promise<DetectedClusterId> {
  const tried: ValidationIssue[] = [];
  const done = (clusterId: string, source: ClusterIdSource, detail: string): DetectedClusterId => ({
    clusterId,
    source,
    detail: tried.length ? `${detail} (skipped: ${tried.map((t) => `${t.path}: ${t.message}`).join('; ')})` : detail,
  });
  /** Records why a candidate was refused; true when it is usable. */
  const usable = (where: string, value: string): boolean => {
    if (CLUSTER_ID_PATTERN.test(value)) return true;
    tried.push({ path: where, message: `${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} ${PATTERN_TEXT}` });
    return false;
  };

  const configured = options.configured?.trim();
  if (configured) {
    if (usable('agent.cluster_id', configured)) return done(configured, 'config', 'agent.cluster_id');
  } else tried.push({ path: 'agent.cluster_id', message: 'not set' });

  const env = options.env?.trim();
  if (env) {
    if (usable('CLUSTER_ID', env)) return done(env, 'env', 'CLUSTER_ID environment variable');
  } else tried.push({ path: 'CLUSTER_ID', message: 'not set' });

  const cm = CLUSTER_ID_CONFIGMAP;
  const cmWhere = `ConfigMap ${cm.namespace}/${cm.name} key ${cm.key}`;
  try {
    const obj = await api.get(KUBE_RESOURCES.configmaps, cm.name, cm.namespace, options.signal);
    const data = obj['data'];
    const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[cm.key] : undefined;
    if (typeof value === 'string' && value.trim()) {
      if (usable(cmWhere, value.trim())) return done(value.trim(), 'configmap', cmWhere);
    } else tried.push({ path: cmWhere, message: 'the ConfigMap has no such key' });
  } catch (err) {
    if (!skippable(err)) throw err;
    tried.push({ path: cmWhere, message: err.status === 404 ? 'not found' : `forbidden: ${errorMessage(err)}` });
  }

  const nsWhere = 'namespace kube-system uid';
  try {
    const ns = await api.get(KUBE_RESOURCES.namespaces, 'kube-system', undefined, options.signal);
    const uid = ns.metadata.uid;
    if (typeof uid === 'string' && uid.length >= 8) {
      const id = `cluster-${uid.slice(0, 8)}`;
      if (usable(nsWhere, id)) return done(id, 'kube-system-uid', `${nsWhere} ${uid}`);
    } else tried.push({ path: nsWhere, message: 'the namespace has no uid' });
  } catch (err) {
    if (!skippable(err)) throw err;
    tried.push({ path: nsWhere, message: err.status === 404 ? 'namespace kube-system not found' : `forbidden: ${errorMessage(err)}` });
  }

  for (const label of CLUSTER_NAME_NODE_LABELS) {
    const where = `node label ${label}`;
    try {
      // An existence selector and one page: every node of the cluster carries the same value.
      const nodes = await api.list(KUBE_RESOURCES.nodes, { labelSelector: label, limit: 1, continue: '', ...(options.signal ? { signal: options.signal } : {}) });
      const node = nodes.items[0];
      const value = node?.metadata.labels?.[label]?.trim();
      if (node && value) {
        if (usable(where, value)) return done(value, 'node-label', `${where} on node ${node.metadata.name}`);
      } else tried.push({ path: where, message: 'no node has it' });
    } catch (err) {
      if (!skippable(err)) throw err;
      tried.push({ path: where, message: err.status === 404 ? 'not found' : `forbidden: ${errorMessage(err)}` });
    }
  }

  throw new ConfigError(`cannot determine the cluster id; set agent.cluster_id. Tried: ${tried.map((t) => `${t.path}: ${t.message}`).join('; ')}`, tried);
}
