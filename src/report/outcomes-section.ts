/**
 * The report's clinical section, from outcomes.json: Table 1, a Kaplan-Meier figure per outcome with
 * numbers at risk, a forest plot of hazard and rate ratios, and each score against stage.
 */
import type { OutcomesResult } from '../outcomes/schema.js';
import { UserError } from '../common/errors.js';
import { esc, figure, fmt, section, table } from './html.js';
import { forestSpec, kmSpec, scoreSpec, type ForestRow, type KmPoint } from './outcomes-specs.js';
import { renderSvg } from './render.js';

export interface OutcomesLabels {
  /** display name per subtype (0-based index as in subjects.csv) */
  labels: string[];
  /** short names for axes ("S1 · thalamus") */
  short: string[];
  colours: string[];
}

const pfmt = (p: number | null | undefined) => (p === null || p === undefined ? '' : p < 0.001 ? '<0.001' : p.toFixed(3));
const ci = (r: number, lo: number, hi: number) => `${fmt(r, 2)} (${fmt(lo, 2)}–${fmt(hi, 2)})`;

function table1Html(o: OutcomesResult, L: OutcomesLabels): string {
  const g = o.table1.groups;
  const cols = [
    { label: '' },
    ...g.map((x) => ({ label: `${x.key.startsWith('subtype') ? (L.labels[Number(x.key.slice(7))] ?? x.label) : x.label} (n=${x.n})`, numeric: true })),
    { label: 'p (across subtypes)', numeric: true },
  ];
  const rows = o.table1.rows.map((r) => {
    const name = r.level === null ? esc(r.variable) : r.kind === 'binary' ? `${esc(r.variable)} = 1, n (%)` : `${esc(r.variable)}: ${esc(r.level)}, n (%)`;
    const cells = r.cells.map((c) => {
      if (c.n === 0) return '<span class="muted">–</span>';
      if (r.kind === 'numeric') return `${esc(fmt(c.mean, 1))} ± ${esc(fmt(c.sd, 1))}<br><span class="muted">${esc(fmt(c.median, 1))} [${esc(fmt(c.q1, 1))}, ${esc(fmt(c.q3, 1))}]</span>`;
      return `${esc(c.count ?? 0)} (${esc(fmt(c.percent, 0))}%)`;
    });
    const tests = r.tests.map((t) => `${esc(pfmt(t.p))} <span class="muted">${esc(t.test)}</span>`).join('<br>');
    return [name, ...cells, tests];
  });
  return table(cols, rows, () => false, 'data wrap1');
}

async function kmFigures(o: OutcomesResult, L: OutcomesLabels, figures: Record<string, string>): Promise<string> {
  const parts: string[] = [];
  for (const [i, km] of o.km.entries()) {
    const points: KmPoint[] = [];
    const used = km.curves.filter((c) => c.n > 0);
    for (const c of used) {
      const label = L.labels[c.subtype] ?? `subtype ${c.subtype}`;
      points.push({ label, time: 0, surv: 1, lower: 1, upper: 1 });
      c.time.forEach((t, j) => points.push({ label, time: t, surv: c.surv[j]!, lower: c.lower[j] ?? null, upper: c.upper[j] ?? null }));
    }
    const name = `outcomes-km-${i + 1}.svg`;
    const labels = used.map((c) => L.labels[c.subtype] ?? `subtype ${c.subtype}`);
    figures[name] = await renderSvg(
      kmSpec(
        points,
        labels,
        used.map((c) => L.colours[c.subtype % L.colours.length]!),
        `${km.outcome} (event: ${km.event})`,
        km.outcome,
      ),
    );
    const entry = o.survival.find((e) => e.outcome === km.outcome && e.model === 'subtype');
    const lr = entry?.logrank;
    const risk = table(
      [{ label: 'At risk' }, ...km.riskTimes.map((t) => ({ label: String(t), numeric: true }))],
      km.atRisk.map((row, j) => [esc(L.labels[km.curves[j]!.subtype] ?? ''), ...row.map((v) => esc(v))]).filter((_, j) => km.curves[j]!.n > 0),
    );
    const medians = used.map((c) => `${esc(L.labels[c.subtype] ?? '')}: ${c.median === null ? 'not reached' : esc(fmt(c.median, 2))}`).join(' · ');
    parts.push(
      `<div>${figure(name, figures[name]!, `each line is the share of a subtype\u2019s patients who have not had the event by that time; the band is its 95% interval. Lines that separate early and stay apart mean the subtypes differ.${lr ? ` Log-rank test across subtypes: \u03c7\u00b2 = ${esc(fmt(lr.chisq, 2))} on ${esc(lr.df)} df, p = ${esc(pfmt(lr.p))}.` : ''}`)}` +
        `${risk}<p class="muted" style="font-size:13px">Median time to event: ${medians}.</p></div>`,
    );
  }
  return parts.length ? `<h3>Time to event</h3><div class="grid">${parts.join('')}</div>` : '';
}

