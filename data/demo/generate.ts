// Regenerates the bundled demo cohort in this folder (data/demo): `npx tsx data/demo/generate.ts`.
// The same as `ms-subtype demo-data --out data/demo` with the default seed and sizes; see data/README.md.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoCohort } from '../../src/pipeline/demo-write.js';

const here = dirname(fileURLToPath(import.meta.url));
const subjects = writeDemoCohort(here);
process.stdout.write(`${subjects.length} subjects written to ${here}\n`);
