/**
 * "Does the model fit?": the data under the model. Per subtype, each biomarker's expected z against
 * stage (the z-score model's piecewise-linear template of the ML sequence) with the z-scores of the
 * patients assigned to that subtype drawn over it at their most likely stage; and how certain the
 * stages are (probability of the most likely stage, by stage). No file access.
 */
import type { TopLevelSpec } from 'vega-lite';
import { ZscoreModel } from '../sustain/zscore.js';
import type { Assignment, SustainModelFile, ZTable } from '../sustain/types.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
/** At most this many subjects drawn per subtype (every n-th): the SVG stays light with 30,000 subjects. */
export const MAX_POINTS = 1500;

/** A z-score model (the data figures are drawn in z units, for this kind only). */
export type ZscoreModelFile = Extract<SustainModelFile, { method: 'sustain-zscore' }>;

/** Expected z of every biomarker at stages 0..N of subtype j's ML sequence: (N + 1) x B, row-major. */
export function expectedZ(model: ZscoreModelFile, k: number, j: number): Float64Array {
  const thresholds = { zvals: model.zvals, zmax: model.zmax };
  const zm = new ZscoreModel(thresholds);
  const index = new Map<string, number>();
  let e = 0;
  model.biomarkers.forEach((b, i) => {
    for (const z of model.zvals[i]!) index.set(`${b}\u0000${z}`, e++);
  });
  const named = model.fits[k - 1]!.sequences[j]!;
  const seq = Int32Array.from(named.map(([b, z]) => index.get(`${b}\u0000${z}`)!));
  const B = model.biomarkers.length;
  const N = zm.nEvents;
  const points = new Float64Array((N + 2) * B);
  zm.points(seq, points);
  return points.subarray(0, (N + 1) * B);
}

/** Row of each subject of the assignment in the z table (by subject_id and session), -1 when absent. */
export function matchRows(a: Assignment, carried: Record<string, string[]> | undefined, z: ZTable): Int32Array {
  const key = (id: string, ses: string | undefined) => `${id}\u0000${ses ?? ''}`;
  const zSes = z.carried?.['session'];
  const rows = new Map<string, number>();
  z.subjects.forEach((s, i) => rows.set(key(s, zSes?.[i]), i));
  const aSes = carried?.['session'];
  return Int32Array.from(a.subjects.map((s, i) => rows.get(key(s, aSes?.[i])) ?? -1));
}

export interface FitPoint {
  biomarker: string;
  stage: number;
  z: number;
}

/** The points of subtype j: patients past stage 0 assigned to it, every n-th beyond MAX_POINTS. */
export function subtypePoints(a: Assignment, j: number, rows: Int32Array, z: ZTable, isControl: readonly boolean[], label: (b: string) => string, biomarkers: readonly string[]): FitPoint[] {
  const members: number[] = [];
  for (let i = 0; i < a.subjects.length; i++) if (a.mlSubtype[i] === j && a.mlStage[i]! > 0 && !isControl[i] && rows[i]! >= 0) members.push(i);
  const step = Math.max(1, Math.ceil(members.length / MAX_POINTS));
  const B = z.biomarkers.length;
  const col = biomarkers.map((b) => z.biomarkers.indexOf(b));
  const out: FitPoint[] = [];
  for (let m = 0; m < members.length; m += step) {
    const i = members[m]!;
    biomarkers.forEach((b, q) => {
      const v = col[q]! < 0 ? NaN : z.values[rows[i]! * B + col[q]!]!;
      if (!Number.isNaN(v)) out.push({ biomarker: label(b), stage: a.mlStage[i]!, z: v });
    });
  }
  return out;
}

