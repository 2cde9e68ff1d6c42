import { basename } from 'node:path';
import { UserError } from '../common/errors.js';
import { parseTable, parseNumber } from '../io/csv.js';
import { labelForName, nameKey } from './aseg-labels.js';
import type { VolumeTableRow } from './measure.js';

/**
 * Volume tables analysts already have, without the scans: FreeSurfer aseg.stats (one subject),
 * asegstats2table output (subjects x structures) and SynthSeg --vol CSV. Each becomes label number
 * -> mm^3 (plus ICV where the tool reports one), to go through the same feature definitions.
 */
export type TableKind = 'aseg-stats' | 'asegstats2table' | 'synthseg';

export interface TableSubject extends VolumeTableRow {
  subject: string;
  session: string;
  /** 1-based line of the row in the table (tables with many subjects). */
  line?: number;
}

/** Tell a volume table from a manifest by its first lines; undefined when it is none of them. */
export function sniffTable(text: string): TableKind | undefined {
  const head = text.slice(0, 4096);
  if (/^#\s*ColHeaders/m.test(head) || /^#\s*Title Segmentation Statistics/m.test(head)) return 'aseg-stats';
  const first = (head.split(/\r?\n/)[0] ?? '').replace(/^\uFEFF/, '');
  const cells = first.split(/[\t,]/).map((c) => c.trim().replace(/^"|"$/g, ''));
  if (/^measure:/i.test(cells[0] ?? '')) return 'asegstats2table';
  if (cells.some((c) => nameKey(c) === 'totalintracranial')) return 'synthseg';
  if (nameKey(cells[0] ?? '') === 'subject' && cells.slice(1).filter((c) => labelForName(c) !== undefined).length >= 3) return 'synthseg';
  return undefined;
}

/** BIDS entities sub-/ses- from a name or path; else the base name without image extensions. */
export function subjectFromName(name: string, stripSuffix?: RegExp): { subject: string; session: string } {
  const sub = /(?:^|[/\\_])(sub-[A-Za-z0-9]+)/.exec(name);
  if (sub) {
    const ses = /(?:^|[/\\_])(ses-[A-Za-z0-9]+)/.exec(name);
    return { subject: sub[1]!, session: ses ? ses[1]! : '' };
  }
  let b = basename(name).replace(/\.(nii\.gz|nii|mgz|mgh)$/i, '');
  if (stripSuffix) b = b.replace(stripSuffix, '');
  return { subject: b, session: '' };
}

/** Add a volume under a label, keeping the first source: segmentation rows win over surface measures (listed later). */
function put(volumes: Map<number, number>, label: number, v: number): void {
  if (!volumes.has(label)) volumes.set(label, v);
}

/**
 * FreeSurfer aseg.stats: `# Measure name, short, description, value, unit` lines (eTIV, and
 * cortex/white-matter volumes that FreeSurfer 6+ leaves out of the table) and a table whose columns
 * `# ColHeaders` names (SegId, Volume_mm3, StructName). The subject is `# subjectname`, else the
 * folder above stats/ (always the folder with subjectFrom "folder").
 */
export type SubjectFrom = 'auto' | 'folder';

export function parseAsegStats(text: string, file: string, subjectFrom: SubjectFrom = 'auto'): TableSubject {
  const lines = text.split(/\r?\n/);
  const volumes = new Map<number, number>();
  const measures: { key: string; value: number; line: number }[] = [];
  let icv: number | undefined;
  let subjectName: string | undefined;
  let cols: string[] | undefined;
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const body = line.replace(/^#\s*/, '');
      if (body.startsWith('subjectname')) subjectName = body.slice('subjectname'.length).trim() || undefined;
      else if (body.startsWith('ColHeaders')) cols = body.slice('ColHeaders'.length).trim().split(/\s+/);
      else if (body.startsWith('Measure ')) {
        const parts = body
          .slice('Measure '.length)
          .split(',')
          .map((s) => s.trim());
        if (parts.length < 4) throw new UserError(`malformed "# Measure" line`, { file, line: i + 1 });
        const value = parseNumber(parts[3]!, { file, line: i + 1, field: parts[1]! });
        // FreeSurfer 6+ writes eTIV; 5.x wrote the same estimate as "IntraCranialVol, ICV".
        if (parts[0] === 'EstimatedTotalIntraCranialVol' || parts[1] === 'eTIV') icv = value;
        else if ((parts[0] === 'IntraCranialVol' || parts[1] === 'ICV') && icv === undefined) icv = value;
        measures.push({ key: parts[1]!, value, line: i + 1 });
      }
      continue;
    }
    if (!cols) throw new UserError('table rows before the "# ColHeaders" line: not an aseg.stats file?', { file, line: i + 1 });
    const seg = cols.indexOf('SegId');
    const vol = cols.indexOf('Volume_mm3');
    if (seg < 0 || vol < 0) throw new UserError(`"# ColHeaders" lacks SegId or Volume_mm3 (has: ${cols.join(' ')})`, { file });
    const cells = line.split(/\s+/);
    if (cells.length < cols.length) throw new UserError(`expected ${cols.length} columns, found ${cells.length}`, { file, line: i + 1 });
    const label = parseNumber(cells[seg]!, { file, line: i + 1, field: 'SegId' });
    if (!Number.isInteger(label)) throw new UserError(`SegId "${cells[seg]}" is not an integer`, { file, line: i + 1, field: 'SegId' });
    put(volumes, label, parseNumber(cells[vol]!, { file, line: i + 1, field: 'Volume_mm3' }));
    rows++;
  }
  if (!cols || rows === 0) throw new UserError('no structure table found (expected "# ColHeaders" and rows): not an aseg.stats file?', { file });
  for (const m of measures) {
    const label = labelForName(m.key);
    if (label !== undefined) put(volumes, label, m.value);
  }
  const parent = basename(file.replace(/[/\\]stats[/\\][^/\\]*$/, ''));
  const fromFolder = /[/\\]stats[/\\]/.test(file) ? parent : basename(file).replace(/\.stats$/, '');
  // Many sites copy one subject's folder to make the next: `# subjectname` is then the same in every file.
  const id = subjectFrom === 'folder' ? fromFolder : (subjectName ?? fromFolder);
  const { subject, session } = subjectFromName(id);
  const out: TableSubject = { subject, session, volumes };
  if (icv !== undefined) out.icv = icv;
  return out;
}

