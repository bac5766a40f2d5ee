/**
 * The bandit part of `fieldlab status`: per bandit route its phase, and per arm the posterior
 * (conversions/units, mean), P(best) and the percent of new units.
 */

/** `GET /status`'s `bandits` entry, as JSON (timestamps are ISO strings). */
export interface BanditStatusBody {
  route: string;
  goal: string;
  phase: string;
  updatedAt: string | null;
  arms: { arm: string; alpha: number; beta: number; mean: number; pBest: number; percent: number }[];
  pinned: number;
  evicted: number;
  lastError: string | null;
}

/**
 * Text lines for the bandit routes (none without any).
 * @example renderBandits(body.bandits ?? []).join('\n')
 */
export function renderBandits(bandits: readonly BanditStatusBody[]): string[] {
  const lines: string[] = [];
  for (const b of bandits) {
    lines.push(
      `bandit ${b.route} on goal ${b.goal}: ${b.phase}${b.updatedAt ? ` (updated ${b.updatedAt})` : ''}, ${b.pinned} units pinned${b.evicted ? `, ${b.evicted} forgotten` : ''}${b.lastError ? `  last error: ${b.lastError}` : ''}`,
    );
    for (const a of b.arms)
      lines.push(
        `  ${a.arm.padEnd(12)} ${String(a.percent).padStart(6)}%  ${a.alpha - 1}/${a.alpha + a.beta - 2} converted (mean ${a.mean.toFixed(3)})  P(best) ${a.pBest.toFixed(3)}`,
      );
  }
  return lines;
}
