/**
 * Removes secrets and personal data from text before it leaves the process for an LLM (docs/llm.md,
 * "Redaction"). Each finding is replaced by a typed placeholder such as `[REDACTED_IP]`, so the model
 * still knows something was there and what kind of thing it was.
 *
 * The rules are tuned for Kubernetes text: pod and node names, quantities (`128Mi`), exit codes,
 * timestamps, image references (`nginx:1.25.3`, `app@sha256:…`), container ids and UIDs stay as they are,
 * because the model needs them to say anything useful. Over-redacting a secret-looking string is
 * preferred to leaking one.
 */

export type RedactionKind = 'private_key' | 'url_credentials' | 'token' | 'aws_key' | 'secret' | 'email' | 'ip';

export const REDACTION_KINDS: readonly RedactionKind[] = ['private_key', 'url_credentials', 'token', 'aws_key', 'secret', 'email', 'ip'];

/** The placeholder written in place of each kind of finding. */
export const REDACTION_PLACEHOLDERS: Readonly<Record<RedactionKind, string>> = {
  private_key: '[REDACTED_PRIVATE_KEY]',
  url_credentials: '[REDACTED_CREDENTIALS]',
  token: '[REDACTED_TOKEN]',
  aws_key: '[REDACTED_AWS_KEY]',
  secret: '[REDACTED_SECRET]',
  email: '[REDACTED_EMAIL]',
  ip: '[REDACTED_IP]',
};

export interface RedactionResult {
  text: string;
  /** How many findings of each kind were replaced (every kind present, 0 when none). */
  counts: Record<RedactionKind, number>;
}

type Counts = Record<RedactionKind, number>;

interface Rule {
  kind: RedactionKind;
  pattern: RegExp;
  /** The replacement for one match; return the match itself to keep it. */
  replace: (match: string, groups: string[], offset: number, whole: string) => string;
}

const P = REDACTION_PLACEHOLDERS;
const isPlaceholder = (s: string) => /^\[REDACTED_[A-Z_]+\]$/.test(s);

