/**
 * Extraction throughput against the decompression floor.
 *
 *   npm run bench:extract [-- --copies 200 --size 182x218x182 --dtype int16 --reps 1 --tsx]
 *
 * Writes one synthetic 1 mm aseg-like label map (.nii.gz), copies it `--copies` times into a temp
 * folder, then times on the same files: `gzip -dc` over all of them (one process: the floor, one
 * core), and `extract` with --jobs 1 and --jobs 2, each in a fresh child process that reports its
 * own wall time and peak RSS (worker threads live in the same process, so its RSS covers them).
 * Prints scans/s and the ratio to the floor per core (1.0 = as fast as decompression alone).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync, statSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { benchDir } from './tmp.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeNifti1, type WritableDtype } from '../src/nifti/write.js';
import { extractCohort } from '../src/extract/index.js';

interface Args {
  copies: number;
  dims: [number, number, number];
  dtype: WritableDtype;
  tsx: boolean;
  reps: number;
  child?: { manifest: string; out: string; jobs: number };
}

function parseArgs(argv: string[]): Args {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dims = (get('--size') ?? '182x218x182').split('x').map(Number) as [number, number, number];
  const a: Args = { copies: Number(get('--copies') ?? 200), dims, dtype: (get('--dtype') ?? 'int16') as WritableDtype, tsx: argv.includes('--tsx'), reps: Number(get('--reps') ?? 1) };
  if (argv.includes('--child')) a.child = { manifest: get('--manifest')!, out: get('--out')!, jobs: Number(get('--jobs')) };
  return a;
}

/** An aseg-like brain: nested ellipsoids for cortex, white matter, ventricles, deep grey, cerebellum, brainstem. */
function labelMap([nx, ny, nz]: [number, number, number]): Int32Array {
  const L = new Int32Array(nx * ny * nz);
  const cx = nx / 2,
    cy = ny / 2,
    cz = nz / 2;
  const e = (x: number, y: number, z: number, ox: number, oy: number, oz: number, rx: number, ry: number, rz: number) =>
    ((x - cx - ox * nx) / (rx * nx)) ** 2 + ((y - cy - oy * ny) / (ry * ny)) ** 2 + ((z - cz - oz * nz) / (rz * nz)) ** 2;
  let s = 12345;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const left = x < cx;
        const brain = e(x, y, z, 0, 0.03, 0.05, 0.36, 0.4, 0.34);
        let l = 0;
        if (brain < 1) {
          // a ragged cortex boundary, as real segmentations have
          s = (s * 1103515245 + 12345) % 2147483648;
          const jitter = ((s >> 16) % 100) / 2000;
          l = brain > 0.72 + jitter ? (left ? 3 : 42) : left ? 2 : 41;
          if (e(x, y, z, left ? -0.05 : 0.05, 0.02, 0.08, 0.04, 0.16, 0.06) < 1) l = left ? 4 : 43;
          else if (e(x, y, z, left ? -0.08 : 0.08, 0, 0, 0.05, 0.06, 0.05) < 1) l = left ? 10 : 49;
          else if (e(x, y, z, left ? -0.1 : 0.1, 0.1, 0.03, 0.03, 0.05, 0.04) < 1) l = left ? 11 : 50;
          else if (e(x, y, z, left ? -0.14 : 0.14, 0.05, 0, 0.03, 0.06, 0.05) < 1) l = left ? 12 : 51;
          else if (e(x, y, z, left ? -0.12 : 0.12, 0.03, -0.02, 0.02, 0.03, 0.03) < 1) l = left ? 13 : 52;
          else if (e(x, y, z, 0.03, 0.12, 0.1, 0.02, 0.02, 0.02) < 1) l = 77;
        }
        const cb = e(x, y, z, 0, -0.3, -0.25, 0.22, 0.12, 0.1);
        if (cb < 1) l = cb < 0.3 ? (left ? 7 : 46) : left ? 8 : 47;
        if (e(x, y, z, 0, -0.15, -0.3, 0.05, 0.06, 0.16) < 1) l = 16;
        L[x + nx * (y + ny * z)] = l;
      }
  return L;
}

async function child(a: NonNullable<Args['child']>): Promise<void> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = await extractCohort({ inputs: [a.manifest], out: a.out, jobs: a.jobs, quiet: true });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (r.failures.length > 0) throw new Error(`${r.failures.length} failures: ${r.failures[0]!.reason}`);
  process.stdout.write(JSON.stringify({ seconds, cpu: (c.user + c.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, rows: r.rows }) + '\n');
}

/** The same child run on the compiled JavaScript, as `npm ci` installs it (tsx costs memory in every worker). */
const COMPILED_CHILD = `
const [index, manifest, out, jobs] = process.argv.slice(1);
const { extractCohort } = await import(index);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const r = await extractCohort({ inputs: [manifest], out, jobs: Number(jobs), quiet: true });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const c = process.cpuUsage(c0);
if (r.failures.length > 0) throw new Error(r.failures.length + ' failures: ' + r.failures[0].reason);
process.stdout.write(JSON.stringify({ seconds, cpu: (c.user + c.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, rows: r.rows }) + '\\n');
`;

