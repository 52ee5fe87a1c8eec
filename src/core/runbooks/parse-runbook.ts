/**
 * Markdown runbooks as operations teams write them — Chinese or English — turned into sections the
 * analysis can link to root causes and cite. Pure: text in, data out; commands are kept verbatim as
 * steps and never run. What is read, and how: docs/runbooks.md.
 *
 * A section is a heading with the text under it, down to the next heading. Headings or bold labels
 * named like a role — 症状/现象/Symptoms, 诊断/排查/Diagnosis, 处理/解决/Resolution/Fix, 原因/Causes —
 * do not start a section: they sort what follows into the enclosing section's symptoms, diagnosis or
 * handling lists. Fenced code blocks and inline command spans (`kubectl …`) become steps.
 */

export interface RunbookStep {
  /** What the step says to do, plain text (markdown removed); '' when a command stands alone. */
  text: string;
  /** The command exactly as written in the runbook (several lines for a continued or grouped command). */
  command?: string;
  /** The code block's language (`bash`, `sql`), or `shell`/`sql` for an inline command. */
  language?: string;
}

export interface RunbookSection {
  /** Stable slug path of the heading and its parents, e.g. `常见故障及处理/故障-1-服务-oom`. */
  id: string;
  /** The headings from the top of the runbook down to this one (the title and role headings left out). */
  heading_path: string[];
  /** Markdown heading level, 1 to 6. */
  level: number;
  /** 1-based line of the heading, for citations (`runbook.md:978`). */
  line: number;
  symptoms: string[];
  diagnosis: RunbookStep[];
  handling: RunbookStep[];
  /** What the section lists as causes (常见原因, Possible causes), plain text. */
  causes: string[];
  /** Other prose and bullets of the section, plain text: what is neither symptom, step nor cause. */
  notes: string[];
  /** The first incident level (P0–P3) the heading or the section names. */
  severity?: string;
  /** Alert names the section mentions on lines about alerts (`KubePodCrashLooping`). */
  alerts: string[];
  /** The section's own markdown below its heading, without its sub-sections. */
  text: string;
}

export interface Runbook {
  /** Where it was read from, as given. */
  source: string;
  title: string;
  sections: RunbookSection[];
}

type Role = 'symptoms' | 'diagnosis' | 'handling' | 'causes';

/**
 * Role labels, checked in this order (根因排查 is a diagnosis, not a cause). A heading or label is a
 * role only when the label is all of it, optionally followed by a word like 步骤/steps — so
 * "P0/P1 故障应急流程" stays a section.
 */
const ROLE_LABELS: readonly (readonly [Role, RegExp])[] = [
  ['diagnosis', /^(?:根因排查|排查|诊断|定位|检查|问题排查|故障排查|故障定位|排查思路|确认|diagnosis|diagnose|diagnostics|investigation|investigate|troubleshooting|troubleshoot|triage|debugging|checks?|how to (?:check|diagnose|investigate))(?:\s*(?:步骤|方法|命令|思路|流程|steps?|procedure|commands?))?$/i],
  ['handling', /^(?:处理|解决|处置|修复|恢复|应急处理|应急|止损|紧急处理|处理方法|解决方法|解决方案|处理方案|修复方案|resolution|resolve|handling|fix|fixes|mitigation|mitigate|remediation|recovery|workaround|actions?|what to do|how to fix)(?:\s*(?:步骤|方法|命令|措施|方案|流程|steps?|procedure|commands?))?$/i],
  ['symptoms', /^(?:症状|现象|故障现象|问题现象|表现|故障表现|告警表现|告警|触发告警|symptoms?|signs?|indicators?|alerts?|what you see|how it shows)$/i],
  ['causes', /^(?:原因|常见原因|可能原因|根因|根本原因|causes?|common causes|possible causes|likely causes|root causes?)$/i],
];

