import { readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, resolve, isAbsolute, join } from 'node:path';
import { UserError } from '../common/errors.js';
import { parseTable, readTable } from '../io/csv.js';
import { sha256Bytes } from '../io/hash.js';
import type { FeatureSet } from './features.js';
import { measureFromVolumesChecked, type PartialFeature } from './measure.js';
import { sniffTable, parseAsegStats, parseAsegstats2table, parseSynthsegVolumes, type TableSubject, type SubjectFrom } from './tables.js';
import { discoverBids, type BidsOptions } from './bids.js';
import type { Cohort, CohortSubject, InputKind, SubjectTask } from './types.js';
import { subjectKey } from './types.js';
import { checkColumnClash } from './columns.js';

export { ID_COLUMNS } from './columns.js';

/**
 * Turn what the user pointed at into a cohort: a list of subjects in input order, each with its
 * carried columns and either a task (files to read) or a ready result (volume tables).
 */
export interface CohortOptions extends BidsOptions {
  /** Force the input kind instead of sniffing it. */
  format?: InputKind | 'auto';
  /** CSV/TSV of covariates (subject_id or participant_id, optional session, other columns) joined onto any input. */
  covariates?: string;
  lesionThreshold: number;
  gridTolerance: number;
  /** aseg.stats subject ids: `# subjectname` (else the folder) or always the folder above stats/. */
  subjectFrom?: SubjectFrom;
}

const LABEL_COLUMNS = ['labels'];
const LESION_COLUMNS = ['lesion_mask', 'lesion'];

export function loadCohort(inputs: string[], fs: FeatureSet, opts: CohortOptions): Cohort {
  const c = loadInput(inputs, fs, opts);
  if (opts.covariates !== undefined) joinCovariates(c, opts.covariates, fs);
  return c;
}

/**
 * Covariates from a separate table (for volume tables, which carry none): matched on subject_id
 * (or BIDS participant_id) and, when the table has one, session. Subjects it lacks get empty cells.
 */
function joinCovariates(c: Cohort, file: string, fs: FeatureSet): void {
  const t = readTable(file);
  const iSub = t.columns.findIndex((x) => x === 'subject_id' || x === 'participant_id');
  if (iSub < 0) throw new UserError('missing column "subject_id" (or "participant_id")', { file, field: 'subject_id' });
  const iSes = t.columns.indexOf('session');
  const cols = t.columns.map((_, j) => j).filter((j) => j !== iSub && j !== iSes);
  const names = cols.map((j) => t.columns[j]!);
  for (const n of names) {
    if (c.carriedColumns.includes(n)) throw new UserError(`column "${n}" is already carried from the input`, { file, field: n });
  }
  checkColumnClash([...c.carriedColumns, ...names], fs);
  const values = new Map<string, string[]>();
  t.rows.forEach((r, i) => {
    const k = subjectKey(r[iSub]!, iSes >= 0 ? r[iSes]! : '');
    if (values.has(k)) throw new UserError(`subject ${r[iSub]} is listed twice`, { file, line: i + 2, subject: r[iSub]! });
    values.set(
      k,
      cols.map((j) => (r[j] === 'n/a' ? '' : r[j]!)),
    );
  });
  let missing = 0;
  for (const s of c.subjects) {
    const v = values.get(subjectKey(s.subject, iSes >= 0 ? s.session : ''));
    if (!v) missing++;
    s.carried.push(...(v ?? names.map(() => '')));
  }
  c.carriedColumns.push(...names);
  c.covariates = { path: file, sha256: sha256Bytes(readFileSync(file)) };
  if (missing > 0) (c.notes ??= []).push(`${missing} subject(s) are not in ${file}: their covariate cells are empty`);
}

