import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import type { Table } from '../io/csv.js';
import { featureColumns, readCohort, type Cohort } from './cohort.js';
import { fitCombat, harmoniseValue, type CombatParams } from './combat.js';
import { classifyCovariates, designColumns, encodeRows } from './design.js';
import { resolveFeatures, transformValue } from './features.js';
import { columnOf, columnsOf, type ColumnTable } from './table.js';
import { groupByMissing, solveOlsMany, type OlsFit, type RankDeficient } from './ols.js';
import {
  fitOptions,
  INTERCEPT,
  NORMALISER_FORMAT,
  NORMALISER_FORMAT_VERSION,
  type CategoricalCovariate,
  type CombatModel,
  type CovariateSpec,
  type FeatureModel,
  type FitOptions,
  type Normaliser,
} from './types.js';

/**
 * Learn the normaliser from the controls of a table: optional ComBat, then one OLS model per
 * feature. Plain data out; nothing is written and the table is not changed.
 */
export function fitNormaliser(input: Table | ColumnTable, options: Partial<FitOptions> = {}): Normaliser {
  const table = columnsOf(input);
  const o = fitOptions(options);
  if (!Number.isInteger(o.minControlsPerLevel) || o.minControlsPerLevel < 2) {
    throw new UserError(`the minimum number of controls per level must be an integer >= 2 (one control leaves no residual), got ${o.minControlsPerLevel}`);
  }
  const notes: string[] = [];
  const feats = resolveFeatures(table, o, notes);
  const F = feats.length;
  const combat = o.harmonise === 'combat';
  const covNames = [...o.covariates];
  const cohortCovs = combat && !covNames.includes(o.siteColumn) ? [...covNames, o.siteColumn] : covNames;
  const cohort = readCohort(table, {
    subjectColumn: o.subjectColumn,
    sessionColumn: o.sessionColumn,
    controlColumn: o.controlColumn,
    controlValues: o.controlValues,
    covariates: cohortCovs,
    requireControlColumn: true,
  });
  const controls: number[] = [];
  for (let r = 0; r < cohort.n; r++) if (cohort.isControl[r]) controls.push(r);
  if (controls.length === 0) throw noControls(table, o);
  const nC = controls.length;

  // Transformed feature values of the controls (NaN = missing).
  const raw = featureColumns(
    table,
    cohort,
    feats.map((f) => f.name),
  );
  const yC = new Float64Array(nC * F);
  controls.forEach((r, i) => {
    feats.forEach((f, g) => {
      const place = { file: cohort.file, line: cohort.lines[r]!, subject: cohort.subject(r), field: f.name };
      yC[i * F + g] = transformValue(raw[g]![r]!, f.transform, place);
    });
  });

  const regCovNames = combat ? covNames.filter((c) => c !== o.siteColumn) : covNames;
  if (combat && covNames.includes(o.siteColumn)) {
    notes.push(`"${o.siteColumn}" is harmonised by ComBat, so it is not also a covariate of the regression`);
  }
  const specs = classifyCovariates(cohort, regCovNames, o.categorical, o.siteColumn);
  for (const s of specs) {
    if (s.kind !== 'categorical') continue;
    checkLevelCounts(cohort, s, controls, o.minControlsPerLevel, null);
    if (s.levels.length === 1) notes.push(`"${s.name}" has one level among the controls (${s.reference}), so it adds no column to the model`);
  }
  const cols = designColumns(specs);
  const p = cols.length;
  const enc = encodeRows(cohort, specs, controls, { siteColumn: o.siteColumn, allowNewSites: false, intercept: true });

  // Checks in feature order, so the first bad feature is the one named. Missingness decides them,
  // and harmonisation does not change it, so they come before ComBat.
  const groups = groupByMissing(yC, nC, F);
  const groupOf = new Int32Array(F);
  groups.forEach((grp, q) => grp.features.forEach((g) => (groupOf[g] = q)));
  feats.forEach((f, g) => {
    const rows = groups[groupOf[g]!]!.rows;
    const need = p - 1 + o.minExtraControls;
    if (rows.length < need) {
      throw new UserError(
        `only ${rows.length} controls have a value for this feature, but the model has ${p - 1} covariate column${p - 1 === 1 ? '' : 's'}` +
          `${p > 1 ? ` (${cols.slice(1).join(', ')})` : ''}; at least ${need} controls are needed (covariate columns + ${o.minExtraControls})`,
        { file: cohort.file, field: f.name },
      );
    }
    for (const s of specs) {
      if (s.kind === 'categorical')
        checkLevelCounts(
          cohort,
          s,
          rows.map((i) => controls[i]!),
          o.minControlsPerLevel,
          f.name,
        );
    }
    if (rows.every((i) => yC[i * F + g] === yC[rows[0]! * F + g])) {
      throw new UserError(`the value is the same for every control, so it has no spread to scale z-scores by`, { file: cohort.file, field: f.name });
    }
  });
  let combatModel: CombatModel | null = null;
  if (combat) {
    const { model, params, siteOf } = fitCombatStage(
      cohort,
      o,
      controls,
      yC,
      F,
      enc.X,
      p,
      cols,
      feats.map((f) => f.name),
    );
    combatModel = model;
    if (params.unconverged > 0) notes.push(`ComBat: ${params.unconverged} site/feature estimates did not converge in ${o.combatMaxIterations} iterations`);
    for (const k of params.priors.keys()) {
      if (model.eb && params.priors[k] === null) notes.push(`ComBat: no empirical-Bayes prior for site ${model.sites[k]} (no spread across features); its estimates are not shrunk`);
    }
    if (o.combatEb && F < 2) notes.push('ComBat: one feature only, so site effects are not shrunk (empirical Bayes needs several features)');
    for (let i = 0; i < nC; i++) {
      const k = siteOf[i]!;
      for (let g = 0; g < F; g++) {
        const v = yC[i * F + g]!;
        if (Number.isNaN(v)) continue;
        yC[i * F + g] = harmoniseValue(
          v,
          enc.X,
          i * p + 1,
          p - 1,
          params.alpha[g]!,
          params.beta.subarray(g * (p - 1), (g + 1) * (p - 1)),
          params.sigma[g]!,
          params.gammaStar[k * F + g]!,
          params.deltaStar[k * F + g]!,
        );
      }
    }
  }

  // One QR decomposition per missing-value pattern (usually one for all features).
  const fits: OlsFit[] = new Array(F);
  for (const grp of groups) {
    const n = grp.rows.length;
    const X = new Float64Array(n * p);
    grp.rows.forEach((i, r) => X.set(enc.X.subarray(i * p, (i + 1) * p), r * p));
    const ys = grp.features.map((g) => Float64Array.from(grp.rows, (i) => yC[i * F + g]!));
    const res = solveOlsMany(X, n, p, ys);
    if (!Array.isArray(res)) throw rankError(cohort.file, cols, res, `feature ${feats[grp.features[0]!]!.name}: `);
    grp.features.forEach((g, q) => (fits[g] = res[q]!));
  }
  const models: FeatureModel[] = feats.map((f, g) => {
    const fit = fits[g]!;
    const rows = groups[groupOf[g]!]!.rows;
    if (fit.tss === 0) throw new UserError(`the value is the same for every control, so it has no spread to scale z-scores by`, { file: cohort.file, field: f.name });
    if (fit.rss <= fit.tss * 1e-20) {
      throw new UserError(`the covariates explain the controls' values exactly (residual sd 0); is the feature a copy of a covariate?`, { file: cohort.file, field: f.name });
    }
    const coefficients: Record<string, number> = {};
    cols.forEach((c, j) => (coefficients[c] = fit.coef[j]!));
    return {
      name: f.name,
      transform: f.transform,
      abnormal: f.abnormal,
      sign: f.abnormal === 'increase' ? 1 : -1,
      coefficients,
      sd: Math.sqrt(fit.rss / fit.df),
      r2: 1 - fit.rss / fit.tss,
      nControls: rows.length,
      df: fit.df,
      meanLevelEffect: meanLevelEffects(
        cohort,
        specs,
        rows.map((i) => controls[i]!),
        coefficients,
      ),
    };
  });

  return {
    format: NORMALISER_FORMAT,
    formatVersion: NORMALISER_FORMAT_VERSION,
    toolVersion: toolVersion(),
    settings: {
      subjectColumn: o.subjectColumn,
      sessionColumn: o.sessionColumn,
      controlColumn: o.controlColumn,
      controlValues: o.controlValues,
      siteColumn: o.siteColumn,
      harmonise: o.harmonise,
      minControlsPerLevel: o.minControlsPerLevel,
      minExtraControls: o.minExtraControls,
    },
    covariates: specs,
    designColumns: cols,
    features: models,
    combat: combatModel,
    training: { subjects: cohort.n, controls: nC },
    notes,
  };
}

