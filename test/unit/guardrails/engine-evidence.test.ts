import { describe, expect, it } from 'vitest';
import { ARM_COUNTS, emptyArmSecond } from '../../../src/guardrails/arm-second.js';
import { addSecond, freshEvidence } from '../../../src/guardrails/engine-evidence.js';

describe('engine evidence totals', () => {
  it('adds every count of a second (all but units) into the run and step totals of both arms', () => {
    const e = freshEvidence(true);
    const v = emptyArmSecond();
    const c = emptyArmSecond();
    // Distinct values per count, so a count summed into the wrong field or left out shows.
    ARM_COUNTS.forEach((k, i) => {
      v[k] = i + 1;
      c[k] = 100 * (i + 1);
    });
    addSecond(e, 1.5, v, c, 0);
    addSecond(e, 1.5, v, c, 1);
    for (const [i, k] of ARM_COUNTS.entries()) {
      if (k === 'units') {
        expect(k in e.total.v).toBe(false);
        continue;
      }
      expect({ k, total: e.total.v[k], step: e.step.v[k] }).toEqual({ k, total: 2 * (i + 1), step: 2 * (i + 1) });
      expect({ k, total: e.total.c[k], step: e.step.c[k] }).toEqual({ k, total: 200 * (i + 1), step: 200 * (i + 1) });
    }
  });
});
