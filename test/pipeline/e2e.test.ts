import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, utimesSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoCohort } from '../../src/pipeline/demo-write.js';
import { parseConfig, resolvePaths, type RunConfig } from '../../src/pipeline/config.js';
import { runPipeline, STEPS } from '../../src/pipeline/pipeline.js';
import { runSteps } from '../../src/pipeline/runner.js';
import { LAYOUT } from '../../src/pipeline/layout.js';

/**
 * The whole pipeline on a small generated cohort (3 mm grid, light fit settings), in-process with
 * one thread: features, z-scores, SuStaIn, CV, k-means, assignments, report, truth check. The
 * recovered subtypes must agree with the generator's truth, and a second run must resume.
 */
describe('ms-subtype run end to end', () => {
  let dir: string;
  let cfg: RunConfig;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-'));
    writeDemoCohort(join(dir, 'cohort'), { seed: 9, controls: 40, patients: 90, grid: { dims: [52, 64, 48], voxel: 3 } });
    cfg = resolvePaths(
      parseConfig(
        {
          input: { manifest: 'cohort/manifest.csv' },
          fit: { maxSubtypes: 3, startpoints: 4, mcmc: 2000, tunePasses: 1, tune: 1000, samples: 200 },
          cv: { enabled: true, folds: 3, startpoints: 2, mcmc: 500, tune: 500 },
          kmeans: { enabled: true, restarts: 3 },
          truth: { file: 'cohort/truth.csv', subjectColumn: 'subject_id', subtypeColumn: 'subtype_name', stageColumn: 'stage' },
          outcomes: {
            clinical: 'cohort/clinical.csv',
            survival: ['cdp_years:cdp_event'],
            counts: ['relapses:followup_years'],
            scores: ['edss'],
            covariates: ['age', 'sex'],
            treatment: 'arm',
            draws: 3,
          },
          seed: 3,
        },
        'e2e.json',
      ),
      dir,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every step, recovers the generator subtypes, and resumes', async () => {
    const out = join(dir, 'out');
    const lines: string[] = [];
    const first = await runPipeline(cfg, { out, jobs: 1, quiet: false, log: (l) => lines.push(l) });
    expect(first.steps.map((s) => s.status)).toEqual(Array(9).fill('ran'));
    for (const rel of [
      LAYOUT.features,
      LAYOUT.z,
      LAYOUT.normaliser,
      LAYOUT.model,
      LAYOUT.modelSubjects,
      LAYOUT.cv,
      LAYOUT.kmeans,
      LAYOUT.kmeansSubjects,
      LAYOUT.assign,
      LAYOUT.outcomes,
      LAYOUT.report,
      LAYOUT.truth,
    ]) {
      expect(existsSync(join(out, rel)), rel).toBe(true);
    }
    expect(first.closing[first.closing.length - 1]).toBe(join(out, LAYOUT.report));
    expect(readFileSync(join(out, LAYOUT.report), 'utf8')).toMatch(/<html/i);
    expect(readFileSync(join(out, LAYOUT.report), 'utf8')).toContain('<section id="outcomes">');
    expect(first.closing.join('\n')).toMatch(/cdp_years: log-rank p [=<] [\d.]+; Cox \(adjusted for age, sex/);

    const truth = JSON.parse(readFileSync(join(out, LAYOUT.truth), 'utf8')) as { ari: number; subjects: number };
    expect(truth.subjects).toBeGreaterThan(70);
    // 0.87 with these settings; a fit that mixes two subtypes falls to about 0.5
    expect(truth.ari).toBeGreaterThan(0.7);
    expect(first.closing.join('\n')).toContain(`Adjusted Rand index: ${truth.ari.toFixed(3)}`);

    // Every subject in the assignments, controls mostly at stage 0 and patients mostly not.
    const rows = readFileSync(join(out, LAYOUT.assign), 'utf8').trim().split('\n');
    const head = rows[0]!.split(',');
    expect(rows).toHaveLength(1 + 130);
    const stage = head.indexOf('ml_stage');
    const group = head.indexOf('group');
    const stage0 = (g: string) => {
      const r = rows
        .slice(1)
        .map((l) => l.split(','))
        .filter((c) => c[group] === g);
      return r.filter((c) => c[stage] === '0').length / r.length;
    };
    expect(stage0('HC')).toBeGreaterThan(0.6);
    expect(stage0('MS')).toBeLessThan(0.3);

    // Second run: nothing to do.
    const second = await runPipeline(cfg, { out, jobs: 1, quiet: true });
    expect(second.steps.map((s) => s.status)).toEqual(Array(9).fill('skipped'));

    // A CV setting changed: the data steps and the fit are kept, CV and the report rerun; the
    // assignments and k-means are kept when CV recommends the same number of subtypes.
    const modelBefore = readFileSync(join(out, LAYOUT.model));
    const kBefore = (JSON.parse(readFileSync(join(out, LAYOUT.cv), 'utf8')) as { recommendedSubtypes: number }).recommendedSubtypes;
    const third = await runPipeline({ ...cfg, cv: { ...cfg.cv, folds: 2 } }, { out, jobs: 1, quiet: true });
    const status = Object.fromEntries(third.steps.map((s) => [s.name, s.status]));
    expect(status).toMatchObject({ extract: 'skipped', normalise: 'skipped', fit: 'skipped', cv: 'ran', report: 'ran' });
    const sameK = (JSON.parse(readFileSync(join(out, LAYOUT.cv), 'utf8')) as { recommendedSubtypes: number }).recommendedSubtypes === kBefore;
    expect(status['assign']).toBe(sameK ? 'skipped' : 'ran');
    expect(status['kmeans']).toBe(sameK ? 'skipped' : 'ran');
    expect(readFileSync(join(out, LAYOUT.model)).equals(modelBefore)).toBe(true);
    expect((JSON.parse(readFileSync(join(out, LAYOUT.cv), 'utf8')) as { settings: { folds: number } }).settings.folds).toBe(2);

    // Interrupted during CV (Ctrl-C after fold 1 and the full-data part): the rerun redoes only fold 2.
    const cvJson = readFileSync(join(out, LAYOUT.cv), 'utf8');
    const fold1 = statSync(join(out, LAYOUT.cvDir, 'fold-1.json')).mtimeMs;
    rmSync(join(out, LAYOUT.cv));
    rmSync(join(out, LAYOUT.cvDir, 'fold-2.json'));
    const lines4: string[] = [];
    const fourth = await runPipeline({ ...cfg, cv: { ...cfg.cv, folds: 2 } }, { out, jobs: 1, quiet: false, log: (l) => lines4.push(l) });
    expect(fourth.steps.find((s) => s.name === 'cv')!.status).toBe('ran');
    expect(lines4.join('\n')).toContain('(2 finished part(s) of an interrupted run reused)');
    expect(statSync(join(out, LAYOUT.cvDir, 'fold-1.json')).mtimeMs).toBe(fold1);
    expect(readFileSync(join(out, LAYOUT.cv), 'utf8')).toBe(cvJson);

    // The same features given as a ready table: the same z-scores.
    const fromTable = join(dir, 'from-table');
    const tcfg: RunConfig = { ...cfg, input: { ...cfg.input, manifest: null, table: join(out, LAYOUT.features), tableFormat: 'features' } };
    await runSteps(tcfg, STEPS.slice(0, 2), { out: fromTable, jobs: 1, quiet: true });
    expect(readFileSync(join(fromTable, LAYOUT.z), 'utf8')).toBe(readFileSync(join(out, LAYOUT.z), 'utf8'));
  });
});

