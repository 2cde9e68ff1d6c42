import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../helpers/cli.js';

// The formatter's check runs with the tests, as the linter does (lint.test.ts): `npm test` fails on
// unformatted code; `npm run format` fixes it. What is formatted and why: .prettierrc.json, .prettierignore.
describe('format', () => {
  it('prettier --check finds every file formatted', () => {
    const bin = join(projectRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
    const r = spawnSync(process.execPath, [bin, '--check', '.'], { cwd: projectRoot, encoding: 'utf8' });
    const unformatted = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => l.startsWith('[warn] ') && !l.includes('Code style issues'))
      .map((l) => l.slice(7));
    expect(unformatted).toEqual([]);
    expect(r.status).toBe(0);
  }, 120_000);
});
