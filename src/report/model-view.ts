/**
 * The report draws every model kind with the same figures: a kind's model file is seen as
 * biomarkers with ordered "levels" of events (z-score: its thresholds; mixture: one event,
 * "abnormal"), so the positional variance diagram has a row per biomarker and a colour per level.
 */
import type { NamedEvent, SustainFit, SustainModelFile } from '../sustain/types.js';

export interface ModelView {
  /** events as [biomarker, level]; the z-score model's own events */
  events: NamedEvent[];
  /** per biomarker (model order), its levels */
  levels: number[][];
  /** the fits with sequences of [biomarker, level] */
  fits: SustainFit<NamedEvent>[];
  /** legend label of each level index (z-score: "z = 1", ...; mixture: "abnormal") */
  levelLabel: (values: number[]) => string;
  /** "z-score", "mixture (event-based)" */
  title: string;
  /** what the colour of a cell says */
  colourMeaning: string;
  /** what a row lighting up means */
  rowMeaning: string;
}

export function modelView(model: SustainModelFile): ModelView {
  if (model.method === 'sustain-zscore') {
    return {
      events: model.events,
      levels: model.zvals,
      fits: model.fits,
      levelLabel: (zs) => `z = ${zs.join(' / ')}`,
      title: 'z-score',
      colourMeaning: 'which z threshold is reached there',
      rowMeaning: 'crosses a z-score threshold',
    };
  }
  // mixture: one event per biomarker, its label the biomarker's name
  const named = (b: string): NamedEvent => [b, 1];
  return {
    events: model.events.map(named),
    levels: model.biomarkers.map(() => [1]),
    fits: model.fits.map((f) => ({ ...f, sequences: f.sequences.map((s) => s.map(named)) })),
    levelLabel: () => 'abnormal',
    title: 'mixture (event-based)',
    colourMeaning: 'the biomarker becomes abnormal there',
    rowMeaning: 'becomes abnormal',
  };
}
