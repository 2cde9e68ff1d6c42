import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { defaultThreads } from '../common/pool.js';

/** Option parsers shared by the subcommands, so every command checks numbers the same way. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, got "${value}"`);
    }
    return v;
  };
}

export function floatOption(min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const v = Number(value);
    if (!Number.isFinite(v) || v < min || v > max) throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got "${value}"`);
    return v;
  };
}

/** "1,2,3" -> [1,2,3] */
export function numberListOption(value: string): number[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out = parts.map(Number);
  if (out.length === 0 || out.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError(`expected comma-separated numbers, got "${value}"`);
  return out;
}

/** "a,b" -> ["a","b"] */
export function listOption(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export const jobsOption = intOption(1, 1024);
export { defaultThreads };

/** `--quiet` means one thing on every command: only errors and the output path(s). */
export const QUIET_FLAGS = '-q, --quiet';
export const QUIET_HELP = 'print only errors and the output path(s): no progress bar, warnings or summary';

/** The end of a command: its summary lines, or with --quiet only the paths it wrote (one a line). */
export function printDone(quiet: boolean | undefined, summary: readonly string[], paths: readonly string[]): void {
  const lines = quiet ? paths : summary;
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
}

/** A deprecation note on stderr (unless --quiet): an old spelling that still works. */
export function oldNameNote(quiet: boolean | undefined, what: string, now: string): void {
  if (!quiet) process.stderr.write(`note: ${what} is the old spelling of ${now}; it still works, but use ${now}\n`);
}

/** An old spelling stands for a new flag ("--n-subjects"), or for one value of it when the old one was a switch (["--format", "bids"]). */
export type OldFlag = string | readonly [now: string, value: string];

/**
 * Old spellings of renamed flags ({"--subjects": "--n-subjects", "--bids": ["--format", "bids"]}):
 * still accepted, hidden from --help, parsed as the new flag, with a deprecation note; giving both
 * with different values is an error. Call after the new flags are defined.
 */
export function oldFlags(cmd: Command, renames: Record<string, OldFlag>): Command {
  const moves: { alias: Option; opt: Option; fixed?: string }[] = [];
  for (const [old, rename] of Object.entries(renames)) {
    const [now, fixed] = typeof rename === 'string' ? [rename, undefined] : rename;
    const opt = cmd.options.find((o) => o.long === now);
    if (opt === undefined) throw new Error(`${cmd.name()}: no ${now} to alias ${old} to`);
    // an old switch takes no value; an old flag with a value takes the new flag's, checked the same way
    const alias = new Option(
      fixed === undefined ? `${old}${opt.flags.slice(opt.flags.indexOf(now) + now.length)}` : old,
      `old name of ${now}${fixed === undefined ? '' : ` ${fixed}`}`,
    ).hideHelp();
    if (fixed === undefined && opt.argChoices) alias.choices(opt.argChoices);
    else if (fixed === undefined && opt.parseArg) alias.argParser(opt.parseArg);
    cmd.addOption(alias);
    moves.push(fixed === undefined ? { alias, opt } : { alias, opt, fixed });
  }
  // before the action reads the options: the old flag's value becomes the new flag's
  return cmd.hook('preAction', (c) => {
    for (const { alias, opt, fixed } of moves) {
      const given: unknown = c.getOptionValue(alias.attributeName());
      if (given === undefined) continue;
      const v = fixed ?? given;
      const key = opt.attributeName();
      const now = `${opt.long!}${fixed === undefined ? '' : ` ${fixed}`}`;
      if (c.getOptionValueSource(key) === 'cli' && JSON.stringify(c.getOptionValue(key)) !== JSON.stringify(v))
        throw new UserError(`${alias.long} is the old name of ${now}: give one of them`, { field: opt.long!.slice(2) });
      c.setOptionValueWithSource(key, v, 'cli');
      c.setOptionValue(alias.attributeName(), undefined);
      oldNameNote(c.getOptionValue('quiet') === true, `${c.name()} ${alias.long}`, now);
    }
  });
}
