import { dirname, isAbsolute, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { validate } from '../io/json.js';
import { readJsonFile } from '../io/json.js';
import { thresholdOverridesSchema, zmaxSchema, zvalsSchema } from '../io/thresholds-file.js';

/**
 * The settings of `ms-subtype run`, one JSON file. Every key is optional: what the file leaves out
 * comes from DEFAULT_CONFIG (`ms-subtype run --print-config` prints it). Unknown keys are refused, so
 * a typo ("mcmcIterations" for "mcmc") is an error naming the key, not a silently ignored setting.
 * Paths in the file are relative to the file's own folder.
 */

const pos = z.number().int().min(1);

const inputSchema = z.strictObject({
  /** manifest CSV: subject_id, labels, optional lesion, covariates... */
  manifest: z.string().min(1).nullable(),
  /** BIDS derivatives folder (sub-* /anat/ *_dseg.nii.gz) */
  bids: z.string().min(1).nullable(),
  /** a volume table: FreeSurfer asegstats2table output, a SynthSeg --vol CSV, or a ready feature CSV */
  table: z.string().min(1).nullable(),
  /** format of `table`; 'features' = already a feature table (skips extraction) */
  tableFormat: z.enum(['features', 'asegstats2table', 'synthseg']),
  /** a table of covariates joined onto the input by subject_id (extract --covariates-file; for BIDS input it replaces participants.tsv) */
  covariatesFile: z.string().min(1).nullable(),
});

const extractSchema = z.strictObject({
  /** feature definition file (extract --feature-defs); null = the bundled data/features/aseg-ms.json */
  featureDefs: z.string().min(1).nullable(),
  lesionThreshold: z.number().gt(0, 'must be above 0').max(1),
});

const normaliseSchema = z.strictObject({
  controlColumn: z.string().min(1),
  controlValues: z.array(z.string()).min(1),
  covariates: z.array(z.string().min(1)),
  categorical: z.array(z.string().min(1)),
  siteColumn: z.string().min(1),
  harmonise: z.enum(['none', 'combat']),
  allowNewSites: z.boolean(),
});

const fitSchema = z.strictObject({
  /** the model kind (fit --kind): the z-score model, or the event-based mixture model (on the z-scores, controls giving the normal component) */
  kind: z.enum(['zscore', 'mixture']),
  /** mixture model: Gaussian mixtures or kernel density estimates per biomarker */
  mixture: z.enum(['gmm', 'kde']),
  /** biomarkers to model; null = every feature whose role is "biomarker" */
  biomarkers: z.array(z.string().min(1)).min(1).nullable(),
  /** thresholds as fit --zvals/--zmax (0 = unused), checked by the --thresholds file's own schema */
  zvals: zvalsSchema,
  zmax: zmaxSchema,
  /** per-biomarker thresholds overriding zvals/zmax: the --thresholds file's form */
  thresholds: thresholdOverridesSchema,
  maxSubtypes: pos.max(10),
  startpoints: pos,
  mcmc: pos,
  /** MCMC proposal tuning (fit --tune): iterations of each short run before the main chain; null = the engine's default */
  tune: z.number().int().min(2).nullable(),
  /** number of those tuning runs; null = the engine's default */
  tunePasses: z.number().int().min(0).nullable(),
  /** thinned posterior samples kept per K (fit --samples); null = the engine's default */
  samples: pos.nullable(),
  /** MCMC chains per K (fit --chains); null = the engine's default */
  chains: pos.nullable(),
  /** EM runs per round polishing each K's optimum (fit --polish); null = the engine's default */
  polish: z.number().int().min(0).nullable(),
  /** stop a set of EM start points once its best optimum has been reached this many times (fit --early-stop); null = the engine's default */
  earlyStop: z.number().int().min(0).nullable(),
  /** run EM start points on this many random subjects, refining the best on all, in cohorts of at least twice as many (fit --screen; 0: off); null = the engine's default */
  screen: z.number().int().min(0).nullable(),
  /** number of subtypes used for the assignments and the report; null = CV's recommendation, else maxSubtypes */
  subtypes: pos.nullable(),
  /** include the controls in the fit (not advised: SuStaIn is fitted on patients) */
  includeControls: z.boolean(),
  /** longitudinal data: the visit time column (rows keyed by subject and session; as fit --time); null = cross-sectional */
  time: z.string().min(1).nullable(),
});

const cvSchema = z.strictObject({
  enabled: z.boolean(),
  folds: z.number().int().min(2),
  /** null = same as fit */
  startpoints: pos.nullable(),
  mcmc: pos.nullable(),
  /** MCMC tuning iterations per pass in each fold (cv --tune); null = same as fit */
  tune: z.number().int().min(2).nullable(),
  /** column to stratify folds on; null = plain k-fold */
  stratify: z.string().min(1).nullable(),
});

const kmeansSchema = z.strictObject({ enabled: z.boolean(), restarts: pos });

const reportSchema = z.strictObject({
  enabled: z.boolean(),
  title: z.string().nullable(),
  /** show CV's positional variance as the main diagram when CV ran */
  cvPositionalVariance: z.boolean(),
  /** brain view: reference label map to paint each subtype's progression on (report --brain); null = no brain view */
  brain: z.string().min(1).nullable(),
  /** brain view: other maps on its grid by name, e.g. {"wmparc": "...", "lesion": "..."} (report --brain-map) */
  brainMaps: z.record(z.string().min(1), z.string().min(1)),
  /** brain view: stages to draw; null = about five spread like the published figure (report --brain-stages) */
  brainStages: z.array(z.number().int().min(0)).min(1).nullable(),
});

const pairList = (what: string) => z.array(z.string().regex(/^[^:]+:[^:]+$/, `expected "${what}"`));

const outcomesSchema = z.strictObject({
  /** clinical table (subject_id, covariates, outcomes); null = no outcomes step */
  clinical: z.string().min(1).nullable(),
  /** time-to-event outcomes, "TIME:EVENT" (as --survival) */
  survival: pairList('TIME:EVENT'),
  /** count outcomes, "COUNT:EXPOSURE" (as --counts) */
  counts: pairList('COUNT:EXPOSURE'),
  scores: z.array(z.string().min(1)),
  covariates: z.array(z.string().min(1)),
  treatment: z.string().min(1).nullable(),
  treatmentReference: z.string().min(1).nullable(),
  referenceSubtype: z.number().int().min(0),
  /** draws of each patient's subtype from its posterior, pooled by Rubin's rules; 0 = off */
  draws: z.number().int().min(0).max(1000),
});

const truthSchema = z.strictObject({
  /** CSV with the known subtype (and stage) of simulated subjects: the run prints the adjusted Rand index */
  file: z.string().min(1),
  subjectColumn: z.string().min(1),
  subtypeColumn: z.string().min(1),
  /** subjects whose true stage is 0 (or empty) have no subtype to recover and are left out */
  stageColumn: z.string().min(1).nullable(),
});

export const configSchema = z.strictObject({
  input: inputSchema,
  extract: extractSchema,
  normalise: normaliseSchema,
  fit: fitSchema,
  cv: cvSchema,
  kmeans: kmeansSchema,
  report: reportSchema,
  outcomes: outcomesSchema,
  truth: truthSchema.nullable(),
  seed: z.number().int().min(0),
  /** worker threads; null = the machine's cores */
  jobs: pos.nullable(),
});

export type RunConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: RunConfig = {
  input: { manifest: null, bids: null, table: null, tableFormat: 'features', covariatesFile: null },
  extract: { featureDefs: null, lesionThreshold: 0.5 },
  normalise: {
    controlColumn: 'group',
    controlValues: ['HC'],
    covariates: ['age', 'sex', 'icv', 'site'],
    categorical: [],
    siteColumn: 'site',
    harmonise: 'none',
    allowNewSites: false,
  },
  fit: {
    kind: 'zscore',
    mixture: 'gmm',
    biomarkers: null,
    zvals: [1, 2, 3],
    zmax: 5,
    thresholds: {},
    maxSubtypes: 3,
    startpoints: 25,
    mcmc: 100000,
    tune: null,
    tunePasses: null,
    samples: null,
    chains: null,
    polish: null,
    earlyStop: null,
    screen: null,
    subtypes: null,
    includeControls: false,
    time: null,
  },
  // 1e4 iterations per fold (as `cv --mcmc`), against fit's 1e5: CV makes folds x K fits and only
  // scores held-out subjects averaged over the samples, which a shorter chain already does well.
  cv: { enabled: true, folds: 10, startpoints: null, mcmc: 10000, tune: null, stratify: null },
  kmeans: { enabled: true, restarts: 10 },
  report: { enabled: true, title: null, cvPositionalVariance: false, brain: null, brainMaps: {}, brainStages: null },
  outcomes: { clinical: null, survival: [], counts: [], scores: [], covariates: [], treatment: null, treatmentReference: null, referenceSubtype: 0, draws: 20 },
  truth: null,
  seed: 1,
  jobs: null,
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Defaults overlaid with the user's values, key by key for sections (so {"fit": {"mcmc": 5000}}
 * keeps the other fit settings). Values that are themselves free-form maps (fit.thresholds) and
 * arrays are replaced whole. Unknown keys pass through so the schema can name them.
 */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = FREE_MAPS.has(k) || base[k] === null ? v : mergeConfig(base[k], v);
  }
  return out;
}

