/**
 * Synthetic longitudinal cohorts for the event-based (mixture) kind, with known truth: as pySuStaIn's
 * MixtureSustain.generate_data (one event per biomarker, a subtype is a permutation of the
 * biomarkers; a biomarker whose event has passed draws from its abnormal component, else from the
 * normal one), with 2..4 visits per subject whose stage moves forward as in simulate.ts's
 * longitudinal cohorts (baseline uniform over 1..B for patients, 0 for controls, a log-normal rate).
 *
 * The raw table carries session, the time column and group (HC for the controls, MS for patients),
 * so it is what `fit --kind mixture --data ... --time years` reads; l_yes / l_no are the densities
 * of the true components at each value (what pySuStaIn's users pass as L_yes / L_no).
 */
import { UserError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';
import { defaultFractions } from '../simulate.js';
import type { ZTable } from '../types.js';

export interface MixtureLongitudinalOptions {
  subjects: number;
  biomarkers: number;
  subtypes: number;
  seed: number;
  visits: [number, number];
  interval: number;
  /** mean progression rate, stages (events) per year */
  rate: number;
  fractions?: number[];
  /** share of subjects that are controls (stage 0, group HC; default 0.25) */
  controlFraction?: number;
  /** normal component N(0, normalSd); abnormal N(abnormalMean, sd_b), sd_b uniform in abnormalSd */
  normalSd?: number;
  abnormalMean?: number;
  abnormalSd?: [number, number];
  timeColumn?: string;
}

export interface MixtureLongitudinalCohort {
  /** raw values, one row per visit; carried: session, the time column, group */
  data: ZTable;
  /** the true components' densities at each value, same rows and columns as data */
  lYes: ZTable;
  lNo: ZTable;
  /** per row: the subject's subtype, the visit's stage (0..B events passed), the subject's rate */
  truth: { subtype: Int32Array; stage: Int32Array; rate: Float64Array; subjectOf: Int32Array };
  /** per subtype, biomarker indices in event order */
  sequences: number[][];
  fractions: number[];
  biomarkers: string[];
}

const normalPdf = (x: number, m: number, sd: number) => Math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));

export function simulateMixtureLongitudinal(o: MixtureLongitudinalOptions): MixtureLongitudinalCohort {
  const { subjects: J, biomarkers: B, subtypes: K } = o;
  const [vlo, vhi] = o.visits;
  if (!Number.isInteger(J) || J < 1 || !Number.isInteger(B) || B < 2 || !Number.isInteger(K) || K < 1)
    throw new UserError(`need subjects >= 1, biomarkers >= 2, subtypes >= 1 (got ${J}, ${B}, ${K})`);
  if (!Number.isInteger(vlo) || !Number.isInteger(vhi) || vlo < 1 || vhi < vlo) throw new UserError(`visits must be integers 1 <= lo <= hi, got ${vlo}..${vhi}`);
  const fractions = o.fractions ?? defaultFractions(K);
  const normalSd = o.normalSd ?? 0.25;
  const abnormalMean = o.abnormalMean ?? 1.5;
  const [sdLo, sdHi] = o.abnormalSd ?? [0.25, 0.45];
  const rng = Rng.fromSeed(o.seed);
  const sequences = Array.from({ length: K }, () => {
    const p = Array.from({ length: B }, (_, b) => b);
    for (let i = B - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  });
  const abnormalSd = Array.from({ length: B }, () => sdLo + (sdHi - sdLo) * rng.uniform());
  // position of each biomarker's event in each subtype's sequence
  const position = sequences.map((seq) => {
    const pos = new Int32Array(B);
    seq.forEach((b, k) => (pos[b] = k));
    return pos;
  });
  const subjectRng = rng.stream(1);
  const nCtrl = Math.round(J * (o.controlFraction ?? 0.25));
  const width = String(J).length;
  const ids = Array.from({ length: J }, (_, j) => `sub${String(j + 1).padStart(width, '0')}`);
  const rows: { j: number; v: number; t: number; stage: number; subtype: number; rate: number }[] = [];
  for (let j = 0; j < J; j++) {
    let u = subjectRng.uniform();
    let s = 0;
    while (s < K - 1 && u >= fractions[s]!) u -= fractions[s++]!;
    const control = j < nCtrl;
    const p0 = control ? 0 : 1 + subjectRng.uniform() * B;
    const r = control ? 0 : o.rate * Math.exp(0.3 * subjectRng.normal() - 0.045);
    const V = vlo + subjectRng.int(vhi - vlo + 1);
    for (let v = 0; v < V; v++) {
      const t = v * o.interval;
      rows.push({ j, v, t, stage: Math.min(B, Math.floor(p0 + r * t)), subtype: s, rate: r });
    }
  }
  const M = rows.length;
  const values = new Float64Array(M * B);
  const yes = new Float64Array(M * B);
  const no = new Float64Array(M * B);
  const truth = { subtype: new Int32Array(M), stage: new Int32Array(M), rate: new Float64Array(M), subjectOf: new Int32Array(M) };
  rows.forEach((row, i) => {
    const pos = position[row.subtype]!;
    for (let b = 0; b < B; b++) {
      const abnormal = pos[b]! < row.stage;
      const x = abnormal ? abnormalMean + abnormalSd[b]! * subjectRng.normal() : normalSd * subjectRng.normal();
      values[i * B + b] = x;
      yes[i * B + b] = normalPdf(x, abnormalMean, abnormalSd[b]!);
      no[i * B + b] = normalPdf(x, 0, normalSd);
    }
    truth.subtype[i] = row.subtype;
    truth.stage[i] = row.stage;
    truth.rate[i] = row.rate;
    truth.subjectOf[i] = row.j;
  });
  const biomarkers = Array.from({ length: B }, (_, b) => `b${String(b + 1).padStart(2, '0')}`);
  const timeColumn = o.timeColumn ?? 'years';
  const subjects = rows.map((r) => ids[r.j]!);
  const carried = { session: rows.map((r) => `ses-${r.v + 1}`), [timeColumn]: rows.map((r) => String(r.t)), group: rows.map((r) => (r.j < nCtrl ? 'HC' : 'MS')) };
  const table = (v: Float64Array): ZTable => ({ subjects, biomarkers, values: v, carried });
  return { data: table(values), lYes: table(yes), lNo: table(no), truth, sequences, fractions, biomarkers };
}
