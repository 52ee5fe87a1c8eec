/**
 * Which root causes a runbook section is about, by a table of keyword patterns per taxonomy id in
 * Chinese and English (documented in docs/runbooks.md). Where a word appears decides how much it
 * counts: in the section's heading or its symptoms a match is strong; in prose and step texts it is
 * weak; inside a command it barely counts, so a procedure that runs `kubectl top` is not a CPU runbook.
 */
import { ROOT_CAUSE_TYPES, type RootCauseType } from '../../contracts/root-cause-taxonomy.js';
import type { RunbookSection } from './parse-runbook.js';

export interface CauseMatch {
  cause: RootCauseType;
  /** 0..1: how strongly the section is about this cause. */
  score: number;
  /** What matched, as `<where>: <text>` (`heading: OOM`, `symptom: 429`), strongest first. */
  matched: string[];
}

/** One keyword pattern: which causes it points to and how specific it is for each (0..1). */
export interface CausePattern {
  /** Without the `g` or `y` flag, so `exec` keeps no state between calls. */
  pattern: RegExp;
  causes: Readonly<Partial<Record<RootCauseType, number>>>;
}

/**
 * The keyword table. Strength 1 means the words name the cause outright (OOMKilled, 连接池耗尽,
 * HTTP 429); lower means the words go with the cause but also with others (CrashLoopBackOff).
 * There is no taxonomy id for a cache avalanche: it is the cache becoming unavailable
 * (DependencyUnavailable) and the load it pushes onto the database (ConnectionPoolExhausted).
 */
