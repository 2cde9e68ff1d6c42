/**
 * Design matrices for the regression models, with R's term names made readable: a subtype's column
 * is `subtype<k>` against the reference subtype, a numeric covariate is its column name, a level of
 * a text column is `column=level` against its first level, stage is `stage`, and an interaction is
 * `a:b`. Collinear columns are dropped (later ones first) and reported.
 */
import { isMissing, type Cohort } from './cohort.js';
import { independentColumns } from './linalg.js';

export interface DesignSpec {
  subtype: boolean;
  reference: number;
  stage: boolean;
  covariates: string[];
  /** treatment column: a term of its own, and with `interaction` also subtype x treatment */
  treatment: string | null;
  interaction: boolean;
}

export interface Design {
  /** the cohort rows used (complete cases) */
  rows: number[];
  names: string[];
  cols: Float64Array[];
  /** term groups (a categorical variable's levels together) as indices into names/cols */
  groups: { term: string; columns: number[] }[];
  dropped: { term: string; reason: string }[];
}

interface RawColumn {
  name: string;
  group: string;
  values: (i: number) => number;
}

function dummies(c: Cohort, name: string): RawColumn[] {
  const col = c.columns.get(name)!;
  if (col.kind === 'numeric') return [{ name, group: name, values: (i) => col.values[i]! }];
  return col.levels.slice(1).map((lv) => ({ name: `${name}=${lv}`, group: name, values: (i) => (col.values[i] === lv ? 1 : 0) }));
}

/**
 * `subtypeOf` gives the subtype used (the most likely one, or one draw from the posterior).
 * `baseRows` are the candidate subjects; rows with a missing value in any model variable are left out.
 * `intercept` adds a leading column of ones (count models).
 */
export function buildDesign(c: Cohort, spec: DesignSpec, baseRows: readonly number[], subtypeOf: Int32Array, intercept: boolean, center: boolean): Design {
  const vars = [...spec.covariates, ...(spec.treatment !== null ? [spec.treatment] : [])];
  const rows = baseRows.filter((i) => vars.every((v) => !isMissing(c.columns.get(v)!, i)));
  const raw: RawColumn[] = [];
  if (intercept) raw.push({ name: '(Intercept)', group: '(Intercept)', values: () => 1 });
  const present = new Set(rows.map((i) => subtypeOf[i]!));
  const others = Array.from({ length: c.subtypes }, (_, k) => k).filter((k) => k !== spec.reference && present.has(k));
  if (spec.subtype) for (const k of others) raw.push({ name: `subtype${k}`, group: 'subtype', values: (i) => (subtypeOf[i] === k ? 1 : 0) });
  if (spec.stage) raw.push({ name: 'stage', group: 'stage', values: (i) => c.stage[i]! });
  for (const v of spec.covariates) raw.push(...dummies(c, v));
  const treat = spec.treatment !== null ? dummies(c, spec.treatment) : [];
  raw.push(...treat);
  if (spec.interaction && spec.subtype) {
    for (const k of others) for (const t of treat) raw.push({ name: `subtype${k}:${t.name}`, group: `subtype:${spec.treatment}`, values: (i) => (subtypeOf[i] === k ? t.values(i) : 0) });
  }
  const allCols = raw.map((r) => Float64Array.from(rows, (i) => r.values(i)));
  const keep = independentColumns(allCols, center);
  const d: Design = { rows, names: [], cols: [], groups: [], dropped: [] };
  raw.forEach((r, j) => {
    if (!keep[j]) {
      d.dropped.push({ term: r.name, reason: allCols[j]!.every((v) => v === allCols[j]![0]) ? 'the same value for every subject in the model' : 'collinear with earlier terms' });
      return;
    }
    const idx = d.names.push(r.name) - 1;
    d.cols.push(allCols[j]!);
    const g = d.groups.find((x) => x.term === r.group);
    if (g) g.columns.push(idx);
    else d.groups.push({ term: r.group, columns: [idx] });
  });
  return d;
}
