/**
 * A fixed-bucket latency histogram at 10 µs resolution. autocannon's own histogram stores whole
 * milliseconds, too coarse for a "p99 ≤ 1.3×" check when loopback p99s are a few ms.
 */
const BUCKET_US = 10;
const BUCKETS = 200_000; // 0 … 2 s; slower responses land in the last bucket

/** Records response times in ms and answers percentiles in ms. */
export class LatencyHistogram {
  #counts = new Uint32Array(BUCKETS);
  #total = 0;
  #maxMs = 0;

  /** @example h.record(1.234) */
  record(ms: number): void {
    const i = Math.min(BUCKETS - 1, Math.floor((ms * 1000) / BUCKET_US));
    this.#counts[i]!++;
    this.#total++;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  get count(): number {
    return this.#total;
  }

  /** The upper edge of the bucket holding the q-th percentile (q in 0…100); NaN when empty. */
  percentile(q: number): number {
    if (this.#total === 0) return Number.NaN;
    const rank = Math.ceil((q / 100) * this.#total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return i === BUCKETS - 1 ? this.#maxMs : ((i + 1) * BUCKET_US) / 1000;
    }
    return this.#maxMs;
  }
}
