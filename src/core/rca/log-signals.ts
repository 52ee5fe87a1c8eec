/**
 * Log evidence: container logs (current and `--previous`) → records (a stack trace is one record,
 * src/core/classify/log-patterns.ts) → a class per record → `log_error` signals per workload and
 * class, and `dependency_error` signals when a record names another Service (a host, a Service IP, a
 * lookup) or the workload's configuration points to one. The dependency is resolved through the
 * topology, so a client's "connection refused" becomes evidence about the database it calls.
 */
import { assembleRecords, classifyRecord, splitTimestamp, type LogRecord } from '../classify/log-patterns.js';
import type { KubeObject } from '../kube/kube-types.js';
import type { ContainerLog } from './snapshot.js';
import type { ServiceInfo, Topology } from './topology.js';
import { refKey, refText, type FieldValue, type ResourceRef, type Signal } from './types.js';

/** Classes beyond the agent's network classes: what makes a container exit or a volume fill. */
export const LOG_CLASSES = [
  'certificate',
  'connection_pool',
  'rate_limit',
  'dns',
  'dependency_connection',
  'oom',
  'disk_full',
  'command_not_found',
  'config',
  'panic',
  'deadlock',
  'not_ready',
  'application',
] as const;
export type LogClass = (typeof LOG_CLASSES)[number];

const NETWORK_CLASSES = new Set<LogClass>(['certificate', 'connection_pool', 'rate_limit', 'dns', 'dependency_connection']);

interface ExtraPattern {
  class: LogClass;
  regex: RegExp;
  /** Counts even on a warning or info record (the application says it is unhealthy in words). */
  anyLevel: boolean;
}

// Bounded gaps only: these run on untrusted text.
const EXTRA_PATTERNS: readonly ExtraPattern[] = [
  { class: 'oom', anyLevel: false, regex: /OutOfMemoryError|JavaScript heap out of memory|fatal error: runtime: out of memory|Cannot allocate memory|\bMemoryError\b|out of memory/i },
  { class: 'disk_full', anyLevel: true, regex: /No space left on device|\bENOSPC\b|disk (?:is )?full|could not extend file|DiskFull/i },
  { class: 'command_not_found', anyLevel: false, regex: /exec: "?[^"\s]{1,200}"?: (?:executable file not found|no such file or directory)|: command not found|exec format error|executable file not found in \$PATH/i },
  {
    class: 'config',
    anyLevel: false,
    regex:
      /environment variable \S{1,100} (?:is )?(?:not set|missing|required|undefined|empty)|missing required (?:env|environment|config|configuration|setting|option)|invalid configuration|configuration error|config(?:uration)? (?:file )?not found|must be (?:a|an) (?:number|integer|string|boolean|valid)|KeyError: '[A-Z][A-Z0-9_]{1,60}'|is required but (?:was )?not (?:set|provided)|unknown (?:config(?:uration)? )?(?:key|option|setting)|failed to (?:load|parse) config/i,
  },
  { class: 'panic', anyLevel: false, regex: /^panic: |nil pointer dereference|SIGSEGV|segmentation fault|fatal error: /im },
  { class: 'deadlock', anyLevel: true, regex: /deadlock|waiting for lock .{0,120} held by|Found one Java-level deadlock|all goroutines are asleep/i },
  { class: 'not_ready', anyLevel: true, regex: /\bnot ready\b|warm-?up (?:is )?(?:incomplete|not complete|pending)|still warming|not yet ready/i },
  { class: 'rate_limit', anyLevel: true, regex: /rate[ -]?limit(?:ed|ing)?\b.{0,60}(?:retry|429)|\b429\b.{0,40}too many requests|too many requests/i },
];

const MAX_RECORD_CHARS = 8192;
const MAX_HEADLINE = 300;

export interface ClassifiedRecord {
  class: LogClass;
  /** The line that says it best. */
  headline: string;
  text: string;
  time: number | undefined;
  previous: boolean;
  pattern: string | undefined;
  /** Shared by every record of the same text: a cheap key for per-text work. */
  same: object;
}

