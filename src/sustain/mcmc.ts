/**
 * MCMC over sequences and fractions (pySuStaIn _perform_mcmc / _optimise_mcmc_settings), used for
 * uncertainty: positional variance, and posterior-averaged subtype/stage probabilities.
 *
 * Each iteration moves, in every subtype, one event picked by a uniform position to a new allowed
 * position drawn with weight exp(-0.5 (distance / sigma_{s,e})^2), proposes f' = |f + sigma_f * z| /
 * sum, and accepts with probability min(1, exp(L' - L)) (plain Metropolis with a flat prior, as in
 * pySuStaIn). Tuning: `tunePasses` short chains from the ML model; after each, sigma_{s,e} = sd of the
 * event's position (floored at SEQ_SIGMA_FLOOR) and sigma_f = sd of f.
 *
 * Several chains (fit --chains) start from different models, so tuning doubles as warm-up: each
 * tuning pass continues from where the previous one ended and the sampling from where the last
 * ended (pySuStaIn restarts every pass and the sampling from the ML model; with one chain from the
 * EM optimum the two differ only in where the kept samples begin).
 *
 * Deliberate difference from pySuStaIn: there the f proposal adds one shared scalar z to every
 * subtype, so equal fractions (e.g. the [0.5, 0.5] a split starts from) can never move and the tuned
 * sigma_f becomes 0. Here each subtype draws its own z_s, and sigma_f is floored at FSIGMA_FLOOR.
 */
import type { Rng } from '../common/rng.js';
import type { ModelData } from './model.js';
import { moveEvent } from './model.js';
import type { MixtureTables } from './state.js';

export interface McmcOptions {
  iterations: number;
  tunePasses: number;
  tuneIterations: number;
  samplesKept: number;
  /** full table recomputation every this many iterations (bounds floating-point drift) */
  refreshEvery: number;
  /** the sampling's iterations to keep (ascending; a round's share, mcmc-rounds.ts), instead of samplesKept evenly spread */
  record?: readonly number[];
}

export const MCMC_DEFAULTS: McmcOptions = { iterations: 100_000, tunePasses: 3, tuneIterations: 10_000, samplesKept: 1000, refreshEvery: 2000 };

/**
 * Iterations of each tuning pass when none are asked for: a tenth of the sampling, between 1,000 and
 * pySuStaIn's 10,000. pySuStaIn always tunes 3 x 10,000, which is 3/4 of a 10,000-iteration run's MCMC;
 * 3 x 1,000 gave the same acceptance, R-hat and ESS on the shared small cohort and the demo cohort
 * (bench/mcmc-tuning.ts; docs/sustain.md "Why these defaults"). The default 100,000 keeps 10,000.
 */
export function defaultTuneIterations(iterations: number): number {
  return Math.min(MCMC_DEFAULTS.tuneIterations, Math.max(1000, Math.round(iterations / 10)));
}

/**
 * pySuStaIn floors sigma_{s,e} at 0.01: an event that did not move during a tuning pass then
 * proposes a move of one position with weight exp(-5000) and is frozen for the rest of the chain, so
 * its positional variance is zero whatever the data say and chains from different starts stay apart
 * (R-hat 1.17, bulk ESS 19 on the shared small cohort at K = 1, 4 x 1e4 iterations). A floor of one
 * position keeps every event movable (R-hat 1.016, bulk ESS 358 on the same run).
 */
const SEQ_SIGMA_FLOOR = 1;
const FSIGMA_FLOOR = 1e-4;

export interface ChainResult {
  /** kept samples (thinned evenly over the chain, first = the initial model) */
  sequences: number[][][];
  fractions: number[][];
  logLik: number[];
  /** fraction of iterations that moved to a different model */
  acceptance: number;
  meanFractions: number[];
  /** per subtype, per event: sd of the event's position over the chain (the next pass's sigma) */
  positionSd: Float64Array[];
  fractionSd: Float64Array;
  best: { sequences: number[][]; fractions: number[]; logLik: number };
  iterations: number;
  /** the fractions at the last iteration (the sequences are in the tables when `stay` was set) */
  lastFractions: number[];
  /** the running totals after the last iteration, for a chain continued in a later round (mcmc-rounds.ts) */
  carry: ChainCarry;
}

