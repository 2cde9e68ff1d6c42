import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, resolvePaths } from '../../src/pipeline/config.js';
import { extractStep } from '../../src/pipeline/steps-data.js';
import type { StepContext } from '../../src/pipeline/runner.js';
import { LAYOUT } from '../../src/pipeline/layout.js';
import { tempDir } from '../helpers/tmp.js';

/** asegstats2table output of two subjects (no covariates: tables carry none). */
const ASEG = [
  ['Measure:volume', 'Left-Lateral-Ventricle', 'Left-Thalamus', 'Brain-Stem', 'WM-hypointensities', 'CortexVol', 'EstimatedTotalIntraCranialVol'],
  ['sub-01', 9000, 7600, 21000, 2300, 482000, 1550000],
  ['sub-02', 12000, 7000, 20500, 5100, 461000, 1490000],
];

function ctxOf(dir: string, raw: unknown): StepContext {
  return { cfg: resolvePaths(parseConfig(raw, 'c.json'), dir), out: join(dir, 'out'), jobs: 1, quiet: true, log: () => {} };
}

describe('run: input.covariatesFile', () => {
  it('joins its columns onto a volume table (as extract --covariates-file), and the extract step reruns when it changes', async () => {
    const dir = tempDir('ms-covfile-');
    writeFileSync(join(dir, 'aseg.tsv'), ASEG.map((r) => r.join('\t')).join('\n') + '\n');
    writeFileSync(join(dir, 'cov.csv'), 'subject_id,group,age\nsub-01,HC,30\nsub-02,MS,41\n');
    const ctx = ctxOf(dir, { input: { table: 'aseg.tsv', tableFormat: 'asegstats2table', covariatesFile: 'cov.csv' } });
    await extractStep.run(ctx);
    const lines = readFileSync(join(ctx.out, LAYOUT.features), 'utf8').trim().split('\n');
    expect(lines[0]!.split(',').slice(0, 4)).toEqual(['subject_id', 'session', 'group', 'age']);
    expect(lines[2]!.split(',').slice(0, 4)).toEqual(['sub-02', '', 'MS', '41']);
    // a run made before the file was joined (same settings otherwise) does not count as up to date
    const without = extractStep.dependsOn(ctxOf(dir, { input: { table: 'aseg.tsv', tableFormat: 'asegstats2table' } }));
    expect(extractStep.dependsOn(ctx).settings).not.toEqual(without.settings);
    expect(extractStep.dependsOn(ctx).files).toContain(join(dir, 'cov.csv'));
  });

  it('is refused for a ready feature table rather than ignored', async () => {
    const dir = tempDir('ms-covfile-');
    writeFileSync(join(dir, 'features.csv'), 'subject_id,group,icv\nsub-01,HC,1500000\n');
    writeFileSync(join(dir, 'cov.csv'), 'subject_id,age\nsub-01,30\n');
    const ctx = ctxOf(dir, { input: { table: 'features.csv', tableFormat: 'features', covariatesFile: 'cov.csv' } });
    await expect(extractStep.run(ctx)).rejects.toThrow(/field input\.covariatesFile: a ready feature table .* give its covariates as columns of the table/);
  });
});
