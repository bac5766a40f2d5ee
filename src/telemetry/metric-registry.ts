/**
 * Labelled counters and histograms for the request path. A series is looked up (and its label text
 * rendered) once; callers keep the returned cell and from then on an observation is a property
 * increment — no string building, no map lookup. Each family caps its series: past the cap new label
 * sets land in one `other` series, so a config churning names can't grow memory without bound.
 */
import { assertMetricName, header, labelPairs, sampleLine } from './prom-text.js';

/** A counter series. */
export interface CounterCell {
  value: number;
}

/** A histogram series. */
export interface HistogramCell {
  observe(value: number): void;
}

/** Label value every label takes in the overflow series. */
export const OTHER = 'other';

/** The default cap on series per family. */
export const MAX_SERIES = 2000;

abstract class Family<Cell> {
  readonly #series = new Map<string, Cell>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly maxSeries: number = MAX_SERIES,
  ) {
    assertMetricName(name, labelNames);
  }

  /** The series for `values` (in `labelNames` order), created on first use. */
  get(values: readonly string[]): Cell {
    let key = labelPairs(this.labelNames, values);
    let cell = this.#series.get(key);
    if (cell) return cell;
    if (this.#series.size >= this.maxSeries) {
      key = labelPairs(
        this.labelNames,
        this.labelNames.map(() => OTHER),
      );
      cell = this.#series.get(key);
      if (cell) return cell;
    }
    cell = this.create();
    this.#series.set(key, cell);
    return cell;
  }

  protected abstract create(): Cell;
  protected abstract lines(pairs: string, cell: Cell): string;

  /** The family in text format (header only when it has no series yet). */
  render(): string {
    let out = header(this.name, this.help, this.type);
    for (const [pairs, cell] of this.#series) out += this.lines(pairs, cell);
    return out;
  }

  protected abstract readonly type: 'counter' | 'histogram';
}

/**
 * A counter family.
 * @example const requests = new CounterFamily('fieldlab_requests_total', 'Requests', ['route']); const cell = requests.get(['checkout']); cell.value++
 */
export class CounterFamily extends Family<CounterCell> {
  protected readonly type = 'counter';
  protected create(): CounterCell {
    return { value: 0 };
  }
  protected lines(pairs: string, cell: CounterCell): string {
    return sampleLine(this.name, pairs, cell.value);
  }
}

class Histogram implements HistogramCell {
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];
  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    const b = this.#bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A histogram family with fixed upper bounds (`le`), in seconds or whatever unit the name says.
 * @example const h = new HistogramFamily('fieldlab_request_duration_seconds', 'Latency', ['route'], [0.01, 0.1, 1]); h.get(['checkout']).observe(0.042)
 */
export class HistogramFamily extends Family<HistogramCell> {
  protected readonly type = 'histogram';
  readonly #bounds: readonly number[];
  readonly #le: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[], maxSeries = MAX_SERIES) {
    super(name, help, labelNames, maxSeries);
    if (labelNames.includes('le')) throw new Error(`${name}: 'le' is reserved for histogram buckets`);
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error(`${name}: bucket bounds must ascend`);
    this.#bounds = bounds;
    this.#le = [...bounds.map(String), '+Inf'];
  }

  protected create(): HistogramCell {
    return new Histogram(this.#bounds);
  }

  protected lines(pairs: string, cell: HistogramCell): string {
    const h = cell as Histogram;
    const sep = pairs ? ',' : '';
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < this.#le.length; i++) {
      cumulative += h.counts[i]!;
      out += sampleLine(`${this.name}_bucket`, `${pairs}${sep}le="${this.#le[i]}"`, cumulative);
    }
    return out + sampleLine(`${this.name}_sum`, pairs, h.sum) + sampleLine(`${this.name}_count`, pairs, h.count);
  }
}
