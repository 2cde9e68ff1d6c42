/**
 * buildReport: inputs (plain data) -> the HTML page and its figures as SVG text. No file access;
 * the same inputs always give the same bytes (no timestamps, fixed figure order).
 */
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import type { NamedEvent, SustainFit } from '../sustain/types.js';
import { modelView, type ModelView } from './model-view.js';
import { cohortSummary, featureText } from './cohort.js';
import { convergenceBanner } from './convergence.js';
import { card, esc, figure, fmt, jsonForScript, pct, section, table } from './html.js';
import { PAGE_CSS, TABLE_SCRIPT } from './page-assets.js';
import { renderSvg } from './render.js';
import { normaliserSpec, pvSpec, type ThresholdLegend } from './specs.js';
import { assignmentSummary, biomarkerOrder, fractionSummaries, matrixFromNested, positionalVariance, pvCells, subtypeLabels, type PvCell } from './stats.js';
import { subjectTableData } from './subject-table.js';
import { longitudinalSection } from './longitudinal.js';
import { brainSection } from './brain-section.js';
import { outcomesSection } from './outcomes-section.js';
import { controlMask } from '../io/subjects.js';
import { exceedanceMessage } from '../normalise/exceedance.js';
import { REPORT_DEFAULTS, type ReportInputs, type ReportOptions, type ReportOutput } from './types.js';
import type { Context } from './context.js';
import { checkInputs } from './check-inputs.js';
import { fitSection, sizesSection } from './sections-sizes.js';
import { cvSection, kmeansSection } from './cv-sections.js';

export function resolveOptions(partial: Partial<ReportOptions> = {}): ReportOptions {
  return { ...REPORT_DEFAULTS, ...partial };
}

function thresholdLegend(view: ModelView, colours: readonly string[]): ThresholdLegend[] {
  const depth = Math.max(...view.levels.map((z) => z.length));
  return Array.from({ length: depth }, (_, t) => {
    const zs = [...new Set(view.levels.map((z) => z[t]).filter((z): z is number => z !== undefined))];
    return { label: view.levelLabel(zs), colour: colours[t % colours.length]! };
  });
}

async function positionalSection(c: Context): Promise<string> {
  const { model, view, fit, k, nEvents, opts, labels } = c;
  const zvals = new Map(model.biomarkers.map((b, i) => [b, view.levels[i] ?? []]));
  const legend = thresholdLegend(view, opts.thresholdColours);
  const samples = fit.samples.sequences.length;
  const cvPv = c.inputs.cv?.positionalVariance?.[String(k)];
  if (opts.cvPositionalVariance && c.inputs.cv === undefined) {
    throw new UserError('the cross-validated positional variance needs a CV result (--cv)', { field: 'cv' });
  }
  if (opts.cvPositionalVariance && cvPv === undefined) {
    throw new UserError(`the CV result has no cross-validated positional variance for ${k} subtype(s)`, { field: 'positionalVariance' });
  }
  const figs: string[] = [];
  const cvFigs: string[] = [];
  for (let j = 0; j < k; j++) {
    const rows = biomarkerOrder(fit.sequences[j] ?? []);
    for (const b of model.biomarkers) if (!rows.includes(b)) rows.push(b);
    const p = positionalVariance(fit.samples, j, nEvents);
    const name = `positional-variance-subtype-${j + 1}.svg`;
    const sub = samples > 0 ? `${pct(fit.fractions[j]!, 1)} of subjects · ${samples} posterior samples` : `${pct(fit.fractions[j]!, 1)} of subjects · no samples: ML sequence only`;
    const pUsed = samples > 0 ? p : mlMatrix(fit, j, view);
    c.figures[name] = await renderSvg(pvSpec(readable(c, pvCells(pUsed, view.events, rows, zvals, opts.thresholdColours)), rows.map(c.label), nEvents, labels[j]!.full, sub, legend));
    figs.push(figure(name, c.figures[name], pvHowTo(view, 'MCMC samples')));
    if (opts.cvPositionalVariance && cvPv !== undefined) {
      const cvName = `positional-variance-cv-subtype-${j + 1}.svg`;
      const pc = matrixFromNested(cvPv[j] ?? [], nEvents);
      c.figures[cvName] = await renderSvg(
        pvSpec(
          readable(c, pvCells(pc, view.events, rows, zvals, opts.thresholdColours)),
          rows.map(c.label),
          nEvents,
          `${labels[j]!.full} (cross-validated)`,
          'pooled over the folds of cross-validation',
          legend,
        ),
      );
      cvFigs.push(figure(cvName, c.figures[cvName], pvHowTo(view, 'pooled over CV folds')));
    }
  }
  const colours = legend.map((l) => `<span class="dot" style="background:${l.colour};width:11px;height:11px;vertical-align:-1px"></span> ${esc(l.label)}`).join(', ');
  const lead =
    'The order in which each subtype\u2019s biomarkers become abnormal, from the first event (left) to the last (right); subtypes are named after their earliest events. ' +
    `Each biomarker row lights up where it ${view.rowMeaning} (${colours}), darker where the model is more certain, as in SuStaIn papers\u2019 positional variance diagrams.`;
  let body = `<div class="grid">${figs.join('')}</div>`;
  if (cvFigs.length > 0)
    body += `<h3>Cross-validated</h3><p class="lead">The same diagrams from the cross-validation folds: events that stay sharp here are robust to which subjects were used.</p><div class="grid">${cvFigs.join('')}</div>`;
  return section('progression', 'Subtype progression', lead, body);
}