// Words after which a value is a secret: `password=…`, `"client_secret": "…"`, `X-Api-Key: …`. The key
// must end in one of them (optionally followed by _key/_id/_value), so `max_tokens: 512`, `secretName: db`
// and `tokenizer=x` are left alone.
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]{0,48}?(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|auth[_-]?key|credentials?|session[_-]?id|cookie)(?:[_.-]?(?:key|id|value))?`;

// ---- IPv4 ------------------------------------------------------------------------------------------

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = String.raw`${OCTET}(?:\.${OCTET}){3}`;

// After `word:` a dotted quad is usually an image tag (`app:1.2.3.4`); it is an address only when the
// word names one (`ip:10.0.0.1`, `host:…`).
const ADDRESS_WORD = /(?:^|[^A-Za-z0-9])(?:ip|ips|addr|address|host|hostip|podip|endpoint|server|client|peer|remote|src|dst|source|destination|from|to|nameserver|gateway)$/i;

function keepIpv4(match: string, offset: number, whole: string): boolean {
  // Loopback and the unspecified address identify nobody, and "refused on 127.0.0.1" is a useful clue.
  if (match === '0.0.0.0' || match.startsWith('127.')) return true;
  const before = whole.slice(Math.max(0, offset - 40), offset);
  if (/[A-Za-z0-9_.-]$/.test(before)) return true;
  if (/[A-Za-z0-9_]:$/.test(before)) return !ADDRESS_WORD.test(before.slice(0, -1));
  return false;
}

// ---- IPv6 ------------------------------------------------------------------------------------------

function isIpv6(text: string): boolean {
  let s = text;
  let tailGroups = 0;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    if (!new RegExp(`^${IPV4}$`).test(v4[1] ?? '')) return false;
    s = s.slice(0, s.length - (v4[1] ?? '').length) + '0';
    tailGroups = 1;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string | undefined) => (h === undefined || h === '' ? [] : h.split(':'));
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = all.length + tailGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function keepIpv6(candidate: string): boolean {
  if (!isIpv6(candidate)) return true;
  // `::1` and `::` say nothing about anyone; `abc::def` (C++ scopes) has no digit.
  const groups = candidate.split(':').filter((g) => g !== '');
  if (groups.length < 2) return true;
  return !/\d/.test(candidate);
}

// ---- long opaque tokens ------------------------------------------------------------------------------

function keepHex(offset: number, whole: string): boolean {
  // Image digests and container ids are how Kubernetes names things, not secrets.
  const before = whole.slice(Math.max(0, offset - 16), offset);
  return /(?:sha256|sha512|sha1|md5):$/i.test(before) || /:\/\/$/.test(before) || /\bcommit[ :=]$/i.test(before);
}

function looksLikeToken(candidate: string): boolean {
  const digits = candidate.replace(/[^0-9]/g, '').length;
  const upper = candidate.replace(/[^A-Z]/g, '').length;
  const lower = candidate.replace(/[^a-z]/g, '').length;
  if (digits < 2 || upper < 2 || lower < 2) return false;
  // `/apis/apps/v1/namespaces/...` is a path, not base64: base64 rarely puts a whole word between slashes.
  if (candidate.includes('/') && candidate.split('/').some((part) => /^(?:[a-z]{3,}|v\d+)$/.test(part))) return false;
  return true;
}

// ---- the rules, in order -----------------------------------------------------------------------------

const RULES: readonly Rule[] = [
  {
    kind: 'private_key',
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----[\s\S]*?-----END \1PRIVATE KEY\2-----/g,
    replace: () => P.private_key,
  },
  {
    // A block cut off by a log line limit still holds most of the key.
    kind: 'private_key',
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:\s+(?:[A-Za-z0-9+/=]{8,}|[A-Za-z-]+: .*))*/g,
    replace: () => P.private_key,
  },
  {
    kind: 'url_credentials',
    pattern: /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s/@:?#[\]]+):([^\s/@?#]+)@/gi,
    replace: (_m, g) => `${g[0] ?? ''}${P.url_credentials}@`,
  },
  {
    kind: 'token',
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(Bearer|Basic|Digest|Token|Negotiate|AWS4-HMAC-SHA256)\s+)?([^\s"',;]+)/gi,
    replace: (m, g) => (isPlaceholder(g[2] ?? '') ? m : `${g[0] ?? ''}${g[1] ? `${g[1]} ` : ''}${P.token}`),
  },
  {
    kind: 'token',
    pattern: /\b(Bearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi,
    replace: (_m, g) => `${g[0] ?? ''}${P.token}`,
  },
  {
    // JWTs: base64url header and payload, both JSON objects ("eyJ" is `{"`).
    kind: 'token',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    replace: () => P.token,
  },
  {
    // Tokens whose prefix says what they are: GitHub, GitLab, Slack, OpenAI-style, Google API keys.
    kind: 'token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})\b/g,
    replace: () => P.token,
  },
  {
    kind: 'aws_key',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g,
    replace: () => P.aws_key,
  },
  {
    kind: 'secret',
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_])(${SECRET_KEY})(["']?\s*[:=]\s*)(\[REDACTED_[A-Z_]+\]|"[^"\n]*"|'[^'\n]*'|[^\s"',;&}\])]+)`, 'gi'),
    replace: (m, g) => {
      const value = g[2] ?? '';
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      const inner = quote ? value.slice(1, -1) : value;
      if (inner === '' || isPlaceholder(inner) || /^(?:null|none|true|false|\*+)$/i.test(inner)) return m;
      return `${g[0] ?? ''}${g[1] ?? ''}${quote}${P.secret}${quote}`;
    },
  },
  {
    kind: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g,
    replace: () => P.email,
  },
  {
    kind: 'ip',
    pattern: /(?<![A-Za-z0-9_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d+\.\d+\.\d+\.\d+|[0-9A-Fa-f]{1,4})?(?![A-Za-z0-9_:]|\.\d)/g,
    replace: (m) => (keepIpv6(m) ? m : P.ip),
  },
  {
    kind: 'ip',
    pattern: new RegExp(String.raw`${IPV4}(?![0-9A-Za-z_]|\.\d)`, 'g'),
    replace: (m, _g, offset, whole) => (keepIpv4(m, offset, whole) ? m : P.ip),
  },
  {
    kind: 'token',
    pattern: /(?<![A-Za-z0-9_])[0-9a-fA-F]{32,}(?![A-Za-z0-9_])/g,
    replace: (m, _g, offset, whole) => (keepHex(offset, whole) ? m : P.token),
  },
  {
    kind: 'token',
    pattern: /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/=_-])/g,
    replace: (m) => (looksLikeToken(m) ? P.token : m),
  },
];

/**
 * Replaces secrets (private keys, URL credentials, bearer and JWT tokens, well-known API tokens, AWS
 * access keys, `password=`/`secret:`/`api_key` style values, long hex or base64 tokens), email addresses
 * and IPv4/IPv6 addresses in `text` by typed placeholders. Pure; never throws.
 */
export function redact(text: string): RedactionResult {
  const counts = emptyCounts();
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      const groupsEnd = args.findIndex((a, i) => i > 0 && typeof a === 'number');
      const groups = args.slice(1, groupsEnd).map((g) => (typeof g === 'string' ? g : ''));
      const offset = args[groupsEnd] as number;
      const whole = args[groupsEnd + 1] as string;
      const replaced = rule.replace(match, groups, offset, whole);
      if (replaced !== match) counts[rule.kind] += 1;
      return replaced;
    });
  }
  return { text: out, counts };
}

/** The sum of two redaction tallies. */
export function addRedactionCounts(a: Readonly<Counts>, b: Readonly<Counts>): Counts {
  const out = emptyCounts();
  for (const k of REDACTION_KINDS) out[k] = a[k] + b[k];
  return out;
}

export function emptyCounts(): Counts {
  return { private_key: 0, url_credentials: 0, token: 0, aws_key: 0, secret: 0, email: 0, ip: 0 };
}
