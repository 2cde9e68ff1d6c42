/**
 * The edges of `ms-subtype outcomes`: read subjects.csv (fit/assign) and the clinical table, join
 * them by subject (and session when both have one), check every value the analyses will use, and
 * write outcomes.json and the CSV tables with their sidecars. Errors name file, line, subject, column.
 */
import { basename, join } from 'node:path';
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { readTable, writeCsvAtomic, type Table } from '../io/csv.js';
import { sha256File } from '../io/hash.js';
import { readJsonValidated } from '../io/json.js';
import { controlMask, readSubjects } from '../io/subjects.js';
import { levelsOf, type Cohort, type Column } from './cohort.js';
import type { AnalysisSettings } from './analyse.js';
import { OUTCOMES_FORMAT, OUTCOMES_FORMAT_VERSION, outcomesSchema, type OutcomesResult } from './schema.js';
import { csvTables } from './tables.js';

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'null']);

export interface Joined {
  cohort: Cohort;
  subjects: OutcomesResult['subjects'];
  warnings: string[];
}

/** What each analysed column must hold; the role decides the check. */
type Role = 'time' | 'event' | 'count' | 'exposure' | 'score' | 'covariate';

function rolesOf(s: AnalysisSettings): Map<string, Role> {
  const r = new Map<string, Role>();
  const set = (c: string, role: Role) => {
    const had = r.get(c);
    if (had !== undefined && had !== role && !(had === 'covariate' || role === 'covariate')) throw new UserError(`column "${c}" is used both as ${had} and as ${role}`, { field: c });
    if (had === undefined || had === 'covariate') r.set(c, role);
  };
  s.covariates.forEach((c) => set(c, 'covariate'));
  if (s.treatment !== null) set(s.treatment, 'covariate');
  s.scores.forEach((c) => set(c, 'score'));
  s.survival.forEach((o) => (set(o.time, 'time'), set(o.event, 'event')));
  s.counts.forEach((o) => (set(o.count, 'count'), set(o.exposure, 'exposure')));
  return r;
}

/** Parse one column of the joined rows by its role; `cells[i]` is subject i's text, `where(i)` its file and line. */
function parseColumn(name: string, role: Role, cells: string[], where: (i: number) => { file: string; line: number; subject: string }): Column {
  const numericCells = cells.every((v) => MISSING.has(v.trim()) || Number.isFinite(Number(v)));
  if (role === 'covariate' && !numericCells) {
    const values = cells.map((v) => (MISSING.has(v.trim()) ? null : v.trim()));
    return { kind: 'categorical', values, levels: levelsOf(values) };
  }
  const values = new Float64Array(cells.length);
  cells.forEach((v, i) => {
    const s = v.trim();
    if (MISSING.has(s)) {
      values[i] = NaN;
      return;
    }
    const x = Number(s);
    const fail = (why: string) => {
      throw new UserError(why, { ...where(i), field: name });
    };
    if (!Number.isFinite(x)) fail(`"${v}" is not a number`);
    if (role === 'time' && x < 0) fail(`negative time ${x}`);
    if (role === 'event' && x !== 0 && x !== 1) fail(`an event column holds 0 (censored) or 1 (event), got "${v}"`);
    if (role === 'count' && (x < 0 || !Number.isInteger(x))) fail(`a count must be a whole number >= 0, got "${v}"`);
    if (role === 'exposure' && !(x > 0)) fail(`exposure must be above 0 (it enters as log(exposure)), got "${v}"`);
    values[i] = x;
  });
  return { kind: 'numeric', values };
}

