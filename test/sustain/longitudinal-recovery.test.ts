import { describe, expect, it } from 'vitest';
import { compareOnSimulation } from '../../src/sustain/longitudinal/evaluate.js';

// A small simulated cohort (200 patients, 2-4 visits, 3 subtypes, today's noise), fitted twice with
// light settings: as separate visits and as subjects with visits. bench/longitudinal.ts runs more
// cohorts, larger, with the figures in docs/longitudinal.md.
describe('longitudinal recovery on a simulated cohort', () => {
  it('recovers subtypes and stages better than fitting the visits cross-sectionally or voting over them', async () => {
    const r = await compareOnSimulation(
      { subjects: 200, biomarkers: 5, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 2, visits: [2, 4], interval: 1, rate: 1 },
      { seed: 1, threads: 2, startpoints: 2, mcmcIterations: 500, mcmcTuneIterations: 200, samplesKept: 100 },
    );
    expect(r.ari.longitudinal).toBeGreaterThan(r.ari.cross + 0.1);
    expect(r.ari.longitudinal).toBeGreaterThan(r.ari.majority);
    expect(r.stage.longitudinal.exact).toBeGreaterThan(r.stage.cross.exact);
    expect(r.stage.longitudinal.mae).toBeLessThan(r.stage.cross.mae);
    // one subtype per subject, never backwards; the cross-sectional fit does both for many subjects
    expect(r.longitudinal).toEqual({ subjects: 200, switched: 0, backwards: 0 });
    expect(r.cross.switched).toBeGreaterThan(50);
    expect(r.cross.backwards).toBeGreaterThan(30);
  });
});
