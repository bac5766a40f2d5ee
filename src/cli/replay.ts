/**
 * `fieldlab replay --route R --to URL`: replays a route's recorded requests against a candidate
 * and reports the differences with the shadow-diff engine — the same comparators, noise rules,
 * report and `--fail-on` gate as `fieldlab diffs` — so write endpoints and old populations can be
 * tested without a single user request. The report's aggregates and the checkpoint live next to
 * each other on disk, so `--resume` continues one report across runs.
 */
import { existsSync, rmSync } from 'node:fs';
import { buildReport } from '../compare/report.js';
import type { CompareRules } from '../compare/types.js';
import { formatConfigError, loadConfigFile } from '../config/load.js';
import type { RawConfig, RawRoute } from '../config/schema.js';
import { createPoolRegistry } from '../forward/pools.js';
import { createUpstream } from '../forward/upstream.js';
import { createComparePipeline } from '../compare/pipeline.js';
import { createShadowDispatcher } from '../mirror/dispatcher.js';
import type { CompiledShadow } from '../mirror/shadow-spec.js';
import { redactRules } from '../record/redact-sample.js';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from '../replay/checkpoint.js';
import { createPacer } from '../replay/pacer.js';
import { createProgress } from '../replay/progress.js';
import { runReplay, type ReplaySummary } from '../replay/replay-run.js';
import { createDiffBatcher } from '../storage/batcher.js';
import { openSqliteStores } from '../storage/sqlite.js';
import { gateReport, writeReport, type DiffsIo } from './diffs.js';
import type { DiffsOptions } from './diffs-args.js';
import { openReportStore } from './diffs-store.js';
import { EXIT } from './exit-codes.js';
import { readFlags } from './flags.js';
import { plural } from './plural.js';
import { checkReplayArgs, REPLAY, type ReplayOptions } from './replay-args.js';

/** DiffsIo plus stderr's terminal-ness (the progress bar); when absent, process.stderr is asked. */
export type ReplayIo = DiffsIo & { readonly errIsTTY?: boolean; readonly errWrite?: (s: string) => void };

const DEFAULT_REDACT = ['header:authorization', 'header:cookie', 'header:set-cookie'];
const DEFAULT_MAX_BODY = 256 * 1024;

function usage(io: ReplayIo, message: string): number {
  io.err(`fieldlab replay: ${message}`);
  io.err('Run "fieldlab replay --help" for usage.');
  return EXIT.USAGE;
}

/** The compare rules and redaction of a route: `record.compare`, else its first shadow's, else defaults. */
function rulesOf(route: RawRoute | undefined): { rules: CompareRules; redact: readonly string[] } {
  const shadow = route?.shadow[0]?.compare;
  const ignore = route?.record?.compare?.ignore ?? shadow?.ignore ?? [];
  return {
    rules: {
      ignoreHeaders: ignore.filter((r) => r.startsWith('header:')).map((r) => r.slice(7).toLowerCase()),
      ignoreBody: ignore.filter((r) => r.startsWith('body:')).map((r) => r.slice(5)),
      numericTolerance: route?.record?.compare?.tolerance ?? shadow?.tolerance ?? 0,
      maxBody: Math.max(shadow?.maxBody ?? DEFAULT_MAX_BODY, route?.record?.maxBody ?? 0),
    },
    redact: route?.record?.redact ?? DEFAULT_REDACT,
  };
}

/**
 * The route's noise copy as live mirroring uses it: its first shadow's `compare.noiseFrom` upstream,
 * sent what that shadow is sent (its `methods`); undefined without one.
 */
function noiseOf(
  config: RawConfig | undefined,
  route: RawRoute | undefined,
): { name: string; endpoints: readonly string[]; host: string | undefined; methods: ReadonlySet<string> } | undefined {
  const shadow = route?.shadow[0];
  const name = shadow?.compare?.noiseFrom;
  const up = name === undefined ? undefined : config?.upstreams[name];
  if (!shadow || name === undefined || !up) return undefined;
  return { name, endpoints: up.endpoints, host: up.host, methods: new Set(shadow.methods) };
}

