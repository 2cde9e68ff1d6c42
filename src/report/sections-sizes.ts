/** The report's sections on subtype sizes, stages, assignment confidence and model fit. */
import type { Context } from './context.js';
import { esc, figure, fmt, pct, section, table } from './html.js';
import { renderSvg } from './render.js';
import { confidenceSpec, fractionsSpec, stagesSpec } from './specs.js';
import { stageCounts } from './stats.js';
import { fitFigureSpecs } from './fit-check.js';

export async function sizesSection(c: Context): Promise<string> {
  const { opts, labels, fractions, k, summary } = c;
  const a = c.inputs.subjects.assignment;
  const intervalPct = Math.round(opts.interval * 100);
  const hasControls = summary.controls > 0;
  const who = hasControls ? 'patients' : 'subjects';
  const counts = stageCounts(
    a,
    c.nEvents,
    c.isControl.map((x) => !x),
  );
  const controlStages = hasControls ? stageCounts(a, c.nEvents, c.isControl).reduce((t, row) => t.map((x, s) => x + row[s]!)) : undefined;
  c.figures['subtype-fractions.svg'] = await renderSvg(fractionsSpec(fractions, labels, opts.subtypeColours, intervalPct));
  c.figures['stages.svg'] = await renderSvg(stagesSpec(counts, labels, opts.subtypeColours, c.nEvents, controlStages));
  const points: { p: number; subtype: number }[] = [];
  for (let i = 0; i < a.subjects.length; i++) if (a.mlStage[i] !== 0 && !c.isControl[i]) points.push({ p: a.probMlSubtype[i]!, subtype: a.mlSubtype[i]! });
  c.figures['assignment-confidence.svg'] = await renderSvg(confidenceSpec(points, labels, opts.subtypeColours, opts.confidenceBands, k));
  const staged = summary.patients - summary.stage0;
  const perSubtype = table(
    [
      { label: 'Subtype' },
      { label: `Size (${intervalPct}% interval)`, numeric: true },
      { label: hasControls ? 'Patients' : 'Subjects', numeric: true },
      { label: 'Median stage', numeric: true },
      ...(hasControls ? [{ label: 'Controls past stage 0', numeric: true }] : []),
    ],
    labels.map((l, j) => {
      const f = fractions[j]!;
      return [
        `<span class="dot" style="background:${opts.subtypeColours[j % opts.subtypeColours.length]};margin-right:6px;vertical-align:-2px"></span>${esc(l.full)}`,
        `${esc(pct(f.ml, 1, 1))} <span class="muted">(${esc(pct(f.lo, 1, 1))}–${esc(pct(f.hi, 1, 1))})</span>`,
        esc(summary.perSubtype[j]!),
        esc(medianStage(counts[j]!)),
        ...(hasControls ? [esc(summary.controlsPerSubtype[j]!)] : []),
      ];
    }),
    () => false,
    'data wrap1',
  );
  const controlsLine = hasControls
    ? ` The ${esc(summary.controls)} healthy control(s) in the subject table are counted apart: ${esc(summary.controlsPastStage0)} (${esc(pct(summary.controlsPastStage0, summary.controls))}) are past stage 0, healthy people the model calls abnormal (the grey panel of the stage figure); fewer is better.`
    : '';
  const stage0Line = `<p class="muted" style="font-size:13px">${esc(summary.stage0)} ${who} at stage 0 (no abnormal event yet) are not counted in any subtype: their subtype carries no information.${controlsLine}</p>`;
  const bandRows = summary.bands.map((b) => [`&gt; ${esc((100 * b.threshold).toFixed(0))}%`, esc(b.count), esc(pct(b.count, staged))]);
  const bandTable = table([{ label: 'P(assigned subtype)' }, { label: 'Subjects', numeric: true }, { label: 'Share', numeric: true }], bandRows);
  return (
    section(
      'sizes',
      'Subtype sizes and stages',
      'How many subjects follow each subtype, and how far along they are.',
      `<div class="grid">${figure('subtype-fractions.svg', c.figures['subtype-fractions.svg'], `bars are each subtype\u2019s share of subjects in the best (maximum-likelihood) model; black lines span the central ${intervalPct}% of the posterior. Short lines = well-determined sizes.`)}` +
        `<div>${perSubtype}${stage0Line}</div></div>` +
        `<div style="margin-top:16px">${figure('stages.svg', c.figures['stages.svg'], `each panel counts one subtype\u2019s ${who} by their most likely stage. Many at late stages mean the cohort is advanced; a pile-up at stage 1\u20132 means mostly early disease.${hasControls ? ' The grey panel shows the healthy controls past stage 0: they should be few and early.' : ''}`)}</div>`,
    ) +
    section(
      'confidence',
      'How confidently is each subject assigned?',
      `Of the ${esc(staged)} ${who} past stage 0, ${esc(summary.bands.map((b) => `${b.count} (${pct(b.count, staged)}) have a probability above ${(100 * b.threshold).toFixed(0)}%`).join(', '))} for their assigned subtype.`,
      `<div class="grid">${figure('assignment-confidence.svg', c.figures['assignment-confidence.svg'], k > 1 ? `each subject\u2019s probability of its assigned subtype. ${(100 / k).toFixed(0)}% means no information (${k} subtypes); bars near 100% mean a clear subtype.` : 'with one subtype every subject is certain.')}` +
        `<div>${bandTable}<p class="muted" style="font-size:13px">Median probability of the assigned subtype: ${esc(fmt(summary.medianProbability, 2))}. Early-stage subjects are usually the uncertain ones: few events have happened to tell the subtypes apart.</p></div></div>`,
    )
  );
}

