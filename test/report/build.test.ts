import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/index.js';
import { UserError } from '../../src/common/errors.js';
import { makeInputs, SMALL } from './fixtures.js';

function embeddedData(html: string): { rows: unknown[][]; csvHeader: string; csvLines: string[]; columns: { key: string }[] } {
  const m = /<script type="application\/json" id="subject-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

describe('buildReport', () => {
  it('makes every figure as SVG, inlines each one in the page, and is deterministic', async () => {
    const inputs = makeInputs(SMALL);
    const a = await buildReport(inputs);
    const names = Object.keys(a.figures).sort();
    expect(names).toEqual(
      [
        'assignment-confidence.svg',
        'cv-test-loglik.svg',
        'cvic.svg',
        'kmeans-centroids.svg',
        'kmeans-silhouette.svg',
        'normaliser-r2.svg',
        'positional-variance-subtype-1.svg',
        'positional-variance-subtype-2.svg',
        'stages.svg',
        'stage-certainty.svg',
        'subtype-fractions.svg',
      ].sort(),
    );
    for (const [name, svg] of Object.entries(a.figures)) {
      expect(svg.startsWith('<svg'), name).toBe(true);
      expect(svg).toMatch(/<\/svg>$/);
      expect(a.html).toContain(`data-figure="${name}"`);
    }
    expect((a.html.match(/<svg /g) ?? []).length).toBe(names.length);
    const b = await buildReport(makeInputs(SMALL));
    expect(b.html).toBe(a.html);
    expect(b.figures).toEqual(a.figures);
  });

  it('loads nothing from the network', async () => {
    const { html } = await buildReport(makeInputs(SMALL));
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    // The only absolute URLs allowed are XML namespaces inside the SVGs.
    const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((m) => m[0]);
    expect(urls.every((u) => u.startsWith('http://www.w3.org/'))).toBe(true);
  });

  it('names subtypes after their first events and reports the summary numbers', async () => {
    const inputs = makeInputs(SMALL);
    const { html, figures } = await buildReport(inputs);
    const fit = inputs.model.fits[1]!;
    const first = fit.sequences.map((s) => s[0]![0]);
    expect(html).toContain(`Subtype 1: led by ${first[0]}`);
    expect(html).toContain(`Subtype 2: led by ${first[1]}`);
    expect(figures['positional-variance-subtype-2.svg']).toContain(`led by ${first[1]}`);
    const a = inputs.subjects.assignment;
    // Controls (the first SMALL.controls rows, flagged is_control) are counted apart from the patients.
    const control = inputs.subjects.carried!['is_control']!.map((v) => v === '1');
    const stage0 = Array.from(a.mlStage).filter((s, i) => s === 0 && !control[i]).length;
    const controlsPast = Array.from(a.mlStage).filter((s, i) => s > 0 && control[i]).length;
    expect(controlsPast).toBeGreaterThan(0);
    expect(html).toContain(`<div class="v">${stage0}</div><div class="k">patients at stage 0</div>`);
    expect(html).toContain(`<div class="v">${SMALL.subjects - SMALL.controls - stage0}</div><div class="k">patients past stage 0</div>`);
    expect(html).toContain(`<div class="v">${controlsPast}</div><div class="k">controls past stage 0</div>`);
    for (let j = 0; j < 2; j++) {
      const patients = Array.from(a.mlStage).filter((s, i) => s > 0 && !control[i] && a.mlSubtype[i] === j).length;
      expect(html).toMatch(new RegExp(`Subtype ${j + 1}</b>: [^<]*<span class="muted">[^<]*</span> · ${patients} patients<`));
    }
    expect(figures['stages.svg']).toContain('Healthy controls');
    expect(html).toContain(`<div class="v">${SMALL.controls}</div><div class="k">controls</div>`);
    expect(html).toContain('3</div><div class="k">failed extractions');
    const data = embeddedData(html);
    expect(data.rows).toHaveLength(SMALL.subjects);
    expect(data.csvLines).toHaveLength(SMALL.subjects);
    expect(data.csvHeader.trim().split(',').slice(0, 5)).toEqual(['subject_id', 'ml_subtype', 'prob_ml_subtype', 'ml_stage', 'prob_ml_stage']);
  });

  it('shows readable feature labels from the feature definitions in names, diagrams and tables', async () => {
    const inputs = makeInputs(SMALL);
    const f = inputs.features as { features: { name: string; label?: string; unit?: string }[] };
    for (const d of f.features) Object.assign(d, { label: `Label of ${d.name}`, unit: 'mm³' });
    const { html, figures } = await buildReport(inputs);
    const first = inputs.model.fits[1]!.sequences.map((q) => q[0]![0]);
    expect(html).toContain(`Subtype 1: led by Label of ${first[0]}`);
    for (const b of SMALL.biomarkers) expect(figures['positional-variance-subtype-1.svg']).toContain(`Label of ${b}`);
    expect(figures['kmeans-centroids.svg']).toContain('Label of thalamus');
    expect(html).toContain('Label of thalamus (thalamus, volume, mm³)');
  });

  it('says when z-scores were above zmax (from the subject table\u2019s sidecar)', async () => {
    const inputs = makeInputs(SMALL, false);
    expect((await buildReport(inputs)).html).not.toContain('z-scores above zmax');
    inputs.subjects.zAboveZmax = { cells: 3, values: 900, biomarkers: [{ name: 'lesion_load', cells: 3, max: 469, zmax: 5 }] };
    const { html } = await buildReport(inputs);
    expect(html).toContain('<b>z-scores above zmax.</b> 3 of 900 z-scores are above zmax in 1 biomarker(s): lesion_load 3 (max 469)');
  });

  it('leaves out the CV and k-means parts when they are not given', async () => {
    const { html, figures } = await buildReport(makeInputs(SMALL, false));
    expect(Object.keys(figures)).not.toContain('cvic.svg');
    expect(Object.keys(figures)).not.toContain('kmeans-centroids.svg');
    expect(Object.keys(figures)).not.toContain('normaliser-r2.svg');
    expect(html).not.toContain('id="cv"');
    expect(html).not.toContain('id="kmeans"');
    expect(html).toContain('id="subjects"');
  });

  it('adds the cross-validated diagrams on request, and refuses without a CV result', async () => {
    const inputs = makeInputs(SMALL);
    inputs.options = { cvPositionalVariance: true };
    const { figures } = await buildReport(inputs);
    expect(Object.keys(figures)).toContain('positional-variance-cv-subtype-2.svg');
    const bare = makeInputs(SMALL, false);
    bare.options = { cvPositionalVariance: true };
    await expect(buildReport(bare)).rejects.toThrow(/needs a CV result/);
  });

  it('tells when CV recommends another number of subtypes than the table has', async () => {
    const inputs = makeInputs(SMALL);
    inputs.cv!.recommendedSubtypes = 1;
    const { html } = await buildReport(inputs);
    expect(html).toMatch(/Cross-validation recommends <b>1<\/b> subtype\(s\), but this report shows <b>2<\/b>/);
  });

  it('escapes text from the inputs', async () => {
    const inputs = makeInputs(SMALL, false);
    inputs.title = 'A <b>bold</b> title';
    inputs.subjects.carried!['group']![5] = '</script><script>alert(1)</script>';
    const { html } = await buildReport(inputs);
    expect(html).toContain('<title>A &lt;b&gt;bold&lt;/b&gt; title</title>');
    expect(html).not.toContain('</script><script>alert(1)');
    expect(embeddedData(html).rows[5]).toContain('</script><script>alert(1)</script>');
  });

  it('draws the ML sequence when a fit carries no posterior samples', async () => {
    const inputs = makeInputs(SMALL, false);
    const fit = inputs.model.fits[1]!;
    fit.samples = { sequences: [], fractions: [], logLikelihood: [] };
    const { figures, html } = await buildReport(inputs);
    expect(figures['positional-variance-subtype-1.svg']).toContain('no samples: ML sequence only');
    // Fractions without samples: the interval collapses onto the ML value.
    const pctMl = `${(100 * fit.fractions[0]!).toFixed(1)}%`;
    expect(html).toContain(`${pctMl} <span class="muted">(${pctMl}–${pctMl})</span>`);
  });

  it('hides carried columns that are empty for every subject from the table view only', async () => {
    const inputs = makeInputs(SMALL, false);
    inputs.subjects.carried!['session'] = inputs.subjects.assignment.subjects.map(() => '');
    const data = embeddedData((await buildReport(inputs)).html);
    expect(data.columns.map((c) => c.key)).not.toContain('session');
    expect(data.columns.map((c) => c.key)).toContain('group');
    expect(data.csvHeader.trim().split(',')).toContain('session');
  });

  it('refuses inconsistent inputs with a message naming the field', async () => {
    const wrongK = makeInputs(SMALL, false);
    wrongK.subtypes = 1;
    await expect(buildReport(wrongK)).rejects.toThrow(/probabilities for 2 subtype\(s\) but the report was asked for 1/);

    const badSample = makeInputs(SMALL, false);
    badSample.model.fits[1]!.samples.sequences[3]![1]![0] = badSample.model.fits[1]!.samples.sequences[3]![1]![1]!;
    const err = await buildReport(badSample).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/fits\.1\.samples\.sequences\.3\.1.*not an ordering/);

    const badStage = makeInputs(SMALL, false);
    badStage.subjects.assignment.mlStage[2] = 99;
    await expect(buildReport(badStage)).rejects.toThrow(/subject sub-0003, field ml_stage: ml_stage 99 is outside/);
  });
});

describe('convergence banner', () => {
  it('warns at the top of the page when the shown K has chains that did not converge, and not otherwise', async () => {
    const inputs = makeInputs(SMALL, false);
    const plain = await buildReport(inputs);
    expect(plain.html).not.toContain('convergence-warning');
    const fit = inputs.model.fits[SMALL.maxSubtypes - 1]!;
    fit.diagnostics = { mcmcIterations: 5000, convergence: { warnings: ['R-hat of the log-likelihood is 1.050 (> 1.01)'] } };
    const warned = await buildReport(inputs);
    const banner = /<p class="note warn" role="alert" id="convergence-warning">(.*?)<\/p>/.exec(warned.html);
    expect(banner).not.toBeNull();
    expect(banner![1]).toContain(`K=${SMALL.maxSubtypes}: the MCMC chains may not have converged (R-hat of the log-likelihood is 1.050 (&gt; 1.01))`);
    expect(banner![1]).toContain('--mcmc 10000');
    // before the overview
    expect(warned.html.indexOf('convergence-warning')).toBeLessThan(warned.html.indexOf('id="overview"'));
  });
});
