import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

/**
 * Run independent tasks (start points, subjects, folds) on worker threads and return the results
 * in task order, so one thread and many give identical output.
 *
 * `workerModule` is the URL of a module whose default export is the task function. With one thread
 * the function is imported and called in-process (no worker start-up cost). When the module is a
 * .ts file (tests and development run the sources), the worker is started with tsx's loader.
 */
export interface PoolOptions<T> {
  threads?: number;
  /** Called as each task finishes (in completion order), for progress. */
  onDone?: (index: number, task: T) => void;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export async function runTasks<T, R>(workerModule: URL, tasks: readonly T[], opts: PoolOptions<T> = {}): Promise<R[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), tasks.length));
  if (tasks.length === 0) return [];
  if (threads === 1) {
    const mod = (await import(workerModule.href)) as { default: (t: T) => R | Promise<R> };
    const out: R[] = [];
    for (let i = 0; i < tasks.length; i++) {
      out.push(await mod.default(tasks[i]!));
      opts.onDone?.(i, tasks[i]!);
    }
    return out;
  }
  const filename = fileURLToPath(workerModule);
  const isTs = filename.endsWith('.ts');
  const pool = new Piscina({
    filename,
    minThreads: threads,
    maxThreads: threads,
    execArgv: isTs ? ['--import', 'tsx'] : [],
  });
  try {
    return await Promise.all(
      tasks.map(async (t, i) => {
        const r = (await pool.run(t)) as R;
        opts.onDone?.(i, t);
        return r;
      }),
    );
  } finally {
    await pool.destroy();
  }
}
