/**
 * Assignment benchmark (issue 15): `npm run bench:assign [-- --subjects N] [--threads N] [--repeat N] [--mcmc N] [--reference N]`.
 * Times are wall seconds and CPU seconds of the process (all threads): the machine is shared, so
 * compare CPU seconds and the ratios, which are measured within one run.
 *
 * A 3-subtype z-score model with 1,000 posterior samples from 4 chains (the fit defaults except
 * --mcmc iterations per chain, default 20,000, and 5 start points), fitted once on a simulated
 * 1,000 x 10 cohort (Z 1,2,3: 30 events, 31 stages) and cached in the OS temp folder; then
 * `ms-subtype assign`'s phases on a simulated 50,000-subject z.csv made by `simulate`'s code:
 *   read   the z table (readAssignInput, as the CLI)
 *   score  assignSubjectsParallel (the worker pool, --threads)
 *   write  subjects.csv and its sidecar (writeSubjects)
 * `--cache`: keep the model and z table in $TMPDIR/ms-subtype-bench-assign for the next run.
 * `--repeat N`: N runs, median and range per phase (the shared machine's speed drifts).
 * `--reference N`: on the first N subjects (default 1,000; 0: none), one thread, three ways: a naive
 * reference (every posterior sample's full stage tables from scratch, likelihood.ts's
 * fullStageTables, and the joint posterior by log-sum-exp), the incremental tables (the code path
 * before the blocked one: assignSubjects(..., 'tables')) and the default path; their CPU time,
 * ratio and largest difference of the probabilities against the reference (ml_subtype and ml_stage
 * must agree).
 * The whole CLI run (`node bin/ms-subtype.js assign`, dist/ as last built: `npm run build` first) is
 * timed once (wall) when dist/ exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDir } from './tmp.js';
import { fileURLToPath } from 'node:url';
import { fitSustain, simulateCohort, assignSubjectsParallel } from '../src/sustain/index.js';
import { readAssignInput } from '../src/cli/model-inputs.js';
import { readSustainModel, writeModelFile } from '../src/io/modelfile.js';
import { writeSubjects } from '../src/io/subjects.js';
import { writeZTable } from '../src/io/ztable.js';
import { defaultThreads } from '../src/common/pool.js';
import { fullStageTables } from '../src/sustain/likelihood.js';
import { alignData, assignSubjects, fitFor, modelOf, samplesOf, stagingRule } from '../src/sustain/staging.js';
import type { Assignment, SustainModelFile, ZTable } from '../src/sustain/types.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const subjects = opt('--subjects', 50_000);
const threads = opt('--threads', defaultThreads());
const repeat = Math.max(1, opt('--repeat', 1));
const mcmc = opt('--mcmc', 20_000);
const refSubjects = Math.min(subjects, opt('--reference', 1000));

// `--cache`: keep the fitted model and the z table in a fixed folder for the next run (the fit takes
// minutes on a loaded machine); otherwise a scratch folder removed however the run ends
const cached = args.includes('--cache');
const dir = cached ? join(tmpdir(), 'ms-subtype-bench-assign') : benchDir('ms-bench-assign-');
if (cached) mkdirSync(dir, { recursive: true });
const fmt = (v: number, d = 2) => v.toFixed(d);
const mb = () => process.resourceUsage().maxRSS / 1024;
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j]).length)));
  for (const r of rows) console.log(r.map((c, j) => String(c).padEnd(w[j]!)).join('  '));
  console.log();
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** Wall and CPU seconds of f. */
async function timed<T>(f: () => T | Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c = cpu();
  const t = performance.now();
  const value = await f();
  return { value, wall: (performance.now() - t) / 1000, cpu: cpu() - c };
}

/** The 3-subtype model (reused from the folder with --cache). */
async function model(): Promise<{ file: string; m: SustainModelFile }> {
  const file = join(dir, `model-4x${mcmc}.json`);
  if (!existsSync(file)) {
    console.log(`fitting the 3-subtype model (4 chains x ${mcmc} iterations; ${cached ? `cached in ${file}` : 'use --cache to keep it'}) ...`);
    const sim = simulateCohort({ subjects: 1000, biomarkers: 10, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 5 });
    const thresholds = { zvals: sim.data.biomarkers.map(() => [1, 2, 3]), zmax: sim.data.biomarkers.map(() => 5) };
    const m = await fitSustain(sim.data, thresholds, { seed: 1, maxSubtypes: 3, startpoints: 5, mcmcIterations: mcmc, chains: 4, samplesKept: 1000, threads });
    writeModelFile(file, m);
  }
  return { file, m: readSustainModel(file) };
}

