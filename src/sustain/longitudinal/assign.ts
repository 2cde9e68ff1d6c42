/**
 * Subtyping and staging of longitudinal subjects under a fitted model, averaged over the kept
 * posterior samples: one subtype per subject (from all its visits together), and per visit the stage
 * posterior given the whole path (forward-backward over non-decreasing paths).
 *
 * Per visit row: ml_subtype and its probability (the subject's, equal on all its rows); the stage
 * probabilities (marginal over subtypes); ml_stage = the most probable non-decreasing path of stages
 * under the ML subtype (monotonePath over the per-visit stage posteriors: the per-visit argmax
 * whenever that is already non-decreasing) and prob_ml_stage = P(ML subtype, that stage), as the
 * cross-sectional prob_ml_stage. Per subject: the progression rate, (E[stage | last visit] -
 * E[stage | first visit]) / (years between them) under the ML subtype; never negative.
 */
import { fitFor, alignData, modelOf, samplesOf, distinctSamples, walkSamples } from '../staging.js';
import type { Assignment, SustainModelFile, ZTable } from '../types.js';
import type { ModelData } from '../model.js';
import { forwardBackward, forwardBackwardLog, monotonePath } from './paths.js';
import { LongitudinalTables } from './tables.js';

export interface LongitudinalAssignment extends Assignment {
  /** per row: index of its subject (rows of a subject consecutive, in time order) */
  subjectOf: Int32Array;
  /** subject j's rows are start[j] .. start[j+1] - 1 */
  start: Int32Array;
  /** per row: the visit time */
  times: Float64Array;
  /** per row: the posterior mean stage under the subject's ML subtype */
  expectedStage: Float64Array;
  /** per row: the subject's progression rate in stages per unit of time (NaN with one visit) */
  rate: Float64Array;
}

/**
 * `data` rows are visits grouped by subject in time order (start), `times` their times. Subjects are
 * independent, so any cut of whole subjects into blocks gives the same numbers.
 */
