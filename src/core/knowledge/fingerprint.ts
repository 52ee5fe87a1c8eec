/**
 * The signal fingerprint of a diagnosis: the set of what was observed — signal names, their
 * categorical fields (a reason, a log class, a node condition), event reasons — plus the family
 * (taxonomy category) of the predicted cause. Names of objects, counts and times are left out, so two
 * incidents of the same kind in different namespaces or clusters share a fingerprint. Similarity is
 * the Jaccard index of two token sets.
 */
import { MAX_FINGERPRINT_TOKENS } from '../../contracts/knowledge.js';
import { rootCauseEntry } from '../../contracts/root-cause-taxonomy.js';

/** Signal fields whose value says what kind of failure it is (not which object, how many or when). */
export const FINGERPRINT_FIELDS = ['reason', 'class', 'condition', 'detail', 'failure_cause', 'source_kind', 'starved_resource', 'probe', 'dominant', 'last_log_class'] as const;

const MAX_VALUE_CHARS = 64;

export interface FingerprintInput {
  /** Signals of the diagnosis (src/core/rca Signal, or anything with a name and fields). */
  signals?: readonly { name: string; fields?: Readonly<Record<string, string | number | boolean>> }[];
  /** Event reasons of the incident (`CrashLoopBackOff`, `FailedScheduling`). */
  reasons?: readonly string[];
  /** The predicted root cause: its family joins the fingerprint. */
  cause?: string;
}

function token(text: string): string {
  return text.replace(/\s+/g, '_').slice(0, 200);
}

/**
 * Sorted, unique tokens: `signal:<name>`, `signal:<name>:<field>=<value>`, `reason:<reason>`,
 * `family:<category>`; at most MAX_FINGERPRINT_TOKENS (the first in sorted order are kept).
 */
export function fingerprint(input: FingerprintInput): string[] {
  const tokens = new Set<string>();
  for (const s of input.signals ?? []) {
    tokens.add(token(`signal:${s.name}`));
    for (const field of FINGERPRINT_FIELDS) {
      const v = s.fields?.[field];
      if (typeof v === 'string' ? v === '' || v.length > MAX_VALUE_CHARS : typeof v !== 'boolean') continue;
      tokens.add(token(`signal:${s.name}:${field}=${String(v)}`));
    }
  }
  for (const r of input.reasons ?? []) if (r) tokens.add(token(`reason:${r}`));
  const family = input.cause === undefined ? undefined : rootCauseEntry(input.cause)?.category;
  if (family) tokens.add(`family:${family}`);
  return [...tokens].sort().slice(0, MAX_FINGERPRINT_TOKENS);
}

/** |a ∩ b| / |a ∪ b| over the token sets, in [0, 1]; two empty fingerprints are not similar (0). */
export function similarity(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 && sb.size === 0) return 0;
  let inter = 0;
  for (const t of sa) if (sb.has(t)) inter++;
  return inter / (sa.size + sb.size - inter);
}
