import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { toolVersion } from '../common/version.js';
import { sha256File } from '../io/hash.js';
import type { RunConfig } from './config.js';
import { hashValue, isUpToDate, readState, recordStep, writeState } from './state.js';

/**
 * The step machinery of `ms-subtype run`: each step says what it depends on (settings, input
 * files, other facts) and what it writes; the runner skips a step whose dependencies hash to the
 * recorded key and whose outputs are intact, and runs it otherwise. The steps themselves live in
 * steps.ts; this file knows nothing about extraction or models.
 */
export interface StepContext {
  cfg: RunConfig;
  /** absolute output folder */
  out: string;
  jobs: number;
  quiet: boolean;
  /** a line for the user (stdout); silenced by --quiet */
  log: (line: string) => void;
}

export interface StepDependencies {
  /** the settings that change this step's result */
  settings: unknown;
  /** files whose content the result depends on (hashed by sha256) */
  files: string[];
  /** anything else (e.g. sizes and times of many scans, cheaper than hashing them) */
  extra?: unknown;
}

export interface Step {
  name: string;
  enabled(ctx: StepContext): boolean;
  /** outputs relative to OUT, all required for the step to count as done */
  outputs(ctx: StepContext): string[];
  dependsOn(ctx: StepContext): StepDependencies;
  /** do the work; returns a one-line summary */
  run(ctx: StepContext): Promise<string>;
}

export interface StepOutcome {
  name: string;
  status: 'ran' | 'skipped' | 'disabled';
  summary: string;
  seconds: number;
}

export interface RunnerOptions {
  out: string;
  jobs: number;
  quiet: boolean;
  /** rerun every step (ignore the state file) */
  force?: boolean;
  /** rerun this step and everything after it */
  from?: string;
  log?: (line: string) => void;
}

export async function runSteps(cfg: RunConfig, steps: readonly Step[], opts: RunnerOptions): Promise<StepOutcome[]> {
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const log = opts.quiet ? () => {} : (opts.log ?? ((l: string) => process.stdout.write(l + '\n')));
  const ctx: StepContext = { cfg, out, jobs: opts.jobs, quiet: opts.quiet, log };
  const state = readState(out);
  const outcomes: StepOutcome[] = [];
  const enabled = steps.filter((s) => s.enabled(ctx));
  // --from a step that is off in the config starts at the next step that is on.
  const fromPos = opts.from !== undefined ? steps.findIndex((s) => s.name === opts.from) : -1;
  const firstForced = fromPos < 0 ? -1 : enabled.findIndex((s) => steps.indexOf(s) >= fromPos);
  const forceFrom = opts.force ? 0 : firstForced >= 0 ? firstForced : Infinity;
  let n = 0;
  for (const step of steps) {
    if (!step.enabled(ctx)) {
      outcomes.push({ name: step.name, status: 'disabled', summary: 'disabled in the config', seconds: 0 });
      continue;
    }
    const index = n++;
    const label = `[${index + 1}/${enabled.length}] ${step.name.padEnd(9)}`;
    const t0 = performance.now();
    const key = stepKey(step.name, step.dependsOn(ctx));
    const outputs = step.outputs(ctx);
    if (index < forceFrom && isUpToDate(out, state.steps[step.name], key, outputs)) {
      outcomes.push({ name: step.name, status: 'skipped', summary: 'up to date', seconds: 0 });
      log(`${label} up to date, skipped`);
      continue;
    }
    // A step that runs invalidates its record first, so an interrupted run never looks finished.
    delete state.steps[step.name];
    writeState(out, state);
    const summary = await step.run(ctx);
    state.steps[step.name] = recordStep(out, key, outputs);
    writeState(out, state);
    const seconds = (performance.now() - t0) / 1000;
    outcomes.push({ name: step.name, status: 'ran', summary, seconds });
    log(`${label} ${summary} (${seconds.toFixed(1)} s)`);
  }
  return outcomes;
}

export function stepKey(name: string, dep: StepDependencies): string {
  return hashValue({
    step: name,
    toolVersion: toolVersion(),
    settings: dep.settings ?? null,
    files: dep.files.map((f) => sha256File(f)),
    extra: dep.extra ?? null,
  });
}
