/**
 * Peak memory of reading big tables, per million rows.
 *
 *   npx tsx bench/tables.ts [-- --rows 100000,300000]
 *
 * Writes a features table like extract's (subject_id, session, group, age, sex, site, icv and 12
 * regional volumes: 19 columns) and a z table like normalise's (subject_id, session, is_control and
 * 13 biomarkers), at each row count, then in a fresh child process per run measures peak RSS of:
 * `normalise` (the whole command: read, fit on controls, z-score, write), and reading the z table as
 * `fit` and `assign` do (readZTable). Prints MB at each size and the slope in MB per million rows
 * (the difference between the two sizes, so Node's own ~60 MB cancels out).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function featuresCsv(n: number): string {
  const r = rng(1);
  const out = ['subject_id,session,group,age,sex,site,icv,' + Array.from({ length: 12 }, (_, j) => `region_${j}`).join(',')];
  for (let i = 0; i < n; i++) {
    const row = [`sub-${i}`, 'ses-1', i % 4 === 0 ? 'HC' : 'MS', (20 + r() * 50).toFixed(1), r() < 0.5 ? 'F' : 'M', `site${i % 5}`, (1.4e6 + r() * 2e5).toFixed(0)];
    for (let j = 0; j < 12; j++) row.push((1000 + j * 500 + r() * 300).toFixed(2));
    out.push(row.join(','));
  }
  return out.join('\n') + '\n';
}

function zCsv(n: number): string {
  const r = rng(2);
  const out = ['subject_id,session,is_control,' + Array.from({ length: 13 }, (_, j) => `b${j}`).join(',')];
  for (let i = 0; i < n; i++) {
    const row = [`sub-${i}`, 'ses-1', i % 4 === 0 ? '1' : '0'];
    for (let j = 0; j < 13; j++) row.push((r() * 4 - 0.5).toFixed(4));
    out.push(row.join(','));
  }
  return out.join('\n') + '\n';
}

/** Peak RSS (MB) and wall time of a child running `code` (an ES module, sources through tsx). */
function child(code: string): { mb: number; s: number; ok: boolean; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code + '\nconsole.log(JSON.stringify({ rss: process.resourceUsage().maxRSS }));'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const { rss } = JSON.parse(last) as { rss: number };
    return { mb: rss / 1024, s: 0, ok: r.status === 0, err: '' };
  } catch {
    return { mb: NaN, s: 0, ok: false, err: (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '' };
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--rows');
  const sizes = (i >= 0 ? argv[i + 1]! : '100000,300000').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'ms-bench-tables-'));
  const src = (p: string) => JSON.stringify(join(root, 'src', p));
  try {
    const rows: Record<string, number[]> = { normalise: [], 'read z table (fit, assign)': [] };
    for (const n of sizes) {
      const f = join(dir, `features-${n}.csv`);
      const z = join(dir, `z-${n}.csv`);
      writeFileSync(f, featuresCsv(n));
      writeFileSync(z, zCsv(n));
      const t0 = Date.now();
      const norm = child(`import { normaliseFiles } from ${src('normalise/index.ts')};
        normaliseFiles({ data: ${JSON.stringify(f)}, out: ${JSON.stringify(join(dir, `z-out-${n}.csv`))}, controlColumn: 'group', controlValues: ['HC'], covariates: ['age', 'sex', 'icv', 'site'], featuresSidecar: null });`);
      const t1 = Date.now();
      const read = child(`import { readZTable } from ${src('io/ztable.ts')};
        const r = readZTable(${JSON.stringify(z)}, { includeControls: true });
        if (r.table.subjects.length !== ${n}) throw new Error('rows');`);
      const t2 = Date.now();
      if (!norm.ok || !read.ok) console.error(`n=${n}: ${norm.err} ${read.err}`);
      rows['normalise']!.push(norm.mb);
      rows['read z table (fit, assign)']!.push(read.mb);
      console.error(`n=${n}: normalise ${((t1 - t0) / 1000).toFixed(1)} s, read z ${((t2 - t1) / 1000).toFixed(1)} s`);
    }
    const [a, b] = [sizes[0]!, sizes[sizes.length - 1]!];
    console.log(`| what | ${sizes.map((n) => `peak RSS, ${n.toLocaleString('en-US')} rows`).join(' | ')} | MB per million rows |`);
    console.log(`|---|${sizes.map(() => '---').join('|')}|---|`);
    for (const [what, mb] of Object.entries(rows)) {
      const slope = ((mb[mb.length - 1]! - mb[0]!) / (b - a)) * 1e6;
      console.log(`| ${what} | ${mb.map((x) => `${x.toFixed(0)} MB`).join(' | ')} | ${slope.toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
