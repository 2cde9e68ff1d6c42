import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { UserError } from '../common/errors.js';
import { readError, statRegular } from '../common/regular-file.js';

/**
 * Text inputs (tables, JSON): regular files only (common/regular-file.ts), a size bound stated
 * before reading, and UTF-8 checked: bytes that are not UTF-8 (a Latin-1 export, say) would
 * otherwise turn into U+FFFD and two distinct ids could become one, so they are refused with the
 * line they are on.
 */

const MiB = 1024 * 1024;

/** The bytes of a regular file no bigger than `maxBytes`, else a one-line error saying the limit. */
export function readBounded(file: string, maxBytes: number, what = 'file'): Buffer {
  const size = statRegular(file, what).size;
  if (size > maxBytes) {
    throw new UserError(`too large: ${(size / MiB).toFixed(0)} MiB (a ${what} like this is read whole, up to ${(maxBytes / MiB).toFixed(0)} MiB)`, { file });
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw readError(e, file);
  }
}

/** 1-based line of the first bytes that are not UTF-8, or 0 when all are. */
export function firstNonUtf8Line(buf: Uint8Array): number {
  if (isUtf8(buf)) return 0;
  let line = 1;
  let start = 0;
  for (;;) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    // 0x0a never occurs inside a multi-byte UTF-8 sequence, so lines can be checked one by one
    if (!isUtf8(buf.subarray(start, end))) return line;
    if (end >= buf.length) return line;
    start = end + 1;
    line++;
  }
}

/** An error naming the file and the line with the first bytes that are not UTF-8, if any (`firstLine`: the line `buf` starts on). */
export function decodeUtf8Check(buf: Uint8Array, file: string, firstLine = 1): void {
  const line = firstNonUtf8Line(buf);
  if (line > 0) {
    throw new UserError('bytes that are not UTF-8 (save the file as UTF-8; a Latin-1 or Windows-1252 export is the usual cause)', { file, line: line + firstLine - 1 });
  }
}

/** UTF-8 text of `buf`, or an error naming the file and the line with the first bad bytes. */
export function decodeUtf8(buf: Uint8Array, file: string): string {
  decodeUtf8Check(buf, file);
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
}

/** A UTF-8 text file of at most `maxBytes`. */
export function readText(file: string, maxBytes: number, what = 'file'): string {
  return decodeUtf8(readBounded(file, maxBytes, what), file);
}

/** JSON files the tool reads (models, sidecars, configs) are far below this; the cap keeps an odd file from reaching V8's string limit. */
export const MAX_JSON_BYTES = 256 * MiB;
