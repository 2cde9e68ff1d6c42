/**
 * The report's longitudinal section (subject tables from `fit --time` / longitudinal `assign`): per
 * subtype, stage against time since the first visit (one thin line per patient), the distribution
 * of progression rates, and how often a cross-sectional assignment of the same visits would have
 * switched subtype or moved backwards in stage (subjects.csv's cross_sectional_* columns).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Assignment } from '../sustain/types.js';
import { consistency } from '../sustain/longitudinal/compare.js';
import { esc, figure, pct, section, table } from './html.js';
import { renderSvg } from './render.js';
import type { SubtypeLabel } from './stats.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
/** Lines drawn per subtype (the first subjects in table order): enough to see the pattern, a small SVG. */
const MAX_LINES = 400;

export interface LongitudinalInputs {
  assignment: Assignment;
  carried: Record<string, string[]>;
  /** the model's time column (settings.time) */
  timeColumn: string;
  labels: SubtypeLabel[];
  colours: readonly string[];
  nEvents: number;
}

interface Visits {
  /** subject j's rows start[j] .. start[j+1] - 1 (consecutive rows of one subject) */
  start: Int32Array;
  /** time since the subject's first visit, per row */
  since: Float64Array;
}

function visitsOf(ids: readonly string[], time: readonly string[]): Visits {
  const starts: number[] = [];
  const since = new Float64Array(ids.length);
  for (let r = 0; r < ids.length; r++) {
    if (r === 0 || ids[r] !== ids[r - 1]) starts.push(r);
    since[r] = Number(time[r]) - Number(time[starts[starts.length - 1]!]);
  }
  starts.push(ids.length);
  return { start: Int32Array.from(starts), since };
}

/** One panel per subtype, in the subtypes' order, labelled above on the left (both figures of this section). */
function subtypeFacet(domain: string[]) {
  return {
    field: 'subtype',
    type: 'nominal',
    sort: domain,
    title: null,
    header: { labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold', labelLimit: 400 },
  } as const;
}
function stageLinesSpec(
  values: { subtype: string; subject: string; t: number; stage: number }[],
  labels: SubtypeLabel[],
  colours: readonly string[],
  nEvents: number,
  unit: string,
): TopLevelSpec {
  const domain = labels.map((l) => l.full);
  return {
    $schema: SCHEMA,
    title: { text: 'Stage over time', subtitle: 'one line per patient (most likely stage at each visit)' },
    data: { values },
    facet: subtypeFacet(domain),
    columns: Math.min(3, labels.length),
    spec: {
      width: labels.length >= 3 ? 260 : 380,
      height: 160,
      mark: { type: 'line', strokeWidth: 0.7, opacity: 0.35, point: false },
      encoding: {
        x: { field: 't', type: 'quantitative', title: `${unit} since first visit` },
        y: { field: 'stage', type: 'quantitative', title: 'Stage', scale: { domain: [0, nEvents] } },
        detail: { field: 'subject', type: 'nominal' },
        color: { field: 'subtype', type: 'nominal', scale: { domain, range: colours.slice(0, domain.length) }, legend: null },
      },
    },
  } as TopLevelSpec;
}

function ratesSpec(values: { subtype: string; rate: number }[], labels: SubtypeLabel[], colours: readonly string[], unit: string): TopLevelSpec {
  const domain = labels.map((l) => l.full);
  return {
    $schema: SCHEMA,
    title: { text: 'Progression rates', subtitle: `stages per ${unit.replace(/s$/, '')} between first and last visit, patients with two or more visits` },
    data: { values },
    facet: subtypeFacet(domain),
    columns: Math.min(3, labels.length),
    spec: {
      width: labels.length >= 3 ? 260 : 380,
      height: 90,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'rate', type: 'quantitative', bin: { maxbins: 20 }, title: `Stages per ${unit.replace(/s$/, '')}` },
        y: { aggregate: 'count', type: 'quantitative', title: 'Patients', axis: { tickCount: 3 } },
        color: { field: 'subtype', type: 'nominal', scale: { domain, range: colours.slice(0, domain.length) }, legend: null },
      },
    },
    resolve: { axis: { x: 'independent' } },
  } as TopLevelSpec;
}