function ratioRows(o: OutcomesResult, L: OutcomesLabels): { forest: ForestRow[]; html: string[][] } {
  const forest: ForestRow[] = [];
  const html: string[][] = [];
  const name = (term: string) => (term.startsWith('subtype') && /^subtype\d+$/.test(term) ? (L.labels[Number(term.slice(7))] ?? term) : term);
  const short = (term: string) => (/^subtype\d+$/.test(term) ? (L.short[Number(term.slice(7))] ?? term) : term);
  const add = (panel: string, model: string, adj: string, t: { term: string; coef: number; ciLow: number; ciHigh: number; p: number }, ratio: number, kind: string) => {
    const label = `${name(t.term)} · ${adj}`;
    const row = `${short(t.term)} · ${adj.startsWith('adjusted') ? 'adjusted' : 'unadjusted'}${kind.startsWith('pooled') ? ' · pooled' : ''}`;
    if (t.term.startsWith('subtype') || t.term === 'stage') forest.push({ row, panel, ratio, lo: t.ciLow, hi: t.ciHigh, kind });
    html.push([esc(panel), esc(model), esc(label), esc(kind), esc(ci(ratio, t.ciLow, t.ciHigh)), esc(pfmt(t.p))]);
  };
  for (const e of o.survival) {
    const adj = e.covariates.length ? `adjusted (${e.covariates.join(', ')})` : 'unadjusted';
    for (const t of e.terms) add(`${e.outcome}: hazard ratio`, `Cox, ${e.model}`, adj, t, t.hr, 'most likely subtype');
    for (const t of e.pooled?.terms ?? []) add(`${e.outcome}: hazard ratio`, `Cox, ${e.model}`, adj, t, t.hr, 'pooled over posterior draws');
  }
  for (const e of o.counts) {
    const adj = e.covariates.length ? `adjusted (${e.covariates.join(', ')})` : 'unadjusted';
    for (const t of e.terms) add(`${e.outcome} per ${e.exposure}: rate ratio (${e.family})`, `${e.family}, ${e.model}`, adj, t, t.ratio, 'most likely subtype');
    for (const t of e.pooled?.terms ?? []) add(`${e.outcome} per ${e.exposure}: rate ratio (${e.family})`, `${e.family}, ${e.model}`, adj, t, t.ratio, 'pooled over posterior draws');
  }
  return { forest, html };
}

function treatmentHtml(o: OutcomesResult, L: OutcomesLabels): string {
  if (o.treatment.length === 0) return '';
  const rows: string[][] = [];
  for (const t of o.treatment) {
    for (const w of t.withinSubtype) {
      const arms = w.terms.filter((x) => x.term.startsWith(`${t.treatment}=`) || x.term === t.treatment);
      const effect = arms.map((x) => `${esc(x.term)}: ${esc(ci(x.ratio, x.ciLow, x.ciHigh))}, p ${esc(pfmt(x.p))}`).join('<br>');
      rows.push([
        esc(`${t.outcome} (${t.family})`),
        esc(L.labels[w.subtype] ?? `subtype ${w.subtype}`),
        esc(w.n),
        effect || `<span class="muted">${esc(w.failed ?? w.omitted.map((x) => x.reason).join('; ') ?? '')}</span>`,
        esc(pfmt(t.interaction.test?.p)),
      ]);
    }
  }
  return (
    `<h3>Treatment response</h3><p class="lead">The treatment effect (${esc(o.treatment[0]!.treatment)}) fitted within each subtype, and the likelihood-ratio test of the subtype x treatment interaction: a small p means the treatment works differently across subtypes.</p>` +
    table([{ label: 'Outcome' }, { label: 'Subtype' }, { label: 'Patients', numeric: true }, { label: 'Ratio (95% CI)', numeric: true }, { label: 'Interaction p', numeric: true }], rows)
  );
}

