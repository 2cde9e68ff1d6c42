import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync, existsSync, writeFileSync, copyFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { extractCohort } from '../../src/extract/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeImage, writeText, asegLike, lesionBox, lesionProb, scalarMap, N, cleanup } from './fixtures.js';

afterAll(cleanup);

const VS: [number, number, number] = [1, 1.2, 1.5];
// The affine is stored as float32, so the voxel volume is that of the float32 spacings.
const VV = Math.fround(1.2) * Math.fround(1.5);

/** Independent reference: count the voxels of a label set (optionally outside a lesion mask). */
function count(labels: Int32Array, set: number[] | 'nonzero', lesion?: ArrayLike<number>, thr = 0.5): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const inSet = set === 'nonzero' ? labels[i] !== 0 : set.includes(labels[i]!);
    if (inSet && !(lesion && lesion[i]! >= thr)) n++;
  }
  return n;
}

function readCsv(file: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
}

const FEATURES = {
  features: {
    deep_grey_matter: { measure: 'volume', labels: [10, 49, 11, 12, 13, 26], abnormal: 'decrease' },
    white_matter: { measure: 'volume', labels: [2, 41, 251], abnormal: 'decrease' },
    nawm_t1t2: { measure: 'mean', map: 't1t2', labels: [2, 41], excludeLesion: true, abnormal: 'decrease' },
    lesion_load: { measure: 'lesion', labels: [77], abnormal: 'increase', transform: 'log' },
    icv: { measure: 'icv', role: 'covariate' },
  },
};

/** A cohort of 6 subjects: lesion masks binary, probabilistic or none; t1t2 maps; covariates. */
function makeCohort(dir: string, opts: { badGrid?: boolean } = {}): string {
  const lines = ['subject_id,session,group,age,labels,lesion_mask,t1t2,site'];
  for (let s = 0; s < 6; s++) {
    const sub = `s${String(s).padStart(2, '0')}`;
    writeImage(join(dir, 'img', `${sub}_dseg.nii.gz`), asegLike(s), { voxelSize: VS });
    writeImage(join(dir, 'img', `${sub}_t1t2.nii.gz`), scalarMap(s), { dtype: 'float32', voxelSize: s === 3 && opts.badGrid ? [1, 1.2, 1.6] : VS });
    let lesion = '';
    if (s % 3 === 0) lesion = writeImage(join(dir, 'img', `${sub}_lesion.nii.gz`), lesionBox(s), { dtype: 'uint8', voxelSize: VS });
    if (s % 3 === 1) lesion = writeImage(join(dir, 'img', `${sub}_lesionprob.nii.gz`), lesionProb(s), { dtype: 'float32', voxelSize: VS });
    lines.push(`${sub},ses-1,${s < 3 ? 'control' : 'ms'},${40 + s},img/${sub}_dseg.nii.gz,${lesion ? lesion.slice(dir.length + 1) : ''},img/${sub}_t1t2.nii.gz,"site A, north"`);
  }
  writeText(join(dir, 'features.json'), JSON.stringify(FEATURES));
  return writeText(join(dir, 'manifest.csv'), lines.join('\n') + '\n');
}

