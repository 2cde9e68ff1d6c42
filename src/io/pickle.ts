/**
 * A safe reader for Python pickles of numpy arrays (what pySuStaIn saves).
 *
 * The opcodes are decoded by `pickleparser` (npm); every global a pickle names goes through our own
 * resolver, which knows only the few numpy / builtin constructors that numpy arrays are pickled with
 * and refuses anything else with the module and class named. Nothing in a pickle is ever executed:
 * the allowed names map to small JavaScript functions that rebuild an array from its bytes. Python
 * dicts come back as Maps (no prototype tricks through keys such as "__proto__").
 */
import { readFileSync } from 'node:fs';
import pickleparser from 'pickleparser';
import { UserError } from '../common/errors.js';

/** A numeric numpy array, values in C (row-major) order as float64. */
export interface NdArray {
  readonly kind: 'ndarray';
  readonly dtype: string;
  readonly shape: number[];
  readonly data: Float64Array;
}

export function isNdArray(v: unknown): v is NdArray {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'ndarray' && (v as NdArray).data instanceof Float64Array;
}

/** Raised inside the parser for a global that is not on the allow-list; carries the class name. */
class RefusedClass extends Error {
  constructor(readonly qualified: string) {
    super(qualified);
  }
}

/** Raised inside the parser for a pickle that uses an allowed class in a way numpy never writes. */
class BadState extends Error {}

// numpy dtype: kind letter + item size -> reader. Only plain numeric dtypes (no objects, strings, records).
type Getter = (v: DataView, at: number, little: boolean) => number;
const GETTERS: Record<string, Getter> = {
  f8: (v, a, l) => v.getFloat64(a, l),
  f4: (v, a, l) => v.getFloat32(a, l),
  i8: (v, a, l) => Number(v.getBigInt64(a, l)),
  i4: (v, a, l) => v.getInt32(a, l),
  i2: (v, a, l) => v.getInt16(a, l),
  i1: (v, a) => v.getInt8(a),
  u8: (v, a, l) => Number(v.getBigUint64(a, l)),
  u4: (v, a, l) => v.getUint32(a, l),
  u2: (v, a, l) => v.getUint16(a, l),
  u1: (v, a) => v.getUint8(a),
  b1: (v, a) => (v.getUint8(a) !== 0 ? 1 : 0),
};
const SIZE: Record<string, number> = { f8: 8, f4: 4, i8: 8, i4: 4, i2: 2, i1: 1, u8: 8, u4: 4, u2: 2, u1: 1, b1: 1 };
// spellings numpy.dtype() is called with in pickles
const ALIAS: Record<string, string> = { '?': 'b1', b1: 'b1', float64: 'f8', float32: 'f4', int64: 'i8', int32: 'i4', uint8: 'u1', bool: 'b1' };

/** numpy.dtype as rebuilt from a pickle: code (f8, i4, ...) and byte order. */
class Dtype {
  little = true;
  constructor(readonly code: string) {}
  __setstate__(state: unknown): void {
    // (version, byte order, subarray, names, fields, elsize, alignment, flags[, metadata])
    if (!Array.isArray(state) || state.length < 8 || typeof state[1] !== 'string') throw new BadState('unexpected numpy dtype state');
    if (state[2] !== null || state[3] !== null || state[4] !== null) throw new BadState(`numpy dtype ${this.code} with fields or sub-arrays is not supported`);
    const order = state[1];
    if (order === '>') this.little = false;
    else if (order !== '<' && order !== '|' && order !== '=') throw new BadState(`unexpected numpy byte order "${order}"`);
  }
}

function makeDtype(name: unknown, align?: unknown, copy?: unknown): Dtype {
  void align;
  void copy;
  if (typeof name !== 'string') throw new BadState('numpy dtype without a type code');
  const code = ALIAS[name] ?? name;
  if (GETTERS[code] === undefined) throw new BadState(`numpy arrays of dtype "${name}" are not supported (only numbers)`);
  return new Dtype(code);
}

const NDARRAY_CLASS = Object.freeze({ pickleName: 'numpy.ndarray' });

