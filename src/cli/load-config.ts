import { readFile } from 'node:fs/promises';
import { ConfigError } from '../contracts/index.js';
import { resolveConfig, type ResolvedConfig } from '../core/config/index.js';
import type { AgentEnv } from '../agent/index.js';

/**
 * Reads the config file (if any) and the process environment — the only place that reads either.
 * The file is `--config`, else `AETHERIUS_CONFIG`, else none (embedded defaults).
 * @throws ConfigError listing every problem.
 */
export async function loadConfig(file?: string): Promise<ResolvedConfig & { file?: string }> {
  const path = file ?? process.env['AETHERIUS_CONFIG'];
  let yamlText: string | undefined;
  if (path) {
    try {
      yamlText = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(`cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`, [{ path: '(file)', message: `cannot read ${path}` }], { cause: err });
    }
  }
  const resolved = resolveConfig({ yamlText, source: path, env: process.env });
  return path ? { ...resolved, file: path } : resolved;
}

/** The variables the agent reads besides `AETHERIUS_*`: CLUSTER_ID, HOSTNAME, and the environment of the Kubernetes connection (KUBECONFIG, HOME, in-cluster service variables, exec plugins' PATH). */
export function agentEnv(): AgentEnv {
  const e = process.env;
  const pick = (k: string) => (e[k] ? e[k] : undefined);
  return { clusterId: pick('CLUSTER_ID'), hostname: pick('HOSTNAME'), kube: { ...e } };
}
