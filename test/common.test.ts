import { describe, it, expect } from 'vitest';
import { Rng } from '../src/common/rng.js';
import { IN_PROCESS_SECONDS, runTasks, TaskPool } from '../src/common/pool.js';
import { UserError } from '../src/common/errors.js';
import { parseTable, parseNumber, toCsv } from '../src/io/csv.js';

describe('Rng', () => {
  it('is reproducible from a seed and streams differ', () => {
    const a = Rng.fromSeed(42);
    const b = Rng.fromSeed(42);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(xs).toEqual(Array.from({ length: 5 }, () => b.uniform()));
    const s = Rng.fromSeed(42).streams(2);
    expect(s[0]!.uniform()).not.toBe(s[1]!.uniform());
    expect(Rng.fromSeed(42).stream(1).uniform()).toBe(Rng.fromSeed(42).streams(2)[1]!.uniform());
  });
  it('uniform is in [0,1) with mean 1/2; normal has mean 0 and sd 1', () => {
    const r = Rng.fromSeed(7);
    let su = 0,
      sn = 0,
      sn2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sn / n)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(sn2 / n) - 1)).toBeLessThan(0.03);
  });
  it('permutation is a permutation', () => {
    const p = Rng.fromSeed(3).permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('pool', () => {
  it('gives the same ordered results with 1 and 2 threads', async () => {
    const url = new URL('./helpers/echo-worker.ts', import.meta.url);
    const tasks = [1, 2, 3, 4, 5];
    const one = await runTasks<number, number>(url, tasks, { threads: 1 });
    const two = await runTasks<number, number>(url, tasks, { threads: 2 });
    expect(one).toEqual([1, 4, 9, 16, 25]);
    expect(two).toEqual(one);
  });

  it('runs batches too small for workers in-process until workers have started, then everything on them', async () => {
    const pool = new TaskPool<number, [number, boolean]>(new URL('./helpers/where-worker.ts', import.meta.url), 2);
    try {
      const small = await pool.run([1, 2, 3], undefined, undefined, IN_PROCESS_SECONDS / 2);
      expect(small).toEqual([
        [1, true],
        [4, true],
        [9, true],
      ]);
      const large = await pool.run([4, 5], undefined, undefined, IN_PROCESS_SECONDS * 2);
      expect(large).toEqual([
        [16, false],
        [25, false],
      ]);
      // the workers are running now: a small batch goes to them too
      expect(await pool.run([6], undefined, undefined, 0.001)).toEqual([[36, false]]);
      // no estimate: on the workers (the old behaviour)
      expect(await new TaskPool<number, [number, boolean]>(new URL('./helpers/where-worker.ts', import.meta.url), 1).run([7])).toEqual([[49, true]]);
    } finally {
      await pool.close();
    }
  });
});

describe('csv', () => {
  it('parses, refuses duplicate columns and names bad cells', () => {
    const t = parseTable('a,b\n1,2\n3,x\n', 'f.csv');
    expect(t.columns).toEqual(['a', 'b']);
    expect(() => parseTable('a,a\n1,2\n', 'f.csv')).toThrow(/f.csv: the header names column "a" twice/);
    expect(() => parseNumber('x', { file: 'f.csv', line: 3, subject: 's1', field: 'b' })).toThrow(UserError);
    expect(() => parseNumber('x', { file: 'f.csv', line: 3, subject: 's1', field: 'b' })).toThrow('f.csv, line 3, subject s1, field b: "x" is not a number');
    expect(Number.isNaN(parseNumber('', { file: 'f', line: 1, field: 'b' }, true))).toBe(true);
    expect(
      toCsv(
        ['a', 'b'],
        [
          [1.5, NaN],
          ['x,y', 2],
        ],
      ),
    ).toBe('a,b\n1.5,\n"x,y",2\n');
  });
});
