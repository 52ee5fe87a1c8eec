/**
 * Error-log classification: container log lines → records (a multi-line stack trace is one record) →
 * a level and a signal class (certificate, rate limit, connection pool, DNS, dependency connection,
 * or a plain application error). Pure and allocation-light: the agent's log scanner runs it on every
 * line it reads, and docs/event-reasons.md lists the table below.
 *
 * The classes are deliberately few and name what an SRE does next: renew a certificate, back off an
 * upstream, free or grow a pool, fix DNS, look at the dependency, read the application's error.
 */

/** Signal classes, most specific first: a record matching several gets the first. */
export const LOG_SIGNAL_CLASSES = ['certificate', 'connection_pool', 'rate_limit', 'dns', 'dependency_connection', 'application'] as const;
export type LogSignalClass = (typeof LOG_SIGNAL_CLASSES)[number];

/** What the scanner emits for each class: the event reason (docs/event-reasons.md) and the noun its message uses. */
export const LOG_CLASS_INFO: Readonly<Record<LogSignalClass, { readonly reason: string; readonly noun: string; readonly description: string }>> = Object.freeze({
  certificate: { reason: 'CertificateErrors', noun: 'certificate errors', description: 'TLS certificate expired, not yet valid, untrusted or rejected by the peer' },
  connection_pool: { reason: 'ConnectionPoolExhausted', noun: 'connection-pool errors', description: 'a client connection pool (HikariCP, SQLAlchemy, pg-pool, …) or the server’s connection slots are used up' },
  rate_limit: { reason: 'UpstreamRateLimited', noun: 'rate-limit errors', description: 'an upstream answers HTTP 429 / Too Many Requests / throttling' },
  dns: { reason: 'DNSResolutionErrors', noun: 'DNS resolution errors', description: 'host names do not resolve (no such host, NXDOMAIN, UnknownHostException)' },
  dependency_connection: { reason: 'DependencyConnectionErrors', noun: 'dependency connection errors', description: 'connections to a dependency are refused, reset, unreachable or time out' },
  application: { reason: 'ApplicationErrors', noun: 'application errors', description: 'error-level records and exceptions that match no class above' },
});

/** The reasons the log scanner can emit, in class order. */
export const LOG_SIGNAL_REASONS: readonly string[] = LOG_SIGNAL_CLASSES.map((c) => LOG_CLASS_INFO[c].reason);

export interface LogPattern {
  readonly id: string;
  readonly class: Exclude<LogSignalClass, 'application'>;
  /** Case-insensitive unless the source says otherwise; searched anywhere in the record. */
  readonly regex: RegExp;
  /** Real-world text it catches, for the docs. */
  readonly example: string;
}

