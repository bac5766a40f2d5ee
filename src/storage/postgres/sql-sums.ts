/**
 * Summing helpers of the PostgreSQL writers: rows that share a key added up in JS before one UPSERT,
 * and bigint[] histograms added element-wise in SQL.
 */

/**
 * Sums rows that share a key: one INSERT … ON CONFLICT DO UPDATE may not touch a row twice, so
 * duplicate keys within a batch are added up here first.
 * @example sumBy([{ k: 'a', n: 1 }, { k: 'a', n: 2 }], ['k'], ['n']) // [{ k: 'a', n: 3 }]
 */
export function sumBy<T extends object>(rows: readonly T[], keys: readonly (keyof T)[], sums: readonly (keyof T)[]): T[] {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = JSON.stringify(keys.map((f) => r[f]));
    const seen = out.get(k) as Record<keyof T, unknown> | undefined;
    if (!seen) {
      out.set(k, { ...r });
      continue;
    }
    for (const f of sums) {
      const a = seen[f];
      const b = r[f];
      seen[f] = Array.isArray(a) ? addArrays(a as number[], b as number[]) : (a as number) + (b as number);
    }
  }
  return [...out.values()];
}

function addArrays(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

/** Element-wise sum of two bigint[] columns, in SQL (arrays of unequal length are padded with 0). */
export const histAdd = (a: string, b: string) =>
  `(SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}') FROM unnest(${a}, ${b}) WITH ORDINALITY AS u(x, y, i))`;
/** A JSON array column of the recordset as bigint[]. */
export const jsonArray = (col: string) => `ARRAY(SELECT jsonb_array_elements_text(r.${col})::bigint)`;
