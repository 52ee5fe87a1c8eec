import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/index.js';
import { resolveConfig } from './resolve.js';

function issues(yamlText: string, env: Record<string, string> = {}): string[] {
  try {
    resolveConfig({ yamlText, env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => i.path);
  }
  throw new Error('expected the configuration to be refused');
}

describe('metrics and prometheus configuration', () => {
  it('has working defaults: 7 days of samples, anomaly detection on, the SRE workbook burn-rate table, no Prometheus', () => {
    const { config } = resolveConfig({});
    expect(config.metrics.retention).toBe(168 * 3_600_000);
    expect(config.metrics.anomaly).toMatchObject({ enabled: true, alpha: 0.1, warmup_samples: 20, z_threshold: 4, z_resolve: 2, cooldown: 1_800_000 });
    expect(config.metrics.slo.burn_rate_alerts).toEqual([
      { long_window: 3_600_000, short_window: 300_000, burn_rate: 14.4, severity: 'critical' },
      { long_window: 21_600_000, short_window: 1_800_000, burn_rate: 6, severity: 'high' },
      { long_window: 259_200_000, short_window: 21_600_000, burn_rate: 1, severity: 'medium' },
    ]);
    expect(config.prometheus.url).toBe('');
  });

  it('reads SLO definitions with their defaults', () => {
    const { config } = resolveConfig({
      yamlText: `
metrics:
  slo:
    objectives:
      - { name: checkout, workload: { kind: Deployment, name: checkout, namespace: shop }, objective: 0.999 }
`,
    });
    expect(config.metrics.slo.objectives).toEqual([{ name: 'checkout', cluster_id: '', workload: { kind: 'Deployment', name: 'checkout', namespace: 'shop' }, objective: 0.999, window: 720 * 3_600_000, sli: { type: 'pods_ready' } }]);
  });

  it('names every bad SLO field', () => {
    expect(
      issues(`
metrics:
  slo:
    objectives:
      - { name: a, workload: { kind: Deployment, name: x, namespace: shop }, objective: 1 }
      - { name: a, workload: { kind: Gadget, name: x, namespace: shop }, objective: 0.9 }
      - name: lat
        workload: { kind: Deployment, name: api, namespace: web }
        objective: 0.99
        sli: { type: latency, good_query: 'sum(rate(x[5m]))', total_query: 'sum(rate(y[$window]))' }
`),
    ).toEqual(expect.arrayContaining(['metrics.slo.objectives.0.objective', 'metrics.slo.objectives.1.workload.kind', 'metrics.slo.objectives.2.sli.good_query']));
    expect(issues(`metrics: { slo: { objectives: [ { name: a, workload: { kind: Pod, name: x, namespace: y }, objective: 0.9 }, { name: a, workload: { kind: Pod, name: z, namespace: y }, objective: 0.9 } ] } }`)).toEqual(['metrics.slo.objectives.1.name']);
    expect(issues(`metrics: { slo: { burn_rate_alerts: [ { long_window: 5m, short_window: 1h, burn_rate: 2, severity: high } ] } }`)).toEqual(['metrics.slo.burn_rate_alerts.0.short_window']);
  });

  it('refuses anomaly thresholds that contradict each other, and a Prometheus URL that is not http', () => {
    expect(issues('', { AETHERIUS_METRICS_ANOMALY_Z_RESOLVE: '5' })).toEqual(['metrics.anomaly.z_resolve']);
    expect(issues('', { AETHERIUS_METRICS_ANOMALY_METRICS: 'pod_phase' })).toEqual(['metrics.anomaly.metrics.0']);
    expect(issues('', { AETHERIUS_PROMETHEUS_URL: 'prometheus:9090' })).toEqual(['prometheus.url']);
  });
});