/** Distinct whole samples and distinct sequences per subtype. */
function diversity(m: SustainModelFile): string {
  const s = fitFor(m, 3).samples;
  const whole = new Set(s.sequences.map((q, j) => JSON.stringify([q, s.fractions[j]]))).size;
  const per = [0, 1, 2].map((k) => new Set(s.sequences.map((q) => q[k]!.join(','))).size);
  return `${s.sequences.length} samples, ${whole} distinct; distinct sequences per subtype ${per.join(' / ')}`;
}

/** Naive reference: every sample's full tables, joint posterior by log-sum-exp per subject and sample. */
function reference(m: SustainModelFile, data: ZTable): { joint: Float64Array; stageJoint: Float64Array } {
  const fit = fitFor(m, 3);
  const zm = modelOf(m);
  const M = data.subjects.length;
  const S = zm.nStages;
  const K = fit.subtypes;
  const prepared = zm.prepare(alignData(m, data), M);
  const samples = samplesOf(m, fit);
  const J = samples.sequences.length;
  const joint = new Float64Array(M * K * S);
  const stageJoint = new Float64Array(M * K * S);
  for (let j = 0; j < J; j++) {
    const tables = fullStageTables(zm, prepared, samples.sequences[j]!);
    const f = samples.fractions[j]!;
    for (let i = 0; i < M; i++) {
      let mx = -Infinity;
      for (let s = 0; s < K; s++) for (let k = 0; k < S; k++) mx = Math.max(mx, tables[s]![i * S + k]!);
      let q = 0;
      let q0 = 0;
      for (let s = 0; s < K; s++)
        for (let k = 0; k < S; k++) {
          const e = Math.exp(tables[s]![i * S + k]! - mx);
          q += f[s]! * e;
          q0 += e;
        }
      for (let s = 0; s < K; s++)
        for (let k = 0; k < S; k++) {
          const e = Math.exp(tables[s]![i * S + k]! - mx);
          joint[(i * K + s) * S + k]! += (f[s]! * e) / q / J;
          stageJoint[(i * K + s) * S + k]! += e / q0 / J;
        }
    }
  }
  return { joint, stageJoint };
}

function compare(m: SustainModelFile, a: Assignment, ref: { joint: Float64Array; stageJoint: Float64Array }, M: number): { diff: number; mlDiffer: number } {
  const K = a.subtypes;
  const S = a.probStage!.length / a.subjects.length;
  const py = stagingRule(m) === 'pysustain';
  let diff = 0;
  let mlDiffer = 0;
  for (let i = 0; i < M; i++) {
    let bs = 0;
    const ps = (s: number) => {
      let t = 0;
      for (let k = 0; k < S; k++) t += ref.joint[(i * K + s) * S + k]!;
      return t;
    };
    for (let s = 0; s < K; s++) {
      diff = Math.max(diff, Math.abs(ps(s) - a.probSubtype[i * K + s]!));
      if (ps(s) > ps(bs)) bs = s;
      for (let k = 0; k < S; k++) diff = Math.max(diff, Math.abs((py ? ref.stageJoint : ref.joint)[(i * K + s) * S + k]! - a.probSubtypeStage![(i * S + k) * K + s]!));
    }
    const st = py ? ref.stageJoint : ref.joint;
    let bk = 0;
    for (let k = 1; k < S; k++) if (st[(i * K + bs) * S + k]! > st[(i * K + bs) * S + bk]!) bk = k;
    if (bs !== a.mlSubtype[i] || bk !== a.mlStage[i]) mlDiffer++;
  }
  return { diff, mlDiffer };
}

