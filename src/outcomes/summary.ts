/** A few lines for the terminal: each subtype model's ratios and the score correlations (the full set is in the files). */
import type { OutcomesResult } from './schema.js';

const fmt = (v: number, d = 2) => v.toFixed(d);
const pfmt = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

export function summaryLines(r: OutcomesResult): string[] {
  const lines: string[] = [];
  for (const e of r.survival.filter((x) => x.model === 'subtype')) {
    const adj = e.covariates.length ? `adjusted for ${e.covariates.join(', ')}` : 'unadjusted';
    lines.push(`${e.outcome}: log-rank ${pfmt(e.logrank.p ?? 1)}; Cox (${adj}, ${e.n} patients, ${e.events} events):`);
    for (const t of e.terms.filter((x) => x.term.startsWith('subtype')))
      lines.push(`  ${t.term} vs subtype${r.settings.referenceSubtype}: HR ${fmt(t.hr)} (95% CI ${fmt(t.ciLow)}-${fmt(t.ciHigh)}), ${pfmt(t.p)}`);
    for (const t of (e.pooled?.terms ?? []).filter((x) => x.term.startsWith('subtype')))
      lines.push(`  ${t.term} pooled over ${e.pooled!.draws} posterior draws: HR ${fmt(t.hr)} (${fmt(t.ciLow)}-${fmt(t.ciHigh)}), ${pfmt(t.p)}`);
  }
  for (const e of r.counts.filter((x) => x.model === 'subtype' && x.family === 'negbin')) {
    const adj = e.covariates.length ? `adjusted for ${e.covariates.join(', ')}` : 'unadjusted';
    lines.push(`${e.outcome} per ${e.exposure}: negative binomial (${adj}):`);
    for (const t of e.terms.filter((x) => x.term.startsWith('subtype'))) lines.push(`  ${t.term}: rate ratio ${fmt(t.ratio)} (95% CI ${fmt(t.ciLow)}-${fmt(t.ciHigh)}), ${pfmt(t.p)}`);
  }
  for (const s of r.scores) if (s.spearman) lines.push(`${s.score} vs stage: Spearman rho ${fmt(s.spearman.rho)} (${s.spearman.n} patients), ${pfmt(s.spearman.p)}`);
  return lines;
}
