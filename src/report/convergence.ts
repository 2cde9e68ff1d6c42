/**
 * The report's banner when the fit's MCMC chains have not converged (fit stores the diagnostics in
 * model.json per K: diagnostics.convergence), and, with fit --mcmc-round, how long the chains ran.
 * Shown at the top of the page: the positional variance, subtype probabilities and fraction
 * intervals below it all rest on the chains.
 */
import { mcmcRunOf } from '../io/modelfile.js';
import { convergenceMessage, type ConvergenceJson } from '../sustain/chains.js';
import type { SustainFit } from '../sustain/types.js';
import { esc } from './html.js';

export function convergenceBanner(fit: SustainFit, settings: Record<string, unknown> = {}): string {
  const conv = fit.diagnostics?.['convergence'] as ConvergenceJson | undefined;
  const run = mcmcRunOf(fit);
  const note = roundNote(run, settings);
  if (conv === undefined || !Array.isArray(conv.warnings)) return note;
  const msg = convergenceMessage(fit.subtypes, conv, run.mcmcIterations ?? 0);
  if (msg === undefined) return note;
  const cap = run.mcmcStopped === 'cap' ? ` The chains ran in rounds up to the cap (--mcmc ${run.mcmcIterations?.toLocaleString('en-US')}) without passing.` : '';
  return `<p class="note warn" role="alert" id="convergence-warning"><b>Warning:</b> ${esc(msg)}.${esc(cap)}</p>`;
}

/** With fit --mcmc-round: the chains' length and why they stopped, beside the diagnostics. */
function roundNote(run: ReturnType<typeof mcmcRunOf>, settings: Record<string, unknown>): string {
  if (run.mcmcStopped !== 'converged' || run.mcmcIterations === undefined) return '';
  const cap = typeof settings['mcmcIterations'] === 'number' ? ` of at most ${settings['mcmcIterations'].toLocaleString('en-US')}` : '';
  return (
    `<p class="note" id="mcmc-stop">The MCMC chains stopped after ${esc(run.mcmcIterations.toLocaleString('en-US'))}${esc(cap)} iterations each, ` +
    `once R-hat (at most 1.01), bulk and tail ESS (at least 400) and the chains' best models all passed (fit --mcmc-round).</p>`
  );
}
