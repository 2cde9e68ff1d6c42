import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { extractCohort, mergeShards, parseShard, shardFromSlurm, inShard } from '../../src/extract/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeImage, writeText, asegLike, lesionBox, cleanup } from './fixtures.js';

afterAll(cleanup);

function count(labels: Int32Array, set: number[]): number {
  let n = 0;
  for (const l of labels) if (set.includes(l)) n++;
  return n;
}
const rowsOf = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe('BIDS derivatives', () => {
  it('finds sub-*/[ses-*/]anat label maps, lesion masks and participants.tsv columns', async () => {
    const d = tempDir();
    const anat = (sub: string, ses?: string) => join(d, sub, ...(ses ? [ses] : []), 'anat');
    writeImage(join(anat('sub-01', 'ses-01'), 'sub-01_ses-01_desc-aseg_dseg.nii.gz'), asegLike(1));
    writeText(join(anat('sub-01', 'ses-01'), 'sub-01_ses-01_desc-aseg_dseg.tsv'), 'index\tname\n0\tUnknown\n2\tLeft-Cerebral-White-Matter\n');
    writeImage(join(anat('sub-01', 'ses-01'), 'sub-01_ses-01_label-lesion_mask.nii.gz'), lesionBox(1), { dtype: 'uint8' });
    writeImage(join(anat('sub-01', 'ses-02'), 'sub-01_ses-02_desc-aseg_dseg.nii.gz'), asegLike(2));
    writeImage(join(anat('sub-02'), 'sub-02_desc-aseg_dseg.nii.gz'), asegLike(3));
    writeImage(join(anat('sub-03'), 'sub-03_desc-aseg_dseg.nii.gz'), asegLike(4));
    writeImage(join(anat('sub-03'), 'sub-03_desc-aparcaseg_dseg.nii.gz'), asegLike(5));
    writeText(join(d, 'participants.tsv'), 'participant_id\tage\tgroup\nsub-01\t34\tms\nsub-02\tn/a\tcontrol\n');
    writeText(join(d, 'dataset_description.json'), '{"Name": "seg", "BIDSVersion": "1.8.0", "DatasetType": "derivative"}');
    const out = join(tempDir(), 'features.csv');
    const r = await extractCohort({ inputs: [d], out, jobs: 1, quiet: true });
    const rows = rowsOf(out);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toMatch(/^subject_id,session,age,group,deep_grey_matter,/);
    expect(rows.map((x) => x.slice(0, 4))).toEqual([
      ['sub-01', 'ses-01', '34', 'ms'],
      ['sub-01', 'ses-02', '34', 'ms'],
      ['sub-02', '', '', 'control'],
    ]);
    // several label maps for sub-03: that subject fails with the hint, the rest are written
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ subject: 'sub-03', reason: expect.stringMatching(/several label maps.*--bids-desc/) });
    const cols = readFileSync(out, 'utf8').split('\n')[0]!.split(',');
    const les = cols.indexOf('lesion_load');
    const ctx = cols.indexOf('cortical_grey_matter');
    expect(Number(rows[0]![les])).toBe(lesionBox(1).reduce((a, v) => a + v, 0));
    expect(Number(rows[1]![les])).toBe(count(asegLike(2), [77, 78, 79]));
    expect(Number(rows[2]![ctx])).toBe(count(asegLike(3), [3, 42]));
    const side = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(side.input.kind).toBe('bids');
    expect(side.subjects[0].inputs.map((i: { role: string; path: string }) => [i.role, i.path])).toEqual([
      ['labels', 'sub-01/ses-01/anat/sub-01_ses-01_desc-aseg_dseg.nii.gz'],
      ['lesion_mask', 'sub-01/ses-01/anat/sub-01_ses-01_label-lesion_mask.nii.gz'],
      ['dseg_tsv', 'sub-01/ses-01/anat/sub-01_ses-01_desc-aseg_dseg.tsv'],
    ]);
    // choosing the desc resolves sub-03
    const r2 = await extractCohort({ inputs: [d], out, jobs: 1, quiet: true, bidsDesc: 'aseg' });
    expect(r2.failures).toEqual([]);
    expect(rowsOf(out).map((x) => x[0])).toEqual(['sub-01', 'sub-01', 'sub-02', 'sub-03']);
  });
});