export function assignLongitudinal(model: SustainModelFile, data: ZTable, start: Int32Array, times: Float64Array, subtypes?: number): LongitudinalAssignment {
  const fit = fitFor(model, subtypes);
  const K = fit.subtypes;
  const zm = modelOf(model);
  const M = data.subjects.length;
  const J = start.length - 1;
  const S = zm.nStages;
  const prepared = zm.prepare(alignData(model, data), M);
  const samples = samplesOf(model, fit);
  const { list } = distinctSamples(samples);
  const total = samples.sequences.length;
  let maxV = 1;
  for (let j = 0; j < J; j++) maxV = Math.max(maxV, start[j + 1]! - start[j]!);
  const post = new Float64Array(maxV * S);
  const alpha = new Float64Array(maxV * S);
  const beta = new Float64Array(maxV * S);
  const scale = new Float64Array(maxV);
  const logRows = new Float64Array(maxV * S);
  const w = new Float64Array(K);
  const probSubject = new Float64Array(J * K);
  // joint visit-stage-and-subtype probabilities, [(r * K + s) * S + k]
  const joint = new Float64Array(M * K * S);
  walkSamples<LongitudinalTables<ModelData>>(
    zm,
    prepared,
    list,
    (d, _j, mix) => {
      const wt = d.count / total;
      const f = d.fractions;
      for (let j = 0; j < J; j++) {
        const a = start[j]!;
        const V = start[j + 1]! - a;
        let q = 0;
        for (let s = 0; s < K; s++) q += f[s]! * mix.G[s]![j]!;
        if (q > 0 && q < Infinity) for (let s = 0; s < K; s++) w[s] = (f[s]! * mix.G[s]![j]!) / q;
        else mix.unitPosterior(j, f, w);
        for (let s = 0; s < K; s++) {
          const ps = w[s]!;
          if (ps === 0) continue;
          probSubject[j * K + s]! += wt * ps;
          const st = mix.subs[s]!;
          if (Number.isNaN(forwardBackward(st.E, a, V, S, post, alpha, scale))) {
            // the scaled linear pass under/overflowed: exactly, on log rows from the template
            for (let v = 0; v < V; v++) zm.fillRow(prepared, st.tmpl, a + v, logRows, v * S);
            forwardBackwardLog(logRows, 0, V, S, post, alpha, beta);
          }
          const c = wt * ps;
          for (let v = 0; v < V; v++) {
            const o = ((a + v) * K + s) * S;
            for (let k = 0; k < S; k++) joint[o + k]! += c * post[v * S + k]!;
          }
        }
      }
    },
    (seqs) => new LongitudinalTables(zm, prepared, seqs, start),
  );
  const probSubtype = new Float64Array(M * K);
  const probStage = new Float64Array(M * S);
  const probSubtypeStage = new Float64Array(M * S * K);
  const mlSubtype = new Int32Array(M);
  const probMlSubtype = new Float64Array(M);
  const mlStage = new Int32Array(M);
  const probMlStage = new Float64Array(M);
  const subjectOf = new Int32Array(M);
  const expectedStage = new Float64Array(M);
  const rate = new Float64Array(M);
  const path = new Int32Array(maxV);
  const score = new Float64Array(maxV * S);
  const from = new Int32Array(maxV * S);
  for (let j = 0; j < J; j++) {
    const a = start[j]!;
    const V = start[j + 1]! - a;
    let bs = 0;
    for (let s = 1; s < K; s++) if (probSubject[j * K + s]! > probSubject[j * K + bs]!) bs = s;
    const pb = probSubject[j * K + bs]!;
    for (let v = 0; v < V; v++) {
      const r = a + v;
      subjectOf[r] = j;
      mlSubtype[r] = bs;
      probMlSubtype[r] = pb;
      for (let s = 0; s < K; s++) {
        probSubtype[r * K + s] = probSubject[j * K + s]!;
        const o = (r * K + s) * S;
        for (let k = 0; k < S; k++) {
          probStage[r * S + k]! += joint[o + k]!;
          probSubtypeStage[(r * S + k) * K + s] = joint[o + k]!;
        }
      }
      // P(stage, ML subtype) rows for the path; the posterior mean stage given the ML subtype
      const o = (r * K + bs) * S;
      let m = 0;
      for (let k = 0; k < S; k++) {
        post[v * S + k] = joint[o + k]!;
        m += k * joint[o + k]!;
      }
      expectedStage[r] = pb > 0 ? m / pb : NaN;
    }
    monotonePath(post, V, S, path, score, from);
    for (let v = 0; v < V; v++) {
      mlStage[a + v] = path[v]!;
      probMlStage[a + v] = post[v * S + path[v]!]!;
    }
    const span = times[a + V - 1]! - times[a]!;
    const rj = V > 1 && span > 0 ? Math.max(0, expectedStage[a + V - 1]! - expectedStage[a]!) / span : NaN;
    for (let v = 0; v < V; v++) rate[a + v] = rj;
  }
  return {
    subjects: [...data.subjects],
    subtypes: K,
    mlSubtype,
    probMlSubtype,
    mlStage,
    probMlStage,
    probSubtype,
    probStage,
    probSubtypeStage,
    subjectOf,
    start: Int32Array.from(start),
    times: Float64Array.from(times),
    expectedStage,
    rate,
  };
}

/**
 * Per-subject log-likelihood of longitudinal `data` (rows grouped by subject, start) under each kept
 * posterior sample of the K-subtype fit: out[sample * J + j] (for CVIC, per held-out subject).
 */
export function sampleLongitudinalLogLikelihoods(model: SustainModelFile, subtypes: number, data: ZTable, start: Int32Array): Float64Array {
  const fit = fitFor(model, subtypes);
  const zm = modelOf(model);
  const M = data.subjects.length;
  const J = start.length - 1;
  const prepared = zm.prepare(alignData(model, data), M);
  const samples = samplesOf(model, fit);
  const { list, of } = distinctSamples(samples);
  const n = samples.sequences.length;
  const out = new Float64Array(n * J);
  walkSamples<LongitudinalTables<ModelData>>(
    zm,
    prepared,
    list,
    (d, _j, mix) => mix.unitLogLiks(d.fractions, out.subarray(d.first * J, d.first * J + J)),
    (seqs) => new LongitudinalTables(zm, prepared, seqs, start),
  );
  for (let j = 0; j < n; j++) {
    const first = list[of[j]!]!.first;
    if (first !== j) out.copyWithin(j * J, first * J, first * J + J);
  }
  return out;
}
