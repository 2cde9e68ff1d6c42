/**
 * Cached columns exp(alpha * x_i) over all subjects, per (biomarker, alpha).
 *
 * Why: the multiplicative update needs, per piece of a move, exp(alpha * x_i) for every subject, and
 * the same alphas come back again and again (the MCMC chain moves back and forth between nearby
 * orderings; EM sweeps revisit the same knot positions). A hit replaces an exp per subject by a load.
 * The alphas are differences of ramp slopes, so equal configurations give bit-identical keys.
 * Fixed number of slots, reused round robin: memory stays bounded whatever the run length.
 */
import { fastExp } from './fastexp.js';

/**
 * Memory for the cached columns (bytes), divided into slots of one column each. Large cohorts need
 * room for many columns: at 6,322 subjects x 34 events, 16 MB (331 slots) missed 71 % of lookups in EM
 * and 42 % in MCMC; 64 MB (1,326 slots) 45 % and 8 % (9-11 % less CPU); 128 MB 23 % and 3 % (18-20 %
 * less) but a 2-thread fit's peak memory went from 265 MB to 717 MB (64 MB: 439 MB), see
 * docs/sustain.md. Cohorts of up to 2,048 subjects are bounded by MAX_SLOTS first (16 MB at 500).
 */
const BUDGET_BYTES = 64 * 1024 * 1024;
const MIN_SLOTS = 16;
const MAX_SLOTS = 4096;

export class ExpCache {
  private readonly slots: number;
  /** per biomarker: alpha -> slot */
  private readonly index: Map<number, number>[];
  private readonly slotFeature: Int32Array;
  private readonly slotAlpha: Float64Array;
  private next = 0;

  /** Number of cached columns for M subjects. */
  static slotsFor(M: number): number {
    return Math.max(MIN_SLOTS, Math.min(MAX_SLOTS, Math.floor(BUDGET_BYTES / (8 * Math.max(1, M)))));
  }

  /** `values`: room for slotsFor(M) columns of M values (it may live in WebAssembly memory). */
  constructor(
    private readonly M: number,
    B: number,
    private readonly xT: Float64Array,
    readonly values: Float64Array,
  ) {
    this.slots = ExpCache.slotsFor(M);
    if (values.length < this.slots * M) throw new Error(`ExpCache needs ${this.slots * M} values, got ${values.length}`);
    this.index = Array.from({ length: B }, () => new Map<number, number>());
    this.slotFeature = new Int32Array(this.slots).fill(-1);
    this.slotAlpha = new Float64Array(this.slots);
  }

  /**
   * Offset in `values` of the column exp(alpha * x[., f]) (computed on a miss). A miss reuses the
   * oldest slot, except the one at offset `keep` (a column the caller still needs).
   */
  column(f: number, alpha: number, keep = -1): number {
    const map = this.index[f]!;
    const hit = map.get(alpha);
    if (hit !== undefined) return hit * this.M;
    let slot = this.next;
    if (slot * this.M === keep) slot = (slot + 1) % this.slots;
    this.next = (slot + 1) % this.slots;
    const old = this.slotFeature[slot]!;
    if (old >= 0) this.index[old]!.delete(this.slotAlpha[slot]!);
    this.slotFeature[slot] = f;
    this.slotAlpha[slot] = alpha;
    map.set(alpha, slot);
    const M = this.M;
    const out = this.values;
    const o = slot * M;
    const xo = f * M;
    const x = this.xT;
    for (let i = 0; i < M; i++) out[o + i] = fastExp(alpha * x[xo + i]!);
    return o;
  }
}