/**
 * Where a chain continues from in a later round (mcmc-rounds.ts): the state after iteration from - 1
 * (the tables hold its sequences) and the running totals of iterations 0..from - 1.
 */
export interface ChainCarry {
  /** index of the next iteration to run */
  from: number;
  accepted: number;
  /** per subtype: sum of the fraction over iterations 0..from - 1 */
  fSum: number[];
  best: { sequences: number[][]; fractions: number[]; logLik: number };
}

/** Indices of `kept` samples spread evenly over n iterations: round(linspace(0, n-1, kept)). */
export function thinIndices(n: number, kept: number): number[] {
  const k = Math.min(n, kept);
  if (k <= 1) return [0];
  const out: number[] = [];
  for (let j = 0; j < k; j++) out.push(Math.round((j * (n - 1)) / (k - 1)));
  return out;
}

/**
 * One chain of n iterations (iteration 0 = the initial model) from the tables' current state.
 * The tables are left at the initial model afterwards, or at the last one with `stay`.
 * `keep`: how many samples to keep, evenly spread, or the iteration indices to keep (ascending).
 * `carry`: continue a chain from iteration carry.from (the tables and f0 are its state after the
 * iteration before), with its running totals; the chain then runs iterations from..n-1.
 */
export function runChain<D extends ModelData>(
  mix: MixtureTables<D>,
  f0: ArrayLike<number>,
  n: number,
  seqSigma: Float64Array[] | number,
  fSigma: Float64Array | number,
  rng: Rng,
  keep: number | readonly number[],
  refreshEvery: number,
  onProgress?: (iteration: number, bestLogLik: number) => void,
  stay = false,
  carry?: ChainCarry,
): ChainResult {
  const K = mix.K;
  const N = mix.model.nEvents;
  const init = mix.sequences();
  const f = Float64Array.from(f0);
  const fNew = new Float64Array(K);
  let ll = mix.logLik(f, false);
  const keepIdx = typeof keep === 'number' ? thinIndices(n, keep) : keep;
  const from = carry?.from ?? 0;
  let nextKeep = 0;
  while (nextKeep < keepIdx.length && keepIdx[nextKeep]! < from) nextKeep++;
  const out: ChainResult = {
    sequences: [],
    fractions: [],
    logLik: [],
    acceptance: 0,
    meanFractions: [],
    positionSd: [],
    fractionSd: new Float64Array(K),
    best: carry?.best ?? { sequences: init.map((s) => Array.from(s)), fractions: Array.from(f), logLik: ll },
    iterations: n,
    lastFractions: [],
    carry: { from: n, accepted: 0, fSum: [], best: { sequences: [], fractions: [], logLik: -Infinity } },
  };
  const posSum = Array.from({ length: K }, () => new Float64Array(N));
  const posSq = Array.from({ length: K }, () => new Float64Array(N));
  const fSum = carry === undefined ? new Float64Array(K) : Float64Array.from(carry.fSum);
  const fSq = new Float64Array(K);
  const work = Array.from({ length: K }, () => new Int32Array(N));
  const range = new Int32Array(2);
  const weights = new Float64Array(N);
  const changed = new Uint8Array(K);
  const order = new Int32Array(K);
  let accepted = carry?.accepted ?? 0;
  const record = (i: number) => {
    for (let s = 0; s < K; s++) {
      const pos = mix.subs[s]!.pos;
      const ps = posSum[s]!;
      const pq = posSq[s]!;
      for (let e = 0; e < N; e++) {
        const p = pos[e]!;
        ps[e]! += p;
        pq[e]! += p * p;
      }
      fSum[s]! += f[s]!;
      fSq[s]! += f[s]! * f[s]!;
    }
    if (nextKeep < keepIdx.length && keepIdx[nextKeep] === i) {
      out.sequences.push(mix.subs.map((st) => Array.from(st.seq)));
      out.fractions.push(Array.from(f));
      out.logLik.push(ll);
      nextKeep++;
    }
  };
  if (from === 0) record(0);
  for (let i = Math.max(1, from); i < n; i++) {
    rng.permutation(K, order);
    for (let q = 0; q < K; q++) {
      const s = order[q]!;
      const st = mix.subs[s]!;
      const from = Math.max(0, Math.ceil(N * rng.uniform()) - 1);
      const e = st.seq[from]!;
      mix.model.allowedRange(st.pos, e, range);
      const lo = range[0]!;
      const hi = range[1]!;
      const sigma = typeof seqSigma === 'number' ? seqSigma : seqSigma[s]![e]!;
      let wsum = 0;
      for (let p = lo; p < hi; p++) {
        const d = (p - from) / sigma;
        const w = Math.exp(-0.5 * d * d);
        weights[p - lo] = w;
        wsum += w;
      }
      let u = rng.uniform() * wsum;
      let to = hi - 1;
      for (let p = lo; p < hi; p++) {
        u -= weights[p - lo]!;
        if (u < 0) {
          to = p;
          break;
        }
      }
      if (to === from) {
        changed[s] = 0;
        continue;
      }
      const w = work[s]!;
      w.set(st.seq);
      moveEvent(w, from, to);
      changed[s] = mix.propose(s, w) ? 1 : 0;
      if (!changed[s]) mix.discard(s);
    }
    let fsum = 0;
    for (let s = 0; s < K; s++) {
      const sf = typeof fSigma === 'number' ? fSigma : fSigma[s]!;
      fNew[s] = Math.abs(f[s]! + sf * rng.normal());
      fsum += fNew[s]!;
    }
    for (let s = 0; s < K; s++) fNew[s] = K === 1 ? 1 : fNew[s]! / fsum;
    if (K === 1 && !changed[0]) {
      // nothing moved: the same model (accepted at no cost, as exp(0) >= u)
      rng.uniform();
      record(i);
      continue;
    }
    const llNew = mix.logLik(fNew, true);
    const u = rng.uniform();
    if (llNew - ll >= Math.log(u)) {
      let moved = K > 1;
      for (let s = 0; s < K; s++) {
        if (changed[s]) {
          mix.commit(s);
          moved = true;
        }
      }
      f.set(fNew);
      ll = llNew;
      if (moved) accepted++;
      if (ll > out.best.logLik) out.best = { sequences: mix.subs.map((st) => Array.from(st.seq)), fractions: Array.from(f), logLik: ll };
    } else {
      for (let s = 0; s < K; s++) if (changed[s]) mix.discard(s);
    }
    if (i % refreshEvery === 0) {
      mix.refresh();
      ll = mix.logLik(f, false);
      onProgress?.(i, out.best.logLik);
    }
    record(i);
  }
  out.acceptance = n > 1 ? accepted / (n - 1) : 0;
  // sds over this run's iterations (a continued chain's are not used); means over the whole chain
  const c = n - from;
  for (let s = 0; s < K; s++) {
    const sd = new Float64Array(N);
    for (let e = 0; e < N; e++) {
      const m = posSum[s]![e]! / c;
      const v = c > 1 ? (posSq[s]![e]! - c * m * m) / (c - 1) : 0;
      sd[e] = Math.sqrt(Math.max(0, v));
    }
    out.positionSd.push(sd);
    const fm = fSum[s]! / n;
    out.meanFractions.push(fm);
    out.fractionSd[s] = c > 1 ? Math.sqrt(Math.max(0, (fSq[s]! - c * fm * fm) / (c - 1))) : 0;
  }
  out.lastFractions = Array.from(f);
  out.carry = { from: n, accepted, fSum: Array.from(fSum), best: out.best };
  if (!stay) mix.reset(init);
  return out;
}

