import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import { parseTable } from '../io/csv.js';

/**
 * Label counting and label-name tables. Table formats, detected from the content:
 * - BIDS `*_dseg.tsv` (or a CSV) with a header naming `index` and `name` columns (others ignored);
 * - FreeSurferColorLUT (`index name R G B A`, `#` comments);
 * - MRIcron `.nii.txt` sidecars and embedded text (`index<TAB>name` or `index name [extra]`,
 *   CRLF line ends allowed).
 */

/** Labels in [0, FAST) are counted in a flat array in one pass (FreeSurfer labels stay below 15,000). */
const FAST = 1 << 16;

/**
 * Voxel count of every label present (0 included), ascending. One pass over the array for the
 * usual labels 0..65535; only labels outside that range (rare) take a second pass through a Map.
 * No per-voxel allocation.
 */
export function countLabels(labels: Int32Array): { label: number; voxels: number }[] {
  const n = labels.length;
  const fast = new Uint32Array(FAST);
  let outside = 0;
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    // unsigned compare: negative labels fall outside too
    if (v >>> 0 < FAST) fast[v]!++;
    else outside++;
  }
  const out: { label: number; voxels: number }[] = [];
  let rest: [number, number][] = [];
  if (outside > 0) {
    const m = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = labels[i]!;
      if (!(v >>> 0 < FAST)) m.set(v, (m.get(v) ?? 0) + 1);
    }
    rest = [...m.entries()].sort((a, b) => a[0] - b[0]);
  }
  for (const [label, voxels] of rest) if (label < 0) out.push({ label, voxels });
  for (let k = 0; k < FAST; k++) if (fast[k]! > 0) out.push({ label: k, voxels: fast[k]! });
  for (const [label, voxels] of rest) if (label >= FAST) out.push({ label, voxels });
  return out;
}

/** Label text lines: `index<TAB>name...` (name = the field after the first tab) or `index name ...` (name = the second word). */
function parseLine(line: string): [number, string] | null {
  const m = /^\s*(-?\d+)(\t|\s+)(.*)$/.exec(line);
  if (m === null) {
    const bare = /^\s*(-?\d+)\s*$/.exec(line);
    return bare ? [Number(bare[1]), ''] : null;
  }
  const rest = m[3]!;
  const name = m[2]!.includes('\t') ? rest.split('\t')[0]!.trim() : (rest.trim().split(/\s+/)[0] ?? '');
  return [Number(m[1]), name];
}

function isComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/** Parse `index name` lines; errors name the file and line. */
export function parseLabelLines(text: string, file: string): Map<number, string> {
  const out = new Map<number, string>();
  const lines = text.split(/\r?\n|\r/);
  lines.forEach((line, i) => {
    if (isComment(line)) return;
    const p = parseLine(line);
    if (p === null) throw new UserError(`expected "index name ..." (an integer label, then its name), got "${line.trim().slice(0, 60)}"`, { file, line: i + 1 });
    const [idx, name] = p;
    if (!Number.isSafeInteger(idx)) throw new UserError(`label "${idx}" is not an integer`, { file, line: i + 1 });
    const prev = out.get(idx);
    if (prev !== undefined && prev !== name) throw new UserError(`label ${idx} is named twice ("${prev}" and "${name}")`, { file, line: i + 1 });
    out.set(idx, name);
  });
  return out;
}

/**
 * Names embedded between a NIfTI header and vox_offset by MRIcron. Lenient: anything that is not
 * clean `index name` text (binary, another tool's padding) gives an empty table, not an error.
 */
export function parseEmbeddedLabels(bytes: Uint8Array): Map<number, string> {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  if (end === 0) return new Map();
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0 || (b < 0x20 && b !== 9 && b !== 10 && b !== 13)) return new Map();
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, end));
  try {
    return parseLabelLines(text, '(embedded)');
  } catch {
    return new Map();
  }
}

/** Does the first non-comment line look like a header with `index` and `name` columns? */
function tableHeader(text: string): { delimiter: string } | null {
  const first = text.split(/\r?\n/).find((l) => !isComment(l));
  if (first === undefined) return null;
  for (const delimiter of ['\t', ',']) {
    const cols = first.split(delimiter).map((c) => c.trim().toLowerCase().replace(/^"|"$/g, ''));
    if (cols.includes('index') && cols.includes('name')) return { delimiter };
  }
  return null;
}

/** Parse a label table from text, auto-detecting its format. */
export function parseLabelTable(text: string, file: string): Map<number, string> {
  const body = text.replace(/^\uFEFF/, '');
  const head = tableHeader(body);
  if (head === null) return parseLabelLines(body, file);
  const t = parseTable(
    body
      .split(/\r?\n/)
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n'),
    file,
    { delimiter: head.delimiter },
  );
  const lower = t.columns.map((c) => c.toLowerCase());
  const ii = lower.indexOf('index'),
    ni = lower.indexOf('name');
  const out = new Map<number, string>();
  t.rows.forEach((row, r) => {
    const cell = row[ii]!.trim();
    const idx = Number(cell);
    if (cell === '' || !Number.isSafeInteger(idx)) throw new UserError(`"${cell}" is not an integer label`, { file, line: r + 2, field: 'index' });
    if (out.has(idx)) throw new UserError(`label ${idx} appears twice`, { file, line: r + 2, field: 'index' });
    out.set(idx, row[ni]!.trim());
  });
  return out;
}

/** Read a label table file (FreeSurferColorLUT, BIDS dseg.tsv, MRIcron .nii.txt); errors name the file and line. */
export function readLabelTable(file: string): Map<number, string> {
  if (!existsSync(file)) throw new UserError('label table not found', { file });
  return parseLabelTable(readFileSync(file, 'utf8'), file);
}
