/** The joined subject + clinical data as the analyses see it: plain arrays, no file access. */

export type Column =
  | { kind: 'numeric'; values: Float64Array } // NaN = missing
  | { kind: 'categorical'; values: (string | null)[]; levels: string[] }; // levels sorted; null = missing

export interface Cohort {
  subjects: string[];
  /** most likely subtype (ml_subtype) */
  subtype: Int32Array;
  stage: Int32Array;
  /** prob_subtype_k, row-major n x K */
  probs: Float64Array;
  subtypes: number;
  isControl: Uint8Array;
  columns: Map<string, Column>;
}

/** Patients (not controls) past stage 0: the subjects whose subtype means something. */
export function stagedPatients(c: Cohort): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.subjects.length; i++) if (c.isControl[i] === 0 && c.stage[i]! > 0) out.push(i);
  return out;
}

export function patients(c: Cohort): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.subjects.length; i++) if (c.isControl[i] === 0) out.push(i);
  return out;
}

export function isMissing(col: Column, i: number): boolean {
  return col.kind === 'numeric' ? Number.isNaN(col.values[i]!) : col.values[i] === null;
}

/** Sorted distinct levels of text values (plain code-unit order, so results never depend on the locale). */
export function levelsOf(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