// No nested quantifiers and only bounded gaps (`.{0,40}`): these run on untrusted text.
export const LOG_PATTERNS: readonly LogPattern[] = [
  // ---- certificates ----
  { id: 'x509', class: 'certificate', regex: /x509: certificate (?:has expired|is not yet valid|signed by unknown authority|is valid for|is not valid for)/i, example: 'Go: x509: certificate has expired or is not yet valid' },
  { id: 'cert-expired', class: 'certificate', regex: /CertificateExpiredException|CertificateNotYetValidException|certificate (?:has )?expired|expired certificate|cert(?:ificate)? is expired|CERT_HAS_EXPIRED/i, example: 'Java: CertificateExpiredException: NotAfter: …; Node: CERT_HAS_EXPIRED' },
  { id: 'pkix', class: 'certificate', regex: /PKIX path (?:building|validation) failed|unable to find valid certification path|SSLHandshakeException/i, example: 'Java: javax.net.ssl.SSLHandshakeException: PKIX path validation failed' },
  { id: 'verify-failed', class: 'certificate', regex: /CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSLCertVerificationError|unable to verify the first certificate|self[- ]signed certificate in certificate chain|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT/i, example: 'Python: ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]' },
  { id: 'tls-alert', class: 'certificate', regex: /tls: (?:bad certificate|failed to verify certificate|unknown certificate authority|expired certificate|certificate required)|alert (?:bad|certificate expired|unknown ca)|sslv3 alert (?:bad )?certificate/i, example: 'Go server: http: TLS handshake error from …: remote error: tls: bad certificate' },
  // ---- connection pools (before timeouts: pool errors say "connection … timed out") ----
  { id: 'hikari', class: 'connection_pool', regex: /Connection is not available, request timed out/i, example: 'HikariCP: HikariPool-1 - Connection is not available, request timed out after 30000ms' },
  { id: 'sqlalchemy-queuepool', class: 'connection_pool', regex: /QueuePool limit of size \d+ overflow \d+ reached/i, example: 'SQLAlchemy: QueuePool limit of size 5 overflow 10 reached, connection timed out' },
  { id: 'server-slots', class: 'connection_pool', regex: /too many clients already|remaining connection slots are reserved|too many connections|max number of clients reached|ER_CON_COUNT_ERROR/i, example: 'PostgreSQL: FATAL: sorry, too many clients already; MySQL: Too many connections; Redis: ERR max number of clients reached' },
  { id: 'pool-exhausted', class: 'connection_pool', regex: /pool (?:is )?exhausted|(?:connection )?pool (?:is )?full|timeout acquiring a connection|Timeout waiting for (?:idle object|connection from pool)|Cannot get a connection, pool error|Unable to acquire JDBC Connection|ConnectionPoolTimeoutException|timeout exceeded when trying to connect/i, example: 'Knex: Timeout acquiring a connection. The pool is probably full; DBCP: Cannot get a connection, pool error' },
  // ---- rate limits ----
  { id: 'http-429', class: 'rate_limit', regex: /\b429\b.{0,40}too many requests|too many requests.{0,40}\b429\b|(?:HTTP|status|status[_ ]?code|code|response)["':= ]{1,4}429\b|\b429 Client Error/i, example: 'Python requests: HTTPError: 429 Client Error: Too Many Requests for url …' },
  { id: 'too-many-requests', class: 'rate_limit', regex: /too many requests|TooManyRequests/i, example: 'HTTP 429 Too Many Requests from api.example.com' },
  { id: 'rate-limit', class: 'rate_limit', regex: /rate[ _-]?limit(?:ed|ing|s)?(?: exceeded| reached)?\b|RateLimitExceeded|ThrottlingException|Rate exceeded|x-ratelimit-remaining["': ]{1,4}0\b|quota exceeded/i, example: 'rate limit exceeded, retry after 30s; AWS: ThrottlingException: Rate exceeded' },
  // ---- DNS ----
  { id: 'no-such-host', class: 'dns', regex: /no such host|server misbehaving|NXDOMAIN|SERVFAIL/i, example: 'Go: dial tcp: lookup redis.cache on 10.96.0.10:53: no such host' },
  { id: 'resolver', class: 'dns', regex: /Name or service not known|Temporary failure in name resolution|nodename nor servname provided|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\bENOTFOUND\b|\bEAI_AGAIN\b|could not translate host name/i, example: 'Python: socket.gaierror: [Errno -2] Name or service not known; Node: getaddrinfo ENOTFOUND db' },
  { id: 'unknown-host', class: 'dns', regex: /UnknownHostException|could not resolve host|Could not resolve hostname|could not be resolved \(\d+: Host not found\)|Host not found|lookup \S{1,253} on \S{1,64}:53\b/i, example: 'Java: java.net.UnknownHostException: postgres.shop.svc; nginx: could not be resolved (3: Host not found)' },
  // ---- dependency connections ----
  { id: 'refused', class: 'dependency_connection', regex: /connection refused|ECONNREFUSED|Connection to \S{1,253} refused|could not connect to server|Communications link failure/i, example: 'Node: Error: connect ECONNREFUSED 10.96.12.4:5432; psycopg2: could not connect to server: Connection refused' },
  { id: 'reset', class: 'dependency_connection', regex: /connection reset by peer|ECONNRESET|broken pipe|\bEPIPE\b|upstream prematurely closed|upstream connect error|connect\(\) failed/i, example: 'nginx: connect() failed (111: Connection refused) while connecting to upstream' },
  { id: 'unreachable', class: 'dependency_connection', regex: /no route to host|EHOSTUNREACH|network is unreachable|ENETUNREACH/i, example: 'dial tcp 10.0.3.7:6379: connect: no route to host' },
  { id: 'timeout', class: 'dependency_connection', regex: /ETIMEDOUT|connect(?:ion)? timed out|i\/o timeout|upstream timed out|ConnectTimeoutException|SocketTimeoutException|Read timed out|context deadline exceeded|code = (?:Unavailable|DeadlineExceeded)/i, example: 'Go: dial tcp 10.0.3.7:5432: i/o timeout; gRPC: code = Unavailable desc = connection error' },
];

/** Severity words as logging libraries print them. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'unknown';

const WORD_LEVEL: Readonly<Record<string, LogLevel>> = Object.freeze({
  fatal: 'fatal', panic: 'fatal', emerg: 'fatal', emergency: 'fatal', alert: 'fatal', critical: 'fatal', crit: 'fatal', dpanic: 'fatal',
  error: 'error', err: 'error', eror: 'error', severe: 'error',
  warning: 'warn', warn: 'warn', wrn: 'warn',
  info: 'info', inf: 'info', notice: 'info', log: 'info', information: 'info',
  debug: 'debug', dbg: 'debug', trace: 'debug', trc: 'debug', fine: 'debug', finer: 'debug', finest: 'debug',
});

function wordLevel(word: string | undefined): LogLevel {
  return (word !== undefined ? WORD_LEVEL[word.toLowerCase()] : undefined) ?? 'unknown';
}

/** pino / bunyan numeric levels. */
function numericLevel(n: number): LogLevel {
  if (n >= 60) return 'fatal';
  if (n >= 50) return 'error';
  if (n >= 40) return 'warn';
  if (n >= 30) return 'info';
  return 'debug';
}

const JSON_LEVEL = /"(?:level|severity|lvl|levelname|loglevel|log\.level|@l)"\s{0,4}:\s{0,4}(?:"([A-Za-z]{1,12})"|(\d{1,3})\b)/;
const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]{1,12})\1(?=\s|$)/;
const KLOG = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+/;
const PYTHON = /^(CRITICAL|ERROR|WARNING|INFO|DEBUG):/;
const NGINX_ERROR = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[([a-z]{1,8})\]/;
const ACCESS_LOG = /^\S{1,256} \S{1,256} \S{1,256} \[[^\]]{10,40}\] "[^"]{0,4096}" (\d{3}) /;
// Upper-case level words (Spring, log4j, logback, zerolog console, Go's log/slog text, Postgres), the leftmost wins.
const UPPER_WORD = /(?:^|[\s[(|<,=])(FATAL|CRITICAL|CRIT|SEVERE|PANIC|EMERG|ALERT|ERROR|ERR|EROR|WARNING|WARN|WRN|INFO|INF|NOTICE|DEBUG|DBG|TRACE|TRC|LOG)(?=$|[\s\]):|>,.])/;
const BRACKET_WORD = /\[(fatal|critical|crit|error|err|warn|warning|info|notice|debug|trace)\]/i;