const TRUTH_KEYS = ['file', 'subjectColumn', 'subtypeColumn', 'stageColumn'];
/** Settings whose values are free-form maps: replaced whole, their keys not checked against the defaults. */
const FREE_MAPS = new Set(['thresholds', 'brainMaps']);

/** Earlier names of settings, still accepted: each renamed to match its command-line flag. */
export const RENAMED_KEYS: Record<string, string> = {
  'fit.mcmcTuneIterations': 'fit.tune',
  'fit.mcmcTunePasses': 'fit.tunePasses',
  'fit.samplesKept': 'fit.samples',
  'cv.mcmcTuneIterations': 'cv.tune',
  'fit.model': 'fit.kind',
  // a file, where normalise.covariates and outcomes.covariates are lists of columns
  'input.covariates': 'input.covariatesFile',
  'extract.features': 'extract.featureDefs',
};

/** Told of each old setting name a config or --set uses (the CLI prints a note). */
export type OnOldKey = (old: string, now: string) => void;

/** Move settings given under an old name to the new one (both given: they must agree, as both spellings of a flag must). */
function renameOldKeys(raw: Record<string, unknown>, file: string, onOld?: OnOldKey): void {
  for (const [old, now] of Object.entries(RENAMED_KEYS)) {
    const [section, key] = old.split('.') as [string, string];
    const sec = raw[section];
    if (!isPlainObject(sec) || !(key in sec)) continue;
    const newKey = now.split('.')[1]!;
    if (newKey in sec && !isDeepStrictEqual(sec[newKey], sec[key])) {
      throw new UserError(`${old} is the old name of ${now}, and the two are given different values: keep ${now}`, { file, field: old });
    }
    sec[newKey] = sec[key];
    delete sec[key];
    onOld?.(old, now);
  }
}

