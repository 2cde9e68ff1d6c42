/**
 * Table 1: each clinical variable summarised per subtype (patients past stage 0, by most likely
 * subtype), for stage-0 patients and for controls, with tests across the subtypes only.
 * Numbers: mean (sd) and median [IQR], with ANOVA and Kruskal-Wallis; 0/1 columns: count (%);
 * text columns: count (%) per level, with chi-square (Fisher's exact test for a 2 x 2 table, and for
 * an r x 2 or 2 x c table with expected counts below 5).
 */
import { isMissing, type Cohort, type Column } from './cohort.js';
import { chiSquareTest, fisherTest2x2, fisherTestRx2, kruskalWallis, oneWayAnova, quantile7, type TestResult } from './tests.js';
import type { Table1 } from './schema.js';

type Cell = Table1['rows'][number]['cells'][number];

export interface Table1Variable {
  name: string;
  column: Column;
}

function groupsOf(c: Cohort): { key: string; label: string; rows: number[]; tested: boolean }[] {
  const g = Array.from({ length: c.subtypes }, (_, k) => ({ key: `subtype${k}`, label: `Subtype ${k}`, rows: [] as number[], tested: true }));
  const stage0 = { key: 'stage0', label: 'Stage 0', rows: [] as number[], tested: false };
  const controls = { key: 'controls', label: 'Controls', rows: [] as number[], tested: false };
  for (let i = 0; i < c.subjects.length; i++) {
    if (c.isControl[i] === 1) controls.rows.push(i);
    else if (c.stage[i] === 0) stage0.rows.push(i);
    else g[c.subtype[i]!]!.rows.push(i);
  }
  return [...g, stage0, ...(controls.rows.length > 0 ? [controls] : [])];
}

function numericCell(values: number[], missing: number): Cell {
  const n = values.length;
  if (n === 0) return { n, missing, mean: null, sd: null, median: null, q1: null, q3: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null;
  const s = [...values].sort((a, b) => a - b);
  return { n, missing, mean, sd, median: quantile7(s, 0.5), q1: quantile7(s, 0.25), q3: quantile7(s, 0.75) };
}

function categoricalTest(counts: number[][]): TestResult[] {
  const rows = counts.filter((r) => r.reduce((a, b) => a + b, 0) > 0);
  const colsUsed = rows.length > 0 ? rows[0]!.map((_, j) => rows.some((r) => r[j]! > 0)) : [];
  const trimmed = rows.map((r) => r.filter((_, j) => colsUsed[j]));
  if (trimmed.length === 2 && trimmed[0]!.length === 2) return [fisherTest2x2(trimmed)];
  const chi = chiSquareTest(trimmed);
  // Small expected counts in a table with two rows or two columns: the exact test instead.
  if (chi?.note !== undefined && (trimmed.length === 2 || trimmed[0]!.length === 2)) {
    const exact = fisherTestRx2(trimmed);
    if (exact) return [exact];
  }
  return chi ? [chi] : [];
}

export function table1(c: Cohort, variables: readonly Table1Variable[]): Table1 {
  const groups = groupsOf(c);
  const tested = groups.filter((g) => g.tested);
  const rows: Table1['rows'] = [];
  const stage: Column = { kind: 'numeric', values: Float64Array.from(c.stage) };
  for (const { name, column } of [{ name: 'stage', column: stage }, ...variables]) {
    if (column.kind === 'numeric') {
      const vals = groups.map((g) => g.rows.filter((i) => !isMissing(column, i)).map((i) => column.values[i]!));
      const miss = groups.map((g) => g.rows.filter((i) => isMissing(column, i)).length);
      const binary = vals.flat().every((v) => v === 0 || v === 1) && vals.flat().length > 0;
      if (binary) {
        const cells = vals.map((v, j) => {
          const ones = v.filter((x) => x === 1).length;
          return { n: v.length, missing: miss[j]!, count: ones, percent: v.length > 0 ? (100 * ones) / v.length : null };
        });
        const table = tested.map((g) => {
          const v = vals[groups.indexOf(g)]!;
          const ones = v.filter((x) => x === 1).length;
          return [ones, v.length - ones];
        });
        rows.push({ variable: name, level: '1', kind: 'binary', cells, tests: categoricalTest(table) });
      } else {
        const testedVals = tested.map((g) => vals[groups.indexOf(g)]!);
        const tests = [oneWayAnova(testedVals), kruskalWallis(testedVals)].filter((t): t is TestResult => t !== null);
        rows.push({ variable: name, level: null, kind: 'numeric', cells: vals.map((v, j) => numericCell(v, miss[j]!)), tests });
      }
    } else {
      const table = tested.map((g) => column.levels.map((lv) => g.rows.filter((i) => column.values[i] === lv).length));
      const tests = categoricalTest(table);
      column.levels.forEach((lv, li) => {
        const cells = groups.map((g) => {
          const present = g.rows.filter((i) => column.values[i] !== null);
          const count = present.filter((i) => column.values[i] === lv).length;
          return { n: present.length, missing: g.rows.length - present.length, count, percent: present.length > 0 ? (100 * count) / present.length : null };
        });
        rows.push({ variable: name, level: lv, kind: 'level', cells, tests: li === 0 ? tests : [] });
      });
    }
  }
  return { groups: groups.map((g) => ({ key: g.key, label: g.label, n: g.rows.length, tested: g.tested })), rows };
}
