import { createHash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { openRegular } from '../common/regular-file.js';

export function sha256Bytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a regular file, read in 1 MiB pieces: memory stays flat whatever the file's size. */
export function sha256File(path: string): string {
  const { fd } = openRegular(path);
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}
