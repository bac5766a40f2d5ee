/**
 * `fieldlab diffs`: the shadow-diff report from the store, in the terminal, as JSON, or as the
 * same HTML page the admin port serves; with `--fail-on` it is a CI gate. It builds the report with
 * the same buildReport as the admin API, so the terminal, JSON and page always agree.
 */
import { slowerFailing, type SlowerGate } from '../compare/paired-deltas.js';
import { writeFileSync } from 'node:fs';
import { loadPageExamples, renderDiffsPage } from '../admin/diffs-page.js';
import { pct, signedMs } from '../compare/report-format.js';
import { buildReport, failingFields, rankEndpoints, type DiffReport, type EndpointReport } from '../compare/report.js';
import { parseDiffFilter } from '../compare/report-filter.js';
import type { DiffExample, DiffFilter, DiffRows, DiffStore } from '../storage/types.js';
import { DIFFS_HELP, parseDiffsArgs, type DiffsOptions } from './diffs-args.js';
import { unknownName } from './diffs-names.js';
import { openReportStore } from './diffs-store.js';
import { EXIT } from './exit-codes.js';
import { plural } from './plural.js';
import { type FieldExamples, paint, renderDiffsText } from './diffs-text.js';
import type { CliIo } from './io.js';

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

const HOUR_MS = 3_600_000;

/**
 * What a time window really reads: the store keeps hourly aggregates, so a window covers the whole
 * hours it touches (`--since 1m` reads the current hour). Said in the text and the JSON, so nobody
 * takes an hour's data for a minute's.
 */
export interface ReportWindow {
  readonly resolution: '1h';
  readonly requested: { readonly since: string | null; readonly until: string | null };
  /** The hours read: from the start of the hour holding `since` to the end of the hour holding `until` (null = unbounded). */
  readonly read: { readonly from: string | null; readonly to: string | null };
}

/**
 * The window a filter reads.
 * @example reportWindow({ since: Date.parse('2026-12-02T14:59:00Z') }).read.from // '2026-12-02T14:00:00.000Z'
 */
export function reportWindow(f: DiffFilter): ReportWindow {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  const floor = (t: number) => t - (t % HOUR_MS);
  return {
    resolution: '1h',
    requested: { since: iso(f.since), until: iso(f.until) },
    read: {
      from: iso(f.since === undefined ? undefined : floor(f.since)),
      to: iso(f.until === undefined ? undefined : floor(f.until) + HOUR_MS),
    },
  };
}

function windowLine(w: ReportWindow): string | undefined {
  if (w.requested.since === null && w.requested.until === null) return undefined;
  return `resolution: hourly — data is stored per hour, so this reads the whole hours from ${w.read.from ?? 'the oldest'} to ${w.read.to ?? 'now'}`;
}

/**
 * Prints a report as the flags ask (text, JSON, HTML file); a number is an exit code (a file that
 * could not be written). `fieldlab replay` prints its report with it too.
 * @example await writeReport(options, report, store, {}, io)
 */
export async function writeReport(
  o: DiffsOptions,
  report: DiffReport,
  store: DiffStore,
  filter: DiffFilter,
  io: DiffsIo,
): Promise<number | undefined> {
  const window = reportWindow(filter);
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
    note(
      `fieldlab diffs: wrote ${o.html} (${plural(report.totals.endpoints, 'endpoint')}, ${plural(report.totals.realFields, 'real field')})`,
    );
  }
  if (o.json) {
    const body = {
      ...report,
      window,
      ...(o.examples !== undefined ? { examples: await jsonExamples(report, store, filter, o.examples) } : {}),
    };
    io.out(JSON.stringify(body, null, 2));
  } else if (o.html === undefined) {
    const colour = !('NO_COLOR' in io.env) && (io.isTTY ?? process.stdout.isTTY === true);
    const examples = await textExamples(report, store, filter, o.examples ?? 1);
    const lines = renderDiffsText(report, examples, paint(colour));
    const said = windowLine(window);
    // Right under the header, where the window is named.
    if (said) lines.splice(2, 0, said);
    io.out(lines.join('\n'));
  }
  return undefined;
}

/**
 * The CI gate (`--fail-on`) over every endpoint and field, not just the page printed; shared with
 * `fieldlab replay`. Returns the exit code.
 * @example gateReport(options, await store.rows({}), io) // 0, 1 or 3
 */
export function gateReport(o: DiffsOptions, rows: DiffRows, io: DiffsIo, command = 'diffs'): number {
  if (o.failOn === undefined && o.failOnSlower === undefined) return 0;
  const note = o.json ? io.err : io.out;
  const what = o.strict ? 'real or unmeasured' : 'real';
  const pairs = rows.pairs.reduce((n, p) => n + p.count, 0);
  if (pairs === 0) {
    // Zero pairs is never a PASS: a gate that judged nothing must not let a release through.
    const why = `no data: 0 pairs in this window (check the filter, --since, and that the shadow is mirroring)`;
    if (o.allowEmpty) {
      note(`fieldlab ${command}: PASS (--allow-empty) — ${why}`);
      return EXIT.OK;
    }
    note(`fieldlab ${command}: NO DATA — ${why}; nothing was judged, so the gate does not pass (--allow-empty lets it)`);
    return EXIT.NOTHING;
  }
  const endpoints = rankEndpoints(rows);
  const slower = slowerFailing(endpoints, o.failOnSlower ?? []);
  const failing = o.failOn === undefined ? [] : failingFields({ endpoints }, o.failOn, o.strict);
  const gates = [
    ...(o.failOn === undefined ? [] : [`${what} field differs in more than ${pct(o.failOn)}`]),
    ...(o.failOnSlower ?? []).map(slowerWords),
  ];
  if (failing.length === 0 && slower.length === 0) {
    note(`fieldlab ${command}: PASS — no ${gates.join(', no ')} of ${plural(pairs, 'pair')}`);
    return 0;
  }
  for (const { endpoint: e, field: f, gate, value } of slower)
    note(
      `fieldlab ${command}: FAIL — ${e.route} → ${e.shadow}  ${e.endpoint}  ${f.field}  ${signedMs(value)} ms ${gate.quantile} beyond noise, above ${gate.ms} ms`,
    );
  if (failing.length === 0) return 1;
  note(`fieldlab ${command}: FAIL — ${plural(failing.length, `${what} field`)} above ${pct(o.failOn!)}:`);
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
 * Returns 0, 1 (gate tripped), 2 (usage, unknown name, unreadable store) or 3 (gate with no data).
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
    if (o.route !== undefined || o.shadow !== undefined || o.endpoint !== undefined) {
      const unknown = unknownName(o, await store.rows({}), opened.configured);
      if (unknown) return usage(io, unknown);
    }
    const rows = await store.rows(f.filter);
    const report = buildReport(rows, f.filter, {}, { offset: o.offset, limit: o.limit, fields: o.fields });
    return (await writeReport(o, report, store, f.filter, io)) ?? gateReport(o, rows, io);
  } catch (err) {
    io.err(`fieldlab diffs: cannot read store ${opened.where}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  } finally {
    await opened.close();
  }
}

/** A latency gate in words, for the PASS line. */
function slowerWords(g: SlowerGate): string {
  return `real trace:slower: field's noise-corrected ${g.quantile} paired delta above ${g.ms} ms`;
}