/**
 * The level of a log line (the first line of a record), from the format's own field: JSON `level`
 * (names or pino numbers), logfmt `level=`, klog's `E0930` prefix, Python's `ERROR:logger:`, nginx's
 * `[error]`, an access log's status (5xx is an error), else the leftmost level word. `unknown` when the
 * line names none (plain `log.Printf` output, a bare stack trace).
 */
export function detectLevel(line: string): LogLevel {
  const head = line.length > 2048 ? line.slice(0, 2048) : line;
  if (head.startsWith('{')) {
    const m = JSON_LEVEL.exec(head);
    if (m) return m[1] !== undefined ? wordLevel(m[1]) : numericLevel(Number(m[2]));
    return 'unknown';
  }
  const logfmt = LOGFMT_LEVEL.exec(head);
  if (logfmt) return wordLevel(logfmt[2]);
  const klog = KLOG.exec(head);
  if (klog) return ({ I: 'info', W: 'warn', E: 'error', F: 'fatal' } as const)[klog[1] as 'I' | 'W' | 'E' | 'F'];
  const py = PYTHON.exec(head);
  if (py) return wordLevel(py[1]);
  const nginx = NGINX_ERROR.exec(head);
  if (nginx) return wordLevel(nginx[1]);
  const access = ACCESS_LOG.exec(head);
  if (access) return Number(access[1]) >= 500 ? 'error' : 'info';
  const upper = UPPER_WORD.exec(head);
  const bracket = BRACKET_WORD.exec(head);
  if (upper && (!bracket || upper.index <= bracket.index)) return wordLevel(upper[1]);
  if (bracket) return wordLevel(bracket[1]);
  return 'unknown';
}

