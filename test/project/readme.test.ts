import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/cli.js';
import { buildProgram } from '../../src/cli/main.js';

/** Flags whose value is a file or folder the command reads. */
const INPUT_FLAGS = new Set([
  '--data',
  '--model',
  '--manifest',
  '--cohort',
  '--config',
  '--apply',
  '--subjects',
  '--cv',
  '--normaliser-report',
  '--features-sidecar',
  '--feature-defs',
  '--covariates-file',
  '--thresholds',
  '--kmeans',
  '--errors',
]);
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

  it('use only flags the commands list in --help (no old spellings), in the README and docs', async () => {
    const program = await buildProgram();
    const files = [
      'README.md',
      ...readdirSync(join(projectRoot, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join('docs', f)),
    ];
    const problems: string[] = [];
    let checked = 0;
    for (const f of files) {
      const md = readFileSync(join(projectRoot, f), 'utf8');
      for (const block of md.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
        for (const line of block[1]!.replace(/\\\n\s*/g, ' ').split('\n')) {
          // each `ms-subtype <command> ...` up to a pipe, redirection, comment or the next command
          for (const m of line.matchAll(/ms-subtype\s+([a-z][a-z-]*)([^|;&>#]*)/g)) {
            const cmd = program.commands.find((c) => c.name() === m[1]);
            if (cmd === undefined) continue;
            const known = new Set(['--help', '-h', ...cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short])]);
            for (const t of m[2]!.split(/\s+/).filter((t) => /^--?[a-z]/i.test(t))) {
              checked++;
              if (!known.has(t.split('=')[0]!)) problems.push(`${f}: ms-subtype ${m[1]} ${t}`);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
