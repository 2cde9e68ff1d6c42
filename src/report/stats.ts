/**
 * The numbers behind the report's figures, computed from plain data (no file access, no rendering),
 * so each one is unit-tested on its own.
 */
import type { Assignment, NamedEvent, SustainFit } from '../sustain/types.js';

/** Posterior probability of each event at each position of one subtype (the engine's one implementation). */
export { positionalVarianceOf as positionalVariance } from '../sustain/positional.js';

/** The same matrix from the nested arrays of cv.json ([event][position]). */
export function matrixFromNested(rows: number[][], nEvents: number): Float64Array {
  const p = new Float64Array(nEvents * nEvents);
  for (let e = 0; e < nEvents; e++) for (let pos = 0; pos < nEvents; pos++) p[e * nEvents + pos] = rows[e]?.[pos] ?? 0;
  return p;
}

/** Quantile of a sorted array by linear interpolation between order statistics (type 7, as R and numpy). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface FractionSummary {
  subtype: number;
  /** Fraction in the maximum-likelihood model. */
  ml: number;
  mean: number;
  median: number;
  /** Lower and upper ends of the central posterior interval. */
  lo: number;
  hi: number;
}

/** Subtype fractions with central posterior intervals from the MCMC samples (ML value when there are none). */
export function fractionSummaries(fit: SustainFit, interval: number): FractionSummary[] {
  const k = fit.subtypes;
  const out: FractionSummary[] = [];
  const tail = (1 - interval) / 2;
  for (let j = 0; j < k; j++) {
    const v = Float64Array.from(fit.samples.fractions.map((f) => f[j]!)).sort();
    const ml = fit.fractions[j]!;
    if (v.length === 0) {
      out.push({ subtype: j, ml, mean: ml, median: ml, lo: ml, hi: ml });
      continue;
    }
    let sum = 0;
    for (const x of v) sum += x;
    out.push({ subtype: j, ml, mean: sum / v.length, median: quantileSorted(v, 0.5), lo: quantileSorted(v, tail), hi: quantileSorted(v, 1 - tail) });
  }
  return out;
}

export interface SubtypeLabel {
  subtype: number;
  /** "Subtype 1" (1-based, as papers number them; ml_subtype in the CSV is 0-based). */
  name: string;
  /** "led by thalamus" or "led by thalamus, then cortex" when two subtypes share their first biomarker. */
  led: string;
  /** "Subtype 1: led by thalamus" */
  full: string;
  /** "S1 · thalamus" for axes and legends. */
  short: string;
}

/** Biomarkers in order of their first event in a sequence (each biomarker once). */
export function biomarkerOrder(sequence: readonly NamedEvent[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [b] of sequence) {
    if (!seen.has(b)) {
      seen.add(b);
      out.push(b);
    }
  }
  return out;
}

/**
 * Name each subtype after its earliest events, as SuStaIn papers do ("cortex-led"): the biomarker of its
 * first event, with the next distinct biomarkers added until no two subtypes share a name (at most three).
 */
