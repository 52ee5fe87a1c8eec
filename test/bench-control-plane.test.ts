/**
 * The control-plane benchmarks run end to end on a small load and print the figures they promise
 * (docs/benchmarks.md). Their numbers are not asserted: benchmarks measure, tests check behaviour.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { TEST_DATABASE_URL, TEST_NATS_URL } from './support/services.js';

const services = ['--nats-url', TEST_NATS_URL, '--database-url', TEST_DATABASE_URL];

describe('control-plane benchmarks', () => {
  it('bench ingest prints events/s, latency, the COPY baseline and loss as JSON, and loses nothing', async () => {
    const r = await runCli(['bench', 'ingest', '--json', '--agents', '3', '--rate', '300', '--duration', '1', '--repeat', '0.5', ...services], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['events_per_s', 'p50_ms', 'p99_ms', 'copy_rows_per_s', 'ratio_to_copy']) expect(typeof out[key], key).toBe('number');
    expect(out).toMatchObject({ lost: 0, events: 300, agents: 3, repeat: 0.5 });
    // Repeats were folded into fewer rows than events.
    expect(out['stored_rows']).toBeLessThan(300);
  }, 100_000);

  it('bench agents prints the manager CPU and memory and no false offline alarm', async () => {
    const r = await runCli(['bench', 'agents', '--json', '--agents', '20', '--interval', '1s', '--periods', '2', '--connections', '2', ...services], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['agents', 'manager_cpu_pct', 'manager_rss_mb', 'offline_false_alarms']));
    expect(out).toMatchObject({ agents: 20, offline_false_alarms: 0, agents_offline_at_end: 0 });
  }, 100_000);

  it('refuses nonsense options with a usage error naming them', async () => {
    const bad = await runCli(['bench', 'ingest', '--repeat', '2'], { timeoutMs: 30_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--repeat/);
    const worse = await runCli(['bench', 'agents', '--agents', '0'], { timeoutMs: 30_000 });
    expect(worse.code).toBe(2);
    expect(worse.stderr).toMatch(/--agents/);
  }, 60_000);
});
