import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { QUIET_HELP } from '../../src/cli/options.js';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';
import { projectRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

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

  it('the examples of every --help use only current flags (no old spellings)', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const c of [program, ...commands]) {
      const text = helpOf(c)
        .split(/\nExamples?:\n/)[1]!
        .replace(/\\\n\s*/g, ' ');
      for (const m of text.matchAll(/ms-subtype\s+([a-z][a-z-]*)([^|;&>#\n]*)/g)) {
        const cmd = commands.find((x) => x.name() === m[1])!;
        const known = new Set(['--help', '-h', ...cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short])]);
        for (const t of m[2]!.split(/\s+/).filter((t) => /^--?[a-z]/i.test(t))) {
          checked++;
          if (!known.has(t)) problems.push(`${c.name()} --help: ms-subtype ${m[1]} ${t}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(problems).toEqual([]);
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
    // a list of columns and a file read differently: --covariates LIST, --covariates-file FILE
    expect([...kinds.get('--features')!]).toEqual(['<list>']);
    expect([...kinds.get('--covariates')!]).toEqual(['<list>']);
    expect([...kinds.get('--covariates-file')!]).toEqual(['<file>']);
    expect([...kinds.get('--features-sidecar')!]).toEqual(['<file>']);
    expect([...kinds.get('--feature-defs')!]).toEqual(['<file>']);
    expect([...kinds.get('--bids')!]).toEqual(['<dir>']);
    expect([...kinds.get('--format')!]).toEqual(['<kind>']);
    // --out is the output, a file or a folder by command: the one name allowed two kinds of value
    const twoMeanings = [...kinds].filter(([, v]) => v.size > 1).map(([k]) => k);
    expect(twoMeanings).toEqual(['--out']);
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

/** The options a command's action would get (the action replaced), and what went to stderr; or the error. */
async function parsedOptions(args: string[]): Promise<{ opts: Record<string, unknown>; stderr: string } | Error> {
  const p = await buildProgram(args[0]);
  let opts: Record<string, unknown> = {};
  p.commands
    .find((c) => c.name() === args[0])!
    .action((...a: unknown[]) => {
      opts = (a[a.length - 1] as Command).opts();
    });
  let stderr = '';
  const ew = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  try {
    await p.parseAsync(['node', 'ms-subtype', ...args]);
    return { opts, stderr };
  } catch (e) {
    return e as Error;
  } finally {
    process.stderr.write = ew;
  }
}

describe('flags renamed so that one name means one thing', () => {
  /** command, its other arguments, the old spelling, the new one, and a new one that disagrees */
  const renamed: [string, string[], string[], string[], string[]][] = [
    ['extract', ['in.csv', '-o', 'f.csv'], ['--features', 'defs.json'], ['--feature-defs', 'defs.json'], ['--feature-defs', 'other.json']],
    ['extract', ['in.csv', '-o', 'f.csv'], ['--covariates', 'cov.csv'], ['--covariates-file', 'cov.csv'], ['--covariates-file', 'other.csv']],
    ['merge', ['m.csv', 'part.csv'], ['--manifest', 'cohort.csv'], ['--cohort', 'cohort.csv'], ['--cohort', 'other.csv']],
    ['report', ['--model', 'm.json', '--subjects', 's.csv', '-o', 'r'], ['--features', 'f.csv.json'], ['--features-sidecar', 'f.csv.json'], ['--features-sidecar', 'o.json']],
    ['simulate', ['-o', 'sim'], ['--interval', '2'], ['--visit-interval', '2'], ['--visit-interval', '3']],
    ['demo-data', ['-o', 'demo'], ['--bids'], ['--format', 'bids'], ['--format', 'manifest']],
    // a list of values, as the run config's normalise.controlValues
    ['normalise', ['--data', 'f.csv', '-o', 'z.csv'], ['--control-value', 'HC,ctrl'], ['--control-values', 'HC,ctrl'], ['--control-values', 'HC']],
    ['fit', ['--kind', 'mixture', '--data', 'raw.csv', '-o', 'fit'], ['--control-value', 'control'], ['--control-values', 'control'], ['--control-values', 'HC']],
    ['cv', ['--kind', 'mixture', '--data', 'raw.csv', '-o', 'cv'], ['--control-value', 'HC'], ['--control-values', 'HC'], ['--control-values', 'HC,ctrl']],
  ];

  it.each(renamed)('%s: the old spelling is parsed as the new one, with a note (none with --quiet); both disagreeing is an error naming them', async (cmd, rest, old, now, other) => {
    const viaNew = await parsedOptions([cmd, ...rest, ...now]);
    const viaOld = await parsedOptions([cmd, ...rest, ...old]);
    if (viaNew instanceof Error || viaOld instanceof Error) throw viaNew instanceof Error ? viaNew : viaOld;
    expect(viaNew.stderr).toBe('');
    expect(viaOld.opts).toEqual(viaNew.opts);
    // an old switch stands for the new flag with one value (demo-data --bids: --format bids)
    const name = old.length === 1 ? now.join(' ') : now[0]!;
    expect(viaOld.stderr).toBe(`note: ${cmd} ${old[0]} is the old spelling of ${name}; it still works, but use ${name}\n`);
    const quiet = await parsedOptions([cmd, ...rest, ...old, '-q']);
    expect(quiet instanceof Error ? quiet.message : quiet.stderr).toBe('');
    // the same value twice is no conflict; two different ones are
    expect(await parsedOptions([cmd, ...rest, ...old, ...now])).not.toBeInstanceOf(Error);
    // either order
    for (const both of [await parsedOptions([cmd, ...rest, ...old, ...other]), await parsedOptions([cmd, ...rest, ...other, ...old])]) {
      expect(both).toBeInstanceOf(Error);
      expect((both as Error).message).toBe(`field ${now[0]!.slice(2)}: ${old[0]} is the old name of ${name}: give one of them`);
    }
    // hidden from --help's option list, the new one shown
    const options = (await runCli([cmd, '--help'])).stdout.split('Options:\n')[1]!.split('\n\n')[0]!;
    expect(options).toContain(`${now[0]} `);
    expect(options).not.toContain(`${old[0]} `);
  });

  const tmp = tempDir('ms-renamed-');

  it('run end to end with the old spellings: the same files', async () => {
    const p = (f: string) => join(tmp, f);
    // simulate --interval: the longitudinal cohort's visit times
    for (const [dir, flag] of [
      ['new', '--visit-interval'],
      ['old', '--interval'],
    ] as const) {
      const r = await runCli(['simulate', '--n-subjects', '12', '--visits', '2', flag, '2.5', '--seed', '5', '-o', p(`sim-${dir}`), '-q']);
      expect(r.code, r.stderr).toBe(0);
    }
    const z = readFileSync(p('sim-new/z.csv'), 'utf8');
    expect(readFileSync(p('sim-old/z.csv'), 'utf8')).toBe(z);
    expect(z.split('\n')[2]).toMatch(/^s\w+,ses-2,2\.5,/);
    // extract --features, --covariates and merge --manifest on an asegstats2table table
    const aseg = 'Measure:volume\tLeft-Thalamus\tBrain-Stem\tCortexVol\tEstimatedTotalIntraCranialVol\nsub-01\t7600\t21000\t482000\t1550000\nsub-02\t7000\t20500\t461000\t1490000\n';
    writeFileSync(p('aseg.tsv'), aseg);
    writeFileSync(p('cov.csv'), 'subject_id,group,age\nsub-01,HC,30\nsub-02,MS,41\n');
    const defs = join(projectRoot, 'data', 'features', 'aseg-ms.json');
    const n = await runCli(['extract', p('aseg.tsv'), '--feature-defs', defs, '--covariates-file', p('cov.csv'), '-o', p('f-new.csv'), '-q']);
    const o = await runCli(['extract', p('aseg.tsv'), '--features', defs, '--covariates', p('cov.csv'), '-o', p('f-old.csv'), '-q']);
    expect([n.code, o.code]).toEqual([0, 0]);
    expect(readFileSync(p('f-old.csv'), 'utf8')).toBe(readFileSync(p('f-new.csv'), 'utf8'));
    expect(readFileSync(p('f-new.csv'), 'utf8').split('\n')[2]).toMatch(/^sub-02,,MS,41,/);
    const m = await runCli(['merge', p('m.csv'), p('f-new.csv'), '--manifest', p('aseg.tsv')]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toContain('note: merge --manifest is the old spelling of --cohort');
    expect(readFileSync(p('m.csv'), 'utf8')).toBe(readFileSync(p('f-new.csv'), 'utf8'));
  });

  it('run: old setting names in a config file or --set work, with a note unless --quiet', async () => {
    const cfg = join(tmp, 'old.json');
    writeFileSync(cfg, JSON.stringify({ input: { covariates: 'cov.csv' }, extract: { features: 'defs.json' } }));
    // no input given: the run stops after reading the settings
    const r = await runCli(['run', '--config', cfg, '--set', 'input.covariates=x.csv', '--out', join(tmp, 'run')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n').slice(0, 3)).toEqual([
      `note: ${cfg}: input.covariates is the old spelling of input.covariatesFile; it still works, but use input.covariatesFile`,
      `note: ${cfg}: extract.features is the old spelling of extract.featureDefs; it still works, but use extract.featureDefs`,
      'note: --set input.covariates is the old spelling of input.covariatesFile; it still works, but use input.covariatesFile',
    ]);
    expect(r.stderr).toMatch(/no input: give --manifest, --bids or --table/);
    const q = await runCli(['run', '--config', cfg, '--out', join(tmp, 'run'), '-q']);
    expect(q.stderr.trim().split('\n')).toHaveLength(1);
    expect(q.stderr).not.toContain('note:');
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
