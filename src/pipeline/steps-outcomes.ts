import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readOutcomes, runOutcomes, type AnalysisSettings } from '../outcomes/index.js';
import { summaryLines } from '../outcomes/summary.js';
import type { RunConfig } from './config.js';
import { LAYOUT } from './layout.js';
import type { Step } from './runner.js';

/** The outcomes step of `run`: the clinical table against the assignments (after assign, before the report). */

const pair = (s: string): [string, string] => s.split(':') as [string, string];

export function outcomesSettings(cfg: RunConfig): AnalysisSettings {
  const o = cfg.outcomes;
  return {
    survival: o.survival.map((s) => ({ time: pair(s)[0], event: pair(s)[1] })),
    counts: o.counts.map((s) => ({ count: pair(s)[0], exposure: pair(s)[1] })),
    scores: o.scores,
    covariates: o.covariates,
    treatment: o.treatment,
    treatmentReference: o.treatmentReference,
    referenceSubtype: o.referenceSubtype,
    draws: o.draws,
    seed: cfg.seed,
  };
}

export const outcomesStep: Step = {
  name: 'outcomes',
  enabled: (ctx) => ctx.cfg.outcomes.clinical !== null,
  outputs: () => [LAYOUT.outcomes],
  dependsOn: (ctx) => ({ settings: outcomesSettings(ctx.cfg), files: [ctx.cfg.outcomes.clinical!, join(ctx.out, LAYOUT.assign)] }),
  async run(ctx) {
    const { result, files } = runOutcomes(join(ctx.out, LAYOUT.assign), ctx.cfg.outcomes.clinical!, join(ctx.out, LAYOUT.outcomesDir), outcomesSettings(ctx.cfg));
    const w = result.warnings.length;
    return `clinical associations of ${result.subjects.matched} subjects: ${result.survival.length} survival and ${result.counts.length} count models, ${files.length - 1} tables${w > 0 ? `; ${w} warning(s) in outcomes.json` : ''}`;
  },
};

/** The lines printed at the end of a run about the outcomes (read back, so a skipped step still shows them). */
export function outcomesLines(out: string): string[] {
  const file = join(out, LAYOUT.outcomes);
  if (!existsSync(file)) return [];
  const r = readOutcomes(file);
  return ['Clinical associations of the subtypes (details in the report and ' + join(out, LAYOUT.outcomesDir) + '):', ...summaryLines(r).map((l) => `  ${l}`)];
}
