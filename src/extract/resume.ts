import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { UserError } from '../common/errors.js';
import { processAlive } from '../io/atomic.js';
import { sha256File } from '../io/hash.js';
import type { DoneRecord } from './output.js';
import type { SubjectTask } from './types.js';

/**
 * What makes an earlier run's row reusable by `--resume`, and the lock that keeps two runs out of
 * one output. Settings (feature definitions, lesion threshold, grid tolerance, input kind, shard)
 * are compared as a whole elsewhere; here each subject is checked against its own inputs:
 *  - a checkpoint row carries a stamp of its files taken before they were read (role, path as
 *    written and resolved, size, mtime, ctime, inode: ctime changes whenever a file is replaced or
 *    rewritten, even by `cp -p`, which restores mtime), so a scan replaced after a kill is measured
 *    again; stat only, so resuming costs nothing per subject;
 *  - a row of a finished output (no stamp: the sidecar stays byte-stable) is reused only when the
 *    manifest row names the same files and each file's sha256 still equals the one recorded.
 */

export interface TaskFile {
  role: string;
  path: string;
  shown: string;
}

/** Every file a subject's measurement depends on, in a fixed order. */
export function taskFiles(task: SubjectTask): TaskFile[] {
  return [
    { role: 'labels', ...task.labels },
    ...(task.lesion ? [{ role: 'lesion_mask', ...task.lesion }] : []),
    ...task.maps.map((m) => ({ role: `map:${m.name}`, path: m.path, shown: m.shown })),
    ...(task.labelMaps ?? []).map((m) => ({ role: `labels:${m.name}`, path: m.path, shown: m.shown })),
    ...(task.ratios ?? []).flatMap((r) => [r.numerator, r.denominator].map((f) => ({ role: `image:${f.column}`, path: f.path, shown: f.shown }))),
    ...task.extra,
  ];
}

type FileStamp = string[];

function fileStamp(f: TaskFile): FileStamp {
  try {
    const s = statSync(f.path, { bigint: true });
    return [f.role, f.shown, f.path, String(s.size), String(s.mtimeNs), String(s.ctimeNs), String(s.ino)];
  } catch {
    return [f.role, f.shown, f.path, 'missing'];
  }
}

/** The stat stamp of `files` (a missing file stamps as missing). */
export function stampOf(files: TaskFile[]): string {
  return JSON.stringify(files.map(fileStamp));
}

const exists = (f: TaskFile) => {
  try {
    return statSync(f.path).isFile();
  } catch {
    return false;
  }
};

/**
 * Whether `rec` (from a checkpoint or a finished output) still describes `task`'s inputs:
 * 'same'; 'changed' (another file list in the manifest row, or a file rewritten or replaced:
 * measure again); or 'gone' (same files, some no longer there: nothing to measure again, so the
 * earlier row stands and the caller says so).
 */
export function inputState(rec: DoneRecord, task: SubjectTask): 'same' | 'changed' | 'gone' {
  const files = taskFiles(task);
  if (rec.inputs.length !== files.length || files.some((f, i) => rec.inputs[i]!.role !== f.role || rec.inputs[i]!.path !== f.shown)) return 'changed';
  let gone = false;
  if (rec.stamp !== undefined) {
    let then: FileStamp[];
    try {
      then = JSON.parse(rec.stamp) as FileStamp[];
    } catch {
      return 'changed';
    }
    for (const [i, f] of files.entries()) {
      const now = fileStamp(f);
      if (now[3] === 'missing') gone = true;
      else if (JSON.stringify(now) !== JSON.stringify(then[i])) return 'changed';
    }
  } else {
    for (const [i, f] of files.entries()) {
      if (!exists(f)) gone = true;
      else if (sha256File(f.path) !== rec.inputs[i]!.sha256) return 'changed';
    }
  }
  return gone ? 'gone' : 'same';
}

/**
 * `<out>.lock`, created exclusively: a second run on the same output (same machine or another one
 * sharing the folder) is refused instead of writing into the first one's checkpoint. A lock left
 * by a run that was killed on this machine (its process is gone) is taken over.
 */
export class OutputLock {
  private constructor(readonly file: string) {}

  static take(out: string): OutputLock {
    const file = `${out}.lock`;
    const me = `${process.pid} ${hostname()}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, me);
        closeSync(fd);
        return new OutputLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder = '';
      try {
        holder = readFileSync(file, 'utf8').trim();
      } catch {
        continue; // released meanwhile: try again
      }
      const [pidText, host] = holder.split(' ');
      const pid = Number(pidText);
      if (host === hostname() && Number.isInteger(pid) && pid > 0 && !processAlive(pid)) {
        try {
          unlinkSync(file); // the holder was killed: its checkpoint is ours to resume
        } catch {
          // someone else took it over first; the next attempt will see their lock
        }
        continue;
      }
      throw new UserError(`another extract (process ${pidText ?? '?'} on ${host ?? '?'}) is writing this output; wait for it to finish, or remove ${file} if that run is gone`, {
        file: out,
      });
    }
    throw new UserError(`could not take the lock ${file}; remove it if no other extract is running`, { file: out });
  }

  release(): void {
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
