/**
 * Peak memory of big tables, per million rows: `normalise`, reading a z table as `fit` does,
 * `assign` and `fit`.
 *
 *   nice npx tsx bench/tables.ts [-- --rows 500000,1000000,2900000] [--parts normalise,read,assign,assign2,fit]
 *
 * At each row count it writes a features table like extract's (subject_id, session, group, age,
 * sex, site, icv and 12 regional volumes: 19 columns) and a z table like normalise's (subject_id,
 * session, is_control and 13 biomarkers), then measures, each in a fresh child process, the peak
 * RSS and wall time of: the `normalise` command (read, fit on the controls, z-score, write), reading
 * the z table as `fit` and `assign` do (readZTable), and the `assign` command (one thread) with a
 * one-subtype model fitted once on 300 rows. Prints MB at each size and the slope in MB per million
 * rows (between the smallest and largest size, so Node's own memory cancels out). `assign2` is the
 * `assign` command on 2 threads; a last table puts each assign beside reading the table, the memory
 * it cannot do without (assign scores and writes block by block: what it adds should not grow with
 * the rows).
 *
 * The fit part: `fit --max-subtypes 2 --startpoints 1 --polish 0 --chains 2 --mcmc 20 --tune 2
 * --jobs 1` on the z table (13 biomarkers x 3 thresholds: 39 events; the patients, 3/4 of the rows),
 * with each EM run cut to one sweep (FIT_DEFAULTS.emMaxIterations = 1 in the child): memory is the
 * tables', the same after one sweep as after a hundred, and a full fit of a million subjects takes
 * hours. It prints the estimate `fit` checks before it starts (fitMemory) beside the measured peak;
 * where the estimate is over this machine's memory, `fit` refuses (a one-line error) and the row says so.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { benchDir } from './tmp.js';
import { fileURLToPath } from 'node:url';
import { concurrentTasks } from '../src/cli/fit-memory.js';
import { fitMemory } from '../src/sustain/fit-memory.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Write `n` rows made by `row`, 10,000 at a time (a table of GBs is never one string). */
function writeRows(file: string, header: string, n: number, row: (i: number) => string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, header + '\n');
    for (let i = 0; i < n; i += 10_000) {
      const part: string[] = [];
      for (let k = i; k < Math.min(n, i + 10_000); k++) part.push(row(k));
      writeSync(fd, part.join('\n') + '\n');
    }
  } finally {
    closeSync(fd);
  }
}

function featuresCsv(file: string, n: number): void {
  const r = rng(1);
  const header = 'subject_id,session,group,age,sex,site,icv,' + Array.from({ length: 12 }, (_, j) => `region_${j}`).join(',');
  writeRows(file, header, n, (i) => {
    const row = [`sub-${i}`, 'ses-1', i % 4 === 0 ? 'HC' : 'MS', (20 + r() * 50).toFixed(1), r() < 0.5 ? 'F' : 'M', `site${i % 5}`, (1.4e6 + r() * 2e5).toFixed(0)];
    for (let j = 0; j < 12; j++) row.push((1000 + j * 500 + r() * 300).toFixed(2));
    return row.join(',');
  });
}

function zCsv(file: string, n: number): void {
  const r = rng(2);
  writeRows(file, 'subject_id,session,is_control,' + Array.from({ length: 13 }, (_, j) => `b${j}`).join(','), n, (i) => {
    const row = [`sub-${i}`, 'ses-1', i % 4 === 0 ? '1' : '0'];
    for (let j = 0; j < 13; j++) row.push((r() * 4 - 0.5).toFixed(4));
    return row.join(',');
  });
}

interface Run {
  mb: number;
  s: number;
  ok: boolean;
  err: string;
  /** fit: the estimate `fit` checked before it started (MB) */
  est?: number;
}

