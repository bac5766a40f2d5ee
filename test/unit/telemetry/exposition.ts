// Test helpers for Prometheus text 0.0.4: a strict parser (every line must match the grammar, HELP
// then TYPE before a family's samples, each family once, histogram buckets cumulative and ending in
// le="+Inf" = _count), cross-checked against an independent one (parse-prometheus-text-format,
// prom2json-compatible) for counters and gauges — that package can't parse labelled histograms
// (yunyu/parse-prometheus-text-format#13), so histograms are checked by the strict parser alone.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample line. */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One family. */
export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: ParsedSample[];
}

/** A histogram series. */
export interface ParsedHistogram {
  readonly buckets: Record<string, number>;
  readonly sum: number;
  readonly count: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_TEXT = '="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL_ANY = `[a-zA-Z_][a-zA-Z0-9_]*${LABEL_TEXT}`;
const LABEL = '([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"';
const VALUE = '([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL_ANY}(?:,${LABEL_ANY})*)?)\\})? ${VALUE}$`);
const ONE_LABEL = new RegExp(LABEL, 'g');
const HELP = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

const unescapeLabel = (s: string) => s.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
const num = (s: string) => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));

/** Parses strictly; throws with the offending line. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  let family: { -readonly [K in keyof ParsedFamily]: ParsedFamily[K] } | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const help = HELP.exec(line);
    if (help) {
      if (families.has(help[1]!)) throw new Error(`family ${help[1]} appears twice`);
      family = { name: help[1]!, help: unescapeLabel(help[2]!), type: '', samples: [] };
      families.set(family.name, family);
      continue;
    }
    const type = TYPE.exec(line);
    if (type) {
      if (!family || family.name !== type[1] || family.type) throw new Error(`TYPE without its HELP: ${line}`);
      family.type = type[2]!;
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    const own = family?.type === 'histogram' ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`] : [family?.name];
    if (!family?.type || !own.includes(m[1]!)) throw new Error(`sample outside its family: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(ONE_LABEL)) {
      if (k! in labels) throw new Error(`label ${k} twice: ${line}`);
      labels[k!] = unescapeLabel(v!);
    }
    family.samples.push({ name: m[1]!, labels, value: num(m[3]!) });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  crossCheck(text, families);
  return families;
}

function checkHistogram(f: ParsedFamily): void {
  const series = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const les = buckets.map((b) => num(b.labels.le ?? 'missing'));
    if (les.some(Number.isNaN) || les.some((le, i) => i > 0 && le <= les[i - 1]!) || les.at(-1) !== Infinity)
      throw new Error(`${f.name}${key}: bad le sequence ${les}`);
    if (buckets.some((b, i) => i > 0 && b.value < buckets[i - 1]!.value)) throw new Error(`${f.name}${key}: buckets not cumulative`);
    const count = samples.find((s) => s.name.endsWith('_count'));
    if (!samples.some((s) => s.name.endsWith('_sum')) || count?.value !== buckets.at(-1)!.value)
      throw new Error(`${f.name}${key}: _sum/_count missing or _count != +Inf bucket`);
  }
}

/** The independent parser must accept the text and read the same counters and gauges. */
function crossCheck(text: string, families: Map<string, ParsedFamily>): void {
  for (const theirs of parsePrometheusTextFormat(text)) {
    const ours = families.get(theirs.name);
    if (!ours || ours.type.toUpperCase() !== theirs.type) throw new Error(`parsers disagree on family ${theirs.name}`);
    if (ours.help !== theirs.help) throw new Error(`parsers disagree on HELP of ${theirs.name}`);
    if (theirs.type !== 'COUNTER' && theirs.type !== 'GAUGE') continue;
    const a = ours.samples.map((s) => [s.labels, s.value]);
    const b = theirs.metrics.map((m) => [m.labels ?? {}, num(m.value!)]);
    if (JSON.stringify(a) !== JSON.stringify(b))
      throw new Error(`parsers disagree on ${theirs.name}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
}

const matches = (s: ParsedSample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => (s.labels[k] ?? '') === v);

/** The value of the one counter/gauge sample of `name` whose labels include `labels`; 0 when none. */
export function value(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number {
  const hits = families.get(name)?.samples.filter((s) => s.name === name && matches(s, labels)) ?? [];
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value ?? 0;
}

/** The one histogram series of `name` whose labels include `labels`. */
export function histogram(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): ParsedHistogram {
  const f = families.get(name);
  if (f?.type !== 'histogram') throw new Error(`no histogram ${name}`);
  const hit = f.samples.filter((s) => matches(s, labels));
  const sums = hit.filter((s) => s.name === `${name}_sum`);
  if (sums.length !== 1) throw new Error(`${sums.length} series of ${name} match ${JSON.stringify(labels)}`);
  const buckets: Record<string, number> = {};
  for (const s of hit) if (s.name === `${name}_bucket`) buckets[s.labels.le!] = s.value;
  return { buckets, sum: sums[0]!.value, count: hit.find((s) => s.name === `${name}_count`)!.value };
}
