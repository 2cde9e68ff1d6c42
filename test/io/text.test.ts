import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageOf } from '../helpers/errors.js';
import { readTable } from '../../src/io/csv.js';
import { readModelFile } from '../../src/io/modelfile.js';
import { readZTable } from '../../src/io/ztable.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-text-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('text inputs', () => {
  it('bytes that are not UTF-8 are refused with their line (two Latin-1 ids would otherwise both become U+FFFD)', () => {
    const f = join(dir, 'latin1.csv');
    writeFileSync(f, Buffer.concat([Buffer.from('subject_id,a\ns1,1\n'), Buffer.from([0x4a, 0xe9, 0x2c, 0x32, 0x0a]), Buffer.from([0x4a, 0xe8, 0x2c, 0x33, 0x0a])]));
    expect(messageOf(() => readTable(f))).toBe(`${f}, line 3: bytes that are not UTF-8 (save the file as UTF-8; a Latin-1 or Windows-1252 export is the usual cause)`);
    expect(messageOf(() => readZTable(f))).toMatch(/line 3: bytes that are not UTF-8/);
  });
  it('UTF-8 text (accents, a BOM) is read as it is', () => {
    const f = join(dir, 'utf8.csv');
    writeFileSync(f, '\ufeffsubject_id,a\nJé,1\nJè,2\n');
    expect(readTable(f).rows.map((r) => r[0])).toEqual(['Jé', 'Jè']);
  });
  it('a symbolic-link loop is named as such, not "file not found"', () => {
    const a = join(dir, 'loop.json'),
      b = join(dir, 'loop2.json');
    symlinkSync(b, a);
    symlinkSync(a, b);
    expect(messageOf(() => readModelFile(a))).toBe(`${a}: symbolic link loop (the path resolves to itself)`);
    expect(messageOf(() => readTable(a))).toBe(`${a}: symbolic link loop (the path resolves to itself)`);
  });
  it('a 560 MB model file is "too large", not "not valid JSON"', () => {
    const f = join(dir, 'huge-model.json');
    writeFileSync(f, '');
    truncateSync(f, 560 * 1024 * 1024); // sparse: no disk used
    expect(messageOf(() => readModelFile(f))).toMatch(/^.*huge-model\.json: too large: 560 MiB \(a model file like this is read whole, up to 256 MiB\)$/);
  });
  it('a device is refused as a table', () => {
    expect(messageOf(() => readTable('/dev/zero'))).toBe('/dev/zero: a device, not a regular file: refusing to read it');
  });
});
