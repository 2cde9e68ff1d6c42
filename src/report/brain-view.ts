/**
 * The brain view: each subtype's sequence painted on a reference label map, as in Eshaghi et al.
 * 2021's figure. Per subtype one SVG: a column per chosen stage, each an axial, a coronal and a
 * sagittal slice (PNG inside the SVG, one pixel block per voxel, outlines between regions), every
 * feature's region filled by the cumulative posterior probability that it has passed each
 * threshold by that stage. Also the table of those probabilities (DIR/brain-view.csv).
 */
import { UserError } from '../common/errors.js';
import type { PosteriorSamples } from '../sustain/types.js';
import { BRAIN_VIEW_COLUMNS, brainViewRows, cumulativeProbabilities, defaultStages, eventParts, eventsByBiomarker, regionColour, type BrainEvent } from './brain-probs.js';
import {
  OUTSIDE,
  UNPAINTED,
  VIEWS,
  chooseSlice,
  headBox,
  pixelScale,
  regionVolume,
  sliceImage,
  toRas,
  type BrainFeature,
  type BrainMaps,
  type SliceImage,
  type View,
} from './brain-paint.js';
import { esc } from './html.js';
import { encodePng } from './png.js';
import { parseHex } from './stats.js';

export interface BrainViewInputs {
  biomarkers: readonly string[];
  events: readonly BrainEvent[];
  /** The K-subtype fit: ML sequences (used when there are no samples) and the kept MCMC samples. */
  sequences: readonly (readonly BrainEvent[])[];
  samples: PosteriorSamples;
  features: readonly BrainFeature[];
  maps: BrainMaps;
  /** Stages to draw (default: about five spread like the paper's). */
  stages?: readonly number[];
  /** Subtype titles. */
  titles: readonly string[];
  thresholdColours: readonly string[];
}

export interface BrainViewOutput {
  /** brain-view-subtype-<j+1>.svg */
  figures: Record<string, string>;
  stages: number[];
  slices: Record<View, number>;
  columns: readonly string[];
  rows: (string | number)[][];
  /** Biomarkers of the model with no region to paint (no feature definition or every label). */
  unpainted: string[];
  /** Threshold legend entries (label and colour), in threshold order. */
  legend: { label: string; colour: string }[];
}

export const OUTLINE = '#3a3a3a';
export const UNPAINTED_FILL = '#d4d4d4';
const OUTSIDE_FILL = '#ffffff';
const SEVERITY = ['mild', 'moderate', 'severe'];

export function buildBrainView(x: BrainViewInputs): BrainViewOutput {
  const N = x.events.length;
  const K = x.sequences.length;
  const stages = [...(x.stages ?? defaultStages(N))];
  for (const s of stages)
    if (!Number.isInteger(s) || s < 0 || s > N) throw new UserError(`brain view stages are whole numbers from 0 to ${N} (the model's events), got ${s}`, { field: 'brainStages' });
  const byName = new Map(x.features.map((f) => [f.name, f]));
  // A biomarker without a region (no definition, e.g. age in a model fitted on raw columns, or a
  // "nonzero" label set) stays in the table but is not painted; the page names it.
  const unpainted = x.biomarkers.filter((b) => {
    const f = byName.get(b);
    return f === undefined || f.labels === 'nonzero' || (f.labels.length === 0 && f.measure !== 'lesion');
  });
  if (unpainted.length === x.biomarkers.length) {
    throw new UserError(`none of the model's biomarkers (${x.biomarkers.join(', ')}) has a region in the feature definitions (give extract's sidecar with --features-sidecar)`, {
      field: 'features',
    });
  }
  const feats = x.biomarkers.map((b): BrainFeature => byName.get(b) ?? { name: b, measure: 'none', labels: [] });
  const samples = x.samples.sequences.length > 0 ? x.samples : mlAsSamples(x.sequences, x.events);
  const cum = cumulativeProbabilities(samples, K, N);
  const rows = brainViewRows(cum, x.events);

  const ras = toRas(regionVolume(x.maps, feats), x.maps.dims, x.maps.affine);
  const box = headBox(ras);
  const scale = pixelScale(ras, box, 150);
  const slices = {} as Record<View, number>;
  const images = {} as Record<View, SliceImage>;
  for (const v of VIEWS) {
    slices[v] = chooseSlice(ras, v, box);
    const ax = v === 'axial' ? [0, 1] : v === 'coronal' ? [0, 2] : [1, 2];
    images[v] = sliceImage(ras, v, slices[v], box, scale[ax[0]!]!, scale[ax[1]!]!);
  }
  const evs = eventsByBiomarker(x.events);
  const depth = Math.max(...[...evs.values()].map((l) => l.length));
  const legend = Array.from({ length: depth }, (_, t) => {
    const zs = [
      ...new Set(
        [...evs.values()]
          .map((l) => l[t])
          .filter((e): e is number => e !== undefined)
          .map((e) => eventParts(x.events[e]!)[1]),
      ),
    ];
    const sev = depth === 3 ? ` (${SEVERITY[t]})` : '';
    // A kind whose events carry no z (the mixture model's one "abnormal" event per biomarker)
    const label = x.events.every((e) => typeof e === 'string') ? 'abnormal' : `z = ${zs.join(' / ')}${sev}`;
    return { label, colour: x.thresholdColours[t % x.thresholdColours.length]! };
  });
  const colours = legend.map((l) => l.colour);
  const figures: Record<string, string> = {};
  for (let j = 0; j < K; j++) {
    const fills = stages.map((s) =>
      feats.map((f) => {
        const list = evs.get(f.name) ?? [];
        return regionColour(
          list.map((e) => cum[j]![s]![e]!),
          colours,
        );
      }),
    );
    figures[`brain-view-subtype-${j + 1}.svg`] = subtypeSvg(x.titles[j] ?? `Subtype ${j + 1}`, stages, N, images, fills, legend);
  }
  return { figures, stages, slices, columns: BRAIN_VIEW_COLUMNS, rows, legend, unpainted };
}

