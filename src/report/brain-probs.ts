/**
 * The numbers behind the brain view: for each subtype and stage, the posterior probability that a
 * biomarker has passed each of its thresholds by then. Stage s means s events have happened, so an
 * event has happened by stage s when its position in the subtype's sequence is < s. The
 * probability is the share of the model's kept MCMC samples in which that holds. Pure maths.
 */
import type { NamedEvent, PosteriorSamples } from '../sustain/types.js';
import { mixColour } from './stats.js';

/** An event as model files name it: [biomarker, z] (z-score kind) or the biomarker alone (a kind whose one event per biomarker is "abnormal"). */
export type BrainEvent = NamedEvent | string;

/** Biomarker and threshold of an event; an event with no z counts as threshold 1. */
export function eventParts(e: BrainEvent): [string, number] {
  return typeof e === 'string' ? [e, 1] : [e[0], e[1]];
}

/** Where the published figure (Eshaghi et al. 2021, 13 biomarkers x 3 thresholds = 39 events) drew its snapshots. */
const PAPER_STAGES = [1, 4, 10, 16, 34];
const PAPER_EVENTS = 39;

/** About five stages spread like the paper's, scaled to this model's number of events (distinct, increasing, 1..N). */
export function defaultStages(nEvents: number): number[] {
  const k = Math.min(PAPER_STAGES.length, nEvents);
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const want = Math.round((PAPER_STAGES[i]! * nEvents) / PAPER_EVENTS);
    // strictly after the previous one, and leaving room for the rest
    out.push(Math.min(nEvents - (k - 1 - i), Math.max(want, (out[i - 1] ?? 0) + 1)));
  }
  return out;
}

/**
 * cum[subtype][stage][event]: share of samples with the event at a position < stage, for every
 * stage 0..N. One pass over the samples: count positions, then accumulate over stages.
 */
export function cumulativeProbabilities(samples: PosteriorSamples, subtypes: number, nEvents: number): Float64Array[][] {
  const S = samples.sequences.length;
  const out: Float64Array[][] = [];
  for (let j = 0; j < subtypes; j++) {
    // atPos[e * N + pos] = samples with event e at position pos
    const atPos = new Float64Array(nEvents * nEvents);
    for (let i = 0; i < S; i++) {
      const seq = samples.sequences[i]![j]!;
      for (let pos = 0; pos < nEvents; pos++) atPos[seq[pos]! * nEvents + pos]!++;
    }
    const stages: Float64Array[] = [new Float64Array(nEvents)];
    for (let s = 1; s <= nEvents; s++) {
      const prev = stages[s - 1]!;
      const cur = new Float64Array(nEvents);
      for (let e = 0; e < nEvents; e++) cur[e] = prev[e]! + (S > 0 ? atPos[e * nEvents + s - 1]! / S : 0);
      stages.push(cur);
    }
    out.push(stages);
  }
  return out;
}

export const BRAIN_VIEW_COLUMNS = ['subtypes', 'subtype', 'stage', 'feature', 'threshold', 'probability'] as const;

/**
 * Rows of DIR/brain-view.csv: every subtype, stage 0..N and event. `threshold` is the event's z
 * (1 for a model whose events have no z, such as the mixture kind's "abnormal").
 */
export function brainViewRows(cum: Float64Array[][], events: readonly BrainEvent[]): (string | number)[][] {
  const K = cum.length;
  const rows: (string | number)[][] = [];
  const parts = events.map(eventParts);
  cum.forEach((stages, j) => {
    stages.forEach((p, s) => {
      parts.forEach(([b, z], e) => rows.push([K, j, s, b, z, p[e]!]));
    });
  });
  return rows;
}

/** Per biomarker, its events' indices in threshold order. */
export function eventsByBiomarker(events: readonly BrainEvent[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const parts = events.map(eventParts);
  parts.forEach(([b], e) => {
    const list = m.get(b) ?? [];
    list.push(e);
    m.set(b, list);
  });
  for (const list of m.values()) list.sort((a, c) => parts[a]![1] - parts[c]![1]);
  return m;
}

/**
 * A region's fill: white tinted towards each threshold's colour by the probability that the region
 * has reached exactly that threshold by this stage (cumulative p_t minus p_t+1), as the positional
 * variance diagram tints its cells. All thresholds passed with certainty = the last colour.
 */
export function regionColour(cumulative: readonly number[], colours: readonly string[]): string {
  const exact = cumulative.map((p, t) => Math.max(0, p - (cumulative[t + 1] ?? 0)));
  return mixColour(exact, colours);
}
