import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageOf } from '../helpers/errors.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { runCli } from '../helpers/cli.js';
import { checkCvMemory, checkFitMemory, concurrentTasks } from '../../src/cli/fit-memory.js';
import { fitMemory, tableSetBytes } from '../../src/sustain/fit-memory.js';
import { SubtypeTables } from '../../src/sustain/state-subtype.js';

/** A fit too big for the machine (or for one WebAssembly memory) is refused before it starts, in one line. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-fitmem-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env['MS_SUBTYPE_TEST_FREE_MEMORY'];
});

const plan = { maxSubtypes: 2, startpoints: 1, chains: 2, mcmc: 20, polish: 0, jobs: 1 };
// 2.9 M rows of 13 biomarkers x 3 thresholds (the table): 2,175,000 patients
const big = { rows: 2_175_000, subjects: 2_175_000, width: 13, biomarkers: 13, stages: 40 };

describe('the estimate', () => {
  it('grows with rows, subtypes and threads, and counts the tables the engine allocates', () => {
    const a = fitMemory({ rows: 100_000, width: 13, stages: 40, maxSubtypes: 2, threads: 1 });
    const b = fitMemory({ rows: 200_000, width: 13, stages: 40, maxSubtypes: 2, threads: 1 });
    expect(b.total).toBeGreaterThan(1.8 * a.total);
    expect(fitMemory({ rows: 100_000, width: 13, stages: 40, maxSubtypes: 3, threads: 1 }).total).toBeGreaterThan(a.total);
    expect(fitMemory({ rows: 100_000, width: 13, stages: 40, maxSubtypes: 2, threads: 2 }).total).toBeGreaterThan(a.total + a.task * 0.99);
    // two subtypes' tables are at least what SubtypeTables allocates for them
    expect(tableSetBytes(100_000, 13, 40, 2)).toBeGreaterThanOrEqual(2 * SubtypeTables.arenaBytes(100_000, 40, true));
  });
  it('counts the tasks that run at once: the widest batch, at most --jobs', () => {
    expect(concurrentTasks({ ...plan, jobs: 1 })).toBe(1);
    expect(concurrentTasks({ ...plan, jobs: 8 })).toBe(4);
    expect(concurrentTasks({ ...plan, jobs: 8, startpoints: 25 })).toBe(8);
    expect(concurrentTasks({ ...plan, jobs: 8, mcmc: 0 })).toBe(2);
  });
});

describe('too big', () => {
  it('tables beyond one WebAssembly memory: a one-line error naming the file, the size and what would fit', () => {
    process.env['MS_SUBTYPE_TEST_FREE_MEMORY'] = String(2 ** 50);
    const msg = messageOf(() => checkFitMemory('z.csv', big, plan));
    expect(msg).toMatch(
      /^z\.csv: fitting 2,175,000 subjects x 13 biomarkers \(39 events\) with --max-subtypes 2 needs [\d.]+ GB of likelihood tables per task, more than one WebAssembly memory holds \(4 GB\): fit --max-subtypes 1 \(about [\d.]+ GB\), or a random sample of at most [\d,]+ subjects$/,
    );
    expect(msg).not.toContain('\n');
    // the sample it names does fit
    const n = Number(/at most ([\d,]+) subjects/.exec(msg)![1]!.replace(/,/g, ''));
    expect(n).toBeGreaterThan(100_000);
    expect(() => checkFitMemory('z.csv', { ...big, rows: n, subjects: n }, plan)).not.toThrow();
    expect(() => checkFitMemory('z.csv', { ...big, rows: 2 * n, subjects: 2 * n }, plan)).toThrow(/WebAssembly/);
  });
  it('more than the machine has free: fewer threads, fewer subtypes or a sample', () => {
    const need = fitMemory({ rows: 500_000, width: 13, stages: 40, maxSubtypes: 2, threads: 1 }).total;
    process.env['MS_SUBTYPE_TEST_FREE_MEMORY'] = String(Math.round(need * 1.5));
    const shape = { ...big, rows: 500_000, subjects: 500_000 };
    expect(() => checkFitMemory('z.csv', shape, plan)).not.toThrow();
    const msg = messageOf(() => checkFitMemory('z.csv', shape, { ...plan, jobs: 4 }));
    expect(msg).toMatch(
      /^z\.csv: fitting 500,000 subjects x 13 biomarkers \(39 events\) with --max-subtypes 2 on 4 threads needs about [\d.]+ GB of memory, more than the [\d.]+ GB this machine has free: fit --jobs 1 \(about [\d.]+ GB\), or --max-subtypes 1( --jobs 1)? \(about [\d.]+ GB\), or a random sample of at most [\d,]+ subjects$/,
    );
    // cv: its parts run at once, each a whole fit
    expect(messageOf(() => checkCvMemory('z.csv', shape, { ...plan, jobs: 4, folds: 10, onePart: false }))).toMatch(/^z\.csv: cross-validating 500,000 subjects .* on 4 threads needs about/);
    expect(() => checkCvMemory('z.csv', shape, { ...plan, jobs: 1, folds: 10, onePart: false })).not.toThrow();
  });
  it('fit and cv refuse before they start: exit 2, one line, nothing written', async () => {
    const rows = ['subject_id,a,b,c'];
    for (let i = 0; i < 40; i++) rows.push(`s${i},${(i % 7) / 2},${(i % 5) / 2},${(i % 3) / 2}`);
    const data = join(dir, 'z.csv');
    writeFileSync(data, rows.join('\n') + '\n');
    process.env['MS_SUBTYPE_TEST_FREE_MEMORY'] = '1000000';
    const out = join(dir, 'fit');
    const r = await runCliInProcess(['fit', '--data', data, '--out', out, '--max-subtypes', '2', '--startpoints', '1', '--mcmc', '0', '--jobs', '1', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ms-subtype: ${data.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: fitting 40 subjects x 3 biomarkers \\(9 events\\) with --max-subtypes 2 needs about [\\d.]+ GB of memory, more than the 0\\.00 GB this machine has free: fit .*\n$`,
      ),
    );
    expect(existsSync(join(out, 'model.json'))).toBe(false);
    const c = await runCliInProcess(['cv', '--data', data, '--out', join(dir, 'cv'), '--folds', '2', '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '0', '--jobs', '1', '--quiet']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/: cross-validating 40 subjects x 3 biomarkers \(9 events\) with --max-subtypes 1 needs about/);
    expect(c.stderr.trim().split('\n')).toHaveLength(1);
    delete process.env['MS_SUBTYPE_TEST_FREE_MEMORY'];
    const ok = await runCliInProcess(['fit', '--data', data, '--out', out, '--max-subtypes', '2', '--startpoints', '1', '--mcmc', '0', '--jobs', '1', '--quiet']);
    expect(ok.code).toBe(0);
  });
  it("a z table whose ids and text cells would not fit in V8's heap: one line while reading, not an out-of-memory crash", () => {
    const pad = 'x'.repeat(200);
    const rows = ['subject_id,note,a,b'];
    // a heap well above the fixed cost of the CLI under tsx and of one 4 MiB piece being split, so
    // that the check, not the first piece, meets the limit (at 40 MB a loaded suite once crashed first)
    for (let i = 0; i < 120_000; i++) rows.push(`sub-${i}-${pad},note ${i} ${pad},${(i % 7) / 2},${(i % 5) / 2}`);
    const data = join(dir, 'wide.csv');
    writeFileSync(data, rows.join('\n') + '\n');
    const out = join(dir, 'fit-wide');
    const r = runCli(['fit', '--data', data, '--out', out, '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '0', '--jobs', '1', '--quiet'], {
      env: { NODE_OPTIONS: '--max-old-space-size=80' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^ms-subtype: .*wide\.csv: 120,001 rows x 4 columns need about [\d.]+ GB of V8 heap for their ids and text cells, more than the [\d.]+ GB this process may use: run with NODE_OPTIONS=--max-old-space-size=\d+/,
    );
    expect(existsSync(join(out, 'model.json'))).toBe(false);
  }, 60_000);
});
