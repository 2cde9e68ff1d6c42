/** Small HTML builders for the page: escaping, sections, figures, cards and plain tables. */
import { prefixSvgIds } from './render.js';

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON for a <script type="application/json"> block: "<" escaped so no value can close the tag. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function pct(n: number, d: number, digits = 0): string {
  return d > 0 ? `${((100 * n) / d).toFixed(digits)}%` : '–';
}

export function fmt(v: number | undefined | null, digits = 3): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function card(value: string | number, key: string, sub = ''): string {
  return `<div class="card"><div class="v">${esc(value)}</div><div class="k">${esc(key)}</div>${sub ? `<div class="s">${esc(sub)}</div>` : ''}</div>`;
}

/** A figure: the SVG inline (ids made unique), a "how to read" caption and a link to the SVG file. */
export function figure(name: string, svg: string, howToRead: string): string {
  const id = name.replace(/\.svg$/, '');
  return (
    `<figure class="fig" id="fig-${esc(id)}" data-figure="${esc(name)}"><div class="svg">${prefixSvgIds(svg, id)}</div>` +
    `<figcaption><a href="figures/${esc(name)}">SVG</a><b>How to read:</b> ${howToRead}</figcaption></figure>`
  );
}

export function section(id: string, title: string, lead: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>${lead ? `<p class="lead">${lead}</p>` : ''}${body}</section>`;
}

export interface Column {
  label: string;
  numeric?: boolean;
}

/** A plain table; cells are already-escaped HTML. `highlight` marks rows to emphasise. */
export function table(columns: Column[], rows: string[][], highlight: (i: number) => boolean = () => false, cls = 'data'): string {
  const head = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('');
  const body = rows.map((r, i) => `<tr${highlight(i) ? ' class="best"' : ''}>${r.map((cell, j) => `<td${columns[j]?.numeric ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`).join('');
  return `<div class="tablebox"><table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}
