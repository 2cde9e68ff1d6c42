/**
 * Assignment of many subjects on worker threads: the subjects are cut into contiguous blocks, each
 * block assigned by assignSubjects in a worker, and the results joined in order. Every subject's
 * numbers depend only on its own row and the model, so the result is identical to one-thread
 * assignSubjects whatever the number of threads.
 */
import { defaultThreads, runTasks } from '../common/pool.js';
import { assignSubjects } from './staging.js';
import type { AssignTask } from './tasks.js';
import type { Assignment, SustainModelFile, ZTable } from './types.js';

/** Below this many subjects per thread, threads cost more than they save. */
const MIN_BLOCK = 2000;
/** At most this many subjects per block: bounds the tables' memory whatever the input size. */
const MAX_BLOCK = 50_000;

function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./worker.${ext}`, import.meta.url);
}

function block(data: ZTable, from: number, to: number): ZTable {
  const B = data.biomarkers.length;
  const t: ZTable = { subjects: data.subjects.slice(from, to), biomarkers: data.biomarkers, values: data.values.slice(from * B, to * B) };
  return t;
}

/** Blocks per thread when progress is wanted: the bar moves a few times per thread (results are the same). */
const PROGRESS_BLOCKS_PER_THREAD = 4;

/**
 * `maxBlock`: most subjects per block (more blocks than threads queue up). `onProgress(done, total)`
 * counts subjects assigned; with it, inputs are cut into a few more blocks so that it moves.
 */
export async function assignSubjectsParallel(
  model: SustainModelFile,
  data: ZTable,
  subtypes?: number,
  threads = defaultThreads(),
  maxBlock = MAX_BLOCK,
  onProgress?: (done: number, total: number) => void,
): Promise<Assignment> {
  const M = data.subjects.length;
  let blocks = Math.max(1, Math.min(threads, Math.floor(M / MIN_BLOCK)), Math.ceil(M / maxBlock));
  if (onProgress) blocks = Math.max(blocks, Math.min(Math.floor(M / MIN_BLOCK), threads * PROGRESS_BLOCKS_PER_THREAD));
  if (blocks === 1) {
    const a = assignSubjects(model, data, subtypes);
    onProgress?.(M, M);
    return a;
  }
  const tasks: AssignTask[] = [];
  for (let b = 0; b < blocks; b++) {
    const from = Math.floor((b * M) / blocks);
    const to = Math.floor(((b + 1) * M) / blocks);
    tasks.push({ kind: 'assign', model, data: block(data, from, to), ...(subtypes !== undefined ? { subtypes } : {}) });
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
  return {
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
}