describe('other inputs', () => {
  it('reads the same cohort from a BIDS folder as from a manifest, and leaves out a broken scan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bids-'));
    try {
      const opts = { seed: 21, controls: 16, patients: 6, grid: { dims: [40, 48, 36] as [number, number, number], voxel: 4 } };
      writeDemoCohort(join(dir, 'm'), opts);
      writeDemoCohort(join(dir, 'b'), { ...opts, layout: 'bids' });
      expect(existsSync(join(dir, 'b', 'sub-0001', 'anat', 'sub-0001_label-lesion_mask.nii.gz'))).toBe(true);
      const base = parseConfig({}, 'bids.json');
      const steps = STEPS.slice(0, 2);
      await runSteps(resolvePaths({ ...base, input: { ...base.input, manifest: 'm/manifest.csv' } }, dir), steps, { out: join(dir, 'om'), jobs: 1, quiet: true });
      await runSteps(resolvePaths({ ...base, input: { ...base.input, bids: 'b' } }, dir), steps, { out: join(dir, 'ob'), jobs: 1, quiet: true });
      const z = (o: string) => readFileSync(join(dir, o, LAYOUT.z), 'utf8');
      // A scan touched (new modification time, same content): extraction reruns, gives the same
      // features, so normalisation is kept.
      const mcfg = resolvePaths({ ...base, input: { ...base.input, manifest: 'm/manifest.csv' } }, dir);
      utimesSync(join(dir, 'm', 'nifti', 'sub-0003_dseg.nii.gz'), new Date(2001, 1, 1), new Date(2001, 1, 1));
      const again = await runSteps(mcfg, steps, { out: join(dir, 'om'), jobs: 1, quiet: true });
      expect(again.map((o) => o.status)).toEqual(['ran', 'skipped']);
      expect(z('ob')).toBe(z('om'));
      expect(z('ob').trim().split('\n')).toHaveLength(1 + 22);

      // A broken scan: that subject is left out with its reason, the run goes on to the end.
      const scan = join(dir, 'm', 'nifti', 'sub-0020_dseg.nii.gz');
      writeFileSync(scan, readFileSync(scan).subarray(0, 200));
      const light = parseConfig(
        {
          input: { manifest: 'm/manifest.csv' },
          fit: { maxSubtypes: 1, startpoints: 1, mcmc: 100, mcmcTunePasses: 1, mcmcTuneIterations: 50, samplesKept: 20 },
          cv: { enabled: false },
          kmeans: { enabled: false },
          report: { enabled: false },
        },
        'light.json',
      );
      const r = await runPipeline(resolvePaths(light, dir), { out: join(dir, 'broken'), jobs: 1, quiet: true });
      expect(r.closing[r.closing.length - 1]).toBe(join(dir, 'broken', LAYOUT.assign));
      expect(r.closing.join('\n')).toContain('1 subject(s) could not be measured');
      expect(readFileSync(join(dir, 'broken', LAYOUT.featuresErrors), 'utf8')).toContain('sub-0020');
      expect(
        readFileSync(join(dir, 'broken', LAYOUT.assign), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(1 + 21);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
