/**
 * Vega-Lite specifications of the report's figures. Each takes plain numbers (already computed in
 * stats.ts) and returns a spec with its data inline; render.ts turns it into SVG.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CvResult } from '../cv/types.js';
import type { KmeansFit } from '../sustain/types.js';
import type { FractionSummary, PvCell, SubtypeLabel } from './stats.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export interface ThresholdLegend {
  label: string;
  colour: string;
}

/** Positional variance diagram of one subtype: biomarkers down, positions across, colour = threshold mix. */
export function pvSpec(cells: PvCell[], rows: readonly string[], nPositions: number, title: string, subtitle: string, legend: readonly ThresholdLegend[]): TopLevelSpec {
  const cellW = Math.max(7, Math.min(22, Math.floor(360 / nPositions)));
  const cellH = Math.max(14, Math.min(22, cellW + 5));
  const step = nPositions <= 15 ? 1 : nPositions <= 40 ? 5 : 10;
  const ticks = Array.from({ length: nPositions }, (_, i) => i + 1).filter((p) => p === 1 || p % step === 0);
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    width: cellW * nPositions,
    height: cellH * rows.length,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', stroke: '#f1f1f1', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'position', type: 'ordinal', title: 'Position in sequence', axis: { labelAngle: 0, values: ticks, ticks: false, domain: false } },
          y: { field: 'biomarker', type: 'nominal', sort: [...rows], title: null, axis: { ticks: false, domain: false, labelPadding: 6, labelLimit: 220 } },
          color: { field: 'colour', type: 'nominal', scale: null },
          description: { field: 'detail', type: 'nominal' },
        },
      },
      {
        // Invisible marks that only exist to draw the threshold colour legend.
        data: { values: legend.map((l) => ({ threshold: l.label })) },
        mark: { type: 'square', opacity: 0 },
        encoding: {
          color: {
            field: 'threshold',
            type: 'nominal',
            title: 'Threshold',
            scale: { domain: legend.map((l) => l.label), range: legend.map((l) => l.colour) },
            legend: { symbolOpacity: 1, symbolType: 'square', symbolSize: 160, orient: 'right' },
          },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: '#bbb', strokeWidth: 1 } },
  } as TopLevelSpec;
}

