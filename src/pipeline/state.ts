import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Bytes, sha256File } from '../io/hash.js';
import { writeJsonAtomic } from '../io/atomic.js';

/**
 * Resuming a run: OUT/run-state.json records, per finished step, the hash of what the step was
 * computed from (its settings, the tool version and the hashes of its input files) and the sha256
 * of each output it wrote. A step is skipped when its key is unchanged and its outputs are still
 * there, byte for byte; otherwise it runs again, and so does every step downstream whose inputs
 * changed as a result (their keys include the upstream outputs' hashes, so an upstream rerun that
 * gives the same bytes still lets them skip).
 */
export const STATE_FILE = 'run-state.json';

export interface StepRecord {
  key: string;
  /** output path relative to OUT -> sha256 */
  outputs: Record<string, string>;
}

export interface RunState {
  format: 'ms-subtype-run-state';
  formatVersion: 1;
  steps: Record<string, StepRecord>;
}

export function emptyState(): RunState {
  return { format: 'ms-subtype-run-state', formatVersion: 1, steps: {} };
}

/** The state of OUT, or an empty one when there is none or it cannot be read (then every step runs). */
export function readState(outDir: string): RunState {
  const file = join(outDir, STATE_FILE);
  if (!existsSync(file)) return emptyState();
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as RunState;
    if (raw.format !== 'ms-subtype-run-state' || raw.formatVersion !== 1 || typeof raw.steps !== 'object' || raw.steps === null) return emptyState();
    return raw;
  } catch {
    return emptyState();
  }
}

export function writeState(outDir: string, state: RunState): void {
  writeJsonAtomic(join(outDir, STATE_FILE), state);
}

/** A stable hash of plain data (object keys sorted, so key order does not matter). */
export function hashValue(value: unknown): string {
  return sha256Bytes(stableStringify(value));
}

export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Is the step's record current: same key, and every output present with the recorded bytes? */
export function isUpToDate(outDir: string, record: StepRecord | undefined, key: string, outputs: readonly string[]): boolean {
  if (!record || record.key !== key) return false;
  for (const rel of outputs) {
    const want = record.outputs[rel];
    const file = join(outDir, rel);
    if (want === undefined || !existsSync(file) || sha256File(file) !== want) return false;
  }
  return true;
}

export function recordStep(outDir: string, key: string, outputs: readonly string[]): StepRecord {
  const rec: StepRecord = { key, outputs: {} };
  for (const rel of outputs) {
    const file = join(outDir, rel);
    if (existsSync(file)) rec.outputs[rel] = sha256File(file);
  }
  return rec;
}
