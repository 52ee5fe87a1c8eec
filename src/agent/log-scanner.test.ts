import { describe, expect, it } from 'vitest';
import { createLogger } from '../adapters/telemetry/index.js';
import type { StateSignal } from '../core/classify/index.js';
import { resolveConfig } from '../core/config/index.js';
import type { KubeApi, LogOptions } from '../core/kube/kube-api.js';
import type { KubeObject } from '../core/kube/kube-types.js';
import { LogScanner, MAX_OCCURRENCES, quote, shortDuration, type LogScanConfig } from './log-scanner.js';

const T0 = Date.parse('2025-09-30T10:00:00Z');

/** A kubelet in miniature: per-container lines with times, `sinceSeconds` against its own clock, tail, byte cap. */
class FakeLogs {
  now = T0;
  readonly lines = new Map<string, { time: number; text: string }[]>();
  readonly calls: { pod: string; container: string; options: LogOptions }[] = [];
  failing = new Set<string>();

  write(pod: string, container: string, text: string, time = this.now): void {
    const k = `${pod}/${container}`;
    const list = this.lines.get(k) ?? [];
    for (const t of text.split('\n')) list.push({ time, text: t });
    this.lines.set(k, list);
  }

  api(): KubeApi {
    return {
      logs: (namespace: string, pod: string, options: LogOptions = {}) => {
        this.calls.push({ pod, container: options.container ?? '', options });
        if (this.failing.has(pod)) return Promise.reject(new Error('container "app" in pod is waiting to start'));
        let out = this.lines.get(`${pod}/${options.container ?? ''}`) ?? [];
        if (options.sinceSeconds !== undefined) out = out.filter((l) => l.time >= this.now - (options.sinceSeconds ?? 0) * 1000);
        if (options.tailLines !== undefined) out = out.slice(-options.tailLines);
        let body = out.map((l) => `${options.timestamps ? `${new Date(l.time).toISOString()} ` : ''}${l.text}\n`).join('');
        if (options.limitBytes !== undefined) body = Buffer.from(body).subarray(0, options.limitBytes).toString('utf8');
        return Promise.resolve(body);
      },
    } as unknown as KubeApi;
  }
}

function pod(name: string, containers: string[] = ['app'], phase = 'Running'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2025-09-30T09:00:00Z', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'orders-abc', uid: 'rs-1', controller: true }] },
    spec: { nodeName: 'node-1', containers: containers.map((c) => ({ name: c })) },
    status: { phase, containerStatuses: containers.map((c) => ({ name: c, state: { running: { startedAt: '2025-09-30T09:00:00Z' } } })) },
  };
}

function config(overrides: Partial<LogScanConfig> = {}): LogScanConfig {
  return { ...resolveConfig({ yamlText: '', env: {} }).config.agent.log_scan, ...overrides };
}

function scanner(logs: FakeLogs, pods: KubeObject[], overrides: Partial<LogScanConfig> = {}) {
  const signals: { signal: StateSignal; pod: KubeObject; raw: Record<string, unknown> }[] = [];
  const s = new LogScanner({ api: logs.api(), pods: () => pods, config: config(overrides), emit: (signal, p, raw) => signals.push({ signal, pod: p, raw }), logger: createLogger({ level: 'silent' }) });
  return { s, signals };
}

const HIKARI = (t: string) => `${t} ERROR 1 --- [nio-8080-exec-9] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() threw exception
org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection
Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=58)
	at com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)`;