/** Code block languages whose text is shell commands, split into steps at comments. */
const SHELL_LANGUAGES = new Set(['bash', 'sh', 'shell', 'zsh', 'console', 'shell-session', 'shellsession', 'terminal', 'powershell', 'ps1', 'pwsh']);

/** Words a command starts with; an inline code span starting with one of them (and an argument) is a command. */
const COMMAND_START =
  /^(?:sudo\s+)?(?:kubectl|k|helm|redis-cli|psql|pg_dump|pg_restore|mysql|mysqladmin|mongo|mongosh|curl|wget|docker|crictl|nerdctl|ctr|systemctl|journalctl|service|aetherius|git|ssh|scp|aws|gcloud|az|eksctl|etcdctl|istioctl|linkerd|argocd|flux|terraform|ansible|jq|top|free|df|du|ps|kill|netstat|ss|dig|nslookup|host|ping|traceroute|tcpdump|openssl|nc|telnet|iptables|vmstat|iostat|jstack|jmap|jcmd|python3?|node|npm|make|bash|sh|\.\/\S+)\s+\S/;
const SQL_START = /^(?:SELECT|SHOW|KILL|ALTER|UPDATE|DELETE|INSERT|EXPLAIN|SET|FLUSH|CALL|VACUUM|ANALYZE|REINDEX)\s+\S/i;

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE_OPEN = /^( {0,12})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/;
const ORDERED_ITEM = /^\s*\d+[.)]\s+/;
const SEVERITY = /\bP[0-3]\b/;

/** Markdown inline syntax removed: emphasis, code ticks, links, images, HTML tags, list markers. */
export function plainText(markdown: string): string {
  return markdown
    .replace(LIST_ITEM, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_]([^*_\s][^*_]*?)[*_](?=[^\w*]|$)/g, '$1$2')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Heading text without its number ("3.3 常见故障" → "常见故障"), for ids that survive renumbering. */
function withoutNumbering(heading: string): string {
  return heading.replace(/^(?:\d+(?:\.\d+)*[.)]?|[一二三四五六七八九十]+[、.])\s+/, '');
}

/** Lowercase, letters (any script) and digits kept, everything else one '-'. */
export function slug(heading: string): string {
  const s = withoutNumbering(plainText(heading))
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'section';
}

function roleOf(label: string): Role | undefined {
  const text = withoutNumbering(plainText(label)).replace(/[:：]\s*$/, '').trim();
  for (const [role, re] of ROLE_LABELS) if (re.test(text)) return role;
  return undefined;
}

/**
 * A line that is only a role label — `**症状**:`, `**Symptoms:**`, `Resolution:` — possibly followed by
 * text on the same line (`**症状**: Pod 状态为 CrashLoopBackOff`).
 */
function roleLabel(line: string): { role: Role; rest: string } | undefined {
  const bold = /^\s*(?:\*\*|__)([^*_]+?)(?:\*\*|__)\s*[:：]?\s*(.*)$/.exec(line);
  if (bold) {
    const label = (bold[1] as string).replace(/[:：]\s*$/, '');
    const role = roleOf(label);
    return role ? { role, rest: bold[2] as string } : undefined;
  }
  const plain = /^\s*([^:：`*]{1,40})[:：]\s*(.*)$/.exec(line);
  if (plain && !LIST_ITEM.test(line)) {
    const role = roleOf(plain[1] as string);
    if (role) return { role, rest: plain[2] as string };
  }
  return undefined;
}

function commandIn(code: string): { command: string; language: string } | undefined {
  const c = code.trim();
  if (COMMAND_START.test(c)) return { command: c, language: 'shell' };
  if (SQL_START.test(c)) return { command: c, language: 'sql' };
  return undefined;
}

/** The inline code spans of a line that are commands. */
function inlineCommands(line: string): { command: string; language: string }[] {
  const out: { command: string; language: string }[] = [];
  for (const m of line.matchAll(/(`+)(.+?)\1/g)) {
    const found = commandIn(m[2] as string);
    if (found) out.push(found);
  }
  return out;
}

