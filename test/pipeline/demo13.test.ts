import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemo13Cohort } from '../../src/pipeline/demo-write.js';
import { parseConfig, resolvePaths, type RunConfig } from '../../src/pipeline/config.js';
import { runPipeline } from '../../src/pipeline/pipeline.js';
import { LAYOUT } from '../../src/pipeline/layout.js';
import { projectRoot } from '../helpers/cli.js';

/**
 * The 13 published features end to end on the second generated demo (aparc+aseg, wmparc, lesion
 * mask, T1w, T2w per subject on a 4 mm grid): extract with data/features/ms-13.json, z-scores,
 * SuStaIn, report. The generator's subtypes must come back.
 */
describe('the 13-feature demo end to end', () => {
  let dir: string;
  let cfg: RunConfig;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'e2e13-'));
    writeDemo13Cohort(join(dir, 'cohort'), { seed: 13, controls: 40, patients: 90 });
    cfg = resolvePaths(
      parseConfig(
        {
          input: { manifest: 'cohort/manifest.csv' },
          extract: { features: join(projectRoot, 'data', 'features', 'ms-13.json') },
          fit: { maxSubtypes: 3, subtypes: 3, startpoints: 4, mcmc: 2000, mcmcTunePasses: 1, mcmcTuneIterations: 1000, samplesKept: 200 },
          cv: { enabled: false },
          kmeans: { enabled: false },
          truth: { file: 'cohort/truth.csv', subjectColumn: 'subject_id', subtypeColumn: 'subtype_name', stageColumn: 'stage' },
          seed: 3,
        },
        'e2e13.json',
      ),
      dir,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('extracts the 13 features, fits, reports, and recovers the generator subtypes', async () => {
    const out = join(dir, 'out');
    const r = await runPipeline(cfg, { out, jobs: 1, quiet: true });
    expect(r.steps.filter((s) => s.status === 'ran').map((s) => s.name)).toEqual(['extract', 'normalise', 'fit', 'assign', 'report', 'truth']);
    const head = readFileSync(join(out, LAYOUT.features), 'utf8').split('\n')[0]!.split(',');
    expect(head.slice(-14)).toEqual([
      'deep_grey_matter', 'frontal_cortex', 'limbic_cortex', 'occipital_cortex', 'parietal_cortex', 'temporal_cortex',
      'cerebellum_nawm_t1t2', 'cingulate_nawm_t1t2', 'frontal_nawm_t1t2', 'parietal_nawm_t1t2', 'temporal_nawm_t1t2', 'corpus_callosum_nawm_t1t2',
      'lesion_load', 'icv',
    ]);
    const model = JSON.parse(readFileSync(join(out, LAYOUT.model), 'utf8')) as { biomarkers: string[] };
    expect(model.biomarkers).toHaveLength(13);
    const truth = JSON.parse(readFileSync(join(out, LAYOUT.truth), 'utf8')) as { ari: number };
    console.log('ARI', truth.ari);
    expect(truth.ari).toBeGreaterThan(0.5);
  });
});
