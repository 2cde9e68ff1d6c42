/**
 * Synthetic longitudinal cohorts with known truth: the cross-sectional simulation's subtypes,
 * sequences and noise (simulate.ts), with 2..4 visits per subject that move forward in stage.
 *
 * Per subject: a subtype (drawn with the fractions), a baseline position p0 (stage 0 for the
 * control share, else uniform on [1, N+2), so the baseline stage is uniform over 1..N+1 as in the
 * cross-sectional simulation), a progression rate r = rate x exp(0.3 z - 0.045) stages per year
 * (log-normal around `rate`, mean `rate`; 0 for controls), and V visits at times 0, interval, ...;
 * visit v's stage is min(N+1, floor(p0 + r t_v)), its data the noise-free stage value + N(0, 1).
 */
import { UserError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';
import { defaultFractions, simulateCohort, type SimulateOptions, type SimulatedCohort } from '../simulate.js';
import { ZscoreModel } from '../zscore.js';
import type { ZTable } from '../types.js';

export interface LongitudinalSimulateOptions extends SimulateOptions {
  /** fewest and most visits per subject (each subject's count uniform between them) */
  visits: [number, number];
  /** years between visits */
  interval: number;
  /** mean progression rate, stages per year */
  rate: number;
  /** name of the time column (default "years") */
  timeColumn?: string;
}

export interface LongitudinalCohort {
  /** one row per visit; carried columns: session, the time column, group (HC: the controls, MS) */
  data: ZTable;
  /** per visit row: the subject's subtype, the visit's stage (0..N+1, as the cross-sectional truth) */
  truth: { subtype: Int32Array; stage: Int32Array; rate: Float64Array; subjectOf: Int32Array };
  model: SimulatedCohort['model'];
  subjects: string[];
}

export function parseVisitRange(s: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(s.trim());
  if (!m) throw new UserError(`visits must be a count or a range like 2..4, got "${s}"`, { field: 'visits' });
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi < lo) throw new UserError(`visits must be a range lo..hi with 1 <= lo <= hi, got "${s}"`, { field: 'visits' });
  return [lo, hi];
}

export function simulateLongitudinal(opts: LongitudinalSimulateOptions): LongitudinalCohort {
  const [vlo, vhi] = opts.visits;
  if (!Number.isInteger(vlo) || !Number.isInteger(vhi) || vlo < 1 || vhi < vlo) throw new UserError(`visits must be integers 1 <= lo <= hi, got ${vlo}..${vhi}`);
  if (!(opts.interval > 0) || !Number.isFinite(opts.interval)) throw new UserError(`interval must be a positive number of years, got ${opts.interval}`);
  if (!(opts.rate >= 0) || !Number.isFinite(opts.rate)) throw new UserError(`rate must be a non-negative number of stages per year, got ${opts.rate}`);
  // the sequences, thresholds and names exactly as the cross-sectional simulation makes them
  const base = simulateCohort({ ...opts, subjects: 1 });
  const { thresholds, sequences, biomarkers } = base.model;
  const zm = new ZscoreModel(thresholds);
  const N = zm.nEvents;
  const B = biomarkers.length;
  const K = opts.subtypes;
  const points = sequences.map((s) => {
    const out = new Float64Array((N + 2) * B);
    zm.points(Int32Array.from(s), out);
    return out;
  });
  const fractions = opts.fractions ?? defaultFractions(K);
  const ctrl = opts.controlFraction ?? 0.25;
  // a stream of its own, so the subjects do not depend on how many draws the sequences took
  const rng = Rng.fromSeed(opts.seed).stream(1);
  const J = opts.subjects;
  const nCtrl = Math.round(J * ctrl);
  const width = String(J).length;
  const subjects = Array.from({ length: J }, (_, j) => `sim${String(j + 1).padStart(width, '0')}`);
  const rows: { subject: number; v: number; t: number; stage: number }[] = [];
  const subtypeOf = new Int32Array(J);
  const rateOf = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    let u = rng.uniform();
    let s = 0;
    while (s < K - 1 && u >= fractions[s]!) u -= fractions[s++]!;
    subtypeOf[j] = s;
    const control = j < nCtrl;
    const p0 = control ? 0 : 1 + rng.uniform() * (N + 1);
    const r = control ? 0 : opts.rate * Math.exp(0.3 * rng.normal() - 0.045);
    rateOf[j] = r;
    const V = vlo + rng.int(vhi - vlo + 1);
    for (let v = 0; v < V; v++) {
      const t = v * opts.interval;
      rows.push({ subject: j, v, t, stage: Math.min(N + 1, Math.floor(p0 + r * t)) });
    }
  }
  const M = rows.length;
  const values = new Float64Array(M * B);
  const truth = { subtype: new Int32Array(M), stage: new Int32Array(M), rate: new Float64Array(M), subjectOf: new Int32Array(M) };
  rows.forEach((row, i) => {
    const pv = points[subtypeOf[row.subject]!]!;
    for (let b = 0; b < B; b++) values[i * B + b] = pv[row.stage * B + b]! + rng.normal();
    truth.subtype[i] = subtypeOf[row.subject]!;
    truth.stage[i] = row.stage;
    truth.rate[i] = rateOf[row.subject]!;
    truth.subjectOf[i] = row.subject;
  });
  const timeColumn = opts.timeColumn ?? 'years';
  const data: ZTable = {
    subjects: rows.map((r) => subjects[r.subject]!),
    biomarkers: [...biomarkers],
    values,
    // group: the simulated controls (stage 0 throughout) as HC, the patients as MS, so the cohort also
    // serves the mixture kind, whose raw-value fit needs the controls named (--control-column group)
    carried: { session: rows.map((r) => `ses-${r.v + 1}`), [timeColumn]: rows.map((r) => String(r.t)), group: rows.map((r) => (r.subject < nCtrl ? 'HC' : 'MS')) },
  };
  return { data, truth, model: base.model, subjects };
}
