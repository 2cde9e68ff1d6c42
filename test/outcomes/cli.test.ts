import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinInputs, plannedDrawFits, readOutcomes, runOutcomes, type AnalysisSettings } from '../../src/outcomes/index.js';
import { runCli } from '../helpers/cli.js';
import { errorOf } from '../helpers/errors.js';
import { writeTruthSubjects } from './demo-data.js';

const SETTINGS: AnalysisSettings = {
  survival: [{ time: 'cdp_years', event: 'cdp_event' }],
  counts: [{ count: 'relapses', exposure: 'followup_years' }],
  scores: ['edss'],
  covariates: ['age', 'sex'],
  treatment: 'arm',
  treatmentReference: null,
  referenceSubtype: 0,
  draws: 3,
  seed: 1,
};

describe('ms-subtype outcomes', () => {
  let dir: string;
  let subjects: string;
  let clinical: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'outcomes-cli-'));
    subjects = join(dir, 'subjects.csv');
    clinical = join(dir, 'clinical.csv');
    writeTruthSubjects(subjects, clinical, { seed: 5, controls: 10, patients: 80 }, 0.7);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lines = () => readFileSync(clinical, 'utf8').trim().split('\n');
  /** A copy of the clinical table with line `line` (1 = header) changed by `edit`. */
  function clinicalWith(name: string, edit: (cells: string[], line: number) => string[] | null): string {
    const out = lines()
      .map((l, i) => (i === 0 ? l : edit(l.split(','), i + 1)?.join(',')))
      .filter((l): l is string => l !== undefined);
    const p = join(dir, name);
    writeFileSync(p, out.join('\n') + '\n');
    return p;
  }

  it('writes outcomes.json with the keys outside checks read, CSV tables with sidecars, and the path last (--quiet)', () => {
    const out = join(dir, 'out');
    const r = runCli([
      'outcomes',
      '--subjects',
      subjects,
      '--clinical',
      clinical,
      '--survival',
      'cdp_years:cdp_event',
      '--counts',
      'relapses:followup_years',
      '--scores',
      'edss',
      '--covariates',
      'age,sex',
      '--treatment',
      'arm',
      '--draws',
      '3',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'outcomes.json')}\n`);
    const j = readOutcomes(join(out, 'outcomes.json'));
    const surv = j.survival.filter((e) => e.outcome === 'cdp_years' && e.model === 'subtype');
    expect(surv.map((e) => e.covariates)).toEqual([[], ['age', 'sex']]);
    for (const e of surv) {
      expect(Object.keys(e.logrank).sort()).toEqual(['chisq', 'df', 'p']);
      expect(e.terms.map((t) => t.term).slice(0, 2)).toEqual(['subtype1', 'subtype2']);
      for (const t of e.terms) expect(Object.keys(t).sort()).toEqual(['ciHigh', 'ciLow', 'coef', 'hr', 'p', 'se', 'term']);
    }
    expect(surv[1]!.terms.map((t) => t.term)).toEqual(['subtype1', 'subtype2', 'age', 'sex=M']);
    const counts = j.counts.filter((e) => e.model === 'subtype');
    expect(counts.map((e) => [e.outcome, e.family, e.covariates.length])).toEqual([
      ['relapses', 'poisson', 0],
      ['relapses', 'poisson', 2],
      ['relapses', 'negbin', 0],
      ['relapses', 'negbin', 2],
    ]);
    expect(counts[2]!.theta).toBeGreaterThan(0);
    for (const t of counts[3]!.terms) expect(Object.keys(t).sort()).toEqual(['ciHigh', 'ciLow', 'coef', 'p', 'ratio', 'se', 'term']);
    expect(j.survival.find((e) => e.model === 'stage')!.terms[0]!.term).toBe('stage');
    expect(j.treatment[0]!.interaction.terms.map((t) => t.term)).toContain('subtype1:arm=placebo');
    for (const f of ['table1', 'km', 'survival', 'counts', 'treatment', 'scores']) {
      expect(existsSync(join(out, `${f}.csv`)), f).toBe(true);
      expect(JSON.parse(readFileSync(join(out, `${f}.csv.json`), 'utf8')).inputs.clinical.file).toBe('clinical.csv');
    }
    expect(readFileSync(join(out, 'survival.csv'), 'utf8').split('\n')[0]).toBe('outcome,model,covariates,subtype_from,n,events,term,coef,se,ratio,ci_low,ci_high,p');
  });

  it('gives the same bytes for the same inputs and seed; pooled intervals are wider than the most-likely ones', () => {
    let fits = 0;
    const a = runOutcomes(subjects, clinical, join(dir, 'a'), SETTINGS, () => fits++).result;
    expect(fits).toBe(plannedDrawFits(SETTINGS)); // the progress bar's total is right: 3 draws x 2 sets x (1 + 2 x 1)
    runOutcomes(subjects, clinical, join(dir, 'b'), SETTINGS);
    expect(readFileSync(join(dir, 'a', 'outcomes.json'), 'utf8')).toBe(readFileSync(join(dir, 'b', 'outcomes.json'), 'utf8'));
    const e = a.survival[0]!;
    const ml = e.terms.find((t) => t.term === 'subtype1')!;
    const pooled = e.pooled!.terms.find((t) => t.term === 'subtype1')!;
    expect(e.pooled!.subtypeFrom).toBe('posterior draws');
    expect(pooled.se).toBeGreaterThan(ml.se);
  });

  it('prints help with an example', () => {
    const r = runCli(['outcomes', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example:');
    expect(r.stdout).toContain('--survival cdp_years:cdp_event');
  });

  it('warns with the count of subjects missing from either table, and refuses when none match', () => {
    const partial = clinicalWith('partial.csv', (c, line) => (line <= 6 ? null : c));
    const j = joinInputs(subjects, partial, SETTINGS);
    expect(j.warnings[0]).toMatch(/^5 subject\(s\) of subjects\.csv have no row in partial\.csv/);
    const none = clinicalWith('none.csv', (c) => [`x-${c[0]}`, ...c.slice(1)]);
    expect(errorOf(() => joinInputs(subjects, none, SETTINGS)).message).toMatch(/none\.csv, field subject_id: no subject of subjects\.csv is in the clinical table/);
  });

  it('joins on subject and session when both tables have a session column', () => {
    const subj = join(dir, 'ses-subjects.csv');
    const clin = join(dir, 'ses-clinical.csv');
    const head = 'subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0,prob_subtype_1,session';
    writeFileSync(subj, [head, 's1,0,1,3,1,1,0,ses-1', 's1,1,1,5,1,0,1,ses-2', 's2,1,1,2,1,0,1,ses-1', ''].join('\n'));
    writeFileSync(clin, ['subject_id,session,t,e', 's1,ses-2,4.5,1', 's1,ses-1,2.5,0', 's2,ses-9,1,1', ''].join('\n'));
    const j = joinInputs(subj, clin, { ...SETTINGS, survival: [{ time: 't', event: 'e' }], counts: [], scores: [], covariates: [], treatment: null });
    expect(j.cohort.subjects).toEqual(['s1', 's1']);
    expect([...j.cohort.subtype]).toEqual([0, 1]);
    expect([...(j.cohort.columns.get('t') as { values: Float64Array }).values]).toEqual([2.5, 4.5]);
    expect(j.subjects).toMatchObject({ matched: 2, onlyInSubjects: 1, onlyInClinical: 1 });
  });

  it('refuses negative times, events other than 0/1, bad counts and exposures, naming file, line, subject and column', () => {
    const at = 20; // a patient's line
    const cases: [string, number, string, RegExp][] = [
      ['neg.csv', 4, '-1', /neg\.csv, line 20, subject sub-0019, field cdp_years: negative time -1/],
      ['ev.csv', 5, '2', /ev\.csv, line 20, subject sub-0019, field cdp_event: an event column holds 0 \(censored\) or 1 \(event\), got "2"/],
      ['cnt.csv', 6, '1.5', /cnt\.csv, line 20, subject sub-0019, field relapses: a count must be a whole number/],
      ['exp.csv', 7, '0', /exp\.csv, line 20, subject sub-0019, field followup_years: exposure must be above 0/],
    ];
    for (const [name, col, value, re] of cases) {
      const f = clinicalWith(name, (c, line) => (line === at ? c.map((v, i) => (i === col ? value : v)) : c));
      expect(errorOf(() => joinInputs(subjects, f, SETTINGS)).message).toMatch(re);
    }
    expect(errorOf(() => joinInputs(subjects, clinical, { ...SETTINGS, covariates: ['bmi'] })).message).toMatch(/clinical\.csv, field bmi: missing column "bmi"/);
    expect(errorOf(() => joinInputs(subjects, clinical, { ...SETTINGS, referenceSubtype: 3 })).message).toMatch(/reference subtype 3 does not exist/);
    expect(errorOf(() => joinInputs(subjects, clinical, { ...SETTINGS, treatmentReference: 'sham' })).message).toMatch(
      /treatment reference "sham" is not a level of column "arm" \(levels: active, placebo\)/,
    );
  });

  it('exits non-zero with one line and no stack trace on bad input', () => {
    const f = clinicalWith('neg2.csv', (c, line) => (line === 20 ? c.map((v, i) => (i === 4 ? '-3' : v)) : c));
    const r = runCli(['outcomes', '--subjects', subjects, '--clinical', f, '--survival', 'cdp_years:cdp_event', '--out', join(dir, 'bad')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ms-subtype: .*neg2\.csv, line 20, subject sub-0019, field cdp_years: negative time -3$/m);
    expect(existsSync(join(dir, 'bad', 'outcomes.json'))).toBe(false);
  });
});
