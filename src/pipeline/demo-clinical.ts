import { Rng } from '../common/rng.js';
import { DEMO_SUBTYPES, type DemoSubject } from './demo-cohort.js';

/**
 * The demo cohort's clinical table, drawn from each patient's true subtype and stage with a link
 * that is known, so `ms-subtype outcomes` has something real to find (after Eshaghi et al. 2021:
 * the lesion-led subtype progressed fastest and relapsed most, and responded to treatment):
 * - time to confirmed disability progression (cdp_years, cdp_event): exponential hazard
 *   0.06/year x HR_SUBTYPE x exp(STAGE_LOG_HR x stage) x exp(0.01 x (age - 42)), treatment cutting
 *   it (x 0.4) in the lesion-led subtype only; follow-up uniform in 2..10 years (censoring);
 * - relapses over followup_years: negative binomial (theta 2), 0.3/year x RR_SUBTYPE;
 * - edss: 1.5 + 4 x stage + noise, in half points from 0 to 9.5;
 * - arm: placebo or active, at random.
 * Controls get edss 0 and no outcomes. A random stream of its own (seed + CLINICAL_SEED_OFFSET)
 * keeps the scans, manifest and truth exactly as they were without this table.
 */
export const CLINICAL_COLUMNS = ['subject_id', 'age', 'sex', 'arm', 'cdp_years', 'cdp_event', 'relapses', 'followup_years', 'edss'] as const;

/** Hazard ratio of progression and relapse rate ratio per DEMO_SUBTYPES entry (cortex-led, lesion-led, deep-gm-led). */
export const HR_SUBTYPE = [1, 4, 1];
export const RR_SUBTYPE = [1, 1.8, 1];
/** log hazard ratio per unit of true stage (0..1) */
export const STAGE_LOG_HR = 1.2;
/** hazard ratio of the active arm in the lesion-led subtype (1 elsewhere) */
export const HR_TREATMENT_LESION_LED = 0.6;
const CLINICAL_SEED_OFFSET = 7919;

/** Negative binomial draw as a gamma-Poisson mixture (gamma by Marsaglia-Tsang). */
function negBin(rng: Rng, mean: number, theta: number): number {
  const d = theta - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  let g: number;
  for (;;) {
    const x = rng.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
      g = d * v;
      break;
    }
  }
  const lambda = (mean * g) / theta;
  // Poisson by multiplication of uniforms (the means here are small).
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.uniform();
  while (p > limit) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

export function demoClinicalRows(subjects: readonly DemoSubject[], seed: number): string[][] {
  const streams = Rng.fromSeed(seed + CLINICAL_SEED_OFFSET).streams(subjects.length);
  const lesionLed = DEMO_SUBTYPES.findIndex((s) => s.name === 'lesion-led');
  return subjects.map((s, i) => {
    const rng = streams[i]!;
    if (s.group === 'HC') return [s.id, s.age.toFixed(1), s.sex, '', '', '', '', '', '0'];
    const arm = rng.uniform() < 0.5 ? 'active' : 'placebo';
    const treated = arm === 'active' && s.subtype === lesionLed ? HR_TREATMENT_LESION_LED : 1;
    const hazard = 0.06 * HR_SUBTYPE[s.subtype]! * Math.exp(STAGE_LOG_HR * s.stage + 0.01 * (s.age - 42)) * treated;
    const tEvent = -Math.log(1 - rng.uniform()) / hazard;
    const followup = 2 + 8 * rng.uniform();
    const event = tEvent <= followup ? 1 : 0;
    const time = Math.max(0.01, Math.round(Math.min(tEvent, followup) * 100) / 100);
    const years = Math.round(followup * 100) / 100;
    const relapses = negBin(rng, years * 0.3 * RR_SUBTYPE[s.subtype]!, 2);
    const edss = Math.min(9.5, Math.max(0, Math.round(2 * (1.5 + 4 * s.stage + 0.8 * rng.normal())) / 2));
    return [s.id, s.age.toFixed(1), s.sex, arm, time.toFixed(2), String(event), String(relapses), years.toFixed(2), edss.toFixed(1)];
  });
}
