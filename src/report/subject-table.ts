/** The data behind the page's subject table and its CSV download (embedded as JSON in the page). */
import { stringify } from 'csv-stringify/sync';
import { formatNumber } from '../io/csv.js';
import { subjectColumns } from '../io/subjects.js';
import type { SubtypeLabel } from './stats.js';
import type { ReportOptions, ReportSubjects } from './types.js';

export type CellType = 'text' | 'int' | 'num' | 'prob' | 'subtype';

export interface SubjectTableData {
  columns: { key: string; label: string; type: CellType }[];
  /** One array per subject; numbers (null = missing) or strings by column type. */
  rows: (string | number | null)[][];
  subtypeLabels: string[];
  subtypeColours: string[];
  pageSize: number;
  /** CSV header line and one CSV line per subject (newline-terminated), for downloads of all or filtered rows. */
  csvHeader: string;
  csvLines: string[];
}

/** Probabilities rounded for display; the download keeps the full values. */
const round4 = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);

export function subjectTableData(s: ReportSubjects, labels: SubtypeLabel[], opts: ReportOptions): SubjectTableData {
  const a = s.assignment;
  const k = a.subtypes;
  const m = a.subjects.length;
  // Columns empty for every subject (e.g. session in a one-session cohort) are left out of the view (not the download).
  // So are a longitudinal table's per-visit stage probabilities (one column per stage: too wide to read).
  const carried = Object.entries(s.carried ?? {}).filter(([name, v]) => v.some((x) => x.trim() !== '') && !/^prob_stage_\d+$/.test(name));
  const numericCarried = carried.map(([, v]) => v.every((x) => x.trim() === '' || Number.isFinite(Number(x))) && v.some((x) => x.trim() !== ''));
  const columns: SubjectTableData['columns'] = [
    { key: 'subject_id', label: 'Subject', type: 'text' },
    { key: 'ml_subtype', label: 'Subtype', type: 'subtype' },
    { key: 'prob_ml_subtype', label: 'P(subtype)', type: 'prob' },
    { key: 'ml_stage', label: 'Stage', type: 'int' },
    { key: 'prob_ml_stage', label: 'P(stage)', type: 'prob' },
    ...(k > 1 ? labels.map((l) => ({ key: `prob_subtype_${l.subtype}`, label: `P(S${l.subtype + 1})`, type: 'prob' as const })) : []),
    ...carried.map(([name], i) => ({ key: name, label: name, type: (numericCarried[i] ? 'num' : 'text') as CellType })),
  ];
  const rows: (string | number | null)[][] = [];
  for (let i = 0; i < m; i++) {
    const r: (string | number | null)[] = [a.subjects[i]!, a.mlSubtype[i]!, round4(a.probMlSubtype[i]!), a.mlStage[i]!, round4(a.probMlStage[i]!)];
    if (k > 1) for (let j = 0; j < k; j++) r.push(round4(a.probSubtype[i * k + j]!));
    carried.forEach(([, v], c) => {
      const x = v[i] ?? '';
      r.push(numericCarried[c] ? (x.trim() === '' ? null : Number(x)) : x);
    });
    rows.push(r);
  }
  let header: string[];
  let csvRows: string[][];
  if (s.raw !== undefined) {
    header = s.raw.columns;
    csvRows = s.raw.rows;
  } else {
    const all = Object.entries(s.carried ?? {});
    header = subjectColumns(
      k,
      all.map(([n]) => n),
    );
    csvRows = [];
    for (let i = 0; i < m; i++) {
      const probs = Array.from({ length: k }, (_, j) => formatNumber(a.probSubtype[i * k + j]!));
      csvRows.push([
        a.subjects[i]!,
        String(a.mlSubtype[i]),
        formatNumber(a.probMlSubtype[i]!),
        String(a.mlStage[i]),
        formatNumber(a.probMlStage[i]!),
        ...probs,
        ...all.map(([, v]) => v[i] ?? ''),
      ]);
    }
  }
  const line = (r: string[]) => stringify([r], { record_delimiter: '\n' });
  return {
    columns,
    rows,
    subtypeLabels: labels.map((l) => l.short),
    subtypeColours: opts.subtypeColours,
    pageSize: opts.tablePageSize,
    csvHeader: line(header),
    csvLines: csvRows.map(line),
  };
}
