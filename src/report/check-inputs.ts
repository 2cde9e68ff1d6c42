/**
 * What the report refuses before drawing anything: a K the subject table or the model lacks,
 * subjects outside the model's subtypes and stages, posterior samples that are not valid sequences
 * (a model built in memory has not been through the model file's checks).
 */
import { UserError } from '../common/errors.js';
import { sequenceProblem } from '../sustain/checks.js';
import { kindForMethod, specOfModel } from '../sustain/kinds.js';
import type { NamedEvent, SustainFit } from '../sustain/types.js';
import type { ModelView } from './model-view.js';
import type { ReportInputs } from './types.js';

/** The fit with `k` subtypes, once the inputs agree with each other. */
export function checkInputs(inputs: ReportInputs, view: ModelView, k: number): SustainFit<NamedEvent> {
  const model = view;
  const a = inputs.subjects.assignment;
  if (inputs.subtypes !== undefined && inputs.subtypes !== k) {
    throw new UserError(
      `the subject table has probabilities for ${k} subtype(s) but the report was asked for ${inputs.subtypes}; assign with --subtypes ${inputs.subtypes} or drop --subtypes`,
      { field: 'subtypes' },
    );
  }
  const fit = model.fits[k - 1];
  if (fit === undefined || fit.subtypes !== k) {
    throw new UserError(`the model has no ${k}-subtype fit (it has 1 to ${model.fits.length})`, { field: 'fits' });
  }
  const n = model.events.length;
  for (let i = 0; i < a.subjects.length; i++) {
    const s = a.mlSubtype[i]!;
    if (s < 0 || s >= k) throw new UserError(`ml_subtype ${s} is outside 0..${k - 1}`, { subject: a.subjects[i], field: 'ml_subtype' });
    const st = a.mlStage[i]!;
    if (st < 0 || st > n) throw new UserError(`ml_stage ${st} is outside 0..${n} (the model has ${n} events)`, { subject: a.subjects[i], field: 'ml_stage' });
  }
  // the model file's own check (sustain/checks.ts)
  const progression = kindForMethod(inputs.model.method)!.create(specOfModel(inputs.model));
  fit.samples.sequences.forEach((sample, si) => {
    for (let j = 0; j < k; j++) {
      const problem = sample[j] === undefined ? `no sequence for subtype ${j}` : sequenceProblem(progression, sample[j]!);
      if (problem !== null) throw new UserError(`sample ${si} of subtype ${j}: ${problem}`, { field: `fits.${k - 1}.samples.sequences.${si}.${j}` });
    }
  });
  return fit;
}
