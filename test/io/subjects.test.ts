import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlMask, readSubjects, subjectColumns, writeSubjects } from '../../src/io/subjects.js';
import type { Assignment } from '../../src/sustain/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'ms-subjects-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function assignment(stages: number[]): Assignment {
  const m = stages.length;
  return {
    subjects: stages.map((_, i) => `s${i + 1}`),
    subtypes: 2,
    mlSubtype: Int32Array.from(stages.map((_, i) => i % 2)),
    probMlSubtype: Float64Array.from(stages.map(() => 0.75)),
    mlStage: Int32Array.from(stages),
    probMlStage: Float64Array.from(stages.map(() => 0.5)),
    probSubtype: Float64Array.from(Array.from({ length: m * 2 }, (_, j) => (j % 2 === Math.floor(j / 2) % 2 ? 0.75 : 0.25))),
  };
}

describe('subjects.csv: one writer, one reader', () => {
  it('writes the assignment then the carried columns in their order, with a sidecar, and reads them back', () => {
    const f = join(tmp, 'a.csv');
    const carried = { session: ['1', '2', ''], is_control: ['1', '0', 'true'], age: ['40', '51', '33'] };
    writeSubjects(f, assignment([0, 3, 2]), carried, { method: 'sustain-zscore', model: { file: 'm.json', sha256: 'x' }, data: null });
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(subjectColumns(2, ['session', 'is_control', 'age']).join(','));
    expect(lines[0]).toBe('subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0,prob_subtype_1,session,is_control,age');
    expect(lines[2]).toBe('s2,1,0.75,3,0.5,0.25,0.75,2,0,51');
    const side = JSON.parse(readFileSync(`${f}.json`, 'utf8'));
    expect(side).toMatchObject({ format: 'ms-subtype-subjects', rows: 3, subtypes: 2, carriedColumns: ['session', 'is_control', 'age'], model: { file: 'm.json' } });
    const r = readSubjects(f, { requireStages: true });
    expect(r.assignment.subjects).toEqual(['s1', 's2', 's3']);
    expect([...r.assignment.mlStage]).toEqual([0, 3, 2]);
    expect(r.carried).toEqual(carried);
    expect(r.staged).toBe(true);
    expect(controlMask(r.carried, 3)).toEqual([true, false, true]);
    expect(controlMask({}, 2)).toEqual([false, false]);
  });

  it('leaves stages empty for k-means, which the report refuses by file, line and field', () => {
    const f = join(tmp, 'km.csv');
    writeSubjects(f, assignment([-1, -1]), undefined, { method: 'kmeans', model: null, data: null });
    expect(readFileSync(f, 'utf8').split('\n')[1]).toBe('s1,0,0.75,,,0.75,0.25');
    const r = readSubjects(f);
    expect(r.staged).toBe(false);
    expect(r.assignment.mlStage[0]).toBe(-1);
    expect(() => readSubjects(f, { requireStages: true })).toThrow(/km\.csv.*line 2.*ml_stage/);
  });

  it('refuses gaps in the probability columns and bad cells', () => {
    const f = join(tmp, 'bad.csv');
    writeFileSync(f, 'subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0,prob_subtype_2\ns1,0,1,0,1,1,0\n');
    expect(() => readSubjects(f)).toThrow(/prob_subtype_2/);
    writeFileSync(f, 'subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0\ns1,0,1.5,0,1,1\n');
    expect(() => readSubjects(f)).toThrow(/line 2.*prob_ml_subtype|prob_ml_subtype.*line 2/);
  });
});
