// Worker-thread entry for src/common/pool.ts runTasks: one fit task (start point, split, MCMC chain).
import { runTask, type FitTask } from './tasks.js';

export default function task(t: FitTask): ReturnType<typeof runTask> {
  return runTask(t);
}
