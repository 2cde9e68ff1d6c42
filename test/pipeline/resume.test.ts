import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSteps, type Step } from '../../src/pipeline/runner.js';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/pipeline/config.js';
import { readState, hashValue, STATE_FILE } from '../../src/pipeline/state.js';

/**
 * Three toy steps with the pipeline's shape: a -> b -> c, each writing one file from the previous
 * one; b's result depends on a setting (fit.mcmc) and can be made to ignore it (fit.startpoints = 1),
 * so we can check that an unchanged output lets the steps below it skip.
 */
function toySteps(calls: string[]): Step[] {
  const step = (name: string, input: string | null, output: string, f: (text: string, cfg: RunConfig) => string, settings: (cfg: RunConfig) => unknown): Step => ({
    name,
    enabled: () => true,
    outputs: () => [output],
    dependsOn: (ctx) => ({ settings: settings(ctx.cfg), files: input === null ? [] : [join(ctx.out, input)] }),
    async run(ctx) {
      calls.push(name);
      const text = input === null ? '' : readFileSync(join(ctx.out, input), 'utf8');
      writeFileSync(join(ctx.out, output), f(text, ctx.cfg));
      return `${name} done`;
    },
  });
  return [
    step(
      'a',
      null,
      'a.txt',
      (_t, cfg) => `seed ${cfg.seed}`,
      (cfg) => cfg.seed,
    ),
    step(
      'b',
      'a.txt',
      'b.txt',
      (t, cfg) => `${t} / mcmc ${cfg.fit.startpoints === 1 ? 'any' : cfg.fit.mcmc}`,
      (cfg) => [cfg.fit.mcmc, cfg.fit.startpoints],
    ),
    step(
      'c',
      'b.txt',
      'c.txt',
      (t) => `${t} / c`,
      () => null,
    ),
  ];
}

describe('resuming a run', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'resume-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  const run = async (cfg: RunConfig, calls: string[], extra: { force?: boolean; from?: string } = {}) => {
    const outcomes = await runSteps(cfg, toySteps(calls), { out, jobs: 1, quiet: true, ...extra });
    return outcomes.map((o) => o.status);
  };

  it('skips every step on a second identical run', async () => {
    const calls: string[] = [];
    expect(await run(DEFAULT_CONFIG, calls)).toEqual(['ran', 'ran', 'ran']);
    expect(await run(DEFAULT_CONFIG, calls)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(readFileSync(join(out, 'c.txt'), 'utf8')).toBe('seed 1 / mcmc 100000 / c');
    const state = readState(out);
    expect(Object.keys(state.steps)).toEqual(['a', 'b', 'c']);
  });

  it('a changed setting reruns its step and the steps downstream, not the ones above', async () => {
    const calls: string[] = [];
    await run(DEFAULT_CONFIG, calls);
    calls.length = 0;
    const changed = { ...DEFAULT_CONFIG, fit: { ...DEFAULT_CONFIG.fit, mcmc: 500 } };
    expect(await run(changed, calls)).toEqual(['skipped', 'ran', 'ran']);
    expect(calls).toEqual(['b', 'c']);
    expect(readFileSync(join(out, 'c.txt'), 'utf8')).toBe('seed 1 / mcmc 500 / c');
  });

  it('a step whose rerun gives the same bytes lets the steps below it skip', async () => {
    const calls: string[] = [];
    const base = { ...DEFAULT_CONFIG, fit: { ...DEFAULT_CONFIG.fit, startpoints: 1 } };
    await run(base, calls);
    calls.length = 0;
    expect(await run({ ...base, fit: { ...base.fit, mcmc: 7 } }, calls)).toEqual(['skipped', 'ran', 'skipped']);
    expect(calls).toEqual(['b']);
  });

  it('reruns a step whose output was deleted or edited, and everything with --force or from --from', async () => {
    const calls: string[] = [];
    await run(DEFAULT_CONFIG, calls);
    calls.length = 0;
    rmSync(join(out, 'b.txt'));
    expect(await run(DEFAULT_CONFIG, calls)).toEqual(['skipped', 'ran', 'skipped']);
    writeFileSync(join(out, 'c.txt'), 'edited by hand');
    expect(await run(DEFAULT_CONFIG, calls)).toEqual(['skipped', 'skipped', 'ran']);
    expect(readFileSync(join(out, 'c.txt'), 'utf8')).toBe('seed 1 / mcmc 100000 / c');
    expect(await run(DEFAULT_CONFIG, calls, { force: true })).toEqual(['ran', 'ran', 'ran']);
    expect(await run(DEFAULT_CONFIG, calls, { from: 'b' })).toEqual(['skipped', 'ran', 'ran']);
  });

  it('an interrupted step is not recorded as done; a corrupt state file means a fresh run', async () => {
    const calls: string[] = [];
    const steps = toySteps(calls);
    steps[1] = {
      ...steps[1]!,
      run: async () => {
        throw new Error('interrupted');
      },
    };
    await expect(runSteps(DEFAULT_CONFIG, steps, { out, jobs: 1, quiet: true })).rejects.toThrow('interrupted');
    expect(Object.keys(readState(out).steps)).toEqual(['a']);
    expect(await run(DEFAULT_CONFIG, calls)).toEqual(['skipped', 'ran', 'ran']);
    writeFileSync(join(out, STATE_FILE), '{ not json');
    expect(await run(DEFAULT_CONFIG, calls)).toEqual(['ran', 'ran', 'ran']);
    expect(existsSync(join(out, STATE_FILE))).toBe(true);
  });

  it('hashes settings independently of key order', () => {
    expect(hashValue({ a: 1, b: { c: 2, d: 3 } })).toBe(hashValue({ b: { d: 3, c: 2 }, a: 1 }));
    expect(hashValue({ a: 1 })).not.toBe(hashValue({ a: 2 }));
  });
});
