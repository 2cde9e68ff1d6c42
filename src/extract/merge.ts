import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import { parseTable, writeCsvAtomic } from '../io/csv.js';
import { writeAtomic } from '../io/atomic.js';
import { loadCohort } from './cohort.js';
import type { FeatureSet } from './features.js';
import { errorsPath, ERROR_COLUMNS, readSidecar, settingsOf, sidecarPath, sidecarText, type Sidecar } from './output.js';
import { subjectKey } from './types.js';

/**
 * Join the outputs of `extract --shard i/n` runs into one table in cohort order. Refuses rows that
 * appear in two inputs and inputs made with other settings (their sidecars must agree); reports
 * the subjects no input holds (named when the manifest is given, else counted by cohort position).
 */
export interface MergeOptions {
  out: string;
  /** Shard output CSVs, folders holding them, or names with * and ? in the file part. */
  inputs: string[];
  /** The cohort input (manifest, BIDS folder or table), to name missing subjects. */
  manifest?: string;
}

export interface MissingSubject {
  subject: string;
  session: string;
  /** "failed: <reason>" when a shard's errors file lists it, else "in no shard output". */
  why: string;
}

export interface MergeResult {
  out: string;
  files: string[];
  rows: number;
  /** Subjects of the cohort not in the merged table. */
  missingCount: number;
  /** Named missing subjects (all of them when the manifest was given; else those in errors files). */
  missing: MissingSubject[];
  /** Shard indices (1-based) for which no output was given. */
  absentShards: number[];
}

export function expandInputs(inputs: string[], out: string): string[] {
  const files: string[] = [];
  // In folders and patterns: extract outputs only (not errors/missing lists, not earlier merges, not OUT).
  const isShardCsv = (f: string) =>
    f.endsWith('.csv') &&
    !f.endsWith('.errors.csv') &&
    !f.endsWith('.missing.csv') &&
    existsSync(sidecarPath(f)) &&
    resolve(f) !== resolve(out) &&
    readSidecar(sidecarPath(f)).command === 'extract';
  for (const p of inputs) {
    if (/[*?]/.test(basename(p))) {
      const dir = dirname(p);
      const re = new RegExp(
        '^' +
          basename(p)
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.') +
          '$',
      );
      if (!existsSync(dir)) throw new UserError('folder not found', { file: dir });
      const hits = readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .map((f) => join(dir, f))
        .filter(isShardCsv);
      if (hits.length === 0) throw new UserError('matches no extract output (a .csv with its .csv.json sidecar)', { file: p });
      files.push(...hits);
    } else if (existsSync(p) && statSync(p).isDirectory()) {
      const hits = readdirSync(p)
        .sort()
        .map((f) => join(p, f))
        .filter(isShardCsv);
      if (hits.length === 0) throw new UserError('holds no extract output (a .csv with its .csv.json sidecar)', { file: p });
      files.push(...hits);
    } else {
      if (!existsSync(p)) throw new UserError('file not found', { file: p });
      files.push(p);
    }
  }
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(resolve(f)) ? false : (seen.add(resolve(f)), true)));
}