/** Without samples, the ML sequences stand in as one sample (probabilities 0 or 1). */
function mlAsSamples(sequences: readonly (readonly BrainEvent[])[], events: readonly BrainEvent[]): PosteriorSamples {
  const key = (e: BrainEvent) => JSON.stringify(e);
  const index = new Map(events.map((e, i) => [key(e), i]));
  const seqs = sequences.map((s) => s.map((e) => index.get(key(e))!));
  return { sequences: [seqs], fractions: [sequences.map(() => 1 / sequences.length)], logLikelihood: [0] };
}

/** RGB pixels of one slice with region fills (fills[r] for region id r + 2). */
export function paintSlice(img: SliceImage, fills: readonly string[]): Uint8Array {
  const rgbOf = (hex: string) => parseHex(hex).map((c) => Math.round(c * 255));
  const palette = new Map<number, number[]>([
    [-1, rgbOf(OUTLINE)],
    [OUTSIDE, rgbOf(OUTSIDE_FILL)],
    [UNPAINTED, rgbOf(UNPAINTED_FILL)],
  ]);
  fills.forEach((f, r) => palette.set(r + 2, rgbOf(f)));
  const out = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.ids.length; i++) out.set(palette.get(img.ids[i]!)!, i * 3);
  return out;
}

const VIEW_GAP = 6;
const COL_GAP = 14;

function subtypeSvg(
  title: string,
  stages: readonly number[],
  nEvents: number,
  images: Record<View, SliceImage>,
  fills: readonly (readonly string[])[],
  legend: { label: string; colour: string }[],
): string {
  const colW = Math.max(...VIEWS.map((v) => images[v].width));
  const left = 58;
  const top = 30;
  const colH = VIEWS.reduce((s, v) => s + images[v].height, 0) + VIEW_GAP * 2;
  const legendX = left + stages.length * (colW + COL_GAP) + 6;
  const width = legendX + 170;
  const height = Math.max(top + colH + 34, top + 30 + legend.length * 40 + 40);
  const parts: string[] = [];
  parts.push(`<text x="0" y="18" font-size="14" font-weight="600">${esc(title)}</text>`);
  let y = top;
  for (const v of VIEWS) {
    parts.push(`<text x="${left - 6}" y="${y + images[v].height / 2 + 4}" font-size="11" text-anchor="end" fill="#555">${v}</text>`);
    y += images[v].height + VIEW_GAP;
  }
  stages.forEach((s, i) => {
    const x0 = left + i * (colW + COL_GAP);
    let yy = top;
    for (const v of VIEWS) {
      const img = images[v];
      const png = Buffer.from(encodePng(img.width, img.height, paintSlice(img, fills[i]!))).toString('base64');
      const dx = x0 + Math.floor((colW - img.width) / 2);
      parts.push(
        `<image x="${dx}" y="${yy}" width="${img.width}" height="${img.height}" style="image-rendering:pixelated" data-view="${v}" data-stage="${s}" href="data:image/png;base64,${png}"/>`,
      );
      if (v !== 'sagittal' && i === 0)
        parts.push(
          `<text x="${dx + 2}" y="${yy + 10}" font-size="9" fill="#777">L</text><text x="${dx + img.width - 2}" y="${yy + 10}" font-size="9" fill="#777" text-anchor="end">R</text>`,
        );
      yy += img.height + VIEW_GAP;
    }
    parts.push(`<text x="${x0 + colW / 2}" y="${top + colH + 14}" font-size="12" text-anchor="middle" font-weight="600">stage ${s}</text>`);
    parts.push(`<text x="${x0 + colW / 2}" y="${top + colH + 28}" font-size="10" text-anchor="middle" fill="#777">${s} of ${nEvents} events</text>`);
  });
  // Legend: one white-to-colour ramp per threshold, then the unpainted tissue swatch.
  const defs: string[] = [];
  parts.push(`<text x="${legendX}" y="${top + 8}" font-size="11" font-weight="600">P(passed by this stage)</text>`);
  legend.forEach((l, t) => {
    const ly = top + 22 + t * 40;
    defs.push(`<linearGradient id="ramp-${t}"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="${l.colour}"/></linearGradient>`);
    parts.push(`<text x="${legendX}" y="${ly}" font-size="11">${esc(l.label)}</text>`);
    parts.push(`<rect x="${legendX}" y="${ly + 4}" width="120" height="10" fill="url(#ramp-${t})" stroke="#999" stroke-width="0.5"/>`);
    parts.push(`<text x="${legendX}" y="${ly + 25}" font-size="9" fill="#777">0</text><text x="${legendX + 120}" y="${ly + 25}" font-size="9" fill="#777" text-anchor="end">1</text>`);
  });
  const sy = top + 22 + legend.length * 40;
  parts.push(
    `<rect x="${legendX}" y="${sy - 9}" width="12" height="10" fill="${UNPAINTED_FILL}" stroke="${OUTLINE}" stroke-width="0.5"/><text x="${legendX + 17}" y="${sy}" font-size="10">not a modelled feature</text>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">` +
    `<defs>${defs.join('')}</defs><rect width="${width}" height="${height}" fill="#ffffff"/>${parts.join('')}</svg>`
  );
}
