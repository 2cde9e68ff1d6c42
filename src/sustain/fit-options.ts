/**
 * The options of a fit (fit.ts), their defaults and their checks.
 */
import { UserError } from '../common/errors.js';
import { defaultThreads } from '../common/pool.js';
import { EM_DEFAULTS } from './em.js';
import { defaultTuneIterations, MCMC_DEFAULTS } from './mcmc.js';

export interface FitOptions {
  maxSubtypes: number;
  startpoints: number;
  mcmcIterations: number;
  /** MCMC chains per K (each mcmcIterations long, after its own tuning passes) */
  chains: number;
  mcmcTunePasses: number;
  /** iterations of each tuning pass (default: defaultTuneIterations(mcmcIterations), mcmc.ts) */
  mcmcTuneIterations: number;
  samplesKept: number;
  /** EM runs per polish round of each K's optimum (polish.ts; 0: no polish) */
  polish: number;
  /** stop a set of EM start points once its best optimum has been reached this many times (multistart.ts; 0: run them all) */
  earlyStop: number;
  /** run each set of EM start points on this many random subjects, refining its best few on all, when the cohort has at least twice as many (screen.ts; 0: off) */
  screen: number;
  threads: number;
  emMaxIterations: number;
  emTolerance: number;
  seed: number;
}

export const FIT_DEFAULTS: Omit<FitOptions, 'seed' | 'threads' | 'mcmcTuneIterations'> = {
  maxSubtypes: 3,
  startpoints: 25,
  mcmcIterations: 100_000,
  chains: 4,
  mcmcTunePasses: MCMC_DEFAULTS.tunePasses,
  samplesKept: MCMC_DEFAULTS.samplesKept,
  // a cheap polish of each K's optimum: evidence in docs/sustain.md "EM robustness"
  polish: 4,
  // most start points end at an optimum others already reached: evidence in docs/sustain.md "EM at paper scale"
  earlyStop: 2,
  // off: on the paper cohort it missed optima by up to 11 units for a 9-52 % saving (docs/sustain.md "Screening start points on a subsample")
  screen: 0,
  emMaxIterations: EM_DEFAULTS.maxIterations,
  emTolerance: EM_DEFAULTS.tolerance,
};

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkOptions(o: FitOptions): void {
  const ints: [keyof FitOptions, number][] = [
    ['maxSubtypes', 1],
    ['startpoints', 1],
    ['mcmcIterations', 0],
    ['chains', 1],
    ['mcmcTunePasses', 0],
    ['mcmcTuneIterations', 2],
    ['samplesKept', 1],
    ['polish', 0],
    ['earlyStop', 0],
    ['screen', 0],
    ['threads', 1],
    ['emMaxIterations', 1],
  ];
  for (const [k, min] of ints) {
    const v = o[k];
    if (!Number.isInteger(v) || v < min) throw new UserError(`${k} must be an integer >= ${min}, got ${v}`);
  }
  if (!Number.isInteger(o.seed)) throw new UserError(`seed must be an integer, got ${o.seed}`);
}

/** The options of a fit: the defaults, then what was asked (undefined = default), checked. */
export function resolveFitOptions(opts: Partial<FitOptions> & { seed: number }): FitOptions {
  const asked = stripUndefined(opts) as Partial<FitOptions>;
  const iterations = asked.mcmcIterations ?? FIT_DEFAULTS.mcmcIterations;
  const o: FitOptions = { ...FIT_DEFAULTS, mcmcTuneIterations: defaultTuneIterations(iterations), threads: defaultThreads(), ...asked, seed: opts.seed };
  checkOptions(o);
  return o;
}
