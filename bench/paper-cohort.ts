/** bench:paper's cohort (Eshaghi et al. 2021's size): M x 13 simulated biomarkers, 8 with thresholds 1,2,3 and 5 with 1,2 (34 events), zmax 5. */
import { simulateCohort } from '../src/sustain/index.js';
import type { Thresholds, ZTable } from '../src/sustain/types.js';

export const PAPER_BIOMARKERS = 13;
const THREE = 8; // biomarkers with thresholds 1,2,3; the other 5 have 1,2 (8 x 3 + 5 x 2 = 34 events)

export function paperCohort(subjects: number): { data: ZTable; thresholds: Thresholds } {
  const sim = simulateCohort({ subjects, biomarkers: PAPER_BIOMARKERS, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 2021 });
  const thresholds: Thresholds = {
    zvals: sim.data.biomarkers.map((_, b) => (b < THREE ? [1, 2, 3] : [1, 2])),
    zmax: sim.data.biomarkers.map(() => 5),
  };
  return { data: sim.data, thresholds };
}
