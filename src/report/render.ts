/**
 * Vega-Lite spec -> SVG text, in Node: compile to Vega, run a headless View (renderer 'none') and
 * serialise its scenegraph with view.toSVG(). No browser, no canvas, no network.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Look shared by every figure: default sans-serif font, quiet axes, no chart border. */
export const CHART_CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', titleColor: '#333', labelColor: '#333', gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start', color: '#222', subtitleColor: '#555', subtitleFontSize: 11 },
} as const;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const vgSpec = compile(withConfig).spec;
  // A loader that refuses everything: figures carry their data inline, so nothing is ever fetched.
  const loader = vega.loader();
  loader.load = () => Promise.reject(new Error('report figures must not load external data'));
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader });
  // Fresh clip/gradient counters per figure so the same figure always gives the same bytes.
  const resets = vega as unknown as { resetSVGClipId?: () => void; resetSVGDefIds?: () => void };
  resets.resetSVGClipId?.();
  resets.resetSVGDefIds?.();
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/**
 * Make the ids inside one SVG unique within the page (several inline SVGs share one id space; vega
 * numbers clip paths from 1 in each figure).
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}-${id}"`);
}
