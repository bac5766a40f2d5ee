/**
 * The HTML shadow-diff report (placeholder rendering; the full page is built in its own change).
 */
import type { DiffReport } from '../compare/report.js';
import type { DiffExample, DiffFilter } from '../storage/types.js';

/** Looks up stored examples for an endpoint/field. */
export type ExampleLookup = (filter: DiffFilter & { field?: string }) => DiffExample[];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders the report as one self-contained HTML page.
 * @example res.end(renderDiffsPage(report, (f) => store.examples({ ...f, limit: 3 })))
 */
export function renderDiffsPage(report: DiffReport, _examples: ExampleLookup): string {
  const rows = report.endpoints
    .flatMap((e) => e.fields.map((f) => `<tr><td>${esc(e.endpoint)}</td><td>${esc(f.field)}</td><td>${f.kind}</td><td>${f.verdict}</td><td>${(f.rate * 100).toFixed(1)}%</td></tr>`))
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>Fieldlab shadow diffs</title><table>${rows}</table>`;
}
