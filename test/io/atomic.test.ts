import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../helpers/cli.js';
import { cleanStaleTemps, writeAtomic } from '../../src/io/atomic.js';
import { toCsv, writeCsvAtomic } from '../../src/io/csv.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-atomic-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

describe('atomic writes', () => {
  it("leftovers of interrupted writes are removed by the next write; a live process's temp file is kept", () => {
    const target = join(dir, 'model.json');
    const stale = join(dir, `.model.json.${deadPid()}.1.tmp`);
    const legacy = join(dir, 'model.json.2565326727'); // write-file-atomic's temp name (earlier versions)
    const live = join(dir, `.model.json.${process.ppid}.3.tmp`);
    const other = join(dir, 'model.json.bak');
    for (const f of [stale, legacy, live, other]) writeFileSync(f, '');
    writeAtomic(target, '{"a":1}\n');
    expect(readFileSync(target, 'utf8')).toBe('{"a":1}\n');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(cleanStaleTemps(target)).toEqual([]);
  });

  it('a CSV written in pieces is the same bytes as the whole text', () => {
    const rows = Array.from({ length: 25_001 }, (_, i) => [`s"${i}`, i / 7, i % 3 === 0 ? NaN : i, 'a,b']);
    const f = join(dir, 'big.csv');
    writeCsvAtomic(f, ['id', 'x', 'y', 'z'], rows);
    expect(readFileSync(f, 'utf8')).toBe(toCsv(['id', 'x', 'y', 'z'], rows));
  });

  it('Ctrl-C during a write ends the process with a non-zero status; the next write cleans up', async () => {
    const target = join(dir, 'subjects.csv');
    const script = `
      import { writeAtomic } from ${JSON.stringify(join(projectRoot, 'src', 'io', 'atomic.ts'))};
      const data = Buffer.alloc(192 * 1024 * 1024, 97);
      console.log('writing');
      for (let i = 0; i < 20; i++) writeAtomic(${JSON.stringify(target)}, data);
      console.log('done');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot });
    let out = '';
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('writing')) setTimeout(() => child.kill('SIGINT'), 50);
    });
    const { code, signal } = await ended;
    expect(out).not.toContain('done');
    expect(code === null ? signal : code).not.toBe(0);
    writeAtomic(target, 'ok\n');
    expect(readdirSync(dir).filter((n) => n.startsWith('.subjects.csv.'))).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe('ok\n');
  }, 60_000);
});