function loadInput(inputs: string[], fs: FeatureSet, opts: CohortOptions): Cohort {
  if (inputs.length === 0) throw new UserError('no input given (a manifest CSV, a BIDS derivatives folder or a volume table)');
  for (const p of inputs) if (!existsSync(p)) throw new UserError('input not found', { file: p });
  const format = opts.format ?? 'auto';
  if (inputs.length === 1 && statSync(inputs[0]!).isDirectory() && (format === 'auto' || format === 'aseg-stats')) {
    // A FreeSurfer SUBJECTS_DIR: <subject>/stats/aseg.stats (fMRIPrep's sourcedata/freesurfer too).
    const dir = inputs[0]!;
    const subdirs = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const stats = subdirs.map((d) => join(dir, d, 'stats', 'aseg.stats')).filter((f) => existsSync(f));
    const anat = subdirs.some((d) => d.startsWith('sub-') && (existsSync(join(dir, d, 'anat')) || readdirSync(join(dir, d)).some((x) => x.startsWith('ses-'))));
    if (stats.length > 0 && (format === 'aseg-stats' || !anat))
      return asegStatsCohort(
        stats,
        stats.map((f) => readFileSync(f, 'utf8')),
        fs,
        opts.subjectFrom,
      );
    if (format === 'aseg-stats') throw new UserError('no <subject>/stats/aseg.stats files in this folder', { file: dir });
  }
  if (format === 'bids' || (format === 'auto' && inputs.length === 1 && statSync(inputs[0]!).isDirectory())) {
    if (inputs.length !== 1) throw new UserError('give one BIDS derivatives folder');
    return discoverBids(inputs[0]!, fs, opts);
  }
  for (const p of inputs) if (statSync(p).isDirectory()) throw new UserError('a folder is read as BIDS derivatives only when it is the only input', { file: p });
  const texts = inputs.map((p) => readFileSync(p, 'utf8'));
  const kinds = texts.map((t) => (format === 'auto' ? (sniffTable(t) ?? 'manifest') : format));
  if (kinds.every((k) => k === 'aseg-stats')) return asegStatsCohort(inputs, texts, fs, opts.subjectFrom);
  if (inputs.length > 1) throw new UserError(`several inputs are accepted only for aseg.stats files (got ${kinds.join(', ')})`);
  const kind = kinds[0]!;
  const file = inputs[0]!;
  const text = texts[0]!;
  if (kind === 'asegstats2table' || kind === 'synthseg') {
    const rows = kind === 'asegstats2table' ? parseAsegstats2table(text, file) : parseSynthsegVolumes(text, file);
    return tableCohort(kind, [file], sha256Bytes(text), rows, fs);
  }
  return manifestCohort(file, text, fs, opts);
}

function tableCohort(kind: InputKind, source: string[], sha: string | undefined, rows: TableSubject[], fs: FeatureSet): Cohort {
  const partial = new Map<string, { missing: Set<number>; subjects: string[] }>();
  const subjects: CohortSubject[] = rows.map((r, row) => {
    const m = measureFromVolumesChecked(r, fs.features);
    for (const p of m.partial) notePartial(partial, p, r.subject);
    return { row, subject: r.subject, session: r.session, carried: [], result: { ok: true, row, values: m.values, inputs: [], lesionSource: 'labels' } };
  });
  const c: Cohort = { kind, source, carriedColumns: [], subjects };
  if (sha !== undefined) c.sourceSha256 = sha;
  // A sum over part of a feature's labels is not the feature: say so loudly (FreeSurfer 5.x white
  // matter read as corpus callosum alone was 3,000 mm3 instead of 494,000).
  for (const [feature, p] of partial) {
    const n = p.subjects.length;
    (c.notes ??= []).push(
      `feature ${feature} is only partly in the table for ${n === rows.length ? 'every subject' : `${n} subject(s) (e.g. ${p.subjects[0]})`}: ` +
        `labels ${[...p.missing].sort((a, b) => a - b).join(', ')} are absent, so its values are the sum of the rest`,
    );
  }
  return c;
}

function notePartial(acc: Map<string, { missing: Set<number>; subjects: string[] }>, p: PartialFeature, subject: string): void {
  let e = acc.get(p.feature);
  if (!e) acc.set(p.feature, (e = { missing: new Set(), subjects: [] }));
  for (const l of p.missing) e.missing.add(l);
  e.subjects.push(subject);
}

function asegStatsCohort(files: string[], texts: string[], fs: FeatureSet, subjectFrom: SubjectFrom = 'auto'): Cohort {
  const rows = texts.map((t, i) => parseAsegStats(t, files[i]!, subjectFrom));
  const seen = new Map<string, string>();
  rows.forEach((r, i) => {
    const k = subjectKey(r.subject, r.session);
    if (seen.has(k)) {
      const hint = subjectFrom === 'folder' ? '' : ' (copied "# subjectname"? use --subject-from folder)';
      throw new UserError(`subject ${r.subject} also comes from ${seen.get(k)}${hint}`, { file: files[i]! });
    }
    seen.set(k, files[i]!);
  });
  const c = tableCohort('aseg-stats', files, undefined, rows, fs);
  c.subjects.forEach((s, i) => {
    if (s.result?.ok) s.result.inputs = [{ role: 'aseg_stats', path: files[i]!, sha256: sha256Bytes(texts[i]!) }];
  });
  return c;
}

