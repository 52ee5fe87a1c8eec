import { describe, expect, it } from 'vitest';
import { LOG_CLASS_INFO, LOG_PATTERNS, LOG_SIGNAL_CLASSES, assembleRecords, classifyRecord, detectLevel, splitTimestamp, type LogLine, type LogSignalClass } from './log-patterns.js';
import { isKnownReason, classify } from './classify.js';

const lines = (text: string, time = 1_000): LogLine[] => text.split('\n').map((t) => ({ time, text: t }));

/** Records of a text, with their verdicts. */
function verdicts(text: string) {
  return assembleRecords(lines(text)).map((r) => ({ first: r.lines[0], lines: r.lineCount, level: r.level, ...classifyRecord(r) }));
}

/** The single record a text must form, and its verdict. */
function one(text: string) {
  const v = verdicts(text);
  expect(v, `expected one record from:\n${text}`).toHaveLength(1);
  return v[0] as (typeof v)[number];
}

describe('detectLevel', () => {
  it.each([
    ['{"level":"error","ts":1727690131.4,"caller":"server/main.go:88","msg":"request failed"}', 'error'],
    ['{"level":50,"time":1727690131402,"pid":1,"msg":"charge failed"}', 'error'],
    ['{"level":30,"msg":"listening"}', 'info'],
    ['{"severity":"WARNING","message":"slow query"}', 'warn'],
    ['{"msg":"no level at all"}', 'unknown'],
    ['time=2025-09-30T10:15:30Z level=ERROR msg="settlement batch failed"', 'error'],
    ['ts=2025-09-30T10:00:01.000Z caller=node_exporter.go:193 level=info msg="Listening on"', 'info'],
    ['E0930 10:00:31.402123       1 reflector.go:138] failed to list *v1.Pod', 'error'],
    ['I0930 10:00:31.402123       1 leaderelection.go:248] attempting to acquire leader lease', 'info'],
    ['ERROR:invoicing.api:request failed GET /v1/invoices', 'error'],
    ['WARNING:address_validator.geocode:upstream maps.example.com rate limited', 'warn'],
    ['INFO:     Uvicorn running on http://0.0.0.0:8000', 'info'],
    ['2025/09/30 10:00:31 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream', 'error'],
    ['2025/09/30 10:00:31 [notice] 1#1: start worker processes', 'info'],
    ['10.244.1.5 - - [30/Sep/2025:10:00:31 +0000] "GET /api/orders HTTP/1.1" 502 157 "-" "curl/8.5.0"', 'error'],
    ['10.244.1.5 - - [30/Sep/2025:10:00:31 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.30"', 'info'],
    ['2025-09-30 10:00:31.402 ERROR 1 --- [   fx-refresh-1] c.s.finance.ledger.fx.FxRateClient       : refreshing FX rates failed', 'error'],
    ['2025-09-30 10:03:40.012  WARN 1 --- [l-1 housekeeper] com.zaxxer.hikari.pool.ProxyLeakTask     : Connection leak detection triggered', 'warn'],
    ['2025-09-30 10:00:02.911 UTC [1] LOG:  database system is ready to accept connections', 'info'],
    ['2025-09-30 10:00:02.911 UTC [88] FATAL:  sorry, too many clients already', 'fatal'],
    ['10:00:31 ERR failed to publish error="nats: timeout"', 'error'],
    ['[2025-09-30 10:00:02 +0000] [7] [INFO] Booting worker with pid: 7', 'info'],
    ['2025/09/30 10:00:31 http: TLS handshake error from 10.244.1.17:53422: remote error: tls: bad certificate', 'unknown'],
    ['INFO: job finished, 0 ERROR rows', 'info'],
  ])('%s → %s', (line, level) => {
    expect(detectLevel(line)).toBe(level);
  });
});

describe('splitTimestamp', () => {
  it('splits the runtime timestamp (RFC 3339 with nanoseconds) from the text', () => {
    expect(splitTimestamp('2025-09-30T10:00:31.402123456Z ERROR boom')).toEqual({ time: Date.parse('2025-09-30T10:00:31.402Z'), text: 'ERROR boom' });
    expect(splitTimestamp('2025-09-30T10:00:31Z  indented')).toEqual({ time: Date.parse('2025-09-30T10:00:31Z'), text: ' indented' });
    expect(splitTimestamp('no timestamp here')).toEqual({ time: undefined, text: 'no timestamp here' });
  });
});