export const CAUSE_PATTERNS: readonly CausePattern[] = [
  // Memory
  { pattern: /\bOOM(?:Kill(?:ed|er|ing))?\b|out[ -]?of[ -]?memory|OutOfMemory(?:Error)?|内存溢出|内存耗尽|exit(?:\s*code)?\s*[:=]?\s*137\b|退出码\s*137|memory cgroup out of memory/i, causes: { OOMKilled: 1, MemoryLeak: 0.5 } },
  { pattern: /内存泄[漏露]|memory leak|内存(?:持续|不断)?(?:增长|上涨|飙升)|memory (?:keeps )?grow(?:s|ing|th)|heap (?:dump|growth)|堆内存|无限增长|GC overhead/i, causes: { MemoryLeak: 1, OOMKilled: 0.4 } },
  { pattern: /内存不足|内存使用率?(?:过高|高)|high memory|memory usage/i, causes: { OOMKilled: 0.5, MemoryLeak: 0.4, NodeMemoryPressure: 0.3 } },
  // Connections, caches, upstreams
  { pattern: /连接池|connection pool|HikariPool|Hikari|QueuePool|pool (?:is )?exhausted|too many (?:connections|clients)|remaining connection slots|max_connections|连接数(?:耗尽|打满|已满|超限|过多)|Connection is not available/i, causes: { ConnectionPoolExhausted: 1 } },
  { pattern: /缓存雪崩|cache avalanche|cache stampede|thundering herd|缓存击穿|缓存穿透/i, causes: { DependencyUnavailable: 0.9, ConnectionPoolExhausted: 0.7 } },
  { pattern: /(?:请求|流量)(?:直接)?(?:打到|打穿|压到)数据库|数据库(?:压力|负载)(?:过大|激增|飙升)|数据库\s*CPU\s*(?:打满|飙升|100%)|database (?:overload|overwhelmed)/i, causes: { ConnectionPoolExhausted: 0.6, DependencyUnavailable: 0.3 } },
  { pattern: /\b429\b|rate[ -]?limit(?:ed|ing)?|too many requests|(?<!CPU\s?)限流|请求频率(?:超限|过高)|配额用尽|throttled by (?:the )?(?:api|upstream|provider)/i, causes: { UpstreamRateLimited: 1 } },
  { pattern: /依赖(?:服务)?(?:不可用|故障|宕机|超时)|下游(?:服务)?(?:不可用|故障)|上游(?:服务)?(?:不可用|故障|宕机)|(?:redis|数据库|database|db|mongodb|postgres(?:ql)?|mysql|kafka|缓存|cache)\s*(?:服务)?(?:不可用|宕机|挂了|连接失败|无法连接|is down|unavailable|unreachable)|connection refused|ECONNREFUSED|dependency (?:down|unavailable|failure)|upstream (?:down|unavailable|timeout)|\b503\b|no healthy upstream/i, causes: { DependencyUnavailable: 0.9 } },
  { pattern: /超时|timed? ?out|响应(?:时间)?(?:变慢|急剧上升|过长)|latency/i, causes: { DependencyUnavailable: 0.3, ConnectionPoolExhausted: 0.2, CPUThrottling: 0.15 } },
  // Images, configuration, crashes
  { pattern: /ImagePullBackOff|ErrImagePull|镜像拉取失败|拉取镜像失败|image pull|pull access denied|manifest unknown|镜像不存在/i, causes: { ImagePullError: 1 } },
  { pattern: /configmap[^\n]{0,40}(?:not found|不存在|缺失|missing)|(?:缺少|缺失|找不到)\s*configmap/i, causes: { MissingConfigMap: 1 } },
  { pattern: /secret[^\n]{0,40}(?:not found|不存在|缺失|missing)|(?:缺少|缺失|找不到)\s*secret/i, causes: { MissingSecret: 1 } },
  { pattern: /CreateContainerConfigError/i, causes: { MissingConfigMap: 0.5, MissingSecret: 0.5, ConfigurationError: 0.4 } },
  { pattern: /配置错误|配置(?:有误|缺失|不正确)|configuration error|misconfigur|invalid config|环境变量(?:缺失|未设置|错误)|missing (?:env|environment variable)|is not set\b/i, causes: { ConfigurationError: 1 } },
  { pattern: /CrashLoopBackOff|频繁重启|反复重启|restart(?:s|ing)? (?:repeatedly|in a loop)|crash ?loop/i, causes: { ApplicationCrash: 0.6, ConfigurationError: 0.35, OOMKilled: 0.25 } },
  { pattern: /\bpanic\b|unhandled exception|uncaught exception|NullPointerException|segfault|segmentation fault|段错误|应用崩溃|程序崩溃|Traceback \(most recent call last\)|stack trace/i, causes: { ApplicationCrash: 1 } },
  { pattern: /exit(?:\s*code)?\s*[:=]?\s*12[78]\b|executable file not found|command not found|找不到命令|命令不存在|no such file or directory: unknown/i, causes: { CommandNotFound: 1 } },
  // Network and names
  { pattern: /\bDNS\b|域名解析|解析失败|CoreDNS|kube-dns|NXDOMAIN|no such host|name resolution|getaddrinfo|EAI_AGAIN/i, causes: { DNSResolutionFailure: 1 } },
  { pattern: /证书(?:过期|失效|到期)|certificate (?:has )?expired|cert(?:ificate)? expir|x509|TLS handshake|SSL certificate|not yet valid/i, causes: { CertificateExpired: 1 } },
  { pattern: /NetworkPolicy[^\n]{0,40}(?:block|drop|deny|denied|拦截|阻断|禁止)|(?:blocked|dropped|denied) by (?:a )?NetworkPolicy|网络策略[^\n]{0,20}(?:拦截|阻断|禁止|限制)/i, causes: { NetworkPolicyBlocked: 1 } },
  { pattern: /NetworkPolicy|网络策略/i, causes: { NetworkPolicyBlocked: 0.6 } },
  { pattern: /(?:no|没有|无)\s*(?:ready\s*)?endpoints?|endpoints?\s*(?:为空|是空的|empty)|selector\s*(?:mismatch|不匹配)|targetPort/i, causes: { ServiceSelectorMismatch: 0.9 } },
  // Probes
  { pattern: /liveness probe|存活探针|Liveness probe failed/i, causes: { LivenessProbeFailure: 1 } },
  { pattern: /readiness probe|就绪探针|Readiness probe failed/i, causes: { ReadinessProbeFailure: 1 } },
  { pattern: /健康检查失败|health ?check (?:fail|failing)|probe failed/i, causes: { LivenessProbeFailure: 0.5, ReadinessProbeFailure: 0.5 } },
  // Scheduling
  { pattern: /Insufficient (?:cpu|memory|nvidia)|资源不足|FailedScheduling|无法调度|调度失败|unschedulable|didn't have enough resource/i, causes: { InsufficientResources: 1 } },
  { pattern: /didn't match (?:Pod's )?node (?:selector|affinity)|(?:node ?selector|node affinity|节点选择器|节点亲和性?)[^\n]{0,20}(?:mismatch|不匹配|匹配不到|no (?:matching )?nodes?)|没有(?:匹配|符合)[^\n]{0,10}节点/i, causes: { NodeSelectorMismatch: 1 } },
  { pattern: /node ?selector|node affinity|节点选择器|节点亲和/i, causes: { NodeSelectorMismatch: 0.4 } },
  { pattern: /untolerated taint|had (?:an )?untolerated|(?:taint|污点)[^\n]{0,20}(?:not tolerated|不容忍|无法容忍|未容忍)/i, causes: { UntoleratedTaint: 1 } },
  { pattern: /\btaints?\b|污点|toleration|容忍/i, causes: { UntoleratedTaint: 0.5 } },
  { pattern: /ResourceQuota|exceeded quota|配额(?:不足|超限|超出)|LimitRange/i, causes: { QuotaExceeded: 1 } },
  // Storage
  { pattern: /PVC\s*(?:处于\s*)?Pending|PersistentVolumeClaim[^\n]{0,30}pending|存储类(?:不存在|错误)|StorageClass[^\n]{0,30}(?:not found|missing|不存在)|ProvisioningFailed|卷声明/i, causes: { PVCPending: 1 } },
  { pattern: /FailedMount|FailedAttachVolume|挂载失败|mount(?:ing)? failed|Unable to attach or mount/i, causes: { VolumeMountFailure: 1 } },
  { pattern: /磁盘(?:已)?(?:满|写满|空间不足)|disk (?:is )?full|no space left on device|ENOSPC|存储空间不足|volume (?:is )?full/i, causes: { DiskFull: 1, NodeDiskPressure: 0.3 } },
  // Nodes
  { pattern: /NotReady|节点(?:不可用|宕机|故障|失联|离线)|node (?:is )?(?:down|unreachable|not ready|lost)|kubelet (?:down|stopped|not running)|kubelet 停止/i, causes: { NodeNotReady: 1 } },
  { pattern: /DiskPressure|节点磁盘(?:压力|不足)|ephemeral-storage|evicted[^\n]{0,40}disk/i, causes: { NodeDiskPressure: 1 } },
  { pattern: /MemoryPressure|节点内存(?:压力|不足)|evicted[^\n]{0,40}memory/i, causes: { NodeMemoryPressure: 1 } },
  // Workloads
  { pattern: /(?:发布|上线|部署|升级)(?:新版本)?后[^\n]{0,20}(?:异常|故障|失败|崩溃|报错)|新版本[^\n]{0,20}(?:异常|故障|失败|崩溃|报错)|bad (?:rollout|deploy(?:ment)?|release)|(?:rollout|deploy(?:ment)?|release) (?:broke|failed|regression)|after (?:the )?(?:rollout|deploy(?:ment)?|release)/i, causes: { BadRollout: 1 } },
  { pattern: /CPU\s*throttl|CPU\s*限流|CPU\s*节流|throttled at (?:the )?cpu limit|cpu limit|CPU\s*限制/i, causes: { CPUThrottling: 1 } },
  { pattern: /CPU\s*(?:使用率)?(?:过高|打满|飙升|100%)|high cpu/i, causes: { CPUThrottling: 0.4 } },
  { pattern: /BackoffLimitExceeded|DeadlineExceeded|job (?:has )?failed|(?:Job|任务|CronJob|批处理|定时任务)\s*(?:执行)?失败/i, causes: { JobFailed: 1 } },
  { pattern: /HPA[^\n]{0,30}(?:最大|上限|max)|maxReplicas|扩容(?:已)?(?:达|到)(?:上限|最大)|autoscal[^\n]{0,30}max/i, causes: { HPAMaxedOut: 1 } },
];