/** ComBat on the controls: site of each control, the fit, and the model as stored. */
function fitCombatStage(
  cohort: Cohort,
  o: FitOptions,
  controls: number[],
  yC: Float64Array,
  F: number,
  X: Float64Array,
  p: number,
  cols: string[],
  featureNames: string[],
): { model: CombatModel; params: CombatParams; siteOf: Int32Array } {
  const siteSpec = classifyCovariates(cohort, [o.siteColumn], [o.siteColumn], o.siteColumn)[0] as CategoricalCovariate;
  if (siteSpec.levels.length < 2) {
    throw new UserError(`ComBat needs controls from at least 2 sites; every control has ${o.siteColumn} = ${siteSpec.levels[0]}`, { file: cohort.file, field: o.siteColumn });
  }
  checkLevelCounts(cohort, siteSpec, controls, o.minControlsPerLevel, null);
  for (let g = 0; g < F; g++) {
    const withValue = controls.filter((_, i) => !Number.isNaN(yC[i * F + g]!));
    if (withValue.length < controls.length) checkLevelCounts(cohort, siteSpec, withValue, o.minControlsPerLevel, featureNames[g]!);
  }
  const K = siteSpec.levels.length;
  const index = new Map(siteSpec.levels.map((l, k) => [l, k]));
  const siteVals = cohort.covariates.get(o.siteColumn)!;
  const siteOf = Int32Array.from(controls, (r) => index.get(siteVals.text(r))!);
  const P = p - 1;
  const Xp = new Float64Array(controls.length * P);
  for (let i = 0; i < controls.length; i++) Xp.set(X.subarray(i * p + 1, (i + 1) * p), i * P);
  const protectedCols = cols.slice(1);
  const params = fitCombat({ N: controls.length, G: F, y: yC, site: siteOf, K, Xp, P }, { eb: o.combatEb, tolerance: o.combatTolerance, maxIterations: o.combatMaxIterations });
  if (!params.ok) {
    const names = [...siteSpec.levels.map((l) => `${o.siteColumn}=${l}`), ...protectedCols];
    throw rankError(cohort.file, names, params.rank, `ComBat, feature ${featureNames[params.feature]}: the protected covariates are confounded with ${o.siteColumn}: `);
  }
  for (let g = 0; g < F; g++) {
    for (let k = 0; k < K; k++) {
      const d = params.deltaStar[k * F + g]!;
      if (!(d > 0) || !Number.isFinite(d) || !(params.sigma[g]! > 0)) {
        throw new UserError(`ComBat: no spread among the controls of ${o.siteColumn} ${siteSpec.levels[k]} (scale estimate ${d}); the site cannot be harmonised`, {
          file: cohort.file,
          field: featureNames[g],
        });
      }
    }
  }
  const bySite = (a: Float64Array, g: number): Record<string, number> => {
    const out: Record<string, number> = {};
    siteSpec.levels.forEach((l, k) => (out[l] = a[k * F + g]!));
    return out;
  };
  const priors: CombatModel['priors'] = {};
  siteSpec.levels.forEach((l, k) => (priors[l] = params.priors[k] ?? null));
  const model: CombatModel = {
    method: 'combat',
    batchColumn: o.siteColumn,
    sites: siteSpec.levels,
    controlCounts: siteSpec.controlCounts,
    protectedColumns: protectedCols,
    eb: o.combatEb && F >= 2,
    priors,
    iterations: params.iterations,
    features: featureNames.map((name, g) => {
      const beta: Record<string, number> = {};
      protectedCols.forEach((c, j) => (beta[c] = params.beta[g * P + j]!));
      return {
        name,
        alpha: params.alpha[g]!,
        beta,
        sigma: params.sigma[g]!,
        nControls: params.nPerFeature[g]!,
        gammaHat: bySite(params.gammaHat, g),
        deltaHat: bySite(params.deltaHat, g),
        gammaStar: bySite(params.gammaStar, g),
        deltaStar: bySite(params.deltaStar, g),
      };
    }),
  };
  return { model, params, siteOf };
}

