import { existsSync, readFileSync, openSync, writeSync, fsyncSync, closeSync, unlinkSync, renameSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import { parseTable, formatNumber } from '../io/csv.js';
import type { FeatureDef } from './features.js';
import type { Shard } from './shard.js';
import type { InputKind, InputRecord, SubjectOk } from './types.js';
import { subjectKey } from './types.js';

/**
 * Output files of extract: the feature CSV, its JSON sidecar (<out>.json), the errors CSV
 * (<out>.errors.csv) and, while a run is under way, a checkpoint (<out>.partial.jsonl) of finished
 * subjects that `--resume` continues from after a crash.
 */
export const sidecarPath = (out: string) => `${out}.json`;
export const errorsPath = (out: string) => `${out}.errors.csv`;
export const checkpointPath = (out: string) => `${out}.partial.jsonl`;
export const ERROR_COLUMNS = ['subject_id', 'session', 'file', 'reason'];

/** A finished subject as kept between runs: feature cells already formatted, so reruns are byte-stable. */
export interface DoneRecord {
  subject: string;
  session: string;
  row: number;
  cells: string[];
  lesionSource: SubjectOk['lesionSource'];
  inputs: InputRecord[];
  /** stat stamp of the inputs when they were read (checkpoints only; see resume.ts) */
  stamp?: string;
}

export function doneFromResult(r: SubjectOk, subject: string, session: string): DoneRecord {
  const d: DoneRecord = { subject, session, row: r.row, cells: r.values.map(formatNumber), lesionSource: r.lesionSource, inputs: r.inputs };
  if (r.stamp !== undefined) d.stamp = r.stamp;
  return d;
}

export interface SidecarSubject {
  subject_id: string;
  session: string;
  /** 0-based position in the whole cohort (before sharding): merge orders by it. */
  row: number;
  lesionSource: DoneRecord['lesionSource'];
  inputs: InputRecord[];
}

export interface Sidecar {
  tool: string;
  toolVersion: string;
  command: 'extract' | 'merge';
  input: { kind: InputKind; paths: string[]; sha256: string | null; subjects: number; covariates: { path: string; sha256: string } | null };
  featuresFile: { path: string; sha256: string };
  features: FeatureDef[];
  lesionThreshold: number;
  gridTolerance: number;
  shard: Shard | null;
  columns: string[];
  carriedColumns: string[];
  /** Features empty for every subject (e.g. mean features from a volume table). */
  missingFeatures: string[];
  rows: number;
  failed: number;
  subjects: SidecarSubject[];
  mergedFrom?: string[];
}

/** What must match for rows of two runs to sit in one table. */
export function settingsOf(s: Pick<Sidecar, 'featuresFile' | 'features' | 'lesionThreshold' | 'gridTolerance' | 'input' | 'columns'>): string {
  return JSON.stringify({
    features: s.featuresFile.sha256,
    defs: s.features,
    lesionThreshold: s.lesionThreshold,
    gridTolerance: s.gridTolerance,
    kind: s.input.kind,
  });
}

/**
 * Sidecar text: settings indented for reading, then one compact line per subject, so a 50,000-scan
 * cohort's sidecar stays a few tens of MB and diffs line by line. `subjects` always comes last.
 */
export function sidecarText(s: Sidecar): string {
  const { subjects, ...head } = s;
  const h = JSON.stringify(head, null, 2);
  const body = subjects.length === 0 ? '[]' : `[\n${subjects.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`;
  return `${h.slice(0, -2)},\n  "subjects": ${body}\n}\n`;
}

export function readSidecar(file: string): Sidecar {
  if (!existsSync(file)) throw new UserError('sidecar not found (every extract output has one beside it)', { file });
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Sidecar;
    if (s.tool !== 'ms-subtype' || !Array.isArray(s.subjects) || !Array.isArray(s.columns)) throw new Error('not an ms-subtype extract sidecar');
    return s;
  } catch (e) {
    throw new UserError(`cannot read the sidecar: ${(e as Error).message}`, { file });
  }
}

/** Rows of an earlier output (for --resume and merge), keyed by subject and session. */
export function readOutputRows(out: string, featureNames: string[], sidecar: Sidecar): Map<string, DoneRecord> {
  const t = parseTable(readFileSync(out, 'utf8'), out);
  const idx = featureNames.map((n) => {
    const j = t.columns.indexOf(n);
    if (j < 0) throw new UserError(`has no column "${n}"`, { file: out, field: n });
    return j;
  });
  const iSub = t.columns.indexOf('subject_id');
  const iSes = t.columns.indexOf('session');
  if (iSub < 0 || iSes < 0) throw new UserError('lacks subject_id/session columns: not an extract output', { file: out });
  const info = new Map(sidecar.subjects.map((s) => [subjectKey(s.subject_id, s.session), s]));
  const done = new Map<string, DoneRecord>();
  t.rows.forEach((r, i) => {
    const key = subjectKey(r[iSub]!, r[iSes]!);
    const s = info.get(key);
    if (!s) throw new UserError(`subject ${r[iSub]} is not in the sidecar ${sidecarPath(out)}`, { file: out, line: i + 2 });
    done.set(key, { subject: r[iSub]!, session: r[iSes]!, row: s.row, cells: idx.map((j) => r[j]!), lesionSource: s.lesionSource, inputs: s.inputs });
  });
  return done;
}

/**
 * Append-only checkpoint: a header line with the settings, then one JSON line per finished subject,
 * fsynced after each chunk. A crash can only cut the last line short, which reading ignores.
 */
export class Checkpoint {
  private fd: number;
  /** Starts a fresh checkpoint holding `initial` (records carried over from an earlier one), written beside and renamed in. */
  constructor(
    readonly file: string,
    settings: string,
    initial: DoneRecord[] = [],
  ) {
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, [JSON.stringify({ checkpoint: 'ms-subtype extract', settings }), ...initial.map((r) => JSON.stringify(r))].join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    this.fd = openSync(file, 'a');
  }
  add(records: DoneRecord[]): void {
    if (records.length === 0) return;
    writeSync(this.fd, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
  remove(): void {
    this.close();
    if (existsSync(this.file)) unlinkSync(this.file);
  }
}

/** Records of a checkpoint, or null when it was made with other settings. */
export function readCheckpoint(file: string, settings: string): Map<string, DoneRecord> | null {
  const lines = readFileSync(file, 'utf8').split('\n');
  let head: { settings?: string };
  try {
    head = JSON.parse(lines[0] ?? '') as { settings?: string };
  } catch {
    return null;
  }
  if (head.settings !== settings) return null;
  const done = new Map<string, DoneRecord>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    try {
      const r = JSON.parse(line) as DoneRecord;
      done.set(subjectKey(r.subject, r.session), r);
    } catch {
      // a line cut short by a crash: that subject is simply redone
    }
  }
  return done;
}