describe('extract from a manifest', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    makeCohort(dir);
  });

  it('writes carried covariates and values equal to independently counted voxels', async () => {
    const out = join(dir, 'out', 'features.csv');
    const r = await extractCohort({ inputs: [join(dir, 'manifest.csv')], out, features: join(dir, 'features.json'), jobs: 1, quiet: true });
    expect(r.failures).toEqual([]);
    expect(r.rows).toBe(6);
    const head = readFileSync(out, 'utf8').split('\n')[0];
    expect(head).toBe('subject_id,session,group,age,site,deep_grey_matter,white_matter,nawm_t1t2,lesion_load,icv');
    const rows = readCsv(out.replace(/$/, '')); // site has a comma: check it separately below
    expect(readFileSync(out, 'utf8')).toContain('s04,ses-1,ms,44,"site A, north",');
    for (let s = 0; s < 6; s++) {
      const labels = asegLike(s);
      const line = readFileSync(out, 'utf8').trim().split('\n')[s + 1]!.replace('"site A, north"', 'SITE').split(',');
      const [sub, ses, group, age, site, dgm, wm, nawm, les, icv] = line;
      expect([sub, ses, group, age, site]).toEqual([`s0${s}`, 'ses-1', s < 3 ? 'control' : 'ms', String(40 + s), 'SITE']);
      expect(Number(dgm)).toBeCloseTo(count(labels, [10, 49, 11, 12, 13, 26]) * VV, 9);
      expect(Number(wm)).toBeCloseTo(count(labels, [2, 41, 251]) * VV, 9);
      expect(Number(icv)).toBeCloseTo(count(labels, 'nonzero') * VV, 9);
      const lesion = s % 3 === 0 ? lesionBox(s) : s % 3 === 1 ? lesionProb(s) : undefined;
      const expectedLesion = lesion ? count(new Int32Array(N), 'nonzero', undefined) + [...Array(N).keys()].filter((i) => lesion[i]! >= 0.5).length : count(labels, [77]);
      expect(Number(les)).toBeCloseTo(expectedLesion * VV, 9);
      const map = scalarMap(s);
      let sum = 0,
        n = 0;
      for (let i = 0; i < N; i++)
        if ((labels[i] === 2 || labels[i] === 41) && !(lesion && lesion[i]! >= 0.5) && !Number.isNaN(map[i]!)) {
          sum += map[i]!;
          n++;
        }
      expect(Number(nawm)).toBeCloseTo(sum / n, 9);
    }
    expect(rows).toHaveLength(6);
    const side = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(Object.keys(side)).toEqual([
      'tool',
      'toolVersion',
      'command',
      'input',
      'featuresFile',
      'features',
      'lesionThreshold',
      'gridTolerance',
      'shard',
      'columns',
      'carriedColumns',
      'missingFeatures',
      'rows',
      'failed',
      'subjects',
    ]);
    expect(side.featuresFile.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(dir, 'features.json')))
        .digest('hex'),
    );
    expect(side.features.map((f: { name: string }) => f.name)).toEqual(Object.keys(FEATURES.features));
    for (const f of side.features) expect(Object.keys(f)).toEqual(expect.arrayContaining(['name', 'measure', 'labels', 'abnormal', 'transform', 'role']));
    const s0 = side.subjects[0];
    expect(s0.lesionSource).toBe('mask');
    expect(side.subjects[2].lesionSource).toBe('labels');
    const hashOf = (p: string) =>
      createHash('sha256')
        .update(readFileSync(join(dir, p)))
        .digest('hex');
    expect(s0.inputs).toEqual([
      { role: 'labels', path: 'img/s00_dseg.nii.gz', sha256: hashOf('img/s00_dseg.nii.gz') },
      { role: 'lesion_mask', path: 'img/s00_lesion.nii.gz', sha256: hashOf('img/s00_lesion.nii.gz') },
      { role: 'map:t1t2', path: 'img/s00_t1t2.nii.gz', sha256: hashOf('img/s00_t1t2.nii.gz') },
    ]);
    expect(side.lesionThreshold).toBe(0.5);
    expect(side.input).toMatchObject({ kind: 'manifest', subjects: 6, sha256: hashOf('manifest.csv') });
  });

  it('a probabilistic lesion mask follows --lesion-threshold', async () => {
    const out = join(dir, 'thr.csv');
    await extractCohort({ inputs: [join(dir, 'manifest.csv')], out, features: join(dir, 'features.json'), jobs: 1, lesionThreshold: 0.2, quiet: true });
    const line = (k: number) => readFileSync(out, 'utf8').trim().split('\n')[k]!.replace('"site A, north"', 'SITE').split(',');
    const les = line(2)[8];
    const p = lesionProb(1);
    expect(Number(les)).toBeCloseTo([...Array(N).keys()].filter((i) => p[i]! >= 0.2).length * VV, 9);
    const b = line(1)[8];
    expect(Number(b)).toBeCloseTo(lesionBox(0).reduce((a, v) => a + v, 0) * VV, 9); // binary: unchanged
  });

  it('gives byte-identical outputs with --jobs 1 and --jobs 2 (and any chunk size)', async () => {
    const a = join(dir, 'j1.csv');
    const b = join(dir, 'j2.csv');
    await extractCohort({ inputs: [join(dir, 'manifest.csv')], out: a, features: join(dir, 'features.json'), jobs: 1, quiet: true });
    await extractCohort({ inputs: [join(dir, 'manifest.csv')], out: b, features: join(dir, 'features.json'), jobs: 2, chunkSize: 4, quiet: true });
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
    expect(readFileSync(`${b}.json`, 'utf8')).toBe(readFileSync(`${a}.json`, 'utf8'));
  });
});

