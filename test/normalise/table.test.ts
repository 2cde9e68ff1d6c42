import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTable, streamTable } from '../../src/io/csv.js';
import { columnsOf, readColumnTable } from '../../src/normalise/table.js';
import { fitNormaliser } from '../../src/normalise/fit.js';
import { normaliseFiles } from '../../src/normalise/files.js';
import { errorOf, messageOf } from '../helpers/errors.js';

/** normalise's input as columns: every cell's text given back exactly, rows streamed in pieces. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-normalise-table-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Rows as streamTable gives them, reading `chunk` bytes at a time. */
function streamed(p: string, chunk: number): string[][] {
  const out: string[][] = [];
  streamTable(
    p,
    (s) => out.push(s.columns),
    (r) => out.push(r),
    { chunkBytes: chunk },
  );
  return out;
}

describe('columns keep every cell', () => {
  it('gives back the text of numbers that do not print as themselves, labels, ids and missing cells', () => {
    const cells = ['20.0', '1234.50', '-0', '-0.0', '1e5', '.5', '0x10', '+1', '007', 'NA', '', 'nan', 'HC', '12', '0.1', '1e21', '123456789012345678901234.5', 'sub-00001-long-id-xyz'];
    const t = columnsOf({ file: 'x.csv', columns: ['c'], rows: cells.map((c) => [c]) });
    const c = t.cols[0]!;
    expect(cells.map((_, r) => c.text(r))).toEqual(cells);
    expect(c.num(0)).toBe(20);
    expect(c.num(6)).toBe(16);
    expect(Number.isNaN(c.num(9))).toBe(true);
    // numbers, missing (NA, '', nan) and text (HC, the id), as ColumnTally counts them
    expect([c.numbers, c.missing, c.bad]).toEqual([13, 3, 2]);
    expect(Array.from(t.lines)).toEqual(cells.map((_, r) => r + 2));
  });

  it('keeps the texts of a column with more distinct values than one byte can index, and of one that grows', () => {
    const cells = Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? `${i}.50` : i % 3 === 1 ? `id-${i}` : String(i)));
    const t = columnsOf({ file: 'x.csv', columns: ['c'], rows: cells.map((c) => [c]) });
    expect(cells.map((_, r) => t.cols[0]!.text(r))).toEqual(cells);
    const c = t.cols[0]!;
    c.grow(1000);
    expect(cells.map((_, r) => c.text(r))).toEqual(cells);
  });

  it('grows past its first estimate of the rows', () => {
    const p = file('grow.csv', 'id,v\n"a\nb",1\nc,2.50\nd,x\n');
    const t = readColumnTable(p);
    expect(t.n).toBe(3);
    expect([0, 1, 2].map((r) => t.cols[0]!.text(r))).toEqual(['a\nb', 'c', 'd']);
    expect([0, 1, 2].map((r) => t.cols[1]!.text(r))).toEqual(['1', '2.50', 'x']);
  });
});

describe('streamTable', () => {
  it('reads a file in pieces exactly as csv-parse reads it whole (BOM, spaces, empty lines, long lines, UTF-8, no final line break)', () => {
    const long = 'é'.repeat(50);
    const text = `\ufeffsubject_id, a ,b\n\ns1, 1,2 \ns2,,x\n\ns3,${long},ü\ns4,1.0,2`;
    const p = file('pieces.csv', text);
    const whole = parseTable(readFileSync(p, 'utf8'), p);
    for (const chunk of [1, 3, 7, 64, 1 << 20]) expect(streamed(p, chunk), `chunk ${chunk}`).toEqual([whole.columns, ...whole.rows]);
    const tsv = file('pieces.tsv', 'subject_id\ta b\ns1\t1\n');
    expect(streamed(tsv, 4)).toEqual([
      ['subject_id', 'a b'],
      ['s1', '1'],
    ]);
  });

  it('names the line of bytes that are not UTF-8, and of a short row, across pieces', () => {
    const lines = ['subject_id,a', ...Array.from({ length: 40 }, (_, i) => `s${i},${i}`)];
    const bytes = Buffer.from(lines.join('\n') + '\n');
    const at = bytes.indexOf('s30');
    bytes[at + 1] = 0xe9; // Latin-1 e-acute
    const p = file('latin1.csv', bytes);
    for (const chunk of [5, 1 << 20])
      expect(messageOf(() => streamed(p, chunk))).toBe(`${p}, line 32: bytes that are not UTF-8 (save the file as UTF-8; a Latin-1 or Windows-1252 export is the usual cause)`);
    const short = file('short.csv', lines.join('\n').replace('s20,20', 's20') + '\n');
    expect(messageOf(() => streamed(short, 5))).toBe(`${short}, line 22: not a valid CSV file: Invalid Record Length: expect 2, got 1 on line 22`);
    expect(messageOf(() => streamed(file('empty.csv', '\n\n'), 5))).toBe(`${join(dir, 'empty.csv')}: the file is empty (no header row)`);
  });
});

describe('normalise on columns', () => {
  const cohort = (rows: string[]) => ['subject_id,session,group,age,v', ...rows].join('\n') + '\n';
  const base = Array.from({ length: 30 }, (_, i) => `s${i},1,${i < 20 ? 'HC' : 'MS'},${30 + i},${(100 + ((i * 7) % 13)).toFixed(1)}`);

  it('refuses the first repeated subject and session in file order, naming both lines', () => {
    const rows = [...base];
    rows[25] = 's3,1,MS,40,100.0'; // line 27 repeats line 5
    rows[12] = 's9,1,HC,40,100.0'; // line 14 repeats line 11: found first
    const t = parseTable(cohort(rows), 'dup.csv');
    expect(messageOf(() => fitNormaliser(t, { covariates: ['age'] }))).toBe(
      'dup.csv, line 14, subject s9: subject s9 session "1" appears twice (lines 11 and 14); each subject (and session) must have one row',
    );
    // the same id in another session is another visit, not a repeat
    const visits = parseTable(cohort(base.map((r, i) => (i === 29 ? r.replace('s29,1', 's0,2') : r))), 'visits.csv');
    expect(() => fitNormaliser(visits, { covariates: ['age'], minExtraControls: 2 })).not.toThrow();
    // an empty id before any repeat is that error
    const empty = parseTable(cohort(rows.map((r, i) => (i === 5 ? r.replace('s5', '') : r))), 'e.csv');
    expect(errorOf(() => fitNormaliser(empty, { covariates: ['age'] })).message).toMatch(/^e\.csv, line 7, field subject_id: empty subject id/);
  });

  it('writes carried cells byte for byte and reports its progress: bytes read, then rows written', () => {
    const p = file('carry.csv', cohort(base));
    const seen: string[] = [];
    const r = normaliseFiles({
      data: p,
      out: join(dir, 'carry-z.csv'),
      covariates: [],
      features: ['v'],
      minExtraControls: 2,
      onProgress: (phase, done, total) => seen.push(`${phase} ${done}/${total}`),
    });
    const out = readFileSync(join(dir, 'carry-z.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe('subject_id,session,group,age,is_control,v');
    expect(out.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual(base.map((l) => l.split(',').slice(0, 4).join(',')));
    expect(r.result.n).toBe(30);
    expect(seen[0]).toMatch(/^reading \d+\/\d+$/);
    expect(seen.at(-1)).toBe('writing 30/30');
  });
});
