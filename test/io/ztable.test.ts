import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readZTable } from '../../src/io/ztable.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ztable-');
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('readZTable: which columns are biomarkers without a sidecar', () => {
  it('takes the numeric columns, leaves text columns (group, sex) out, and keeps empty cells as missing', () => {
    const t = readZTable(file('ok.csv', 'subject_id,group,a,b\ns1,MS,1,2\ns2,MS,,0.5\ns3,MS,0.2,1\n')).table;
    expect(t.biomarkers).toEqual(['a', 'b']);
    expect(t.subjects).toEqual(['s1', 's2', 's3']);
    expect(Number.isNaN(t.values[2])).toBe(true);
    expect(t.values[3]).toBe(0.5);
  });
  it('refuses a stray word in a numeric column, naming line, subject and field, instead of dropping the column', () => {
    const p = file('stray.csv', 'subject_id,a,b\ns1,1,2\ns2,1.5,x\ns3,0.2,1\n');
    expect(() => readZTable(p)).toThrow(`${p}, line 3, subject s2, field b: "x" is not a number`);
  });
  it('a column named with --biomarkers is parsed strictly too', () => {
    const p = file('named.csv', 'subject_id,a,b\ns1,1,2\ns2,oops,1\n');
    expect(() => readZTable(p, { biomarkers: ['a'] })).toThrow(/line 3, subject s2, field a/);
  });
});