describe('multi-line records: one stack trace is one error', () => {
  it('Java: log line, exception, frames and Caused by', () => {
    const v = one(`2025-09-30 10:00:31.402 ERROR 1 --- [   fx-refresh-1] c.s.finance.ledger.fx.FxRateClient       : refreshing FX rates failed
javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed
	at java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)
	at com.shop.finance.ledger.fx.FxRateClient.refresh(FxRateClient.java:63)
Caused by: java.security.cert.CertificateExpiredException: NotAfter: Sun Sep 28 00:00:00 UTC 2025
	at java.base/sun.security.x509.CertificateValidity.valid(CertificateValidity.java:182)
	... 12 more`);
    expect(v).toMatchObject({ lines: 7, level: 'error', error: true, class: 'certificate' });
  });

  it('Java: HikariCP pool exhaustion found in the Caused by line', () => {
    const v = one(`2025-09-30 10:03:31.880 ERROR 1 --- [nio-8080-exec-9] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception
org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection
Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=58)
	at com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)`);
    expect(v).toMatchObject({ lines: 4, error: true, class: 'connection_pool', pattern: 'hikari' });
    expect(v.matched).toMatch(/^Caused by: java\.sql\.SQLTransientConnectionException/);
  });

  it('Java: an uncaught exception on its own', () => {
    const v = one(`Exception in thread "main" java.lang.NullPointerException: Cannot invoke "String.length()" because "s" is null
	at com.shop.App.main(App.java:5)`);
    expect(v).toMatchObject({ lines: 2, level: 'unknown', error: true, class: 'application' });
  });

  it('Python: logger line, traceback and exception line', () => {
    const v = one(`ERROR:address_validator.geocode:lookup failed for postcode 10115
Traceback (most recent call last):
  File "/app/address_validator/geocode.py", line 44, in lookup
    resp.raise_for_status()
  File "/usr/local/lib/python3.12/site-packages/requests/models.py", line 1024, in raise_for_status
    raise HTTPError(http_error_msg, response=self)
requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: https://maps.example.com/v1/geocode?q=10115+Berlin`);
    expect(v).toMatchObject({ lines: 7, level: 'error', error: true, class: 'rate_limit' });
  });

  it('Python: chained tracebacks stay one record; the next log line starts another', () => {
    const v = verdicts(`Traceback (most recent call last):
  File "/app/db.py", line 10, in connect
    sock.connect(addr)
ConnectionRefusedError: [Errno 111] Connection refused

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    db.connect()
psycopg2.OperationalError: could not connect to server: Connection refused
INFO:app:shutting down`);
    expect(v).toHaveLength(2);
    expect(v[0]).toMatchObject({ lines: 9, error: true, class: 'dependency_connection' });
    expect(v[1]).toMatchObject({ level: 'info', error: false });
  });

  it('Python: SQLAlchemy QueuePool exhaustion', () => {
    const v = one(`ERROR:invoicing.api:request failed GET /v1/invoices?customer=88121
Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/pool/impl.py", line 161, in _do_get
    raise exc.TimeoutError(
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)`);
    expect(v).toMatchObject({ error: true, class: 'connection_pool', pattern: 'sqlalchemy-queuepool' });
  });

  it('Go: a panic with its goroutine dump', () => {
    const v = one(`panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b1f2a]

goroutine 1 [running]:
main.(*Recommender).Score(0x0, {0xc0001a2000, 0x3, 0x4})
	/app/recommender.go:57 +0x2a
main.main()
	/app/main.go:21 +0x1d
exit status 2`);
    expect(v).toMatchObject({ lines: 8, level: 'unknown', error: true, class: 'application' });
  });

  it('Node.js: an error with its indented stack', () => {
    const v = one(`Error: connect ECONNREFUSED 10.96.12.4:5432
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)`);
    expect(v).toMatchObject({ lines: 2, error: true, class: 'dependency_connection' });
  });

  it('lines written far apart are separate records even when they look like continuations', () => {
    const recs = assembleRecords([
      { time: 0, text: 'ERROR boom' },
      { time: 60_000, text: '\tat com.shop.App.main(App.java:5)' },
    ]);
    expect(recs).toHaveLength(2);
  });

  it('keeps at most 64 lines of a giant trace but counts them all', () => {
    const text = ['ERROR giant', ...Array.from({ length: 500 }, (_, i) => `\tat frame${i}(X.java:${i})`)].join('\n');
    const [rec] = assembleRecords(lines(text));
    expect(rec?.lineCount).toBe(501);
    expect(rec?.lines).toHaveLength(64);
  });
});