/** Diagram cells with the biomarkers' readable labels. */
function readable(c: Context, cells: PvCell[]): PvCell[] {
  return cells.map((cell) => ({ ...cell, biomarker: c.label(cell.biomarker) }));
}

/** The ML sequence as a 0/1 matrix (used when a fit carries no posterior samples). */
function mlMatrix(fit: SustainFit<NamedEvent>, j: number, model: ModelView): Float64Array {
  const n = model.events.length;
  const p = new Float64Array(n * n);
  (fit.sequences[j] ?? []).forEach(([b, z], pos) => {
    const e = model.events.findIndex(([eb, ez]) => eb === b && ez === z);
    if (e >= 0) p[e * n + pos] = 1;
  });
  return p;
}

function pvHowTo(view: ModelView, source: string): string {
  return `rows are biomarkers, columns the order of events; colour = ${esc(view.colourMeaning)}, strength = posterior probability (${esc(source)}). Crisp cells = certain order; smears = uncertain.`;
}

async function cohortSection(c: Context): Promise<string> {
  const h = c.cohort;
  const parts: string[] = [];
  const facts: string[][] = [
    ['Subjects in the subject table', esc(h.subjects)],
    ['Healthy controls', h.controls === null ? '<span class="muted">not given</span>' : `${esc(h.controls)} <span class="muted">(${esc(h.controlsSource)})</span>`],
    ['Model trained on', `${esc(c.model.training.subjects)} subjects`],
    ['Biomarkers in the model', `${esc(c.model.biomarkers.length)} (${esc(c.nEvents)} events)`],
    ['Features', h.features.length > 0 ? esc(h.features.map(featureText).join(', ')) : '<span class="muted">not given</span>'],
    ['Covariates', h.covariates.length > 0 ? esc(h.covariates.join(', ')) : '<span class="muted">not given</span>'],
    ['Extraction failures', h.failures !== null ? esc(h.failures.length) : h.extraction?.failed !== undefined ? esc(h.extraction.failed) : '<span class="muted">not given</span>'],
  ];
  const x = h.extraction;
  if (x !== null) {
    if (x.inputs !== undefined || x.rows !== undefined) facts.splice(1, 0, ['Scans extracted', `${esc(x.rows ?? '?')}${x.inputs !== undefined ? ` of ${esc(x.inputs)} in the input` : ''}`]);
    if (x.carried.length > 0) facts.push(['Columns carried from the manifest', esc(x.carried.join(', '))]);
    if (x.missingFeatures.length > 0) facts.push(['Features empty for every subject', esc(x.missingFeatures.join(', '))]);
  }
  const factsTable = table([{ label: 'Cohort' }, { label: '' }], facts, () => false, 'data kv');
  let r2Figure = '';
  if (h.normaliser.some((r) => r.r2 !== undefined)) {
    const withR2 = h.normaliser.filter((r) => r.r2 !== undefined).map((r) => ({ feature: c.label(r.feature), r2: r.r2! }));
    c.figures['normaliser-r2.svg'] = await renderSvg(normaliserSpec(withR2));
    r2Figure = figure(
      'normaliser-r2.svg',
      c.figures['normaliser-r2.svg'],
      'how much of each feature\u2019s variation among controls the covariates explain. Low values are common; the residual sd (below) is the unit of the z-scores.',
    );
  }
  parts.push(r2Figure ? `<div class="grid">${factsTable}${r2Figure}</div>` : factsTable);
  for (const note of h.notes) parts.push(`<p class="note">${esc(note)}</p>`);
  if (h.normaliser.length > 0) {
    const rows = h.normaliser.map((r) => [
      esc(c.label(r.feature)) + (c.label(r.feature) !== r.feature ? ` <span class="muted">${esc(r.feature)}</span>` : ''),
      esc(r.transform ?? ''),
      esc(r.abnormal ?? ''),
      esc(fmt(r.r2, 3)),
      esc(fmt(r.sd, 4)) + (h.labels[r.feature]?.unit ? ` <span class="muted">${esc(h.labels[r.feature]!.unit)}</span>` : ''),
      esc(fmt(r.nControls, 0)),
      esc(r.coefficients.map(([k, v]) => `${k}: ${Number(v.toPrecision(4))}`).join('; ')),
    ]);
    parts.push(
      `<details${h.normaliser.length <= 12 ? ' open' : ''}><summary>Normative model per feature (${h.normaliser.length})</summary>` +
        table(
          [
            { label: 'Feature' },
            { label: 'Transform' },
            { label: 'Abnormal' },
            { label: 'R²', numeric: true },
            { label: 'Residual sd', numeric: true },
            { label: 'Controls', numeric: true },
            { label: 'Coefficients' },
          ],
          rows,
          () => false,
          'data wraplast',
        ) +
        '</details>',
    );
  }
  if (h.failures !== null && h.failures.length > 0) {
    const listed = h.failures.slice(0, c.opts.maxFailuresListed);
    parts.push(
      `<h3>Extraction failures (${esc(h.failures.length)})</h3>` +
        table(
          [{ label: 'Reason' }, { label: 'Subjects', numeric: true }],
          h.failureReasons.map(([r, n]) => [esc(r), esc(n)]),
        ) +
        `<details><summary>List${listed.length < h.failures.length ? ` (first ${listed.length})` : ''}</summary>` +
        table(
          [{ label: 'Subject' }, { label: 'Session' }, { label: 'File' }, { label: 'Reason' }],
          listed.map((f) => [esc(f.subject), esc(f.session), esc(f.file), esc(f.reason)]),
        ) +
        '</details>',
    );
  }
  return section('cohort', 'Cohort', 'Who went into the model and how the z-scores were made.', parts.join(''));
}