async function main(): Promise<void> {
  const { file: modelFile, m } = await model();
  const zFile = join(dir, `z-${subjects}.csv`);
  if (!existsSync(zFile)) {
    const sim = simulateCohort({ subjects, biomarkers: 10, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 9, names: m.biomarkers });
    writeZTable(zFile, sim.data);
  }
  console.log(`== assign ${subjects} subjects x ${m.biomarkers.length} biomarkers (${m.events.length} events) to a 3-subtype model: ${diversity(m)}; ${threads} thread(s), ${repeat} run(s)`);
  const out = join(dir, 'subjects.csv');
  const times: Record<'read' | 'score' | 'write', { wall: number[]; cpu: number[] }> = { read: { wall: [], cpu: [] }, score: { wall: [], cpu: [] }, write: { wall: [], cpu: [] } };
  const note = (k: keyof typeof times, t: { wall: number; cpu: number }) => {
    times[k].wall.push(t.wall);
    times[k].cpu.push(t.cpu);
  };
  let a: Assignment | undefined;
  let table0: ZTable | undefined;
  for (let r = 0; r < repeat; r++) {
    const read = await timed(() => readAssignInput(m, { data: zFile }));
    note('read', read);
    const score = await timed(() => assignSubjectsParallel(m, read.value.table, 3, threads));
    note('score', score);
    a = score.value;
    note(
      'write',
      await timed(() => writeSubjects(out, a!, read.value.table.carried, { method: m.method, model: { file: modelFile, sha256: '' }, data: { file: zFile, sha256: read.value.sha256 } })),
    );
    table0 = read.value.table;
  }
  const range = (v: number[]) => `${fmt(Math.min(...v))}-${fmt(Math.max(...v))}`;
  const rows: (string | number)[][] = [['phase', 'wall s (median)', 'wall range', 'CPU s (median)', 'CPU range']];
  let total = 0;
  let totalCpu = 0;
  for (const [k, v] of Object.entries(times)) {
    rows.push([k, fmt(median(v.wall)), range(v.wall), fmt(median(v.cpu)), range(v.cpu)]);
    total += median(v.wall);
    totalCpu += median(v.cpu);
  }
  rows.push(['total (medians)', fmt(total), 'target < 15', fmt(totalCpu), '']);
  rows.push(['peak memory, MB', fmt(mb(), 0), '', '', '']);
  table(rows);
  const bin = join(root, 'bin', 'ms-subtype.js');
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    const t = performance.now();
    execFileSync(process.execPath, [bin, 'assign', '--model', modelFile, '--data', zFile, '--out', out, '--quiet', '--jobs', String(threads)], { stdio: 'ignore' });
    console.log(`whole CLI run (node bin/ms-subtype.js assign --jobs ${threads}, dist/ as last built): ${fmt((performance.now() - t) / 1000)} s wall\n`);
  }
  if (refSubjects > 0) {
    const sub: ZTable = { subjects: table0!.subjects.slice(0, refSubjects), biomarkers: table0!.biomarkers, values: table0!.values.slice(0, refSubjects * table0!.biomarkers.length) };
    const ref = await timed(() => reference(m, sub));
    const tables = await timed(() => assignSubjects(m, sub, 3, 'tables'));
    const ours = await timed(() => assignSubjects(m, sub, 3));
    const row = (name: string, t: { cpu: number; value: Assignment }) => {
      const c = compare(m, t.value, ref.value, refSubjects);
      return [name, fmt(t.cpu), fmt(ref.cpu / t.cpu, 1), fmt(tables.cpu / t.cpu, 2), c.diff.toExponential(1), c.mlDiffer];
    };
    const c50 = compare(m, a!, ref.value, refSubjects);
    table([
      [`first ${refSubjects} subjects, 1 thread`, 'CPU s', 'x naive', 'x tables', 'max |prob - naive|', 'ml_subtype/ml_stage differ'],
      ['naive reference (full tables per sample)', fmt(ref.cpu), '1', '', '', ''],
      row('incremental tables (previous path)', tables),
      row('blocked rows (default)', ours),
      [`the ${subjects}-subject run's rows`, '', '', '', c50.diff.toExponential(1), c50.mlDiffer],
    ]);
  }
  rmSync(out, { force: true });
  rmSync(`${out}.json`, { force: true });
}

await main();
