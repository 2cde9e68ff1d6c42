import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNdArray, parsePickle, readPickle, type NdArray } from '../../src/io/pickle.js';
import { sharedDir } from '../helpers/cli.js';
import { errorOf } from '../helpers/errors.js';

// Made by fixtures/pickle/make_pickles.py (numpy 2.4); expected.json holds the values it pickled.
const dir = join(import.meta.dirname, 'fixtures', 'pickle');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }> & { numpy_scalar: number };
const ARRAYS = ['f8', 'f8_fortran', 'f8_big', 'f4', 'i8', 'i4', 'u1', 'bool', 'empty', 'scalar_col'];

/** A protocol-0 pickle by hand: GLOBAL module name, an argument tuple, REDUCE. */
const hostile = (module: string, name: string, arg: string) => Buffer.from(`c${module}\n${name}\n(S'${arg}'\ntR.`, 'latin1');

describe('pickle reader: numpy arrays as numpy writes them', () => {
  for (const protocol of [2, 4, 5]) {
    it(`protocol ${protocol}: every dtype, byte order and memory order, scalars and plain values`, () => {
      const d = readPickle(join(dir, `arrays-p${protocol}.pickle`)) as Map<string, unknown>;
      expect(d).toBeInstanceOf(Map);
      for (const k of ARRAYS) {
        const a = d.get(k) as NdArray;
        expect(isNdArray(a), k).toBe(true);
        expect(a.shape, k).toEqual(expected[k]!.shape);
        expect(Array.from(a.data), k).toEqual(expected[k]!.values);
      }
      expect(d.get('numpy_scalar')).toBe(expected.numpy_scalar);
      expect(d.get('plain')).toEqual([1, -2, 3.5, 'text', null, true, [1, 2]]);
      // a dict key "__proto__" is a Map key: nothing reaches any prototype
      const nested = d.get('nested') as Map<string, unknown>;
      expect((nested.get('__proto__') as Map<string, unknown>).get('polluted')).toBe(1);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Array.from((nested.get('inner') as NdArray).data)).toEqual([1, 2]);
    });
  }

  it("reads pySuStaIn's pickle (numpy.core names, protocol 4)", () => {
    const d = readPickle(join(sharedDir, 'sustain', 'small', 'pysustain', 'ref_subtype1.pickle')) as Map<string, NdArray>;
    expect(d.get('samples_sequence')!.shape).toEqual([2, 18, 10000]);
    expect(Array.from(d.get('ml_f_EM')!.data)).toEqual([0.6187084116256483, 0.38129158837435173]);
    // samples_likelihood is Fortran-ordered (10000, 1) in the file; first value as pySuStaIn printed it
    expect(d.get('samples_likelihood')!.data[0]).toBe(-2580.936827078161);
  });
});

describe('pickle reader refuses, in one line naming the file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pickle-'));
  const write = (name: string, bytes: Uint8Array) => {
    const f = join(tmp, name);
    writeFileSync(f, bytes);
    return f;
  };
  const refused = (f: string) => {
    const e = errorOf(() => readPickle(f));
    expect(e.name).toBe('UserError');
    expect(e.message).toContain(f);
    expect(e.message).not.toContain('\n');
    return e.message;
  };

  it('a class that could run code, without running it', () => {
    const marker = join(tmp, 'ran');
    expect(refused(write('os.pickle', hostile('os', 'system', `touch ${marker}`)))).toMatch(/holds the class os\.system/);
    expect(refused(write('posix.pickle', hostile('posix', 'system', 'x')))).toMatch(/class posix\.system/);
    expect(refused(write('eval.pickle', hostile('builtins', 'eval', '1')))).toMatch(/class builtins\.eval/);
    expect(refused(join(dir, 'ordered-dict.pickle'))).toMatch(/class collections\.OrderedDict/);
    expect(() => readFileSync(marker)).toThrow();
  });

  it('object arrays, other numpy uses, truncated files, files that are no pickle', () => {
    expect(refused(join(dir, 'object-array.pickle'))).toMatch(/dtype "O8" are not supported/);
    // numpy._reconstruct asked for another class
    expect(refused(write('recon.pickle', Buffer.from("cnumpy.core.multiarray\n_reconstruct\n(cnumpy\ndtype\nS'b'\nS'b'\ntR.", 'latin1')))).toMatch(/unsupported pickle content/);
    const whole = readFileSync(join(sharedDir, 'sustain', 'small', 'pysustain', 'ref_subtype0.pickle'));
    for (const n of [1, 100, 5000, whole.length - 1]) expect(refused(write(`cut${n}.pickle`, whole.subarray(0, n)))).toMatch(/truncated pickle/);
    expect(refused(write('empty.pickle', new Uint8Array(0)))).toMatch(/empty file/);
    expect(refused(write('text.pickle', Buffer.from('subject_id,b01\ns1,0.5\n')))).toMatch(/not a readable pickle|truncated/);
    expect(refused(join(tmp, 'absent.pickle'))).toMatch(/cannot read the file \(ENOENT\)/);
  });

  it('in memory too (parsePickle names the given file)', () => {
    expect(errorOf(() => parsePickle(hostile('subprocess', 'Popen', 'ls'), 'mem.pickle')).message).toBe(
      'mem.pickle: refusing to read the pickle: it holds the class subprocess.Popen, which is not a numpy array or a plain value (reading it could run code)',
    );
  });

  it('cleans up', () => {
    rmSync(tmp, { recursive: true, force: true });
  });
});
