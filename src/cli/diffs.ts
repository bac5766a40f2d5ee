/**
 * `fieldlab diffs`: the shadow-diff report from the store, in the terminal, as JSON, or as the
 * same HTML page the admin port serves; with `--fail-on` it is a CI gate. It builds the report with
 * the same buildReport as the admin API, so the terminal, JSON and page always agree.
 */
import { writeFileSync } from 'node:fs';
import { renderDiffsPage } from '../admin/diffs-page.js';
import { pct } from '../admin/diffs-page-format.js';
import { buildReport, failingFields, type DiffReport } from '../compare/report.js';
import { parseDiffFilter } from '../compare/report-filter.js';
import type { DiffExample, DiffFilter, DiffStore } from '../storage/types.js';
import { DIFFS_HELP, parseDiffsArgs, type DiffsOptions } from './diffs-args.js';
import { openReportStore } from './diffs-store.js';
import { paint, renderDiffsText } from './diffs-text.js';
import type { CliIo } from './start.js';

/** CliIo plus whether stdout is a terminal (colour); when absent, process.stdout is asked. */
export type DiffsIo = CliIo & { readonly isTTY?: boolean };

function usage(io: DiffsIo, message: string): number {
  io.err(`fieldlab diffs: ${message}`);
  io.err('Run "fieldlab diffs --help" for usage.');
  return 2;
}

/** Examples of every non-noise field, for `--json --examples N`. */
function jsonExamples(report: DiffReport, store: DiffStore, filter: DiffFilter, limit: number): DiffExample[] {
  if (limit === 0) return [];
  return report.endpoints.flatMap((e) =>
    e.fields
      .filter((f) => f.verdict !== 'noise')
      .flatMap((f) => store.examples({ ...filter, route: e.route, shadow: e.shadow, endpoint: e.endpoint, field: f.field, limit })),
  );
}

function output(o: DiffsOptions, report: DiffReport, store: DiffStore, filter: DiffFilter, io: DiffsIo): number | undefined {
  // With --json, stdout carries only JSON; every other line goes to stderr.
  const note = o.json ? io.err : io.out;
  if (o.html !== undefined) {
    const html = renderDiffsPage(report, (f) => store.examples({ ...filter, ...f, limit: o.examples ?? 3 }));
    try {
      writeFileSync(o.html, html);
    } catch (err) {
      io.err(`fieldlab diffs: cannot write ${o.html}: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
    note(`fieldlab diffs: wrote ${o.html} (${report.totals.endpoints} endpoints, ${report.totals.realFields} real fields)`);
  }
  if (o.json) {
    const body = o.examples !== undefined ? { ...report, examples: jsonExamples(report, store, filter, o.examples) } : report;
    io.out(JSON.stringify(body, null, 2));
  } else if (o.html === undefined) {
    const colour = !('NO_COLOR' in io.env) && (io.isTTY ?? process.stdout.isTTY === true);
    const limit = o.examples ?? 1;
    const lookup = (e: { route: string; shadow: string; endpoint: string }, f: { field: string }) =>
      limit === 0 ? [] : store.examples({ ...filter, route: e.route, shadow: e.shadow, endpoint: e.endpoint, field: f.field, limit });
    io.out(renderDiffsText(report, lookup, paint(colour)).join('\n'));
  }
  return undefined;
}

function gate(o: DiffsOptions, report: DiffReport, io: DiffsIo): number {
  if (o.failOn === undefined) return 0;
  const note = o.json ? io.err : io.out;
  const what = o.strict ? 'real or unmeasured' : 'real';
  const failing = failingFields(report, o.failOn, o.strict);
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
export function runDiffs(args: string[], io: DiffsIo): number {
  const parsed = parseDiffsArgs(args);
  if (!parsed.ok) return usage(io, parsed.error);
  const o = parsed.options;
  if (o.help) {
    io.out(DIFFS_HELP);
    return 0;
  }
  const f = parseDiffFilter({ route: o.route, shadow: o.shadow, endpoint: o.endpoint, since: o.since, until: o.until }, Date.now());
  if (!f.ok) return usage(io, f.error);
  const opened = openReportStore(o, io.env);
  if (!opened.ok) {
    for (const line of opened.lines) io.err(`fieldlab diffs: ${line}`);
    return 2;
  }
  const { store } = opened;
  try {
    const report = buildReport(store.rows(f.filter), f.filter);
    return output(o, report, store, f.filter, io) ?? gate(o, report, io);
  } catch (err) {
    io.err(`fieldlab diffs: cannot read store ${opened.file}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  } finally {
    store.close();
  }
}