/** One subtype: a small panel per biomarker, the model's expected z as a line, subjects as dots. */
export function fitCheckSpec(expected: Float64Array, biomarkers: readonly string[], label: (b: string) => string, points: FitPoint[], title: string, colour: string): TopLevelSpec {
  const B = biomarkers.length;
  const N = expected.length / B - 1;
  const line: { biomarker: string; stage: number; z: number }[] = [];
  for (let s = 0; s <= N; s++) biomarkers.forEach((b, q) => line.push({ biomarker: label(b), stage: s, z: expected[s * B + q]! }));
  const order = biomarkers.map(label);
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `expected z by stage (line) and the subtype\u2019s patients at their most likely stage (dots${points.length > 0 ? '' : ': none'})` },
    facet: { field: 'biomarker', type: 'nominal', sort: order, title: null, header: { labelFontWeight: 'bold', labelLimit: 300 } },
    columns: Math.min(4, B),
    spacing: { row: 14, column: 14 },
    data: { values: [...line.map((l) => ({ ...l, kind: 'model' })), ...points.map((p) => ({ ...p, kind: 'subject' }))] },
    spec: {
      width: 170,
      height: 110,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'subject'" }],
          mark: { type: 'circle', size: 12, opacity: 0.35, color: colour },
          encoding: { x: { field: 'stage', type: 'quantitative', title: 'Stage', scale: { domain: [0, N] } }, y: { field: 'z', type: 'quantitative', title: 'z' } },
        },
        {
          transform: [{ filter: "datum.kind === 'model'" }],
          mark: { type: 'line', color: '#222', strokeWidth: 2 },
          encoding: { x: { field: 'stage', type: 'quantitative' }, y: { field: 'z', type: 'quantitative' } },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Probability of the most likely stage, by that stage (patients past stage 0): a box per stage. */
export function stageCertaintySpec(a: Assignment, isControl: readonly boolean[], nStages: number): TopLevelSpec {
  const values: { stage: number; p: number }[] = [];
  for (let i = 0; i < a.subjects.length; i++) if (a.mlStage[i]! > 0 && !isControl[i]) values.push({ stage: a.mlStage[i]!, p: a.probMlStage[i]! });
  const stages = Array.from({ length: nStages }, (_, s) => s + 1);
  return {
    $schema: SCHEMA,
    title: { text: 'Stage certainty', subtitle: 'probability of each patient\u2019s most likely stage, by that stage' },
    width: Math.min(640, Math.max(240, 22 * nStages)),
    height: 180,
    data: { values },
    mark: { type: 'boxplot', extent: 1.5, size: 12, color: '#4c78a8', median: { color: 'white' } },
    encoding: {
      x: {
        field: 'stage',
        type: 'ordinal',
        title: 'Most likely stage',
        scale: { domain: stages },
        axis: { labelAngle: 0, values: stages.filter((s) => nStages <= 20 || s === 1 || s % 5 === 0) },
      },
      y: { field: 'p', type: 'quantitative', title: 'P(stage)', scale: { domain: [0, 1] } },
    },
  } as TopLevelSpec;
}

export interface FitSectionInputs {
  model: SustainModelFile;
  k: number;
  a: Assignment;
  carried: Record<string, string[]> | undefined;
  isControl: readonly boolean[];
  /** The z-scores the subjects were assigned from (report --data); without it only stage certainty is shown. */
  z: ZTable | undefined;
  label: (b: string) => string;
  subtypeTitles: string[];
  colours: readonly string[];
}

/** The figures of the section, by file name, and the number of subjects of the table missing from the z data. */
export function fitFigureSpecs(o: FitSectionInputs): { specs: Record<string, TopLevelSpec>; unmatched: number } {
  const specs: Record<string, TopLevelSpec> = {};
  specs['stage-certainty.svg'] = stageCertaintySpec(o.a, o.isControl, o.model.events.length);
  let unmatched = 0;
  if (o.z !== undefined && o.model.method === 'sustain-zscore') {
    const model = o.model;
    const rows = matchRows(o.a, o.carried, o.z);
    for (const r of rows) if (r < 0) unmatched++;
    for (let j = 0; j < o.k; j++) {
      const pts = subtypePoints(o.a, j, rows, o.z, o.isControl, o.label, o.model.biomarkers);
      specs[`fit-check-subtype-${j + 1}.svg`] = fitCheckSpec(expectedZ(model, o.k, j), o.model.biomarkers, o.label, pts, o.subtypeTitles[j]!, o.colours[j % o.colours.length]!);
    }
  }
  return { specs, unmatched };
}
