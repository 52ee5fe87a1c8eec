/**
 * "Did you mean" hints for configuration keys, scenario keys, actions and ids.
 */

/** Edit distance between two strings. */
export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/**
 * The `n` candidates closest to `word`, case-insensitively; a substring match ("OOM" in "OOMKilled")
 * counts as close as a one-letter typo.
 */
export function closest(word: string, candidates: readonly string[], n: number): string[] {
  const w = word.toLowerCase();
  return [...candidates]
    .map((c) => {
      const l = c.toLowerCase();
      const d = l.includes(w) || w.includes(l) ? Math.min(1, levenshtein(w, l)) : levenshtein(w, l);
      return { c, d };
    })
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, n)
    .map((x) => x.c);
}

/** The closest candidate when it is plausibly what was meant (a typo or a fragment), else undefined. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const [best] = closest(word, candidates, 1);
  if (best === undefined) return undefined;
  const w = word.toLowerCase();
  const b = best.toLowerCase();
  const related = b.includes(w) || w.includes(b);
  return levenshtein(w, b) <= Math.max(2, Math.floor(word.length / 3)) || (related && word.length >= 3) ? best : undefined;
}
