/**
 * Model files (model.json): versioned JSON validated with zod on read, so a broken, truncated,
 * hand-edited or incompatible file is refused with the reason and the key at fault.
 */
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { readJsonValidated } from './json.js';
import { writeAtomic } from './atomic.js';
import type { KmeansModelFile, ModelFile, SustainModelFile } from '../sustain/types.js';
import { KINDS, SUSTAIN_METHODS, kindForMethod, specOfModel } from '../sustain/kinds.js';
import type { GenericKind } from '../sustain/kind.js';
import { eventKey } from '../sustain/kind.js';
import { fractionsProblem, sequenceProblem } from '../sustain/checks.js';

export const MODEL_FORMAT = 'ms-subtype-model';
export const MODEL_FORMAT_VERSION = 1;

const num = z.number().refine((v) => Number.isFinite(v), 'must be a finite number');
const base = {
  format: z.literal(MODEL_FORMAT, { message: `not an ms-subtype model file (format must be "${MODEL_FORMAT}")` }),
  formatVersion: z.number().refine((v) => v === MODEL_FORMAT_VERSION, {
    message: `unsupported model format version (this ms-subtype reads version ${MODEL_FORMAT_VERSION}; refit with this version)`,
  }),
  toolVersion: z.string(),
  biomarkers: z.array(z.string()).min(1),
  settings: z.looseObject({ seed: z.number().int(), time: z.string().min(1).optional() }),
  training: z.looseObject({
    subjects: z.number().int().nonnegative(),
    visits: z.number().int().nonnegative().optional(),
    dataSha256: z.string().optional(),
    dataFile: z.string().optional(),
  }),
};

/** A fit of a SuStaIn model whose events are labelled by `event` (each kind its own labels). */
function sustainFit(event: z.ZodType) {
  return z.object({
    subtypes: z.number().int().positive(),
    sequences: z.array(z.array(event)),
    fractions: z.array(num),
    logLikelihood: num,
    samples: z.object({
      sequences: z.array(z.array(z.array(z.number().int().nonnegative()))),
      fractions: z.array(z.array(num)),
      logLikelihood: z.array(num),
      chain: z.array(z.number().int().nonnegative()).optional(),
    }),
    diagnostics: z.record(z.string(), z.unknown()).optional(),
  });
}

/** model.json of one kind: the common keys, its method and fields, its events and fits. */
function sustainSchema(kind: GenericKind) {
  // keys in the order fit writes them (zod's output follows the shape: a read model prints as written)
  return z.object({
    format: base.format,
    formatVersion: base.formatVersion,
    toolVersion: base.toolVersion,
    method: z.literal(kind.method),
    biomarkers: base.biomarkers,
    ...kind.fileShape,
    events: z.array(kind.eventSchema).min(1),
    settings: base.settings,
    training: base.training,
    fits: z.array(sustainFit(kind.eventSchema)).min(1),
  });
}

const kmeansSchema = z.object({
  ...base,
  method: z.literal('kmeans'),
  fits: z
    .array(
      z.object({
        subtypes: z.number().int().positive(),
        centroids: z.array(z.array(num)),
        fractions: z.array(num),
        silhouette: z.number(),
        inertia: z.number(),
      }),
    )
    .min(1),
});

const METHODS = [...SUSTAIN_METHODS, 'kmeans'];
const anyModel = z.looseObject({
  method: z.enum(METHODS as [string, ...string[]], {
    message: `unknown model method (expected ${METHODS.slice(0, -1)
      .map((m) => `"${m}"`)
      .join(', ')} or "kmeans")`,
  }),
});

/** Every model file: a discriminated union on `method` (k-means, and one member per registered kind). */
const modelSchema = z.discriminatedUnion('method', [kmeansSchema, ...(KINDS as readonly GenericKind[]).map(sustainSchema)]);

