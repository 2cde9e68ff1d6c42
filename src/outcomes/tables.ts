/** The CSV tables written beside outcomes.json: one row per estimate (or per curve step, per Table 1 cell). */
import type { OutcomesResult } from './schema.js';

export interface CsvTable {
  file: string;
  description: string;
  columns: string[];
  columnHelp: Record<string, string>;
  rows: (string | number)[][];
}

const n = (v: number | null | undefined): string | number => (v === null || v === undefined ? '' : v);

const TERM_HELP = {
  term: 'subtype<k> (against the reference subtype), a covariate column, column=level (against the first level), stage',
  coef: 'log hazard ratio (Cox) or log rate ratio (count models)',
  se: 'standard error of coef',
  ratio: 'exp(coef): hazard ratio or rate ratio',
  ci_low: 'lower 95 % limit of the ratio',
  ci_high: 'upper 95 % limit of the ratio',
  p: 'two-sided p-value',
};

export function csvTables(r: OutcomesResult): CsvTable[] {
  const est = ['outcome', 'model', 'covariates', 'subtype_from', 'n', 'events', 'term', 'coef', 'se', 'ratio', 'ci_low', 'ci_high', 'p'];
  const survival: CsvTable = {
    file: 'survival.csv',
    description: 'Cox proportional-hazards models (Efron ties): hazard ratios per term, most likely subtype and pooled over posterior draws',
    columns: est,
    columnHelp: { ...TERM_HELP, subtype_from: '"most likely" subtype, or "posterior draws" pooled by Rubin\'s rules', covariates: 'adjustment covariates, separated by ;' },
    rows: r.survival.flatMap((e) => [
      ...e.terms.map((t) => [e.outcome, e.model, e.covariates.join(';'), e.subtypeFrom, e.n, e.events, t.term, t.coef, t.se, t.hr, t.ciLow, t.ciHigh, t.p]),
      ...(e.pooled?.terms ?? []).map((t) => [e.outcome, e.model, e.covariates.join(';'), 'posterior draws', e.n, e.events, t.term, t.coef, t.se, t.hr, t.ciLow, t.ciHigh, t.p]),
    ]),
  };
  const counts: CsvTable = {
    file: 'counts.csv',
    description: 'Poisson and negative-binomial regression with a log(exposure) offset: rate ratios per term',
    columns: ['family', 'theta', ...est],
    columnHelp: { ...TERM_HELP, family: 'poisson or negbin', theta: 'negative-binomial dispersion (variance = mu + mu^2/theta)', events: 'total count' },
    rows: r.counts.flatMap((e) => [
      ...e.terms.map((t) => [e.family, n(e.theta), e.outcome, e.model, e.covariates.join(';'), e.subtypeFrom, e.n, e.events, t.term, t.coef, t.se, t.ratio, t.ciLow, t.ciHigh, t.p]),
      ...(e.pooled?.terms ?? []).map((t) => [
        e.family,
        n(e.theta),
        e.outcome,
        e.model,
        e.covariates.join(';'),
        'posterior draws',
        e.n,
        e.events,
        t.term,
        t.coef,
        t.se,
        t.ratio,
        t.ciLow,
        t.ciHigh,
        t.p,
      ]),
    ]),
  };
  const km: CsvTable = {
    file: 'km.csv',
    description: 'Kaplan-Meier curves per subtype (patients past stage 0, most likely subtype), 95 % limits on the log scale',
    columns: ['outcome', 'subtype', 'time', 'n_risk', 'n_event', 'n_censor', 'surv', 'lower', 'upper'],
    columnHelp: { surv: 'Kaplan-Meier survival just after time', n_risk: 'subjects at risk just before time' },
    rows: r.km.flatMap((e) => e.curves.flatMap((c) => c.time.map((t, j) => [e.outcome, c.subtype, t, c.nRisk[j]!, c.nEvent[j]!, c.nCensor[j]!, c.surv[j]!, n(c.lower[j]), n(c.upper[j])]))),
  };
  const treatment: CsvTable = {
    file: 'treatment.csv',
    description: 'Treatment response: subtype x treatment interaction models and the treatment effect within each subtype',
    columns: ['outcome', 'family', 'analysis', 'subtype', 'n', 'term', 'coef', 'se', 'ratio', 'ci_low', 'ci_high', 'p', 'interaction_lrt_p'],
    columnHelp: { ...TERM_HELP, analysis: '"interaction" model or "within subtype"', interaction_lrt_p: 'likelihood-ratio test of all interaction terms together' },
    rows: r.treatment.flatMap((e) => [
      ...e.interaction.terms.map((t) => [e.outcome, e.family, 'interaction', '', e.interaction.n, t.term, t.coef, t.se, t.ratio, t.ciLow, t.ciHigh, t.p, n(e.interaction.test?.p)]),
      ...e.withinSubtype.flatMap((w) => w.terms.map((t) => [e.outcome, e.family, 'within subtype', w.subtype, w.n, t.term, t.coef, t.se, t.ratio, t.ciLow, t.ciHigh, t.p, ''])),
    ]),
  };
  const g = r.table1.groups;
  const table1: CsvTable = {
    file: 'table1.csv',
    description: 'Table 1: clinical variables per subtype (patients past stage 0), stage-0 patients and controls; tests across subtypes',
    columns: ['variable', 'level', 'group', 'n', 'missing', 'mean', 'sd', 'median', 'q1', 'q3', 'count', 'percent', 'test', 'statistic', 'p'],
    columnHelp: { group: g.map((x) => `${x.key} (${x.label})`).join(', '), test: 'test across the subtypes, on the first row of the variable' },
    rows: r.table1.rows.flatMap((row) =>
      row.cells.map((c, j) => {
        const t = j === 0 ? row.tests[0] : undefined;
        return [
          row.variable,
          row.level ?? '',
          g[j]!.key,
          c.n,
          c.missing,
          n(c.mean),
          n(c.sd),
          n(c.median),
          n(c.q1),
          n(c.q3),
          n(c.count),
          n(c.percent),
          t?.test ?? '',
          n(t?.statistic),
          n(t?.p),
        ];
      }),
    ),
  };
  const scores: CsvTable = {
    file: 'scores.csv',
    description: 'Scores against stage: Spearman correlation and linear regression (score ~ stage + covariates)',
    columns: ['score', 'analysis', 'n', 'term', 'estimate', 'se', 'ci_low', 'ci_high', 'p'],
    columnHelp: { estimate: 'Spearman rho, or the regression coefficient (score units per stage)' },
    rows: r.scores.flatMap((s) => [
      ...(s.spearman ? [[s.score, 'spearman', s.spearman.n, 'stage', s.spearman.rho, '', '', '', s.spearman.p]] : []),
      ...(s.regression?.terms ?? []).map((t) => [s.score, 'linear regression', s.regression!.n, t.term, t.coef, t.se, t.ciLow, t.ciHigh, t.p]),
    ]),
  };
  return [table1, km, survival, counts, treatment, scores];
}
