import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'csv-parse';
import { scanTable, streamTable, tableBytes, tableHeader } from '../../src/io/csv.js';
import { readZTable } from '../../src/io/ztable.js';

/** Files with quotes or carriage returns are fed to csv-parse piece by piece: the rows and errors of the whole-file parse. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-csvstream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

type Out = { rows: (string | number)[][]; error: string | null };

/** Rows (with their lines) and the error of the whole-file reader (scanTable over the file's bytes). */
function whole(p: string): Out {
  const rows: (string | number)[][] = [];
  try {
    scanTable(
      p,
      tableBytes(p),
      (c) => rows.push(c),
      (r, line) => rows.push([...r, line]),
    );
    return { rows, error: null };
  } catch (e) {
    return { rows, error: (e as Error).message };
  }
}

function streamed(p: string, chunk: number): Out {
  const rows: (string | number)[][] = [];
  try {
    streamTable(
      p,
      (s) => rows.push(s.columns),
      (r, line) => rows.push([...r, line]),
      { chunkBytes: chunk },
    );
    return { rows, error: null };
  } catch (e) {
    return { rows, error: (e as Error).message };
  }
}

const CASES: Record<string, string> = {
  quoted: 'subject_id,group,a\n"s, 1","HC",1\n"s2" , "MS" ,2\n"s""3","a\nb",3\n',
  crlf: 'subject_id,a,b\r\ns1,1,2\r\n\r\ns2, 3 ,4\r\n"s3",5,6\r\n',
  'cr only': 'subject_id,a\rs1,1\rs2,2\r"s3",3',
  'crlf, no final line end': '\ufeffsubject_id,a\r\ns1,1\r\ns2,2',
  'quoted line breaks with CRLF': 'subject_id,note,a\r\ns1,"line one\r\nline two",1\r\ns2,"x ""y""",2\r\n',
  'UTF-8 in quotes': 'subject_id,a\n"é-1",1\n"ü,2",2\n',
  tsv: 'subject_id\tgroup\ta\r\n"s1"\tHC\t1\r\ns2\t"M\tS"\t2\r\n',
  'unclosed quote': 'subject_id,a\ns1,1\n"s2,2\ns3,3\n',
  'short row': 'subject_id,a,b\n"s1",1,2\ns2,1\ns3,1,2\n',
  'quote inside a field': 'subject_id,a\ns1,1\ns"2,2\n',
  'empty after BOM': '\ufeff\r\n',
};

describe('quoted and CR files, piece by piece', () => {
  it("uses csv-parse's incremental parser (its stream's; an upgrade without it falls back to the whole file)", () => {
    expect(typeof (new Parser({}) as unknown as { api?: { parse?: unknown } }).api?.parse).toBe('function');
  });
  for (const [name, text] of Object.entries(CASES)) {
    it(`${name}: the rows, lines and error of the whole-file parse, at any piece size`, () => {
      const p = file(`${name.replace(/\W+/g, '-')}.${name === 'tsv' ? 'tsv' : 'csv'}`, text);
      const expected = whole(p);
      for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) expect(streamed(p, chunk), `chunk ${chunk}`).toEqual(expected);
      // the header alone (read up to the first line break) is the whole parse's
      if (expected.rows.length > 0 && !name.includes('cr only')) expect(tableHeader(p)).toEqual(expected.rows[0]);
    });
  }
  it('the cases cover rows and errors', () => {
    const outs = Object.entries(CASES).map(([name, text]) => whole(file(`cover-${name.replace(/\W+/g, '-')}.${name === 'tsv' ? 'tsv' : 'csv'}`, text)));
    expect(outs.filter((o) => o.error === null).length).toBeGreaterThanOrEqual(7);
    expect(outs.filter((o) => o.error !== null).map((o) => o.error!.replace(/^[^:]*: /, ''))).toEqual([
      expect.stringMatching(/^not a valid CSV file: Invalid Opening Quote|^not a valid CSV file: Quote Not Closed/),
      expect.stringMatching(/^not a valid CSV file: Invalid Record Length: expect 3, got 2 on line 3/),
      expect.stringMatching(/^not a valid CSV file: Invalid Opening Quote/),
      'the file is empty (no header row)',
    ]);
  });
  it('a z table with quotes and CRLF reads as before', () => {
    const p = file('z-quoted.csv', 'subject_id,session,is_control,b1,b2\r\n"s,1",1,0,0.5,1.5\r\ns2,1,1,2,3\r\n"s3","1",0,,2.25\r\n');
    const r = readZTable(p);
    expect(r.table.subjects).toEqual(['s,1', 's3']);
    expect(Array.from(r.table.values)).toEqual([0.5, 1.5, NaN, 2.25]);
    expect(r.lines).toEqual([2, 4]);
    expect(r.excludedControls).toBe(1);
  });
  it('fit on a quoted CRLF table gives the model and subjects.csv of the plain table', async () => {
    const lines = ['subject_id,session,a,b,c'];
    for (let i = 0; i < 40; i++) lines.push(`s${i},1,${(i % 7) / 2},${(i % 5) / 2},${(i % 3) / 2}`);
    const plain = file('fit-plain.csv', lines.join('\n') + '\n');
    const quoted = file('fit-quoted.csv', lines.map((l, i) => (i === 0 ? l : `"${l.split(',')[0]}",${l.split(',').slice(1).join(',')}`)).join('\r\n') + '\r\n');
    const fit = async (data: string, out: string) => {
      const r = await runCliInProcess([
        'fit',
        '--data',
        data,
        '--out',
        out,
        '--max-subtypes',
        '2',
        '--startpoints',
        '1',
        '--mcmc',
        '50',
        '--tune',
        '10',
        '--chains',
        '2',
        '--jobs',
        '1',
        '--quiet',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { training: Record<string, unknown> };
      delete model.training['dataFile'];
      delete model.training['dataSha256'];
      return { model, subjects: readFileSync(join(out, 'subjects.csv'), 'utf8') };
    };
    const a = await fit(plain, join(dir, 'fit-a'));
    const b = await fit(quoted, join(dir, 'fit-b'));
    expect(b.subjects).toBe(a.subjects);
    expect(b.model).toEqual(a.model);
  }, 60_000);
});