/** Checks beyond the shape: everything must agree with everything else. */
export function checkSustainModel(m: SustainModelFile, file?: string): void {
  const bad = (reason: string, field?: string): never => {
    throw new UserError(`invalid model file: ${reason}`, { file, field });
  };
  const B = m.biomarkers.length;
  if (new Set(m.biomarkers).size !== B) bad('a biomarker is named twice', 'biomarkers');
  const kind = kindForMethod(m.method)!;
  const fields = m as unknown as Record<string, unknown>;
  kind.checkFile(fields, m.biomarkers, m.events, bad);
  const model = kind.create(specOfModel(m));
  const index = new Map(m.events.map((l, e) => [eventKey(l), e]));
  // the likelihood's own checks (sustain/checks.ts), with the events named as in the file
  const label = (e: number) => JSON.stringify(m.events[e]);
  const checkSeq = (seq: number[], field: string) => {
    const problem = sequenceProblem(model, seq, label);
    if (problem !== null) bad(problem, field);
  };
  const checkFractions = (f: number[], K: number, field: string) => {
    const problem = fractionsProblem(f, K);
    if (problem !== null) bad(problem, field);
  };
  m.fits.forEach((fit, q) => {
    const K = fit.subtypes;
    const at = `fits.${q}`;
    if (fit.sequences.length !== K) bad(`${fit.sequences.length} sequences for ${K} subtypes`, `${at}.sequences`);
    fit.sequences.forEach((seq, s) =>
      checkSeq(
        seq.map((l) => {
          const e = index.get(eventKey(l));
          if (e === undefined) bad(`unknown event ${JSON.stringify(l)}`, `${at}.sequences.${s}`);
          return e!;
        }),
        `${at}.sequences.${s}`,
      ),
    );
    checkFractions(fit.fractions, K, `${at}.fractions`);
    const smp = fit.samples;
    if (smp.fractions.length !== smp.sequences.length || smp.logLikelihood.length !== smp.sequences.length) bad('samples have arrays of different lengths', `${at}.samples`);
    if (smp.chain !== undefined) {
      if (smp.chain.length !== smp.sequences.length) bad('samples have arrays of different lengths', `${at}.samples.chain`);
      // chains one after the other (0, 0, ..., 1, 1, ...), the same number of samples each
      const C = smp.chain.length === 0 ? 0 : smp.chain[smp.chain.length - 1]! + 1;
      const per = C === 0 ? 0 : smp.chain.length / C;
      if (!Number.isInteger(per) || smp.chain.some((c, j) => c !== Math.floor(j / per)))
        bad('samples.chain must number the chains 0, 1, ... in order, the same number of samples each', `${at}.samples.chain`);
    }
    smp.sequences.forEach((ss, j) => {
      if (ss.length !== K) bad(`sample ${j} has ${ss.length} sequences for ${K} subtypes`, `${at}.samples.sequences.${j}`);
      ss.forEach((seq) => checkSeq(seq, `${at}.samples.sequences.${j}`));
      checkFractions(smp.fractions[j]!, K, `${at}.samples.fractions.${j}`);
    });
  });
}

export function parseModel(raw: unknown, file: string): ModelFile {
  // First the method, so the error for a k-means file is about k-means keys.
  const head = z.looseObject({ format: base.format, formatVersion: base.formatVersion }).safeParse(raw);
  if (!head.success) {
    const issue = head.error.issues[0]!;
    throw new UserError(issue.message, { file, field: issue.path.length > 0 ? issue.path.map(String).join('.') : undefined });
  }
  const m = anyModel.safeParse(raw);
  if (!m.success) throw new UserError(m.error.issues[0]!.message, { file, field: 'method' });
  const r = modelSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`invalid model file: ${issue.message}`, { file, field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)' });
  }
  const model = r.data as ModelFile;
  if (model.method !== 'kmeans') checkSustainModel(model, file);
  return model;
}

export function readModelFile(file: string): ModelFile {
  const raw = readJsonValidated(file, z.unknown(), 'model file');
  return parseModel(raw, file);
}

export function readSustainModel(file: string): SustainModelFile {
  const m = readModelFile(file);
  if (m.method === 'kmeans') throw new UserError(`expected a SuStaIn model, this is a ${m.method} model`, { file });
  return m;
}

/**
 * JSON with two-space indent, except that arrays of plain values (a sequence, a sample's fractions)
 * go on one line: MCMC samples would otherwise put every number on its own line. Numbers and strings
 * are printed by JSON.stringify; key order as built, so equal models give identical bytes.
 */
export function stringifyModel(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v) ?? 'null').join(', ')}]`;
    if (value.every((v) => Array.isArray(v) && v.every((w) => w === null || typeof w !== 'object'))) {
      // e.g. a sequence of [biomarker, z] events: one line per array of arrays
      return `[${value.map((v) => stringifyModel(v, inner)).join(', ')}]`;
    }
    return `[\n${value.map((v) => inner + stringifyModel(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringifyModel(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** Written atomically (temp file + rename): an interrupted run never leaves a half-written model. */
export function writeModelFile(file: string, model: SustainModelFile | KmeansModelFile): void {
  writeAtomic(file, stringifyModel(model) + '\n');
}
