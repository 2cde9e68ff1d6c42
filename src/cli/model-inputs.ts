/**
 * What `fit` and `cv` fit, from their flags: the table and the model spec of the chosen kind.
 *  - zscore: a z-score table (--data) and thresholds (--zvals/--zmax/--thresholds);
 *  - mixture from likelihoods: --l-yes/--l-no (pySuStaIn's inputs), every row fitted;
 *  - mixture from raw values: --data with --control-column/--control-values; per-biomarker mixtures
 *    fitted on all rows (--mixture gmm|kde, direction detected or --higher/--lower-is-abnormal),
 *    SuStaIn on the patients (--include-controls: on every row).
 * And what `assign` reads for a saved model (raw values, z-scores or --l-yes/--l-no).
 */
import { UserError } from '../common/errors.js';
import { sha256Bytes, sha256File } from '../io/hash.js';
import { readZTable, type ZTableRead } from '../io/ztable.js';
import { headerOf, rawColumns } from './raw-biomarkers.js';
import { groupRead, readLongitudinal, type LongitudinalRead } from '../io/visits.js';
import { resolveThresholds } from '../io/thresholds-file.js';
import { fitMixtures, likelihoodTable, type Direction, type ModelSpec } from '../sustain/index.js';
import type { SustainModelFile, ZTable } from '../sustain/types.js';
import { DEFAULTS as NORMALISE_DEFAULTS } from '../normalise/types.js';

export interface ModelFlags {
  /** the kind (--kind): zscore (default) or mixture */
  kind?: string;
  data?: string;
  lYes?: string;
  lNo?: string;
  zvals: number[];
  zmax: number;
  thresholds?: string;
  mixture?: 'gmm' | 'kde';
  controlColumn?: string;
  controlValues?: string[];
  higherIsAbnormal?: string[];
  lowerIsAbnormal?: string[];
  biomarkers?: string[];
  includeControls?: boolean;
  /** longitudinal data: the visit time column (every kind) */
  time?: string;
}

export interface ModelInput {
  table: ZTable;
  spec: ModelSpec;
  /** lines for the user (threshold warnings, mixture directions) */
  notes: string[];
  dataFile: string;
  dataSha256: string;
  /** e.g. "(sidecar), 12 control rows left out" */
  source: string;
  /** number of biomarkers of the model */
  biomarkers: number;
  /** longitudinal data (--time): the table grouped by subject in time order, with its layout */
  lon?: LongitudinalRead;
}

export const KIND_CHOICES = ['zscore', 'mixture'];

function controlFlags(table: ZTable, column: string, values: readonly string[], file: string): Uint8Array {
  const col = table.carried?.[column];
  if (col === undefined) throw new UserError(`no control column "${column}" (give the column marking the controls with --control-column)`, { file, field: column });
  const flags = Uint8Array.from(col, (v) => (values.includes(v) ? 1 : 0));
  return flags;
}

function directions(biomarkers: readonly string[], higher: readonly string[] = [], lower: readonly string[] = []): (Direction | undefined)[] {
  for (const b of [...higher, ...lower])
    if (!biomarkers.includes(b))
      throw new UserError(`"${b}" is not a biomarker of the data (biomarkers: ${biomarkers.join(', ')})`, { field: higher.includes(b) ? 'higher-is-abnormal' : 'lower-is-abnormal' });
  const both = higher.filter((b) => lower.includes(b));
  if (both.length > 0) throw new UserError(`${both.join(', ')} given as both higher- and lower-is-abnormal`, { field: 'lower-is-abnormal' });
  return biomarkers.map((b) => (higher.includes(b) ? 'higher' : lower.includes(b) ? 'lower' : undefined));
}

