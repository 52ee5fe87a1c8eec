import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/index.js';
import { CONFIG_KEYS, resolveConfig, redactConfig } from './index.js';

function problems(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('gives the architecture defaults with no file and no environment', () => {
    const { config } = resolveConfig();
    expect(config.agent.heartbeat_interval).toBe(30_000);
    expect(config.agent.metrics_interval).toBe(60_000);
    expect(config.agent.buffer_size).toBe(1000);
    expect(config.agent.enable_metrics).toBe(true);
    expect(config.agent.enable_events).toBe(true);
    expect(config.log_level).toBe('info');
    expect(config.bus.url).toBe('');
    expect(config.database.url).toBe('');
  });

  it('reads the architecture agent keys from YAML and parses durations', () => {
    const { config } = resolveConfig({
      yamlText: `
agent:
  cluster_id: prod-us-west
  central_endpoint: nats://agent-manager.aetherius.svc:4222
  heartbeat_interval: 1m30s
  metrics_interval: 500ms
  buffer_size: 50
  enable_metrics: false
log_level: debug
`,
    });
    expect(config.agent.cluster_id).toBe('prod-us-west');
    expect(config.agent.heartbeat_interval).toBe(90_000);
    expect(config.agent.metrics_interval).toBe(500);
    expect(config.agent.enable_metrics).toBe(false);
    expect(config.log_level).toBe('debug');
  });

  it('lets AETHERIUS_* environment variables override the file, with types coerced', () => {
    const { config, origins } = resolveConfig({
      yamlText: 'database:\n  url: postgres://a@h/db\n',
      env: { AETHERIUS_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', AETHERIUS_AGENT_BUFFER_SIZE: '42', AETHERIUS_AGENT_ENABLE_EVENTS: 'false', AETHERIUS_BUS_URL: 'nats://127.0.0.1:4222', PATH: '/bin' },
    });
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/x');
    expect(config.agent.buffer_size).toBe(42);
    expect(config.agent.enable_events).toBe(false);
    expect(config.bus.url).toBe('nats://127.0.0.1:4222');
    expect(origins['database.url']).toBe('AETHERIUS_DATABASE_URL');
  });

  it('reads list keys from comma-separated environment variables and validates each item', () => {
    const { config } = resolveConfig({ env: { AETHERIUS_AGENT_WATCHER_NAMESPACES: 'shop, payments', AETHERIUS_AGENT_WATCHER_REASON_FILTERS: '' } });
    expect(config.agent.watcher.namespaces).toEqual(['shop', 'payments']);
    expect(config.agent.watcher.reason_filters).toEqual([]);
    const issues = problems(() => resolveConfig({ env: { AETHERIUS_AGENT_WATCHER_NAMESPACES: 'shop,Bad_NS' } }));
    expect(issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(/agent\.watcher\.namespaces\.1.*DNS-1123/);
  });

  it('lists every problem at once, naming the key path, the bad value and where it came from', () => {
    const issues = problems(() =>
      resolveConfig({
        source: 'bad.yaml',
        yamlText: 'log_level: loud\nagent:\n  heartbeat_interval: 30\n  buffer_size: -1\ndatabse:\n  url: x\nbus:\n  url: http://nats\n',
        env: { AETHERIUS_SERVER_PORT: 'eighty' },
      }),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual(['agent.buffer_size', 'agent.heartbeat_interval', 'bus.url', 'databse', 'log_level', 'server.port'].sort());
    expect(byPath['log_level']).toContain('"loud"');
    expect(byPath['log_level']).toContain('bad.yaml:1');
    expect(byPath['agent.heartbeat_interval']).toContain('duration');
    expect(byPath['agent.heartbeat_interval']).toContain('got 30');
    expect(byPath['agent.heartbeat_interval']).toContain('bad.yaml:3');
    expect(byPath['databse']).toContain("did you mean 'database'");
    expect(byPath['bus.url']).toContain('"http://nats"');
    expect(byPath['server.port']).toContain('AETHERIUS_SERVER_PORT');
  });

  it('reports YAML syntax errors with a line number', () => {
    const issues = problems(() => resolveConfig({ source: 'x.yaml', yamlText: 'agent:\n  cluster_id: [unclosed\n' }));
    expect(issues[0]?.message).toMatch(/x\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('rejects a file that is not a mapping', () => {
    expect(problems(() => resolveConfig({ yamlText: '- a\n- b\n' }))[0]?.message).toContain('mapping');
  });

  it('warns about unknown AETHERIUS_* variables but ignores the test ones', () => {
    const { warnings } = resolveConfig({ env: { AETHERIUS_DATABSE_URL: 'x', AETHERIUS_TEST_NATS_URL: 'y', AETHERIUS_CONFIG: 'z' } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AETHERIUS_DATABSE_URL');
    expect(warnings[0]).toContain('AETHERIUS_DATABASE_URL');
  });

  it('freezes the result', () => {
    const { config } = resolveConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.agent)).toBe(true);
    expect(() => {
      (config.agent as { buffer_size: number }).buffer_size = 5;
    }).toThrow();
  });

  it('never prints secrets in messages or redacted output', () => {
    const issues = problems(() => resolveConfig({ yamlText: 'bus:\n  password: 12\n' }));
    expect(issues[0]?.message).not.toContain('12');
    const { config } = resolveConfig({ yamlText: 'bus:\n  token: s3cret\ndatabase:\n  url: postgres://u:pw@h/db\n' });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain(':pw@');
  });

  it('derives a unique environment variable for every key', () => {
    const envs = CONFIG_KEYS.map((k) => k.env);
    expect(new Set(envs).size).toBe(envs.length);
    expect(envs).toContain('AETHERIUS_DATABASE_URL');
    expect(envs).toContain('AETHERIUS_BUS_URL');
    expect(envs).toContain('AETHERIUS_AGENT_CLUSTER_ID');
  });
});
