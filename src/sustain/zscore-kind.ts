/**
 * The z-score kind: spec { kind: 'zscore', zvals, zmax } (thresholds per biomarker), model.json
 * method "sustain-zscore" with `zvals`, `zmax` and events [biomarker, z].
 */
import { z } from 'zod';
import { alignColumns } from './columns.js';
import type { ModelKind } from './kind.js';
import { checkThresholds } from './thresholds.js';
import type { NamedEvent, Thresholds } from './types.js';
import { ZscoreModel } from './zscore.js';

export interface ZscoreSpec extends Thresholds {
  kind: 'zscore';
}

const num = z.number().refine((v) => Number.isFinite(v), 'must be a finite number');
const shape = {
  zvals: z.array(z.array(num).min(1)),
  zmax: z.array(num),
};
export type ZscoreFields = z.infer<z.ZodObject<typeof shape>>;

export const zscoreKind: ModelKind<ZscoreSpec, ZscoreFields, NamedEvent, 'sustain-zscore'> = {
  kind: 'zscore',
  method: 'sustain-zscore',
  title: 'z-score',
  check(spec, biomarkers, file) {
    checkThresholds(spec, biomarkers, file);
  },
  create: (spec) => new ZscoreModel(spec),
  events(spec, biomarkers) {
    const out: NamedEvent[] = [];
    biomarkers.forEach((b, i) => spec.zvals[i]!.forEach((zz) => out.push([b, zz])));
    return out;
  },
  fields: (spec) => ({ zvals: spec.zvals.map((zz) => [...zz]), zmax: [...spec.zmax] }),
  specOf: (f) => ({ kind: 'zscore', zvals: f.zvals, zmax: f.zmax }),
  modelBiomarkers: (_spec, columns) => [...columns],
  fileShape: shape,
  eventSchema: z.tuple([z.string(), num]),
  checkFile(f, biomarkers, events, bad) {
    const B = biomarkers.length;
    if (f.zvals.length !== B) bad(`zvals has ${f.zvals.length} rows for ${B} biomarkers`, 'zvals');
    if (f.zmax.length !== B) bad(`zmax has ${f.zmax.length} entries for ${B} biomarkers`, 'zmax');
    biomarkers.forEach((b, i) => {
      const zv = f.zvals[i]!;
      zv.forEach((zz, j) => {
        if (!(zz > 0) || (j > 0 && !(zz > zv[j - 1]!))) bad(`thresholds of ${b} must be positive and increasing`, `zvals.${i}`);
      });
      // zmax may be at or below the top threshold (pySuStaIn's convention; see thresholdWarnings)
    });
    const want = zscoreKind.events({ kind: 'zscore', ...f }, biomarkers);
    if (events.length !== want.length || events.some((e, q) => e[0] !== want[q]![0] || e[1] !== want[q]![1])) bad('events do not match biomarkers and zvals', 'events');
  },
  encode: (_spec, biomarkers, table, file) => alignColumns(biomarkers, table, file),
};
