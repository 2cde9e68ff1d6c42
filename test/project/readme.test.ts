import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/cli.js';

/** Flags whose value is a file or folder the command reads. */
const INPUT_FLAGS = new Set(['--data', '--model', '--manifest', '--config', '--apply', '--subjects', '--cv', '--normaliser-report', '--features', '--thresholds', '--kmeans', '--errors']);
/** Commands whose first arguments (before any flag) are input files. */
const POSITIONAL_INPUTS = new Set(['volumes', 'extract', 'import-pysustain']);

interface Line {
  text: string;
  comment: string;
}

/** The README's sh blocks as logical lines (continuations joined), each with its trailing comment. */
function shellLines(md: string): Line[][] {
  const blocks = [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.map((b) => {
    const joined = b.replace(/\\\n\s*/g, ' ');
    return joined
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const i = l.indexOf('#');
        return i < 0 ? { text: l.trim(), comment: '' } : { text: l.slice(0, i).trim(), comment: l.slice(i + 1).trim() };
      });
  });
}

const pathLike = (t: string) => /[/.]/.test(t) && !/^-/.test(t);

describe('README commands', () => {
  it('read only files that exist, that an earlier command writes, or that are marked as the reader\u2019s own', () => {
    const md = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const produced: string[] = [];
    const problems: string[] = [];
    let commands = 0;
    for (const block of shellLines(md)) {
      const marked: string[] = [];
      for (const { comment } of block) if (/\byour\b/i.test(comment)) marked.push(...comment.split(/[\s,:()]+/).filter(pathLike));
      for (const { text, comment } of block) {
        // what a line writes: --out values, redirections, and the files its comment names
        const tokens = text.split(/\s+/).filter((t) => t !== '');
        tokens.forEach((t, i) => {
          if ((t === '--out' || t === '-o' || t === '>' || t === '>>') && tokens[i + 1] !== undefined) produced.push(tokens[i + 1]!);
        });
        const inputs: string[] = [];
        const segments = text.split(/&&|;/).map((s) => s.trim().split(/\s+/));
        for (const seg of segments) {
          if (seg[0] === 'npx' && seg[1] === 'ms-subtype') {
            commands++;
            const sub = seg[2]!;
            let i = 3;
            if (POSITIONAL_INPUTS.has(sub)) for (; i < seg.length && !seg[i]!.startsWith('-'); i++) inputs.push(seg[i]!);
            for (; i < seg.length; i++) if (INPUT_FLAGS.has(seg[i]!) && seg[i + 1] !== undefined) inputs.push(seg[i + 1]!);
          } else if (seg[0] === 'head' || seg[0] === 'tail' || seg[0] === 'cat') {
            inputs.push(...seg.slice(1).filter((t, j, a) => pathLike(t) && a[j - 1] !== '>' && a[j - 1] !== '>>'));
          }
        }
        // (a flag value that is no path, such as `fit --model mixture` or `--subjects 400`, is not a file)
        for (const f of inputs.filter(pathLike)) {
          const ok =
            existsSync(join(projectRoot, f)) ||
            produced.some((p) => p === f || f.startsWith(p.endsWith('/') ? p : `${p}/`)) ||
            marked.some((m) => f === m || f.startsWith(m.endsWith('/') ? m : `${m}/`));
          if (!ok) problems.push(`${f} (in: ${text.slice(0, 80)})`);
        }
        produced.push(...comment.split(/[\s,:()]+/).filter(pathLike));
      }
    }
    expect(commands).toBeGreaterThan(8);
    expect(problems).toEqual([]);
  });
});
