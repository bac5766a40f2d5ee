/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): `# HELP` and
 * `# TYPE` lines, then one `name{labels} value` line per sample. Label values escape `\`, `"` and
 * newline; HELP text escapes `\` and newline; values are Go-style floats (`+Inf`, `-Inf`, `NaN`).
 */

/** The content type a scrape answer carries. */
export const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Sample types a plain family can hold (histograms are rendered by the registry). */
export type FamilyType = 'counter' | 'gauge' | 'untyped';

/** One sample of a family. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family from a collect callback: counters and gauges read at scrape time. */
export interface MetricFamily {
  /** Fixed name, e.g. `fieldlab_mirror_dropped_total`; variable parts go in labels. */
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Throws on a name Prometheus would reject (names are fixed in code, so this is a programming error).
 * @example assertMetricName('fieldlab_requests_total', ['route', 'arm'])
 */
export function assertMetricName(name: string, labels: readonly string[] = []): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  for (const l of labels)
    if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(l)} on ${name}`);
}

/**
 * Escapes a label value for use between double quotes.
 * @example escapeLabelValue('a"b\\c\nd') // 'a\\"b\\\\c\\nd'
 */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/**
 * Escapes HELP text.
 * @example escapeHelp('line one\nline two') // 'line one\\nline two'
 */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * Formats a sample value.
 * @example formatValue(Infinity) // '+Inf'
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Renders label pairs without braces: `route="a",arm="b"` (empty string for none).
 * @example labelPairs(['route', 'arm'], ['checkout', 'control'])
 */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) out += `${i === 0 ? '' : ','}${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  return out;
}

/**
 * The `# HELP` and `# TYPE` header of a family.
 * @example header('fieldlab_requests_total', 'Requests', 'counter')
 */
export function header(name: string, help: string, type: FamilyType | 'histogram'): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/**
 * Renders one sample line.
 * @example sampleLine('up', 'job="x"', 1) // 'up{job="x"} 1\n'
 */
export function sampleLine(name: string, pairs: string, value: number): string {
  return pairs ? `${name}{${pairs}} ${formatValue(value)}\n` : `${name} ${formatValue(value)}\n`;
}

/**
 * Renders a plain family (a collect callback's counters and gauges).
 * @example renderFamily({ name: 'fieldlab_config_version', help: 'Live config version', type: 'gauge', samples: [{ value: 3 }] })
 */
export function renderFamily(f: MetricFamily): string {
  let out = header(f.name, f.help, f.type);
  for (const s of f.samples) {
    const names = s.labels ? Object.keys(s.labels) : [];
    out += sampleLine(
      f.name,
      labelPairs(
        names,
        names.map((n) => s.labels![n]!),
      ),
      s.value,
    );
  }
  return out;
}
