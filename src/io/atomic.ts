import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';

/**
 * Every output of the tool goes through here: the data is written to a temp file beside the
 * target (`.<name>.<pid>.<n>.tmp`), fsynced and renamed over the target, so a crash, kill -9 or
 * Ctrl-C never leaves a half-written result. No signal handler is installed: a Ctrl-C during a
 * write ends the process at once with the signal's exit status (a handler would only run after
 * the synchronous write, and write-file-atomic's was lost when the write finished first, so the
 * run went on and exited 0). The temp file such an interruption leaves is removed by the next
 * write to the same target, once its process is gone.
 */

let counter = 0;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether process `pid` (on this machine) is running. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove leftovers of interrupted writes to `path`: our temp files whose process has ended, and
 * write-file-atomic's `<name>.<decimal hash>` temps from earlier versions of the tool.
 * Returns the names removed.
 */
export function cleanStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const base = escapeRe(basename(path));
  const ours = new RegExp(`^\\.${base}\\.(\\d+)\\.\\d+\\.tmp$`);
  const legacy = new RegExp(`^${base}\\.\\d{6,10}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = ours.exec(n);
    if ((m !== null && !processAlive(Number(m[1]))) || legacy.test(n)) {
      try {
        unlinkSync(join(dir, n));
        removed.push(n);
      } catch {
        // already gone (another run cleaned it): fine
      }
    }
  }
  return removed;
}

/**
 * An output written piece by piece (e.g. rows as they are computed) into its temp file, then
 * fsynced and renamed over the target by `commit`, or removed by `abort`: the target is never
 * half-written. Each piece is hashed as it goes, so the sidecar's sha256 needs no second read.
 */
export class AtomicFile {
  private fd: number;
  private readonly tmp: string;
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(readonly path: string) {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    cleanStaleTemps(path);
    this.tmp = join(dir, `.${basename(path)}.${process.pid}.${++counter}.tmp`);
    this.fd = openSync(this.tmp, 'wx', 0o644);
  }

  write(c: string | Uint8Array): void {
    const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    this.hash.update(b);
    let off = 0;
    try {
      while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    } catch (e) {
      this.abort();
      throw e;
    }
    this.bytes += b.length;
  }

  /** fsync, close and rename over the target; returns the sha256 of what was written. */
  commit(): string {
    try {
      try {
        fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = -1;
      }
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
    return this.hash.digest('hex');
  }

  /** Close and remove the temp file (the target is left as it was). */
  abort(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // nothing to remove
    }
  }
}

/** Write `chunks` in order to `path` atomically (temp file, fsync, rename). */
export function writeAtomicChunks(path: string, chunks: Iterable<string | Uint8Array>): void {
  const f = new AtomicFile(path);
  try {
    for (const c of chunks) f.write(c);
  } catch (e) {
    f.abort();
    throw e;
  }
  f.commit();
}

export function writeAtomic(path: string, data: string | Uint8Array): void {
  writeAtomicChunks(path, [data]);
}

/** JSON with two-space indent and a final newline; key order as given, so output is byte-stable. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
