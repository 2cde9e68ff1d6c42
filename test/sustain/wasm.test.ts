import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/sustain/arena.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('WebAssembly kernels', () => {
  it('the committed module is the one built from wasm/zkernel.ts', () => {
    // exits non-zero (and the test fails) when src/sustain/zkernel-wasm.ts is stale
    expect(() => execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  }, 60_000);

  it('rowTotals sums each row in the same order as the TypeScript code', () => {
    const M = 7;
    const S = 11;
    const arena = new Arena(Arena.bytes(M * S, 8) + Arena.bytes(M, 8));
    const E = arena.f64(M * S);
    for (let q = 0; q < E.length; q++) E[q] = Math.exp(((q * 37) % 23) - 11) * (1 + q * 1e-9);
    const T = arena.f64(M);
    arena.kernels.rowTotals(E.byteOffset, S, M, T.byteOffset);
    for (let i = 0; i < M; i++) {
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      let k = 0;
      for (; k + 3 < S; k += 4) {
        t0 += E[i * S + k]!;
        t1 += E[i * S + k + 1]!;
        t2 += E[i * S + k + 2]!;
        t3 += E[i * S + k + 3]!;
      }
      for (; k < S; k++) t0 += E[i * S + k]!;
      expect(T[i]).toBe(t0 + t1 + (t2 + t3));
    }
  });

  it('an arena refuses to hand out more than it was sized for, and says so when tables exceed 4 GiB', () => {
    const arena = new Arena(100);
    arena.f64(8);
    expect(() => arena.f64(65536)).toThrow(/cannot hold/);
    expect(() => new Arena(5 * 2 ** 30)).toThrow(/5\.0 GiB.*fit fewer subjects/);
  });
});