/** The line of a record a person should read: the matched line, else the exception or panic line. */
export function headlineOf(record: Pick<LogRecord, 'lines'>, matched?: string): string {
  const cut = (s: string): string => {
    const t = s.trim();
    return t.length > MAX_HEADLINE ? `${t.slice(0, MAX_HEADLINE)}…` : t;
  };
  if (matched) return cut(matched);
  const lines = record.lines;
  if (lines.length === 1) return cut(lines[0] ?? '');
  const exc = /^\s*(?:Caused by: )?(?:[A-Za-z_$][\w$]{0,100}\.){0,20}[A-Za-z_$][\w$]{0,100}(?:Error|Exception|Exit|Fault)\b:?|^\s*(?:panic|fatal error|FATAL|fatal|Error|ERROR):/;
  const isTraceback = lines.some((l) => l.startsWith('Traceback (most recent call last):'));
  if (isTraceback) {
    // Python prints the exception on the first unindented line after the last frame.
    let lastFrame = -1;
    lines.forEach((l, i) => {
      if (/^\s+File "/.test(l)) lastFrame = i;
    });
    const exception = lastFrame >= 0 ? lines.slice(lastFrame + 1).find((l) => l.length > 0 && !/^\s/.test(l)) : undefined;
    if (exception) return cut(exception);
  }
  const candidates = lines.filter((l) => exc.test(l));
  const pick = isTraceback ? candidates[candidates.length - 1] : candidates[0];
  return cut(pick ?? lines[0] ?? '');
}

/** Classifies one record; undefined when it is not an error and says nothing the analysis needs. */
export function classifyLogRecord(record: LogRecord): { class: LogClass; headline: string; pattern: string | undefined } | undefined {
  const verdict = classifyRecord(record);
  let text = record.lines.join('\n');
  if (text.length > MAX_RECORD_CHARS) text = text.slice(0, MAX_RECORD_CHARS);
  const isError = verdict.error;
  for (const p of EXTRA_PATTERNS) {
    if (!isError && !p.anyLevel) continue;
    // A network class found by the agent's table is more specific than "not ready" or a rate-limit hint.
    if (isError && verdict.class !== 'application' && (p.class === 'not_ready' || p.class === 'rate_limit' || p.class === 'deadlock')) continue;
    if (!p.regex.test(text)) continue;
    const line = record.lines.find((l) => p.regex.test(l.length > MAX_RECORD_CHARS ? l.slice(0, MAX_RECORD_CHARS) : l));
    return { class: p.class, headline: headlineOf(record, line), pattern: p.class };
  }
  if (!isError) return undefined;
  return { class: verdict.class as LogClass, headline: headlineOf(record, verdict.matched), pattern: verdict.pattern };
}

/** Lines read per container log, newest kept: a dump's logs.txt may hold days. */
export const MAX_LOG_LINES = 1000;

type Classification = ReturnType<typeof classifyLogRecord>;

/**
 * Every record of a container log, classified; records that are not errors are dropped. `memo`
 * (record text → classification) lets the many identical records of a log share one classification.
 */
export function classifyLog(log: ContainerLog, memo: Map<string, Classification> = new Map()): ClassifiedRecord[] {
  const lines = log.lines.length > MAX_LOG_LINES ? log.lines.slice(-MAX_LOG_LINES) : log.lines;
  const records = assembleRecords(lines.map(splitTimestamp));
  const out: ClassifiedRecord[] = [];
  for (const r of records) {
    const text = r.lines.join('\n').slice(0, MAX_RECORD_CHARS);
    let c = memo.get(text);
    if (c === undefined && !memo.has(text)) {
      c = classifyLogRecord(r);
      memo.set(text, c);
    }
    if (!c) continue;
    out.push({ class: c.class, headline: c.headline, pattern: c.pattern, text, time: r.time, previous: log.previous, same: c });
  }
  return out;
}

// ---- targets -----------------------------------------------------------------------------------

interface Target {
  host?: string;
  ip?: string;
  port?: number;
}

const IP_PORT = /\b((?:10|172|192|100)\.\d{1,3}\.\d{1,3}\.\d{1,3})(?::(\d{1,5}))?\b/g;
const SVC_HOST = /\b([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.svc(?:\.cluster\.local)?)(?::(\d{1,5}))?\b/gi;
const URL_HOST = /\b[a-z][a-z0-9+.-]{1,20}:\/\/(?:[^@/\s"'`]{1,100}@)?([a-z0-9][-a-z0-9.]{0,252})(?::(\d{1,5}))?/gi;
const DNS_LOOKUP: readonly RegExp[] = [
  /lookup ([a-z0-9][-a-z0-9.]{0,252})(?: on [\d.]+:53)?/i,
  /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([a-z0-9][-a-z0-9.]{0,252})/i,
  /UnknownHostException: ([a-z0-9][-a-z0-9.]{0,252})/i,
  /could not translate host name "([^"]{1,253})"/i,
  /Could not resolve host(?:name)?:? ([a-z0-9][-a-z0-9.]{0,252})/i,
  /hostname: '([a-z0-9][-a-z0-9.]{0,252})'/i,
  /([a-z0-9][-a-z0-9.]{0,252}) could not be resolved/i,
];
const HOST_WORDS = /(?:host[=: ]+|connecting to |connect to |Connection to |connecting to server at "|at "|address[=: ]+)['"`]?([a-z0-9][-a-z0-9.]{0,252})['"`]?(?::(\d{1,5}))?/gi;

/** Hosts, Service IPs and ports a record names. */
export function targetsOf(text: string, cls: LogClass, dnsIp: string | undefined): Target[] {
  const out: Target[] = [];
  if (cls === 'dns') {
    for (const re of DNS_LOOKUP) {
      const m = re.exec(text);
      if (m?.[1]) {
        out.push({ host: m[1].toLowerCase().replace(/\.$/, '') });
        return out;
      }
    }
  }
  for (const m of text.matchAll(SVC_HOST)) out.push({ host: (m[1] ?? '').toLowerCase(), ...(m[2] ? { port: Number(m[2]) } : {}) });
  for (const m of text.matchAll(URL_HOST)) out.push({ host: (m[1] ?? '').toLowerCase(), ...(m[2] ? { port: Number(m[2]) } : {}) });
  for (const m of text.matchAll(HOST_WORDS)) {
    const h = (m[1] ?? '').toLowerCase();
    if (/^\d+\.\d+\.\d+\.\d+$/.test(h)) continue;
    out.push({ host: h, ...(m[2] ? { port: Number(m[2]) } : {}) });
  }
  for (const m of text.matchAll(IP_PORT)) {
    const ip = m[1] ?? '';
    const port = m[2] ? Number(m[2]) : undefined;
    if (port === 53 || ip === dnsIp) continue;
    out.push({ ip, ...(port !== undefined ? { port } : {}) });
  }
  return out;
}

// ---- signals -----------------------------------------------------------------------------------

export interface LogAnalysis {
  signals: Signal[];
  /** Per pod (`ns/name`) and container, the last error record of the latest terminated instance. */
  lastError: Map<string, ClassifiedRecord>;
}

interface Agg {
  workload: ResourceRef;
  pods: Set<string>;
  podRef: ResourceRef;
  count: number;
  last: ClassifiedRecord;
  previous: boolean;
  fields: Record<string, FieldValue>;
  refs: Signal['refs'];
}

function backendFields(topo: Topology, svc: ServiceInfo): Record<string, FieldValue> {
  const f: Record<string, FieldValue> = {
    service: `${svc.ref.namespace ?? 'default'}/${svc.ref.name}`,
    service_name: svc.ref.name,
    service_namespace: svc.ref.namespace ?? 'default',
    service_found: true,
    ready_endpoints: svc.ready,
    not_ready_endpoints: svc.notReady,
    selects_nothing: svc.selector !== undefined && svc.backends.length === 0 && svc.pods.length === 0,
  };
  if (svc.backends.length) {
    const b = svc.backends[0] as ResourceRef;
    const desired = topo.desiredReplicas(b);
    f['backend'] = refText(b);
    if (desired !== undefined) {
      f['backend_desired'] = desired;
      f['backend_scaled_to_zero'] = desired === 0;
    }
    f['backend_ready'] = topo.readyReplicas(b) ?? 0;
    const nodes = new Set<string>();
    for (const be of svc.backends) for (const p of topo.podsOf(be)) {
      const n = (p['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
      if (typeof n === 'string') nodes.add(n);
    }
    const unready = [...nodes].filter((n) => topo.nodeReady(n) !== undefined && topo.nodeReady(n) !== 'True');
    f['backend_on_unready_node'] = unready.length > 0;
    if (unready.length) f['backend_node'] = unready.join(',');
  }
  return f;
}

/** Extracts `log_error` and `dependency_error` signals. */
export function logSignals(topo: Topology, logs: readonly ContainerLog[]): LogAnalysis {
  const lastError = new Map<string, ClassifiedRecord>();
  const logErrors = new Map<string, Agg>();
  const depErrors = new Map<string, Agg>();
  const dnsIp = topo.dnsService?.clusterIP;
  const dnsRefs = topo.dnsService ? [...topo.dnsService.backends, topo.dnsService.ref] : [];
  const memo = new Map<string, Classification>();
  const targetMemo = new Map<object, Target[]>();

  for (const log of logs) {
    const pod: KubeObject | undefined = topo.get('Pod', log.namespace, log.pod);
    const workload: ResourceRef = pod ? topo.workloadOf(pod) : { kind: 'Pod', name: log.pod, namespace: log.namespace };
    const podRef: ResourceRef = { kind: 'Pod', name: log.pod, namespace: log.namespace };
    const records = classifyLog(log, memo);
    if (!records.length) continue;
    // What the instance died of: the first error of its final burst (an application logs the cause,
    // then "aborting"); a burst is errors less than 5 s apart.
    let last = records[records.length - 1] as ClassifiedRecord;
    for (let i = records.length - 2; i >= 0; i--) {
      const r = records[i] as ClassifiedRecord;
      if (r.time === undefined || last.time === undefined || last.time - r.time > 5000) break;
      last = r;
    }
    const key = `${log.namespace}/${log.pod}/${log.container}`;
    const prior = lastError.get(key);
    if (log.previous || !prior) lastError.set(key, last);

    for (const r of records) {
      // log_error: one per workload, container and class.
      const lk = `${refKey(workload)}|${log.container}|${r.class}`;
      let agg = logErrors.get(lk);
      if (!agg) {
        agg = { workload, pods: new Set(), podRef, count: 0, last: r, previous: false, fields: {}, refs: {} };
        logErrors.set(lk, agg);
        if (r.class === 'disk_full' && pod) {
          const path = /(?:write to|writing|to file|open|mkdir|create) ['"]?(\/[^\s'":]{1,200})/i.exec(r.text)?.[1] ?? /(?:^|[\s'"(])(\/[a-z0-9_.-][a-z0-9_./-]{1,200})/i.exec(r.headline)?.[1];
          const claim = topo.claimAtPath(pod, log.container, path);
          if (claim) {
            agg.refs.pvc = [claim];
            agg.fields['pvc'] = `${claim.namespace ?? ''}/${claim.name}`;
          }
          if (path) agg.fields['path'] = path;
        }
      }
      agg.pods.add(log.pod);
      agg.count++;
      if ((r.time ?? 0) >= (agg.last.time ?? 0)) agg.last = r;
      agg.previous ||= r.previous;
      agg.fields['container'] = log.container;

      if (!NETWORK_CLASSES.has(r.class) && r.class !== 'application') continue;
      // dependency_error: the Services the record names, else the one the configuration points to.
      let targets = targetMemo.get(r.same);
      if (!targets) targetMemo.set(r.same, (targets = targetsOf(r.text, r.class, dnsIp)));
      const resolved: { svc?: ServiceInfo; target: Target }[] = [];
      for (const t of targets) {
        const svc = t.ip ? topo.serviceByIp(t.ip) : t.host ? topo.serviceByHost(t.host, log.namespace) : undefined;
        if (svc && svc.isDns && r.class !== 'dns') continue;
        if (svc) resolved.push({ svc, target: t });
        else if (r.class === 'dns' && t.host) resolved.push({ target: t });
      }
      if (!resolved.length && r.class !== 'application') {
        const refs = topo.references(workload).filter((x) => !x.service.isDns);
        let cands = refs;
        const port = targets.find((t) => t.port !== undefined)?.port;
        if (port !== undefined) cands = cands.filter((x) => x.port === port || x.service.ports.some((p) => p.port === port));
        if (r.class === 'certificate') cands = cands.filter((x) => x.scheme === 'https' || x.port === 443 || x.service.ports.some((p) => p.port === 443));
        const uniq = [...new Map(cands.map((c) => [refKey(c.service.ref), c])).values()];
        const broken = uniq.filter((c) => c.service.ready === 0);
        const pick = uniq.length === 1 ? uniq : broken.length === 1 ? broken : [];
        for (const c of pick) resolved.push({ svc: c.service, target: { host: c.value } });
      }
      const seenSvc = new Set<string>();
      for (const { svc, target } of resolved) {
        const tkey = svc ? refKey(svc.ref) : `host:${target.host ?? ''}`;
        if (seenSvc.has(tkey)) continue;
        seenSvc.add(tkey);
        if (svc && r.class === 'application' && svc.ready > 0) continue;
        const dk = `${refKey(workload)}|${r.class}|${tkey}`;
        let d = depErrors.get(dk);
        if (!d) {
          const fields: Record<string, FieldValue> = { class: r.class, via: targets.length ? 'log' : 'config' };
          const refs: Signal['refs'] = { workload: [workload] };
          if (target.host) fields['host'] = target.host;
          if (target.port !== undefined) fields['port'] = target.port;
          if (svc) {
            Object.assign(fields, backendFields(topo, svc));
            refs.dependency_service = [svc.ref];
            if (svc.backends.length) refs.dependency = [...svc.backends];
            const blocking = topo.policiesBlocking(workload, svc);
            fields['blocked_by_policy'] = blocking.length > 0;
            if (blocking.length) {
              refs.policy = blocking;
              fields['policy'] = blocking.map((b) => `${b.namespace ?? ''}/${b.name}`).join(', ');
            }
            fields['in_cluster'] = true;
          } else {
            fields['service_found'] = false;
            fields['in_cluster'] = /\.svc(?:\.|$)|\.cluster\.local$|^[a-z0-9-]+$/.test(target.host ?? '');
          }
          if (r.class === 'dns') {
            fields['name_exists'] = svc !== undefined;
            if (topo.dnsService) {
              fields['dns_ready'] = topo.dnsService.ready;
              refs.dns = dnsRefs;
            }
            if (!svc && target.host && !target.host.includes('.')) {
              const similar = topo.services.find((s) => s.ref.name === target.host);
              if (similar) fields['similar_service'] = `${similar.ref.namespace ?? ''}/${similar.ref.name}`;
            }
          }
          d = { workload, pods: new Set(), podRef, count: 0, last: r, previous: false, fields, refs };
          depErrors.set(dk, d);
        }
        d.pods.add(log.pod);
        d.count++;
        if ((r.time ?? 0) >= (d.last.time ?? 0)) d.last = r;
        d.previous ||= r.previous;
      }
    }
  }

  const signals: Signal[] = [];
  for (const a of logErrors.values()) {
    signals.push({
      name: 'log_error',
      subject: a.podRef,
      refs: { workload: [a.workload], pod: [a.podRef], ...a.refs },
      fields: { ...a.fields, class: a.last.class, pattern: a.last.pattern ?? a.last.class, line: a.last.headline, count: a.count, pods: a.pods.size, previous: a.previous, pod: a.podRef.name },
      ...(a.last.time !== undefined ? { at: a.last.time } : {}),
    });
  }
  for (const d of depErrors.values()) {
    signals.push({
      name: 'dependency_error',
      subject: d.podRef,
      refs: { pod: [d.podRef], ...d.refs },
      fields: { ...d.fields, line: d.last.headline, count: d.count, pods: d.pods.size, previous: d.previous, client: refText(d.workload), pod: d.podRef.name },
      ...(d.last.time !== undefined ? { at: d.last.time } : {}),
    });
  }
  return { signals, lastError };
}
