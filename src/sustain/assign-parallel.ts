/**
 * Assignment of many subjects on worker threads: the subjects are cut into contiguous blocks, each
 * block assigned by assignSubjects in a worker, and the results joined in order. Every subject's
 * numbers depend only on its own row and the model, so the result is identical to one-thread
 * assignSubjects whatever the number of threads.
 */
import { defaultThreads, runTasks } from '../common/pool.js';
import { assignSubjects } from './staging.js';
import { assignLongitudinal, type LongitudinalAssignment } from './longitudinal/assign.js';
import type { AssignTask } from './tasks.js';
import type { Assignment, SustainModelFile, ZTable } from './types.js';

/** Below this many subjects per thread, threads cost more than they save. */
const MIN_BLOCK = 2000;
/** At most this many subjects per block: bounds the tables' memory whatever the input size. */
export const MAX_BLOCK = 50_000;

export function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./worker.${ext}`, import.meta.url);
}

/** Rows from..to-1 of `data` (copies: a worker gets only its block). */
export function dataBlock(data: ZTable, from: number, to: number): ZTable {
  const B = data.biomarkers.length;
  const t: ZTable = { subjects: data.subjects.slice(from, to), biomarkers: data.biomarkers, values: data.values.slice(from * B, to * B) };
  return t;
}

/** Blocks per thread when progress is wanted: the bar moves a few times per thread (results are the same). */
const PROGRESS_BLOCKS_PER_THREAD = 4;

/** How many blocks M subjects are cut into: one per thread when each has enough, more when over maxBlock rows (or for progress). */
export function blockCount(M: number, threads: number, maxBlock: number, progress: boolean): number {
  const blocks = Math.max(1, Math.min(threads, Math.floor(M / MIN_BLOCK)), Math.ceil(M / maxBlock));
  return progress ? Math.max(blocks, Math.min(Math.floor(M / MIN_BLOCK), threads * PROGRESS_BLOCKS_PER_THREAD)) : blocks;
}

/**
 * `maxBlock`: most rows per block (more blocks than threads queue up). `onProgress(done, total)`
 * counts rows assigned; with it, inputs are cut into a few more blocks so that it moves.
 * Longitudinal data (rows grouped by subject, `longitudinal.start`) is cut between subjects, never
 * inside one.
 */
export async function assignSubjectsParallel(
  model: SustainModelFile,
  data: ZTable,
  subtypes?: number,
  threads = defaultThreads(),
  maxBlock = MAX_BLOCK,
  onProgress?: (done: number, total: number) => void,
  longitudinal?: { start: Int32Array; times: Float64Array },
): Promise<Assignment> {
  const M = data.subjects.length;
  let blocks = blockCount(M, threads, maxBlock, onProgress !== undefined);
  if (longitudinal) blocks = Math.max(1, Math.min(blocks, longitudinal.start.length - 1));
  const K0 = subtypes !== undefined ? { subtypes } : {};
  if (blocks === 1) {
    const a = longitudinal ? assignLongitudinal(model, data, longitudinal.start, longitudinal.times, subtypes) : assignSubjects(model, data, subtypes);
    onProgress?.(M, M);
    return a;
  }
  const tasks: AssignTask[] = [];
  const J = longitudinal ? longitudinal.start.length - 1 : M;
  for (let b = 0; b < blocks; b++) {
    const jFrom = Math.floor((b * J) / blocks);
    const jTo = Math.floor(((b + 1) * J) / blocks);
    if (!longitudinal) {
      tasks.push({ kind: 'assign', model, data: dataBlock(data, jFrom, jTo), ...K0 });
      continue;
    }
    const { start, times } = longitudinal;
    const from = start[jFrom]!;
    const to = start[jTo]!;
    const st = Int32Array.from(start.subarray(jFrom, jTo + 1), (r) => r - from);
    tasks.push({ kind: 'assign', model, data: dataBlock(data, from, to), ...K0, longitudinal: { start: st, times: times.slice(from, to) } });
  }
  let done = 0;
  const onDone = onProgress && ((_: number, t: AssignTask) => onProgress((done += t.data.subjects.length), M));
  const parts = await runTasks<AssignTask, Assignment>(workerUrl(), tasks, { threads: Math.min(threads, blocks), ...(onDone ? { onDone } : {}) });
  const K = parts[0]!.subtypes;
  const cat = <T extends Float64Array | Int32Array>(get: (a: Assignment) => T | undefined, make: (n: number) => T): T => {
    const arrays = parts.map((p) => get(p)!);
    const out = make(arrays.reduce((n, a) => n + a.length, 0));
    let o = 0;
    for (const a of arrays) {
      out.set(a as never, o);
      o += a.length;
    }
    return out;
  };
  const f64 = (n: number) => new Float64Array(n);
  const i32 = (n: number) => new Int32Array(n);
  const joined: Assignment = {
    subjects: [...data.subjects],
    subtypes: K,
    mlSubtype: cat((a) => a.mlSubtype, i32),
    probMlSubtype: cat((a) => a.probMlSubtype, f64),
    mlStage: cat((a) => a.mlStage, i32),
    probMlStage: cat((a) => a.probMlStage, f64),
    probSubtype: cat((a) => a.probSubtype, f64),
    probStage: cat((a) => a.probStage, f64),
    probSubtypeStage: cat((a) => a.probSubtypeStage, f64),
  };
  if (!longitudinal) return joined;
  const lparts = parts as LongitudinalAssignment[];
  let j0 = 0;
  const subjectOf = new Int32Array(M);
  let o = 0;
  for (const p of lparts) {
    for (let r = 0; r < p.subjectOf.length; r++) subjectOf[o + r] = p.subjectOf[r]! + j0;
    o += p.subjectOf.length;
    j0 += p.start.length - 1;
  }
  const lcat = (get: (a: LongitudinalAssignment) => Float64Array) => cat((a) => get(a as LongitudinalAssignment), f64);
  const out: LongitudinalAssignment = {
    ...joined,
    subjectOf,
    start: Int32Array.from(longitudinal.start),
    times: Float64Array.from(longitudinal.times),
    expectedStage: lcat((a) => a.expectedStage),
    rate: lcat((a) => a.rate),
  };
  return out;
}
