import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemo13Cohort } from '../../src/pipeline/demo-write.js';
import { parseConfig, resolvePaths, type RunConfig } from '../../src/pipeline/config.js';
import { runPipeline } from '../../src/pipeline/pipeline.js';
import { LAYOUT } from '../../src/pipeline/layout.js';
import { projectRoot } from '../helpers/cli.js';
import { readBrainInput } from '../../src/report/brain-files.js';
import { brainFeatures } from '../../src/report/brain-section.js';
import { regionVolume } from '../../src/report/brain-paint.js';

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
          extract: { featureDefs: join(projectRoot, 'data', 'features', 'ms-13.json') },
          fit: { maxSubtypes: 3, subtypes: 3, startpoints: 4, mcmc: 2000, mcmcTunePasses: 1, mcmcTuneIterations: 1000, samplesKept: 200 },
          cv: { enabled: false },
          report: { brain: 'cohort/nifti/sub-0050_aparc+aseg.nii.gz', brainMaps: { wmparc: 'cohort/nifti/sub-0050_wmparc.nii.gz', lesion: 'cohort/nifti/sub-0050_lesion.nii.gz' } },
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
    expect(r.mainOutput).toBe(join(out, LAYOUT.report));
    expect(r.steps.filter((s) => s.status === 'ran').map((s) => s.name)).toEqual(['extract', 'normalise', 'fit', 'assign', 'report', 'truth']);
    const head = readFileSync(join(out, LAYOUT.features), 'utf8').split('\n')[0]!.split(',');
    expect(head.slice(-14)).toEqual([
      'deep_grey_matter',
      'frontal_cortex',
      'limbic_cortex',
      'occipital_cortex',
      'parietal_cortex',
      'temporal_cortex',
      'cerebellum_nawm_t1t2',
      'cingulate_nawm_t1t2',
      'frontal_nawm_t1t2',
      'parietal_nawm_t1t2',
      'temporal_nawm_t1t2',
      'corpus_callosum_nawm_t1t2',
      'lesion_load',
      'icv',
    ]);
    const model = JSON.parse(readFileSync(join(out, LAYOUT.model), 'utf8')) as { biomarkers: string[] };
    expect(model.biomarkers).toHaveLength(13);
    const truth = JSON.parse(readFileSync(join(out, LAYOUT.truth), 'utf8')) as { ari: number };
    // 0.67 with these settings
    expect(truth.ari).toBeGreaterThan(0.5);
    // the run config's brain view: section, one figure per subtype, the table beside the page
    const html = readFileSync(join(out, LAYOUT.report), 'utf8');
    expect(html).toMatch(/<section id="brain">/);
    expect(html.match(/data-figure="brain-view-subtype-\d\.svg"/g)).toHaveLength(3);
    const rows = readFileSync(join(out, LAYOUT.reportDir, 'brain-view.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(rows).toHaveLength(1 + 3 * 40 * 39);
    const side = JSON.parse(readFileSync(join(out, LAYOUT.reportDir, 'brain-view.csv.json'), 'utf8')) as { otherMaps: Record<string, unknown> };
    expect(Object.keys(side.otherMaps)).toEqual(['wmparc', 'lesion']);
    // every one of the 13 features covers voxels of the reference maps (aparc+aseg, wmparc, lesion mask)
    const brain = readBrainInput(cfg.report.brain!, cfg.report.brainMaps);
    const feats = brainFeatures(JSON.parse(readFileSync(join(out, LAYOUT.featuresSidecar), 'utf8')));
    const regions = regionVolume(
      brain.maps,
      feats.filter((f) => model.biomarkers.includes(f.name)),
    );
    const present = new Set(regions);
    for (let r = 0; r < 13; r++) expect(present.has(r + 2), model.biomarkers[r]).toBe(true);

    // a replaced T2w image (here: its time stamp) makes `run` extract again
    const t2 = join(dir, 'cohort', 'nifti', 'sub-0007_T2w.nii.gz');
    utimesSync(t2, new Date(), new Date(Date.now() + 5000));
    const again = await runPipeline(cfg, { out, jobs: 1, quiet: true });
    expect(again.steps.find((s) => s.name === 'extract')!.status).toBe('ran');
  });
});