/** Columns of a wide table (one row per subject, one column per structure) -> label numbers. */
function columnLabels(columns: string[]): { labels: (number | undefined)[]; icvColumn: number } {
  let icvColumn = -1;
  const labels = columns.map((c, j) => {
    if (j === 0) return undefined;
    const k = nameKey(c);
    if (k === 'estimatedtotalintracranialvol' || k === 'etiv' || k === 'totalintracranial') {
      icvColumn = j;
      return undefined;
    }
    return labelForName(c);
  });
  return { labels, icvColumn };
}

function parseWide(text: string, file: string, kind: 'asegstats2table' | 'synthseg'): TableSubject[] {
  const t = parseTable(text, file);
  const { labels, icvColumn } = columnLabels(t.columns);
  if (!labels.some((l) => l !== undefined) && icvColumn < 0) {
    throw new UserError(`no column names a known aseg structure (columns: ${t.columns.slice(0, 6).join(', ')}...)`, { file });
  }
  const seen = new Map<string, number>();
  return t.rows.map((r, i) => {
    const line = i + 2;
    const raw = r[0] ?? '';
    if (raw === '') throw new UserError('empty subject name', { file, line, field: t.columns[0]! });
    const { subject, session } = kind === 'synthseg' ? subjectFromName(raw, /_synthseg$/i) : subjectFromName(raw);
    const key = `${subject}/${session}`;
    if (seen.has(key)) throw new UserError(`subject ${subject}${session ? ` session ${session}` : ''} appears twice (also line ${seen.get(key)})`, { file, line });
    seen.set(key, line);
    const volumes = new Map<number, number>();
    // Segmentation columns first, surface measures (lhCortexVol...) only for labels still missing.
    const order = labels.map((_, j) => j).filter((j) => labels[j] !== undefined);
    order.sort((a, b) => Number(/vol$/i.test(t.columns[a]!)) - Number(/vol$/i.test(t.columns[b]!)) || a - b);
    for (const j of order) put(volumes, labels[j]!, parseNumber(r[j]!, { file, line, subject, field: t.columns[j]! }));
    const out: TableSubject = { subject, session, volumes, line };
    if (icvColumn >= 0) out.icv = parseNumber(r[icvColumn]!, { file, line, subject, field: t.columns[icvColumn]! });
    return out;
  });
}

/** asegstats2table output: first column header "Measure:volume", one row per subject. */
export function parseAsegstats2table(text: string, file: string): TableSubject[] {
  return parseWide(text, file, 'asegstats2table');
}

/** SynthSeg --vol CSV: first column the scan (path or name), then "total intracranial" and structures. */
export function parseSynthsegVolumes(text: string, file: string): TableSubject[] {
  return parseWide(text, file, 'synthseg');
}
