import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../common/errors.js';
import { runTasks, defaultThreads } from '../common/pool.js';
import { toolVersion, TOOL_NAME } from '../common/version.js';
import { writeCsvAtomic } from '../io/csv.js';
import { writeAtomic } from '../io/atomic.js';
import { createProgress } from '../io/progress.js';
import { loadFeatures, defaultFeaturesFile } from './features.js';
import { loadCohort, ID_COLUMNS } from './cohort.js';
import { inShard, type Shard } from './shard.js';
import {
  Checkpoint,
  checkpointPath,
  doneFromResult,
  errorsPath,
  ERROR_COLUMNS,
  readCheckpoint,
  readOutputRows,
  readSidecar,
  settingsOf,
  sidecarPath,
  sidecarText,
  type DoneRecord,
  type Sidecar,
} from './output.js';
import type { CohortSubject, InputKind, SubjectResult, SubjectTask } from './types.js';
import type { SubjectFrom } from './tables.js';
import { subjectKey } from './types.js';
import { inputState, OutputLock } from './resume.js';

/** Options of a cohort extraction; defaults in EXTRACT_DEFAULTS. */
export interface ExtractOptions {
  /** Manifest CSV, BIDS derivatives folder, asegstats2table / SynthSeg table, or aseg.stats file(s). */
  inputs: string[];
  /** Output CSV; the sidecar is <out>.json, failures <out>.errors.csv. */
  out: string;
  /** Feature definition file (default: the bundled data/features/aseg-ms.json). */
  features?: string;
  format?: InputKind | 'auto';
  lesionThreshold?: number;
  gridTolerance?: number;
  jobs?: number;
  resume?: boolean;
  failFast?: boolean;
  shard?: Shard;
  quiet?: boolean;
  /** Subjects per batch handed to the pool (default 128 per thread); the checkpoint is written after each. */
  chunkSize?: number;
  bidsDesc?: string;
  participants?: string;
  /** Covariates table joined onto the input (for volume tables, which carry none). */
  covariates?: string;
  /** aseg.stats inputs: subject id from `# subjectname` ('auto', else the folder) or from the folder above stats/. */
  subjectFrom?: SubjectFrom;
  /** Progress bar override (tests). */
  progress?: boolean;
}

export const EXTRACT_DEFAULTS = {
  lesionThreshold: 0.5,
  gridTolerance: 1e-4,
  /** Batch = this many subjects per thread: long enough that starting the pool is noise, short enough that a crash loses little. */
  chunkPerThread: 128,
  format: 'auto' as InputKind | 'auto',
};

export interface SubjectFailure {
  /** 0-based position in the cohort. */
  row: number;
  subject: string;
  session: string;
  file: string;
  reason: string;
}

export interface ExtractResult {
  out: string;
  sidecar: string;
  /** null when no subject failed (a stale errors file is removed). */
  errorsFile: string | null;
  /** Rows in the output. */
  rows: number;
  /** Rows taken over from an earlier run or checkpoint (--resume). */
  resumed: number;
  failures: SubjectFailure[];
  /** --fail-fast stopped the run: no output table written, the checkpoint is kept for --resume. */
  stopped: boolean;
  /** Notes for the user (features left empty, ignored checkpoints). */
  warnings: string[];
}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

export async function extractCohort(options: ExtractOptions): Promise<ExtractResult> {
  // one run per output at a time: a second would write into this one's checkpoint
  mkdirSync(dirname(options.out), { recursive: true });
  const lock = OutputLock.take(options.out);
  try {
    return await extractLocked(options);
  } finally {
    lock.release();
  }
}

