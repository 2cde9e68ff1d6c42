/**
 * Memory shared with the WebAssembly kernels (wasm/zkernel.ts): one fixed-size WebAssembly memory per
 * set of likelihood tables, carved into typed-array views. The size is fixed when the tables are
 * made, so the memory never grows and the views stay valid for the tables' life.
 */
import { UserError } from '../common/errors.js';
import { ZKERNEL_WASM } from './zkernel-wasm.js';

export interface Kernels {
  piece(
    E: number,
    stride: number,
    quads: number,
    ca: number,
    cr: number,
    mode: number,
    k0: number,
    len: number,
    dir: number,
    fc: number,
    safe: number,
    L: number,
    ref: number,
    x: number,
    d: number,
    c: number,
  ): void;
  rowTotals(E: number, S: number, M: number, out: number): void;
  heapBase(): number;
  stageChain(
    E: number,
    T: number,
    np: number,
    S: number,
    B: number,
    base: number,
    val: number,
    start: number,
    slope: number,
    cf: number,
    cpat: number,
    at: number,
    which: number,
    ratio: number,
    bad: number,
  ): void;
  accumulate(J: number, E: number, c: number, S: number, np: number): void;
  eventChain(E: number, T: number, np: number, S: number, base: number, cols: number, order: number, bad: number): void;
}

let compiled: WebAssembly.Module | null = null;
/** The first byte the arena may use: above the module's static data (the kernels' exp and log tables). */
let base = -1;

function module(): { compiled: WebAssembly.Module; base: number } {
  if (compiled === null) {
    compiled = new WebAssembly.Module(Buffer.from(ZKERNEL_WASM, 'base64'));
    const probe = new WebAssembly.Instance(compiled, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports as unknown as Kernels;
    base = (probe.heapBase() + 63) & ~63;
  }
  return { compiled, base };
}

const PAGE = 65536;
/** A 32-bit WebAssembly memory: 65536 pages of 64 KiB (one set of tables must fit in it: fit-memory.ts checks before a fit). */
export const MAX_ARENA_BYTES = 65536 * PAGE;
const MAX_BYTES = MAX_ARENA_BYTES;

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  /** for the progression model's own scratch (allocated from this arena on first use) */
  modelState: unknown = undefined;
  private next = 0;
  private readonly size: number;

  /** `bytes`: the sum of what will be allocated (each allocation may add up to 7 bytes of alignment). */
  constructor(bytes: number) {
    const { compiled, base } = module();
    this.next = base;
    this.size = Math.ceil((base + bytes + 64) / PAGE) * PAGE;
    if (this.size > MAX_BYTES) {
      throw new UserError(
        `the likelihood tables would need ${(this.size / 2 ** 30).toFixed(1)} GiB, more than one WebAssembly memory holds (4 GiB): fit fewer subjects at once (assign splits large inputs into blocks by itself)`,
      );
    }
    this.memory = new WebAssembly.Memory({ initial: this.size / PAGE });
    this.kernels = new WebAssembly.Instance(compiled, { env: { memory: this.memory } }).exports as unknown as Kernels;
  }

  /** Bytes an allocation of n elements of `bytesPerElement` can take, alignment included. */
  static bytes(n: number, bytesPerElement: number): number {
    return n * bytesPerElement + 8;
  }

  f64(n: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(n * 8), n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(n * 4), n);
  }

  u8(n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.take(n), n);
  }

  private take(bytes: number): number {
    const at = (this.next + 7) & ~7;
    if (at + bytes > this.size) throw new Error(`arena of ${this.size} bytes cannot hold ${bytes} more at ${at}`);
    this.next = at + bytes;
    return at;
  }
}
