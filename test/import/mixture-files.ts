import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';

const dir = join(sharedDir, 'sustain', 'mixture');

/**
 * The rows pySuStaIn's MixtureSustain was fitted on (the 400 patients of truth.csv) of the shared
 * l_yes.csv / l_no.csv, written into `tmp`; returns the two paths.
 */
export function patientLikelihoods(tmp: string): { yes: string; no: string } {
  const lines = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n');
  const patients = new Set(
    lines('truth.csv')
      .slice(1)
      .map((l) => l.split(','))
      .filter((c) => c[1] === 'patient')
      .map((c) => c[0]),
  );
  const out = { yes: join(tmp, 'patients_l_yes.csv'), no: join(tmp, 'patients_l_no.csv') };
  for (const [name, path] of [
    ['l_yes.csv', out.yes],
    ['l_no.csv', out.no],
  ] as const) {
    const [head, ...rows] = lines(name);
    writeFileSync(path, [head, ...rows.filter((r) => patients.has(r.split(',')[0]))].join('\n') + '\n');
  }
  return out;
}
