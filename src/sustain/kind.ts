/**
 * A model kind: what the generic engine (fit, staging, likelihood, cv, report, run) needs to know
 * about one progression model beyond the ProgressionModel interface (model.ts). A kind owns its
 * spec (kind tag + parameters, plain data that crosses worker threads and goes into model.json),
 * the spec's validation, how a data table becomes the engine's values, its events' names and its
 * part of model.json (a zod shape, discriminated by `method`). The registry is kinds.ts.
 */
import type { z } from 'zod';
import type { ProgressionModel } from './model.js';
import type { EventLabel, SustainFit, SustainModelBase, ZTable } from './types.js';

/** Throws a UserError naming the file, the field and the reason (see io/modelfile.ts). */
export type FileComplaint = (reason: string, field?: string) => never;

export interface ModelKind<S extends { kind: string }, F extends object, E extends EventLabel, M extends string> {
  /** the spec's kind tag, e.g. "zscore" (also `fit --kind <kind>`) */
  readonly kind: S['kind'];
  /** model.json's `method`, e.g. "sustain-zscore" */
  readonly method: M;
  /** for messages: "z-score", "mixture" */
  readonly title: string;
  /** The spec must fit the data's biomarkers; a UserError naming the file and field if not. */
  check(spec: S, biomarkers: readonly string[], file?: string): void;
  create(spec: S): ProgressionModel;
  /** The events as model.json names them (index = event number). */
  events(spec: S, biomarkers: readonly string[]): E[];
  /** The spec's parameters as model.json and cv.json store them (no `kind`), in file order. */
  fields(spec: S): F;
  /** The spec of a model file (its kind's fields, its biomarkers). */
  specOf(fields: F, biomarkers: readonly string[]): S;
  /** The model's biomarkers for a table with these columns (z-score: the columns themselves). */
  modelBiomarkers(spec: S, columns: readonly string[]): string[];
  /** zod shape of fields() in model.json, and the schema of one event label. */
  readonly fileShape: z.ZodRawShape;
  readonly eventSchema: z.ZodType<E>;
  /** Consistency of a model file's fields and events with its biomarkers, beyond their shape. */
  checkFile(fields: F, biomarkers: readonly string[], events: readonly E[], bad: FileComplaint): void;
  /**
   * The engine's values for `table` under a model with these biomarkers: row-major, one row per
   * subject, the width the model's prepare() expects. Missing model columns, empty rows and
   * values the kind cannot use are UserErrors naming the file, subject and field.
   */
  encode(spec: S, biomarkers: readonly string[], table: ZTable, file?: string): Float64Array;
}

/** A stable key of an event label (for lookups of events named in files). */
export function eventKey(label: EventLabel): string {
  return JSON.stringify(label);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = ModelKind<any, any, any, any>;
/** A kind as the generic code sees it (every kind's spec, fields and events). */
export type GenericKind = ModelKind<{ kind: string }, Record<string, unknown>, EventLabel, string>;
export type SpecOf<K> = K extends ModelKind<infer S, infer _F, infer _E, infer _M> ? S : never;
/** The model.json of a kind: the common keys, the kind's method and fields, its events and fits. */
export type ModelFileOf<K> = K extends ModelKind<infer _S, infer F, infer E, infer M> ? SustainModelBase & { method: M } & F & { events: E[]; fits: SustainFit<E>[] } : never;
