import { closeSync, readSync } from 'node:fs';
import { constants as zc, gunzipSync } from 'node:zlib';
import { UserError } from '../common/errors.js';
import { openRegular } from '../common/regular-file.js';

/**
 * Reading an image file with a memory bound set by its header. A file is read (and, when gzip,
 * inflated) only as far as the header's vox_offset + declared voxel bytes: whatever follows is
 * ignored, as nibabel ignores it, so a small .nii.gz whose gzip stream goes on with gigabytes of
 * zeros costs what its header declares and no more. Only regular files are opened (see
 * common/regular-file.ts).
 *
 * Node's zlib has no synchronous streaming inflate, but `maxOutputLength` bounds a one-shot
 * inflate and Z_SYNC_FLUSH inflates a prefix of a stream; since the output of a prefix grows with
 * the prefix, the shortest compressed prefix that yields the declared bytes is found by bisection.
 * Ordinary files (nothing or little after the data) take one native inflate of the whole stream,
 * with the gzip checksum verified; only files with more than TRAILING_BUDGET bytes after their
 * data take the bisection (about 20 bounded inflates) and are then not checksummed.
 */

/** Voxel data (plus vox_offset) larger than this is refused before anything is allocated. */
export const MAX_DECLARED_BYTES = 2 * 1024 ** 3;

/** Inflated bytes tolerated after the declared data before the bounded path takes over. */
const TRAILING_BUDGET = 16 * 1024 * 1024;

/** How much of the file's start is enough for any header (a header plus MRIcron label text fits easily). */
const HEADER_PROBE = 64 * 1024;

const GZ0 = 0x1f,
  GZ1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZ0 && bytes[1] === GZ1;
}

/** An open regular file, read from its start. */
export class ImageSource {
  readonly file: string;
  readonly gzip: boolean;
  private readonly fd: number;
  private readonly size: number;

  constructor(file: string) {
    this.file = file;
    const { fd, size } = openRegular(file);
    this.fd = fd;
    this.size = size;
    const magic = this.raw(2);
    this.gzip = isGzip(magic);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Up to `n` bytes of the file as stored (compressed or not), from its start. */
  private raw(n: number): Uint8Array {
    const len = Math.min(n, this.size);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const r = readSync(this.fd, buf, got, len - got, got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }

  /** The start of the (inflated) content: enough for any header, fewer bytes only when the content is shorter. */
  head(): Uint8Array {
    if (!this.gzip) return this.raw(HEADER_PROBE);
    // a compressed prefix inflates to at most ~1032x its size, so each probe is bounded
    for (const c of [4096, HEADER_PROBE, 1024 * 1024]) {
      const out = this.inflatePrefix(this.raw(c), c * 1100 + HEADER_PROBE);
      if (out.length >= HEADER_PROBE || c >= this.size) return out.subarray(0, HEADER_PROBE);
    }
    return this.inflatePrefix(this.raw(1024 * 1024), 1100 * 1024 * 1024).subarray(0, HEADER_PROBE);
  }

  /**
   * The first `need` bytes of the content (fewer only when the content is shorter: the caller
   * reports the truncation). `what` says what the bytes are, for the refusal of absurd sizes.
   */
  content(need: number, what: string): Uint8Array {
    if (need > MAX_DECLARED_BYTES) {
      throw new UserError(`the header declares ${what} (${need} bytes with its offset), more than the ${MAX_DECLARED_BYTES / 1024 ** 3} GiB this reader accepts: corrupt header?`, {
        file: this.file,
      });
    }
    if (!this.gzip) return this.raw(need);
    // deflate's stored blocks add 5 bytes per 64 KiB, so this many compressed bytes always hold `need`
    const budget = need + Math.ceil(need / 8192) + 1024 * 1024;
    const whole = this.size <= budget;
    const comp = this.raw(whole ? this.size : budget);
    const cap = need + TRAILING_BUDGET;
    if (whole) {
      const out = this.inflateWhole(comp, cap);
      if (out !== null) return out.length > need ? out.subarray(0, need) : out;
    }
    return this.bisect(comp, need, cap);
  }

  /** The whole stream inflated and checksummed, or null when it inflates to more than `cap`. */
  private inflateWhole(comp: Uint8Array, cap: number): Uint8Array | null {
    try {
      return gunzipSync(comp, { chunkSize: Math.min(chunkSizeHint(comp), cap), maxOutputLength: cap });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw this.gzipError(e);
    }
  }

  /** What a compressed prefix inflates to (no end-of-stream check), or null when more than `cap`. */
  private tryPrefix(comp: Uint8Array, cap: number): Uint8Array | null {
    try {
      return gunzipSync(comp, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: cap });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw this.gzipError(e);
    }
  }

  private inflatePrefix(comp: Uint8Array, cap: number): Uint8Array {
    const out = this.tryPrefix(comp, cap);
    if (out === null) throw new UserError('corrupt gzip data (inflates beyond any header)', { file: this.file });
    return out;
  }

  /** The shortest compressed prefix whose inflated bytes reach `need`; its first `need` bytes. */
  private bisect(comp: Uint8Array, need: number, cap: number): Uint8Array {
    const all = this.tryPrefix(comp, cap);
    if (all !== null && all.length < need) return all; // the stream ends (or breaks off) before the data does
    let lo = 0,
      hi = comp.length; // out(lo) < need <= out(hi) (or beyond cap)
    let best: Uint8Array | null = all;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const out = this.tryPrefix(comp.subarray(0, mid), cap);
      if (out !== null && out.length < need) lo = mid;
      else {
        hi = mid;
        best = out;
      }
    }
    // one more compressed byte inflates to at most a few KiB, so out(hi) fits within cap
    if (best === null) best = this.inflatePrefix(comp.subarray(0, hi), cap);
    return best.subarray(0, need);
  }

  private gzipError(e: unknown): UserError {
    const msg = (e as Error).message;
    const why = /unexpected end/i.test(msg) ? 'truncated gzip data' : 'corrupt gzip data';
    return new UserError(`${why} (${msg})`, { file: this.file });
  }
}

/**
 * The gzip trailer's ISIZE (uncompressed size mod 2^32) sizes zlib's output chunk, so a volume
 * inflates into one buffer instead of many 16 KiB chunks joined at the end: about half the CPU
 * time and half the temporary memory. It is only a hint: a wrong value (multi-member files,
 * > 4 GiB) still decompresses correctly.
 */
function chunkSizeHint(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 18) return 64 * 1024;
  const isize = (bytes[n - 4]! | (bytes[n - 3]! << 8) | (bytes[n - 2]! << 16) | (bytes[n - 1]! << 24)) >>> 0;
  return Math.min(Math.max(isize, 64 * 1024), 1 << 30);
}

/** Run `fn` on an open source of `file`, closing it afterwards. */
export function withSource<T>(file: string, fn: (s: ImageSource) => T): T {
  const s = new ImageSource(file);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}
