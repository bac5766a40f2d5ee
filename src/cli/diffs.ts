/**
 * `fieldlab diffs`: the shadow-diff report from the store, in the terminal, as JSON, or as the
 * same HTML page the admin port serves; with `--fail-on` it is a CI gate. It builds the report with
 * the same buildReport as the admin API, so the terminal, JSON and page always agree.
 */
import { writeFileSync } from 'node:fs';
import { loadPageExamples, renderDiffsPage } from '../admin/diffs-page.js';
import { pct } from '../compare/report-format.js';
import { buildReport, failingFields, rankEndpoints, type DiffReport, type EndpointReport } from '../compare/report.js';
import { parseDiffFilter } from '../compare/report-filter.js';
import type { DiffExample, DiffFilter, DiffRows, DiffStore } from '../storage/types.js';
import { DIFFS_HELP, parseDiffsArgs, type DiffsOptions } from './diffs-args.js';
import { openReportStore } from './diffs-store.js';
import { type FieldExamples, paint, renderDiffsText } from './diffs-text.js';
import type { CliIo } from './start.js';

/** CliIo plus whether stdout is a terminal (colour); when absent, process.stdout is asked. */
export type DiffsIo = CliIo & { readonly isTTY?: boolean };

function usage(io: DiffsIo, message: string): number {
  io.err(`fieldlab diffs: ${message}`);
  io.err('Run "fieldlab diffs --help" for usage.');
  return 2;
}

/** Examples of every non-noise field of the page, for `--json --examples N`. */
async function jsonExamples(report: DiffReport, store: DiffStore, filter: DiffFilter, limit: number): Promise<DiffExample[]> {
  if (limit === 0) return [];
  const out: DiffExample[] = [];
  for (const e of report.endpoints)
    for (const f of e.fields.filter((x) => x.verdict !== 'noise'))
      out.push(...(await store.examples({ ...filter, route: e.route, shadow: e.shadow, endpoint: e.endpoint, field: f.field, limit })));
  return out;
}

/** The text report's examples (real fields of the page), fetched before rendering. */
async function textExamples(report: DiffReport, store: DiffStore, filter: DiffFilter, limit: number): Promise<FieldExamples> {
  const key = (e: EndpointReport, f: { field: string }) => `${e.route}\u0000${e.shadow}\u0000${e.endpoint}\u0000${f.field}`;
  const found = new Map<string, DiffExample[]>();
  if (limit > 0)
    for (const e of report.endpoints)
      for (const f of e.fields.filter((x) => x.verdict === 'real'))
        found.set(
          key(e, f),
          await store.examples({ ...filter, route: e.route, shadow: e.shadow, endpoint: e.endpoint, field: f.field, limit }),
        );
  return (e, f) => found.get(key(e, f)) ?? [];
}

async function output(o: DiffsOptions, report: DiffReport, store: DiffStore, filter: DiffFilter, io: DiffsIo): Promise<number | undefined> {
  // With --json, stdout carries only JSON; every other line goes to stderr.
  const note = o.json ? io.err : io.out;
  if (o.html !== undefined) {
    const examples = await loadPageExamples(report, (f) => store.examples({ ...filter, ...f, limit: o.examples ?? 3 }));
    const html = renderDiffsPage(report, examples);
    try {
      writeFileSync(o.html, html);
    } catch (err) {
      io.err(`fieldlab diffs: cannot write ${o.html}: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
    note(`fieldlab diffs: wrote ${o.html} (${report.totals.endpoints} endpoints, ${report.totals.realFields} real fields)`);
  }
  if (o.json) {
    const body = o.examples !== undefined ? { ...report, examples: await jsonExamples(report, store, filter, o.examples) } : report;
    io.out(JSON.stringify(body, null, 2));
  } else if (o.html === undefined) {
    const colour = !('NO_COLOR' in io.env) && (io.isTTY ?? process.stdout.isTTY === true);
    const examples = await textExamples(report, store, filter, o.examples ?? 1);
    io.out(renderDiffsText(report, examples, paint(colour)).join('\n'));
  }
  return undefined;
}

/** The CI gate judges every endpoint and field, not just the page printed. */
function gate(o: DiffsOptions, rows: DiffRows, io: DiffsIo): number {
  if (o.failOn === undefined) return 0;
  const note = o.json ? io.err : io.out;
  const what = o.strict ? 'real or unmeasured' : 'real';
  const failing = failingFields({ endpoints: rankEndpoints(rows) }, o.failOn, o.strict);
  if (failing.length === 0) {
    note(`fieldlab diffs: PASS — no ${what} field differs in more than ${pct(o.failOn)} of pairs`);
    return 0;
  }
  note(`fieldlab diffs: FAIL — ${failing.length} ${what} field${failing.length === 1 ? '' : 's'} above ${pct(o.failOn)}:`);
  for (const { endpoint: e, field: f } of failing) {
    note(
      `  ${e.route} → ${e.shadow}  ${e.endpoint}  ${f.field}  ${f.verdict} ${pct(f.rate)} (${f.differed}/${f.compared}, ≥ ${pct(f.lower)}; noise ${f.noiseCompared > 0 ? pct(f.noiseRate) : 'unobserved'})`,
    );
  }
  return 1;
}

/**
 * `fieldlab diffs [--config FILE | --store sqlite:PATH] [--route R] [--shadow S] [--endpoint E]
 * [--since T] [--until T] [--json] [--html FILE] [--examples N] [--fail-on RATE [--strict]]`.
 * Returns 0, 1 (gate tripped) or 2 (usage, unreadable store).
 * @example runDiffs(['--store', 'sqlite:data/fieldlab.db', '--since', '1h', '--fail-on', '1%'], io) // 0 or 1
 */
export async function runDiffs(args: string[], io: DiffsIo): Promise<number> {
  const parsed = parseDiffsArgs(args);
  if (!parsed.ok) return usage(io, parsed.error);
  const o = parsed.options;
  if (o.help) {
    io.out(DIFFS_HELP);
    return 0;
  }
  const f = parseDiffFilter({ route: o.route, shadow: o.shadow, endpoint: o.endpoint, since: o.since, until: o.until }, Date.now());
  if (!f.ok) return usage(io, f.error);
  const opened = await openReportStore(o, io.env);
  if (!opened.ok) {
    for (const line of opened.lines) io.err(`fieldlab diffs: ${line}`);
    return 2;
  }
  const { store } = opened;
  try {
    const rows = await store.rows(f.filter);
    const report = buildReport(rows, f.filter, {}, { offset: o.offset, limit: o.limit, fields: o.fields });
    return (await output(o, report, store, f.filter, io)) ?? gate(o, rows, io);
  } catch (err) {
    io.err(`fieldlab diffs: cannot read store ${opened.where}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  } finally {
    await opened.close();
  }
}