/** The rows `keep` of a table as read (with their file lines). */
function keepRows(read: ZTableRead, keep: (i: number) => boolean): ZTableRead {
  const table = read.table;
  const B = table.biomarkers.length;
  const idx: number[] = [];
  for (let i = 0; i < table.subjects.length; i++) if (keep(i)) idx.push(i);
  const values = new Float64Array(idx.length * B);
  idx.forEach((i, r) => values.set(table.values.subarray(i * B, i * B + B), r * B));
  const out: ZTable = { subjects: idx.map((i) => table.subjects[i]!), biomarkers: table.biomarkers, values };
  if (table.carried) out.carried = Object.fromEntries(Object.entries(table.carried).map(([k, v]) => [k, idx.map((i) => v[i]!)]));
  return { ...read, table: out, lines: idx.map((i) => read.lines[i]!) };
}

/**
 * The L_yes/L_no pair as one table (same rows, same biomarkers). Longitudinal (`time`): the L_yes
 * file carries session and the time column; the L_no file lists the same visits in the same order
 * (its own session / time columns, when it has them, must agree row by row).
 */
export function readLikelihoodPair(lYes: string, lNo: string, biomarkers?: string[], time?: string): { table: ZTable; lon?: LongitudinalRead } {
  const yesRead = readZTable(lYes, { ...(biomarkers ? { biomarkers } : {}), includeControls: true, ...(time !== undefined ? { exclude: [time] } : {}) });
  const yes = yesRead.table;
  const noRead = readZTable(lNo, { biomarkers: yes.biomarkers, includeControls: true });
  const table = likelihoodTable(yes, noRead.table, { yes: lYes, no: lNo });
  if (time === undefined) return { table };
  // the L_yes file's own visits first (a missing time is reported there), then the L_no file's agreement
  groupRead(yesRead, time);
  for (const c of ['session', time]) {
    const a = yes.carried?.[c];
    const b = noRead.table.carried?.[c];
    if (a === undefined || b === undefined) continue;
    b.forEach((v, i) => {
      if (v.trim() !== a[i]!.trim())
        throw new UserError(`${c} "${v}" where the L_yes file has "${a[i]}": the two files must list the same visits in the same order`, {
          file: lNo,
          line: noRead.lines[i]!,
          subject: noRead.table.subjects[i]!,
          field: c,
        });
    });
  }
  return { table, lon: groupRead({ ...yesRead, table }, time) };
}

/** The L_yes/L_no pair as one table (cross-sectional). */
export function readLikelihoods(lYes: string, lNo: string, biomarkers?: string[]): ZTable {
  return readLikelihoodPair(lYes, lNo, biomarkers).table;
}