/**
 * Manifest CSV: subject_id, optional session, labels (label map or aseg.stats), optional
 * lesion_mask, one column per scalar map the features use (named as the map), anything else carried.
 * Paths are relative to the manifest's folder. An empty lesion cell means no mask (lesion load from
 * the fallback labels); an empty map cell leaves that subject's mean features missing.
 */
function manifestCohort(file: string, text: string, fs: FeatureSet, opts: CohortOptions): Cohort {
  const t = parseTable(text, file);
  const find = (names: string[]) => t.columns.findIndex((c) => names.includes(c));
  const iSub = t.columns.indexOf('subject_id');
  if (iSub < 0) throw new UserError(`missing column "subject_id" (columns: ${t.columns.join(', ')})`, { file, field: 'subject_id' });
  const iSes = t.columns.indexOf('session');
  const iLab = find(LABEL_COLUMNS);
  if (iLab < 0) throw new UserError(`missing column "labels" (the label map of each subject; columns: ${t.columns.join(', ')})`, { file, field: 'labels' });
  const iLes = find(LESION_COLUMNS);
  const mapCols = fs.maps.map((m) => {
    const j = t.columns.indexOf(m);
    if (j < 0) throw new UserError(`the features average scalar map "${m}" but the manifest has no column "${m}" with its files`, { file, field: m });
    return j;
  });
  const need = (name: string, why: string) => {
    const j = t.columns.indexOf(name);
    if (j < 0) throw new UserError(`${why} but the manifest has no column "${name}" with its files`, { file, field: name });
    return j;
  };
  const labelMapCols = fs.labelMaps.map((m) => need(m, `features use label map "${m}"`));
  const ratioCols = fs.ratioMaps.map(
    (r) => [need(r.numerator, `ratio map "${r.name}" divides "${r.numerator}"`), need(r.denominator, `ratio map "${r.name}" divides by "${r.denominator}"`)] as const,
  );
  const used = new Set([iSub, iSes, iLab, iLes, ...mapCols, ...labelMapCols, ...ratioCols.flat()].filter((j) => j >= 0));
  const carriedIdx = t.columns.map((_, j) => j).filter((j) => !used.has(j));
  const carriedColumns = carriedIdx.map((j) => t.columns[j]!);
  checkColumnClash(carriedColumns, fs);
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const seen = new Map<string, number>();
  const subjects = t.rows.map((r, row): CohortSubject => {
    const line = row + 2;
    const subject = r[iSub]!;
    if (subject === '') throw new UserError('empty subject_id', { file, line, field: 'subject_id' });
    const session = iSes >= 0 ? r[iSes]! : '';
    const key = subjectKey(subject, session);
    if (seen.has(key)) {
      throw new UserError(`subject ${subject}${session ? ` session ${session}` : ''} is listed twice (also line ${seen.get(key)})`, { file, line, subject, field: 'subject_id' });
    }
    seen.set(key, line);
    const cell = (j: number) => (j >= 0 ? r[j]! : '');
    const task: SubjectTask = {
      row,
      subject,
      session,
      labels: { path: cell(iLab) === '' ? '' : abs(cell(iLab)), shown: cell(iLab) },
      maps: [],
      extra: [],
      defs: fs.features,
      lesionThreshold: opts.lesionThreshold,
      gridTolerance: opts.gridTolerance,
    };
    if (cell(iLes) !== '') task.lesion = { path: abs(cell(iLes)), shown: cell(iLes) };
    fs.maps.forEach((m, k) => {
      const v = r[mapCols[k]!]!;
      if (v !== '') task.maps.push({ name: m, path: abs(v), shown: v });
    });
    if (fs.labelMaps.length > 0) {
      task.labelMaps = [];
      fs.labelMaps.forEach((m, k) => {
        const v = r[labelMapCols[k]!]!;
        if (v !== '') task.labelMaps!.push({ name: m, path: abs(v), shown: v });
      });
    }
    if (fs.ratioMaps.length > 0) {
      task.ratios = [];
      fs.ratioMaps.forEach((m, k) => {
        const [a, b] = ratioCols[k]!;
        const num = r[a]!;
        const den = r[b]!;
        if (num !== '' && den !== '') {
          task.ratios!.push({ name: m.name, numerator: { path: abs(num), shown: num, column: m.numerator }, denominator: { path: abs(den), shown: den, column: m.denominator } });
        }
      });
    }
    return { row, subject, session, carried: carriedIdx.map((j) => r[j]!), task };
  });
  return { kind: 'manifest', source: [file], sourceSha256: sha256Bytes(text), carriedColumns, subjects };
}