export async function outcomesSection(o: OutcomesResult, subtypes: number, L: OutcomesLabels, figures: Record<string, string>): Promise<string> {
  if (o.subtypes !== subtypes) {
    throw new UserError(`the outcomes file was computed for ${o.subtypes} subtype(s) but the report shows ${subtypes}: run outcomes on this subject table`, { field: 'subtypes' });
  }
  const parts: string[] = [];
  parts.push(
    `<h3>Table 1</h3><p class="lead">Patients past stage 0 by most likely subtype; stage-0 patients and controls apart (not tested). Mean ± sd, then median [IQR]; tests compare the subtypes.</p>${table1Html(o, L)}`,
  );
  parts.push(await kmFigures(o, L, figures));
  const { forest, html } = ratioRows(o, L);
  if (forest.length > 0) {
    figures['outcomes-forest.svg'] = await renderSvg(forestSpec(forest));
    parts.push(
      `<h3>Hazard and rate ratios</h3>${figure('outcomes-forest.svg', figures['outcomes-forest.svg']!, `each point is a ratio against ${esc(L.labels[o.settings.referenceSubtype] ?? 'the reference subtype')} (stage: per stage); lines are 95% intervals and the dashed line is no difference. \u201cPooled\u201d rows draw each patient\u2019s subtype from its probabilities and pool the fits (Rubin\u2019s rules), so they are wider when assignments are uncertain.`)}` +
        table([{ label: 'Outcome' }, { label: 'Model' }, { label: 'Term' }, { label: 'Subtype from' }, { label: 'Ratio (95% CI)', numeric: true }, { label: 'p', numeric: true }], html),
    );
  }
  parts.push(treatmentHtml(o, L));
  const scoreFigs: string[] = [];
  for (const [i, s] of o.scores.entries()) {
    const name = `outcomes-score-${i + 1}.svg`;
    const used = [...new Set(s.points.map((p) => p[2]))].sort((a, b) => a - b);
    const labels = used.map((k) => L.labels[k] ?? `subtype ${k}`);
    const sub = s.spearman ? `Spearman \u03c1 = ${fmt(s.spearman.rho, 2)}, p ${pfmt(s.spearman.p)} (${s.spearman.n} patients)` : '';
    figures[name] = await renderSvg(
      scoreSpec(
        s.points.map(([stage, score, k]) => ({ stage, score, label: L.labels[k] ?? `subtype ${k}` })),
        labels,
        used.map((k) => L.colours[k % L.colours.length]!),
        s.score,
        sub,
      ),
    );
    const reg = s.regression?.terms.find((t) => t.term === 'stage');
    scoreFigs.push(
      figure(
        name,
        figures[name]!,
        `one point per patient; the line is the least-squares fit.${reg ? ` Adjusted for ${esc(s.regression!.covariates.join(', ') || 'nothing')}: ${esc(fmt(reg.coef, 3))} ${esc(s.score)} points per stage (95% CI ${esc(fmt(reg.ciLow, 3))} to ${esc(fmt(reg.ciHigh, 3))}), p ${esc(pfmt(reg.p))}.` : ''}`,
      ),
    );
  }
  if (scoreFigs.length) parts.push(`<h3>Scores and stage</h3><div class="grid">${scoreFigs.join('')}</div>`);
  const notes = [...o.notes, ...o.warnings].map((n) => `<p class="note">${esc(n)}</p>`).join('');
  const who = `${o.subjects.matched} subjects with clinical data (${o.subjects.staged} patients past stage 0, ${o.subjects.stage0} at stage 0, ${o.subjects.controls} controls)`;
  return section('outcomes', 'Clinical outcomes', `What the subtypes and stages mean for patients: ${esc(who)}.`, parts.join('') + notes);
}
