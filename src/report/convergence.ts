/**
 * The report's banner when the fit's MCMC chains have not converged (fit stores the diagnostics in
 * model.json per K: diagnostics.convergence). Shown at the top of the page: the positional variance,
 * subtype probabilities and fraction intervals below it all rest on the chains.
 */
import { convergenceMessage, type ConvergenceJson } from '../sustain/chains.js';
import type { SustainFit } from '../sustain/types.js';
import { esc } from './html.js';

export function convergenceBanner(fit: SustainFit): string {
  const conv = fit.diagnostics?.['convergence'] as ConvergenceJson | undefined;
  if (conv === undefined || !Array.isArray(conv.warnings)) return '';
  const msg = convergenceMessage(fit.subtypes, conv, Number(fit.diagnostics?.['mcmcIterations'] ?? 0), fit.samples);
  return msg === undefined ? '' : `<p class="note warn" role="alert" id="convergence-warning"><b>Warning:</b> ${esc(msg)}.</p>`;
}
