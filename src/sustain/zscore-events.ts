/**
 * The z-score model's events: "biomarker b reaches threshold z", numbered biomarker-major with
 * thresholds ascending, so a biomarker's events are consecutive numbers.
 */
import type { Thresholds } from './types.js';

export interface EventTable {
  nEvents: number;
  biomarker: Int32Array;
  z: Float64Array;
  /** first event of each biomarker; events of b are first[b] .. first[b] + count[b] - 1 */
  first: Int32Array;
  count: Int32Array;
}

export function eventTable(t: Thresholds): EventTable {
  const B = t.zvals.length;
  const first = new Int32Array(B);
  const count = new Int32Array(B);
  let n = 0;
  for (let b = 0; b < B; b++) {
    first[b] = n;
    count[b] = t.zvals[b]!.length;
    n += count[b]!;
  }
  const biomarker = new Int32Array(n);
  const z = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < count[b]!; j++) {
      biomarker[first[b]! + j] = b;
      z[first[b]! + j] = t.zvals[b]![j]!;
    }
  }
  return { nEvents: n, biomarker, z, first, count };
}

// A small module-level scratch buffer (grown on demand): a model is used by one thread at a time.
let posBuf = new Int32Array(0);

/** Position of every event in `seq` (a shared scratch buffer: valid until the next call). */
export function eventPositions(seq: Int32Array, n: number): Int32Array {
  if (posBuf.length < n) posBuf = new Int32Array(n);
  const pos = posBuf;
  for (let p = 0; p < n; p++) pos[seq[p]!] = p;
  return pos;
}
