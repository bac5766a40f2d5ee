/**
 * Did-you-mean for config names: the closest candidate by edit distance, when it is close enough
 * that the suggestion is more likely right than noise.
 */

/**
 * `, did you mean "x"?` when a close candidate exists (edit distance 1 for short words, up to 3 for long ones).
 * @example suggest('varient', ['variant', 'control']) // ', did you mean "variant"?'
 */
export function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  const allowed = word.length <= 3 ? 1 : word.length <= 8 ? 2 : 3;
  return best !== undefined && bestScore <= allowed ? `, did you mean "${best}"?` : '';
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment): "ulr" → "url" is 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
