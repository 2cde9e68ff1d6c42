import { Rng } from '../common/rng.js';

/**
 * The demo cohort's subjects as numbers: covariates, the truth (subtype, stage) and, per subject,
 * how much each region is scaled relative to a young healthy reference. demo-render.ts turns these
 * numbers into label maps; nothing here touches voxels or files.
 *
 * The disease model: a patient sits at a stage t in [0, 1] of one subtype's course. Each region
 * starts changing at its own onset in that subtype (the subtypes differ in which regions change
 * first) and reaches its full change RAMP later: severity = clamp((t - onset) / RAMP, 0, 1).
 * Volumes are multiplied by (1 - loss * severity); ventricles grow and lesion load is added.
 */

/** The regions the generator changes; each maps to one default feature of data/features/aseg-ms.json. */
export const REGIONS = ['cortex', 'deepGm', 'cerebellum', 'brainstem', 'wm', 'ventricles', 'lesions'] as const;
export type Region = (typeof REGIONS)[number];

export interface SubtypeSpec {
  name: string;
  /** stage at which each region starts to change */
  onset: Record<Region, number>;
}

/** Three courses with different first regions (after Eshaghi et al. 2021's cortex-led and lesion-led MS subtypes). */
export const DEMO_SUBTYPES: SubtypeSpec[] = [
  { name: 'cortex-led', onset: { cortex: 0, deepGm: 0.15, ventricles: 0.3, wm: 0.45, cerebellum: 0.55, lesions: 0.6, brainstem: 0.7 } },
  { name: 'lesion-led', onset: { lesions: 0, ventricles: 0.12, wm: 0.25, brainstem: 0.4, deepGm: 0.5, cortex: 0.6, cerebellum: 0.7 } },
  { name: 'deep-gm-led', onset: { deepGm: 0, brainstem: 0.12, cerebellum: 0.25, ventricles: 0.4, cortex: 0.5, wm: 0.6, lesions: 0.7 } },
];

/** Stage span over which one region goes from normal to its full change. */
export const RAMP = 0.3;

/**
 * Patients' stages are drawn uniformly in [MIN_STAGE, MAX_STAGE]: beyond about 0.85 every region
 * has changed fully in every subtype, so such patients look alike and carry no subtype to recover.
 */
export const MIN_STAGE = 0.05;
export const MAX_STAGE = 0.85;

/** Full disease change at severity 1: volume loss fractions; ventricles' growth factor; lesion mL added. */
export const DISEASE = { cortex: 0.2, deepGm: 0.25, cerebellum: 0.2, brainstem: 0.22, wm: 0.14, ventriclesGrowth: 2.0, lesionsMl: 25 };

/** Healthy between-subject spread (log-scale sd of each region's volume multiplier). */
const SPREAD = { cortex: 0.03, deepGm: 0.04, cerebellum: 0.04, brainstem: 0.05, wm: 0.03, ventricles: 0.2, lesions: 0.7 };

/** Healthy ageing per year from age 45 (fractional change); ventricles and lesions grow, the rest shrinks. */
const AGEING = { cortex: -0.0035, deepGm: -0.0025, cerebellum: -0.002, brainstem: -0.001, wm: -0.0015, ventricles: 0.025, lesions: 0.03 };

/** Site B's segmentation differs a little from site A's (the offset the normaliser must remove). */
const SITE_B = { cortex: 1.03, deepGm: 0.97, cerebellum: 1.02, brainstem: 1.0, wm: 0.985, ventricles: 0.93, lesions: 1.15 };

/** Healthy white-matter hyperintensity volume (mL) at age 45, the median across controls. */
const WMH_ML_AT_45 = 0.3;

export interface DemoCohortOptions {
  seed: number;
  controls: number;
  patients: number;
  /** relative frequency of each of DEMO_SUBTYPES among patients */
  subtypeWeights: number[];
  /** fraction of patients with no change yet (stage 0) */
  stageZeroFraction: number;
}

export const DEMO_COHORT_DEFAULTS: DemoCohortOptions = {
  seed: 2024,
  controls: 60,
  patients: 240,
  subtypeWeights: [0.4, 0.33, 0.27],
  stageZeroFraction: 0.05,
};

