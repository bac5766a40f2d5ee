// `fieldlab status` shows a variant's holdback: held (until when, or until promoted again), released.
import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../../src/cli/control.js';

type Body = Parameters<typeof renderStatus>[0];
const body = (holdback: unknown): Body =>
  ({
    routes: [
      {
        route: 'checkout',
        variants: [
          {
            arm: 'v2',
            percent: 95,
            phase: 'promoted',
            stepIndex: 4,
            steps: [1, 5, 25, 50, 100],
            stepStartedAt: null,
            breach: null,
            holdback,
          },
        ],
      },
    ],
    decisions: [],
  }) as Body;

describe('status text: holdback', () => {
  it('says how many units are held on control and until when, or when they were released', () => {
    expect(renderStatus(body({ percent: 5, active: true, endsAt: '2026-12-16T06:00:00.000Z', releasedAt: null }))).toContain(
      '      holdback: 5% of units on control until 2026-12-16T06:00:00.000Z',
    );
    expect(renderStatus(body({ percent: 5, active: true, endsAt: null, releasedAt: null }))).toContain(
      'holdback: 5% of units on control until promoted again',
    );
    expect(renderStatus(body({ percent: 5, active: false, endsAt: null, releasedAt: '2026-12-16T06:00:01.000Z' }))).toContain(
      'holdback: 5% released 2026-12-16T06:00:01.000Z',
    );
    expect(renderStatus(body({ percent: 5, active: true, endsAt: null, releasedAt: null, blockedBy: 'paused' }))).toContain(
      'until promoted again (release blocked: paused)',
    );
    expect(renderStatus(body(null))).not.toContain('holdback');
  });
});