export function readModelInput(o: ModelFlags): ModelInput {
  const kind = o.kind ?? 'zscore';
  if (!KIND_CHOICES.includes(kind)) throw new UserError(`unknown model kind "${kind}" (choose ${KIND_CHOICES.join(' or ')})`, { field: 'kind' });
  const likelihoods = o.lYes !== undefined || o.lNo !== undefined;
  if (kind === 'zscore') {
    if (likelihoods) throw new UserError('--l-yes/--l-no are inputs of the mixture model: add --kind mixture', { field: 'l-yes' });
    if (o.data === undefined) throw new UserError('--data is required', { field: 'data' });
    const readOpts = { biomarkers: o.biomarkers, includeControls: o.includeControls };
    // longitudinal: grouped by subject in time order here, so bad visits are errors naming the line
    const lon = o.time === undefined ? null : readLongitudinal(o.data, o.time, readOpts);
    const read = lon ? lon.read : readZTable(o.data, readOpts);
    const table = lon ? lon.table : read.table;
    const { thresholds, warnings } = resolveThresholds(table.biomarkers, o.zvals, o.zmax, o.thresholds);
    const source = `(${read.biomarkerSource})${read.excludedControls > 0 ? `, ${read.excludedControls} control rows left out` : ''}`;
    return {
      table,
      spec: { kind: 'zscore', ...thresholds },
      notes: [...read.notes.map((n) => `note: ${n}`), ...warnings],
      dataFile: o.data,
      dataSha256: sha256File(o.data),
      source,
      biomarkers: table.biomarkers.length,
      ...(lon ? { lon } : {}),
    };
  }
  if (likelihoods) {
    if (o.lYes === undefined || o.lNo === undefined) throw new UserError('give both --l-yes and --l-no', { field: o.lYes === undefined ? 'l-yes' : 'l-no' });
    if (o.data !== undefined) throw new UserError('give either --data (raw values) or --l-yes/--l-no (likelihoods), not both', { field: 'data' });
    const { table, lon } = readLikelihoodPair(o.lYes, o.lNo, o.biomarkers, o.time);
    const B = table.biomarkers.length / 2;
    return {
      table: lon ? lon.table : table,
      spec: { kind: 'mixture', nBiomarkers: B, input: 'likelihoods' },
      notes: [],
      dataFile: `${o.lYes} ${o.lNo}`,
      dataSha256: pairSha(o.lYes, o.lNo),
      source: '(L_yes / L_no)',
      biomarkers: B,
      ...(lon ? { lon } : {}),
    };
  }
  if (o.data === undefined) throw new UserError('the mixture model needs --data (raw values) or --l-yes/--l-no', { field: 'data' });
  const column = o.controlColumn ?? NORMALISE_DEFAULTS.controlColumn;
  const cols = rawColumns(o.data, { ...(o.biomarkers ? { biomarkers: o.biomarkers } : {}), controlColumn: column, ...(o.time !== undefined ? { time: o.time } : {}) });
  const read = readZTable(o.data, { ...(cols.biomarkers ? { biomarkers: cols.biomarkers } : {}), includeControls: true, exclude: cols.exclude });
  const all = read.table;
  const values = o.controlValues ?? [...NORMALISE_DEFAULTS.controlValues];
  const isControl = controlFlags(all, column, values, o.data);
  const nCtrl = isControl.reduce((a, v) => a + v, 0);
  if (nCtrl < 2)
    throw new UserError(`${nCtrl} row(s) have ${column} = ${values.join(' or ')}: the mixtures start from the controls (name them with --control-column and --control-values)`, {
      file: o.data,
      field: column,
    });
  // longitudinal: every row's visit checked (controls' too) before anything is fitted
  if (o.time !== undefined) groupRead(read, o.time);
  // every visit of every subject: the mixture describes a biomarker's values, and the later visits
  // hold most of the abnormal ones (docs/longitudinal.md); the same mixtures as the table fitted
  // cross-sectionally, so the two fits differ by the model only
  const given = directions(all.biomarkers, o.higherIsAbnormal, o.lowerIsAbnormal).map((d, b) => d ?? cols.directions.get(all.biomarkers[b]!));
  const mixtures = fitMixtures(all.biomarkers, all.values, isControl, o.mixture ?? 'gmm', given);
  const notes =
    cols.why === null
      ? []
      : [
          `note: mixture biomarkers from ${cols.why}: ${all.biomarkers.join(', ')}${cols.leftOut.length > 0 ? `; left out as covariates: ${cols.leftOut.join(', ')}` : ''} (name them with --biomarkers)`,
        ];
  notes.push(
    ...mixtures.map((m, b) => {
      const comp =
        m.type === 'gmm'
          ? `normal N(${m.normal.mean.toPrecision(4)}, ${m.normal.sd.toPrecision(3)}), abnormal N(${m.abnormalComponent.mean.toPrecision(4)}, ${m.abnormalComponent.sd.toPrecision(3)})`
          : `KDE, bandwidth ${m.bandwidth.toPrecision(3)}`;
      const from =
        o.higherIsAbnormal?.includes(all.biomarkers[b]!) || o.lowerIsAbnormal?.includes(all.biomarkers[b]!)
          ? m.directionFrom
          : cols.directions.has(all.biomarkers[b]!)
            ? 'from the feature definitions'
            : m.directionFrom;
      return `${all.biomarkers[b]}: ${m.abnormal} is abnormal (${from}); ${comp}, abnormal weight ${m.weight.toFixed(3)}`;
    }),
  );
  const kept = o.includeControls ? read : keepRows(read, (i) => isControl[i] === 0);
  const lon = o.time === undefined ? undefined : groupRead(kept, o.time);
  const source = `(${cols.biomarkers && cols.why !== null ? 'feature definitions' : read.biomarkerSource}), mixtures fitted on ${all.subjects.length} rows (${nCtrl} controls, ${column} = ${values.join('/')})${o.includeControls ? '' : `, ${nCtrl} control rows left out of the fit`}`;
  const spec: ModelSpec = { kind: 'mixture', nBiomarkers: all.biomarkers.length, input: 'raw', mixtures };
  return { table: lon ? lon.table : kept.table, spec, notes, dataFile: o.data, dataSha256: sha256File(o.data), source, biomarkers: all.biomarkers.length, ...(lon ? { lon } : {}) };
}