export interface McmcResult extends ChainResult {
  seqSigma: number[][];
  fSigma: number[];
  /** with opts.record: the sequences at the last iteration (where a later round continues) */
  lastSequences?: number[][];
}

/** Tune proposal widths on short chains from the ML model, then run the main chain. */
export function runMcmc<D extends ModelData>(
  mix: MixtureTables<D>,
  f0: ArrayLike<number>,
  rng: Rng,
  opts: McmcOptions,
  onProgress?: (phase: string, iteration: number, bestLogLik: number) => void,
): McmcResult {
  const K = mix.K;
  let seqSigma: Float64Array[] | number = 1;
  let fSigma: Float64Array | number = 0.01;
  const init = mix.sequences();
  let f: ArrayLike<number> = f0;
  let best: ChainResult['best'] | undefined;
  for (let pass = 0; pass < opts.tunePasses; pass++) {
    const r: ChainResult = runChain(mix, f, opts.tuneIterations, seqSigma, fSigma, rng, 1, opts.refreshEvery, (i, b) => onProgress?.(`tune ${pass + 1}`, i, b), true);
    seqSigma = r.positionSd.map((sd: Float64Array) => sd.map((v: number) => Math.max(v, SEQ_SIGMA_FLOOR)));
    fSigma = r.fractionSd.map((v: number) => Math.max(v, FSIGMA_FLOOR));
    f = r.lastFractions;
    if (best === undefined || r.best.logLik > best.logLik) best = r.best;
  }
  const keep = opts.record ?? opts.samplesKept;
  const main = runChain(mix, f, Math.max(1, opts.iterations), seqSigma, fSigma, rng, keep, opts.refreshEvery, (i, b) => onProgress?.('sample', i, b), true);
  const last = opts.record === undefined ? undefined : mix.sequences().map((s) => Array.from(s));
  mix.reset(init);
  // the best model seen also counts the warm-up (a chain from a dispersed start may pass the optimum there)
  if (best !== undefined && best.logLik > main.best.logLik) main.best = main.carry.best = best;
  const ss = typeof seqSigma === 'number' ? Array.from({ length: K }, () => new Array<number>(mix.model.nEvents).fill(seqSigma as number)) : seqSigma.map((a) => Array.from(a));
  const fs = typeof fSigma === 'number' ? new Array<number>(K).fill(fSigma) : Array.from(fSigma);
  return { ...main, seqSigma: ss, fSigma: fs, ...(last === undefined ? {} : { lastSequences: last }) };
}

/** Where a chain's next round starts: its state and running totals after the last round, and its tuned widths. */
export interface ChainResume extends ChainCarry {
  fractions: number[];
  seqSigma: number[][];
  fSigma: number[];
}

/** Continue a chain (its sequences are in the tables) through iteration n - 1, keeping opts.record. */
export function continueMcmc<D extends ModelData>(
  mix: MixtureTables<D>,
  resume: ChainResume,
  n: number,
  rng: Rng,
  opts: Pick<McmcOptions, 'refreshEvery' | 'record'>,
  onProgress?: (iteration: number, bestLogLik: number) => void,
): McmcResult {
  const seqSigma = resume.seqSigma.map((a) => Float64Array.from(a));
  const main = runChain(mix, resume.fractions, n, seqSigma, Float64Array.from(resume.fSigma), rng, opts.record ?? [], opts.refreshEvery, onProgress, true, resume);
  const last = mix.sequences().map((s) => Array.from(s));
  return { ...main, seqSigma: resume.seqSigma, fSigma: resume.fSigma, lastSequences: last };
}
