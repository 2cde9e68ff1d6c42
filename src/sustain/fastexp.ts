/**
 * exp(x) for the likelihood tables' hot loops: a table of exp(j/64) over [-64, 64) times a degree-6
 * Taylor polynomial of the remainder (< 1/64), relative error below 5e-16 (measured against
 * Math.exp), about twice as fast as Math.exp in V8. Outside the table, Math.exp.
 * The exact likelihoods reported (likelihood.ts) use Math.exp.
 */
const LO = -64;
const STEPS = 64;
const TABLE = new Float64Array(128 * STEPS + 1);
for (let j = 0; j < TABLE.length; j++) TABLE[j] = Math.exp(LO + j / STEPS);
const LAST = TABLE.length - 1;

export function fastExp(x: number): number {
  const u = (x - LO) * STEPS;
  if (!(u >= 0 && u < LAST)) return Math.exp(x);
  const j = u | 0;
  const r = x - (LO + j / STEPS);
  return TABLE[j]! * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))))));
}
