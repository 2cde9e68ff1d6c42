/**
 * Vega-Lite specs of the report's clinical section: Kaplan-Meier curves, a forest plot of hazard and
 * rate ratios, and a score against stage. Plain numbers in, specs with inline data out.
 */
import type { TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export interface KmPoint {
  label: string;
  time: number;
  surv: number;
  lower: number | null;
  upper: number | null;
}

/** Step curves per subtype with their 95 % bands (right-continuous: each value holds until the next time). */
export function kmSpec(points: KmPoint[], labels: string[], colours: string[], title: string, timeTitle: string): TopLevelSpec {
  const colour = { field: 'label', type: 'nominal', title: null, scale: { domain: labels, range: colours }, legend: { orient: 'bottom', labelLimit: 320 } } as const;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'Kaplan-Meier estimate with 95% band, by most likely subtype' },
    width: 420,
    height: 260,
    data: { values: points },
    layer: [
      {
        transform: [{ filter: 'datum.lower !== null' }],
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.12 },
        encoding: { x: { field: 'time', type: 'quantitative' }, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' }, color: colour },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'time', type: 'quantitative', title: timeTitle },
          y: { field: 'surv', type: 'quantitative', title: 'Proportion without the event', scale: { domain: [0, 1] } },
          color: colour,
        },
      },
    ],
  } as TopLevelSpec;
}

export interface ForestRow {
  /** row label, e.g. "cdp_years · Subtype 2 (adjusted)" */
  row: string;
  panel: string;
  ratio: number;
  lo: number;
  hi: number;
  kind: string;
}

/** Ratios with intervals on a log axis, a reference line at 1; one panel per outcome, one x scale for all. */
export function forestSpec(rows: ForestRow[]): TopLevelSpec {
  const lo = Math.min(0.5, ...rows.map((r) => r.lo));
  const hi = Math.max(2, ...rows.map((r) => r.hi));
  const x = { type: 'quantitative' as const, scale: { type: 'log' as const, domain: [lo / 1.1, hi * 1.1] } };
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const colour = { field: 'kind', type: 'nominal' as const, title: null, scale: { domain: kinds, range: ['#222', '#e45756'] }, legend: { orient: 'bottom' as const, labelLimit: 320 } };
  const panels = [...new Set(rows.map((r) => r.panel))];
  return {
    $schema: SCHEMA,
    title: { text: 'Hazard and rate ratios', subtitle: 'against the reference subtype (stage: per stage); lines are 95% intervals, log scale' },
    vconcat: panels.map((panel) => {
      const mine = rows.filter((r) => r.panel === panel);
      const y = { field: 'row', type: 'nominal' as const, title: null, sort: mine.map((r) => r.row), axis: { labelLimit: 360 } };
      return {
        title: { text: panel, fontSize: 12 },
        width: 360,
        data: { values: mine },
        layer: [
          { mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { datum: 1, ...x } } },
          { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lo', ...x, title: 'Ratio' }, x2: { field: 'hi' }, y, color: colour } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'ratio', ...x }, y, color: colour } },
        ],
      };
    }),
  } as TopLevelSpec;
}

/** A score against stage: one point per patient (jittered a little across), coloured by subtype. */
export function scoreSpec(points: { stage: number; score: number; label: string }[], labels: string[], colours: string[], score: string, subtitle: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: `${score} by stage`, subtitle },
    width: 420,
    height: 240,
    data: { values: points },
    layer: [
      {
        mark: { type: 'point', filled: true, opacity: 0.55, size: 28 },
        encoding: {
          x: { field: 'stage', type: 'quantitative', title: 'Stage (most likely)' },
          y: { field: 'score', type: 'quantitative', title: score },
          color: { field: 'label', type: 'nominal', title: null, scale: { domain: labels, range: colours }, legend: { orient: 'bottom', labelLimit: 320 } },
        },
      },
      {
        transform: [{ regression: 'score', on: 'stage' }],
        mark: { type: 'line', color: '#333', strokeWidth: 1.5 },
        encoding: { x: { field: 'stage', type: 'quantitative' }, y: { field: 'score', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}
