/**
 * Chains of one K run in rounds, seen at several lengths (bench:mcmc-length: what the diagnostics say
 * at 1e3, 3e3, ... iterations, from the same chains).
 *
 * The lengths are fixed in advance, so each round keeps exactly the samples that some later length
 * keeps (evenly thinned over that whole length, as a chain of that length run at once keeps them:
 * thinIndices). After each round the caller sees every chain as if it had been run to the current
 * length, and may stop them; the decision depends only on those samples, never on timing, so the result
 * is the same for any thread count. A round continues the chain where the last one ended (its
 * sequences, fractions, random stream and running totals: mcmc.ts ChainResume); only the first round
 * tunes. When a round ends just after a table refresh (length - 1 a multiple of refreshEvery), the
 * chain is the one a single run of the full length gives, to the bit (a test).
 */
import { thinIndices, type ChainResume } from './mcmc.js';
import type { McmcTask, McmcTaskResult } from './tasks.js';

/** Lengths every `round` iterations, and the cap. */
export function roundLengths(cap: number, round: number): number[] {
  const out: number[] = [];
  for (let L = round; L < cap; L += round) out.push(L);
  out.push(cap);
  return out;
}

/** The iterations of [a, b) that a stopping length L > a keeps (thinIndices(L, perChain)), ascending. */
export function roundRecord(lengths: readonly number[], perChain: number, a: number, b: number): number[] {
  const set = new Set<number>();
  for (const L of lengths) if (L > a) for (const i of thinIndices(L, perChain)) if (i >= a && i < b) set.add(i);
  return [...set].sort((x, y) => x - y);
}

/** A chain's kept samples so far, by iteration. */
class Kept {
  private at = new Map<number, number>();
  readonly sequences: number[][][] = [];
  readonly fractions: number[][] = [];
  readonly logLik: number[] = [];

  add(record: readonly number[], r: McmcTaskResult): void {
    record.forEach((i, j) => {
      this.at.set(i, this.logLik.length);
      this.sequences.push(r.sequences[j]!);
      this.fractions.push(r.fractions[j]!);
      this.logLik.push(r.logLik[j]!);
    });
  }

  /** The chain as if run to length L at once and thinned to perChain samples. */
  chainAt(last: McmcTaskResult, L: number, perChain: number): McmcTaskResult {
    const idx = thinIndices(L, perChain).map((i) => this.at.get(i)!);
    const { rng: _r, lastSequences: _s, ...rest } = last;
    return { ...rest, sequences: idx.map((j) => this.sequences[j]!), fractions: idx.map((j) => this.fractions[j]!), logLik: idx.map((j) => this.logLik[j]!) };
  }
}

export interface RoundsResult {
  chains: McmcTaskResult[];
  /** the sampling's length, per chain */
  iterations: number;
  /** whether the caller stopped the chains (false: they ran to the last length) */
  stopped: boolean;
}

/**
 * Run the chains `first` (round-one tasks: tuning then sampling; their mcmc.iterations is replaced)
 * round by round through `lengths`, until `stop` says so for the chains at a length or the last
 * length is reached. `run` runs one round's tasks (one per chain, in order) and returns their results.
 */
export async function runRounds(
  first: readonly McmcTask[],
  lengths: readonly number[],
  perChain: number,
  run: (tasks: McmcTask[], round: number) => Promise<McmcTaskResult[]>,
  stop: (chains: McmcTaskResult[], length: number) => boolean,
): Promise<RoundsResult> {
  const kept = first.map(() => new Kept());
  let state: { resume: ChainResume; sequences: number[][]; rng: number[] }[] = [];
  let a = 0;
  for (let j = 0; j < lengths.length; j++) {
    const L = lengths[j]!;
    const record = roundRecord(lengths, perChain, a, L);
    const tasks = first.map((t, c): McmcTask => {
      const mcmc = { ...t.mcmc, iterations: L, record };
      if (j === 0) return { ...t, mcmc };
      const { perturbStart: _p, ...rest } = t;
      const s = state[c]!;
      return { ...rest, mcmc, sequences: s.sequences, fractions: s.resume.fractions, rng: s.rng, resume: s.resume };
    });
    const results = await run(tasks, j);
    results.forEach((r, c) => kept[c]!.add(record, r));
    state = results.map((r) => ({
      resume: { ...r.carry, fractions: r.lastFractions, seqSigma: r.seqSigma, fSigma: r.fSigma },
      sequences: r.lastSequences!,
      rng: r.rng!,
    }));
    const chains = results.map((r, c) => kept[c]!.chainAt(r, L, perChain));
    const ok = stop(chains, L);
    if (ok || j === lengths.length - 1) return { chains, iterations: L, stopped: ok };
    a = L;
  }
  throw new Error('runRounds needs at least one length');
}