/** A line without a level that is an error by its shape: a panic, a traceback, an uncaught exception. */
const ERROR_SHAPE = /^(?:panic: |fatal error: |Traceback \(most recent call last\):|Exception in thread |Unhandled (?:[Ee]xception|[Rr]ejection)|Uncaught |(?:[Ee]rror|[Ff]atal|[Pp]anic)(?:\[\w{1,10}\])?: |(?:Exception|Error)(?::\s|$)|(?:[A-Za-z_$][\w$]{0,100}\.){0,20}[A-Z][\w$]{0,100}(?:Exception|Error)(?::\s|$))/;

// ---- records ---------------------------------------------------------------------------------------

/** One log line as the API returns it with `timestamps=true`. */
export interface LogLine {
  /** Epoch ms from the runtime's timestamp prefix; undefined when the line has none. */
  time: number | undefined;
  text: string;
}

const TS_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) /;

/** Splits the container runtime's RFC 3339 timestamp (`timestamps=true`) off a line. */
export function splitTimestamp(raw: string): LogLine {
  const m = TS_PREFIX.exec(raw);
  if (!m) return { time: undefined, text: raw };
  const t = Date.parse(m[1] as string);
  return { time: Number.isNaN(t) ? undefined : t, text: raw.slice(m[0].length) };
}

export interface LogRecord {
  /** The first line's time. */
  time: number | undefined;
  level: LogLevel;
  /** The record's lines, at most MAX_RECORD_LINES (the rest are counted in `lineCount`). */
  lines: string[];
  lineCount: number;
}

export const MAX_RECORD_LINES = 64;
/** Lines of one record are written together; a gap longer than this starts a new record. */
const CONTINUATION_GAP_MS = 2000;