/** The table `assign` scores with a saved model: likelihoods for a mixture model fitted on them, else --data. */
export function readAssignInput(
  model: SustainModelFile | { method: 'kmeans'; biomarkers: string[] },
  o: { data?: string; lYes?: string; lNo?: string },
): { table: ZTable; file: string; sha256: string; notes: string[] } {
  if (model.method === 'sustain-mixture' && model.input === 'likelihoods') {
    if (o.lYes === undefined || o.lNo === undefined) throw new UserError('this mixture model was fitted on likelihoods: give --l-yes and --l-no', { field: 'l-yes' });
    return { table: readLikelihoods(o.lYes, o.lNo, model.biomarkers), file: `${o.lYes} ${o.lNo}`, sha256: pairSha(o.lYes, o.lNo), notes: [] };
  }
  if (o.lYes !== undefined || o.lNo !== undefined)
    throw new UserError(`--l-yes/--l-no are for a mixture model fitted on likelihoods; this ${model.method} model takes --data`, { field: 'l-yes' });
  if (o.data === undefined) throw new UserError('--data is required', { field: 'data' });
  const read = readZTable(o.data, { biomarkers: model.biomarkers, includeControls: true });
  return { table: read.table, file: o.data, sha256: sha256File(o.data), notes: read.notes };
}

export interface AssignFiles {
  data?: string;
  lYes?: string;
  lNo?: string;
}

/**
 * Longitudinal input of `assign` (and its --history): the visits grouped by subject in time order,
 * from --data (z-scores, or raw values for a raw mixture model) or --l-yes/--l-no (a mixture model
 * fitted on likelihoods). Null when the data has no `time` column and the time was not given
 * explicitly (the model's own time column: the data is then cross-sectional).
 */
export function readAssignVisits(model: SustainModelFile, o: AssignFiles, time: string, explicit: boolean): { lon: LongitudinalRead; file: string; sha256: string } | null {
  if (model.method === 'sustain-mixture' && model.input === 'likelihoods') {
    if (o.lYes === undefined || o.lNo === undefined) return null;
    if (!explicit && !headerOf(o.lYes).includes(time)) return null;
    const { lon } = readLikelihoodPair(o.lYes, o.lNo, model.biomarkers, time);
    return { lon: lon!, file: `${o.lYes} ${o.lNo}`, sha256: pairSha(o.lYes, o.lNo) };
  }
  if (o.data === undefined) return null;
  if (!explicit && !headerOf(o.data).includes(time)) return null;
  return { lon: readLongitudinal(o.data, time, { biomarkers: model.biomarkers, includeControls: true }), file: o.data, sha256: sha256File(o.data) };
}

/** One hash for the L_yes/L_no pair. */
function pairSha(yes: string, no: string): string {
  return sha256Bytes(`${sha256File(yes)}\n${sha256File(no)}`);
}
