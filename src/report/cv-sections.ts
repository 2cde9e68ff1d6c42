/** The report's two "how many subtypes?" sections: cross-validation (CVIC, held-out likelihood) and the k-means baseline. */
import type { Context } from './context.js';
import { esc, figure, fmt, pct, section, table } from './html.js';
import { renderSvg } from './render.js';
import { centroidsSpec, cvicSpec, kmeansQualitySpec, testLikelihoodSpec } from './specs.js';

export async function cvSection(c: Context): Promise<string> {
  const cv = c.inputs.cv;
  if (cv === undefined) return '';
  c.figures['cvic.svg'] = await renderSvg(cvicSpec(cv));
  c.figures['cv-test-loglik.svg'] = await renderSvg(testLikelihoodSpec(cv));
  const best = Math.min(...cv.table.map((r) => r.cvic));
  const stabilityCol = cv.stability !== undefined;
  const rows = cv.table.map((r) => {
    const st = cv.stability?.[String(r.subtypes)];
    const mean = st && st.length > 0 ? st.reduce((s, x) => s + x, 0) / st.length : NaN;
    return [
      esc(r.subtypes) + (r.subtypes === cv.recommendedSubtypes ? ' <b>(recommended)</b>' : ''),
      esc(fmt(r.cvic, 1)),
      esc(fmt(r.cvic - best, 1)),
      `${esc(fmt(r.testLogLikelihoodMean, 1))} ± ${esc(fmt(r.testLogLikelihoodSd, 1))}`,
      ...(stabilityCol ? [esc(Number.isNaN(mean) ? '' : mean.toFixed(2))] : []),
    ];
  });
  const cols = [
    { label: 'Subtypes' },
    { label: 'CVIC', numeric: true },
    { label: 'ΔCVIC', numeric: true },
    { label: 'Test log-likelihood (mean ± sd over folds)', numeric: true },
    ...(stabilityCol ? [{ label: 'Stability (mean ARI of fold models)', numeric: true }] : []),
  ];
  const folds = (cv.settings as { folds?: number }).folds;
  const body =
    `<p class="note"><b>Recommended: ${esc(cv.recommendedSubtypes)} subtype(s).</b> ${esc(cv.rule.charAt(0).toUpperCase() + cv.rule.slice(1))}</p>` +
    table(cols, rows, (i) => cv.table[i]!.subtypes === cv.recommendedSubtypes) +
    `<div class="grid" style="margin-top:16px">${figure('cvic.svg', c.figures['cvic.svg'], 'lower CVIC = better prediction of held-out subjects. Differences of a few units are not decisive; the recommendation also weighs the folds.')}` +
    `${figure('cv-test-loglik.svg', c.figures['cv-test-loglik.svg'], 'if adding a subtype does not lift most grey lines (folds), the data do not support it.')}</div>`;
  return section('cv', 'How many subtypes?', `Cross-validation${folds ? ` with ${esc(folds)} folds` : ''}: each model is fitted without one fold and scored on it.`, body);
}

export async function kmeansSection(c: Context): Promise<string> {
  const km = c.inputs.kmeans;
  if (km === undefined || km.fits.length === 0) return '';
  const fit = km.fits.find((f) => f.subtypes === c.k) ?? km.fits[km.fits.length - 1]!;
  c.figures['kmeans-centroids.svg'] = await renderSvg(centroidsSpec(fit, km.biomarkers.map(c.label)));
  c.figures['kmeans-silhouette.svg'] = await renderSvg(kmeansQualitySpec(km.fits));
  const sizes = table(
    [{ label: '' }, { label: 'SuStaIn (ML fraction)', numeric: true }, { label: 'k-means (cluster share)', numeric: true }],
    Array.from({ length: Math.max(c.k, fit.subtypes) }, (_, j) => [
      esc(`${j + 1}`),
      esc(j < c.k ? pct(c.fit.fractions[j]!, 1, 1) : ''),
      esc(j < fit.subtypes ? pct(fit.fractions[j]!, 1, 1) : ''),
    ]),
  );
  const quality = table(
    [{ label: 'Clusters' }, { label: 'Silhouette', numeric: true }, { label: 'Inertia', numeric: true }],
    km.fits.map((f) => [esc(f.subtypes), f.subtypes === 1 ? '<span class="muted">undefined</span>' : esc(fmt(f.silhouette, 3)), esc(fmt(f.inertia, 1))]),
    (i) => km.fits[i]!.subtypes === fit.subtypes,
  );
  const body =
    `<div class="grid">${figure('kmeans-centroids.svg', c.figures['kmeans-centroids.svg'], 'each row is a cluster\u2019s average z-score profile (k-means knows no stages). Clusters that differ only in overall severity are stages, not subtypes; SuStaIn separates the two.')}` +
    `${figure('kmeans-silhouette.svg', c.figures['kmeans-silhouette.svg'], 'mean silhouette per number of clusters; values below about 0.25 mean the clusters overlap heavily.')}</div>` +
    `<div class="grid" style="margin-top:16px"><div><h3>Group sizes (largest first)</h3>${sizes}</div><div><h3>k-means fits</h3>${quality}</div></div>`;
  return section('kmeans', 'Comparison with k-means', 'A plain clustering baseline on the same z-scores: subtypes that k-means also finds are patterns, not just stages.', body);
}