/** Subtype fractions: ML value as a bar, central posterior interval as an error bar, labelled. */
export function fractionsSpec(rows: FractionSummary[], labels: SubtypeLabel[], colours: readonly string[], intervalPct: number): TopLevelSpec {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const values = rows.map((r) => ({
    label: labels[r.subtype]!.full,
    ml: r.ml,
    lo: r.lo,
    hi: r.hi,
    text: `${pct(r.ml)}  (${pct(r.lo)}–${pct(r.hi)})`,
  }));
  const domain = values.map((v) => v.label);
  const y = { field: 'label', type: 'nominal', sort: domain, title: null, axis: { labelLimit: 360, ticks: false, domain: false } } as const;
  const xmax = Math.min(1, Math.max(...rows.map((r) => r.hi)) * 1.25 + 0.05);
  return {
    $schema: SCHEMA,
    title: { text: 'Subtype sizes', subtitle: `share of subjects per subtype, with ${intervalPct}% posterior interval` },
    width: 270,
    height: { step: 34 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', height: 20, cornerRadiusEnd: 3 },
        encoding: {
          y,
          x: { field: 'ml', type: 'quantitative', title: 'Fraction of subjects', scale: { domain: [0, xmax] }, axis: { format: '.0%', grid: true } },
          color: { field: 'label', type: 'nominal', scale: { domain, range: colours.slice(0, domain.length) }, legend: null },
        },
      },
      {
        mark: { type: 'rule', strokeWidth: 2, color: '#222' },
        encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
      {
        mark: { type: 'tick', thickness: 2, size: 12, color: '#222', orient: 'vertical' },
        encoding: { y, x: { field: 'lo', type: 'quantitative' } },
      },
      {
        mark: { type: 'tick', thickness: 2, size: 12, color: '#222', orient: 'vertical' },
        encoding: { y, x: { field: 'hi', type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 8, fontSize: 11, color: '#333' },
        encoding: { y, x: { field: 'hi', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  } as TopLevelSpec;
}

/** The panel of healthy controls in the stage figure (grey: they belong to no subtype). */
export const CONTROLS_PANEL = 'Healthy controls (any subtype)';

/**
 * Stage histogram per subtype as small multiples (stage-0 subjects are counted in the text, not
 * here); with `controls` (counts per stage), a last panel of the controls' stages.
 */
export function stagesSpec(counts: number[][], labels: SubtypeLabel[], colours: readonly string[], nStages: number, controls?: readonly number[]): TopLevelSpec {
  const values: { group: string; stage: number; n: number }[] = [];
  counts.forEach((row, j) => {
    for (let s = 1; s <= nStages; s++) values.push({ group: labels[j]!.full, stage: s, n: row[s] ?? 0 });
  });
  if (controls) for (let s = 1; s <= nStages; s++) values.push({ group: CONTROLS_PANEL, stage: s, n: controls[s] ?? 0 });
  const domain = [...labels.map((l) => l.full), ...(controls ? [CONTROLS_PANEL] : [])];
  const range = [...colours.slice(0, labels.length), ...(controls ? ['#9e9e9e'] : [])];
  const stages = Array.from({ length: nStages }, (_, i) => i + 1);
  const every = nStages <= 20 ? 1 : 5;
  return {
    $schema: SCHEMA,
    title: { text: 'Stages', subtitle: `${controls ? 'patients' : 'subjects'} past stage 0 by most likely stage, per subtype${controls ? '; healthy controls apart' : ''}` },
    data: { values },
    facet: {
      field: 'group',
      type: 'nominal',
      sort: domain,
      title: null,
      header: { labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold', labelPadding: 4, labelLimit: 400 },
    },
    columns: Math.min(3, domain.length),
    spacing: { row: 16, column: 24 },
    spec: {
      width: domain.length >= 3 ? 290 : domain.length === 2 ? 440 : 600,
      height: 70,
      mark: { type: 'bar', cornerRadiusTopLeft: 1, cornerRadiusTopRight: 1 },
      encoding: {
        x: {
          field: 'stage',
          type: 'ordinal',
          title: 'Stage (events that have happened)',
          scale: { domain: stages },
          axis: { labelAngle: 0, values: stages.filter((s) => s === 1 || s % every === 0) },
        },
        y: { field: 'n', type: 'quantitative', title: 'Subjects', axis: { tickCount: 3 } },
        color: { field: 'group', type: 'nominal', scale: { domain, range }, legend: null },
      },
    },
    resolve: { axis: { x: 'independent' } },
  } as TopLevelSpec;
}

/** Histogram of each subject's probability of its assigned subtype, stacked by subtype, with band lines. */
export function confidenceSpec(points: { p: number; subtype: number }[], labels: SubtypeLabel[], colours: readonly string[], bands: readonly number[], k: number): TopLevelSpec {
  const domain = labels.map((l) => l.full);
  const width = 0.05;
  const nBins = Math.round(1 / width);
  // Counted here rather than with Vega-Lite's bin transform so the bins are exactly 0-5%, 5-10%, ...
  const counts = labels.map(() => new Array<number>(nBins).fill(0));
  for (const pt of points) counts[pt.subtype]![Math.min(nBins - 1, Math.floor(pt.p / width + 1e-9))]!++;
  const values: { subtype: string; order: number; x0: number; x1: number; n: number }[] = [];
  counts.forEach((row, j) => row.forEach((n, b) => n > 0 && values.push({ subtype: domain[j]!, order: j, x0: b * width, x1: (b + 1) * width, n })));
  const lowest = k > 1 ? Math.floor((1 / k) * 10) / 10 : 0;
  return {
    $schema: SCHEMA,
    title: { text: 'Assignment confidence', subtitle: 'probability of the assigned subtype, patients past stage 0' },
    width: 480,
    height: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'x0', type: 'quantitative', title: 'Probability of the assigned subtype', scale: { domain: [lowest, 1], nice: false }, axis: { format: '.0%', tickCount: 6 } },
          x2: { field: 'x1' },
          y: { aggregate: 'sum', field: 'n', type: 'quantitative', title: 'Subjects', stack: 'zero' },
          color: {
            field: 'subtype',
            type: 'nominal',
            scale: { domain, range: colours.slice(0, domain.length) },
            legend: { title: null, orient: 'top', direction: 'vertical', labelLimit: 360 },
          },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: bands.map((t) => ({ t, label: `> ${(100 * t).toFixed(0)}%` })) },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#444' }, encoding: { x: { field: 't', type: 'quantitative' } } },
          { mark: { type: 'text', align: 'left', dx: 3, y: -6, fontSize: 10, color: '#444' }, encoding: { x: { field: 't', type: 'quantitative' }, text: { field: 'label' } } },
        ],
      },
    ],
  } as TopLevelSpec;
}

/** CVIC against the number of subtypes, the recommended K marked. */
export function cvicSpec(cv: CvResult): TopLevelSpec {
  const values = cv.table.map((r) => ({
    k: r.subtypes,
    cvic: r.cvic,
    mark: r.subtypes === cv.recommendedSubtypes ? 'recommended' : r.subtypes === cv.cvicChoice ? 'lowest CVIC' : 'other',
  }));
  const kinds = ['recommended', 'lowest CVIC', 'other'].filter((m) => values.some((v) => v.mark === m));
  const kindColour: Record<string, string> = { recommended: '#d62728', 'lowest CVIC': '#f58518', other: '#4c78a8' };
  return {
    $schema: SCHEMA,
    title: { text: 'Cross-validation information criterion', subtitle: 'lower is better; the recommended number of subtypes is marked' },
    width: Math.max(240, 70 * values.length),
    height: 200,
    data: { values },
    layer: [
      {
        mark: { type: 'line', color: '#888' },
        encoding: { x: { field: 'k', type: 'ordinal', title: 'Subtypes', axis: { labelAngle: 0 } }, y: { field: 'cvic', type: 'quantitative', title: 'CVIC', scale: { zero: false } } },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x: { field: 'k', type: 'ordinal' },
          y: { field: 'cvic', type: 'quantitative' },
          color: { field: 'mark', type: 'nominal', title: null, scale: { domain: kinds, range: kinds.map((m) => kindColour[m]!) }, legend: { orient: 'top' } },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Out-of-sample log-likelihood per fold (thin grey lines) with mean ± sd per K. */
export function testLikelihoodSpec(cv: CvResult): TopLevelSpec {
  const folds: { k: number; fold: number; ll: number }[] = [];
  for (const r of cv.table) r.testLogLikelihoodPerFold.forEach((ll, f) => folds.push({ k: r.subtypes, fold: f + 1, ll }));
  const summary = cv.table.map((r) => ({
    k: r.subtypes,
    mean: r.testLogLikelihoodMean,
    lo: r.testLogLikelihoodMean - r.testLogLikelihoodSd,
    hi: r.testLogLikelihoodMean + r.testLogLikelihoodSd,
  }));
  const x = { field: 'k', type: 'ordinal', title: 'Subtypes', axis: { labelAngle: 0 } } as const;
  return {
    $schema: SCHEMA,
    title: { text: 'Held-out log-likelihood', subtitle: 'each grey line is one fold; black: mean ± sd (higher is better)' },
    width: Math.max(240, 70 * cv.table.length),
    height: 200,
    layer: [
      {
        data: { values: folds },
        mark: { type: 'line', color: '#bbb', strokeWidth: 1 },
        encoding: { x, y: { field: 'll', type: 'quantitative', title: 'Test log-likelihood', scale: { zero: false } }, detail: { field: 'fold', type: 'nominal' } },
      },
      { data: { values: summary }, mark: { type: 'rule', color: '#222', strokeWidth: 2 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { data: { values: summary }, mark: { type: 'point', filled: true, color: '#222', size: 60 }, encoding: { x, y: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** k-means centroids as a heatmap: clusters down, biomarkers across, diverging colour on z. */
/** z to one decimal, never "-0.0". */
export function zText(z: number): string {
  const t = z.toFixed(1);
  return t === '-0.0' ? '0.0' : t;
}

export function centroidsSpec(fit: KmeansFit, biomarkers: readonly string[]): TopLevelSpec {
  const values: { cluster: string; biomarker: string; z: number; text: string }[] = [];
  fit.centroids.forEach((c, j) => {
    const cluster = `Cluster ${j + 1} (${(100 * (fit.fractions[j] ?? 0)).toFixed(0)}%)`;
    c.forEach((z, b) => values.push({ cluster, biomarker: biomarkers[b] ?? `b${b + 1}`, z, text: zText(z) }));
  });
  // The colour scale spans every centre (not clipped), symmetric about 0, to a whole z.
  const maxAbs = Math.max(1, Math.ceil(Math.max(...values.map((v) => Math.abs(v.z)))));
  const cellW = Math.max(18, Math.min(44, Math.floor(600 / Math.max(1, biomarkers.length))));
  // Light text where the cell is dark (|z| in the outer part of the scale).
  const dark = 0.55 * maxAbs;
  return {
    $schema: SCHEMA,
    title: { text: `k-means with ${fit.subtypes} clusters`, subtitle: 'cluster centres in z-score units (red = more abnormal)' },
    width: cellW * biomarkers.length,
    height: { step: 26 },
    data: { values },
    encoding: {
      x: { field: 'biomarker', type: 'nominal', sort: [...biomarkers], title: null, axis: { labelAngle: -40, labelLimit: 1000, ticks: false, domain: false } },
      y: { field: 'cluster', type: 'nominal', title: null, axis: { ticks: false, domain: false } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'z',
            type: 'quantitative',
            title: 'z',
            scale: { scheme: 'redblue', reverse: true, domain: [-maxAbs, maxAbs], nice: false, clamp: false },
            legend: { values: [-maxAbs, -maxAbs / 2, 0, maxAbs / 2, maxAbs] },
          },
        },
      },
      ...(cellW >= 26
        ? [
            {
              mark: { type: 'text' as const, fontSize: 9 },
              encoding: {
                text: { field: 'text', type: 'nominal' as const },
                color: { condition: { test: `abs(datum.z) > ${dark}`, value: 'white' }, value: '#222' },
              },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

/** Silhouette (and inertia) of k-means against the number of clusters. */
export function kmeansQualitySpec(fits: readonly KmeansFit[]): TopLevelSpec {
  // One cluster has no silhouette (no other cluster to compare with): not plotted.
  const values = fits.filter((f) => f.subtypes > 1).map((f) => ({ k: f.subtypes, silhouette: f.silhouette }));
  return {
    $schema: SCHEMA,
    title: { text: 'k-means silhouette', subtitle: 'higher = better separated clusters (undefined for one cluster)' },
    width: Math.max(220, 70 * values.length),
    height: 180,
    data: { values },
    layer: [
      {
        mark: { type: 'line', color: '#888' },
        encoding: { x: { field: 'k', type: 'ordinal', title: 'Clusters', axis: { labelAngle: 0 } }, y: { field: 'silhouette', type: 'quantitative', title: 'Mean silhouette' } },
      },
      { mark: { type: 'point', filled: true, size: 70, color: '#4c78a8' }, encoding: { x: { field: 'k', type: 'ordinal' }, y: { field: 'silhouette', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** R^2 of the normative model per feature (how much the covariates explain in controls). */
export function normaliserSpec(rows: { feature: string; r2: number }[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: 'Normative model fit', subtitle: 'share of variance in controls explained by the covariates (R²)' },
    width: 420,
    height: { step: 18 },
    data: { values: rows },
    mark: { type: 'bar', color: '#72b7b2', height: 12 },
    encoding: {
      y: { field: 'feature', type: 'nominal', sort: rows.map((r) => r.feature), title: null, axis: { labelLimit: 220, ticks: false } },
      x: { field: 'r2', type: 'quantitative', title: 'R²', scale: { domain: [0, 1] } },
    },
  } as TopLevelSpec;
}