/** The section, or null when the subject table is not longitudinal. Figures are added to `figures`. */
export async function longitudinalSection(x: LongitudinalInputs, figures: Record<string, string>): Promise<string | null> {
  const time = x.carried[x.timeColumn];
  const rate = x.carried['progression_rate'];
  if (time === undefined || rate === undefined) return null;
  const a = x.assignment;
  const { start, since } = visitsOf(a.subjects, time);
  const J = start.length - 1;
  const K = a.subtypes;
  const lines: { subtype: string; subject: string; t: number; stage: number }[] = [];
  const rates: { subtype: string; rate: number }[] = [];
  const drawn = new Array<number>(K).fill(0);
  for (let j = 0; j < J; j++) {
    const r0 = start[j]!;
    const s = a.mlSubtype[r0]!;
    const name = x.labels[s]!.full;
    if (start[j + 1]! - r0 > 1 && rate[r0] !== '') rates.push({ subtype: name, rate: Number(rate[r0]) });
    if (drawn[s]! >= MAX_LINES) continue;
    drawn[s]!++;
    for (let r = r0; r < start[j + 1]!; r++) lines.push({ subtype: name, subject: a.subjects[r]!, t: since[r]!, stage: a.mlStage[r]! });
  }
  figures['stage-over-time.svg'] = await renderSvg(stageLinesSpec(lines, x.labels, x.colours, x.nEvents, x.timeColumn));
  figures['progression-rates.svg'] = await renderSvg(ratesSpec(rates, x.labels, x.colours, x.timeColumn));
  const crossSub = x.carried['cross_sectional_subtype'];
  const crossStage = x.carried['cross_sectional_stage'];
  let comparison = '';
  if (crossSub !== undefined && crossStage !== undefined) {
    const rows: string[][] = [];
    for (let s = 0; s < K; s++) {
      // this subtype's subjects only: their rows, regrouped
      const starts: number[] = [0];
      const sub: number[] = [];
      const st: number[] = [];
      for (let j = 0; j < J; j++) {
        if (a.mlSubtype[start[j]!] !== s) continue;
        for (let r = start[j]!; r < start[j + 1]!; r++) {
          sub.push(Number(crossSub[r]));
          st.push(Number(crossStage[r]));
        }
        starts.push(sub.length);
      }
      const c = consistency(Int32Array.from(starts), sub, st);
      rows.push([esc(x.labels[s]!.full), esc(c.subjects), esc(`${c.switched} (${pct(c.switched, c.subjects)})`), esc(`${c.backwards} (${pct(c.backwards, c.subjects)})`)]);
    }
    comparison =
      `<h3>What a cross-sectional assignment of the same visits would say</h3>` +
      table(
        [{ label: 'Subtype' }, { label: 'Patients with 2+ visits', numeric: true }, { label: 'would switch subtype', numeric: true }, { label: 'would move backwards', numeric: true }],
        rows,
      ) +
      `<p class="muted">Each visit assigned on its own with the same model (columns cross_sectional_subtype and cross_sectional_stage of the subject table). The longitudinal model gives each patient one subtype and stages that never decrease.</p>`;
  }
  const shown = drawn.some((n) => n >= MAX_LINES) ? ` (at most ${MAX_LINES} patients per subtype drawn)` : '';
  const body =
    `<div class="grid">${figure('stage-over-time.svg', figures['stage-over-time.svg'], `each line is a patient's most likely stage at each visit against ${esc(x.timeColumn)} since the first visit${shown}. Steep lines progress fast; flat lines are stable.`)}` +
    `${figure('progression-rates.svg', figures['progression-rates.svg'], 'how fast each subtype\u2019s patients move through its sequence (posterior mean stage at the last visit minus the first, over the time between). A subtype whose rates sit further right progresses faster.')}</div>` +
    comparison;
  return section('longitudinal', 'Over time', `${esc(J)} patients with ${esc(a.subjects.length)} visits: one subtype per patient, stages that only move forward.`, body);
}