function subjectsSection(c: Context): string {
  const t = subjectTableData(c.inputs.subjects, c.labels, c.opts);
  const head = t.columns.map((col) => `<th${col.type === 'text' || col.type === 'subtype' ? '' : ' class="num"'} title="${esc(col.key)}">${esc(col.label)}</th>`).join('');
  const options = c.labels.map((l) => `<option value="${l.subtype}">${esc(l.full)}</option>`).join('');
  const body =
    `<div class="tools"><input type="search" id="subject-search" placeholder="Search: subject, subtype, any column…" aria-label="Search the subject table">` +
    `<select id="subject-filter" aria-label="Show subtype"><option value="all">All subjects</option>${options}<option value="stage0">Stage 0 only</option></select>` +
    `<button id="download-all" class="primary" type="button">Download CSV</button><button id="download-shown" type="button">Download shown rows</button>` +
    `<span class="count" id="subject-count"></span></div>` +
    `<div class="tablebox"><table class="data" id="subject-table"><thead><tr>${head}</tr></thead><tbody></tbody></table></div>` +
    `<div class="pager"><button id="page-prev" type="button">‹ Previous</button><button id="page-next" type="button">Next ›</button><span id="page-info"></span></div>` +
    `<script type="application/json" id="subject-data">${jsonForScript(t)}</script>`;
  return section(
    'subjects',
    'Subjects',
    'Every subject\u2019s most likely subtype and stage with their probabilities. Click a column to sort; type to filter (all words must match). Subtypes are numbered from 1 here; <code>ml_subtype</code> in the CSV counts from 0. Stage-0 subjects\u2019 subtypes are greyed out.',
    body,
  );
}

