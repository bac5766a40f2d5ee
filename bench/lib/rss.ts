/** RSS sampling of one process under sustained load, and a verdict on whether memory stays flat. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/** Resident set size of `pid` in bytes: /proc on Linux (cheap, no fork), `ps` elsewhere. */
export function readRss(pid: number): number {
  if (process.platform === 'linux') {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

/** The RSS section of the report; MiB throughout. */
export interface RssReport {
  samples: number[];
  startMiB: number;
  peakMiB: number;
  endMiB: number;
  /** Least-squares slope over the second half of the run. */
  slopeMiBPerMin: number;
  flat: boolean;
}

/**
 * Samples `pid` every `intervalMs` until the returned `stop` is called; `stop` returns the analysis.
 *
 * @example
 * const sampler = sampleRss(pid, 1000); await runLoad(…); const report = sampler.stop();
 */
export function sampleRss(pid: number, intervalMs: number): { stop(): RssReport } {
  const samples = [readRss(pid) / MiB];
  const timer = setInterval(() => {
    try {
      samples.push(readRss(pid) / MiB);
    } catch {
      // The process died mid-run; the load result will show the errors, keep what we have.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        samples.push(readRss(pid) / MiB);
      } catch {}
      return analyse(samples, intervalMs);
    },
  };
}

/**
 * The first half of a run may grow (JIT code, pooled sockets, buffer caches warming up); a leak is a steady
 * slope after that. "Flat" = the second half's trend adds at most max(4 MiB, 5 %) over that half.
 */
export function analyse(samples: number[], intervalMs: number): RssReport {
  const half = samples.slice(Math.floor(samples.length / 2));
  const slopePerSample = slope(half);
  const growth = slopePerSample * Math.max(0, half.length - 1);
  const mid = half[0] ?? 0;
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    samples: samples.map(round),
    startMiB: round(samples[0] ?? 0),
    peakMiB: round(Math.max(...samples)),
    endMiB: round(samples.at(-1) ?? 0),
    slopeMiBPerMin: round((slopePerSample * 60_000) / intervalMs),
    flat: growth <= Math.max(4, 0.05 * mid),
  };
}

function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}
