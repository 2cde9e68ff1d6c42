import { Piscina } from 'piscina';
import type { TransferListItem } from 'node:worker_threads';

type TransferList = readonly TransferListItem[];
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

/**
 * Run independent tasks (start points, subjects, folds) on worker threads and return the results
 * in task order, so one thread and many give identical output.
 *
 * `workerModule` is the URL of a module whose default export is the task function. With one thread,
 * or for a batch too small to pay for starting workers, the function is imported and called in-process. When the module is a
 * .ts file (tests and development run the sources), the worker is started with tsx's loader.
 */
export interface PoolOptions<T> {
  threads?: number;
  /** Called as each task finishes (in completion order), for progress. */
  onDone?: (index: number, task: T) => void;
}

/**
 * Below this much estimated work (single-thread seconds) a batch runs in-process when no worker has
 * started: starting workers costs about 0.2 s of wall time and 0.2-0.3 s of CPU each (loading, JIT
 * warm-up), more than two threads save on half a second of work.
 */
export const IN_PROCESS_SECONDS = 0.5;

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * A set of worker threads kept for several batches of tasks (the phases of a fit), so workers start,
 * load their modules and warm up once. With one thread, tasks run in-process.
 */
export class TaskPool<T, R> {
  private pool: Piscina | null = null;
  private mod: { default: (t: T) => R | Promise<R> } | null = null;

  /** `inProcessSeconds`: batches estimated below this run in-process while no worker has started (0: never) */
  constructor(
    private readonly workerModule: URL,
    readonly threads: number,
    private readonly inProcessSeconds = IN_PROCESS_SECONDS,
  ) {}

  /**
   * Run a batch; results in task order. `transfer` names objects of a task (message ports) to move
   * to its worker rather than copy. `seconds`: the batch's estimated single-thread time; while no
   * worker has started, a batch estimated below `inProcessSeconds` runs in-process (workers start
   * lazily, at the first batch worth them, and then serve every later batch).
   */
  async run(tasks: readonly T[], onDone?: (index: number, task: T, result: R) => void, transfer?: (task: T) => readonly unknown[], seconds?: number): Promise<R[]> {
    if (tasks.length === 0) return [];
    if (this.threads <= 1 || (this.pool === null && seconds !== undefined && seconds < this.inProcessSeconds)) {
      this.mod ??= (await import(this.workerModule.href)) as { default: (t: T) => R | Promise<R> };
      const out: R[] = [];
      for (let i = 0; i < tasks.length; i++) {
        const r = await this.mod.default(tasks[i]!);
        out.push(r);
        onDone?.(i, tasks[i]!, r);
      }
      return out;
    }
    if (this.pool === null) {
      const filename = fileURLToPath(this.workerModule);
      this.pool = new Piscina({
        filename,
        minThreads: this.threads,
        maxThreads: this.threads,
        execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [],
      });
    }
    const pool = this.pool;
    return Promise.all(
      tasks.map(async (t, i) => {
        const moved = transfer?.(t) ?? [];
        const r = (await pool.run(t, moved.length === 0 ? {} : { transferList: moved as unknown as TransferList })) as R;
        onDone?.(i, t, r);
        return r;
      }),
    );
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p !== null) await p.destroy();
  }
}

export async function runTasks<T, R>(workerModule: URL, tasks: readonly T[], opts: PoolOptions<T> = {}): Promise<R[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), tasks.length));
  if (tasks.length === 0) return [];
  const pool = new TaskPool<T, R>(workerModule, threads);
  try {
    return await pool.run(tasks, opts.onDone);
  } finally {
    await pool.close();
  }
}
