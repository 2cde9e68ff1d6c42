import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { validate } from '../io/json.js';
import { toolVersion } from '../common/version.js';
import type { FoldResult, FullResult } from './fold.js';
import type { CvSettings } from './settings.js';
import type { CvResult } from './types.js';
import { KINDS } from '../sustain/kinds.js';
import type { GenericKind } from '../sustain/kind.js';

/**
 * The files of a cross-validation directory:
 *   fold-<i>.json   one fold's result (i = 1..folds), written as soon as the fold is done
 *   fold-full.json  the full-data part (ML sequences and assignment of all subjects per K)
 *   full-model.json the full-data model when it was fitted here (a normal model file)
 *   cv.json, cv.csv the combined result
 */
export const PART_FORMAT = 'ms-subtype-cv-part';

export function partFile(dir: string, part: number | 'full'): string {
  return join(dir, `fold-${part}.json`);
}

export interface PartFile {
  format: typeof PART_FORMAT;
  formatVersion: 1;
  toolVersion: string;
  settings: CvSettings;
  result: FoldResult | FullResult;
}

const num = z.number();
// an event label of any kind: [biomarker, z] (z-score) or a biomarker name (mixture)
const event = z.union([z.tuple([z.string(), z.number()]), z.string()]);
const kindFields = Object.fromEntries((KINDS as readonly GenericKind[]).flatMap((k) => Object.keys(k.fileShape)).map((key) => [key, z.unknown().optional()]));
const settingsSchema = z.looseObject({
  seed: z.number().int(),
  folds: z.number().int(),
  maxSubtypes: z.number().int(),
  startpoints: z.number().int(),
  mcmcIterations: z.number().int(),
  samplesKept: z.number().int().nullable(),
  mcmcTuneIterations: z.number().int().nullable(),
  chains: z.number().int().nullable(),
  stratify: z.string().nullable(),
  time: z.string().optional(),
  biomarkers: z.array(z.string()),
  // the model's parameters (each kind's model.json fields), kept in their place in the key order
  ...kindFields,
  subjects: z.number().int(),
  dataSha256: z.string(),
  foldsSha256: z.string(),
  fullModel: z.string(),
  toolVersion: z.string(),
});
const foldSchema = z.object({
  kind: z.literal('fold'),
  fold: z.number().int().min(1),
  testSubjects: z.number().int(),
  events: z.array(event),
  perK: z.array(
    z.object({
      subtypes: z.number().int(),
      testLogLikelihood: num,
      logMeanLikelihood: num,
      samples: z.number().int(),
      sequences: z.array(z.array(z.number().int())),
      positionalVariance: z.array(z.array(z.array(num))),
      assignment: z.array(z.number().int()),
    }),
  ),
});
const fullSchema = z.object({
  kind: z.literal('full'),
  events: z.array(event),
  perK: z.array(z.object({ subtypes: z.number().int(), sequences: z.array(z.array(z.number().int())), assignment: z.array(z.number().int()) })),
});
const partSchema = z.object({
  format: z.literal(PART_FORMAT),
  formatVersion: z.literal(1),
  toolVersion: z.string(),
  settings: settingsSchema,
  result: z.discriminatedUnion('kind', [foldSchema, fullSchema]),
});

export function writePart(dir: string, settings: CvSettings, result: FoldResult | FullResult): string {
  const file = partFile(dir, result.kind === 'fold' ? result.fold : 'full');
  const { model: _model, ...rest } = result as FullResult;
  const body: PartFile = { format: PART_FORMAT, formatVersion: 1, toolVersion: toolVersion(), settings, result: result.kind === 'fold' ? result : rest };
  writeJsonAtomic(file, body);
  return file;
}

/** Read a part file if present (undefined when absent); a malformed one is an error naming the key. */
export function readPart(file: string): PartFile | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`not valid JSON (an interrupted write? remove it and rerun): ${(e as Error).message}`, { file });
  }
  return validate(raw, partSchema, file) as unknown as PartFile;
}

export function writeCvOutputs(dir: string, result: CvResult): { json: string; csv: string } {
  const json = join(dir, 'cv.json');
  const csv = join(dir, 'cv.csv');
  writeJsonAtomic(json, result);
  const F = result.settings.folds;
  const header = [
    'subtypes',
    'cvic',
    'test_loglik_mean',
    'test_loglik_sd',
    'diff_vs_best_mean',
    'diff_vs_best_se',
    'margin',
    'not_meaningfully_worse',
    'stability_ari_mean',
    'cvic_choice',
    'recommended',
    ...Array.from({ length: F }, (_, f) => `test_loglik_fold_${f + 1}`),
  ];
  const rows = result.table.map((r, k) => {
    const c = result.comparisons?.[k];
    return [
      String(r.subtypes),
      String(r.cvic),
      String(r.testLogLikelihoodMean),
      String(r.testLogLikelihoodSd),
      c === undefined ? '' : String(c.meanDifference),
      c === undefined ? '' : String(c.seDifference),
      c === undefined ? '' : String(c.margin),
      c === undefined ? '' : c.notMeaningfullyWorse ? 'yes' : 'no',
      r.stabilityMean === undefined ? '' : String(r.stabilityMean),
      r.subtypes === result.cvicChoice ? 'yes' : 'no',
      r.subtypes === result.recommendedSubtypes ? 'yes' : 'no',
      ...r.testLogLikelihoodPerFold.map(String),
    ];
  });
  writeCsvAtomic(csv, header, rows);
  return { json, csv };
}
