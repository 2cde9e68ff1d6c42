/**
 * Saved states of one subtype's tables (TableWrites.snapshot / restore): the EM walk comes back to an
 * earlier position by a copy instead of recomputing a long move.
 */
import { inversePositions } from './model.js';
import type { SubtypeTables } from './state-subtype.js';

interface Snapshot {
  /** the subtype saved, -1 while the slot is unused */
  s: number;
  /** TableWrites.rebaseCount when saved: a re-centred subject makes E and T of another scale */
  rebaseCount: number;
  seq: Int32Array;
  tmpl: Float64Array;
  E: Float64Array;
  T: Float64Array;
  /** only when the update tracks underflowed cells by their logs (L must then stay current) */
  L: Float64Array | null;
}

export class Snapshots {
  private readonly slots: Snapshot[] = [];

  constructor(
    private readonly M: number,
    private readonly S: number,
    private readonly tracked: boolean,
  ) {}

  save(st: SubtypeTables, s: number, slot: number, rebaseCount: number): void {
    let sn = this.slots[slot];
    if (sn === undefined) {
      const cells = this.M * this.S;
      sn = {
        s: -1,
        rebaseCount: -1,
        seq: new Int32Array(st.seq.length),
        tmpl: new Float64Array(st.tmpl.length),
        E: new Float64Array(cells),
        T: new Float64Array(this.M),
        L: this.tracked ? new Float64Array(cells) : null,
      };
      this.slots[slot] = sn;
    }
    sn.L?.set(st.L);
    sn.s = s;
    sn.rebaseCount = rebaseCount;
    sn.seq.set(st.seq);
    sn.tmpl.set(st.tmpl);
    sn.E.set(st.E);
    sn.T.set(st.T);
  }

  /** The sequence saved in `slot` for subtype s (for a caller that must recompute the move instead). */
  sequence(s: number, slot: number): Int32Array {
    return this.get(s, slot).seq;
  }

  /** Whether `slot` can be copied back: no subject was re-centred since it was saved. */
  current(s: number, slot: number, rebaseCount: number): boolean {
    return this.get(s, slot).rebaseCount === rebaseCount;
  }

  /** Copy `slot` back into subtype s's tables (the caller has checked `current`). */
  load(st: SubtypeTables, s: number, slot: number): void {
    const sn = this.get(s, slot);
    st.hasPending = false;
    st.seq.set(sn.seq);
    inversePositions(st.seq, st.pos);
    st.tmpl.set(sn.tmpl);
    st.E.set(sn.E);
    st.T.set(sn.T);
    // L is saved only where it must be current (tracked cells): the rest is refilled from the template when needed
    if (sn.L !== null) st.L.set(sn.L);
    st.lStale = true;
  }

  private get(s: number, slot: number): Snapshot {
    const sn = this.slots[slot];
    if (sn === undefined) throw new Error(`snapshot ${slot} was never saved`);
    if (sn.s !== s) throw new Error(`snapshot ${slot} holds subtype ${sn.s}, not ${s}`);
    return sn;
  }
}