export function subtypeLabels(sequences: readonly (readonly NamedEvent[])[]): SubtypeLabel[] {
  const orders = sequences.map(biomarkerOrder);
  const depth = orders.map(() => 1);
  for (let round = 0; round < 2; round++) {
    const keys = orders.map((o, j) => o.slice(0, depth[j]).join('|'));
    let changed = false;
    for (let j = 0; j < orders.length; j++) {
      if (keys.filter((k) => k === keys[j]).length > 1 && depth[j]! < orders[j]!.length) {
        depth[j]!++;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return orders.map((o, j) => {
    const lead = o.slice(0, depth[j]);
    const led = lead.length === 0 ? 'no events' : `led by ${lead.join(', then ')}`;
    const name = `Subtype ${j + 1}`;
    return { subtype: j, name, led, full: `${name}: ${led}`, short: `S${j + 1} · ${lead[0] ?? '-'}` };
  });
}

export interface AssignmentSummary {
  subjects: number;
  /** Rows flagged is_control in the subject table; every count below is over patients (the other rows). */
  controls: number;
  patients: number;
  /** Patients at stage 0: no event has happened, so their subtype carries no information. */
  stage0: number;
  /** Patients past stage 0 per ML subtype. */
  perSubtype: number[];
  /** For each band threshold t: patients past stage 0 whose probability of their ML subtype is above t. */
  bands: { threshold: number; count: number }[];
  /** Median probability of the assigned subtype among patients past stage 0 (NaN when there are none). */
  medianProbability: number;
  /** Controls past stage 0 (the specificity check: healthy people the model calls abnormal). */
  controlsPastStage0: number;
  /** Controls past stage 0 per ML subtype. */
  controlsPerSubtype: number[];
}

/**
 * Headline counts. Controls are counted apart (`isControl`, one flag per subject; none when absent):
 * a control past stage 0 is a false positive, not a member of a subtype.
 */
export function assignmentSummary(a: Assignment, bands: readonly number[], isControl: readonly boolean[] = []): AssignmentSummary {
  const m = a.subjects.length;
  const perSubtype = new Array<number>(a.subtypes).fill(0);
  const controlsPerSubtype = new Array<number>(a.subtypes).fill(0);
  const probs: number[] = [];
  let stage0 = 0;
  let controls = 0;
  for (let i = 0; i < m; i++) {
    if (isControl[i] === true) {
      controls++;
      if (a.mlStage[i] !== 0) controlsPerSubtype[a.mlSubtype[i]!]!++;
      continue;
    }
    if (a.mlStage[i] === 0) {
      stage0++;
      continue;
    }
    perSubtype[a.mlSubtype[i]!]!++;
    probs.push(a.probMlSubtype[i]!);
  }
  const sorted = Float64Array.from(probs).sort();
  return {
    subjects: m,
    controls,
    patients: m - controls,
    stage0,
    perSubtype,
    bands: bands.map((t) => ({ threshold: t, count: probs.filter((p) => p > t).length })),
    medianProbability: quantileSorted(sorted, 0.5),
    controlsPastStage0: controlsPerSubtype.reduce((x, y) => x + y, 0),
    controlsPerSubtype,
  };
}

/**
 * counts[subtype][stage] of subjects by ML subtype and ML stage (stages 0..nStages); with `include`,
 * only the subjects it flags (patients, or controls).
 */
export function stageCounts(a: Assignment, nStages: number, include?: readonly boolean[]): number[][] {
  const counts = Array.from({ length: a.subtypes }, () => new Array<number>(nStages + 1).fill(0));
  for (let i = 0; i < a.subjects.length; i++) {
    if (include !== undefined && include[i] !== true) continue;
    const s = a.mlStage[i]!;
    if (s >= 0 && s <= nStages) counts[a.mlSubtype[i]!]![s]!++;
  }
  return counts;
}

/** Parse "#rrggbb" to [r,g,b] in 0..1. */
export function parseHex(hex: string): [number, number, number] {
  const h = hex.replace('#', '');
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
}

function toHex(rgb: readonly number[]): string {
  return (
    '#' +
    rgb
      .map((c) =>
        Math.round(Math.min(1, Math.max(0, c)) * 255)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/**
 * The colour of one cell of the positional variance diagram: white, tinted towards each threshold's
 * colour by the probability of that threshold's event at this position (probabilities of one
 * biomarker's events at one position add to at most 1, so the tints never overflow).
 */
export function mixColour(probabilities: readonly number[], colours: readonly string[]): string {
  const rgb = [1, 1, 1];
  probabilities.forEach((p, t) => {
    const c = parseHex(colours[t % colours.length]!);
    for (let ch = 0; ch < 3; ch++) rgb[ch]! -= p * (1 - c[ch]!);
  });
  return toHex(rgb);
}

export interface PvCell {
  biomarker: string;
  /** Row order (0 = top). */
  row: number;
  /** 1-based sequence position. */
  position: number;
  colour: string;
  /** Total probability of any of this biomarker's events at this position. */
  p: number;
  /** "z=1: 0.82, z=2: 0.10" for the accessible description. */
  detail: string;
}

/**
 * Cells of the diagram for one subtype: one row per biomarker (ordered by the ML sequence), one column
 * per position, coloured by the mix of that biomarker's threshold events present there.
 */
export function pvCells(
  p: Float64Array,
  events: readonly NamedEvent[],
  rowOrder: readonly string[],
  zvalsByBiomarker: ReadonlyMap<string, readonly number[]>,
  colours: readonly string[],
): PvCell[] {
  const n = events.length;
  const cells: PvCell[] = [];
  rowOrder.forEach((b, row) => {
    const zs = zvalsByBiomarker.get(b) ?? [];
    const idx = zs.map((z) => events.findIndex(([eb, ez]) => eb === b && ez === z));
    for (let pos = 0; pos < n; pos++) {
      const probs = idx.map((e) => (e >= 0 ? p[e * n + pos]! : 0));
      const total = probs.reduce((s, x) => s + x, 0);
      cells.push({
        biomarker: b,
        row,
        position: pos + 1,
        colour: mixColour(probs, colours),
        p: total,
        detail: zs.map((z, t) => `z=${z}: ${probs[t]!.toFixed(2)}`).join(', '),
      });
    }
  });
  return cells;
}
