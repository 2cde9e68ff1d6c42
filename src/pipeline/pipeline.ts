import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { RunConfig } from './config.js';
import { LAYOUT, STEP_NAMES } from './layout.js';
import { runSteps, type Step, type StepOutcome } from './runner.js';
import { extractStep, normaliseStep } from './steps-data.js';
import { assignStep, cvStep, fitStep, kmeansStep, reportStep, truthLines, truthStep } from './steps-model.js';
import { outcomesLines, outcomesStep } from './steps-outcomes.js';

/** `ms-subtype run` as a library call: every step in order, resuming from what OUT already holds. */
export const STEPS: readonly Step[] = [extractStep, normaliseStep, fitStep, cvStep, kmeansStep, assignStep, outcomesStep, reportStep, truthStep];

export interface PipelineOptions {
  out: string;
  jobs: number;
  quiet: boolean;
  force?: boolean;
  from?: string;
  log?: (line: string) => void;
}

export interface PipelineResult {
  out: string;
  steps: StepOutcome[];
  seconds: number;
  /** the report (or, with the report off, the assignments) */
  mainOutput: string;
  /** lines for the end of the output: truth check, then the main output's path last */
  closing: string[];
}

export async function runPipeline(cfg: RunConfig, opts: PipelineOptions): Promise<PipelineResult> {
  if (opts.from !== undefined && !(STEP_NAMES as readonly string[]).includes(opts.from)) {
    throw new UserError(`unknown step "${opts.from}" (steps: ${STEP_NAMES.join(', ')})`, { field: '--from' });
  }
  const t0 = performance.now();
  const out = resolve(opts.out);
  // The settings in effect (defaults filled in, paths absolute), for the record.
  writeJsonAtomic(join(out, LAYOUT.config), cfg);
  const steps = await runSteps(cfg, STEPS, { ...opts, out });
  const seconds = (performance.now() - t0) / 1000;
  const mainOutput = join(out, cfg.report.enabled ? LAYOUT.report : LAYOUT.assign);
  if (!existsSync(mainOutput)) throw new Error(`the run finished without writing ${mainOutput}`);
  const ran = steps.filter((s) => s.status === 'ran').length;
  const skipped = steps.filter((s) => s.status === 'skipped').length;
  const errors = join(out, LAYOUT.featuresErrors);
  const failed = existsSync(errors) ? readFileSync(errors, 'utf8').trim().split('\n').length - 1 : 0;
  const closing = [
    ...truthLines(out),
    ...outcomesLines(out),
    ...(failed > 0 ? [`Note: ${failed} subject(s) could not be measured and are left out; reasons in ${errors}`] : []),
    `Done in ${seconds.toFixed(1)} s (${ran} step(s) run, ${skipped} up to date). Outputs in ${out}`,
    mainOutput,
  ];
  return { out, steps, seconds, mainOutput, closing };
}
