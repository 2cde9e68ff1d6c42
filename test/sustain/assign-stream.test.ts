import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignSubjects, assignSubjectsParallel, fitSustain, simulateCohort } from '../../src/sustain/index.js';
import { assignStream } from '../../src/sustain/assign-stream.js';
import { readModelFile, writeModelFile } from '../../src/io/modelfile.js';
import { readZTable } from '../../src/io/ztable.js';
import { sha256File } from '../../src/io/hash.js';
import { readSubjectsSidecar, SubjectsWriter, writeSubjects, type SubjectsProvenance } from '../../src/io/subjects.js';
import { zExceedance } from '../../src/normalise/exceedance.js';
import { assignKmeans } from '../../src/cv/kmeans.js';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';
import type { Assignment, SustainModelFile, ZTable } from '../../src/sustain/types.js';

// `assign` scores and writes block by block (src/cli/assign-write.ts): its output must be the bytes
// of the whole-table path (assignSubjectsParallel + writeSubjects, the implementation before it) for
// any --jobs, for every model kind, and too big for memory must be a one-line error.

const tmp = mkdtempSync(join(tmpdir(), 'ms-assign-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const zModel = join(tmp, 'z-model.json');
const mixModel = join(tmp, 'mix-model.json');
const kmModel = join(tmp, 'km', 'model.json');
const data = join(tmp, 'z.csv');
const M = 4500;

/** Subjects with missing cells, carried text that needs quoting, and a few far beyond zmax. */
function writeData(): void {
  const sim = simulateCohort({ subjects: M, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 7 });
  const B = sim.data.biomarkers.length;
  const lines = [['subject_id', ...sim.data.biomarkers, 'session', 'group', 'note'].join(',')];
  for (let i = 0; i < M; i++) {
    const v = Array.from({ length: B }, (_, b) => (i % 5 === 1 && b === i % B ? '' : i % 97 === 3 ? String(30 + b) : String(sim.data.values[i * B + b])));
    const note = i % 50 === 0 ? '"a, ""quoted"" note"' : i % 77 === 0 ? 'é ü' : '';
    lines.push([sim.data.subjects[i], ...v, 'ses-1', i % 4 === 0 ? 'HC' : 'MS', note].join(','));
  }
  writeFileSync(data, lines.join('\n') + '\n');
}

beforeAll(async () => {
  writeData();
  const train = simulateCohort({ subjects: 200, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 3 });
  const th = { zvals: train.data.biomarkers.map(() => [1, 2]), zmax: train.data.biomarkers.map(() => 4) };
  writeModelFile(zModel, await fitSustain(train.data, th, { seed: 1, maxSubtypes: 2, startpoints: 1, mcmcIterations: 600, mcmcTuneIterations: 100, samplesKept: 40, threads: 1 }));
  const fit = await runCli(['fit', '--method', 'kmeans', '--data', data, '--max-subtypes', '3', '--seed', '1', '--out', join(tmp, 'km'), '--jobs', '1', '--quiet']);
  expect(fit.code).toBe(0);
  const raw = join(tmp, 'raw.csv');
  writeFileSync(raw, readFileSync(data, 'utf8').split('\n').slice(0, 401).join('\n') + '\n');
  const mixFit = await runCli([
    'fit',
    '--kind',
    'mixture',
    '--data',
    raw,
    '--biomarkers',
    'b01,b02,b03,b04',
    '--control-column',
    'group',
    '--control-values',
    'HC',
    '--max-subtypes',
    '2',
    '--startpoints',
    '1',
    '--mcmc',
    '300',
    '--tune',
    '100',
    '--samples',
    '30',
    '--seed',
    '1',
    '--out',
    join(tmp, 'mix'),
    '--jobs',
    '1',
    '--quiet',
  ]);
  expect(mixFit.stderr).toBe('');
  writeFileSync(mixModel, readFileSync(join(tmp, 'mix', 'model.json')));
}, 120_000);

/** The subjects.csv and sidecar of the implementation before streaming: one whole assignment, then writeSubjects. */
async function wholeTable(modelFile: string, out: string, jobs: number): Promise<void> {
  const model = readModelFile(modelFile);
  const read = readZTable(data, { biomarkers: model.biomarkers, includeControls: true });
  const t = read.table;
  const a: Assignment = model.method === 'kmeans' ? assignKmeans(model, t, model.fits[model.fits.length - 1]!.subtypes) : await assignSubjectsParallel(model, t, undefined, jobs);
  const prov: SubjectsProvenance = {
    method: model.method,
    model: { file: modelFile, sha256: sha256File(modelFile) },
    data: { file: data, sha256: sha256File(data) },
    zAboveZmax: model.method === 'sustain-zscore' ? zExceedance(t.values, t.biomarkers, model.zmax) : null,
  };
  writeSubjects(out, a, t.carried, prov);
}

describe('assign writes block by block', () => {
  for (const [kind, file] of [
    ['z-score', zModel],
    ['mixture', mixModel],
    ['k-means', kmModel],
  ] as const) {
    it(`${kind}: --jobs 1 and 2 give the bytes of the whole-table path, sidecar included`, async () => {
      const want = join(tmp, `${kind}-whole.csv`);
      await wholeTable(file, want, 2);
      for (const jobs of ['1', '2']) {
        const out = join(tmp, `${kind}-${jobs}.csv`);
        const r = await runCli(['assign', '--model', file, '--data', data, '--out', out, '--jobs', jobs, '--quiet']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(readFileSync(out, 'utf8')).toBe(readFileSync(want, 'utf8'));
        expect(readFileSync(`${out}.json`, 'utf8')).toBe(readFileSync(`${want}.json`, 'utf8'));
        const side = readSubjectsSidecar(out)!;
        expect(side.rows).toBe(M);
        expect(side.table!.sha256).toBe(sha256File(out));
        expect(side.carriedColumns).toEqual(['session', 'group', 'note']);
        if (kind === 'z-score') expect(side.zAboveZmax!.cells).toBeGreaterThan(0);
      }
      // no temp files left beside the outputs
      expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }, 60_000);
  }

  it('blocks arrive in order and join to one whole assignment (1 and 2 threads, small blocks)', async () => {
    const model = readModelFile(zModel) as SustainModelFile;
    const t: ZTable = readZTable(data, { biomarkers: model.biomarkers, includeControls: true }).table;
    const whole = assignSubjects(model, t);
    for (const threads of [1, 2]) {
      const froms: number[] = [];
      const parts: Assignment[] = [];
      const progress: number[] = [];
      const K = await assignStream(model, t, undefined, threads, (a, from) => (froms.push(from), parts.push(a)), { maxBlock: 1000, onProgress: (d) => progress.push(d) });
      expect(K).toBe(whole.subtypes);
      // 5 blocks of at most 1,000 rows; on 2 threads a whole number per thread (6)
      expect(froms).toEqual(threads === 1 ? [0, 900, 1800, 2700, 3600] : [0, 750, 1500, 2250, 3000, 3750]);
      expect(progress.at(-1)).toBe(M);
      expect(parts.flatMap((p) => p.subjects)).toEqual(t.subjects);
      const cat = (k: 'probSubtype' | 'probMlStage' | 'mlStage') => parts.flatMap((p) => Array.from(p[k]));
      for (const k of ['probSubtype', 'probMlStage', 'mlStage'] as const) expect(cat(k)).toEqual(Array.from(whole[k]));
    }
  }, 60_000);

  it('too big for memory: one line naming the file and the limit, nothing written', async () => {
    const out = join(tmp, 'too-big.csv');
    process.env['MS_SUBTYPE_TEST_FREE_MEMORY'] = '100000';
    try {
      const r = await runCli(['assign', '--model', zModel, '--data', data, '--out', out, '--jobs', '2', '--quiet']);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(data);
      expect(lines[0]).toMatch(/assigning 4,500 rows x 8 columns needs about [\d.]+ GB more memory than the table, more than the 0\.00 GB this process may still use: use fewer --jobs/);
    } finally {
      delete process.env['MS_SUBTYPE_TEST_FREE_MEMORY'];
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.json`)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('too-big'))).toEqual([]);
  });

  it('a writer that is aborted leaves neither the table nor a temp file', () => {
    const out = join(tmp, 'aborted.csv');
    const w = new SubjectsWriter(out, 2, ['session']);
    const a: Assignment = {
      subjects: ['s1'],
      subtypes: 2,
      mlSubtype: Int32Array.of(1),
      probMlSubtype: Float64Array.of(0.75),
      mlStage: Int32Array.of(3),
      probMlStage: Float64Array.of(0.5),
      probSubtype: Float64Array.of(0.25, 0.75),
    };
    w.add(a, [['ses-1']]);
    expect(() => w.add({ ...a, subtypes: 3 }, [['ses-1']])).toThrow(/3 subtypes for a 2-subtype table/);
    w.abort();
    expect(readdirSync(tmp).filter((f) => f.includes('aborted'))).toEqual([]);
  });
});
