/** Writes a fixture's inputs as the files the CLI reads (model.json, subjects.csv, cv.json, ...). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsv } from '../../src/io/csv.js';
import { assignmentColumns } from '../../src/report/subject-table.js';
import type { ReportInputs } from '../../src/report/types.js';

export interface FixtureFiles {
  dir: string;
  model: string;
  subjects: string;
  cv: string;
  kmeans: string;
  normaliser: string;
  features: string;
  errors: string;
}

export function subjectsCsv(inputs: ReportInputs): string {
  const a = inputs.subjects.assignment;
  const k = a.subtypes;
  const carried = Object.entries(inputs.subjects.carried ?? {});
  const rows = a.subjects.map((s, i) => [
    s,
    a.mlSubtype[i]!,
    a.probMlSubtype[i]!,
    a.mlStage[i]!,
    a.probMlStage[i]!,
    ...Array.from({ length: k }, (_, j) => a.probSubtype[i * k + j]!),
    ...carried.map(([, v]) => v[i]!),
  ]);
  return toCsv([...assignmentColumns(k), ...carried.map(([n]) => n)], rows);
}

export function writeFixtureFiles(inputs: ReportInputs): FixtureFiles {
  const dir = mkdtempSync(join(tmpdir(), 'ms-report-'));
  const f: FixtureFiles = {
    dir,
    model: join(dir, 'model.json'),
    subjects: join(dir, 'subjects.csv'),
    cv: join(dir, 'cv.json'),
    kmeans: join(dir, 'kmeans-model.json'),
    normaliser: join(dir, 'z.csv.json'),
    features: join(dir, 'features.csv.json'),
    errors: join(dir, 'features.csv.errors.csv'),
  };
  writeFileSync(f.model, JSON.stringify(inputs.model));
  writeFileSync(f.subjects, subjectsCsv(inputs));
  if (inputs.cv) writeFileSync(f.cv, JSON.stringify(inputs.cv));
  if (inputs.kmeans) writeFileSync(f.kmeans, JSON.stringify(inputs.kmeans));
  if (inputs.normaliser) writeFileSync(f.normaliser, JSON.stringify(inputs.normaliser));
  if (inputs.features) writeFileSync(f.features, JSON.stringify(inputs.features));
  if (inputs.failures) {
    writeFileSync(f.errors, toCsv(['subject_id', 'session', 'file', 'reason'], inputs.failures.map((x) => [x.subject, x.session, x.file, x.reason])));
  }
  return f;
}
