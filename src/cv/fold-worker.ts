/**
 * Worker-thread entry for cross-validation: runs one fold (or the full-data part), writes its part
 * file as soon as it is done (so an interrupted run resumes from the finished folds), and returns
 * the result as plain data.
 */
import { join } from 'node:path';
import { writeModelFile } from '../io/modelfile.js';
import { isMainThread } from 'node:worker_threads';
import { runCvTask, type CvTask, type CvTaskResult, type TaskProgress } from './fold.js';
import type { CvSettings } from './settings.js';
import { writePart } from './store.js';

export type WorkerTask = CvTask & { write?: { dir: string; settings: CvSettings } };

let tsReady: Promise<unknown> | undefined;

export default async function runAndSave(task: WorkerTask, onProgress?: TaskProgress): Promise<CvTaskResult> {
  // Running from the .ts sources (tests, tsx): inside a worker thread, the engine's own in-process
  // dynamic import of its .ts worker module needs tsx's ESM hooks registered in this thread too.
  // The built .js never takes this branch (and never loads tsx, a dev dependency).
  if (!isMainThread && import.meta.url.endsWith('.ts')) {
    tsReady ??= import('tsx/esm/api').then((m) => m.register());
    await tsReady;
  }
  const result = await runCvTask(task, onProgress);
  if (task.write !== undefined) {
    if (result.kind === 'full' && result.model !== undefined) writeModelFile(join(task.write.dir, 'full-model.json'), result.model);
    writePart(task.write.dir, task.write.settings, result);
    // The model is on disk; do not copy it back across the thread boundary.
    if (result.kind === 'full') delete result.model;
  }
  return result;
}