/** How much a match counts by where it is found. */
export const FIELD_WEIGHTS = {
  heading: 1,
  symptom: 1,
  /** What the section itself lists as causes (常见原因). */
  cause: 0.6,
  /** The headings above the section: "常见故障" says little, "Redis" under it says more. */
  parent: 0.4,
  step: 0.3,
  note: 0.3,
  command: 0.1,
} as const;
/** The most all command matches together may add: mentioning `kubectl top` never makes a CPU runbook. */
export const COMMAND_CAP = 0.15;
/** Matches below this are not returned. */
export const MIN_CAUSE_SCORE = 0.2;

type Field = keyof typeof FIELD_WEIGHTS;

/** The section's words by field. */
function fieldsOf(section: RunbookSection): [Field, string][] {
  const out: [Field, string][] = [['heading', section.heading_path[section.heading_path.length - 1] ?? '']];
  for (const h of section.heading_path.slice(0, -1)) out.push(['parent', h]);
  for (const s of section.symptoms) out.push(['symptom', s]);
  for (const c of section.causes) out.push(['cause', c]);
  for (const n of section.notes) out.push(['note', n]);
  for (const step of [...section.diagnosis, ...section.handling]) {
    if (step.text) out.push(['step', step.text]);
    if (step.command) out.push(['command', step.command]);
  }
  return out;
}

