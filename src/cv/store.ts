import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { readJsonFile, validate } from '../io/json.js';
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
  polish: z.number().int().optional(),
  earlyStop: z.number().int().optional(),
  screen: z.number().int().optional(),
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

const int = z.number().int();

/** cv.json as written by combineFolds: the one schema, used by the report and by `run`. */
const cvResultSchema = z.looseObject({
  format: z.literal('ms-subtype-cv'),
  formatVersion: z.literal(1),
  toolVersion: z.string(),
  settings: z.looseObject({ seed: num }),
  table: z
    .array(
      z.looseObject({
        subtypes: int.min(1),
        cvic: num,
        testLogLikelihoodMean: num,
        testLogLikelihoodSd: num,
        testLogLikelihoodPerFold: z.array(num),
      }),
    )
    .min(1),
  cvicChoice: int,
  recommendedSubtypes: int.min(1),
  rule: z.string(),
  positionalVariance: z.record(z.string(), z.array(z.array(z.array(num)))).optional(),
  stability: z.record(z.string(), z.array(num)).optional(),
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
  return validate(readJsonFile(file, 'CV part file', ' (an interrupted write? remove it and rerun)'), partSchema, file) as unknown as PartFile;
}

/** Read and validate DIR/cv.json; errors name the file and key. */
export function readCvResult(file: string): CvResult {
  return validate(readJsonFile(file, 'CV result'), cvResultSchema, file) as unknown as CvResult;
}

/** cv.csv, one row per K, and its sidecar cv.csv.json (columns, tool version, settings; the full result is cv.json). */
export function writeCvOutputs(dir: string, result: CvResult): { json: string; csv: string; csvSidecar: string } {
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
  const csvSidecar = `${csv}.json`;
  writeJsonAtomic(csvSidecar, {
    format: 'ms-subtype-cv-table',
    formatVersion: 1,
    toolVersion: result.toolVersion,
    columns: header,
    columnDoc: {
      test_loglik_mean: 'held-out log-likelihood per fold, mean over the folds (test_loglik_fold_<f>: each fold)',
      diff_vs_best_mean: "paired per-fold difference of held-out log-likelihood against the best K (mean, se); margin: the recommendation's allowance",
      not_meaningfully_worse: 'yes when the difference is within the margin',
      stability_ari_mean: "mean adjusted Rand index of the fold models' assignments against the full model's",
    },
    result: 'cv.json',
    recommendedSubtypes: result.recommendedSubtypes,
    rule: result.rule,
    settings: result.settings,
  });
  return { json, csv, csvSidecar };
}
