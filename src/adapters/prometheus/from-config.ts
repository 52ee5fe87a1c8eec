import type { Config } from '../../core/config/index.js';
import { PrometheusClient } from './prometheus-client.js';

/** The Prometheus client the configuration asks for; undefined when `prometheus.url` is empty. */
export function prometheusFromConfig(config: Config['prometheus'], userAgent?: string): PrometheusClient | undefined {
  if (!config.url) return undefined;
  return new PrometheusClient({
    url: config.url,
    timeoutMs: config.timeout,
    ...(config.bearer_token ? { bearerToken: config.bearer_token } : {}),
    ...(config.remote_write_url ? { remoteWriteUrl: config.remote_write_url } : {}),
    ...(userAgent ? { userAgent } : {}),
  });
}