export interface DemoSubject {
  id: string;
  group: 'HC' | 'MS';
  age: number;
  sex: 'F' | 'M';
  site: 'A' | 'B';
  /** index into DEMO_SUBTYPES, -1 for controls */
  subtype: number;
  /** disease stage in [0, 1]; 0 for controls */
  stage: number;
  /** per-axis scale of the head relative to the reference (ICV scales with the product) */
  headScale: [number, number, number];
  /** volume multiplier per region (ventricles: > 1 is larger); lesions: total lesion volume in mL */
  volume: Record<Exclude<Region, 'lesions'>, number>;
  lesionMl: number;
  /** seed for the subject's boundary shape noise and lesion placement */
  shapeSeed: number;
}

export function severity(subtype: SubtypeSpec, stage: number, region: Region): number {
  const s = (stage - subtype.onset[region]) / RAMP;
  return s <= 0 ? 0 : s >= 1 ? 1 : s;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Draw the cohort: controls first (ids sub-0001...), then patients, every subject from its own random stream. */
export function sampleDemoCohort(opts: Partial<DemoCohortOptions> = {}): DemoSubject[] {
  const o = { ...DEMO_COHORT_DEFAULTS, ...opts };
  if (o.subtypeWeights.length !== DEMO_SUBTYPES.length) throw new Error(`subtypeWeights needs ${DEMO_SUBTYPES.length} entries`);
  const n = o.controls + o.patients;
  const streams = Rng.fromSeed(o.seed).streams(n);
  const wsum = o.subtypeWeights.reduce((a, b) => a + b, 0);
  const out: DemoSubject[] = [];
  for (let i = 0; i < n; i++) {
    const rng = streams[i]!;
    const isPatient = i >= o.controls;
    const id = `sub-${String(i + 1).padStart(4, '0')}`;
    // Covariates: patients younger on average and more often female, as in MS cohorts.
    const age = isPatient ? clamp(42 + 10 * rng.normal(), 20, 70) : 20 + 50 * rng.uniform();
    const sex: 'F' | 'M' = rng.uniform() < (isPatient ? 0.7 : 0.5) ? 'F' : 'M';
    const site: 'A' | 'B' = rng.uniform() < 0.5 ? 'A' : 'B';
    const global = clamp((sex === 'M' ? 1.04 : 0.97) * Math.exp(0.035 * rng.normal()), 0.9, 1.12);
    const headScale: [number, number, number] = [0, 1, 2].map(() => global * clamp(Math.exp(0.015 * rng.normal()), 0.96, 1.04)) as [number, number, number];
    let subtype = -1;
    let stage = 0;
    if (isPatient) {
      let u = rng.uniform() * wsum;
      subtype = 0;
      while (subtype < DEMO_SUBTYPES.length - 1 && u >= o.subtypeWeights[subtype]!) u -= o.subtypeWeights[subtype++]!;
      stage = rng.uniform() < o.stageZeroFraction ? 0 : Math.round((MIN_STAGE + (MAX_STAGE - MIN_STAGE) * rng.uniform()) * 1000) / 1000;
    }
    const spec = subtype >= 0 ? DEMO_SUBTYPES[subtype]! : undefined;
    const sev = (r: Region) => (spec ? severity(spec, stage, r) : 0);
    const site1 = (r: Region) => (site === 'B' ? SITE_B[r] : 1);
    const healthy = (r: Region) => Math.exp(SPREAD[r] * rng.normal()) * (1 + AGEING[r] * (age - 45)) * site1(r);
    const volume = {
      cortex: healthy('cortex') * (1 - DISEASE.cortex * sev('cortex')),
      deepGm: healthy('deepGm') * (1 - DISEASE.deepGm * sev('deepGm')),
      cerebellum: healthy('cerebellum') * (1 - DISEASE.cerebellum * sev('cerebellum')),
      brainstem: healthy('brainstem') * (1 - DISEASE.brainstem * sev('brainstem')),
      wm: healthy('wm') * (1 - DISEASE.wm * sev('wm')),
      // Ageing of ventricles is exponential (they roughly double between 20 and 50).
      ventricles: Math.exp(SPREAD.ventricles * rng.normal() + AGEING.ventricles * (age - 45)) * site1('ventricles') * (1 + DISEASE.ventriclesGrowth * sev('ventricles')),
    };
    const wmh = WMH_ML_AT_45 * Math.exp(SPREAD.lesions * rng.normal() + AGEING.lesions * (age - 45)) * site1('lesions');
    const lesionMl = wmh + DISEASE.lesionsMl * sev('lesions');
    out.push({
      id,
      group: isPatient ? 'MS' : 'HC',
      age: Math.round(age * 10) / 10,
      sex,
      site,
      subtype,
      stage,
      headScale,
      volume,
      lesionMl,
      shapeSeed: rng.nextSeed(),
    });
  }
  return out;
}
