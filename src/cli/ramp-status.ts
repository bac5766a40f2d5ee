/**
 * The fault-ramp part of `fieldlab status`: per ramp its phase and level, the running step's
 * numbers, every judged step, and — once it ended — the breaking point (last safe and first harmful
 * level, each with its interval and the time it took).
 */

/** A judged step as `GET /status` serves it (timestamps are ISO strings). */
interface StepBody {
  index: number;
  level: number;
  startedAt: string;
  endedAt: string;
  verdict: string;
  judgement: JudgementBody;
}

interface JudgementBody {
  vitals: { slice: { requests: number; bad: number }; control: { requests: number; bad: number }; ratioUpper: number | null } | null;
  goal: {
    name: string;
    slice: { units: number; mean: number | null };
    control: { units: number; mean: number | null };
    relative: number | null;
    interval: [number, number] | null;
  } | null;
  injectedFailures: number;
}

/** `GET /status`'s `ramps` entry. */
export interface RampStatusBody {
  route: string;
  kind: 'delay' | 'abort';
  levels: number[];
  slicePercent: number;
  phase: string;
  step: number;
  level: number | null;
  stepStartedAt: string;
  dwellMs: number;
  current: JudgementBody | null;
  steps: StepBody[];
  end: string | null;
  lastSafe: StepBody | null;
  firstHarmful: StepBody | null;
  injected: number;
  budgetAllowed: number | null;
}

/**
 * Text lines for the ramps (none without any).
 * @example renderRamps(body.ramps ?? []).join('\n')
 */
export function renderRamps(ramps: readonly RampStatusBody[]): string[] {
  const lines: string[] = [];
  for (const r of ramps) {
    const lv = (x: number) => (r.kind === 'delay' ? `${x}ms` : `${x}%`);
    const ladder = r.levels.map((x, i) => (i === r.step && r.phase === 'running' ? `[${lv(x)}]` : lv(x))).join(' → ');
    const budget = r.budgetAllowed === null ? '' : `, budget ${r.injected}/${r.budgetAllowed.toFixed(1)} injected failures`;
    lines.push(
      `ramp ${r.route} (${r.kind} on ${r.slicePercent}% of units): ${r.phase === 'running' ? `step ${r.step + 1} of ${r.levels.length}, since ${r.stepStartedAt}` : `done (${r.end})`}  ${ladder}${budget}`,
    );
    if (r.current) lines.push(`  now   ${judgement(r.current)}`);
    for (const s of r.steps) lines.push(`  ${s.verdict.padEnd(5)} ${lv(s.level).padEnd(7)} ${took(s)}  ${judgement(s.judgement)}`);
    if (r.phase === 'done')
      lines.push(
        `  breaking point: last safe ${r.lastSafe ? lv(r.lastSafe.level) : 'none'}, first harmful ${r.firstHarmful ? lv(r.firstHarmful.level) : r.end === 'completed' ? 'none (every level survived)' : `none (${r.end})`}`,
      );
  }
  return lines;
}

function judgement(j: JudgementBody): string {
  const parts: string[] = [];
  const g = j.goal;
  if (g)
    parts.push(
      `goal ${g.name}: slice ${mean(g.slice.mean)} (${g.slice.units} units) vs control ${mean(g.control.mean)} (${g.control.units})${g.interval ? `, lift ${pct(g.relative)} [${pct(g.interval[0])}, ${pct(g.interval[1])}]` : ', no interval yet'}`,
    );
  const v = j.vitals;
  if (v)
    parts.push(
      `errors ${v.slice.bad}/${v.slice.requests} vs ${v.control.bad}/${v.control.requests}${v.ratioUpper !== null ? ` (ratio < ${v.ratioUpper.toFixed(2)})` : ''}`,
    );
  if (j.injectedFailures > 0) parts.push(`${j.injectedFailures} injected failures`);
  return parts.join('; ');
}

function took(s: StepBody): string {
  const ms = Date.parse(s.endedAt) - Date.parse(s.startedAt);
  return Number.isFinite(ms) ? `took ${(ms / 1000).toFixed(1)}s` : '';
}

const mean = (x: number | null) => (x === null ? '–' : x.toFixed(3));
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
