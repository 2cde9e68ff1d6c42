import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, parseConfig, applyOverrides, loadConfig, mergeConfig } from '../../src/pipeline/config.js';
import { errorOf } from '../helpers/errors.js';
import { CV_DEFAULTS } from '../../src/cv/run.js';
import { runCli } from '../helpers/cli.js';

describe('run config', () => {
  it('fills what a file leaves out from the defaults, section by section', () => {
    const cfg = parseConfig({ fit: { mcmc: 5000 }, cv: { enabled: false } }, 'c.json');
    expect(cfg.fit.mcmc).toBe(5000);
    expect(cfg.fit.startpoints).toBe(DEFAULT_CONFIG.fit.startpoints);
    expect(cfg.cv.enabled).toBe(false);
    expect(cfg.cv.folds).toBe(DEFAULT_CONFIG.cv.folds);
    expect(parseConfig({}, 'c.json')).toEqual(DEFAULT_CONFIG);
    // free-form maps and lists are replaced, not merged
    expect(mergeConfig({ a: [1, 2, 3] }, { a: [4] })).toEqual({ a: [4] });
  });

  it('names the key of a wrong value, an unknown key, or an inconsistent setting', () => {
    const cases: [unknown, string][] = [
      [{ fit: { mcmc: -3 } }, 'field fit.mcmc'],
      [{ fit: { polish: -1 } }, 'field fit.polish'],
      [{ fit: { earlyStop: -1 } }, 'field fit.earlyStop'],
      [{ fit: { zvals: [1, 'two'] } }, 'field fit.zvals.1'],
      [{ cv: { folds: 1 } }, 'field cv.folds'],
      [{ normalise: { covariates: 'age' } }, 'field normalise.covariates'],
      [{ fit: { mcmcIterations: 5 } }, 'field fit.mcmcIterations: unknown setting'],
      [{ truth: { file: 't.csv', subject: 's' } }, 'field truth.subject: unknown setting'],
      [{ cohort: 'x.csv' }, 'field cohort: unknown setting'],
      [{ extract: { lesionThreshold: 0 } }, 'field extract.lesionThreshold'],
      [{ fit: { zvals: [2, 1] } }, 'field fit.zvals'],
      [{ fit: { zvals: [0, 0] } }, 'field fit.zvals'],
      [{ fit: { thresholds: { lesion_load: { zvals: [1, 0, 1], zmax: 4 } } } }, 'field fit.thresholds.lesion_load.zvals'],
      [{ fit: { maxSubtypes: 2, subtypes: 3 } }, 'field fit.subtypes'],
      [{ input: { manifest: 'a.csv', bids: 'b' } }, 'field input'],
      [{ truth: { file: 't.csv' } }, 'field truth.subjectColumn'],
    ];
    for (const [raw, where] of cases) {
      const e = errorOf(() => parseConfig(raw, 'my.json'));
      expect(e.message, JSON.stringify(raw)).toContain('my.json');
      expect(e.message, JSON.stringify(raw)).toContain(where);
    }
    expect(errorOf(() => parseConfig({ fit: { mcmcIterations: 5 } }, 'my.json')).message).toContain('mcmc, tune, tunePasses, samples');
  });

  it('names settings as the flags, and still accepts the old names', () => {
    const old = parseConfig({ fit: { mcmcTuneIterations: 300, mcmcTunePasses: 2, samplesKept: 40, model: 'mixture' }, cv: { mcmcTuneIterations: 60 } }, 'old.json');
    expect(old.fit).toMatchObject({ tune: 300, tunePasses: 2, samples: 40, kind: 'mixture' });
    expect('model' in old.fit).toBe(false);
    expect(old.cv.tune).toBe(60);
    expect('mcmcTuneIterations' in old.fit).toBe(false);
    // both names: the same value is taken, two different values are refused (as the flags' two spellings)
    expect(parseConfig({ fit: { tune: 7, mcmcTuneIterations: 7 } }, 'both.json').fit.tune).toBe(7);
    const both = errorOf(() => parseConfig({ fit: { tune: 7, mcmcTuneIterations: 300 } }, 'both.json')).message;
    for (const part of ['both.json', 'fit.mcmcTuneIterations', 'fit.tune', 'different values']) expect(both).toContain(part);
    expect(errorOf(() => parseConfig({ input: { covariates: 'a.csv', covariatesFile: 'b.csv' } }, 'both.json')).message).toContain('input.covariatesFile');
    expect(parseConfig({ fit: { polish: 0 } }, 'polish.json').fit.polish).toBe(0);
    expect(DEFAULT_CONFIG.fit.polish).toBeNull();
    expect(parseConfig({ fit: { earlyStop: 0 } }, 'stop.json').fit.earlyStop).toBe(0);
    expect(DEFAULT_CONFIG.fit.earlyStop).toBeNull();
    expect(applyOverrides(DEFAULT_CONFIG, ['fit.samplesKept=12'], '/').fit.samples).toBe(12);
    expect(applyOverrides(DEFAULT_CONFIG, ['fit.model=mixture'], '/').fit.kind).toBe('mixture');
    // the new key is the one the defaults print
    expect(DEFAULT_CONFIG.fit.kind).toBe('zscore');
    // files, where normalise.covariates and outcomes.covariates are lists of columns: named as extract's flags, each old name told once
    const told: string[] = [];
    const files = parseConfig({ input: { covariates: 'cov.csv' }, extract: { features: 'defs.json' } }, 'files.json', (o, n) => told.push(`${o}>${n}`));
    expect(files.input.covariatesFile).toBe('cov.csv');
    expect(files.extract.featureDefs).toBe('defs.json');
    expect('covariates' in files.input || 'features' in files.extract).toBe(false);
    expect(told).toEqual(['input.covariates>input.covariatesFile', 'extract.features>extract.featureDefs']);
    expect(Object.keys(DEFAULT_CONFIG.input)).toContain('covariatesFile');
    expect(Object.keys(DEFAULT_CONFIG.extract)).toContain('featureDefs');
    told.length = 0;
    const set = applyOverrides(DEFAULT_CONFIG, ['input.covariates=p.tsv', 'extract.featureDefs=d.json'], '/base', '--set', (o, n) => told.push(`${o}>${n}`));
    expect([set.input.covariatesFile, set.extract.featureDefs]).toEqual(['/base/p.tsv', '/base/d.json']);
    expect(told).toEqual(['input.covariates>input.covariatesFile']);
    // cv.mcmc's default is cv --mcmc's (both 1e4; fit's is 1e5, see docs/cv.md)
    expect(DEFAULT_CONFIG.cv.mcmc).toBe(CV_DEFAULTS.mcmcIterations);
  });

  it("accepts pySuStaIn's threshold conventions: 0 = unused threshold, zmax not above the top threshold", () => {
    const cfg = parseConfig({ fit: { zvals: [1, 2, 3], zmax: 2, thresholds: { lesion_load: { zvals: [1, 2, 0], zmax: 2 } } } }, 'my.json');
    expect(cfg.fit.zmax).toBe(2);
    expect(cfg.fit.thresholds['lesion_load']!.zvals).toEqual([1, 2, 0]);
  });

  it('resolves paths against the config file folder and applies --set overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ input: { manifest: 'sub/manifest.csv' }, truth: { file: 'truth.csv', subjectColumn: 's', subtypeColumn: 't', stageColumn: null } }));
      const cfg = loadConfig(file);
      expect(cfg.input.manifest).toBe(join(dir, 'sub', 'manifest.csv'));
      expect(cfg.truth!.file).toBe(join(dir, 'truth.csv'));
      const o = applyOverrides(cfg, ['fit.mcmc=2000', 'cv.enabled=false', 'report.title=My cohort', 'normalise.covariates=["age"]'], dir);
      expect(o.fit.mcmc).toBe(2000);
      expect(o.cv.enabled).toBe(false);
      expect(o.report.title).toBe('My cohort');
      expect(o.normalise.covariates).toEqual(['age']);
      expect(o.input.manifest).toBe(cfg.input.manifest);
      expect(errorOf(() => applyOverrides(cfg, ['fit.mcmc=lots'], dir)).message).toContain('field fit.mcmc');
      expect(errorOf(() => applyOverrides(cfg, ['fit.mcmc'], dir)).message).toContain('key=value');
      expect(errorOf(() => applyOverrides(cfg, ['fit.mcmcIter=5'], dir)).message).toContain('field fit.mcmcIter: unknown setting');
      writeFileSync(file, '{"fit": {');
      expect(errorOf(() => loadConfig(file)).message).toContain('not valid JSON');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CLI: --print-config prints the defaults as valid JSON; a bad config is one line naming the key', () => {
    const p = runCli(['run', '--print-config']);
    expect(p.code).toBe(0);
    expect(parseConfig(JSON.parse(p.stdout), 'printed')).toEqual(DEFAULT_CONFIG);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-cli-'));
    try {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ cv: { folds: 0 } }));
      const r = runCli(['run', '--config', file, '--out', join(dir, 'out')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('field cv.folds');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain('    at ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