/** Median stage from counts per stage, stage 0 excluded ("" when no subject is past stage 0). */
function medianStage(countsByStage: number[]): string {
  const total = countsByStage.slice(1).reduce((s, x) => s + x, 0);
  if (total === 0) return '';
  let seen = 0;
  for (let st = 1; st < countsByStage.length; st++) {
    seen += countsByStage[st]!;
    if (seen >= total / 2) return String(st);
  }
  return '';
}

export async function fitSection(c: Context): Promise<string> {
  const { specs, unmatched } = fitFigureSpecs({
    model: c.model,
    k: c.k,
    a: c.inputs.subjects.assignment,
    carried: c.inputs.subjects.carried,
    isControl: c.isControl,
    z: c.inputs.zData,
    label: c.label,
    subtypeTitles: c.labels.map((l) => l.full),
    colours: c.opts.subtypeColours,
  });
  const figs: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    c.figures[name] = await renderSvg(spec);
    figs.push(
      figure(
        name,
        c.figures[name],
        name === 'stage-certainty.svg'
          ? 'each box spans the middle half of the patients at that stage, whiskers the rest. High boxes = stages well determined; low ones = the data hardly tell neighbouring stages apart.'
          : 'the line is the z-score the model expects of each biomarker at each stage; the dots are this subtype’s patients at their most likely stage. Dots scattered about the line (noise sd 1) mean the model fits; dots far off it, or a trend it misses, mean it does not.',
      ),
    );
  }
  const missing =
    c.model.method !== 'sustain-zscore'
      ? '<p class="muted" style="font-size:13px">The data under the model is drawn for z-score models.</p>'
      : c.inputs.zData === undefined
        ? '<p class="muted" style="font-size:13px">Give the z-scores (<code>--data z.csv</code>) to see the data under the model.</p>'
        : unmatched > 0
          ? `<p class="note">${esc(unmatched)} subject(s) of the subject table are not in the z-score table and are not drawn.</p>`
          : '';
  const certainty = figs.shift()!;
  return section(
    'fit',
    'Does the model fit?',
    'The data under the model, subtype by subtype, and how certain each patient’s stage is.',
    `${missing}${figs.join('')}<div style="margin-top:16px">${certainty}</div>`,
  );
}
