/** Writes a fixture's inputs as the files the CLI reads (model.json, subjects.csv, cv.json, ...). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from '../../src/io/csv.js';
import { writeSubjects } from '../../src/io/subjects.js';
import type { ReportInputs } from '../../src/report/types.js';
import { tempDir } from '../helpers/tmp.js';

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

export function writeFixtureFiles(inputs: ReportInputs): FixtureFiles {
  const dir = tempDir('ms-report-');
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
  writeSubjects(f.subjects, inputs.subjects.assignment, inputs.subjects.carried, { method: 'sustain-zscore', model: null, data: null });
  if (inputs.cv) writeFileSync(f.cv, JSON.stringify(inputs.cv));
  if (inputs.kmeans) writeFileSync(f.kmeans, JSON.stringify(inputs.kmeans));
  if (inputs.normaliser) writeFileSync(f.normaliser, JSON.stringify(inputs.normaliser));
  if (inputs.features) writeFileSync(f.features, JSON.stringify(inputs.features));
  if (inputs.failures) {
    writeFileSync(
      f.errors,
      toCsv(
        ['subject_id', 'session', 'file', 'reason'],
        inputs.failures.map((x) => [x.subject, x.session, x.file, x.reason]),
      ),
    );
  }
  return f;
}
