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
 * The SQL expression, per unit, of its arms and weights: `arm<US>weights<RS>…` ordered by arm.
 * Same text in SQLite (3.44+) and PostgreSQL, given each dialect's aggregate and char function.
 * @example exposureSetSql('group_concat', 'char') // "group_concat(arm || char(31) || weights, char(30) ORDER BY arm)"
 */
export function exposureSetSql(agg: 'group_concat' | 'string_agg', chr: 'char' | 'chr'): string {
  return `${agg}(arm || ${chr}(31) || weights, ${chr}(30) ORDER BY arm)`;
}

/**
 * Parses the grouped rows back into exposure sets.
 * @example parseExposureSets([{ sig: 'control\u001f90,10', units: 3 }]) // [{ exposures: [['control', '90,10']], units: 3 }]
 */
export function parseExposureSets(rows: readonly { readonly sig: string; readonly units: number | string }[]): ExposureSet[] {
  return rows.map((r) => ({
    exposures: r.sig
      .split(ROW)
      .map((x) => {
        const at = x.indexOf(FIELD);
        return [x.slice(0, at), x.slice(at + 1)] as const;
      })
      // Same order whatever the database's collation.
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    units: Number(r.units),
  }));
}