describe('failures', () => {
  it('a subject off the grid fails with the reason, the others are written, exit code 1', () => {
    const dir = tempDir();
    makeCohort(dir, { badGrid: true });
    writeText(join(dir, 'manifest.csv'), readFileSync(join(dir, 'manifest.csv'), 'utf8') + 's99,ses-1,ms,50,img/missing.nii.gz,,,x\n');
    const out = join(dir, 'f.csv');
    const r = runCli(['extract', join(dir, 'manifest.csv'), '-o', out, '--feature-defs', join(dir, 'features.json'), '--jobs', '2', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 subject\(s\) failed; reasons in .*f\.csv\.errors\.csv/);
    expect(readCsv(out).map((x) => x.subject_id)).toEqual(['s00', 's01', 's02', 's04', 's05']);
    const errs = readFileSync(`${out}.errors.csv`, 'utf8').trim().split('\n');
    expect(errs[0]).toBe('subject_id,session,file,reason');
    expect(errs[1]).toMatch(/^s03,ses-1,img\/s03_t1t2\.nii\.gz,"?not on the label map's grid \(map:t1t2 vs labels: affines differ/);
    expect(errs[2]).toBe('s99,ses-1,img/missing.nii.gz,file not found');
  });

  it('--fail-fast stops at the first failure and --resume finishes after the fix', () => {
    const dir = tempDir();
    makeCohort(dir, { badGrid: true });
    const args = ['extract', join(dir, 'manifest.csv'), '-o', join(dir, 'f.csv'), '--feature-defs', join(dir, 'features.json'), '--jobs', '1', '--quiet'];
    const r = runCli([...args, '--fail-fast']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stopped at the first failure.*subject s03/);
    expect(existsSync(join(dir, 'f.csv'))).toBe(false);
    expect(existsSync(join(dir, 'f.csv.partial.jsonl'))).toBe(true);
    // fix the map, then resume: the three finished subjects come from the checkpoint
    copyFileSync(join(dir, 'img', 's02_t1t2.nii.gz'), join(dir, 'img', 's03_t1t2.nii.gz'));
    const r2 = runCli([...args, '--resume']);
    expect(r2.code).toBe(0);
    expect(readCsv(join(dir, 'f.csv')).map((x) => x.subject_id)).toEqual(['s00', 's01', 's02', 's03', 's04', 's05']);
    expect(existsSync(join(dir, 'f.csv.partial.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'f.csv.errors.csv'))).toBe(false);
  });

  it("unreadable images fail their subject with the reader's reason; float label maps must be whole numbers", async () => {
    const dir = tempDir();
    const good = writeImage(join(dir, 'good.nii.gz'), asegLike(1));
    const bytes = readFileSync(good);
    writeFileSync(join(dir, 'cut.nii.gz'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const floats = Float32Array.from(asegLike(2));
    writeImage(join(dir, 'float-ok.nii.gz'), floats, { dtype: 'float32' });
    floats[100] = 2.5;
    writeImage(join(dir, 'float-bad.nii.gz'), floats, { dtype: 'float32' });
    const m = writeText(join(dir, 'm.csv'), 'subject_id,labels\na,good.nii.gz\nb,cut.nii.gz\nc,float-ok.nii.gz\nd,float-bad.nii.gz\n');
    const r = await extractCohort({ inputs: [m], out: join(dir, 'o.csv'), jobs: 1, quiet: true });
    expect(r.failures.map((f) => [f.subject, f.file])).toEqual([
      ['b', 'cut.nii.gz'],
      ['d', 'float-bad.nii.gz'],
    ]);
    expect(r.failures[0]!.reason).toMatch(/truncated|corrupt/);
    expect(r.failures[1]!.reason).toMatch(/not a label map: voxel 100 has value 2\.5/);
    const rows = readCsv(join(dir, 'o.csv'));
    expect(rows.map((x) => x.subject_id)).toEqual(['a', 'c']);
    expect(Number(rows[1]!.cortical_grey_matter)).toBe(count(asegLike(2), [3, 42]));
  });

  it('refuses a manifest without subject_id or with a duplicate subject, naming file and line', () => {
    const dir = tempDir();
    writeText(join(dir, 'm.csv'), 'id,labels\na,x.nii\n');
    let r = runCli(['extract', join(dir, 'm.csv'), '-o', join(dir, 'o.csv'), '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/m\.csv, field subject_id: missing column "subject_id"/);
    writeText(join(dir, 'm.csv'), 'subject_id,labels\na,x.nii\nb,y.nii\na,z.nii\n');
    r = runCli(['extract', join(dir, 'm.csv'), '-o', join(dir, 'o.csv'), '--quiet']);
    expect(r.stderr).toMatch(/m\.csv, line 4, subject a, field subject_id: subject a is listed twice \(also line 2\)/);
    expect(r.stderr).not.toMatch(/at .*\.ts/);
  });
});

describe('help', () => {
  it('extract and merge explain inputs, outputs and give examples', () => {
    const e = runCli(['extract', '--help']);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/Manifest CSV: subject_id/);
    expect(e.stdout).toMatch(/errors\.csv/);
    expect(e.stdout).toMatch(/Examples:\n\s+ms-subtype extract cohort\.csv/);
    const m = runCli(['merge', '--help']);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/missing\.csv/);
    expect(m.stdout).toMatch(/Examples:\n\s+ms-subtype merge/);
  });
});

describe('resume', () => {
  it('skips subjects already in the output and picks up new manifest rows; refuses other settings', async () => {
    const dir = tempDir();
    makeCohort(dir);
    const m = join(dir, 'manifest.csv');
    const full = readFileSync(m, 'utf8').trim().split('\n');
    const out = join(dir, 'f.csv');
    const features = join(dir, 'features.json');
    writeFileSync(m, full.slice(0, 4).join('\n') + '\n');
    await extractCohort({ inputs: [m], out, features, jobs: 1, quiet: true });
    // The first three subjects' files vanish: a resumed run must not read them again.
    for (const s of ['s00', 's01', 's02']) rmSync(join(dir, 'img', `${s}_dseg.nii.gz`));
    writeFileSync(m, full.join('\n') + '\n');
    const r = await extractCohort({ inputs: [m], out, features, jobs: 2, resume: true, quiet: true });
    expect(r.failures).toEqual([]);
    expect(r.resumed).toBe(3);
    expect(readCsv(out).map((x) => x.subject_id)).toEqual(['s00', 's01', 's02', 's03', 's04', 's05']);
    // identical to a fresh run on all files
    const dir2 = tempDir();
    makeCohort(dir2);
    const fresh = join(dir2, 'f.csv');
    await extractCohort({ inputs: [join(dir2, 'manifest.csv')], out: fresh, features: join(dir2, 'features.json'), jobs: 1, quiet: true });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(fresh, 'utf8'));
    await expect(extractCohort({ inputs: [m], out, features, resume: true, lesionThreshold: 0.3, quiet: true })).rejects.toThrow(/made with other settings/);
  });

  it('continues from the checkpoint of a run that crashed mid-batch (a cut-short last line included)', async () => {
    const dir = tempDir();
    makeCohort(dir);
    const m = join(dir, 'manifest.csv');
    const out = join(dir, 'f.csv');
    const features = join(dir, 'features.json');
    await extractCohort({ inputs: [m], out: join(dir, 'ref.csv'), features, jobs: 1, quiet: true });
    const ref = readFileSync(join(dir, 'ref.csv'), 'utf8');
    // A run that stops at s04 (its label map is away) leaves the checkpoint of s00..s03.
    const lost = join(dir, 'img', 's04_dseg.nii.gz');
    const keep = readFileSync(lost);
    rmSync(lost);
    await extractCohort({ inputs: [m], out, features, jobs: 1, failFast: true, quiet: true });
    writeFileSync(lost, keep);
    const cp = `${out}.partial.jsonl`;
    const lines = readFileSync(cp, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + 4); // s00..s03 finished before s04 failed
    expect(existsSync(out)).toBe(false);
    writeFileSync(cp, lines.join('\n') + '\n' + lines[4]!.slice(0, 30)); // a crash cut the last write short
    for (const s of ['s00', 's01', 's02']) rmSync(join(dir, 'img', `${s}_dseg.nii.gz`));
    const r = await extractCohort({ inputs: [m], out: out, features, jobs: 2, resume: true, quiet: true });
    expect(r.failures).toEqual([]);
    expect(r.resumed).toBe(4);
    expect(readFileSync(out, 'utf8')).toBe(ref);
  });
});

describe('resume after inputs changed, and one run per output', () => {
  /** A checkpoint of s00..s03, as a run killed while measuring s04 leaves it. */
  async function interrupted(dir: string, m: string, out: string, features: string): Promise<void> {
    const lost = join(dir, 'img', 's04_dseg.nii.gz');
    const keep = readFileSync(lost);
    rmSync(lost);
    await extractCohort({ inputs: [m], out, features, jobs: 1, failFast: true, quiet: true });
    writeFileSync(lost, keep);
  }
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  it('a scan replaced after a kill is measured again (even with its old mtime put back); the sidecar records the new sha256', async () => {
    const dir = tempDir();
    const m = makeCohort(dir);
    const out = join(dir, 'f.csv');
    const features = join(dir, 'features.json');
    await interrupted(dir, m, out, features);
    const scan = join(dir, 'img', 's01_dseg.nii.gz');
    const { atime, mtime } = statSync(scan);
    writeImage(scan, asegLike(11), { voxelSize: VS });
    utimesSync(scan, atime, mtime); // as `cp -p` would: only ctime tells
    const r = await extractCohort({ inputs: [m], out, features, jobs: 1, resume: true, quiet: true });
    expect(r.resumed).toBe(3);
    expect(r.warnings).toContain('1 subject(s) of the earlier run are measured again: their input files or manifest row changed');
    // the same table as a fresh run on today's files
    await extractCohort({ inputs: [m], out: join(dir, 'fresh.csv'), features, jobs: 1, quiet: true });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(dir, 'fresh.csv'), 'utf8'));
    const side = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as { subjects: { subject_id: string; inputs: { role: string; sha256: string }[] }[] };
    expect(side.subjects.find((s) => s.subject_id === 's01')!.inputs[0]!.sha256).toBe(sha(scan));
  });

  it('a finished output: a replaced scan or a changed manifest row is measured again, checked by sha256', async () => {
    const dir = tempDir();
    const m = makeCohort(dir);
    const out = join(dir, 'f.csv');
    const features = join(dir, 'features.json');
    await extractCohort({ inputs: [m], out, features, jobs: 1, quiet: true });
    writeImage(join(dir, 'img', 's02_dseg.nii.gz'), asegLike(12), { voxelSize: VS });
    writeImage(join(dir, 'img', 's05_other.nii.gz'), asegLike(15), { voxelSize: VS });
    writeFileSync(m, readFileSync(m, 'utf8').replace('img/s05_dseg.nii.gz', 'img/s05_other.nii.gz'));
    const r = await extractCohort({ inputs: [m], out, features, jobs: 1, resume: true, quiet: true });
    expect(r.resumed).toBe(4);
    await extractCohort({ inputs: [m], out: join(dir, 'fresh.csv'), features, jobs: 1, quiet: true });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(dir, 'fresh.csv'), 'utf8'));
  });

  it('a scan that is a symbolic-link loop or a FIFO is a failure saying so, not "file not found"', async () => {
    const dir = tempDir();
    const m = makeCohort(dir);
    const loop = join(dir, 'img', 's00_dseg.nii.gz');
    rmSync(loop);
    symlinkSync(loop, loop);
    const fifo = join(dir, 'img', 's01_dseg.nii.gz');
    rmSync(fifo);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await extractCohort({ inputs: [m], out: join(dir, 'f.csv'), features: join(dir, 'features.json'), jobs: 1, quiet: true });
    expect(r.failures.map((f) => f.reason)).toEqual(['symbolic link loop (the path resolves to itself)', 'a FIFO (named pipe), not a regular file: refusing to read it']);
  });

  it("a second run on the same output is refused while the first holds the lock; a killed run's lock is taken over", async () => {
    const dir = tempDir();
    const m = makeCohort(dir);
    const out = join(dir, 'f.csv');
    const features = join(dir, 'features.json');
    writeFileSync(`${out}.lock`, `${process.ppid} ${hostname()}\n`); // a live process holds it
    await expect(extractCohort({ inputs: [m], out, features, jobs: 1, quiet: true })).rejects.toThrow(
      `${out}: another extract (process ${process.ppid} on ${hostname()}) is writing this output; wait for it to finish, or remove ${out}.lock if that run is gone`,
    );
    expect(existsSync(out)).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(`${out}.lock`, `${dead} ${hostname()}\n`);
    const r = await extractCohort({ inputs: [m], out, features, jobs: 1, quiet: true });
    expect(r.rows).toBe(6);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });
});