/** An unknown key is most often a typo: name it with its full path and list the keys that exist there. */
function checkKeys(raw: Record<string, unknown>, known: Record<string, unknown>, prefix: string, file: string): void {
  for (const [k, v] of Object.entries(raw)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (!(k in known)) throw new UserError(`unknown setting (the settings here are: ${Object.keys(known).join(', ')})`, { file, field: path });
    if (FREE_MAPS.has(k) || !isPlainObject(v)) continue;
    const sub = k === 'truth' ? Object.fromEntries(TRUTH_KEYS.map((t) => [t, null])) : known[k];
    if (isPlainObject(sub)) checkKeys(v, sub, path, file);
  }
}

/** Validate a parsed config object (defaults filled in); `file` names the file in errors. */
export function parseConfig(raw: unknown, file: string, onOld?: OnOldKey): RunConfig {
  if (!isPlainObject(raw)) throw new UserError('the config must be a JSON object', { file });
  renameOldKeys(raw, file, onOld);
  checkKeys(raw, DEFAULT_CONFIG as unknown as Record<string, unknown>, '', file);
  const cfg = validate(mergeConfig(DEFAULT_CONFIG, raw), configSchema, file);
  checkConsistency(cfg, file);
  return cfg;
}

function checkConsistency(cfg: RunConfig, file: string): void {
  const inputs = [cfg.input.manifest, cfg.input.bids, cfg.input.table].filter((v) => v !== null);
  if (inputs.length > 1) throw new UserError('give only one of input.manifest, input.bids, input.table', { file, field: 'input' });
  if (cfg.fit.subtypes !== null && cfg.fit.subtypes > cfg.fit.maxSubtypes) {
    throw new UserError(`cannot exceed fit.maxSubtypes (${cfg.fit.maxSubtypes})`, { file, field: 'fit.subtypes' });
  }
}

/** Read and validate a config file; relative paths become absolute (relative to the file's folder). */
export function loadConfig(file: string, onOld?: OnOldKey): RunConfig {
  const raw = readJsonFile(file, 'config file');
  return resolvePaths(parseConfig(raw, file, onOld), dirname(resolve(file)));
}

export function resolvePaths(cfg: RunConfig, base: string): RunConfig {
  const abs = (p: string | null) => (p === null || isAbsolute(p) ? p : resolve(base, p));
  return {
    ...cfg,
    input: { ...cfg.input, manifest: abs(cfg.input.manifest), bids: abs(cfg.input.bids), table: abs(cfg.input.table), covariatesFile: abs(cfg.input.covariatesFile) },
    extract: { ...cfg.extract, featureDefs: abs(cfg.extract.featureDefs) },
    report: { ...cfg.report, brain: abs(cfg.report.brain), brainMaps: Object.fromEntries(Object.entries(cfg.report.brainMaps).map(([k, p]) => [k, abs(p)!])) },
    outcomes: { ...cfg.outcomes, clinical: abs(cfg.outcomes.clinical) },
    truth: cfg.truth === null ? null : { ...cfg.truth, file: abs(cfg.truth.file)! },
  };
}

/**
 * `--set fit.mcmc=20000` style overrides: the value is parsed as JSON when it parses (numbers,
 * booleans, null, arrays), else taken as a string. The result is validated like the file.
 */
export function applyOverrides(cfg: RunConfig, sets: string[], base: string, source = '--set', onOld?: OnOldKey): RunConfig {
  const raw = structuredClone(cfg) as unknown as Record<string, unknown>;
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UserError(`expected key=value, got "${s}"`, { file: source });
    const key = s.slice(0, eq);
    const now = RENAMED_KEYS[key];
    if (now !== undefined) onOld?.(key, now);
    const path = (now ?? key).split('.');
    const text = s.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let node: Record<string, unknown> = raw;
    for (const key of path.slice(0, -1)) {
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  checkKeys(raw, DEFAULT_CONFIG as unknown as Record<string, unknown>, '', source);
  const out = validate(raw, configSchema, source);
  checkConsistency(out, source);
  return resolvePaths(out, base);
}
