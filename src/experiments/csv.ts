/**
 * CSV for the experiment export: RFC 4180 (a field holding a comma, a quote, CR or LF is quoted,
 * quotes doubled; lines end in CRLF) and safe to open in a spreadsheet — a text cell starting with
 * `=`, `+`, `-`, `@`, tab or CR would be run as a formula (OWASP "CSV injection"), and unit keys
 * come from clients, so such a cell gets a leading `'`. Numbers are written as numbers.
 */

/** Characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field: numbers as they are, text neutralized and quoted when needed.
 * @example csvCell('=HYPERLINK("x")') // '"\'=HYPERLINK(""x"")"'
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One record, CRLF-terminated.
 * @example csvLine(['u-1', 'control', 3]) // 'u-1,control,3\r\n'
 */
export function csvLine(cells: readonly (string | number | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
