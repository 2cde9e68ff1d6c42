/**
 * vitest globalSetup: the whole test run uses a private temp folder (TMPDIR, which os.tmpdir() and
 * child processes follow). Afterwards anything a test left there is named and the run fails, so a
 * test that does not clean up is caught; the folder is removed either way, so /tmp stays tidy.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ms-subtype-tests-'));
  const before = process.env['TMPDIR'];
  process.env['TMPDIR'] = root;
  return () => {
    // tsx keeps its compile cache in the temp folder: a tool's, not a test's.
    const left = readdirSync(root).filter((n) => !/^tsx-/.test(n));
    rmSync(root, { recursive: true, force: true });
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    if (left.length > 0) throw new Error(`tests left ${left.length} temporary file(s) or folder(s) behind: ${left.slice(0, 10).join(', ')}`);
  };
}