/** Whether the quote state of a shell line leaves a quote open (a multi-line `psql -c "…"`). */
function quoteStateAfter(line: string, open: '"' | "'" | undefined): '"' | "'" | undefined {
  let q = open;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q === "'") {
      if (c === "'") q = undefined;
    } else if (c === '\\') i++;
    else if (q === '"') {
      if (c === '"') q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) break;
  }
  return q;
}

/**
 * Steps of one code block. A shell block is split at its comments: each comment (or run of comments)
 * is the text of the command lines after it, up to a blank line or the next comment; a command whose
 * quote or trailing backslash continues keeps its lines together. Any other block is one step.
 */
export function codeBlockSteps(code: string, language: string | undefined, caption: string): RunbookStep[] {
  const lines = code.split('\n');
  const lang = language?.toLowerCase();
  const firstCommand = lines.map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  const shell = lang ? SHELL_LANGUAGES.has(lang) : firstCommand !== undefined && commandIn(firstCommand) !== undefined;
  const withLanguage = (step: RunbookStep): RunbookStep => (lang || shell ? { ...step, language: lang ?? 'shell' } : step);
  if (!shell) return code.trim() === '' ? [] : [withLanguage({ text: caption, command: code.replace(/\n+$/, '') })];
  const steps: RunbookStep[] = [];
  let comments: string[] = [];
  let group: string[] = [];
  let quote: '"' | "'" | undefined;
  let continued = false;
  const flush = () => {
    if (group.length) steps.push(withLanguage({ text: comments.join(' ') || caption, command: group.join('\n') }));
    else if (comments.length) steps.push({ text: comments.join(' ') });
    comments = [];
    group = [];
  };
  for (const line of lines) {
    const trimmed = line.trim();
    if (!quote && !continued) {
      if (trimmed === '') {
        if (group.length || comments.length) flush();
        continue;
      }
      if (trimmed.startsWith('#') && !trimmed.startsWith('#!')) {
        if (group.length) flush();
        comments.push(trimmed.replace(/^#+\s*/, ''));
        continue;
      }
    }
    group.push(line);
    quote = quoteStateAfter(line, quote);
    continued = !quote && /\\$/.test(line);
  }
  flush();
  return steps;
}

/** A closing fence: the opening's character, at least as many, nothing after (CommonMark). */
function closesFence(line: string, fence: string): boolean {
  const t = line.trim();
  return t.startsWith(fence) && /^(`+|~+)$/.test(t) && t[0] === fence[0];
}

interface HeadingLine {
  index: number;
  level: number;
  text: string;
}

/** Headings outside fenced code blocks. */
function headingsOf(lines: readonly string[]): HeadingLine[] {
  const out: HeadingLine[] = [];
  let fence: string | undefined;
  lines.forEach((line, index) => {
    if (fence) {
      if (closesFence(line, fence)) fence = undefined;
      return;
    }
    const open = FENCE_OPEN.exec(line);
    if (open) {
      fence = open[2];
      return;
    }
    const h = HEADING.exec(line);
    if (h) out.push({ index, level: (h[1] as string).length, text: (h[2] ?? '').trim() });
  });
  return out;
}

/** The default list for commands in a section without a role label: a checking section's commands diagnose. */
const CHECKING_HEADING = /排查|诊断|检查|确认|分析|定位|查看|监控|巡检|diagnos|investigat|troubleshoot|check|inspect|verify|triage|monitor/i;

interface Span {
  /** First line of the span's markdown (a role heading's own line included). */
  from: number;
  /** First body line: the line after the heading. */
  body: number;
  to: number;
  role: Role | undefined;
}

interface Builder {
  section: RunbookSection;
  /** The section's own body, then the bodies of the role headings that belong to it. */
  spans: Span[];
}

/**
 * Parses one Markdown runbook. Never throws: text that is not Markdown gives a runbook whose sections
 * are the headings found (possibly none).
 */
export function parseRunbook(path: string, markdown: string): Runbook {
  const lines = markdown.replace(/^\ufeff/, '').split(/\r?\n/);
  const headings = headingsOf(lines);
  // Level-1 headings before any other heading are the title when no level-1 heading follows later:
  // a manual titled "# Ops Manual" then "# 运维手册", not a manual with one chapter per "#".
  const firstOther = headings.findIndex((h) => h.level > 1);
  const leading = firstOther < 0 ? headings : headings.slice(0, firstOther);
  const laterH1 = firstOther >= 0 && headings.slice(firstOther).some((h) => h.level === 1);
  const titleHeadings = laterH1 ? [] : leading.filter((h) => h.level === 1);
  const firstH1 = headings.find((h) => h.level === 1);
  const title = titleHeadings.map((h) => plainText(h.text)).join(' — ') || (firstH1 ? plainText(firstH1.text) : path.replace(/^.*[/\\]/, '').replace(/\.(md|markdown|txt)$/i, ''));

  const builders: Builder[] = [];
  const ids = new Set<string>();
  /** Open sections and role headings, outermost first. */
  const stack: { level: number; role?: Role; builder?: Builder; slug?: string }[] = [];
  headings.forEach((h, i) => {
    const to = i + 1 < headings.length ? (headings[i + 1] as HeadingLine).index : lines.length;
    if (titleHeadings.includes(h)) return;
    while (stack.length && (stack[stack.length - 1] as { level: number }).level >= h.level) stack.pop();
    const role = roleOf(h.text);
    const enclosing = [...stack].reverse();
    const parent = enclosing.find((f) => f.builder)?.builder;
    if (role && parent) {
      stack.push({ level: h.level, role });
      parent.spans.push({ from: h.index, body: h.index + 1, to, role });
      return;
    }
    const parents = stack.filter((f) => f.builder).map((f) => f.builder as Builder);
    const base = [...stack.filter((f) => f.slug !== undefined).map((f) => f.slug as string), slug(h.text)].join('/');
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    const section: RunbookSection = {
      id,
      heading_path: [...parents.map((p) => p.section.heading_path[p.section.heading_path.length - 1] as string), plainText(h.text)],
      level: h.level,
      line: h.index + 1,
      symptoms: [],
      diagnosis: [],
      handling: [],
      causes: [],
      notes: [],
      alerts: [],
      text: '',
    };
    // Content under a role heading keeps that role in the sub-sections below it.
    const builder: Builder = { section, spans: [{ from: h.index + 1, body: h.index + 1, to, role: enclosing.find((f) => f.role)?.role }] };
    builders.push(builder);
    stack.push({ level: h.level, builder, slug: id.slice(id.lastIndexOf('/') + 1) });
  });
  for (const b of builders) {
    for (const span of b.spans) readBody(b.section, lines.slice(span.body, span.to), span.role);
    finish(b, lines);
  }
  return { source: path, title, sections: builders.map((b) => b.section) };
}

function finish(b: Builder, lines: readonly string[]): void {
  const s = b.section;
  s.text = b.spans
    .map((span) => lines.slice(span.from, span.to).join('\n').trim())
    .filter(Boolean)
    .join('\n\n');
  const severity = SEVERITY.exec(s.heading_path[s.heading_path.length - 1] ?? '') ?? SEVERITY.exec(s.text);
  if (severity) s.severity = severity[0];
  const alerts = new Set<string>();
  for (const line of s.text.split('\n')) {
    if (!/告警|alert/i.test(line)) continue;
    for (const m of line.matchAll(/(?:alert(?:name)?\s*[:=]\s*["']?|`)([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)\b/g)) alerts.add(m[1] as string);
  }
  s.alerts = [...alerts];
}

