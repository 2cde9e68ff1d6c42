import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli.js';

describe('ms-subtype demo-data and run (CLI)', () => {
  it('writes a cohort, runs it, and prints the report path last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-cli-'));
    try {
      const g = await runCliAsync(['demo-data', '--out', join(dir, 'c'), '--controls', '16', '--patients', '12', '--seed', '4', '-q']);
      expect(g.code, g.stderr).toBe(0);
      expect(
        readFileSync(join(dir, 'c', 'manifest.csv'), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(29);
      const out = join(dir, 'out');
      const args = [
        'run',
        '--manifest',
        join(dir, 'c', 'manifest.csv'),
        '--out',
        out,
        '--jobs',
        '1',
        '--set',
        'fit.maxSubtypes=2',
        '--set',
        'fit.startpoints=1',
        '--set',
        'fit.mcmc=200',
        '--set',
        'fit.tunePasses=1',
        '--set',
        'fit.tune=100',
        '--set',
        'fit.samples=50',
        '--set',
        'cv.enabled=false',
        '--set',
        'kmeans.enabled=false',
      ];
      const r = await runCliAsync(args);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[lines.length - 1]).toBe(join(out, '07-report', 'report.html'));
      expect(existsSync(join(out, '07-report', 'report.html'))).toBe(true);
      expect(r.stdout).toMatch(/\[1\/5\] extract +28 subjects measured/);
      // quiet: only the report path
      const q = await runCliAsync([...args, '-q']);
      expect(q.code).toBe(0);
      expect(q.stderr).toBe('');
      expect(q.stdout).toBe(`${join(out, '07-report', 'report.html')}\n`);
      // a missing manifest: one line naming the file
      const bad = await runCliAsync(['run', '--manifest', join(dir, 'nope.csv'), '--out', out]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('nope.csv');
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