export function joinInputs(subjectsFile: string, clinicalFile: string, s: AnalysisSettings): Joined {
  const subj = readSubjects(subjectsFile, { requireStages: true });
  const clin: Table = readTable(clinicalFile);
  const a = subj.assignment;
  const carried = subj.carried ?? {};
  const idCol = clin.columns.indexOf('subject_id');
  if (idCol < 0) throw new UserError(`missing column "subject_id" (columns: ${clin.columns.join(', ')})`, { file: clinicalFile, field: 'subject_id' });
  const bySession = carried['session'] !== undefined && clin.columns.includes('session');
  const sesCol = clin.columns.indexOf('session');
  const key = (id: string, ses: string) => (bySession ? `${id}\u0000${ses}` : id);
  const clinRow = new Map<string, number>();
  clin.rows.forEach((r, j) => {
    const k = key(r[idCol]!, bySession ? r[sesCol]! : '');
    if (clinRow.has(k)) throw new UserError(`subject listed twice (first on line ${clinRow.get(k)! + 2})`, { file: clinicalFile, line: j + 2, subject: r[idCol]!, field: 'subject_id' });
    clinRow.set(k, j);
  });
  const matched: number[] = [];
  const clinOf: number[] = [];
  a.subjects.forEach((id, i) => {
    const j = clinRow.get(key(id, bySession ? carried['session']![i]! : ''));
    if (j !== undefined) {
      matched.push(i);
      clinOf.push(j);
    }
  });
  if (matched.length === 0) {
    throw new UserError(
      `no subject of ${basename(subjectsFile)} is in the clinical table (compare subject_id${bySession ? ' and session' : ''}: e.g. "${a.subjects[0]}" vs "${clin.rows[0]?.[idCol] ?? ''}")`,
      { file: clinicalFile, field: 'subject_id' },
    );
  }
  const warnings: string[] = [];
  const onlySubjects = a.subjects.length - matched.length;
  const onlyClinical = clin.rows.length - matched.length;
  if (onlySubjects > 0)
    warnings.push(
      `${onlySubjects} subject(s) of ${basename(subjectsFile)} have no row in ${basename(clinicalFile)} and are left out (first: ${a.subjects.find((_, i) => !matched.includes(i))})`,
    );
  if (onlyClinical > 0) warnings.push(`${onlyClinical} row(s) of ${basename(clinicalFile)} match no subject of ${basename(subjectsFile)} and are ignored`);

  const roles = rolesOf(s);
  const columns = new Map<string, Column>();
  for (const [name, role] of roles) {
    const ci = clin.columns.indexOf(name);
    const fromClinical = ci >= 0;
    if (!fromClinical && carried[name] === undefined) {
      throw new UserError(`missing column "${name}" (it is in neither the clinical table nor the subject table; clinical columns: ${clin.columns.join(', ')})`, {
        file: clinicalFile,
        field: name,
      });
    }
    const cells = matched.map((i, q) => (fromClinical ? clin.rows[clinOf[q]!]![ci]! : carried[name]![i]!));
    const where = (q: number) =>
      fromClinical ? { file: clinicalFile, line: clinOf[q]! + 2, subject: a.subjects[matched[q]!]! } : { file: subjectsFile, line: matched[q]! + 2, subject: a.subjects[matched[q]!]! };
    columns.set(name, parseColumn(name, role, cells, where));
  }
  if (s.treatment !== null && s.treatmentReference !== null) {
    const col = columns.get(s.treatment)!;
    const levels = col.kind === 'categorical' ? col.levels : [];
    if (!levels.includes(s.treatmentReference)) {
      throw new UserError(`treatment reference "${s.treatmentReference}" is not a level of column "${s.treatment}" (levels: ${levels.join(', ') || 'none: the column is numeric'})`, {
        file: clinicalFile,
        field: s.treatment,
      });
    }
    // The reference level first: every other level is compared with it.
    if (col.kind === 'categorical') col.levels = [s.treatmentReference, ...levels.filter((l) => l !== s.treatmentReference)];
  }
  const K = a.subtypes;
  if (s.referenceSubtype >= K) throw new UserError(`reference subtype ${s.referenceSubtype} does not exist (the subject table has subtypes 0..${K - 1})`, { field: '--reference-subtype' });
  const ctrl = controlMask(carried, a.subjects.length);
  const cohort: Cohort = {
    subjects: matched.map((i) => a.subjects[i]!),
    subtype: Int32Array.from(matched, (i) => a.mlSubtype[i]!),
    stage: Int32Array.from(matched, (i) => a.mlStage[i]!),
    probs: Float64Array.from({ length: matched.length * K }, (_, q) => a.probSubtype[matched[Math.floor(q / K)]! * K + (q % K)]!),
    subtypes: K,
    isControl: Uint8Array.from(matched, (i) => (ctrl[i] ? 1 : 0)),
    columns,
  };
  let controls = 0;
  let stage0 = 0;
  for (let i = 0; i < cohort.subjects.length; i++) {
    if (cohort.isControl[i] === 1) controls++;
    else if (cohort.stage[i] === 0) stage0++;
  }
  return {
    cohort,
    warnings,
    subjects: {
      subjectsFile: a.subjects.length,
      clinicalFile: clin.rows.length,
      matched: matched.length,
      onlyInSubjects: onlySubjects,
      onlyInClinical: onlyClinical,
      controls,
      stage0,
      staged: matched.length - controls - stage0,
    },
  };
}

export function outcomesHeader(s: AnalysisSettings, subjectsFile: string, clinicalFile: string): Pick<OutcomesResult, 'format' | 'formatVersion' | 'toolVersion' | 'settings' | 'inputs'> {
  return {
    format: OUTCOMES_FORMAT,
    formatVersion: OUTCOMES_FORMAT_VERSION,
    toolVersion: toolVersion(),
    settings: s,
    inputs: {
      subjects: { file: basename(subjectsFile), sha256: sha256File(subjectsFile) },
      clinical: { file: basename(clinicalFile), sha256: sha256File(clinicalFile) },
    },
  };
}

/** DIR/outcomes.json last, after the CSV tables and their sidecars: its presence means the set is complete. */
export function writeOutcomes(dir: string, r: OutcomesResult): string[] {
  const written: string[] = [];
  for (const t of csvTables(r)) {
    const p = join(dir, t.file);
    writeCsvAtomic(p, t.columns, t.rows);
    writeJsonAtomic(`${p}.json`, { toolVersion: r.toolVersion, table: t.file, description: t.description, columns: t.columnHelp, settings: r.settings, inputs: r.inputs });
    written.push(p);
  }
  const main = join(dir, 'outcomes.json');
  writeJsonAtomic(main, r);
  written.push(main);
  return written;
}

export function readOutcomes(file: string): OutcomesResult {
  return readJsonValidated(file, outcomesSchema, 'outcomes file');
}