/** Every level of a categorical covariate needs minControls controls (among `rows`). */
function checkLevelCounts(cohort: Cohort, s: CategoricalCovariate, rows: number[], minControls: number, feature: string | null): void {
  const vals = cohort.covariates.get(s.name)!;
  const members = new Map<string, number[]>(s.levels.map((l) => [l, []]));
  for (const r of rows) members.get(vals.text(r))?.push(r);
  for (const l of s.levels) {
    const m = members.get(l)!;
    if (m.length >= minControls) continue;
    const who =
      m.length === 0
        ? ''
        : ` (${m
            .slice(0, 5)
            .map((r) => cohort.subject(r))
            .join(', ')})`;
    const scope = feature === null ? '' : `feature ${feature}: `;
    const withValue = feature === null ? '' : ' with a value for this feature';
    throw new UserError(
      `${scope}level "${l}" of "${s.name}" has ${m.length} control${m.length === 1 ? '' : 's'}${withValue}${who}: ` +
        `its effect cannot be estimated apart from ${m.length === 1 ? "that control's own noise" : 'the others'} ` +
        `(at least ${minControls} controls per level are needed); merge or drop the level, or leave "${s.name}" out of the covariates`,
      { file: cohort.file, field: s.name, subject: m.length === 1 ? cohort.subject(m[0]!) : undefined },
    );
  }
}

