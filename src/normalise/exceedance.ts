/**
 * z-scores above zmax. The z-score model's last stage puts every biomarker at zmax; a value far
 * beyond it is improbable at every stage, so it pulls its subject to the end of the sequence and
 * weighs on the fit out of proportion (z = 469 was seen on a small real cohort). Not an error (a
 * very abnormal region is real data), but worth saying: fit and normalise warn, the report says it.
 */

import { z } from 'zod';

/** The default --zmax of fit, the bar normalise warns at (normalise knows no thresholds). */
export const DEFAULT_ZMAX = 5;

/** As recorded in sidecars: cells above their biomarker's zmax, of `values` present; per biomarker, most cells first. */
export const exceedanceSchema = z.object({
  cells: z.number().int().min(0),
  values: z.number().int().min(0),
  biomarkers: z.array(z.object({ name: z.string(), cells: z.number().int().min(0), max: z.number(), zmax: z.number() })),
});
export type Exceedance = z.infer<typeof exceedanceSchema>;

/** Count cells of an M x B row-major table above zmax (one per biomarker, or one for all). */
export function zExceedance(values: Float64Array, biomarkers: readonly string[], zmax: number | readonly number[]): Exceedance {
  const B = biomarkers.length;
  const cells = new Array<number>(B).fill(0);
  const max = new Array<number>(B).fill(-Infinity);
  let present = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    present++;
    const b = i % B;
    const lim = typeof zmax === 'number' ? zmax : zmax[b]!;
    if (v > lim) {
      cells[b]!++;
      if (v > max[b]!) max[b] = v;
    }
  }
  const list = biomarkers
    .map((name, b) => ({ name, cells: cells[b]!, max: max[b]!, zmax: typeof zmax === 'number' ? zmax : zmax[b]! }))
    .filter((x) => x.cells > 0)
    .sort((x, y) => y.cells - x.cells || x.name.localeCompare(y.name));
  return { cells: list.reduce((s, x) => s + x.cells, 0), values: present, biomarkers: list };
}

/** One line for a warning or note, or null when no cell is above zmax. */
export function exceedanceMessage(e: Exceedance, what = 'zmax'): string | null {
  if (e.cells === 0) return null;
  const worst = e.biomarkers.reduce((a, b) => (b.max > a.max ? b : a));
  const list = e.biomarkers
    .slice(0, 8)
    .map((b) => `${b.name} ${b.cells} (max ${round(b.max)})`)
    .join(', ');
  return (
    `${e.cells} of ${e.values} z-scores are above ${what} in ${e.biomarkers.length} biomarker(s): ${list}${e.biomarkers.length > 8 ? ', ...' : ''}; ` +
    `the largest, z = ${round(worst.max)} in ${worst.name}, is improbable at every stage and pulls its subject to the last stage ` +
    `(check that feature, or raise zmax)`
  );
}

const round = (v: number): string => String(Math.round(v * 100) / 100);
