// The leak check: a unit's arms are a leak only when no single bucket fits every (arm, weights)
// exposure under nested ranges; ramps, rollbacks and holdback releases are explained.
import { describe, expect, it } from 'vitest';
import { explained, unexplainedUnits } from '../../../src/experiments/leaks.js';

const two = ['control', 'variant'];
const three = ['control', 'a', 'b'];
// 'control@90,10 variant@50,50': each arm a unit was seen in, with the weights of that exposure.
const fits = (arms: string[], seen: string) =>
  explained(
    arms,
    seen.split(' ').map((x) => x.split('@') as [string, string]),
  );

describe('explained', () => {
  it('explains moves the weights made: ramp up, step down, rollback, holdback release', () => {
    expect(fits(two, 'control@90,10 variant@50,50')).toBe(true);
    expect(fits(two, 'control@50,50 variant@90,10')).toBe(false); // control at 50, variant at 10: no bucket
    expect(fits(two, 'control@100,0 variant@90,10')).toBe(true); // rolled back
    expect(fits(two, 'control@5,95 variant@0,100')).toBe(true); // holdback released
    expect(fits(three, 'control@90,5,5 b@60,20,20')).toBe(true);
  });

  it('refuses what no bucket explains: same weights, two variants, an arm at 0%', () => {
    expect(fits(two, 'control@50,50 variant@50,50')).toBe(false);
    expect(fits(three, 'a@60,20,20 b@60,20,20')).toBe(false);
    expect(fits(three, 'a@90,5,5 b@0,50,50')).toBe(false); // lanes never overlap
    expect(fits(two, 'variant@100,0')).toBe(false); // a variant exposure under 0%
    expect(fits(two, 'control@0,100')).toBe(false);
    expect(fits(two, 'control@50,50')).toBe(true);
  });

  it('does not judge arms or layouts the config no longer has', () => {
    expect(fits(two, 'gone@50,50 control@50,50')).toBe(true);
    expect(fits(two, 'variant@80,10,10 control@50,50')).toBe(true);
  });
});

describe('unexplainedUnits', () => {
  it('sums the units of unexplained sets only', () => {
    const sets = [
      {
        exposures: [
          ['control', '90,10'],
          ['variant', '50,50'],
        ] as const,
        units: 500,
      },
      {
        exposures: [
          ['control', '50,50'],
          ['variant', '50,50'],
        ] as const,
        units: 7,
      },
      { exposures: [['variant', '90,10']] as const, units: 100 },
    ];
    expect(unexplainedUnits(two, sets)).toBe(7);
  });
});
