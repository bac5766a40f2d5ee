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

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
