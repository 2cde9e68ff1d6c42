import { describe, expect, it } from 'vitest';
import { simulateCohort } from '../../src/sustain/index.js';
import { expectedZ, matchRows, stageCertaintySpec, subtypePoints } from '../../src/report/fit-check.js';
import { buildReport } from '../../src/report/build.js';
import type { Assignment } from '../../src/sustain/types.js';
import type { ZscoreModelFile } from '../../src/report/fit-check.js';
import { makeInputs, SMALL } from './fixtures.js';

describe('data under the model', () => {
  const sim = simulateCohort({ subjects: 3000, biomarkers: 3, subtypes: 1, zvals: [1, 2], zmax: 3, seed: 4, controlFraction: 0 });
  const N = sim.model.events.length;
  const model = {
    method: 'sustain-zscore',
    biomarkers: sim.model.biomarkers,
    zvals: sim.model.thresholds.zvals,
    zmax: sim.model.thresholds.zmax,
    events: sim.model.events,
    fits: [{ subtypes: 1, sequences: sim.model.namedSequences, fractions: [1] }],
  } as unknown as ZscoreModelFile;

  it('expected z by stage is what the generator draws around: stage means of simulated subjects agree', () => {
    const e = expectedZ(model, 1, 0);
    const B = 3;
    expect(e.length).toBe((N + 1) * B);
    for (let b = 0; b < B; b++) expect(e[b]).toBe(0); // stage 0: nothing abnormal
    for (let s = 1; s <= N; s++) {
      const rows = [...sim.truth.stage.keys()].filter((i) => sim.truth.stage[i] === s);
      for (let b = 0; b < B; b++) {
        const mean = rows.reduce((t, i) => t + sim.data.values[i * B + b]!, 0) / rows.length;
        // noise sd 1, ~430 subjects per stage: the mean is within 0.25 of the template
        expect(Math.abs(mean - e[s * B + b]!), `stage ${s} biomarker ${b}`).toBeLessThan(0.25);
      }
    }
    // the template rises to each biomarker's thresholds: by the last stage every biomarker is at least at its top threshold
    for (let b = 0; b < B; b++) expect(e[N * B + b]!).toBeGreaterThanOrEqual(2 - 1e-12);
  });

  it('matches subjects by id and session, draws patients past stage 0 of the subtype only, and thins big cohorts', () => {
    const a: Assignment = {
      subjects: ['x', 'y', 'z', 'w'],
      subtypes: 1,
      mlSubtype: new Int32Array(4),
      probMlSubtype: new Float64Array(4).fill(1),
      mlStage: Int32Array.from([2, 0, 3, 1]),
      probMlStage: Float64Array.from([0.9, 0.5, 0.4, 0.7]),
      probSubtype: new Float64Array(4).fill(1),
    };
    const z = { subjects: ['y', 'x', 'w'], biomarkers: ['b1'], values: Float64Array.from([0.1, 2.5, 9]), carried: { session: ['1', '1', '2'] } };
    const rows = matchRows(a, { session: ['1', '1', '1', '1'] }, z);
    expect([...rows]).toEqual([1, 0, -1, -1]); // w's session differs, z is absent
    const pts = subtypePoints(a, 0, rows, z, [false, false, false, false], (b) => b.toUpperCase(), ['b1']);
    expect(pts).toEqual([{ biomarker: 'B1', stage: 2, z: 2.5 }]);
    const spec = stageCertaintySpec(a, [false, false, true, false], 3) as unknown as { data: { values: { stage: number; p: number }[] } };
    expect(spec.data.values).toEqual([
      { stage: 2, p: 0.9 },
      { stage: 1, p: 0.7 },
    ]);
  });

  it('is a section of the report: stage certainty always, the data figures with the z-scores', async () => {
    const inputs = makeInputs(SMALL, false);
    const without = await buildReport(inputs);
    expect(Object.keys(without.figures)).toContain('stage-certainty.svg');
    expect(Object.keys(without.figures)).not.toContain('fit-check-subtype-1.svg');
    expect(without.html).toContain('--data z.csv');
    const a = inputs.subjects.assignment;
    const B = inputs.model.biomarkers.length;
    inputs.zData = { subjects: a.subjects, biomarkers: inputs.model.biomarkers, values: Float64Array.from({ length: a.subjects.length * B }, (_, i) => (i % 7) / 2) };
    const withZ = await buildReport(inputs);
    for (let j = 1; j <= a.subtypes; j++) expect(withZ.figures[`fit-check-subtype-${j}.svg`]).toMatch(/^<svg/);
    expect(withZ.html).toContain('id="fit"');
  });
});
