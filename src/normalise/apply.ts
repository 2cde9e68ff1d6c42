import { UserError } from '../common/errors.js';
import type { Table } from '../io/csv.js';
import type { ZTable } from '../sustain/types.js';
import { readCohort, readFeatureValues } from './cohort.js';
import { harmoniseValue } from './combat.js';
import { encodeRows, unseenLevel } from './design.js';
import { transformValue } from './features.js';
import { DEFAULTS, IS_CONTROL, type ApplyOptions, type Normaliser, type ZResult } from './types.js';
import { DEFAULT_ZMAX, exceedanceMessage, zExceedance } from './exceedance.js';

/**
 * z-scores of every row of a table with a fitted normaliser:
 *   z = sign * (y - predicted) / sd,  y = transform(value) (then ComBat-harmonised, if fitted).
 * The fit run computes its own output through this function, so `--apply` on the same table gives
 * the same bytes. Missing feature values stay NaN (empty in the CSV).
 */
export function applyNormaliser(nz: Normaliser, table: Table, options: Partial<ApplyOptions> = {}): ZResult {
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
  const raw = readFeatureValues(table, cohort, names);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const enc = encodeRows(cohort, nz.covariates, all, { siteColumn: st.siteColumn, allowNewSites, intercept: true });
  const p = enc.p;
  if (p !== nz.designColumns.length) throw new UserError('the normaliser is inconsistent: its covariates do not give its design columns');
  const newSite = Uint8Array.from(enc.unseen);

  // ComBat site of each row (-1: unseen site, left unadjusted under --allow-new-sites).
  const siteOf = new Int32Array(n).fill(-1);
  if (cm) {
    const index = new Map(cm.sites.map((s, k) => [s, k]));
    const vals = cohort.covariates.get(cm.batchColumn)!;
    for (let r = 0; r < n; r++) {
      const k = index.get(vals[r]!);
      if (k !== undefined) siteOf[r] = k;
      else if (allowNewSites) newSite[r] = 1;
      else {
        const place = { file: cohort.file, line: cohort.lines[r], subject: cohort.subjects[r], field: cm.batchColumn };
        throw unseenLevel({ name: cm.batchColumn, levels: cm.sites }, vals[r]!, place, true);
      }
    }
  }

  const coef = nz.features.map((f) => Float64Array.from(nz.designColumns, (c) => f.coefficients[c]!));
  const combatBeta = cm ? cm.features.map((f) => Float64Array.from(cm.protectedColumns, (c) => f.beta[c]!)) : [];
  const z = new Float64Array(n * F);
  // Built only when a cell is at fault (no object per cell in the hot loop).
  const placeOf = (r: number, g: number) => ({ file: cohort.file, line: cohort.lines[r]!, subject: cohort.subjects[r]!, field: names[g]! });
  for (let r = 0; r < n; r++) {
    for (let g = 0; g < F; g++) {
      const f = nz.features[g]!;
      const x = raw[r * F + g]!;
      let y = f.transform === 'none' ? x : transformValue(x, f.transform, placeOf(r, g));
      if (Number.isNaN(y)) {
        z[r * F + g] = NaN;
        continue;
      }
      if (cm && siteOf[r]! >= 0) {
        const cf = cm.features[g]!;
        const site = cm.sites[siteOf[r]!]!;
        y = harmoniseValue(y, enc.X, r * p + 1, p - 1, cf.alpha, combatBeta[g]!, cf.sigma, cf.gammaStar[site]!, cf.deltaStar[site]!);
      }
      let pred = 0;
      for (let j = 0; j < p; j++) pred += enc.X[r * p + j]! * coef[g]![j]!;
      if (enc.unseen[r]) pred += f.meanLevelEffect[st.siteColumn]!;
      const v = (f.sign * (y - pred)) / f.sd;
      if (!Number.isFinite(v)) throw new UserError(`z-score is not finite (${v})`, placeOf(r, g));
      z[r * F + g] = v;
    }
  }

  const notes: string[] = [];
  const newSiteSubjects = cohort.subjects.filter((_, r) => newSite[r]);
  if (newSiteSubjects.length > 0) {
    const levels = [...new Set(cohort.covariates.get(cm ? cm.batchColumn : st.siteColumn)!.filter((_, r) => newSite[r]))];
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
      const v = Number(vals[r]);
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
  const carriedIdx = carriedCols.map((c) => table.columns.indexOf(c));
  const carried: Record<string, string[]> = {};
  carriedCols.forEach((c, k) => (carried[c] = table.rows.map((row) => row[carriedIdx[k]!]!)));
  const columns = [st.subjectColumn, ...(cohort.sessions ? [st.sessionColumn] : []), ...carriedCols, IS_CONTROL, ...names];
  // Rows are made on demand (the writer takes them 10,000 at a time): all of them at once would
  // double normalise's memory for a big table.
  const rowAt = (r: number): (string | number)[] => {
    const row: (string | number)[] = [cohort.subjects[r]!];
    if (cohort.sessions) row.push(cohort.sessions[r]!);
    for (const j of carriedIdx) row.push(table.rows[r]![j]!);
    row.push(cohort.isControl[r] ? 1 : 0);
    for (let g = 0; g < F; g++) row.push(z[r * F + g]!);
    return row;
  };
  return {
    columns,
    rowAt,
    get rows() {
      return cohort.subjects.map((_, r) => rowAt(r));
    },
    features: names,
    subjects: cohort.subjects,
    sessions: cohort.sessions,
    isControl: cohort.isControl,
    z,
    carried,
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
  for (let r = 0; r < res.subjects.length; r++) if (includeControls || !res.isControl[r]) keep.push(r);
  const F = res.features.length;
  const values = new Float64Array(keep.length * F);
  keep.forEach((r, i) => values.set(res.z.subarray(r * F, (r + 1) * F), i * F));
  const carried: Record<string, string[]> = {};
  if (res.sessions) carried[res.columns[1]!] = keep.map((r) => res.sessions![r]!);
  for (const [k, v] of Object.entries(res.carried)) carried[k] = keep.map((r) => v[r]!);
  carried[IS_CONTROL] = keep.map((r) => String(res.isControl[r]));
  return { subjects: keep.map((r) => res.subjects[r]!), biomarkers: [...res.features], values, carried };
}
