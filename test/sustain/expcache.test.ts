import { describe, expect, it } from 'vitest';
import { ExpCache } from '../../src/sustain/expcache.js';
import { fastExp } from '../../src/sustain/fastexp.js';
import { Rng } from '../../src/common/rng.js';

describe('ExpCache (cached exp(alpha x) columns)', () => {
  const M = 5;
  const B = 2;
  const xT = Float64Array.from([0.5, -1, 2, 3.5, 0, 1, 2, -3, 0.25, 4]);
  const make = () => new ExpCache(M, B, xT, new Float64Array(ExpCache.slotsFor(M) * M));
  const expected = (f: number, alpha: number) => Array.from({ length: M }, (_, i) => fastExp(alpha * xT[f * M + i]!));
  const col = (c: ExpCache, at: number) => Array.from(c.values.subarray(at, at + M));

  it('returns exp(alpha x) of the asked biomarker, through hits, misses and evictions', () => {
    const c = make();
    const rng = Rng.fromSeed(3);
    // twice as many keys as slots: hits and evictions both happen
    const keys = Array.from({ length: 2 * ExpCache.slotsFor(M) }, (_, j) => [j % B, (j - 7) / 8] as const);
    for (let it = 0; it < 2000; it++) {
      const [f, a] = keys[rng.int(keys.length)]!;
      expect(col(c, c.column(f, a))).toEqual(expected(f, a));
    }
  });

  it('never evicts the column the caller keeps while asking for a second one', () => {
    const c = make();
    const slots = ExpCache.slotsFor(M);
    // fill every slot; slot 0 is the next to be reused
    for (let j = 0; j < slots; j++) c.column(0, j + 1);
    const first = c.column(0, 1); // a hit on slot 0
    expect(first).toBe(0);
    const second = c.column(1, -0.5, first); // a miss: must not take slot 0
    expect(second).not.toBe(first);
    expect(col(c, first)).toEqual(expected(0, 1));
    expect(col(c, second)).toEqual(expected(1, -0.5));
  });
});
