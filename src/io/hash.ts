import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function sha256Bytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): string {
  return sha256Bytes(readFileSync(path));
}
