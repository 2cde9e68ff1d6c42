import writeFileAtomic from 'write-file-atomic';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Every output of the tool goes through here: write-file-atomic writes a temp file beside the
 * target, fsyncs and renames it, and removes the temp file if the process is interrupted, so a
 * crash or Ctrl-C never leaves a half-written result.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  writeFileAtomic.sync(path, typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** JSON with two-space indent and a final newline; key order as given, so output is byte-stable. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
