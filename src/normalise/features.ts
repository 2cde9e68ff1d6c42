import { UserError } from '../common/errors.js';
import { isNumericColumn } from './cohort.js';
import type { ColumnTable } from './table.js';
import { IS_CONTROL, type Direction, type FitOptions, type Transform } from './types.js';

export interface ResolvedFeature {
  name: string;
  transform: Transform;
  abnormal: Direction;
}

/**
 * Which columns are features, their direction and transform. Precedence: the command-line lists,
 * then the extract sidecar's definitions, then the defaults (decrease is abnormal, no transform).
 */
export function resolveFeatures(table: ColumnTable, o: FitOptions, notes: string[] = []): ResolvedFeature[] {
  const file = table.file;
  const defs = new Map((o.featureDefs ?? []).map((d) => [d.name, d]));
  const roleCovariate = new Set((o.featureDefs ?? []).filter((d) => d.role === 'covariate').map((d) => d.name));
  const reserved = new Map<string, string>([
    [o.subjectColumn, 'the subject column'],
    [o.sessionColumn, 'the session column'],
    [o.controlColumn, 'the control column'],
    [IS_CONTROL, 'the control flag written by normalise'],
  ]);
  for (const c of o.covariates) reserved.set(c, 'a covariate');
  if (o.harmonise === 'combat') reserved.set(o.siteColumn, 'the site column');

  let names: string[];
  if (o.features !== undefined) {
    names = o.features;
  } else if (o.featureDefs !== undefined) {
    names = o.featureDefs.filter((d) => d.role !== 'covariate').map((d) => d.name);
    for (const n of names) {
      if (!table.columns.includes(n)) throw new UserError(`the feature sidecar names feature "${n}", which is not a column of the table`, { file, field: n });
    }
    // extract leaves a feature empty for every subject when the input cannot give it (e.g. a map
    // feature from a volume table): skip it, say so, rather than fail on "0 controls".
    const empty = names.filter((n) => isEmptyColumn(table, table.columns.indexOf(n)));
    if (empty.length > 0) {
      notes.push(`feature(s) ${empty.join(', ')} of the feature sidecar are empty for every row and were left out`);
      names = names.filter((n) => !empty.includes(n));
    }
  } else {
    const candidates = table.columns.filter((c) => !reserved.has(c) && !roleCovariate.has(c));
    names = candidates.filter((c) => isNumericColumn(table, table.columns.indexOf(c), o.subjectColumn));
    const empty = candidates.filter((c) => isEmptyColumn(table, table.columns.indexOf(c)));
    if (empty.length > 0) notes.push(`column(s) ${empty.join(', ')} are empty in every row and were left out of the features`);
  }
  if (names.length === 0) {
    throw new UserError('no feature columns: name them with --features (or give the extract sidecar with --features-sidecar)', { file });
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new UserError(`feature "${n}" is named twice`, { file, field: n });
    seen.add(n);
    if (!table.columns.includes(n)) throw new UserError(`missing feature column "${n}" (columns: ${table.columns.join(', ')})`, { file, field: n });
    const r = reserved.get(n);
    if (r !== undefined) throw new UserError(`"${n}" is ${r}, so it cannot also be a feature`, { file, field: n });
    if (roleCovariate.has(n)) throw new UserError(`"${n}" is a covariate (role "covariate" in the feature sidecar), not a feature`, { file, field: n });
  }
  for (const [flag, list] of [
    ['--higher-is-abnormal', o.higherIsAbnormal],
    ['--lower-is-abnormal', o.lowerIsAbnormal],
    ['--log', o.log],
  ] as const) {
    for (const n of list) if (!seen.has(n)) throw new UserError(`${flag} names "${n}", which is not one of the features (${names.join(', ')})`, { field: n });
  }
  for (const n of o.higherIsAbnormal) {
    if (o.lowerIsAbnormal.includes(n)) throw new UserError(`"${n}" is named by both --higher-is-abnormal and --lower-is-abnormal`, { field: n });
  }
  return names.map((name) => {
    const d = defs.get(name);
    const abnormal: Direction = o.higherIsAbnormal.includes(name) ? 'increase' : o.lowerIsAbnormal.includes(name) ? 'decrease' : (d?.abnormal ?? 'decrease');
    const transform: Transform = o.log.includes(name) ? 'log' : (d?.transform ?? 'none');
    return { name, transform, abnormal };
  });
}

/** Every cell missing (empty, NA, NaN, nan). */
function isEmptyColumn(table: ColumnTable, j: number): boolean {
  const c = table.cols[j]!;
  return c.numbers === 0 && c.bad === 0;
}

/** Apply a feature transform; log(1 + x) needs x >= 0 (volumes and lesion loads cannot be negative). */
export function transformValue(v: number, t: Transform, place: { file: string; line: number; subject: string; field: string }): number {
  if (t === 'none' || Number.isNaN(v)) return v;
  if (v < 0) throw new UserError(`${v} is negative, but this feature is log-transformed (log(1 + x) needs x >= 0)`, place);
  return Math.log1p(v);
}
