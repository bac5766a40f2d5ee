/**
 * Exposure sets: every unit's arms (each with the weights of its first exposure there), grouped so
 * that a million units come back as a handful of rows — one per distinct combination, which only
 * arms × weight phases bound. Both backends aggregate with the same separators and parse here.
 */
import type { ExposureSet } from './experiment-types.js';

// Control characters no arm name (schema: identifiers) or weights string ("90,10") contains.
const FIELD = '\u001f';
const ROW = '\u001e';

/**
 * The SQL expression, per unit, of its arms and weights: `arm<US>weights<RS>…`. Unordered (sorting
 * each unit's rows cost a third more at 200k units); parseExposureSets puts each set in arm order
 * and merges the sets that differ only in order.
 * @example exposureSetSql('group_concat', 'char') // "group_concat(arm || char(31) || weights, char(30))"
 */
export function exposureSetSql(agg: 'group_concat' | 'string_agg', chr: 'char' | 'chr'): string {
  return `${agg}(arm || ${chr}(31) || weights, ${chr}(30))`;
}

/**
 * Parses the grouped rows back into exposure sets, each in arm order, sets in key order.
 * @example parseExposureSets([{ sig: 'control\u001f90,10', units: 3 }]) // [{ exposures: [['control', '90,10']], units: 3 }]
 */
export function parseExposureSets(rows: readonly { readonly sig: string; readonly units: number | string }[]): ExposureSet[] {
  const sets = new Map<string, { exposures: (readonly [string, string])[]; units: number }>();
  for (const r of rows) {
    const exposures = r.sig
      .split(ROW)
      .map((x) => {
        const at = x.indexOf(FIELD);
        return [x.slice(0, at), x.slice(at + 1)] as const;
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const key = exposures.map((e) => e.join(FIELD)).join(ROW);
    const seen = sets.get(key);
    if (seen) seen.units += Number(r.units);
    else sets.set(key, { exposures, units: Number(r.units) });
  }
  return [...sets.keys()].sort().map((k) => sets.get(k)!);
}
