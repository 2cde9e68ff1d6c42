import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { QUIET_HELP } from '../../src/cli/options.js';

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
      expect(byName(n).options.some((o) => o.long === '--tune'), n).toBe(true);
      expect(helpOf(byName(n))).not.toContain('--mcmc-tune');
      expect(byName(n).options.some((o) => o.long === '--samples'), n).toBe(true);
    }
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