/** What a resumed run must share with the run it continues. */
function selectionOf(o: ReplayOptions): string {
  return JSON.stringify({ since: o.sinceText ?? null, segment: o.segmentText ?? null });
}

/**
 * Runs `fieldlab replay`. Exit 0 (done; gate passed), 1 (gate tripped), 2 (usage, unknown route,
 * unreadable store or checkpoint), 3 (nothing to replay, unless --allow-empty).
 * @example await runReplayCommand(['--route', 'checkout', '--to', 'http://staging:8080', '--fail-on', '1%'], io)
 */
export async function runReplayCommand(args: string[], io: ReplayIo): Promise<number> {
  const parsed = readFlags(REPLAY, args, io);
  if (typeof parsed === 'number') return parsed;
  const checked = checkReplayArgs(parsed, Date.now());
  if (!checked.ok) return usage(io, checked.error);
  const o = checked.options;

  let config: RawConfig | undefined;
  if (o.store === undefined) {
    const file = o.config ?? 'config/fieldlab.yaml';
    const loaded = loadConfigFile(file, io.env);
    if (!loaded.ok) {
      io.err(`fieldlab replay: cannot read ${file}${o.config === undefined ? ' (pass --config FILE or --store URL)' : ''}:`);
      for (const e of loaded.errors) io.err(`  ${formatConfigError(e)}`);
      return EXIT.USAGE;
    }
    config = loaded.config;
  }
  const route = config?.routes.find((r) => r.name === o.route);
  if (config && !route) return usage(io, `unknown route "${o.route}" (routes: ${config.routes.map((r) => r.name).join(', ') || 'none'})`);

  const db = `${o.checkpoint}.db`;
  const previous = readCheckpoint(o.checkpoint);
  if (typeof previous === 'string') return usage(io, previous);
  if (o.resume) {
    if (!previous) return usage(io, `--resume: no checkpoint at ${o.checkpoint}`);
    const same = previous.route === o.route && previous.to === o.to && previous.selection === selectionOf(o);
    if (!same)
      return usage(
        io,
        `--resume: the checkpoint at ${o.checkpoint} is for route ${previous.route} → ${previous.to} (${previous.selection}); start a new run without --resume`,
      );
  } else {
    rmSync(o.checkpoint, { force: true });
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  }

  const opened = await openReportStore(o.store !== undefined ? { store: o.store } : { config: o.config ?? 'config/fieldlab.yaml' }, io.env);
  if (!opened.ok) {
    for (const line of opened.lines) io.err(`fieldlab replay: ${line}`);
    return EXIT.USAGE;
  }
  const report = openSqliteStores(db);
  const pools = createPoolRegistry();
  try {
    const { rules, redact } = rulesOf(route);
    const name = `replay:${o.to}`;
    const timeouts = { connect: Math.min(o.timeoutMs, 5000), headers: o.timeoutMs, idle: o.timeoutMs };
    const candidate = createUpstream(name, [pools.endpoint(o.to, { timeouts, connections: o.concurrency })], undefined);
    const copy = noiseOf(config, route);
    const noise = copy && {
      upstream: createUpstream(
        copy.name,
        copy.endpoints.map((url) => pools.endpoint(url, { timeouts, connections: o.concurrency })),
        copy.host,
      ),
      methods: copy.methods,
    };
    const shadow: CompiledShadow = {
      name,
      key: name,
      noiseKey: `${name}/noise`,
      upstream: candidate,
      noise: undefined,
      sampleBelow: 10_000,
      methods: new Set(),
      arm: '*',
      maxBody: Number.POSITIVE_INFINITY,
      timeoutMs: o.timeoutMs,
      concurrency: o.concurrency,
      queue: o.concurrency,
      bytesPerSecond: 0,
      host: undefined,
      setHeaders: [],
      removeHeaders: new Set(),
      rules,
      redact,
    };
    const batcher = createDiffBatcher({ store: report.diffs, flushMs: 3_600_000 });
    // Replay is the process's only work: comparing may take most of the loop.
    const pipeline = createComparePipeline({ batcher, maxShare: 0.6 });
    const started = new Date().toISOString();
    const base = { replayed: previous && o.resume ? previous.replayed : 0, errors: previous && o.resume ? previous.candidateErrors : 0 };
    const save = (s: ReplaySummary) =>
      writeCheckpoint(o.checkpoint, {
        route: o.route,
        to: o.to,
        selection: selectionOf(o),
        lastId: s.lastId,
        replayed: base.replayed + s.replayed,
        candidateErrors: base.errors + s.candidateErrors,
        startedAt: o.resume && previous ? previous.startedAt : started,
        updatedAt: new Date().toISOString(),
      } satisfies Checkpoint);
    const query = {
      route: o.route,
      afterId: o.resume && previous ? previous.lastId : 0,
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...o.segment,
    };
    const tty = io.errIsTTY ?? process.stderr.isTTY === true;
    const write = io.errWrite ?? ((s: string) => void process.stderr.write(s));
    const total = Math.min(await opened.stores.records.countRecords(query), o.limit ?? Number.POSITIVE_INFINITY);
    const progress = createProgress(total, { isTTY: tty, write: tty ? write : (s) => io.err(s.replace(/\n$/, '')) });
    const summary = await runReplay(
      {
        records: opened.stores.records,
        pipeline,
        async flushDiffs() {
          const failed = batcher.stats().failures;
          await batcher.flush();
          if (batcher.stats().failures > failed) throw new Error(`the report data could not be written to ${db}`);
        },
        dispatcher: createShadowDispatcher(),
        candidate,
        shadow,
        redact: redactRules(redact),
        pacer: createPacer(o.rate),
        ...(o.header ? { headers: [o.header] } : {}),
        ...(noise ? { noise } : {}),
        onPage: save,
        onProgress: (s) => progress.update(s.replayed, s.candidateErrors),
      },
      {
        query,
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        concurrency: o.concurrency,
        timeoutMs: o.timeoutMs,
        routeTemplate: route?.match.path.includes(':') ? route.match.path.replace(/\/\*$/, '') : undefined,
      },
    );
    progress.end();
    await batcher.stop();
    const note = o.json ? io.err : io.out;
    const all = base.replayed + summary.replayed;
    const remaining = (await opened.stores.records.countRecords({ ...query, afterId: summary.lastId })) > 0;
    note(
      `fieldlab replay: ${o.route} → ${o.to}: replayed ${plural(summary.replayed, 'request')} at most ${o.rate}/s` +
        `${o.resume ? ` (resumed; ${all} in this report)` : ''}, ${plural(base.errors + summary.candidateErrors, 'candidate error')}` +
        `${copy ? `; ${plural(summary.noiseSent, 'request')} also to noise copy ${copy.name} (${summary.noiseErrors} failed)` : ''}` +
        `${remaining ? `; more remain: --resume continues after id ${summary.lastId}` : ''}`,
    );
    const d: DiffsOptions = {
      json: o.json,
      strict: o.strict,
      allowEmpty: o.allowEmpty,
      help: false,
      failOn: o.failOn,
      examples: o.examples,
    };
    if (all === 0) {
      note('fieldlab replay: NO DATA — no recorded request matched (check --route, --since, --segment, and that the route has record:)');
      if (o.failOn === undefined) return o.allowEmpty ? EXIT.OK : EXIT.NOTHING;
    }
    const rows = await report.diffs.rows({});
    const written = await writeReport(d, buildReport(rows, {}, {}, {}), report.diffs, {}, io);
    if (written !== undefined) return written;
    const errors = base.errors + summary.candidateErrors;
    // Connection failures and timeouts are the candidate failing, whatever the field verdicts say.
    if (o.failOn !== undefined && all > 0 && errors / all > o.failOn) {
      note(
        `fieldlab replay: FAIL — ${plural(errors, 'candidate error')} in ${plural(all, 'request')}, above ${(o.failOn * 100).toFixed(1)}%`,
      );
      return 1;
    }
    return gateReport(d, rows, io, 'replay');
  } catch (err) {
    io.err(`fieldlab replay: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.USAGE;
  } finally {
    await pools.closeAll(true);
    await report.close();
    await opened.close();
    if (!existsSync(o.checkpoint) && !o.resume) rmSync(db, { force: true });
  }
}