/** Reads body lines into the section's lists; `role` is the role in force at the first line. */
function readBody(s: RunbookSection, body: readonly string[], startRole: Role | undefined): void {
  let role = startRole;
  const defaultRole: 'diagnosis' | 'handling' = CHECKING_HEADING.test(s.heading_path[s.heading_path.length - 1] ?? '') ? 'diagnosis' : 'handling';
  let item: string[] = [];
  let lastText = '';
  /** A text-only step just emitted: a code block right after it (blank lines aside) takes it as caption. */
  let captionStep: { list: RunbookStep[]; step: RunbookStep } | undefined;

  const emit = (markdown: string) => {
    const text = plainText(markdown);
    if (text === '') return;
    if (role === 'symptoms' || role === 'causes') {
      s[role].push(text);
      return;
    }
    const commands = inlineCommands(markdown);
    // Without a role, a command or a numbered item is a step of the section's procedure; bullets
    // and prose (thresholds, descriptions, a table of contents) are text only.
    const procedural = commands.length > 0 || (ORDERED_ITEM.test(markdown) && !/^\s*\d+[.)]\s+\[[^\]]*\]\([^)]*\)\s*$/.test(markdown));
    const list = role === 'diagnosis' ? s.diagnosis : role === 'handling' ? s.handling : procedural ? s[defaultRole] : undefined;
    if (!list) return void s.notes.push(text);
    if (commands.length) for (const c of commands) list.push({ text, command: c.command, language: c.language });
    else {
      const step = { text };
      list.push(step);
      captionStep = { list, step };
    }
  };
  const endItem = () => {
    if (item.length) emit(item.join(' '));
    lastText = item.length ? plainText(item.join(' ')) : lastText;
    item = [];
  };

  for (let i = 0; i < body.length; i++) {
    const line = body[i] as string;
    const open = FENCE_OPEN.exec(line);
    if (open) {
      // The text right above a block (no blank line between) is its caption, not a step of its own.
      let caption = item.length ? plainText(item.join(' ')) : '';
      item = [];
      if (!caption && captionStep && captionStep.list[captionStep.list.length - 1] === captionStep.step) {
        caption = captionStep.step.text;
        captionStep.list.pop();
      }
      captionStep = undefined;
      const indent = (open[1] as string).length;
      const fence = open[2] as string;
      const code: string[] = [];
      for (i++; i < body.length; i++) {
        const l = body[i] as string;
        if (closesFence(l, fence)) break;
        code.push(l.replace(new RegExp(`^ {0,${indent}}`), ''));
      }
      const language = (open[3] as string) || undefined;
      if (role === 'symptoms' || role === 'causes') {
        // A log sample under 症状 is what the failure prints, not a command.
        const sample = code.join('\n').trim();
        if (sample) s[role].push(sample);
      } else {
        const steps = codeBlockSteps(code.join('\n'), language, caption || lastText);
        const list = role === 'diagnosis' ? s.diagnosis : role === 'handling' ? s.handling : s[defaultRole];
        list.push(...steps);
      }
      lastText = '';
      continue;
    }
    if (line.trim() === '' || /^ {0,3}(?:-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      endItem();
      continue;
    }
    captionStep = undefined;
    if (HEADING.test(line)) {
      endItem();
      continue;
    }
    const label = roleLabel(line);
    if (label) {
      endItem();
      role = label.role;
      if (label.rest.trim()) item.push(label.rest);
      continue;
    }
    if (/^\s*\|/.test(line)) {
      endItem();
      if (/^\s*\|?\s*:?-{3,}/.test(line)) continue;
      emitTableRow(line, emit);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      endItem();
      item.push(line);
      continue;
    }
    item.push(line.trim());
  }
  endItem();
}

function emitTableRow(line: string, emit: (markdown: string) => void): void {
  const cells = line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim())
    .filter(Boolean);
  if (cells.length) emit(cells.join(' | '));
}
