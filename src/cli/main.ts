import { Command, CommanderError } from 'commander';
import { UserError } from '../common/errors.js';
import { toolVersion, TOOL_NAME } from '../common/version.js';

type Registrar = { register: (program: Command) => void };

/**
 * Each subcommand's module (in help order) and the commands it registers. A run loads only the module of
 * its command (`fit` does not load the outcome statistics, the NIfTI reader or k-means: about 0.3 s of a
 * small fit); --help, no command or an unknown one load them all.
 */
const MODULES: [names: string[], load: () => Promise<Registrar>][] = [
  [['volumes'], () => import('./volumes.js')],
  [['extract', 'merge'], () => import('./extract.js')],
  [['normalise'], () => import('./normalise.js')],
  [['fit', 'assign'], () => import('./sustain.js')],
  [['simulate'], () => import('./simulate.js')],
  [['cv'], () => import('./cv.js')],
  [['report'], () => import('./report.js')],
  [['outcomes'], () => import('./outcomes.js')],
  [['run', 'demo-data'], () => import('./run.js')],
  [['import-pysustain'], () => import('./import.js')],
];

/**
 * Build the command tree. Each subcommand lives in its own file and only parses, calls the library, prints.
 * `command`: register only the module of that subcommand (when it is known); otherwise all of them.
 */
export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command();
  program
    .name(TOOL_NAME)
    .description(
      'Multiple-sclerosis subtypes and stages from segmented brain MRI.\n\n' +
        'Pipeline: extract (label maps -> regional volumes) -> normalise (z-scores against healthy controls)\n' +
        '-> fit (SuStaIn subtypes and stages) -> cv (how many subtypes) -> assign (new subjects) -> report (HTML).\n' +
        '`ms-subtype run` chains them.',
    )
    .version(toolVersion())
    .option('--debug', 'print stack traces of internal errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Every command has --help with its inputs, outputs and an example. Common flags: -o/--out, -j/--jobs,
-q/--quiet (only errors and the output paths), --seed.

Example:
  ms-subtype run --config data/demo/config.json --out out/demo   # the bundled demo, end to end
  ms-subtype fit --data z.csv --max-subtypes 3 --seed 1 --out fit/`,
    );
  const own = MODULES.find(([names]) => command !== undefined && names.includes(command));
  for (const [, load] of own ? [own] : MODULES) (await load()).register(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
}

/** Run the CLI; returns the exit code instead of exiting, so tests and the launcher share it. */
export async function main(argv: string[]): Promise<number> {
  // `ms-subtype ... | head` closes the pipe early: that is not an error worth a stack trace.
  // Once per process: tests call main() many times, and a listener per call overflowed Node's
  // limit of 10 (MaxListenersExceededWarning).
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  // the first word after the node and script paths that is not an option names the subcommand
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  const program = await buildProgram(command);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return e.exitCode;
    }
    if (e instanceof UserError) {
      process.stderr.write(`${TOOL_NAME}: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`${TOOL_NAME}: internal error: ${err?.message ?? String(e)}\n`);
    if (debug && err?.stack) process.stderr.write(err.stack + '\n');
    else process.stderr.write(`(run again with --debug for the stack trace)\n`);
    return 70;
  }
}