/** Peak RSS (MB) and wall time of a child running `code` (an ES module, sources through tsx); `code` sets `ok`. */
function child(code: string): Run {
  const t0 = Date.now();
  const wrapped = `let ok = true;\n${code}\nconsole.log(JSON.stringify({ rss: process.resourceUsage().maxRSS, ok }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', wrapped], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = (Date.now() - t0) / 1000;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(last) as { rss: number; ok: boolean };
    return { mb: j.rss / 1024, s, ok: j.ok && r.status === 0, err: j.ok ? '' : (r.stderr.trim().split('\n').slice(-1)[0] ?? '') };
  } catch {
    return { mb: NaN, s, ok: false, err: (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '' };
  }
}

const src = (p: string) => JSON.stringify(join(root, 'src', p));

/** The CLI in a child: `ok` is whether it exited 0. */
function cli(args: string[]): Run {
  return child(`import { main } from ${src('cli/main.ts')};\nok = (await main(['node', 'ms-subtype', ...${JSON.stringify(args)}])) === 0;`);
}

const FIT = 'fit (13 biomarkers, 39 events, K = 1..2, 1 thread)';
const FIT_ARGS = ['--max-subtypes', '2', '--startpoints', '1', '--polish', '0', '--chains', '2', '--mcmc', '20', '--tune', '2', '--jobs', '1', '--quiet'];

/** `fit` in a child, each EM run cut to one sweep, with the estimate it checked before it started (the bench's table: 13 biomarkers x 3 thresholds, the patients fitted). */
function fitRun(z: string, out: string, n: number): Run {
  const r = child(`import { FIT_DEFAULTS } from ${src('sustain/index.ts')};
    import { main } from ${src('cli/main.ts')};
    FIT_DEFAULTS.emMaxIterations = 1;
    ok = (await main(['node', 'ms-subtype', 'fit', '--data', ${JSON.stringify(z)}, '--out', ${JSON.stringify(out)}, ...${JSON.stringify(FIT_ARGS)}])) === 0;`);
  const rows = n - Math.ceil(n / 4);
  const threads = concurrentTasks({ maxSubtypes: 2, startpoints: 1, chains: 2, mcmc: 20, polish: 0, jobs: 1 });
  // cross-sectional: subjects.csv is written block by block, nothing per subject after the fit
  const est = fitMemory({ rows, width: 13, stages: 40, maxSubtypes: 2, threads }).total;
  return { ...r, est: est / 1024 ** 2 };
}

/** The assign command, its output removed after. */
function assignRun(model: string, z: string, out: string, jobs: number): Run {
  const r = cli(['assign', '--model', model, '--data', z, '--out', out, '--jobs', String(jobs), '--quiet']);
  rmSync(out, { force: true });
  rmSync(`${out}.json`, { force: true });
  return r;
}

function main(): void {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--rows');
  const sizes = (i >= 0 ? argv[i + 1]! : '500000,1000000,2900000').split(',').map(Number);
  const dir = benchDir('ms-bench-tables-');
  try {
    // A one-subtype model of the 13 biomarkers, fitted once on a small z table (assign's input).
    const small = join(dir, 'z-small.csv');
    zCsv(small, 300);
    const fit = cli(['fit', '--data', small, '--out', join(dir, 'model'), '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '0', '--jobs', '1', '--quiet']);
    if (!fit.ok) throw new Error(`fitting the bench model failed: ${fit.err}`);
    const p = argv.indexOf('--parts');
    const parts = (p >= 0 ? argv[p + 1]! : 'normalise,read,assign,fit').split(',');
    const all = ['normalise (19 columns)', 'read z table as fit does (16 columns)', 'assign (16 columns, 1 thread)', 'assign (16 columns, 2 threads)', FIT] as const;
    const what = all.filter((_, k) => parts.includes(['normalise', 'read', 'assign', 'assign2', 'fit'][k]!));
    const model = join(dir, 'model', 'model.json');
    const runs: Record<string, Run[]> = Object.fromEntries(what.map((w) => [w, []]));
    const fileMb: number[] = [];
    for (const n of sizes) {
      const f = join(dir, `features-${n}.csv`);
      const z = join(dir, `z-${n}.csv`);
      if (parts.includes('normalise')) featuresCsv(f, n);
      zCsv(z, n);
      fileMb.push(statSync(parts.includes('normalise') ? f : z).size / 1024 ** 2);
      if (parts.includes('normalise')) runs[all[0]]!.push(cli(['normalise', '--data', f, '--covariates', 'age,sex,icv,site', '--out', join(dir, `z-out-${n}.csv`), '--quiet']));
      rmSync(join(dir, `z-out-${n}.csv`), { force: true });
      runs[all[1]]?.push(
        child(`import { readZTable } from ${src('io/ztable.ts')};
          const r = readZTable(${JSON.stringify(z)}, { includeControls: true });
          ok = r.table.subjects.length === ${n};`),
      );
      runs[all[2]]?.push(assignRun(model, z, join(dir, `assign-${n}.csv`), 1));
      runs[all[3]]?.push(assignRun(model, z, join(dir, `assign-${n}.csv`), 2));
      runs[FIT]?.push(fitRun(z, join(dir, `fit-${n}`), n));
      rmSync(join(dir, `fit-${n}`), { recursive: true, force: true });
      rmSync(f, { force: true });
      rmSync(z, { force: true });
      for (const w of what) {
        const r = runs[w]!.at(-1)!;
        console.error(`n=${n}: ${w}: ${r.ok ? 'ok' : `FAILED ${r.err}`}, ${r.mb.toFixed(0)} MB${r.est !== undefined ? ` (estimate ${r.est.toFixed(0)} MB)` : ''}, ${r.s.toFixed(1)} s`);
      }
    }
    const fmt = (n: number) => (n / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 });
    console.log(`${parts.includes('normalise') ? 'features' : 'z'} table: ${sizes.map((n, k) => `${fmt(n)} M rows ${fileMb[k]!.toFixed(0)} MB`).join(', ')}\n`);
    console.log(`| what | ${sizes.map((n) => `${fmt(n)} M rows: peak RSS, time`).join(' | ')} | MB per million rows |`);
    console.log(`|---|${sizes.map(() => '---').join('|')}|---|`);
    for (const w of what) {
      const r = runs[w]!;
      // the slope between the smallest and largest size that ran (a fit refused as too big did not)
      const ran = sizes.map((n, k) => ({ n, x: r[k]! })).filter((q) => q.x.ok);
      const [lo, hi] = [ran[0], ran[ran.length - 1]];
      const slope = lo && hi && hi.n > lo.n ? (((hi.x.mb - lo.x.mb) / (hi.n - lo.n)) * 1e6).toFixed(0) : '-';
      const est = (x: Run) => (x.est !== undefined ? ` (estimate ${x.est.toFixed(0)} MB)` : '');
      console.log(`| ${w} | ${r.map((x) => (x.ok ? `${x.mb.toFixed(0)} MB${est(x)}, ${x.s.toFixed(0)} s` : `refused or failed in ${x.s.toFixed(0)} s${est(x)}`)).join(' | ')} | ${slope} |`);
    }
    if (runs[FIT]?.some((x) => !x.ok)) console.log(`\n${FIT}: ${runs[FIT].map((x, k) => `${fmt(sizes[k]!)} M rows: ${x.ok ? 'ok' : x.err}`).join('; ')}`);
    const read = runs[all[1]];
    const assigns = [all[2], all[3]].filter((w) => runs[w] !== undefined);
    if (read && assigns.length > 0) {
      console.log(`\n| peak RSS, assign / read z table | ${sizes.map((n) => `${fmt(n)} M rows`).join(' | ')} |`);
      console.log(`|---|${sizes.map(() => '---').join('|')}|`);
      for (const w of assigns) console.log(`| ${w} | ${runs[w]!.map((x, k) => (x.mb / read[k]!.mb).toFixed(2)).join(' | ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
