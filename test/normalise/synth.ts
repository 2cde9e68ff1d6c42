import { Rng } from '../../src/common/rng.js';
import { parseTable, toCsv, type Table } from '../../src/io/csv.js';

/** A synthetic cohort with known coefficients and noise, for the normalise tests. */

export interface SynthFeature {
  name: string;
  intercept: number;
  age: number;
  sexM: number;
  /** per mm^3 of ICV */
  icv: number;
  /** site effects, reference site A = 0 */
  site: Record<string, number>;
  sd: number;
  /** patients' shift in sd units (negative = lower) */
  patientShift: number;
  /** ComBat-style multiplicative site scale on the noise (default 1) */
  siteScale?: Record<string, number>;
}

export interface SynthOptions {
  seed: number;
  controls: number;
  patients: number;
  sites: string[];
  /** Probability of each site (default uniform); controls and patients alike. */
  siteWeights?: number[];
  features: SynthFeature[];
  /** Fraction of feature cells left empty. */
  missing?: number;
}

export const FEATURES3: SynthFeature[] = [
  { name: 'thalamus', intercept: 8000, age: -25, sexM: 300, icv: 0.004, site: { A: 0, B: 150, C: -100 }, sd: 400, patientShift: -1.5 },
  { name: 'cortex', intercept: 300000, age: -1200, sexM: 8000, icv: 0.2, site: { A: 0, B: -5000, C: 3000 }, sd: 12000, patientShift: -1 },
  { name: 'lesions', intercept: 1.2, age: 0.01, sexM: 0.05, icv: 0, site: { A: 0, B: 0.2, C: 0.1 }, sd: 0.3, patientShift: 2 },
];

export interface Synth {
  table: Table;
  csv: string;
  /** true noise-free mean of each feature per row */
  truthMean: Float64Array;
}

export function makeCohort(o: SynthOptions): Synth {
  const rng = Rng.fromSeed(o.seed);
  const n = o.controls + o.patients;
  const F = o.features.length;
  const cols = ['subject_id', 'group', 'age', 'sex', 'icv', 'site', ...o.features.map((f) => f.name)];
  const rows: (string | number)[][] = [];
  const truthMean = new Float64Array(n * F);
  const w = o.siteWeights ?? o.sites.map(() => 1);
  const wsum = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    const control = i < o.controls;
    const age = 20 + 50 * rng.uniform();
    const sex = rng.uniform() < 0.5 ? 'F' : 'M';
    const icv = 1.5e6 + 1.2e5 * rng.normal();
    let u = rng.uniform() * wsum;
    let s = 0;
    while (s < o.sites.length - 1 && u >= w[s]!) u -= w[s++]!;
    const site = o.sites[s]!;
    const row: (string | number)[] = [`s${String(i + 1).padStart(4, '0')}`, control ? 'HC' : 'MS', age, sex, icv, site];
    o.features.forEach((f, g) => {
      const mean = f.intercept + f.age * age + (sex === 'M' ? f.sexM : 0) + f.icv * icv + (f.site[site] ?? 0);
      truthMean[i * F + g] = mean;
      const scale = f.siteScale?.[site] ?? 1;
      const v = mean + f.sd * scale * rng.normal() + (control ? 0 : f.patientShift * f.sd);
      row.push(o.missing && rng.uniform() < o.missing ? '' : v);
    });
    rows.push(row);
  }
  const csv = toCsv(cols, rows);
  return { table: parseTable(csv, 'synth.csv'), csv, truthMean };
}
