import { readdirSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../common/errors.js';
import { parseTable } from '../io/csv.js';
import type { FeatureSet } from './features.js';
import { checkColumnClash } from './columns.js';
import type { Cohort, CohortSubject, SubjectTask } from './types.js';

/**
 * BIDS derivatives: sub-<id>/[ses-<id>/]anat/ holding one *_dseg.nii[.gz] label map (its
 * *_dseg.tsv names the labels), optionally *_label-lesion_mask.nii[.gz] (or a probabilistic
 * *_label-lesion_probseg.nii[.gz]) and, for each scalar map the features average, *_<map>.nii[.gz].
 * participants.tsv at the folder's top supplies carried columns. Subjects and sessions are
 * discovered in sorted order, which is the output order.
 */
export interface BidsOptions {
  /** Keep only label maps with this desc- entity (when a subject has several). */
  bidsDesc?: string;
  /** participants.tsv to carry columns from (default: <root>/participants.tsv when present). */
  participants?: string;
  lesionThreshold: number;
  gridTolerance: number;
}

const NII = /\.nii(\.gz)?$/;
const sortedDirs = (dir: string, prefix: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith(prefix))
    .map((d) => d.name)
    .sort();

export function discoverBids(root: string, fs: FeatureSet, opts: BidsOptions): Cohort {
  const subs = sortedDirs(root, 'sub-');
  if (subs.length === 0) throw new UserError('no sub-* folders: not a BIDS derivatives folder', { file: root });
  if (fs.labelMaps.length > 0 || fs.ratioMaps.length > 0) {
    const what = [...fs.labelMaps.map((m) => `label map "${m}"`), ...fs.ratioMaps.map((m) => `ratio map "${m.name}"`)].join(', ');
    throw new UserError(`the features use ${what}: give a manifest CSV with a column per map (BIDS input reads one label map)`, { file: fs.file });
  }
  const { columns, bySubject } = readParticipants(root, opts.participants);
  checkColumnClash(columns, fs);
  const subjects: CohortSubject[] = [];
  for (const sub of subs) {
    const sessions = sortedDirs(join(root, sub), 'ses-');
    const places: [string, string][] = [];
    if (existsSync(join(root, sub, 'anat'))) places.push(['', join(root, sub, 'anat')]);
    for (const ses of sessions) if (existsSync(join(root, sub, ses, 'anat'))) places.push([ses, join(root, sub, ses, 'anat')]);
    for (const [session, anat] of places) {
      const row = subjects.length;
      const carried = columns.map((c) => bySubject.get(sub)?.get(c) ?? '');
      const s: CohortSubject = { row, subject: sub, session, carried };
      const found = findFiles(root, anat, fs, opts);
      if (typeof found === 'string') {
        s.result = { ok: false, row, file: relative(root, anat) || anat, reason: found };
      } else {
        s.task = { ...found, row, subject: sub, session, defs: fs.features, lesionThreshold: opts.lesionThreshold, gridTolerance: opts.gridTolerance };
      }
      subjects.push(s);
    }
  }
  if (subjects.length === 0) throw new UserError('no sub-*/[ses-*/]anat folders found', { file: root });
  return { kind: 'bids', source: [root], carriedColumns: columns, subjects };
}

type Found = Pick<SubjectTask, 'labels' | 'lesion' | 'maps' | 'extra'>;

/** The files of one anat folder, or the reason they cannot be chosen. */
function findFiles(root: string, anat: string, fs: FeatureSet, opts: BidsOptions): Found | string {
  const files = readdirSync(anat)
    .filter((f) => NII.test(f) && statSync(join(anat, f)).isFile())
    .sort();
  const entry = (f: string) => ({ path: join(anat, f), shown: relative(root, join(anat, f)) });
  let dsegs = files.filter((f) => /_dseg\.nii(\.gz)?$/.test(f));
  if (opts.bidsDesc !== undefined) dsegs = dsegs.filter((f) => f.includes(`_desc-${opts.bidsDesc}_`));
  if (dsegs.length === 0) return `no *_dseg.nii.gz label map${opts.bidsDesc !== undefined ? ` with desc-${opts.bidsDesc}` : ''}`;
  if (dsegs.length > 1) return `several label maps (${dsegs.join(', ')}): choose one with --bids-desc`;
  const dseg = dsegs[0]!;
  const found: Found = { labels: entry(dseg), maps: [], extra: [] };
  const tsv = dseg.replace(NII, '.tsv');
  if (existsSync(join(anat, tsv))) found.extra.push({ role: 'dseg_tsv', ...entry(tsv) });
  const masks = files.filter((f) => /_label-lesion_mask\.nii(\.gz)?$/.test(f));
  const probs = files.filter((f) => /_label-lesion_probseg\.nii(\.gz)?$/.test(f));
  const lesion = masks.length > 0 ? masks : probs;
  if (lesion.length > 1) return `several lesion masks (${lesion.join(', ')})`;
  if (lesion.length === 1) found.lesion = entry(lesion[0]!);
  for (const m of fs.maps) {
    const hits = files.filter((f) => f.endsWith(`_${m}.nii.gz`) || f.endsWith(`_${m}.nii`));
    if (hits.length > 1) return `several ${m} maps (${hits.join(', ')})`;
    if (hits.length === 1) found.maps.push({ name: m, ...entry(hits[0]!) });
  }
  return found;
}

function readParticipants(root: string, given?: string): { columns: string[]; bySubject: Map<string, Map<string, string>> } {
  const file = given ?? join(root, 'participants.tsv');
  const bySubject = new Map<string, Map<string, string>>();
  if (!existsSync(file)) {
    if (given !== undefined) throw new UserError('participants file not found', { file });
    return { columns: [], bySubject };
  }
  const t = parseTable(readFileSync(file, 'utf8'), file, { delimiter: '\t' });
  const id = t.columns.indexOf('participant_id');
  if (id < 0) throw new UserError('missing column "participant_id"', { file, field: 'participant_id' });
  const columns = t.columns.filter((_, j) => j !== id);
  for (const r of t.rows) {
    const sub = r[id]!.startsWith('sub-') ? r[id]! : `sub-${r[id]!}`;
    // BIDS writes n/a for missing values; carried columns use empty for missing.
    bySubject.set(sub, new Map(columns.map((c) => [c, r[t.columns.indexOf(c)]! === 'n/a' ? '' : r[t.columns.indexOf(c)]!])));
  }
  return { columns, bySubject };
}