describe('LogScanner', () => {
  it('defaults: enabled, 150 pods every 30s, 5 errors in 5m, 64 KiB / 500 lines per read', () => {
    const c = config();
    expect(c).toEqual({ enabled: true, interval: 30_000, pods_per_cycle: 150, window: 300_000, min_errors: 5, max_bytes_per_read: 65_536, max_lines_per_read: 500 });
    expect(shortDuration(300_000)).toBe('5m');
    expect(shortDuration(90_000)).toBe('90s');
  });

  it('one stack trace per 10 s: fires once the window holds 5 of them, on the pod, with class, count and a quoted line', async () => {
    const logs = new FakeLogs();
    const { s, signals } = scanner(logs, [pod('orders-1')]);
    for (let i = 0; i < 4; i++) {
      logs.write('orders-1', 'app', HIKARI('2025-09-30 10:03:31.880'));
      logs.write('orders-1', 'app', '2025-09-30 10:03:32.000  INFO 1 --- [main] c.s.o.Api : GET /orders 200');
      logs.now += 10_000;
    }
    const first = await s.scan();
    expect(first).toMatchObject({ population: 1, pods: 1, reads: 1, failed: 0, error_records: 4, signals: 0 });
    expect(signals).toHaveLength(0);
    logs.write('orders-1', 'app', HIKARI('2025-09-30 10:04:11.880'));
    const second = await s.scan();
    // Only the new record was read as new: the cursor skipped the 4 already counted.
    expect(second.error_records).toBe(1);
    expect(signals).toHaveLength(1);
    const { signal, raw, pod: p } = signals[0] as (typeof signals)[number];
    expect(signal).toMatchObject({ reason: 'ConnectionPoolExhausted', container: 'app', object: { kind: 'Pod', name: 'orders-1', namespace: 'shop', uid: 'uid-orders-1' } });
    expect(signal.message).toContain('container app logged 5 connection-pool errors in the last 5m');
    expect(signal.message).toContain('Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available');
    expect(raw).toMatchObject({ count: 5, class: 'connection_pool', window: '5m', threshold: 5, occurrences: 5, error_records: 5, pattern: 'hikari', signal: 'error_logs' });
    expect(raw['first_timestamp']).toBe(new Date(T0).toISOString());
    expect(p.metadata.name).toBe('orders-1');
    // Every read asked for timestamps, at most the window, the newest lines, capped bytes.
    expect(logs.calls[0]?.options).toMatchObject({ container: 'app', timestamps: true, sinceSeconds: 300, tailLines: 500, limitBytes: 65_536 });
  });

  it('a burst in one second counts once; a single stray error never fires', async () => {
    const logs = new FakeLogs();
    const { s, signals } = scanner(logs, [pod('api-1')]);
    for (let i = 0; i < 50; i++) logs.write('api-1', 'app', '{"level":"error","msg":"upstream said no"}');
    await s.scan();
    expect(signals).toHaveLength(0);
    logs.now += 60_000;
    logs.write('api-1', 'app', 'panic: runtime error: index out of range [3] with length 3');
    await s.scan();
    expect(signals).toHaveLength(0);
  });

  it('re-emits at most once per window while errors continue, and says nothing once they stop', async () => {
    const logs = new FakeLogs();
    const { s, signals } = scanner(logs, [pod('settle-1')]);
    const tick = async (errors: boolean) => {
      for (let i = 0; i < 4; i++) {
        if (errors) logs.write('settle-1', 'app', 'time=2025-09-30T10:15:30Z level=ERROR msg="settlement batch failed" err="x509: certificate has expired or is not yet valid"');
        else logs.write('settle-1', 'app', 'time=2025-09-30T10:15:30Z level=INFO msg="batch ok"');
        logs.now += 15_000;
      }
      await s.scan();
    };
    for (let m = 0; m < 12; m++) await tick(true); // 12 minutes of errors, scanned every minute
    const during = signals.length;
    for (let m = 0; m < 12; m++) await tick(false);
    expect(during).toBe(3); // minutes 2, 7 and 12: once per 5-minute window
    expect(signals).toHaveLength(during);
    expect(new Set(signals.map((x) => x.signal.key)).size).toBe(3);
    expect(signals.every((x) => x.signal.reason === 'CertificateErrors')).toBe(true);
    // Disjoint windows: each signal counts only its own window's errors.
    expect(signals.map((x) => x.raw['count'])).toEqual([8, 20, 20]);
  });

  it('reads pods_per_cycle pods per cycle, round-robin, only running containers of running pods', async () => {
    const logs = new FakeLogs();
    const pods = [
      ...Array.from({ length: 10 }, (_, i) => pod(`p-${String(i).padStart(2, '0')}`)),
      pod('pending-1', ['app'], 'Pending'),
      { ...pod('crashing-1'), status: { phase: 'Running', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } },
      pod('sidecars-1', ['app', 'envoy']),
    ];
    const { s } = scanner(logs, pods, { pods_per_cycle: 4 });
    const seen: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const before = logs.calls.length;
      const r = await s.scan();
      expect(r.population).toBe(11);
      expect(r.pods).toBe(4);
      seen.push(logs.calls.slice(before).map((c) => `${c.pod}/${c.container}`));
    }
    expect(seen[0]).toEqual(['p-00/app', 'p-01/app', 'p-02/app', 'p-03/app']);
    expect(seen[1]).toEqual(['p-04/app', 'p-05/app', 'p-06/app', 'p-07/app']);
    // A pod with two running containers is read once per container; the list wraps around.
    expect(seen[2]).toEqual(['p-08/app', 'p-09/app', 'sidecars-1/app', 'sidecars-1/envoy', 'p-00/app']);
    const next = logs.calls.length;
    await s.scan();
    expect(logs.calls[next]?.pod).toBe('p-01');
    expect(logs.calls.some((c) => c.pod === 'pending-1' || c.pod === 'crashing-1')).toBe(false);
  });

  it('paced (the timer), spreads a cycle over 80% of the interval; stop() ends a cycle early', async () => {
    const logs = new FakeLogs();
    const pods = Array.from({ length: 5 }, (_, i) => pod(`paced-${i}`));
    const { s } = scanner(logs, pods, { interval: 500 });
    const t0 = Date.now();
    await s.scan({ pace: true });
    // Read i starts at i × 80 ms (5 reads over 400 ms): the last no sooner than 320 ms in.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    const slow = scanner(logs, pods, { interval: 3_600_000 });
    const cycle = slow.s.scan({ pace: true });
    slow.s.stop();
    expect((await cycle).reads).toBeLessThanOrEqual(4);
  });

  it('counts failed reads and carries on; forgets pods that are gone', async () => {
    const logs = new FakeLogs();
    const pods = [pod('a'), pod('b')];
    const { s } = scanner(logs, pods);
    logs.failing.add('a');
    logs.write('b', 'app', 'INFO ok');
    const r = await s.scan();
    expect(r).toMatchObject({ reads: 2, failed: 1, lines: 1, tracked: 2 });
    pods.pop();
    expect((await s.scan()).tracked).toBe(1);
    pods.pop();
    expect((await s.scan()).tracked).toBe(0);
  });

  it('stays bounded: a container erroring every second keeps at most MAX_OCCURRENCES occurrences and the read caps hold', async () => {
    const logs = new FakeLogs();
    const { s, signals } = scanner(logs, [pod('storm-1')], { max_lines_per_read: 100, max_bytes_per_read: 4096 });
    for (let i = 0; i < 1000; i++) {
      logs.write('storm-1', 'app', `{"level":"error","msg":"boom ${i}","err":"dial tcp 10.0.0.9:5432: connect: connection refused"}`);
      logs.now += 1000;
    }
    const r = await s.scan();
    expect(r.bytes).toBeLessThanOrEqual(4096);
    expect(r.error_records).toBeGreaterThan(10);
    expect(r.error_records).toBeLessThanOrEqual(100);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.signal.reason).toBe('DependencyConnectionErrors');
    expect(signals[0]?.raw['occurrences']).toBeLessThanOrEqual(MAX_OCCURRENCES);
  });

  it('a container writing more than a read holds: the next read reaches its newest lines, no line counted twice', async () => {
    const logs = new FakeLogs();
    const { s } = scanner(logs, [pod('cut-1')], { max_bytes_per_read: 1024 });
    for (let i = 0; i < 30; i++) {
      logs.write('cut-1', 'app', `ERROR request ${i} failed: ${'x'.repeat(40)}`);
      logs.now += 1000;
    }
    const a = await s.scan();
    // limitBytes keeps the oldest part of the tail; the line it cut is not counted.
    expect(a.lines).toBeGreaterThan(5);
    expect(a.lines).toBeLessThan(30);
    const b = await s.scan();
    expect(logs.calls[1]?.options.tailLines).toBeLessThan(a.lines + 1);
    expect(b.lines).toBeGreaterThan(0);
    const c = await s.scan();
    expect(c.lines).toBe(0);
    expect(a.error_records + b.error_records).toBe(a.lines + b.lines);
    expect(a.lines + b.lines).toBeLessThanOrEqual(30);
    logs.write('cut-1', 'app', 'ERROR request 30 failed');
    expect((await s.scan()).lines).toBe(1);
  });

  it('quotes a long line around what made it an error', () => {
    const line = `time=2025-09-30T10:15:30Z level=ERROR msg="settlement batch failed" ${'k=v '.repeat(80)}err="x509: certificate has expired or is not yet valid"`;
    const q = quote(line, /x509: certificate has expired/i);
    expect(q.length).toBeLessThanOrEqual(300);
    expect(q).toContain('x509: certificate has expired or is not yet valid');
    expect(q.startsWith('…')).toBe(true);
    expect(quote('short line')).toBe('short line');
    expect(quote('x'.repeat(400))).toHaveLength(300);
  });

  it('tells the classes apart and picks the one with most occurrences', async () => {
    const logs = new FakeLogs();
    const { s, signals } = scanner(logs, [pod('geo-1')]);
    for (let i = 0; i < 6; i++) {
      logs.write('geo-1', 'app', `ERROR:address_validator.geocode:lookup failed for postcode 1011${i}
Traceback (most recent call last):
  File "/app/address_validator/geocode.py", line 44, in lookup
    resp.raise_for_status()
requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: https://maps.example.com/v1/geocode?q=10115+Berlin`);
      logs.now += 6000;
      logs.write('geo-1', 'app', 'WARNING:address_validator.geocode:upstream maps.example.com rate limited (Retry-After: 60), 412 lookups queued');
      logs.now += 6000;
    }
    logs.write('geo-1', 'app', 'ERROR:address_validator.db:could not translate host name "db" to address: Name or service not known');
    await s.scan();
    expect(signals).toHaveLength(1);
    expect(signals[0]?.signal.reason).toBe('UpstreamRateLimited');
    expect(signals[0]?.raw).toMatchObject({ count: 6, error_records: 7, classes: { rate_limit: 6, dns: 1 } });
  });
});
