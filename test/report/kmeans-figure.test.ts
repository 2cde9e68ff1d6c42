import { describe, expect, it } from 'vitest';
import { centroidsSpec, kmeansQualitySpec, zText } from '../../src/report/specs.js';
import { renderSvg } from '../../src/report/render.js';
import type { KmeansFit } from '../../src/sustain/types.js';

const LONG = 'normal_appearing_white_matter_volume_left_hemisphere';
const fit: KmeansFit = {
  subtypes: 2,
  centroids: [
    [7.2, -0.04, 0.3],
    [-2.1, 1.5, 0.02],
  ],
  fractions: [0.6, 0.4],
  silhouette: 0.31,
  inertia: 12,
};

describe('k-means heatmap', () => {
  it('shows whole labels, every centre inside the colour scale, light text on dark cells, no "-0.0"', async () => {
    const svg = await renderSvg(centroidsSpec(fit, [LONG, 'cortex', 'thalamus']));
    // the label is not cut short with an ellipsis
    expect(svg).toContain(LONG);
    expect(svg).not.toContain('\u2026');
    // colour scale to 8 (the next whole z above 7.2), both ways, labelled at the ends
    expect(svg).toMatch(/>8<\/text>/);
    expect(svg).toMatch(/>[-\u2212]8<\/text>/);
    // the 7.2 cell is dark red: its number is white; a near-zero cell's number is dark
    expect(svg).toMatch(/<text[^>]*fill="white"[^>]*>7\.2<\/text>/);
    expect(svg).toMatch(/<text[^>]*fill="#222"[^>]*>0\.0<\/text>/);
    expect(svg).not.toContain('-0.0');
    expect(zText(-0.04)).toBe('0.0');
    expect(zText(-0.06)).toBe('-0.1');
  });

  it('plots no silhouette for one cluster (undefined there)', async () => {
    const one: KmeansFit = { ...fit, subtypes: 1, centroids: [[1, 1, 1]], fractions: [1], silhouette: 0 };
    const spec = kmeansQualitySpec([one, fit]) as unknown as { data: { values: { k: number }[] } };
    expect(spec.data.values.map((v) => v.k)).toEqual([2]);
  });
});
