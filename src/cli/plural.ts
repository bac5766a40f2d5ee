/**
 * Counted nouns for CLI output: "1 endpoint", "2 endpoints" — never "(1 endpoints)".
 */

/**
 * `n` and the word, plural unless n is 1 (`pluralWord` for irregular plurals).
 * @example plural(1, 'endpoint') // '1 endpoint'
 * @example plural(3, 'replica') // '3 replicas'
 */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