function overview(c: Context, kWhy: string): string {
  const { summary, cohort, labels, fractions, opts, k } = c;
  const staged = summary.patients - summary.stage0;
  const hasControls = summary.controls > 0;
  const who = hasControls ? 'patients' : 'subjects';
  const confident = summary.bands.find((b) => b.threshold === 0.8) ?? summary.bands[summary.bands.length - 1];
  // Controls are counted apart: a control past stage 0 is a false positive, not a subtype member.
  const cards = [
    card(summary.subjects, 'subjects', hasControls ? `${summary.patients} patients, ${summary.controls} controls` : undefined),
    card(k, k === 1 ? 'subtype' : 'subtypes', kWhy),
    card(staged, `${who} past stage 0`, pct(staged, summary.patients)),
    card(summary.stage0, `${who} at stage 0`, 'no event yet'),
    confident ? card(pct(confident.count, staged), 'confidently assigned', `p > ${confident.threshold}: ${confident.count} of ${staged}`) : '',
    hasControls ? card(summary.controlsPastStage0, 'controls past stage 0', `of ${summary.controls} in the table (${pct(summary.controlsPastStage0, summary.controls)})`) : '',
    cohort.controls !== null ? card(cohort.controls, 'controls') : '',
    card(c.model.biomarkers.length, 'biomarkers', `${c.nEvents} events`),
    cohort.failures !== null ? card(cohort.failures.length, 'failed extractions') : '',
  ].join('');
  const chips = labels
    .map((l, j) => {
      const f = fractions[j]!;
      return `<div class="chip"><span class="dot" style="background:${opts.subtypeColours[j % opts.subtypeColours.length]}"></span><span><b>${esc(l.name)}</b>: ${esc(l.led)} · ${esc(pct(f.ml, 1))} <span class="muted">(${esc(pct(f.lo, 1))}–${esc(pct(f.hi, 1))})</span> · ${esc(summary.perSubtype[j]!)} ${who}</span></div>`;
    })
    .join('');
  return `<section id="overview"><h2>Overview</h2><div class="cards">${cards}</div><div class="subtypes">${chips}</div></section>`;
}

/** The parts buildReport makes one after the other (a progress bar's steps; some may be empty). */
export const REPORT_PARTS = ['over time', 'brain view', 'progression', 'sizes', 'model fit', 'cross-validation', 'k-means', 'cohort', 'outcomes', 'subjects'] as const;

