/**
 * Agent liveness on the control plane (real PostgreSQL): an agent that misses three heartbeats of its
 * own interval becomes `offline` and one `AgentOffline` alert fires on `internal.metrics.alert`; its
 * next heartbeat brings it back and resolves the alert. An agent that keeps beating never alarms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_SUBJECTS, agentSubject, type MetricsAlert } from '../src/contracts/index.js';
import { silentLogger } from '../src/adapters/telemetry/index.js';
import { startApp, type App } from '../src/cli/app.js';
import { resolveConfig } from '../src/core/config/index.js';
import { eventually } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/services.js';

const CLUSTER = 'liveness';

describe('agent liveness', () => {
  let db: TestDatabase;
  let app: App;
  const alerts: MetricsAlert[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('aet_live');
    const { config } = resolveConfig({
      env: { AETHERIUS_DATABASE_URL: db.url, AETHERIUS_SERVER_PORT: '0', AETHERIUS_LOG_LEVEL: 'silent', AETHERIUS_MANAGER_LIVENESS_SWEEP_INTERVAL: '100ms' },
    });
    app = await startApp({ config, services: ['manager', 'api'], logger: silentLogger() });
    app.bus?.subscribe(INTERNAL_SUBJECTS.metricsAlert, (m) => void alerts.push(m.json() as MetricsAlert));
  });

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  const register = (agentId: string) =>
    app.bus?.request(
      agentSubject(CLUSTER, 'register'),
      { schema_version: 1, agent_id: agentId, cluster_id: CLUSTER, timestamp: new Date().toISOString(), version: 'test', config: { heartbeat_interval: '300ms' } },
      { timeoutMs: 5000 },
    );
  const heartbeat = (agentId: string) =>
    app.bus?.publish(agentSubject(CLUSTER, 'heartbeat'), { schema_version: 1, agent_id: agentId, cluster_id: CLUSTER, timestamp: new Date().toISOString(), status: 'healthy' });
  const status = async (agentId: string) => ((await (await fetch(`${app.url}/api/v1/agents/${agentId}`)).json()) as { status: string }).status;

  it('marks a silent agent offline after 3 missed heartbeats, fires once, and resolves when it beats again', { timeout: 20_000 }, async () => {
    await register('quiet.agent');
    await register('steady.agent');
    const beating = setInterval(() => void heartbeat('steady.agent'), 150);
    try {
      await eventually(async () => ((await status('quiet.agent')) === 'offline' ? true : undefined), 5000, 'quiet agent offline');
      // Well past three intervals of the quiet one: still exactly one alert, and none for the steady one.
      await new Promise((r) => setTimeout(r, 1500));
      expect(alerts.filter((a) => a.status === 'firing').map((a) => a.resource?.name)).toEqual(['quiet.agent']);
      expect(alerts[0]).toMatchObject({ alert: 'AgentOffline', severity: 'high', cluster_id: CLUSTER });
      expect(await status('steady.agent')).toBe('online');

      await heartbeat('quiet.agent');
      await eventually(async () => ((await status('quiet.agent')) === 'online' ? true : undefined), 5000, 'quiet agent back');
      await eventually(() => Promise.resolve(alerts.some((a) => a.status === 'resolved' && a.resource?.name === 'quiet.agent') || undefined), 5000, 'resolved alert');
    } finally {
      clearInterval(beating);
    }
  });
});