export function mergeShards(opts: MergeOptions): MergeResult {
  const files = expandInputs(opts.inputs, opts.out);
  if (files.length === 0) throw new UserError('nothing to merge');
  const cars = files.map((f) => readSidecar(sidecarPath(f)));
  const first = cars[0]!;
  cars.forEach((c, i) => {
    const why = i === 0 ? null : differs(first, c);
    if (why) throw new UserError(`cannot merge with ${files[0]}: ${why}`, { file: files[i]! });
  });

  type Row = { cells: string[]; at: number; file: string; info: Sidecar['subjects'][number] };
  const rows = new Map<string, Row>();
  files.forEach((f, i) => {
    const t = parseTable(readFileSync(f, 'utf8'), f);
    if (t.columns.join('\n') !== first.columns.join('\n')) throw new UserError(`columns differ from ${files[0]}`, { file: f });
    const info = new Map(cars[i]!.subjects.map((s) => [subjectKey(s.subject_id, s.session), s]));
    t.rows.forEach((r, j) => {
      const key = subjectKey(r[0]!, r[1]!);
      const prev = rows.get(key);
      if (prev) throw new UserError(`subject ${r[0]}${r[1] ? ` session ${r[1]}` : ''} is also in ${prev.file}: refusing duplicates`, { file: f, line: j + 2 });
      const s = info.get(key);
      if (!s) throw new UserError(`subject ${r[0]} is not in the sidecar`, { file: f, line: j + 2 });
      rows.set(key, { cells: r, at: s.row, file: f, info: s });
    });
  });

  // Failures the shards recorded, to say why a subject is missing.
  const errors: string[][] = [];
  const failedWhy = new Map<string, string>();
  for (const f of files) {
    const e = errorsPath(f);
    if (!existsSync(e)) continue;
    const t = parseTable(readFileSync(e, 'utf8'), e);
    for (const r of t.rows) {
      errors.push(r);
      failedWhy.set(subjectKey(r[0]!, r[1]!), `failed: ${r[3] ?? ''}`);
    }
  }

  let order: { key: string; subject: string; session: string }[] | null = null;
  if (opts.manifest !== undefined) {
    const fs: FeatureSet = { file: first.featuresFile.path, sha256: first.featuresFile.sha256, features: first.features, maps: [], labelMaps: [], ratioMaps: [] };
    // Only the subjects and their order are needed: map columns are not looked for (they are carried, unused).
    const cohort = loadCohort([opts.manifest], fs, { lesionThreshold: first.lesionThreshold, gridTolerance: first.gridTolerance });
    order = cohort.subjects.map((s) => ({ key: subjectKey(s.subject, s.session), subject: s.subject, session: s.session }));
    const inCohort = new Set(order.map((o) => o.key));
    for (const [k, r] of rows) if (!inCohort.has(k)) throw new UserError(`subject ${r.cells[0]} (from ${r.file}) is not in the manifest`, { file: opts.manifest });
  }
  const merged = [...rows.entries()];
  if (order) {
    const pos = new Map(order.map((o, i) => [o.key, i]));
    merged.sort((a, b) => pos.get(a[0])! - pos.get(b[0])!);
  } else merged.sort((a, b) => a[1].at - b[1].at);

  const missing: MissingSubject[] = [];
  let missingCount: number;
  if (order) {
    for (const o of order) if (!rows.has(o.key)) missing.push({ subject: o.subject, session: o.session, why: failedWhy.get(o.key) ?? 'in no shard output' });
    missingCount = missing.length;
  } else {
    missingCount = Math.max(0, first.input.subjects - rows.size);
    for (const r of errors) if (!rows.has(subjectKey(r[0]!, r[1]!))) missing.push({ subject: r[0]!, session: r[1]!, why: `failed: ${r[3] ?? ''}` });
  }
  const shardCount = first.shard?.count ?? 0;
  const present = new Set(cars.map((c) => c.shard?.index));
  const absentShards = Array.from({ length: shardCount }, (_, i) => i + 1).filter((i) => !present.has(i));

  const sidecar: Sidecar = {
    ...first,
    toolVersion: toolVersion(),
    command: 'merge',
    shard: null,
    rows: merged.length,
    failed: errors.length,
    missingFeatures: first.missingFeatures.filter((f) => cars.every((c) => c.missingFeatures.includes(f))),
    subjects: merged.map(([, r]) => r.info),
    mergedFrom: files,
  };
  writeCsvAtomic(
    opts.out,
    first.columns,
    merged.map(([, r]) => r.cells),
  );
  writeAtomic(sidecarPath(opts.out), sidecarText(sidecar));
  const errOut = errorsPath(opts.out);
  if (errors.length > 0) writeCsvAtomic(errOut, ERROR_COLUMNS, errors);
  else if (existsSync(errOut)) unlinkSync(errOut);
  const missOut = `${opts.out}.missing.csv`;
  if (missing.length > 0)
    writeCsvAtomic(
      missOut,
      ['subject_id', 'session', 'why'],
      missing.map((m) => [m.subject, m.session, m.why]),
    );
  else if (existsSync(missOut)) unlinkSync(missOut);
  return { out: opts.out, files, rows: merged.length, missingCount, missing, absentShards };
}

/** Why two outputs cannot be merged, or null. */
function differs(a: Sidecar, b: Sidecar): string | null {
  if (a.featuresFile.sha256 !== b.featuresFile.sha256 || JSON.stringify(a.features) !== JSON.stringify(b.features)) return 'made with other feature definitions';
  if (a.lesionThreshold !== b.lesionThreshold) return `lesion threshold ${b.lesionThreshold} vs ${a.lesionThreshold}`;
  if (a.gridTolerance !== b.gridTolerance) return `grid tolerance ${b.gridTolerance} vs ${a.gridTolerance}`;
  if (a.input.kind !== b.input.kind || a.input.sha256 !== b.input.sha256 || a.input.subjects !== b.input.subjects) return 'made from another cohort input (manifest differs)';
  if ((a.shard?.count ?? null) !== (b.shard?.count ?? null)) return `shard count ${b.shard?.count ?? 'none'} vs ${a.shard?.count ?? 'none'}`;
  if (a.shard && b.shard && a.shard.index === b.shard.index) return `both are shard ${a.shard.index}/${a.shard.count}`;
  if (settingsOf(a) !== settingsOf(b)) return 'made with other settings';
  return null;
}