/** Compile src/ (extract's import closure) into dir/build, laid out so package.json and data/ resolve. Returns the index URL or null. */
function compile(dir: string): string | null {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = join(dir, 'build');
  spawnSync(
    process.execPath,
    [
      tsc,
      '--outDir',
      build,
      '--rootDir',
      join(root, 'src'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--declaration',
      'false',
      join(root, 'src', 'extract', 'index.ts'),
    ],
    { encoding: 'utf8' },
  );
  const index = join(build, 'extract', 'index.js');
  if (!existsSync(index)) return null;
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'data', 'features'), { recursive: true });
  copyFileSync(join(root, 'data', 'features', 'aseg-ms.json'), join(dir, 'data', 'features', 'aseg-ms.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return pathToFileURL(index).href;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return child(a.child);
  const dir = benchDir('ms-bench-extract-');
  try {
    const t0 = Date.now();
    const first = join(dir, 'scan-0000.nii.gz');
    writeFileSync(first, encodeNifti1(labelMap(a.dims), { dims: a.dims, voxelSize: [1, 1, 1], dtype: a.dtype }, true));
    const files = [first];
    const lines = ['subject_id,labels'];
    for (let i = 0; i < a.copies; i++) {
      const f = join(dir, `scan-${String(i).padStart(4, '0')}.nii.gz`);
      if (i > 0) (copyFileSync(first, f), files.push(f));
      lines.push(`s${String(i).padStart(4, '0')},${f}`);
    }
    const manifest = join(dir, 'manifest.csv');
    writeFileSync(manifest, lines.join('\n') + '\n');
    const mb = statSync(first).size / 1e6;
    const bytes: Record<string, number> = { uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };
    const rawMb = (a.dims[0] * a.dims[1] * a.dims[2] * (bytes[a.dtype] ?? 4)) / 1e6;
    console.log(
      `${a.copies} copies of a ${a.dims.join('x')} ${a.dtype} label map (${mb.toFixed(2)} MB gzipped, ${rawMb.toFixed(1)} MB raw), made in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${cpus().length} cores`,
    );

    // Warm the page cache so neither side pays for the disk.
    spawnSync('sh', ['-c', `cat ${dir}/*.nii.gz > /dev/null`]);
    // The floor: one gzip process over every file. /usr/bin/time gives its CPU seconds too, which
    // stay meaningful when other work shares the machine (wall time does not).
    const floor = () => {
      const g = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'sh', '-c', `gzip -dc ${dir}/*.nii.gz > /dev/null`], { encoding: 'utf8' });
      if (g.status !== 0) throw new Error(`gzip -dc failed: ${g.stderr}`);
      const [wall, user, sys] = g.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
      return { seconds: wall, cpu: user + sys };
    };
    const script = fileURLToPath(import.meta.url);
    const compiled = a.tsx ? null : compile(dir);
    console.log(compiled ? 'extract runs from compiled JavaScript (as installed); --tsx to run the sources' : 'extract runs from the TypeScript sources under tsx');
    const runExtract = (jobs: number) => {
      const out = join(dir, `features-j${jobs}.csv`);
      const c = compiled
        ? spawnSync(process.execPath, ['--input-type=module', '-e', COMPILED_CHILD, compiled, manifest, out, String(jobs)], { encoding: 'utf8' })
        : spawnSync(process.execPath, ['--import', 'tsx', script, '--child', '--manifest', manifest, '--out', out, '--jobs', String(jobs)], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`extract --jobs ${jobs} failed: ${c.stderr}`);
      return JSON.parse(c.stdout.trim().split('\n').pop()!) as { seconds: number; cpu: number; maxRssMb: number };
    };
    // Interleave floor and extract runs; keep each one's best (least disturbed) time.
    const best = <T extends { seconds: number; cpu: number }>(xs: T[]): T => ({ ...xs[0]!, seconds: Math.min(...xs.map((x) => x.seconds)), cpu: Math.min(...xs.map((x) => x.cpu)) });
    const fl: { seconds: number; cpu: number }[] = [];
    const ex: Record<number, { seconds: number; cpu: number; maxRssMb: number }[]> = { 1: [], 2: [] };
    for (let rep = 0; rep < a.reps; rep++) {
      fl.push(floor());
      ex[1]!.push(runExtract(1));
      ex[2]!.push(runExtract(2));
    }
    fl.push(floor());
    const f = best(fl);
    const floorRate = a.copies / f.seconds;
    const floorCpu = f.cpu / a.copies;
    const rows: string[][] = [['run', 'cores', 'wall s', 'scans/s', 'scans/s/core', 'ratio/core (wall)', 'CPU s/scan', 'ratio (CPU)', 'peak RSS MB']];
    rows.push(['gzip -dc (floor)', '1', f.seconds.toFixed(2), floorRate.toFixed(1), floorRate.toFixed(1), '1.00', floorCpu.toFixed(4), '1.00', '-']);
    for (const jobs of [1, 2]) {
      const m = best(ex[jobs]!);
      const rss = Math.max(...ex[jobs]!.map((x) => x.maxRssMb));
      const rate = a.copies / m.seconds;
      const cpu = m.cpu / a.copies;
      rows.push([
        `extract --jobs ${jobs}`,
        String(jobs),
        m.seconds.toFixed(2),
        rate.toFixed(1),
        (rate / jobs).toFixed(1),
        (floorRate / (rate / jobs)).toFixed(2),
        cpu.toFixed(4),
        (cpu / floorCpu).toFixed(2),
        rss.toFixed(0),
      ]);
    }
    const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
    for (const r of rows) console.log(r.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join('  '));
    console.log('ratio/core (wall) = floor scans/s / (extract scans/s / cores); ratio (CPU) = extract CPU s per scan / gzip CPU s per scan.');
    console.log(
      `Targets: ratio <= 1.5, peak RSS < 300 MB. Best of ${a.reps} interleaved run(s); load average now ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} cores.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
