/**
 * What the optional LLM is asked, and the deterministic answers used whenever it is not asked or does
 * not answer usefully (docs/llm.md). The LLM only phrases a summary and reorders candidates the rules
 * already found; every fact it sees comes from the analysis, redacted by the caller.
 */
import { z } from 'zod';
import { remediationActionEntry, rootCauseEntry, type Recommendation, type RootCauseCandidate, type RootCauseFinding } from '../../contracts/index.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The part of a root-cause analysis (a `ReasoningResponse`, src/contracts/ai-messages.ts) that a
 * summary is made from. A `ReasoningResponse` can be passed as it is.
 */
export interface AssistantAnalysis {
  root_cause?: Pick<RootCauseFinding, 'type' | 'confidence' | 'resource'> & { evidence?: readonly string[] };
  candidates?: readonly RootCauseCandidate[];
  recommendations?: readonly Pick<Recommendation, 'action' | 'confidence' | 'risk' | 'impact'>[];
}

/** What a ranking may look at besides the candidates. */
export interface RankContext {
  /** Sentences a person can check, e.g. "Exit code 137 indicates OOMKilled". */
  evidence?: readonly string[];
  /** Log excerpt, newest last; only its end is sent. */
  logs?: string;
  /** The event under analysis, as received. */
  event?: Readonly<Record<string, unknown>>;
}

/** Evidence sentences, candidates and log characters put into a prompt, to bound its cost. */
export const PROMPT_LIMITS = Object.freeze({ evidence: 8, candidates: 16, logChars: 6000, recommendations: 3 });

const pct = (c: number) => `${Math.round(c * 100)}%`;

function resourceText(r: RootCauseFinding['resource']): string {
  if (!r) return '';
  const where = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  return ` in ${r.kind} ${where}${r.cluster_id ? ` (cluster ${r.cluster_id})` : ''}`;
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * One paragraph built from the analysis alone: root cause, resource, confidence, evidence, the other
 * candidates and the top recommendation. What is said when the LLM is off, over budget or failing.
 */
export function deterministicSummary(analysis: Readonly<AssistantAnalysis>): string {
  const parts: string[] = [];
  const rc = analysis.root_cause;
  const others = (analysis.candidates ?? []).filter((c) => c.type !== rc?.type).slice(0, 3);
  if (rc) {
    const meaning = rootCauseEntry(rc.type)?.meaning;
    parts.push(`Root cause: ${rc.type} (${pct(rc.confidence)} confidence)${resourceText(rc.resource)}${meaning ? ` — ${meaning}` : '.'}`);
    const evidence = (rc.evidence ?? []).slice(0, 3);
    if (evidence.length) parts.push(sentence(`Evidence: ${evidence.map((e) => e.trim().replace(/\.$/, '')).join('; ')}`));
    if (others.length) parts.push(`Other candidates: ${others.map((c) => `${c.type} (${pct(c.confidence)})`).join(', ')}.`);
  } else if (others.length) {
    parts.push(`No root cause was confirmed; leading candidates: ${others.map((c) => `${c.type} (${pct(c.confidence)})`).join(', ')}.`);
  } else {
    parts.push('No root cause was identified from the evidence available.');
  }
  const top = analysis.recommendations?.[0];
  if (top) {
    const what = remediationActionEntry(top.action)?.meaning;
    parts.push(`Recommended action: ${top.action} (${top.risk} risk, ${pct(top.confidence)} confidence)${top.impact ? ` — ${sentence(top.impact)}` : what ? ` — ${what}` : '.'}`);
  }
  return parts.map(sentence).join(' ');
}

/** Candidates best first by their rule score; ties keep their given order. */
export function rankByConfidence<T extends { confidence: number }>(candidates: readonly T[]): T[] {
  return candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.confidence - a.c.confidence || a.i - b.i)
    .map((x) => x.c);
}

const SUMMARY_SYSTEM = [
  'You help Kubernetes on-call engineers. Summarise the root-cause analysis given as JSON in one paragraph of at most three sentences:',
  'the root cause, the affected resource, the confidence and the top recommended action.',
  'Use only facts from the JSON; never invent names, numbers or commands.',
  'Values such as [REDACTED_IP] were removed on purpose: keep the placeholders as they are. Plain text, no Markdown.',
].join(' ');

