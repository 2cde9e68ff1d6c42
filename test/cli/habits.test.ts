import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { QUIET_HELP } from '../../src/cli/options.js';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';

/** The full --help text of a command (commander prints the addHelpText parts only when outputting). */
function helpOf(c: Command): string {
  let text = '';
  c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  c.outputHelp();
  return text;
}

const program = await buildProgram();

describe('every command has the same habits', () => {
  const commands = program.commands;

  it('-q/--quiet with one meaning, -j for --jobs, -o for --out', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const c of commands) {
      const quiet = c.options.find((o) => o.long === '--quiet');
      expect(quiet, c.name()).toBeDefined();
      expect(quiet!.short, c.name()).toBe('-q');
      expect(quiet!.description.startsWith(QUIET_HELP), c.name()).toBe(true);
      const jobs = c.options.find((o) => o.long === '--jobs');
      if (jobs) expect(jobs.short, c.name()).toBe('-j');
      const out = c.options.find((o) => o.long === '--out');
      if (out) expect(out.short, c.name()).toBe('-o');
    }
  });

  it('one help layout: an "Example:" or "Examples:" heading on every command and on the top level', () => {
    for (const c of [program, ...commands]) {
      expect(helpOf(c), c.name()).toMatch(/\nExamples?:\n {2}ms-subtype /);
    }
  });

  it('one name per idea: MCMC tuning is --tune on fit and cv (the old cv --mcmc-tune hidden)', () => {
    const byName = (n: string) => commands.find((c) => c.name() === n)!;
    for (const n of ['fit', 'cv']) {
      expect(
        byName(n).options.some((o) => o.long === '--tune'),
        n,
      ).toBe(true);
      expect(helpOf(byName(n))).not.toContain('--mcmc-tune');
      expect(
        byName(n).options.some((o) => o.long === '--samples'),
        n,
      ).toBe(true);
    }
  });

  it('one name per idea: a flag takes the same kind of value on every command (--model a file, --kind a kind)', () => {
    /** the value a visible flag takes, per flag: "<file>@report", ... */
    const kinds = new Map<string, Set<string>>();
    for (const c of commands) {
      for (const o of c.options) {
        if (o.hidden) continue;
        const arg = /<[^>]+>/.exec(o.flags)?.[0] ?? '(switch)';
        kinds.set(o.long!, new Set([...(kinds.get(o.long!) ?? []), arg]));
      }
    }
    expect([...kinds.get('--model')!]).toEqual(['<file>']);
    expect([...kinds.get('--subjects')!]).toEqual(['<file>']);
    expect([...kinds.get('--biomarkers')!]).toEqual(['<list>']);
    expect([...kinds.get('--kind')!]).toEqual(['<kind>']);
    // --out is the output, a file or a folder by command; the others still mean two things (left for
    // now: extract --features FILE vs normalise --features LIST, and so on); no new one may join them
    const twoMeanings = [...kinds].filter(([, v]) => v.size > 1).map(([k]) => k);
    expect(twoMeanings.sort()).toEqual(['--bids', '--covariates', '--features', '--interval', '--manifest', '--out']);
  });
});

describe('old flag spellings', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ms-habits-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('still work, hidden from --help, with a deprecation note unless --quiet; both spellings must agree', async () => {
    const now = await runCli(['simulate', '--n-subjects', '20', '--n-biomarkers', '3', '--seed', '3', '--out', join(tmp, 'new')]);
    expect(now.stderr).toBe('');
    const old = await runCli(['simulate', '--subjects', '20', '--biomarkers', '3', '--seed', '3', '--out', join(tmp, 'old')]);
    expect(old.code).toBe(0);
    expect(old.stderr).toBe(
      'note: simulate --subjects is the old spelling of --n-subjects; it still works, but use --n-subjects\n' +
        'note: simulate --biomarkers is the old spelling of --n-biomarkers; it still works, but use --n-biomarkers\n',
    );
    expect(readFileSync(join(tmp, 'old', 'z.csv'), 'utf8')).toBe(readFileSync(join(tmp, 'new', 'z.csv'), 'utf8'));
    expect(readFileSync(join(tmp, 'old', 'z.csv'), 'utf8').split('\n')[0]).toBe('subject_id,b01,b02,b03');
    const quiet = await runCli(['simulate', '--subjects', '20', '--seed', '3', '--out', join(tmp, 'q'), '--quiet']);
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(0);
    const both = await runCli(['simulate', '--subjects', '20', '--n-subjects', '30', '--out', join(tmp, 'both')]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--subjects is the old name of --n-subjects: give one of them/);
    // the old value is checked as the new one is
    expect((await runCli(['simulate', '--subjects', '0', '--out', join(tmp, 'zero')])).code).not.toBe(0);
    const help = await runCli(['simulate', '--help']);
    expect(help.stdout).toContain('--n-subjects');
    expect(help.stdout).not.toMatch(/--subjects|--biomarkers/);
    // --quiet on the longitudinal simulation too: only the paths
    const visits = await runCli(['simulate', '--n-subjects', '10', '--visits', '2', '--out', join(tmp, 'v'), '-q']);
    expect(visits.stderr).toBe('');
    expect(visits.stdout).toBe(['z.csv', 'truth.csv', 'truth-model.json'].map((f) => join(tmp, 'v', f) + '\n').join(''));
    const fitHelp = await runCli(['fit', '--help']);
    expect(fitHelp.stdout).toContain('--kind <kind>');
    expect(fitHelp.stdout).not.toContain('--model');
  });
});

describe('running the CLI in-process many times', () => {
  it('adds one stdout error listener, not one per call (MaxListenersExceededWarning)', async () => {
    const { main } = await import('../../src/cli/main.js');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      for (let i = 0; i < 15; i++) await main(['node', 'ms-subtype', '--version']);
    } finally {
      process.stdout.write = write;
    }
    expect(process.stdout.listenerCount('error')).toBeLessThanOrEqual(2);
  });
});

describe('loading only the named command', () => {
  it('registers every command when asked for it alone, with fewer commands than the whole tree (so none is missing from the map)', async () => {
    const all = program.commands.map((c) => c.name());
    for (const name of all) {
      const own = (await buildProgram(name)).commands.map((c) => c.name());
      expect(own, name).toContain(name);
      expect(own.length, name).toBeLessThan(all.length);
    }
    // an unknown word loads them all (commander then suggests the nearest)
    expect((await buildProgram('fitt')).commands.length).toBe(all.length);
  });
});
