import { UserError } from '../common/errors.js';
import type { Table } from '../io/csv.js';
import type { ZTable } from '../sustain/types.js';
import { featureColumns, readCohort } from './cohort.js';
import { harmoniseValue } from './combat.js';
import { encodeRows, unseenLevel } from './design.js';
import { transformValue } from './features.js';
import { columnOf, columnsOf, type ColumnTable } from './table.js';
import { DEFAULTS, IS_CONTROL, type ApplyOptions, type Normaliser, type ZResult } from './types.js';
import { DEFAULT_ZMAX, exceedanceMessage, zExceedance } from './exceedance.js';

/** Rows per block of the design matrix. */
const BLOCK = 1 << 16;

/**
 * z-scores of every row of a table with a fitted normaliser:
 *   z = sign * (y - predicted) / sd,  y = transform(value) (then ComBat-harmonised, if fitted).
 * The fit run computes its own output through this function, so `--apply` on the same table gives
 * the same bytes. Missing feature values stay NaN (empty in the CSV).
 */
export function applyNormaliser(nz: Normaliser, input: Table | ColumnTable, options: Partial<ApplyOptions> = {}): ZResult {
  const table = columnsOf(input);
  const allowNewSites = options.allowNewSites ?? DEFAULTS.allowNewSites;
  const st = nz.settings;
  const controlColumn = options.controlColumn ?? st.controlColumn;
  const controlValues = options.controlValues ?? st.controlValues;
  const covNames = nz.covariates.map((c) => c.name);
  const cm = nz.combat;
  const cohortCovs = cm && !covNames.includes(cm.batchColumn) ? [...covNames, cm.batchColumn] : covNames;
  const cohort = readCohort(table, {
    subjectColumn: st.subjectColumn,
    sessionColumn: st.sessionColumn,
    controlColumn,
    controlValues,
    covariates: cohortCovs,
    requireControlColumn: false,
  });
  const n = cohort.n;
  const names = nz.features.map((f) => f.name);
  const F = names.length;
  const raw = featureColumns(table, cohort, names);
  // The design matrix is made BLOCK rows at a time (all rows at once would be p doubles a row):
  // once here to check every row in order and mark unseen sites, again in the z loop.
  const encOpts = { siteColumn: st.siteColumn, allowNewSites, intercept: true };
  const encodeBlock = (from: number) =>
    encodeRows(
      cohort,
      nz.covariates,
      Int32Array.from({ length: Math.min(BLOCK, n - from) }, (_, i) => from + i),
      encOpts,
    );
  const unseen = new Uint8Array(n);
  let p = 0;
  for (let from = 0; from < n; from += BLOCK) {
    const enc = encodeBlock(from);
    unseen.set(enc.unseen, from);
    p = enc.p;
  }
  if (p !== nz.designColumns.length) throw new UserError('the normaliser is inconsistent: its covariates do not give its design columns');
  const newSite = Uint8Array.from(unseen);

  // ComBat site of each row (-1: unseen site, left unadjusted under --allow-new-sites).
  const siteOf = new Int32Array(n).fill(-1);
  if (cm) {
    const index = new Map(cm.sites.map((s, k) => [s, k]));
    const vals = cohort.covariates.get(cm.batchColumn)!;
    for (let r = 0; r < n; r++) {
      const v = vals.text(r);
      const k = index.get(v);
      if (k !== undefined) siteOf[r] = k;
      else if (allowNewSites) newSite[r] = 1;
      else {
        const place = { file: cohort.file, line: cohort.lines[r], subject: cohort.subject(r), field: cm.batchColumn };
        throw unseenLevel({ name: cm.batchColumn, levels: cm.sites }, v, place, true);
      }
    }
  }

  const coef = nz.features.map((f) => Float64Array.from(nz.designColumns, (c) => f.coefficients[c]!));
  const combatBeta = cm ? cm.features.map((f) => Float64Array.from(cm.protectedColumns, (c) => f.beta[c]!)) : [];
  const z = new Float64Array(n * F);
  // Built only when a cell is at fault (no object per cell in the hot loop).
  const placeOf = (r: number, g: number) => ({ file: cohort.file, line: cohort.lines[r]!, subject: cohort.subject(r), field: names[g]! });
  let enc = encodeBlock(0);
  for (let r = 0; r < n; r++) {
    if (r % BLOCK === 0 && r > 0) enc = encodeBlock(r);
    const at = (r % BLOCK) * p;
    for (let g = 0; g < F; g++) {
      const f = nz.features[g]!;
      const x = raw[g]![r]!;
      let y = f.transform === 'none' ? x : transformValue(x, f.transform, placeOf(r, g));
      if (Number.isNaN(y)) {
        z[r * F + g] = NaN;
        continue;
      }
      if (cm && siteOf[r]! >= 0) {
        const cf = cm.features[g]!;
        const site = cm.sites[siteOf[r]!]!;
        y = harmoniseValue(y, enc.X, at + 1, p - 1, cf.alpha, combatBeta[g]!, cf.sigma, cf.gammaStar[site]!, cf.deltaStar[site]!);
      }
      let pred = 0;
      for (let j = 0; j < p; j++) pred += enc.X[at + j]! * coef[g]![j]!;
      if (unseen[r]) pred += f.meanLevelEffect[st.siteColumn]!;
      const v = (f.sign * (y - pred)) / f.sd;
      if (!Number.isFinite(v)) throw new UserError(`z-score is not finite (${v})`, placeOf(r, g));
      z[r * F + g] = v;
    }
  }

  const notes: string[] = [];
  const newSiteSubjects: string[] = [];
  const newLevels = new Set<string>();
  const siteCol = cohort.covariates.get(cm ? cm.batchColumn : st.siteColumn);
  for (let r = 0; r < n; r++) {
    if (!newSite[r]) continue;
    newSiteSubjects.push(cohort.subject(r));
    newLevels.add(siteCol!.text(r));
  }
  if (newSiteSubjects.length > 0) {
    const levels = [...newLevels];
    notes.push(
      `--allow-new-sites: ${newSiteSubjects.length} subject(s) from ${st.siteColumn} level(s) never seen among the controls (${levels.join(', ')}) ` +
        `were given the controls' mean site effect${cm ? ' and no ComBat adjustment' : ''}: ${newSiteSubjects.slice(0, 20).join(', ')}` +
        (newSiteSubjects.length > 20 ? `, ... (all in newSiteSubjects)` : ''),
    );
  }
  for (const s of nz.covariates) {
    if (s.kind !== 'numeric') continue;
    const vals = cohort.covariates.get(s.name)!;
    let out = 0;
    for (let r = 0; r < n; r++) {
      const v = vals.num(r);
      if (v < s.min || v > s.max) out++;
    }
    if (out > 0) notes.push(`${out} subject(s) have ${s.name} outside the controls' range [${s.min}, ${s.max}]: their predictions extrapolate`);
  }
  if (!cohort.hasControlColumn) notes.push(`no "${controlColumn}" column: ${IS_CONTROL} is 0 for every row`);
  let missing = 0;
  for (let i = 0; i < z.length; i++) if (Number.isNaN(z[i]!)) missing++;
  if (missing > 0) notes.push(`${missing} z-score(s) are missing (empty) because the feature value was missing`);
  const above = exceedanceMessage(zExceedance(z, names, DEFAULT_ZMAX), `z = ${DEFAULT_ZMAX} (the default zmax of fit)`);
  if (above !== null) notes.push(`warning: ${above}`);

  // Output: subject, (session), carried columns in input order, is_control, features.
  const featureSet = new Set(names);
  const skip = new Set([st.subjectColumn, st.sessionColumn, IS_CONTROL, ...names]);
  const carriedCols = table.columns.filter((c) => !skip.has(c) && !featureSet.has(c));
  const carriedOf = carriedCols.map((c) => columnOf(table, c)!);
  const session = cohort.session;
  const columns = [st.subjectColumn, ...(session ? [st.sessionColumn] : []), ...carriedCols, IS_CONTROL, ...names];
  // Rows are made on demand (the writer takes them 10,000 at a time), and the text of a cell only
  // when it is written: all rows at once would be a string per cell again.
  const rowAt = (r: number): (string | number)[] => {
    const row: (string | number)[] = [cohort.subject(r)];
    if (session) row.push(session.text(r));
    for (const c of carriedOf) row.push(c.text(r));
    row.push(cohort.isControl[r] ? 1 : 0);
    for (let g = 0; g < F; g++) row.push(z[r * F + g]!);
    return row;
  };
  const texts = (f: (r: number) => string) => Array.from({ length: n }, (_, r) => f(r));
  const once = <T>(make: () => T): (() => T) => {
    let v: T | undefined;
    return () => (v ??= make());
  };
  // Per-row strings, made (once) only when asked for: the command itself writes through rowAt.
  const subjects = once(() => texts(cohort.subject));
  const sessions = once(() => (session ? texts((r) => session.text(r)) : null));
  const carried = once(() => Object.fromEntries(carriedCols.map((c, k) => [c, texts((r) => carriedOf[k]!.text(r))])));
  return {
    columns,
    rowAt,
    get rows() {
      return Array.from({ length: n }, (_, r) => rowAt(r));
    },
    n,
    features: names,
    get subjects() {
      return subjects();
    },
    get sessions() {
      return sessions();
    },
    get carried() {
      return carried();
    },
    isControl: cohort.isControl,
    z,
    newSiteSubjects,
    notes,
  };
}

/**
 * The z table in the engine's shape. Rows with is_control = 1 are left out unless includeControls
 * (fitting SuStaIn on controls too is a known pitfall); is_control and the session are carried.
 */
export function toZTable(res: ZResult, includeControls = false): ZTable {
  const keep: number[] = [];
  for (let r = 0; r < res.n; r++) if (includeControls || !res.isControl[r]) keep.push(r);
  const F = res.features.length;
  const values = new Float64Array(keep.length * F);
  keep.forEach((r, i) => values.set(res.z.subarray(r * F, (r + 1) * F), i * F));
  const carried: Record<string, string[]> = {};
  const sessions = res.sessions;
  if (sessions) carried[res.columns[1]!] = keep.map((r) => sessions[r]!);
  for (const [k, v] of Object.entries(res.carried)) carried[k] = keep.map((r) => v[r]!);
  carried[IS_CONTROL] = keep.map((r) => String(res.isControl[r]));
  const subjects = res.subjects;
  return { subjects: keep.map((r) => subjects[r]!), biomarkers: [...res.features], values, carried };
}