function decode(bytes: unknown, dtype: Dtype, count: number): Float64Array {
  if (!(bytes instanceof Uint8Array)) throw new BadState('numpy array data is not a byte string');
  const size = SIZE[dtype.code]!;
  if (bytes.length !== count * size) throw new BadState(`numpy array data has ${bytes.length} bytes, its shape needs ${count * size}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const get = GETTERS[dtype.code]!;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = get(view, i * size, dtype.little);
  return out;
}

/** Fortran (column-major) order -> C order. */
function toC(data: Float64Array, shape: number[]): Float64Array {
  const n = shape.length;
  if (n < 2) return data;
  const out = new Float64Array(data.length);
  const idx = new Array<number>(n).fill(0);
  for (let c = 0; c < data.length; c++) {
    // idx = multi-index of C position c; Fortran offset = sum idx[d] * prod(shape[0..d-1])
    let f = 0;
    let stride = 1;
    for (let d = 0; d < n; d++) {
      f += idx[d]! * stride;
      stride *= shape[d]!;
    }
    out[c] = data[f]!;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** An array under construction: numpy pickles call _reconstruct, then BUILD with the state (protocol 5: _frombuffer). */
class ArrayBuilder {
  kind: 'ndarray' | 'pending' = 'pending';
  dtype = '';
  shape: number[] = [];
  data: Float64Array = new Float64Array(0);
  __setstate__(state: unknown): void {
    // (version, shape, dtype, is_fortran, raw bytes)
    if (!Array.isArray(state) || state.length !== 5) throw new BadState('unexpected numpy array state');
    const [, shape, dtype, fortran, raw] = state as unknown[];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new BadState('numpy array with an invalid shape');
    if (!(dtype instanceof Dtype)) throw new BadState('numpy array without a numeric dtype');
    const count = shape.reduce((a: number, d: number) => a * d, 1);
    const flat = decode(raw, dtype, count);
    this.shape = [...(shape as number[])];
    this.dtype = dtype.code;
    this.data = fortran === true ? toC(flat, this.shape) : flat;
    this.kind = 'ndarray';
  }
}

function reconstruct(cls: unknown, shape: unknown, typecode: unknown): ArrayBuilder {
  void shape;
  void typecode;
  if (cls !== NDARRAY_CLASS) throw new BadState('numpy _reconstruct of a class other than numpy.ndarray');
  return new ArrayBuilder();
}

/** numpy's protocol-5 form: _frombuffer(bytes, dtype, shape, order). */
function frombuffer(raw: unknown, dtype: unknown, shape: unknown, order: unknown): ArrayBuilder {
  if (order !== 'C' && order !== 'F') throw new BadState(`numpy _frombuffer with order ${String(order)}`);
  const a = new ArrayBuilder();
  a.__setstate__([1, shape, dtype, order === 'F', raw]);
  return a;
}

/** builtins.bytes(): how protocol 2 writes an empty byte string. */
function emptyBytes(...args: unknown[]): Uint8Array {
  if (args.length > 0) throw new BadState('builtins.bytes with arguments');
  return new Uint8Array(0);
}

/** numpy.core.multiarray.scalar(dtype, bytes): one number. */
function scalar(dtype: unknown, bytes: unknown): number {
  if (!(dtype instanceof Dtype)) throw new BadState('numpy scalar without a numeric dtype');
  return decode(bytes, dtype, 1)[0]!;
}

/** _codecs.encode(text, 'latin1'): how protocol 2 pickles write bytes. */
function encodeLatin1(text: unknown, encoding: unknown): Uint8Array {
  if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) throw new BadState('_codecs.encode other than latin1 bytes');
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);
}

const ALLOWED = new Map<string, unknown>([
  ['numpy.ndarray', NDARRAY_CLASS],
  ['numpy.dtype', makeDtype],
  ['_codecs.encode', encodeLatin1],
  ['builtins.bytes', emptyBytes],
  ['__builtin__.bytes', emptyBytes],
]);
for (const core of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
  ALLOWED.set(`${core}._reconstruct`, reconstruct);
  ALLOWED.set(`${core}.scalar`, scalar);
}
for (const numeric of ['numpy.core.numeric', 'numpy._core.numeric']) ALLOWED.set(`${numeric}._frombuffer`, frombuffer);
// A pickle can BUILD onto any object it holds, the resolved functions included: frozen, they stay ours.
for (const v of ALLOWED.values()) Object.freeze(v);

const resolver = {
  resolve(module: string, name: string): never {
    const q = `${module}.${name}`;
    const v = ALLOWED.get(q);
    if (v === undefined) throw new RefusedClass(q);
    return v as never;
  },
};
const refuse = (what: string) => ({
  resolve(): never {
    throw new BadState(`${what} are not supported`);
  },
});

/** Replace finished array builders by plain NdArray records, walking lists, tuples and dicts. */
function finish(v: unknown, depth = 0): unknown {
  if (depth > 64) throw new BadState('nesting deeper than 64 levels');
  if (v instanceof ArrayBuilder) {
    if (v.kind !== 'ndarray') throw new BadState('a numpy array without its data');
    return { kind: 'ndarray', dtype: v.dtype, shape: v.shape, data: v.data } satisfies NdArray;
  }
  if (v instanceof Dtype) throw new BadState('a bare numpy dtype');
  if (Array.isArray(v)) return v.map((x) => finish(x, depth + 1));
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, finish(x, depth + 1)]));
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof Uint8Array) return v;
  throw new BadState(`an object of an unsupported type (${Object.prototype.toString.call(v)})`);
}

/**
 * Unpickle bytes into plain data: Map for dicts, arrays for lists and tuples, NdArray for numpy
 * arrays, numbers, strings, booleans, null. Throws UserError naming `file` for anything else.
 */
export function parsePickle(bytes: Uint8Array, file: string): unknown {
  if (bytes.length === 0) throw new UserError('empty file, not a pickle', { file });
  const parser = new pickleparser.Parser({
    nameResolver: resolver,
    persistentResolver: refuse('persistent ids'),
    extensionResolver: refuse('extension codes'),
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'array',
  });
  let raw: unknown;
  try {
    raw = parser.parse(bytes);
  } catch (e) {
    if (e instanceof RefusedClass) {
      throw new UserError(`refusing to read the pickle: it holds the class ${e.qualified}, which is not a numpy array or a plain value (reading it could run code)`, { file });
    }
    if (e instanceof BadState) throw new UserError(`unsupported pickle content: ${e.message}`, { file });
    const msg = e instanceof Error ? e.message : String(e);
    if (/end of file|more bytes|end of line/i.test(msg)) throw new UserError('truncated pickle (the file ends before the pickle does)', { file });
    throw new UserError(`not a readable pickle (${msg})`, { file });
  }
  try {
    return finish(raw);
  } catch (e) {
    if (e instanceof BadState) throw new UserError(`unsupported pickle content: ${e.message}`, { file });
    throw e;
  }
}

export function readPickle(file: string): unknown {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  return parsePickle(bytes, file);
}