/**
 * The causes the section is about, strongest first (ties in taxonomy order), each with its score and
 * what matched. Only causes scoring at least MIN_CAUSE_SCORE; an empty list for a section about
 * something else (a release procedure, a backup).
 */
export function matchCauses(section: RunbookSection): CauseMatch[] {
  /** cause → field → the strongest strength per pattern, and what matched. */
  type Hit = { strength: number; what: string };
  const hits = new Map<RootCauseType, Map<Field, Map<number, Hit>>>();
  const fields = fieldsOf(section);
  CAUSE_PATTERNS.forEach((p, index) => {
    for (const [field, text] of fields) {
      const m = p.pattern.exec(text);
      if (!m) continue;
      for (const [cause, strength] of Object.entries(p.causes) as [RootCauseType, number][]) {
        let byField = hits.get(cause);
        if (!byField) hits.set(cause, (byField = new Map<Field, Map<number, Hit>>()));
        let byPattern = byField.get(field);
        if (!byPattern) byField.set(field, (byPattern = new Map<number, Hit>()));
        const previous = byPattern.get(index);
        if (!previous || previous.strength < strength) byPattern.set(index, { strength, what: `${field}: ${m[0]}` });
      }
    }
  });
  const out: CauseMatch[] = [];
  for (const [cause, byField] of hits) {
    let miss = 1;
    const matched: { what: string; weight: number }[] = [];
    for (const [field, byPattern] of byField) {
      let fieldMiss = 1;
      for (const { strength, what } of byPattern.values()) {
        const weight = strength * FIELD_WEIGHTS[field];
        fieldMiss *= 1 - weight;
        matched.push({ what, weight });
      }
      const fieldScore = field === 'command' ? Math.min(COMMAND_CAP, 1 - fieldMiss) : 1 - fieldMiss;
      miss *= 1 - fieldScore;
    }
    const score = Math.round((1 - miss) * 1000) / 1000;
    if (score < MIN_CAUSE_SCORE) continue;
    const seen = new Set<string>();
    out.push({
      cause,
      score,
      matched: matched
        .sort((a, b) => b.weight - a.weight)
        .map((m) => m.what)
        .filter((w) => !seen.has(w) && seen.add(w)),
    });
  }
  const order = (c: RootCauseType) => ROOT_CAUSE_TYPES.indexOf(c);
  return out.sort((a, b) => b.score - a.score || order(a.cause) - order(b.cause));
}
