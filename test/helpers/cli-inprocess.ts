import type { CliResult } from './cli.js';
import { main } from '../../src/cli/main.js';

/**
 * The CLI in-process (same main() as the launcher, stdout/stderr captured): a child process per call
 * costs seconds under tsx.
 */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  const before = process.exitCode;
  try {
    const code = await main(['node', 'ms-subtype', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = before;
  }
}