describe('shards', () => {
  it('parses i/n and SLURM array variables, 0- or 1-based, with steps', () => {
    expect(parseShard('3/10')).toEqual({ index: 3, count: 10 });
    expect(() => parseShard('0/10')).toThrow(/1 to n/);
    expect(() => parseShard('11/10')).toThrow(/1 to n/);
    expect(() => parseShard('a/b')).toThrow(/i\/n/);
    expect(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0' })).toEqual({ index: 1, count: 4 });
    expect(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' })).toEqual({ index: 4, count: 4 });
    expect(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '20', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '5' })).toEqual({ index: 3, count: 3 });
    expect(() => shardFromSlurm({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow(/SLURM_ARRAY_TASK_MIN/);
    expect(() => shardFromSlurm({})).toThrow(/SLURM_ARRAY_TASK_ID/);
    expect(() => shardFromSlurm({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' })).toThrow(/outside/);
    // every position in exactly one shard
    for (let p = 0; p < 23; p++) expect([1, 2, 3, 4].filter((i) => inShard(p, { index: i, count: 4 }))).toHaveLength(1);
  });

  it('shard outputs merge back to the unsharded table; duplicates refused, missing reported', async () => {
    const d = tempDir();
    const lines = ['subject_id,labels,group'];
    for (let s = 0; s < 7; s++) {
      writeImage(join(d, `s${s}.nii.gz`), asegLike(s + 10));
      lines.push(`s${s},s${s}.nii.gz,g${s % 2}`);
    }
    const m = writeText(join(d, 'm.csv'), lines.join('\n') + '\n');
    await extractCohort({ inputs: [m], out: join(d, 'all.csv'), jobs: 1, quiet: true });
    for (const i of [1, 2, 3]) await extractCohort({ inputs: [m], out: join(d, 'shards', `f-${i}.csv`), shard: { index: i, count: 3 }, jobs: 1, quiet: true });
    expect(rowsOf(join(d, 'shards', 'f-2.csv')).map((r) => r[0])).toEqual(['s1', 's4']);
    const merged = mergeShards({ out: join(d, 'merged.csv'), inputs: [join(d, 'shards')], manifest: m });
    expect(merged).toMatchObject({ rows: 7, missingCount: 0, absentShards: [] });
    expect(readFileSync(join(d, 'merged.csv'), 'utf8')).toBe(readFileSync(join(d, 'all.csv'), 'utf8'));

    // duplicates: two runs over the same subjects
    await extractCohort({ inputs: [m], out: join(d, 'again', 'all.csv'), jobs: 1, quiet: true });
    expect(() => mergeShards({ out: join(d, 'bad.csv'), inputs: [join(d, 'all.csv'), join(d, 'again', 'all.csv')] })).toThrow(
      /line 2: subject s0 is also in .*all\.csv: refusing duplicates/,
    );
    await extractCohort({ inputs: [m], out: join(d, 'again', 'f-1.csv'), shard: { index: 1, count: 3 }, jobs: 1, quiet: true });
    expect(() => mergeShards({ out: join(d, 'bad.csv'), inputs: [join(d, 'shards', 'f-1.csv'), join(d, 'again', 'f-1.csv')] })).toThrow(/both are shard 1\/3/);
    expect(() => mergeShards({ out: join(d, 'bad.csv'), inputs: [join(d, 'shards', 'f-1.csv'), join(d, 'all.csv')] })).toThrow(/shard count none vs 3/);
    expect(() => mergeShards({ out: join(d, 'bad.csv'), inputs: [join(d, 'shards', 'f-1.csv'), join(d, 'shards', 'f-1.csv'), join(d, 'shards', 'f-2.csv')] })).not.toThrow();

    // mixed settings refused (other lesion threshold)
    await extractCohort({ inputs: [m], out: join(d, 'other', 'f-3.csv'), shard: { index: 3, count: 3 }, lesionThreshold: 0.9, jobs: 1, quiet: true });
    expect(() => mergeShards({ out: join(d, 'bad.csv'), inputs: [join(d, 'shards', 'f-1.csv'), join(d, 'other', 'f-3.csv')] })).toThrow(/lesion threshold 0\.9 vs 0\.5/);

    // a missing shard, through the CLI: reported, exit code 1, list written
    rmSync(join(d, 'shards', 'f-3.csv'));
    const r = runCli(['merge', join(d, 'part.csv'), join(d, 'shards', 'f-*.csv'), '--cohort', m]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no output given for shard\(s\) 3/);
    expect(r.stderr).toMatch(/2 subject\(s\) of the cohort are missing: s2 \(in no shard output\); s5/);
    expect(readFileSync(join(d, 'part.csv.missing.csv'), 'utf8')).toBe('subject_id,session,why\ns2,,in no shard output\ns5,,in no shard output\n');
    expect(rowsOf(join(d, 'part.csv')).map((x) => x[0])).toEqual(['s0', 's1', 's3', 's4', 's6']);
    // without the manifest the count still comes from the sidecars
    const r2 = mergeShards({ out: join(d, 'part2.csv'), inputs: [join(d, 'shards')] });
    expect(r2).toMatchObject({ rows: 5, missingCount: 2, absentShards: [3] });
    expect(existsSync(join(d, 'part2.csv.json'))).toBe(true);
  });
});
