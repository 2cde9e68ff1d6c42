import { adjustedRandIndex } from '../cv/ari.js';
import { columnIndex, readTable } from '../io/csv.js';
import { UserError } from '../common/errors.js';

/**
 * Agreement of recovered subtypes with a known truth (simulated cohorts such as the bundled demo).
 * Only subjects with a true subtype and a true stage above 0 count: a subject with no change yet
 * has no subtype to recover.
 */
export interface TruthRow {
  subject: string;
  subtype: string;
  /** NaN when the truth has no stage column */
  stage: number;
}

export interface TruthAgreement {
  /** adjusted Rand index between true and recovered subtypes (NaN when fewer than 2 subjects) */
  ari: number;
  subjects: number;
  trueSubtypes: string[];
  /** counts[true subtype index][recovered subtype] */
  counts: number[][];
  recoveredSubtypes: number;
}

export function truthAgreement(truth: readonly TruthRow[], recovered: ReadonlyMap<string, number>, subtypes: number): TruthAgreement {
  const names: string[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (const t of truth) {
    if (t.subtype === '' || !(t.stage > 0 || Number.isNaN(t.stage))) continue;
    const r = recovered.get(t.subject);
    if (r === undefined || r < 0) continue;
    let i = names.indexOf(t.subtype);
    if (i < 0) i = names.push(t.subtype) - 1;
    a.push(i);
    b.push(r);
  }
  const order = names.map((n, i) => [n, i] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const remap = new Map(order.map(([, old], now) => [old, now]));
  const counts = order.map(() => new Array<number>(subtypes).fill(0));
  for (let k = 0; k < a.length; k++) counts[remap.get(a[k]!)!]![b[k]!]! += 1;
  return {
    ari: a.length >= 2 ? adjustedRandIndex(a, b) : NaN,
    subjects: a.length,
    trueSubtypes: order.map(([n]) => n),
    counts,
    recoveredSubtypes: subtypes,
  };
}

export function readTruth(file: string, subjectColumn: string, subtypeColumn: string, stageColumn: string | null): TruthRow[] {
  const t = readTable(file);
  const si = columnIndex(t, subjectColumn);
  const ti = columnIndex(t, subtypeColumn);
  const gi = stageColumn === null ? -1 : columnIndex(t, stageColumn);
  return t.rows.map((r, row) => {
    let stage = NaN;
    if (gi >= 0 && r[gi] !== '') {
      stage = Number(r[gi]);
      if (!Number.isFinite(stage)) throw new UserError(`"${r[gi]}" is not a number`, { file, line: row + 2, subject: r[si], field: stageColumn! });
    } else if (gi >= 0) stage = 0;
    return { subject: r[si]!, subtype: r[ti]!, stage };
  });
}

/** A small text table: true subtypes down, recovered subtypes across. */
export function formatAgreement(g: TruthAgreement): string {
  const w = Math.max(12, ...g.trueSubtypes.map((n) => n.length)) + 2;
  const head = 'true \\ found'.padEnd(w) + Array.from({ length: g.recoveredSubtypes }, (_, k) => `S${k}`.padStart(6)).join('');
  const rows = g.trueSubtypes.map((n, i) => n.padEnd(w) + g.counts[i]!.map((c) => String(c).padStart(6)).join(''));
  return [head, ...rows].join('\n');
}
