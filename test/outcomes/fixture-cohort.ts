/** Reads a fixture data set written by fixtures/make-fixtures.R into a Cohort (tests only). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTable } from '../../src/io/csv.js';
import { levelsOf, type Cohort, type Column } from '../../src/outcomes/cohort.js';

export const FIXTURES = join(__dirname, 'fixtures');

export interface Fixture {
  cohort: Cohort;
  ref: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function loadFixture(name: string): Fixture {
  const t = parseTable(readFileSync(join(FIXTURES, `${name}.csv`), 'utf8'), `${name}.csv`);
  const col = (c: string) => t.rows.map((r) => r[t.columns.indexOf(c)]!);
  const n = t.rows.length;
  const columns = new Map<string, Column>();
  for (const c of t.columns) {
    if (['subject_id', 'subtype', 'stage'].includes(c)) continue;
    const v = col(c);
    if (v.every((x) => x !== '' && Number.isFinite(Number(x)))) columns.set(c, { kind: 'numeric', values: Float64Array.from(v, Number) });
    else columns.set(c, { kind: 'categorical', values: v, levels: levelsOf(v) });
  }
  const subtype = Int32Array.from(col('subtype'), Number);
  const probs = new Float64Array(n * 3);
  subtype.forEach((k, i) => (probs[i * 3 + k] = 1));
  const cohort: Cohort = {
    subjects: col('subject_id'),
    subtype,
    stage: Int32Array.from(col('stage'), Number),
    probs,
    subtypes: 3,
    isControl: new Uint8Array(n),
    columns,
  };
  return { cohort, ref: JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) };
}

/** R's coefficient names -> ours. */
export function ourTerm(r: string): string {
  return r
    .replace(/subtype_f(\d)/g, 'subtype$1')
    .replace(/^sexM$/, 'sex=M')
    .replace(/arm_f(\w+)/g, 'arm=$1')
    .replace(/^\(Intercept\)$/, '(Intercept)');
}
