/**
 * ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, nine coefficients, as in Numerical Recipes
 * 3rd ed. §6.1 and Boost), about 15 significant digits; the reflection formula covers x < 0.5.
 */

const G = 7;
const P = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0.
 * @example logGamma(5) // ln 24 = 3.1780538303479458
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = P[0]!;
  for (let i = 1; i < P.length; i++) a += P[i]! / (z + i);
  const t = z + G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
