import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { UserError } from './errors.js';

/**
 * Input files must be regular files. /dev/zero, /dev/urandom, a FIFO or a socket never end (or
 * block on open), so reading one would hang and grow without bound: refuse them from stat()
 * before opening, and open with O_NONBLOCK (no effect on regular files, cannot block on a FIFO
 * swapped in after the stat) and check again with fstat.
 */

function why(e: unknown, what = 'file'): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${what} not found`;
  if (code === 'ELOOP') return 'symbolic link loop (the path resolves to itself)';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'file not found (a part of the path is not a folder)';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return `cannot read: ${(e as Error).message}`;
}

function kind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** stat() of an input that must be a regular file, or a one-line UserError naming it. */
export function statRegular(file: string, what = 'file'): Stats {
  let s: Stats;
  try {
    s = statSync(file);
  } catch (e) {
    throw new UserError(why(e, what), { file });
  }
  if (!s.isFile()) throw new UserError(`${kind(s)}, not a regular file: refusing to read it`, { file });
  return s;
}

/** Why `file` cannot be read as a regular file ("file not found", "symbolic link loop ...", "a FIFO ..."), or null when it can. */
export function regularFileProblem(file: string): string | null {
  try {
    statRegular(file);
    return null;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return e.message.slice(`${file}: `.length);
  }
}

/** An open descriptor of a regular file (the caller closes it), and its size. */
export function openRegular(file: string): { fd: number; size: number } {
  statRegular(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new UserError(why(e), { file });
  }
  const s = fstatSync(fd);
  if (!s.isFile()) {
    closeSync(fd);
    throw new UserError(`${kind(s)}, not a regular file: refusing to read it`, { file });
  }
  return { fd, size: s.size };
}

/** Describe a read error (ENOENT, ELOOP, EACCES) in a one-line UserError naming the file. */
export function readError(e: unknown, file: string): UserError {
  return new UserError(why(e), { file });
}