/** Per categorical covariate: sum over levels of (controls at level) * effect / controls; reference effect 0. */
function meanLevelEffects(cohort: Cohort, specs: CovariateSpec[], rows: number[], coef: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) {
    if (s.kind !== 'categorical') continue;
    const vals = cohort.covariates.get(s.name)!;
    let sum = 0;
    for (const r of rows) {
      const v = vals.text(r);
      if (v !== s.reference) sum += coef[`${s.name}=${v}`]!;
    }
    out[s.name] = sum / rows.length;
  }
  return out;
}

/** "feature f: collinear covariates: "icv_ml" is a linear combination of the intercept and "icv"". */
export function rankError(file: string, names: string[], rd: RankDeficient, prefix: string): UserError {
  const col = names[rd.column]!;
  const field = col.includes('=') ? col.slice(0, col.indexOf('=')) : col;
  const quote = (k: number) => (names[k] === INTERCEPT ? 'the intercept' : `"${names[k]}"`);
  let reason: string;
  if (rd.dependsOn.length === 0) {
    reason = `design column "${col}" is zero for every control, so its effect cannot be estimated`;
  } else if (rd.dependsOn.length === 1 && names[rd.dependsOn[0]!] === INTERCEPT) {
    reason = `"${col}" is constant among the controls, so its effect cannot be estimated (collinear with the intercept); leave it out of the covariates`;
  } else {
    const parts = rd.dependsOn.map(quote);
    const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
    reason = `collinear covariates: "${col}" is a linear combination of ${list} among the controls (a singular design); leave one of them out`;
  }
  return new UserError(prefix + reason, { file, field });
}

function noControls(table: ColumnTable, o: FitOptions): UserError {
  const col = columnOf(table, o.controlColumn)!;
  // The first 10 distinct values, in row order.
  const values = new Set<string>();
  for (let r = 0; r < table.n && values.size < 10; r++) values.add(col.text(r));
  return new UserError(
    `no healthy controls: no row has ${o.controlColumn} = ${o.controlValues.join(' or ')} (values found: ${[...values].map((v) => `"${v}"`).join(', ')}); set --control-values`,
    { file: table.file, field: o.controlColumn },
  );
}