const JAVA_FRAME = /^(?:\s|Caused by: |Suppressed: |Wrapped by: |\.\.\. \d+ (?:more|common frames omitted))/;
const EXCEPTION_LINE = /^(?:[A-Za-z_$][\w$]{0,100}\.){1,20}[A-Za-z_$][\w$]{0,100}(?:Exception|Error|Throwable|Fault)(?::|$)/;
const PY_CHAIN = /^(?:During handling of the above exception|The above exception was the direct cause)/;
const TRACEBACK = /^Traceback \(most recent call last\):/;
const GO_PANIC = /^(?:panic: |fatal error: )/;
const GO_TRACE = /^(?:goroutine \d+ \[|\[signal |created by |exit status \d+|[\w./*()[\]{}-]{1,300}\(.{0,300}\)$)/;

type Mode = 'plain' | 'python' | 'python-done' | 'go';

/**
 * Groups lines into records: a Java exception with its `at` frames and `Caused by:` chain, a Python
 * traceback up to and including its exception line (and chained tracebacks), a Go panic with its
 * goroutine dump, and indented continuation lines belong to the record they follow. Everything else
 * starts a record. Bounded: a record keeps at most MAX_RECORD_LINES lines.
 */
export function assembleRecords(lines: readonly LogLine[]): LogRecord[] {
  const out: LogRecord[] = [];
  let cur: LogRecord | undefined;
  let mode: Mode = 'plain';
  let prevTime: number | undefined;
  let prevIndented = false;
  for (const line of lines) {
    const text = line.text;
    const time = line.time ?? prevTime;
    if (text.trim() === '') {
      // Blank lines separate chained tracebacks and goroutines; they end nothing and start nothing.
      prevTime = time;
      continue;
    }
    const near = cur !== undefined && (time === undefined || cur.time === undefined || prevTime === undefined || Math.abs(time - prevTime) <= CONTINUATION_GAP_MS);
    const indented = /^\s/.test(text);
    let cont = false;
    if (cur && near) {
      const errorish = cur.level === 'error' || cur.level === 'fatal' || cur.level === 'warn' || cur.level === 'unknown';
      if (mode === 'python') cont = indented || TRACEBACK.test(text) || (prevIndented && !text.startsWith('{'));
      else if (mode === 'go') cont = indented || GO_TRACE.test(text);
      else cont = JAVA_FRAME.test(text) || PY_CHAIN.test(text) || (errorish && (EXCEPTION_LINE.test(text) || TRACEBACK.test(text)));
      if (mode === 'python-done' && PY_CHAIN.test(text)) cont = true;
    }
    if (cont && cur) {
      cur.lineCount++;
      if (cur.lines.length < MAX_RECORD_LINES) cur.lines.push(text);
      if (TRACEBACK.test(text) || PY_CHAIN.test(text)) mode = 'python';
      else if (mode === 'python' && !indented && prevIndented) mode = 'python-done';
    } else {
      cur = { time, level: detectLevel(text), lines: [text], lineCount: 1 };
      out.push(cur);
      mode = TRACEBACK.test(text) ? 'python' : GO_PANIC.test(text) ? 'go' : 'plain';
    }
    prevIndented = indented;
    prevTime = time;
  }
  return out;
}

// ---- classification --------------------------------------------------------------------------------

export interface LogVerdict {
  /** Whether the record counts as an error. Warnings, info and debug never do. */
  error: boolean;
  class: LogSignalClass;
  /** The pattern that decided the class (absent for `application`). */
  pattern?: string;
  /** The line the pattern matched (may differ from the first line: a `Caused by:` or an exception line). */
  matched?: string;
}

const NOT_AN_ERROR: Readonly<LogVerdict> = Object.freeze({ error: false, class: 'application' });
const MAX_CLASSIFIED_CHARS = 8192;

/** The first pattern (table order) found in the text, with the line it matched. */
export function matchPattern(lines: readonly string[]): { pattern: LogPattern; line: string } | undefined {
  let text = lines.join('\n');
  if (text.length > MAX_CLASSIFIED_CHARS) text = text.slice(0, MAX_CLASSIFIED_CHARS);
  for (const pattern of LOG_PATTERNS) {
    if (!pattern.regex.test(text)) continue;
    const line = lines.find((l) => pattern.regex.test(l.length > MAX_CLASSIFIED_CHARS ? l.slice(0, MAX_CLASSIFIED_CHARS) : l)) ?? lines[0] ?? '';
    return { pattern, line };
  }
  return undefined;
}

/**
 * Whether a record is an error and of which class. An error-level record (or fatal) always counts,
 * classed by the first matching pattern or `application`. A record with no level counts when a
 * pattern matches or it has an error's shape (panic, traceback, `SomeException:`); a warning, info or
 * debug record never counts, whatever it mentions ("WARN retrying after connection refused").
 */
export function classifyRecord(record: Pick<LogRecord, 'level' | 'lines'>): LogVerdict {
  if (record.level === 'warn' || record.level === 'info' || record.level === 'debug') return NOT_AN_ERROR;
  const hit = matchPattern(record.lines);
  if (hit) return { error: true, class: hit.pattern.class, pattern: hit.pattern.id, matched: hit.line };
  if (record.level === 'error' || record.level === 'fatal') return { error: true, class: 'application' };
  const first = record.lines[0] ?? '';
  return ERROR_SHAPE.test(first) ? { error: true, class: 'application' } : NOT_AN_ERROR;
}

/** Rank of a class: lower is more specific (ties between classes go to the more specific). */
export function classRank(c: LogSignalClass): number {
  return LOG_SIGNAL_CLASSES.indexOf(c);
}