/** `onPart(name)`: called as each of REPORT_PARTS is done, in that order. */
export async function buildReport(inputs: ReportInputs, onPart?: (name: (typeof REPORT_PARTS)[number]) => void): Promise<ReportOutput> {
  const part = <T>(name: (typeof REPORT_PARTS)[number], value: T): T => {
    onPart?.(name);
    return value;
  };
  const opts = resolveOptions(inputs.options);
  const a = inputs.subjects.assignment;
  const k = a.subtypes;
  const model = inputs.model;
  const view = modelView(model);
  const fit = checkInputs(inputs, view, k);
  const isControl = controlMask(inputs.subjects.carried, a.subjects.length);
  const cohort = cohortSummary(inputs.subjects, model.biomarkers, inputs.normaliser, inputs.features, inputs.failures);
  const label = (name: string): string => cohort.labels[name]?.label ?? name;
  const c: Context = {
    inputs,
    opts,
    model,
    view,
    fit,
    k,
    nEvents: model.events.length,
    labels: subtypeLabels(fit.sequences.map((seq) => seq.map(([b, z]): [string, number] => [label(b), z]))),
    fractions: fractionSummaries(fit, opts.interval),
    summary: assignmentSummary(a, opts.confidenceBands, isControl),
    isControl,
    cohort,
    label,
    figures: {},
  };
  const cv = inputs.cv;
  // CV's agreement is worth saying even when K was given explicitly (as `run` does with CV's choice).
  let kWhy =
    cv !== undefined && cv.recommendedSubtypes === k
      ? 'recommended by CV'
      : inputs.subtypes !== undefined
        ? 'as asked'
        : k === model.fits.length
          ? 'largest fitted'
          : 'as in the subject table';
  let notice = convergenceBanner(fit);
  if (cv !== undefined && cv.recommendedSubtypes !== k) {
    kWhy = `CV recommends ${cv.recommendedSubtypes}`;
    notice += `<p class="note">Cross-validation recommends <b>${esc(cv.recommendedSubtypes)}</b> subtype(s), but this report shows <b>${esc(k)}</b> because the subject table was assigned with ${esc(k)}. For the recommended model run <code>ms-subtype assign --subtypes ${esc(cv.recommendedSubtypes)}</code> and report again.</p>`;
  }
  const timeColumn = typeof model.settings['time'] === 'string' ? model.settings['time'] : undefined;
  const overTime = part(
    'over time',
    timeColumn === undefined
      ? null
      : await longitudinalSection({ assignment: a, carried: inputs.subjects.carried ?? {}, timeColumn, labels: c.labels, colours: opts.subtypeColours, nEvents: c.nEvents }, c.figures),
  );
  const above = inputs.subjects.zAboveZmax;
  const aboveText = above ? exceedanceMessage(above) : null;
  if (aboveText !== null) notice += `<p class="note"><b>z-scores above zmax.</b> ${esc(aboveText.charAt(0).toUpperCase() + aboveText.slice(1))}.</p>`;
  const brain = part('brain view', brainSection(inputs, model, fit, c.labels, opts, c.figures));
  // The brain view first when asked for: it is the picture readers look for.
  const sections = [
    brain?.html ?? '',
    part('progression', await positionalSection(c)),
    part('sizes', await sizesSection(c)),
    part('model fit', await fitSection(c)),
    ...(overTime !== null ? [overTime] : []),
    part('cross-validation', await cvSection(c)),
    part('k-means', await kmeansSection(c)),
    part('cohort', await cohortSection(c)),
    part(
      'outcomes',
      inputs.outcomes ? await outcomesSection(inputs.outcomes, k, { labels: c.labels.map((l) => l.full), short: c.labels.map((l) => l.short), colours: opts.subtypeColours }, c.figures) : '',
    ),
    part('subjects', subjectsSection(c)),
  ];
  const title = inputs.title ?? 'Multiple-sclerosis subtypes and stages';
  const nav = [
    ['overview', 'Overview'],
    ...(brain ? [['brain', 'Brain view']] : []),
    ['progression', 'Progression'],
    ['sizes', 'Sizes & stages'],
    ['confidence', 'Confidence'],
    ['fit', 'Model fit'],
    ...(overTime !== null ? [['longitudinal', 'Over time']] : []),
    ...(cv ? [['cv', 'How many subtypes?']] : []),
    ...(inputs.kmeans ? [['kmeans', 'k-means']] : []),
    ['cohort', 'Cohort'],
    ...(inputs.outcomes ? [['outcomes', 'Clinical outcomes']] : []),
    ['subjects', 'Subjects'],
  ]
    .map(([id, label]) => `<a href="#${id}">${esc(label!)}</a>`)
    .join('');
  const settings = model.settings as Record<string, unknown>;
  const sources = Object.entries(inputs.sources ?? {})
    .map(([k2, v]) => `${esc(k2)}: <code>${esc(v)}</code>`)
    .join(' · ');
  const html =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="generator" content="ms-subtype ${esc(toolVersion())}"><title>${esc(title)}</title><style>${PAGE_CSS}</style></head><body>` +
    `<header class="top"><div class="wrap"><h1>${esc(title)}</h1><p>SuStaIn ${esc(view.title)} model · ${esc(k)} subtype(s) · ${esc(a.subjects.length)} subjects · ${esc(model.biomarkers.length)} biomarkers</p></div></header>` +
    `<nav class="toc"><div class="wrap">${nav}</div></nav>` +
    `<main class="wrap">${notice}${overview(c, kWhy)}${sections.join('')}</main>` +
    `<footer class="wrap">Made by ms-subtype ${esc(toolVersion())} from a model fitted with seed ${esc(String(settings['seed']))} (tool ${esc(model.toolVersion)}).${sources ? ` Inputs: ${sources}.` : ''} This page works offline; the figures are also in <code>figures/</code> as SVG.</footer>` +
    `<script>${TABLE_SCRIPT}</script></body></html>\n`;
  const out: ReportOutput = { html, figures: c.figures };
  if (brain) out.brainView = { columns: brain.view.columns, rows: brain.view.rows, stages: brain.view.stages, slices: brain.view.slices };
  return out;
}
