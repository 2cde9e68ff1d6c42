/**
 * A bench's scratch folder, removed however the run ends: normally, by an error, or by Ctrl-C /
 * kill (a `finally` alone does not run on a signal, and interrupted runs left folders in /tmp).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function benchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      remove();
      process.exit(130);
    });
  }
  return dir;
}
