import { InvalidArgumentError } from 'commander';
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
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = parts.map(Number);
  if (out.length === 0 || out.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError(`expected comma-separated numbers, got "${value}"`);
  return out;
}

/** "a,b" -> ["a","b"] */
export function listOption(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
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