const RANK_SYSTEM = [
  'You rank candidate root causes of a Kubernetes incident. Each candidate is an id from a fixed taxonomy with a rule-based score and its meaning.',
  'Weigh the evidence and answer with JSON only, exactly {"ranking": ["<id>", ...]}: every given id once, most likely first. Never add other ids.',
  'Values such as [REDACTED_IP] were removed on purpose.',
].join(' ');

/** The messages asking for a summary (before redaction). */
export function summaryMessages(analysis: Readonly<AssistantAnalysis>): ChatMessage[] {
  const rc = analysis.root_cause;
  const body = {
    root_cause: rc
      ? { type: rc.type, meaning: rootCauseEntry(rc.type)?.meaning, confidence: rc.confidence, resource: rc.resource, evidence: (rc.evidence ?? []).slice(0, PROMPT_LIMITS.evidence) }
      : null,
    candidates: (analysis.candidates ?? []).slice(0, PROMPT_LIMITS.candidates),
    recommendations: (analysis.recommendations ?? []).slice(0, PROMPT_LIMITS.recommendations).map((r) => ({ action: r.action, meaning: remediationActionEntry(r.action)?.meaning, confidence: r.confidence, risk: r.risk, impact: r.impact })),
  };
  return [
    { role: 'system', content: SUMMARY_SYSTEM },
    { role: 'user', content: JSON.stringify(body) },
  ];
}

/** The messages asking for a ranking (before redaction). */
export function rankMessages(candidates: readonly RootCauseCandidate[], context: Readonly<RankContext>): ChatMessage[] {
  const logs = context.logs ?? '';
  const body = {
    candidates: candidates.slice(0, PROMPT_LIMITS.candidates).map((c) => ({ id: c.type, score: c.confidence, meaning: rootCauseEntry(c.type)?.meaning })),
    evidence: (context.evidence ?? []).slice(0, PROMPT_LIMITS.evidence),
    ...(context.event ? { event: context.event } : {}),
    ...(logs ? { logs: logs.length > PROMPT_LIMITS.logChars ? logs.slice(-PROMPT_LIMITS.logChars) : logs } : {}),
  };
  return [
    { role: 'system', content: RANK_SYSTEM },
    { role: 'user', content: JSON.stringify(body) },
  ];
}

const rankingAnswer = z.union([z.object({ ranking: z.array(z.unknown()) }), z.array(z.unknown())]);

/**
 * Reads the model's ranking: a JSON object `{"ranking": [...]}` or a bare array, possibly inside a
 * Markdown code fence or after some words. Unknown and repeated ids are dropped; candidates the model
 * left out follow in their rule order. Undefined when the answer names none of the candidates.
 */
export function parseRanking<T extends { type: string; confidence: number }>(content: string, candidates: readonly T[]): T[] | undefined {
  const json = extractJson(content);
  if (json === undefined) return undefined;
  const parsed = rankingAnswer.safeParse(json);
  if (!parsed.success) return undefined;
  const ids = Array.isArray(parsed.data) ? parsed.data : parsed.data.ranking;
  const byId = new Map(candidates.map((c) => [c.type, c]));
  const out: T[] = [];
  for (const id of ids) {
    const c = typeof id === 'string' ? byId.get(id.trim()) : undefined;
    if (c && !out.includes(c)) out.push(c);
  }
  if (out.length === 0) return undefined;
  for (const c of rankByConfidence(candidates)) if (!out.includes(c)) out.push(c);
  return out;
}

function extractJson(content: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(content);
  const text = (fenced?.[1] ?? content).trim();
  for (const [open, close] of [
    ['{', '}'],
    ['[', ']'],
  ] as const) {
    const start = text.indexOf(open);
    const end = text.lastIndexOf(close);
    if (start < 0 || end <= start) continue;
    try {
      return JSON.parse(text.slice(start, end + 1)) as unknown;
    } catch {
      continue;
    }
  }
  return undefined;
}