describe('classes from real-world lines', () => {
  const cases: [string, LogSignalClass][] = [
    ['time=2025-09-30T10:15:30Z level=ERROR msg="settlement batch failed" err="Post \\"https://api.acquirer-bank.example.com/v1/settlements\\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2025-09-30T10:15:30Z is after 2025-09-01T00:00:00Z"', 'certificate'],
    ['2025/09/30 10:00:31 http: TLS handshake error from 10.244.1.17:53422: remote error: tls: bad certificate', 'certificate'],
    ["ERROR:urllib3.connectionpool:ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)", 'certificate'],
    ['{"level":"error","msg":"fetch failed","err":"Error: certificate has expired","code":"CERT_HAS_EXPIRED"}', 'certificate'],
    ['HTTP 429 Too Many Requests from api.payments.example.com: rate limit exceeded, retry after 30s', 'rate_limit'],
    ['{"level":50,"msg":"charge failed","orderId":"ord_7f3a91","err":"ProviderError: 429 Too Many Requests (x-ratelimit-remaining: 0, retry-after: 30)"}', 'rate_limit'],
    ['level=error msg="put object" err="operation error S3: PutObject, https response error StatusCode: 503, api error SlowDown: ThrottlingException: Rate exceeded"', 'rate_limit'],
    ['2025-09-30 10:00:02.911 UTC [88] FATAL:  sorry, too many clients already', 'connection_pool'],
    ['{"level":"error","msg":"Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?"}', 'connection_pool'],
    ['level=error msg="cache get" err="dial tcp: lookup redis-master.cache.svc.cluster.local on 10.96.0.10:53: no such host"', 'dns'],
    ["ERROR:worker:socket.gaierror: [Errno -2] Name or service not known", 'dns'],
    ['2025-09-30 10:00:31.402 ERROR 1 --- [main] o.h.engine.jdbc.spi.SqlExceptionHelper : java.net.UnknownHostException: postgres.shop.svc.cluster.local', 'dns'],
    ['2025/09/30 10:00:31 [error] 7#7: *9 upstream-api.shop.svc could not be resolved (3: Host not found)', 'dns'],
    ['2025/09/30 10:00:31 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.244.0.1', 'dependency_connection'],
    ['org.postgresql.util.PSQLException: Connection to postgres.shop.svc.cluster.local:5432 refused.', 'dependency_connection'],
    ['Error: connect ETIMEDOUT 10.96.44.2:6379', 'dependency_connection'],
    ['E0930 10:00:31.402123       1 server.go:88] rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.7:9090: i/o timeout"', 'dependency_connection'],
    ['{"level":"error","msg":"order not found","order_id":"ord_1"}', 'application'],
    ['TypeError: Cannot read properties of undefined (reading \'id\')', 'application'],
    ['10.244.1.5 - - [30/Sep/2025:10:00:31 +0000] "POST /checkout HTTP/1.1" 500 21 "-" "Mozilla/5.0"', 'application'],
  ];
  it.each(cases)('%s → %s', (line, cls) => {
    expect(one(line)).toMatchObject({ error: true, class: cls });
  });

  it.each([
    'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
    'WARNING:address_validator.geocode:upstream maps.example.com rate limited (Retry-After: 60), 412 lookups queued',
    '2025-09-30 10:03:02.551 DEBUG 1 --- [l-1 housekeeper] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Pool stats (total=10, active=10, idle=0, waiting=58)',
    '2025-09-30 10:03:40.012  WARN 1 --- [l-1 housekeeper] com.zaxxer.hikari.pool.ProxyLeakTask     : Connection leak detection triggered',
    '{"level":"warn","msg":"retrying after connection refused"}',
    '2025/09/29 02:00:44 migrate: 43/u index_orders_created_at (31.9s)',
    '2025/09/30 10:00:31 http: TLS handshake error from 10.0.0.1:443: EOF',
    'processed 1200 rows, 0 errors',
    'Mirror: syncing 12 repositories',
    '10.244.1.5 - - [30/Sep/2025:10:00:31 +0000] "GET /api HTTP/1.1" 429 0 "-" "bot"',
    ' ✓ Ready in 1.2s',
  ])('not an error: %s', (line) => {
    expect(one(line).error).toBe(false);
  });
});

describe('the pattern table', () => {
  it('every class has a reason in the classification table, in the application category', () => {
    for (const c of LOG_SIGNAL_CLASSES) {
      const reason = LOG_CLASS_INFO[c].reason;
      expect(isKnownReason(reason), reason).toBe(true);
      expect(classify({ reason, type: 'state_change', kind: 'Pod' }).category).toBe('application');
    }
  });

  it('pattern ids are unique and patterns are grouped by class in priority order', () => {
    expect(new Set(LOG_PATTERNS.map((p) => p.id)).size).toBe(LOG_PATTERNS.length);
    const order = LOG_PATTERNS.map((p) => LOG_SIGNAL_CLASSES.indexOf(p.class));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('stays fast on hostile input (no catastrophic backtracking)', () => {
    const hostile = ['a'.repeat(100_000), `${'a.'.repeat(20_000)}!`, `ERROR ${'x509: '.repeat(5000)}`, `{"level":${'9'.repeat(5000)}`];
    for (const h of hostile) {
      const recs = assembleRecords([{ time: 0, text: h }]);
      for (const r of recs) classifyRecord(r);
    }
    // No timing assertion: a backtracking regex would hang this test until its timeout.
    expect(true).toBe(true);
  });
});
