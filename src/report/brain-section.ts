/** The report's brain-view section: inputs checked, the view built, the HTML around its figures. */
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import type { SustainFit, SustainModelFile } from '../sustain/types.js';
import type { BrainFeature } from './brain-paint.js';
import { buildBrainView, type BrainViewOutput } from './brain-view.js';
import { esc, figure, section } from './html.js';
import type { ReportInputs, ReportOptions } from './types.js';
import type { SubtypeLabel } from './stats.js';

const sidecarFeatures = z.looseObject({
  features: z.array(
    z.looseObject({
      name: z.string(),
      measure: z.string(),
      labels: z.union([z.array(z.number().int()), z.literal('nonzero')]),
      labelMap: z.string().optional(),
    }),
  ),
});

/** Feature definitions from extract's sidecar (features.csv.json). */
export function brainFeatures(sidecar: unknown): BrainFeature[] {
  if (sidecar === undefined) throw new UserError('the brain view needs the feature definitions: give extract\u2019s sidecar with --features-sidecar', { field: '--features-sidecar' });
  const r = sidecarFeatures.safeParse(sidecar);
  if (!r.success) throw new UserError('the features sidecar has no usable "features" list (name, measure, labels per feature)', { field: 'features' });
  return r.data.features.map((f) => ({ name: f.name, measure: f.measure, labels: f.labels, ...(f.labelMap !== undefined ? { labelMap: f.labelMap } : {}) }));
}

export interface BrainSection {
  html: string;
  view: BrainViewOutput;
}

export function brainSection(
  inputs: ReportInputs,
  model: SustainModelFile,
  fit: SustainFit,
  labels: readonly SubtypeLabel[],
  opts: ReportOptions,
  figures: Record<string, string>,
): BrainSection | null {
  const b = inputs.brain;
  if (b === undefined) return null;
  const view = buildBrainView({
    biomarkers: model.biomarkers,
    events: model.events,
    sequences: fit.sequences,
    samples: fit.samples,
    features: brainFeatures(inputs.features),
    maps: b.maps,
    ...(b.stages !== undefined ? { stages: b.stages } : {}),
    titles: labels.map((l) => l.full),
    thresholdColours: opts.thresholdColours,
  });
  const figs = Object.entries(view.figures).map(([name, svg]) => {
    figures[name] = svg;
    return figure(
      name,
      svg,
      'each column is a stage (the number of events that have happened); its three slices are axial, coronal and sagittal (left on the left, anterior / superior up). ' +
        'A region is white while its feature is normal, tinted towards a threshold\u2019s colour by the posterior probability that it has reached that threshold by this stage (the darker, the surer); grey tissue is in no modelled feature.',
    );
  });
  const samples = fit.samples.sequences.length;
  const lead =
    `Each subtype\u2019s sequence drawn on <code>${esc(b.source)}</code>: for stages ${esc(view.stages.join(', '))} of ${esc(model.events.length)}, ` +
    `every feature\u2019s region coloured by the share of the ${samples > 0 ? `${esc(samples)} kept posterior samples` : 'maximum-likelihood sequence (no samples kept)'} in which it has passed each threshold by then. ` +
    `Slices: axial ${esc(view.slices.axial)}, coronal ${esc(view.slices.coronal)}, sagittal ${esc(view.slices.sagittal)} (chosen to show the most features). ` +
    `The numbers are in <code>brain-view.csv</code> beside this page, for other renderers.` +
    (view.unpainted.length > 0 ? ` Not drawn (no region in the feature definitions): ${esc(view.unpainted.join(', '))}.` : '');
  return { html: section('brain', 'Progression on the brain', lead, `<div class="brain-grid">${figs.join('')}</div>`), view };
}