async function extractLocked(options: ExtractOptions): Promise<ExtractResult> {
  const o = { ...EXTRACT_DEFAULTS, ...stripUndefined(options) };
  if (!(o.lesionThreshold > 0 && o.lesionThreshold <= 1)) throw new UserError(`--lesion-threshold must be in (0, 1], got ${o.lesionThreshold}`);
  const featuresFile = o.features ?? defaultFeaturesFile();
  const fs = loadFeatures(featuresFile);
  const cohort = loadCohort(o.inputs, fs, { ...o, format: o.format });
  const warnings: string[] = [...(cohort.notes ?? [])];
  const selected = cohort.subjects.filter((_, p) => inShard(p, o.shard));
  const featureNames = fs.features.map((f) => f.name);

  const sidecarBase: Omit<Sidecar, 'columns' | 'carriedColumns' | 'missingFeatures' | 'rows' | 'failed' | 'subjects'> = {
    tool: TOOL_NAME,
    toolVersion: toolVersion(),
    command: 'extract',
    input: { kind: cohort.kind, paths: cohort.source, sha256: cohort.sourceSha256 ?? null, subjects: cohort.subjects.length, covariates: cohort.covariates ?? null },
    featuresFile: { path: o.features ?? 'builtin:data/features/aseg-ms.json', sha256: fs.sha256 },
    features: fs.features,
    lesionThreshold: o.lesionThreshold,
    gridTolerance: o.gridTolerance,
    shard: o.shard ?? null,
  };
  const columns = [...ID_COLUMNS, ...cohort.carriedColumns, ...featureNames];
  const settings = settingsOf({ ...sidecarBase, columns }) + JSON.stringify(o.shard ?? null);

  // What earlier runs finished: the output table, then the checkpoint of an interrupted run.
  const done = new Map<string, DoneRecord>();
  const cp = checkpointPath(o.out);
  if (o.resume) {
    if (existsSync(o.out)) {
      const prev = readSidecar(sidecarPath(o.out));
      if (settingsOf(prev) + JSON.stringify(prev.shard) !== settings) {
        throw new UserError('was made with other settings (feature definitions, lesion threshold, input kind or shard): remove it or run without --resume', { file: o.out });
      }
      for (const [k, r] of readOutputRows(o.out, featureNames, prev)) done.set(k, r);
    }
    if (existsSync(cp)) {
      const got = readCheckpoint(cp, settings);
      if (got === null) warnings.push(`ignored checkpoint ${cp}: it was made with other settings`);
      else for (const [k, r] of got) done.set(k, r);
    }
  } else if (existsSync(cp)) {
    warnings.push(`started afresh: ${cp} holds an interrupted run (use --resume to continue one)`);
  }
  // An earlier row is reused only while its subject's inputs are unchanged (resume.ts).
  const current = new Map(selected.map((s) => [subjectKey(s.subject, s.session), s]));
  let remeasured = 0;
  let gone = 0;
  for (const [k, rec] of [...done]) {
    const s = current.get(k);
    const state = s?.task === undefined ? 'changed' : inputState(rec, s.task);
    if (state === 'changed') {
      done.delete(k);
      if (s?.task !== undefined) remeasured++;
    } else if (state === 'gone') gone++;
  }
  if (remeasured > 0) warnings.push(`${remeasured} subject(s) of the earlier run are measured again: their input files or manifest row changed`);
  if (gone > 0) warnings.push(`${gone} subject(s) keep the earlier run's row although some of their input files are no longer there`);
  const resumed = done.size;

  const failures: SubjectFailure[] = [];
  const fail = (s: CohortSubject, r: Extract<SubjectResult, { ok: false }>) => {
    failures.push({ subject: s.subject, session: s.session, file: r.file, reason: r.reason, row: s.row });
  };
  const todo: CohortSubject[] = [];
  for (const s of selected) {
    const k = subjectKey(s.subject, s.session);
    if (done.has(k)) continue;
    if (s.result) {
      if (s.result.ok) done.set(k, doneFromResult(s.result, s.subject, s.session));
      else fail(s, s.result);
    } else todo.push(s);
  }

  mkdirSync(dirname(o.out), { recursive: true });
  const checkpoint = todo.length > 0 ? new Checkpoint(cp, settings, [...done.values()]) : null;
  const threads = Math.max(1, o.jobs ?? defaultThreads());
  const progress = createProgress({ label: 'extract', total: todo.length, quiet: o.quiet ?? false, ...(o.progress !== undefined ? { enabled: o.progress } : {}) });
  // Fail-fast checks after each batch, so batches are as small as the pool is wide.
  const chunk = o.failFast ? threads : Math.max(1, o.chunkSize ?? o.chunkPerThread * threads);
  let stopped = o.failFast === true && failures.length > 0;
  try {
    for (let start = 0; start < todo.length && !stopped; start += chunk) {
      const part = todo.slice(start, start + chunk);
      const tasks = part.map((s) => s.task as SubjectTask);
      const results = await runTasks<SubjectTask, SubjectResult>(workerUrl, tasks, { threads, onDone: () => progress.tick() });
      const fresh: DoneRecord[] = [];
      results.forEach((r, i) => {
        const s = part[i]!;
        if (r.ok) {
          const d = doneFromResult(r, s.subject, s.session);
          done.set(subjectKey(s.subject, s.session), d);
          fresh.push(d);
        } else fail(s, r);
      });
      checkpoint?.add(fresh);
      if (o.failFast && failures.length > 0) stopped = true;
    }
  } finally {
    progress.stop();
    checkpoint?.close();
  }

  const errorsFile = errorsPath(o.out);
  failures.sort((a, b) => a.row - b.row);
  const writeErrors = () => {
    if (failures.length > 0) {
      writeCsvAtomic(
        errorsFile,
        ERROR_COLUMNS,
        failures.map((f) => [f.subject, f.session, f.file, f.reason]),
      );
    } else if (existsSync(errorsFile)) unlinkSync(errorsFile);
  };
  if (stopped) {
    writeErrors();
    return { out: o.out, sidecar: sidecarPath(o.out), errorsFile: failures.length ? errorsFile : null, rows: 0, resumed, failures, stopped, warnings };
  }

  // Output in cohort order: earlier-run rows keep their cells, carried columns come from today's input.
  const rows: string[][] = [];
  const subjects: Sidecar['subjects'] = [];
  for (const s of selected) {
    const d = done.get(subjectKey(s.subject, s.session));
    if (!d) continue;
    rows.push([s.subject, s.session, ...s.carried, ...d.cells]);
    subjects.push({ subject_id: s.subject, session: s.session, row: s.row, lesionSource: d.lesionSource, inputs: d.inputs });
  }
  const nFeat = featureNames.length;
  const missingFeatures = rows.length === 0 ? [] : featureNames.filter((_, j) => rows.every((r) => r[r.length - nFeat + j] === ''));
  for (const f of missingFeatures) warnings.push(`feature ${f} is empty for every subject (its labels or map are not in the input)`);
  const sidecar: Sidecar = {
    ...sidecarBase,
    columns,
    carriedColumns: cohort.carriedColumns,
    missingFeatures,
    rows: rows.length,
    failed: failures.length,
    subjects,
  };
  writeCsvAtomic(o.out, columns, rows);
  writeAtomic(sidecarPath(o.out), sidecarText(sidecar));
  writeErrors();
  if (existsSync(cp)) unlinkSync(cp);
  return { out: o.out, sidecar: sidecarPath(o.out), errorsFile: failures.length ? errorsFile : null, rows: rows.length, resumed, failures, stopped, warnings };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
