import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageOf } from '../helpers/errors.js';
import { parseTable, readTable, scanTable, tableBytes } from '../../src/io/csv.js';
import { readZTable } from '../../src/io/ztable.js';
import { fitNormaliser } from '../../src/normalise/fit.js';
import { readSubjects } from '../../src/report/read.js';
import { runCli } from '../helpers/cli.js';
import { spareMemory } from '../../src/common/memory.js';

/** Tables that look fine but would give a wrong number: refused with file, line, subject and column. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('duplicate subjects', () => {
  it('fit/assign tables: the same subject and session twice is refused with both lines', () => {
    const p = file('dup.csv', 'subject_id,session,a,b\ns1,1,1,2\ns2,1,0.5,1\ns1,2,1,1\ns1,1,0.1,0.2\n');
    expect(messageOf(() => readZTable(p))).toBe(`${p}, line 5, subject s1: subject s1 session "1" appears twice (lines 2 and 5); each subject (and session) must have one row`);
    const q = file('dup2.csv', 'subject_id,a\ns1,1\ns2,2\ns2,3\n');
    expect(messageOf(() => readZTable(q, { biomarkers: ['a'] }))).toMatch(/line 4, subject s2: subject s2 appears twice \(lines 3 and 4\)/);
    // controls count too: a control and a patient with one id are one person twice
    const c = file('dupctrl.csv', 'subject_id,is_control,a\ns1,1,1\ns1,0,2\ns2,0,1\n');
    expect(messageOf(() => readZTable(c))).toMatch(/lines 2 and 3/);
  });
  it('report: a subjects.csv with one subject twice is refused with both lines', () => {
    const p = file('subjects.csv', 'subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0\ns1,0,1,2,0.9,1\ns2,0,1,1,0.8,1\ns1,0,1,3,0.7,1\n');
    expect(messageOf(() => readSubjects(p))).toMatch(/line 4, subject s1: subject s1 appears twice \(lines 2 and 4\)/);
  });
});

describe('numeric columns with a few text cells', () => {
  for (const bad of ['abc', 'Inf', '1e309']) {
    it(`"${bad}" in a column of numbers is an error naming file, line, subject and column (normalise and fit)`, () => {
      const rows = ['subject_id,group,age,vol_a,vol_b'];
      for (let i = 0; i < 12; i++) rows.push(`s${i},${i < 6 ? 'HC' : 'MS'},${40 + i},${100 + i},${i === 7 ? bad : 50 + i}`);
      const p = file(`bad-${bad}.csv`, rows.join('\n') + '\n');
      const t = readTable(p);
      const msg = messageOf(() => fitNormaliser(t, { controlColumn: 'group', controlValues: ['HC'], covariates: ['age'] }));
      expect(msg).toMatch(
        new RegExp(`^${p}, line 9, subject s7, field vol_b: "${bad}" is not a number in a numeric column \\(11 of its cells are numbers, 1 not; name the feature columns with --features`),
      );
      expect(messageOf(() => readZTable(p))).toMatch(/line 9, subject s7, field vol_b: .* --biomarkers/);
    });
  }
  it('a text column (group, sex) is still just left out', () => {
    const p = file('text.csv', 'subject_id,sex,a\ns1,F,1\ns2,M,2\ns3,F,0.5\n');
    expect(readZTable(p).table.biomarkers).toEqual(['a']);
  });
});

describe('missing values where a number is needed, missing columns', () => {
  it('a NaN probability is called a missing value, not "empty value"', () => {
    const p = file('nanprob.csv', 'subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0\ns1,0,NaN,2,0.9,1\n');
    expect(messageOf(() => readSubjects(p))).toBe(`${p}, line 2, subject s1, field prob_ml_subtype: "NaN" (a missing value) where a number is needed`);
  });
  it('an ml_subtype without its prob_subtype column names the missing column', () => {
    const p = file('noprob1.csv', 'subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0\ns1,1,0.6,2,0.9,0.4\n');
    expect(messageOf(() => readSubjects(p))).toMatch(/field prob_subtype_1: missing column prob_subtype_1 \(ml_subtype is 1, the table has prob_subtype_0\.\.0\)/);
  });
});

describe('empty columns and empty tables', () => {
  it('fit: an all-empty column is left out and said; fewer than 2 subjects names the file; assign refuses a header-only file', async () => {
    const z = file('z.csv', 'subject_id,a,b,empty\n' + Array.from({ length: 30 }, (_, i) => `s${i},${(i % 7) / 2},${(i % 5) / 2},`).join('\n') + '\n');
    const out = join(dir, 'fit');
    let r = await runCli(['fit', '--data', z, '--out', out, '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '0', '--jobs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: column(s) empty of ${z} are empty in every row and were left out of the biomarkers`);
    const one = file('one.csv', 'subject_id,a,b\ns1,1,2\n');
    r = await runCli(['fit', '--data', one, '--out', join(dir, 'fit1'), '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(`ms-subtype: ${one}: fitting needs at least 2 subjects, the table has 1`);
    const header = file('header.csv', 'subject_id,a,b\n');
    r = await runCli(['assign', '--model', join(out, 'model.json'), '--data', header, '--out', join(dir, 'x.csv')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(`ms-subtype: ${header}: the table has a header but no rows`);
  }, 60_000);
});

describe('the row-by-row reader', () => {
  const rowsOf = (p: string) => {
    const out: string[][] = [];
    scanTable(
      p,
      tableBytes(p),
      (c) => out.push(c),
      (r) => out.push(r),
    );
    return out;
  };
  it('splits quote-free files exactly as csv-parse reads them (BOM, spaces, empty lines, TSV)', () => {
    const csv = file('plain.csv', '\ufeffsubject_id, a ,b\n\ns1, 1,2 \ns2,,x\n\n');
    const c = parseTable(readFileSync(csv, 'utf8'), csv);
    expect(rowsOf(csv)).toEqual([c.columns, ...c.rows]);
    expect(rowsOf(csv)).toEqual([
      ['subject_id', 'a', 'b'],
      ['s1', '1', '2'],
      ['s2', '', 'x'],
    ]);
    const tsv = file('plain.tsv', 'subject_id\ta\ns1\t1\n');
    const t = parseTable(readFileSync(tsv, 'utf8'), tsv);
    expect(rowsOf(tsv)).toEqual([t.columns, ...t.rows]);
    const q = file('quoted.csv', 'subject_id,a\n"s, 1",1\ns2,2\n');
    expect(rowsOf(q)).toEqual([
      ['subject_id', 'a'],
      ['s, 1', '1'],
      ['s2', '2'],
    ]);
  });
  it('a short row is the same error with or without quotes in the file', () => {
    const plain = file('short.csv', 'subject_id,a,b\ns1,1,2\ns2,1\n');
    const quoted = file('short-q.csv', 'subject_id,a,b\n"s1",1,2\ns2,1\n');
    const reason = (p: string) => messageOf(() => rowsOf(p)).replace(/^[^:]*(, line \d+)?: /, '');
    expect(reason(plain)).toBe(reason(quoted));
    expect(reason(plain)).toMatch(/Invalid Record Length: expect 3, got 2 on line 3/);
  });
});

describe('a table too big for memory', () => {
  // normalise holds numbers in typed arrays (outside V8's heap) and only the texts it must keep
  // (ids, labels, free text) as strings: a table of long distinct texts is what fills a heap.
  it('normalise says so in one line (with the setting that would give Node more), instead of crashing out of memory', async () => {
    const pad = 'x'.repeat(300);
    const rows = ['subject_id,group,age,note,r0,r1'];
    for (let i = 0; i < 60_000; i++) rows.push(`sub-${i},${i % 4 === 0 ? 'HC' : 'MS'},${30 + (i % 40)},note ${i} ${pad},${1000 + (i % 97)},${2000 + (i % 89)}`);
    const f = file('big-features.csv', rows.join('\n') + '\n');
    const out = join(dir, 'big-z.csv');
    const r = await runCli(['normalise', '--data', f, '--control-column', 'group', '--control-values', 'HC', '--covariates', 'age', '--out', out], {
      env: { NODE_OPTIONS: '--max-old-space-size=40' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ms-subtype: ${f}: 60,001 rows x 6 columns need about [\\d.]+ GB of memory, more than the [\\d.]+ GB this process may use: run with NODE_OPTIONS=--max-old-space-size=\\d+`,
      ),
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'big-z.normaliser.json'))).toBe(false);
  }, 60_000);

  it("normalise also weighs the table against the machine's free memory (Node 20 has no process.availableMemory)", async () => {
    // without the stand-in the answer is the machine's own: finite, so the check can fire
    delete process.env['MS_SUBTYPE_TEST_FREE_MEMORY'];
    expect(spareMemory()).toBeGreaterThan(0);
    expect(spareMemory()).toBeLessThan(Infinity);
    const rows = ['subject_id,group,age,r0,r1'];
    for (let i = 0; i < 2000; i++) rows.push(`sub-${i},${i % 4 === 0 ? 'HC' : 'MS'},${30 + (i % 40)},${1000 + (i % 97)},${2000 + (i % 89)}`);
    const f = file('free-features.csv', rows.join('\n') + '\n');
    const out = join(dir, 'free-z.csv');
    const r = await runCli(['normalise', '--data', f, '--control-column', 'group', '--control-values', 'HC', '--covariates', 'age', '--out', out], {
      env: { MS_SUBTYPE_TEST_FREE_MEMORY: '10000' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^ms-subtype: ${f}: 2,001 rows x 5 columns need about [\\d.]+ GB of memory, more than the 0\\.00 GB this process may use: split the table`));
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('outputs that belong together', () => {
  it("report refuses a model beside the subjects.csv of another fit, and a table beside another run's sidecar", async () => {
    const z = file('z-set.csv', 'subject_id,a,b\n' + Array.from({ length: 30 }, (_, i) => `s${i},${(i % 7) / 2},${(i % 5) / 2}`).join('\n') + '\n');
    const fit = (out: string, seed: string) =>
      runCli(['fit', '--data', z, '--out', out, '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '200', '--tune', '50', '--seed', seed, '--quiet', '--jobs', '1']);
    const a = join(dir, 'fit-a'),
      b = join(dir, 'fit-b');
    expect((await fit(a, '1')).code).toBe(0);
    expect((await fit(b, '2')).code).toBe(0);
    const report = (model: string, subjects: string) => runCli(['report', '--model', model, '--subjects', subjects, '--out', join(dir, 'report')]);
    // a fit killed after writing model.json, before subjects.csv: b's model beside a's subjects
    copyFileSync(join(b, 'model.json'), join(a, 'model.json'));
    let r = await report(join(a, 'model.json'), join(a, 'subjects.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ms-subtype: ${join(a, 'subjects.csv')}: was made with another model than ${join(a, 'model.json')} \\(its sidecar records .*\\): rerun the fit \\(or assign\\) that made them\\n$`,
      ),
    );
    // killed between subjects.csv and its sidecar: b's table with a's sidecar
    copyFileSync(join(b, 'model.json'), join(a, 'model.json'));
    copyFileSync(join(b, 'subjects.csv'), join(a, 'subjects.csv'));
    r = await report(join(a, 'model.json'), join(a, 'subjects.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/subjects\.csv: the table does not match its sidecar .*subjects\.csv\.json \(the two are from different runs/);
  }, 120_000);
});
